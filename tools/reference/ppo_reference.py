#!/usr/bin/python3
"""PyTorch side of the PPO parity: one update exactly as docs/ppo-update.md pins it.

Run with Debian's /usr/bin/python3 (it has torch); only torch and the standard library are used.

    /usr/bin/python3 tools/reference/ppo_reference.py [--out DIR]

writes the golden update cases (SPEC §2 update-case files plus an "expected" block) to
src/test/resources/fixtures/ppo/ and prints, per case, what it exercises and whether the loss fell
over the epochs.

A case file is SPEC §2's update-case file plus "description", "generator" and
  "expected": {"parameters": {name: nested lists} after the update,
               "steps": [{loss, policy_loss, value_loss, entropy, approx_kl, clip_fraction, grad_norm,
                          skipped}] one per optimisation step, measured at its forward pass (grad_norm
                          before clipping; a skipped step's non-finite numbers are null),
               "metrics": UpdateMetrics (means over the steps that ran),
               "advantages": [T] after normalisation if any, "returns": [T]}.

Everything is seeded, so a second run writes the same bytes, given the same BLAS:
Debian's torch does its matrix products in the system libblas.so.3, and the committed cases were made
with the reference BLAS (each file's "generator" says which); OpenBLAS changes the last bits (~1e-6).
"""
import argparse
import copy
import json
import math
import os
import sys

import torch
from torch import nn

STATE_DIM = 5
ACTION_DIM = 2
LOG_STD_MIN = math.log(0.01)
LOG_STD_MAX = 0.0
ADAM_BETAS = (0.9, 0.999)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

# SPEC §2's order, which is also ParamLayout's; optimizer and clipping see the tensors in this order.
PARAM_NAMES = [
    "actor.0.weight", "actor.0.bias", "actor.2.weight", "actor.2.bias", "actor.4.weight", "actor.4.bias",
    "log_std",
    "critic.0.weight", "critic.0.bias", "critic.2.weight", "critic.2.bias", "critic.4.weight", "critic.4.bias",
]

DEFAULTS = {
    "gamma": 0.99, "gae_lambda": 0.95, "clip_epsilon": 0.2, "epochs": 4, "minibatch_size": 0,
    "learning_rate": 3e-4, "value_coef": 0.5, "entropy_coef": 0.01, "max_grad_norm": 0.5,
    "adam_eps": 1e-8, "normalize_advantages": True,
}


class ActorCritic(nn.Module):
    """SPEC §2's networks; attribute names make named_parameters() yield SPEC's parameter names."""

    def __init__(self, hidden):
        super().__init__()
        self.actor = nn.Sequential(
            nn.Linear(STATE_DIM, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, ACTION_DIM), nn.Sigmoid())
        self.critic = nn.Sequential(
            nn.Linear(STATE_DIM, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 1))
        self.log_std = nn.Parameter(torch.zeros(ACTION_DIM))

    def ordered_parameters(self):
        named = dict(self.named_parameters())
        return [named[n] for n in PARAM_NAMES]

    def value(self, states):
        return self.critic(states).squeeze(-1)

    def log_prob(self, states, actions):
        # Written out rather than via torch.distributions.Normal so that log(std) is log_std itself, as the
        # doc's formula has it (Normal would take log(exp(log_std)), which differs in the last bit).
        mean = self.actor(states)
        std = torch.exp(self.log_std)
        per_dim = -((actions - mean) ** 2) / (2.0 * std ** 2) - self.log_std - HALF_LOG_2PI
        return per_dim.sum(-1)

    def entropy(self):
        return (0.5 + HALF_LOG_2PI + self.log_std).sum()


def initialise(model, initial_std, bias_jitter):
    """SPEC's init (orthogonal, gains √2 / 0.01 / 1), then small non-zero biases so bias gradients matter."""
    gain = math.sqrt(2.0)
    for seq, out_gain in ((model.actor, 0.01), (model.critic, 1.0)):
        layers = [m for m in seq if isinstance(m, nn.Linear)]
        for i, layer in enumerate(layers):
            nn.init.orthogonal_(layer.weight, gain if i < len(layers) - 1 else out_gain)
            with torch.no_grad():
                layer.bias.uniform_(-bias_jitter, bias_jitter)
    with torch.no_grad():
        model.log_std.fill_(math.log(initial_std))


