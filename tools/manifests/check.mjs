// Validates every Kubernetes manifest under the given directories offline, against the OpenAPI schemas of
// Kubernetes that npm's kubernetes-models compiles into validators (types, required fields, enums, formats).
// Each YAML document's apiVersion and kind pick the model; an unknown apiVersion or kind fails, as does
// a YAML syntax error. Before the manifests, a self-test feeds the validator documents that are wrong in
// known ways and fails if it accepts any of them: a checker that cannot fail proves nothing.
//
//   node check.mjs DIR...        (make test runs it on deploy/)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") throw new Error("apiVersion and kind must be strings");
  let mod;
  try {
    mod = await import(`kubernetes-models/${apiVersion}`);
  } catch {
    throw new Error(`apiVersion ${apiVersion} is not in kubernetes-models`);
  }
  const model = mod[kind];
  if (!model) throw new Error(`kind ${kind} is not in kubernetes-models/${apiVersion}`);
  return model;
}

async function check(doc) {
  const model = await modelFor(doc.apiVersion, doc.kind);
  new model(doc).validate(); // throws with the schema's complaint
}

function yamlFiles(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

const mustFail = [
  ["a replica count given as text", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" },
    spec: { replicas: "one", selector: { matchLabels: { a: "b" } }, template: { spec: { containers: [{ name: "c", image: "i" }] } } } }],
  ["a pod without containers", { apiVersion: "v1", kind: "Pod", metadata: { name: "x" }, spec: {} }],
  ["a DaemonSet without a selector", { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "x" },
    spec: { template: { spec: { containers: [{ name: "c", image: "i" }] } } } }],
  ["a webhook without sideEffects", { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration",
    metadata: { name: "x" }, webhooks: [{ name: "a.b.c", admissionReviewVersions: ["v1"], clientConfig: { url: "https://x" } }] }],
  ["a DeviceClass selector that is not a list", { apiVersion: "resource.k8s.io/v1", kind: "DeviceClass", metadata: { name: "x" },
    spec: { selectors: { cel: { expression: "true" } } } }],
  ["a kind that does not exist", { apiVersion: "v1", kind: "Podd", metadata: { name: "x" } }],
];
let selfTestFailures = 0;
for (const [why, doc] of mustFail) {
  try {
    await check(doc);
    console.error(`self-test: accepted ${why}: the checker cannot be trusted`);
    selfTestFailures++;
  } catch {
    // rejected, as it must be
  }
}
if (selfTestFailures > 0) process.exit(2);

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node check.mjs DIR...");
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const file of dirs.flatMap(yamlFiles)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [i, d] of docs.entries()) {
    const where = `${file}#${i + 1}`;
    if (d.errors.length > 0) {
      console.error(`FAIL ${where}: YAML: ${d.errors[0].message}`);
      failed++;
      continue;
    }
    const doc = d.toJS();
    if (doc === null) continue; // an empty document (a trailing ---)
    const name = `${doc.kind}/${doc.metadata?.name ?? "?"}`;
    try {
      await check(doc);
      console.log(`ok   ${where} ${doc.apiVersion} ${name}`);
      passed++;
    } catch (e) {
      console.error(`FAIL ${where} ${name}: ${e.message}${e.details ? " " + JSON.stringify(e.details) : ""}`);
      failed++;
    }
  }
}
console.log(`manifests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
