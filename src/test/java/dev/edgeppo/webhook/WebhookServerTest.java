package dev.edgeppo.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook as the API server reaches it: HTTPS on loopback with a real certificate, an AdmissionReview
 * body shaped like Kubernetes' documentation, the node from fabric8's mock API server (a mock, not a
 * kube-apiserver) and a stub agent on loopback. Also: the certificate is reloaded when its files change.
 */
@EnableKubernetesMockClient(crud = true)
class WebhookServerTest {
  KubernetesClient client;
  @TempDir Path dir;

  static HttpClient trusting(X509Certificate... certs) throws Exception {
    // A new client per certificate: no TLS session is resumed across a rotation.
    return HttpClient.newBuilder().sslContext(TestTls.trusting(certs)).connectTimeout(Duration.ofSeconds(5)).build();
  }

  static HttpResponse<String> post(HttpClient c, int port, String path, String body) throws Exception {
    return c.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersAnAdmissionReviewOverTlsWithTheAgentsLimits() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    X509Certificate served = TestTls.write(cert, key, TestTls.KeyForm.RSA_PKCS1, 1);
    try (StubAgent agent = new StubAgent("127.0.0.1", 0).grants("alloc-7", 35, 3000, 0, "GPU-1234")) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName("edge-1").endMetadata()
          .withNewStatus().addNewAddress().withType("InternalIP").withAddress("127.0.0.1").endAddress().endStatus().build()).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
      Admission admission = new Admission(new NodeDirectory(client), new AgentClient(agent.port(), null, Duration.ofSeconds(2)));
      try (WebhookServer server = WebhookServer.start(new InetSocketAddress("127.0.0.1", 0), new ReloadingKeyManager(cert, key), admission)) {
        HttpClient https = trusting(served);
        HttpResponse<String> r = post(https, server.port(), "/mutate",
            Reviews.podCreate(Reviews.ask(50, 4000), Reviews.spec("\"nodeName\": \"edge-1\"")).toString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(served, r.sslSession().orElseThrow().getPeerCertificates()[0]);
        JsonNode answer = Reviews.JSON.readTree(r.body());
        assertEquals("705ab4f5-6393-11e8-b7cc-42010a800002", answer.path("response").path("uid").asText());
        assertTrue(answer.path("response").path("allowed").asBoolean());
        JsonNode patch = Reviews.patch(answer);
        JsonNode envOp = null;
        for (JsonNode op : patch) if (op.path("path").asText().equals("/spec/containers/0/env")) envOp = op;
        assertEquals("add", envOp.path("op").asText(), patch.toString());
        assertEquals("35", envOp.path("value").path(0).path("value").asText());
        assertEquals(1, agent.seen.size());
        assertEquals(null, agent.seen.getFirst().authorization(), "no token file, no header");

        assertEquals(200, https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(404, post(https, server.port(), "/validate", "{}").statusCode());
        HttpResponse<String> bad = post(https, server.port(), "/mutate", "{not json");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("not JSON"), bad.body());
        assertEquals(400, post(https, server.port(), "/mutate", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}").statusCode());
      }
    }
  }

  @Test
  void aRotatedCertificateIsServedWithoutARestartAndABrokenOneIsNot() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    X509Certificate first = TestTls.write(cert, key, TestTls.KeyForm.RSA_PKCS1, 1);
    Admission admission = new Admission(new NodeDirectory(client), new AgentClient(8080, null, Duration.ofSeconds(1)));
    ReloadingKeyManager keys = new ReloadingKeyManager(cert, key);
    try (WebhookServer server = WebhookServer.start(new InetSocketAddress("127.0.0.1", 0), keys, admission)) {
      String body = Reviews.podCreate("{}", Reviews.spec("")).toString();
      assertEquals(first, post(trusting(first), server.port(), "/mutate", body).sslSession().orElseThrow().getPeerCertificates()[0]);

      // Rotation, as cert-manager does it: new files in place, here also a new key type (EC, PKCS#8).
      X509Certificate second = TestTls.write(cert, key, TestTls.KeyForm.EC_PKCS8, 2);
      HttpResponse<String> r = post(trusting(second), server.port(), "/mutate", body);
      assertEquals(200, r.statusCode());
      assertEquals(second, r.sslSession().orElseThrow().getPeerCertificates()[0]);
      assertThrows(SSLHandshakeException.class, () -> post(trusting(first), server.port(), "/mutate", body),
          "the old certificate is no longer served");

      // A half-written rotation (the key does not parse) keeps the last good pair.
      Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
      assertEquals(second, post(trusting(second), server.port(), "/mutate", body).sslSession().orElseThrow().getPeerCertificates()[0]);
    }
  }

  @Test
  void aKeyFileWithoutAKeyIsAClearErrorAtStart() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    TestTls.write(cert, key, TestTls.KeyForm.EC_PKCS8, 1);
    Files.copy(cert, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> new ReloadingKeyManager(cert, key));
    assertTrue(e.getMessage().contains("no unencrypted private key"), e.getMessage());
  }
}