def gae(model, batch, hp):
    """Steps 1-3 of the doc: bootstrap with the old critic, GAE backwards, optional normalisation."""
    with torch.no_grad():
        v_next = model.value(batch["next_states"])
    rewards, values, dones = batch["rewards"], batch["values"], batch["dones"]
    gamma = torch.tensor(hp["gamma"], dtype=torch.float32)
    not_done = 1.0 - dones
    delta = rewards + gamma * v_next * not_done - values
    adv = torch.zeros_like(rewards)
    lam = torch.tensor(hp["gae_lambda"], dtype=torch.float32)
    running = torch.zeros((), dtype=torch.float32)
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = delta[t] + gamma * lam * not_done[t] * running
        adv[t] = running
    returns = adv + values
    if hp["normalize_advantages"] and adv.shape[0] >= 2:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    return adv, returns


def explained_variance(returns, values):
    var_r = returns.var(unbiased=False)
    if var_r.item() == 0.0:
        return 0.0
    return (1.0 - (returns - values).var(unbiased=False) / var_r).item()


def update(model, batch, hp, optimizer=None, margins=None):
    """One PPO update in place; returns (steps, metrics, advantages, returns). A fresh Adam unless given.
    margins, if a list, receives per step the smallest distance of |ratio - 1| from eps: how close a
    row is to flipping between clipped and unclipped, i.e. how touchy the case is for other implementations."""
    params = model.ordered_parameters()
    if optimizer is None:
        optimizer = torch.optim.Adam(params, lr=hp["learning_rate"], betas=ADAM_BETAS, eps=hp["adam_eps"])
    adv, returns = gae(model, batch, hp)
    ev = explained_variance(returns, batch["values"])
    t_len = adv.shape[0]
    mb = hp["minibatch_size"] or t_len
    eps = hp["clip_epsilon"]
    steps, skipped = [], 0
    for _ in range(hp["epochs"]):
        for start in range(0, t_len, mb):
            sl = slice(start, min(start + mb, t_len))
            states, actions = batch["states"][sl], batch["actions"][sl]
            a, r, old = adv[sl], returns[sl], batch["log_probs"][sl]
            log_ratio = model.log_prob(states, actions) - old
            ratio = torch.exp(log_ratio)
            if margins is not None:
                margins.append(((ratio.detach() - 1.0).abs() - eps).abs().min().item())
            policy_loss = -torch.min(ratio * a, torch.clamp(ratio, 1.0 - eps, 1.0 + eps) * a).mean()
            value_loss = ((model.value(states) - r) ** 2).mean()
            entropy = model.entropy()
            loss = policy_loss + hp["value_coef"] * value_loss - hp["entropy_coef"] * entropy
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            finite = bool(torch.isfinite(loss)) and all(bool(torch.isfinite(p.grad).all()) for p in params)
            with torch.no_grad():
                if finite:
                    grad_norm = nn.utils.clip_grad_norm_(params, hp["max_grad_norm"]).item()
                    optimizer.step()
                    model.log_std.clamp_(LOG_STD_MIN, LOG_STD_MAX)
                else:
                    grad_norm = float("nan")  # clipping never ran
                    skipped += 1
                steps.append({
                    "loss": loss.item(),
                    "policy_loss": policy_loss.item(),
                    "value_loss": value_loss.item(),
                    "entropy": entropy.item(),
                    "approx_kl": ((ratio - 1.0) - log_ratio).mean().item(),
                    "clip_fraction": ((ratio - 1.0).abs() > eps).float().mean().item(),
                    "grad_norm": grad_norm,
                    "skipped": not finite,
                })
    # Means over the steps that ran: a skipped step's numbers are the non-finite ones that got it skipped.
    ran = [s for s in steps if not s["skipped"]]
    n = max(1, len(ran))
    metrics = {k: sum(s[k] for s in ran) / n
               for k in ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "grad_norm")}
    metrics["explained_variance"] = ev
    metrics["std"] = torch.exp(model.log_std.detach()).tolist()
    metrics["steps"] = len(steps)
    metrics["skipped_steps"] = skipped
    metrics["batch_size"] = t_len
    return steps, metrics, adv, returns


# ---------------------------------------------------------------- case generation

def make_batch(model, t_len, dones_kind, perturb, gen):
    """A batch as the agent would collect it, acted on by a slightly different (older) policy."""
    behaviour = ActorCritic(model.actor[0].out_features)
    behaviour.load_state_dict(model.state_dict())
    with torch.no_grad():
        for p in behaviour.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * perturb * (p.abs().mean() + 1e-3))
        # The output bias moves the mean of every row; that is what pushes ratios past 1 ± eps.
        behaviour.actor[4].bias.add_(torch.randn(ACTION_DIM, generator=gen) * 2.0 * perturb)
        behaviour.log_std.add_((torch.rand(ACTION_DIM, generator=gen) - 0.5) * perturb)
        states = torch.rand(t_len, STATE_DIM, generator=gen)
        next_states = torch.rand(t_len, STATE_DIM, generator=gen)
        mean = behaviour.actor(states)
        actions = mean + torch.exp(behaviour.log_std) * torch.randn(t_len, ACTION_DIM, generator=gen)
        log_probs = behaviour.log_prob(states, actions)
        values = model.value(states) + 0.1 * torch.randn(t_len, generator=gen)
        rewards = torch.rand(t_len, generator=gen) * 3.0 - 1.0
        if dones_kind == "none":
            dones = torch.zeros(t_len)
        elif dones_kind == "all":
            dones = torch.ones(t_len)
        else:
            dones = (torch.rand(t_len, generator=gen) < 0.2).float()
            dones[-1] = 1.0
    return {"states": states, "actions": actions, "log_probs": log_probs, "values": values,
            "rewards": rewards, "next_states": next_states, "dones": dones}


# Each case: what it is for, shape, hyperparameters that differ from the defaults, how the batch is made.
CASES = [
    dict(name="defaults-t32-h64", about="SPEC defaults at the online batch size", t=32, h=64, dones="some",
         hp={}, perturb=0.15),
    dict(name="single-step-t1-h8", about="T=1: normalisation requested but skipped", t=1, h=8, dones="none",
         hp=dict(epochs=4), perturb=0.2),
    dict(name="t7-h16-eps01-k10-nonorm", about="small eps, many epochs, raw advantages", t=7, h=16,
         dones="some", hp=dict(clip_epsilon=0.1, epochs=10, normalize_advantages=False, gamma=0.9,
                                gae_lambda=0.8, learning_rate=1e-3), perturb=0.07),
    dict(name="t300-h64-mb64-uneven", about="minibatches 64,64,64,64,44; eps 0.3", t=300, h=64, dones="some",
         hp=dict(minibatch_size=64, clip_epsilon=0.3, learning_rate=5e-4), perturb=0.25),
    dict(name="gradclip-active-t32-h16", about="max_grad_norm 0.05: every step clipped", t=32, h=16,
         dones="some", hp=dict(max_grad_norm=0.05, epochs=4, learning_rate=1e-3), perturb=0.15),
    dict(name="gradclip-inactive-t32-h64", about="huge max_grad_norm: clipping never scales", t=32, h=64,
         dones="none", hp=dict(max_grad_norm=1e9, epochs=4), perturb=0.15),
    dict(name="all-done-t7-h8", about="every experience terminal: A = r - V; values track rewards, so "
         "explained_variance is far from 0", t=7, h=8, dones="all",
         hp=dict(gamma=0.9, gae_lambda=0.8, epochs=4), perturb=0.2, values_track_rewards=True),
    dict(name="logstd-upper-clamp-t32-h16", about="log_std from -0.001 pushed up by entropy bonus: clamp at 0",
         t=32, h=16, dones="some", hp=dict(entropy_coef=5.0, epochs=10, learning_rate=3e-3), perturb=0.15,
         log_std=-0.001),
    dict(name="logstd-lower-clamp-t32-h8", about="log_std near ln 0.01 pushed down: clamp at ln 0.01",
         t=32, h=8, dones="some", hp=dict(entropy_coef=-5.0, epochs=10, learning_rate=3e-3), perturb=0.02,
         log_std=LOG_STD_MIN + 0.001),
    dict(name="k1-td0-t32-h16", about="one epoch, lambda 0 (TD(0)), gamma 0.5", t=32, h=16, dones="none",
         hp=dict(epochs=1, gamma=0.5, gae_lambda=0.0), perturb=0.2),
    dict(name="t32-h8-mb10-lambda1", about="minibatches 10,10,10,2; lambda 1, gamma 1; adam_eps 1e-5",
         t=32, h=8, dones="some", hp=dict(minibatch_size=10, gamma=1.0, gae_lambda=1.0, adam_eps=1e-5,
                                          epochs=3, clip_epsilon=0.3), perturb=0.2),
    dict(name="single-step-t1-h16-nonorm-done", about="T=1 terminal, no normalisation", t=1, h=16,
         dones="all", hp=dict(normalize_advantages=False, epochs=10, learning_rate=1e-3), perturb=0.2),
    dict(name="t300-h16-whole-batch", about="large whole batch, default hyperparameters", t=300, h=16,
         dones="some", hp=dict(), perturb=0.2),
    dict(name="guard-overflow-t12-h8-mb4", about="one row has log_prob_old -1000 and A < 0: its ratio overflows and "
         "the loss is +inf, so its minibatch is skipped in every epoch while the others train",
         t=12, h=8, dones="some", hp=dict(minibatch_size=4, epochs=3), perturb=0.15, overflow_row=True),
]


def f32(x):
    """The float32 value as a Python float: repr gives the exact value back."""
    return float(x)


def tolist(t):
    return t.detach().to(torch.float32).tolist()


def plant_overflow(model, batch, hp):
    """Makes the first row with a negative advantage overflow exp(log ratio) to +inf, so that
    min(ratio A, clip(ratio) A) is -inf and the loss +inf: the guard must skip that row's minibatch."""
    adv, _ = gae(model, batch, hp)
    row = next(i for i in range(adv.shape[0]) if adv[i].item() < 0)
    batch["log_probs"][row] = -1000.0


def json_safe(steps):
    """JSON has no infinity or NaN: a skipped step's non-finite numbers are written as null."""
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in s.items()}
            for s in steps]


def blas_library():
    """The BLAS this process mapped. Debian's torch leaves matrix products to the system libblas.so.3, so
    the last bits of every number depend on it (reference BLAS vs OpenBLAS differ by ~1e-6)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.rstrip().split("/")[-1]}
    return ",".join(sorted(paths)) or "unknown"


def run_case(index, spec):
    seed = 1000 + index
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    hp = dict(DEFAULTS)
    hp.update(spec["hp"])
    model = ActorCritic(spec["h"])
    initialise(model, 0.3, bias_jitter=0.05)
    if "log_std" in spec:
        with torch.no_grad():
            model.log_std.fill_(spec["log_std"])
    batch = make_batch(model, spec["t"], spec["dones"], spec["perturb"], gen)
    if spec.get("values_track_rewards"):
        # A critic that has learnt something: with every step terminal, R = r, so V = r + noise.
        batch["values"] = batch["rewards"] + 0.3 * torch.randn(spec["t"], generator=gen)
    if spec.get("overflow_row"):
        plant_overflow(model, batch, hp)
    before = {n: tolist(p) for n, p in model.named_parameters()}
    log_std_before = tolist(model.log_std)
    model64 = copy.deepcopy(model).double()
    batch64 = {k: v.double() for k, v in batch.items()}
    margins = []
    steps, metrics, adv, returns = update(model, batch, hp, margins=margins)
    update(model64, batch64, hp)
    after = {n: tolist(p) for n, p in model.named_parameters()}
    case = {
        "description": spec["about"],
        "generator": {"script": "tools/reference/ppo_reference.py", "torch": torch.__version__,
                      "blas": blas_library()},
        "hyperparameters": hp,
        "parameters": {n: before[n] for n in PARAM_NAMES},
        "batch": {k: tolist(v) for k, v in batch.items()},
        "expected": {
            "parameters": {n: after[n] for n in PARAM_NAMES},
            "steps": json_safe(steps),
            "metrics": metrics,
            "advantages": tolist(adv),
            "returns": tolist(returns),
        },
    }
    mb = hp["minibatch_size"] or spec["t"]
    per_epoch = math.ceil(spec["t"] / mb)
    # The loss trend is judged on the steps that ran (a skipped one has an infinite loss).
    first_epoch = [s for s in steps[:per_epoch] if not s["skipped"]]
    last_epoch = [s for s in steps[-per_epoch:] if not s["skipped"]]
    summary = {
        "clip_first_epoch": sum(s["clip_fraction"] for s in first_epoch) / len(first_epoch),
        "clip_mean": metrics["clip_fraction"],
        "gradclip_steps": sum(1 for s in steps if s["grad_norm"] > hp["max_grad_norm"]),
        "skipped": metrics["skipped_steps"],
        "steps": len(steps),
        "clamp": clamp_binding(log_std_before, after["log_std"]),
        "normalised": ("on" if spec["t"] >= 2 else "skip") if hp["normalize_advantages"] else "off",
        "loss_first": sum(s["loss"] for s in first_epoch) / len(first_epoch),
        "loss_last": sum(s["loss"] for s in last_epoch) / len(last_epoch),
        "margin": min(margins),
        "f64_diff": float64_distance(model, model64),
    }
    return case, summary


def float64_distance(model, model64):
    """Largest |p32 - p64| over all parameters, relative to the tensor's largest magnitude: the rounding
    noise a float32 implementation can expect against this reference."""
    worst = 0.0
    p64 = dict(model64.named_parameters())
    for n, p in model.named_parameters():
        q = p64[n].detach()
        worst = max(worst, ((p.detach().double() - q).abs().max() / (q.abs().max() + 1e-30)).item())
    return worst


def hp_epochs(spec):
    return spec["hp"].get("epochs", DEFAULTS["epochs"])


def clamp_binding(before, after):
    lo, hi = f32(torch.tensor(LOG_STD_MIN)), 0.0
    hits = [("max" if v == hi else "min") for v in after if v in (lo, hi)]
    return ",".join(hits) if hits else "no"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "src", "test", "resources", "fixtures", "ppo"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=default_out, help="directory for the case files")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    decreasing = multi_epoch = 0
    print(f"{'case':40s} {'T':>4s} {'H':>3s} {'steps':>5s} {'clip1':>6s} {'clipm':>6s} {'gclip':>5s} "
          f"{'clamp':>8s} {'norm':>5s} {'skip':>4s} {'margin':>8s} {'f64diff':>8s} {'loss first->last epoch'}")
    for i, spec in enumerate(CASES, start=1):
        case, s = run_case(i, spec)
        path = os.path.join(args.out, f"{i:02d}-{spec['name']}.json")
        with open(path, "w") as f:
            json.dump(case, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        down = s["loss_last"] < s["loss_first"]
        decreasing += down
        multi_epoch += hp_epochs(spec) > 1
        print(f"{spec['name']:40s} {spec['t']:4d} {spec['h']:3d} {s['steps']:5d} {s['clip_first_epoch']:6.3f} "
              f"{s['clip_mean']:6.3f} {s['gradclip_steps']:5d} {s['clamp']:>8s} {s['normalised']:>5s} {s['skipped']:4d} {s['margin']:8.1e} {s['f64_diff']:8.1e} "
              f"{s['loss_first']:.5f} -> {s['loss_last']:.5f} {'down' if down else ('UP' if hp_epochs(spec) > 1 else 'one epoch')}")
    print(f"self-consistency: mean loss of the last epoch below the first in {decreasing}/{multi_epoch} "
          f"cases with more than one epoch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
