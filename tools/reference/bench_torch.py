#!/usr/bin/python3
"""PyTorch baseline of the train-step latency: median wall time of one full PPO update (GAE, 4 epochs
over the whole batch, Adam) with the reference's own code, on one CPU thread.

    /usr/bin/python3 tools/reference/bench_torch.py [--batches 32,256,2048] [--hidden 64] [--seconds 3]

prints one JSON line per batch size: {"impl":"pytorch","batch":..,"hidden":..,"update_us":..,
"gae_us":..,"reps":..,"blas":..}. Debian's torch does its matrix products in whatever libblas.so.3 the
system selects: the netlib reference BLAS unless `apt-get install libopenblas0-pthread` switched it,
which changes the numbers for large batches several-fold; "blas" says which one ran. gae_us is the part of update_us spent in GAE (a Python loop over T, as PPO
implementations usually write it), so the rest can be compared on its own.
"""
import argparse
import json
import os
import statistics
import sys
import time

# One thread for the BLAS too: Debian's torch leaves its matrix products to the system libblas.so.3
# (the reference BLAS unless OpenBLAS is installed), and torch.set_num_threads does not reach OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppo_reference as ref  # noqa: E402  (the exact code the golden cases come from)


def measure(fn, seconds, min_reps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < min_reps or time.perf_counter() < deadline:
        t0 = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - t0) / 1000.0)
    return statistics.median(times), len(times)


def bench(batch_size, hidden, seconds, epochs=None):
    torch.manual_seed(batch_size)
    gen = torch.Generator().manual_seed(batch_size)
    model = ref.ActorCritic(hidden)
    ref.initialise(model, 0.3, bias_jitter=0.05)
    batch = ref.make_batch(model, batch_size, "some", 0.15, gen)
    hp = dict(ref.DEFAULTS)
    if epochs is not None:
        hp["epochs"] = epochs
    # Adam state carries over from update to update, as in the agent.
    optimizer = torch.optim.Adam(model.ordered_parameters(), lr=hp["learning_rate"], betas=ref.ADAM_BETAS,
                                 eps=hp["adam_eps"])
    update_us, reps = measure(lambda: ref.update(model, batch, hp, optimizer), seconds, 20, 10)
    gae_us, _ = measure(lambda: ref.gae(model, batch, hp), seconds / 3, 20, 5)
    return {"impl": "pytorch", "batch": batch_size, "hidden": hidden, "epochs": hp["epochs"], "update_us": round(update_us, 1),
            "gae_us": round(gae_us, 1), "reps": reps, "threads": torch.get_num_threads(),
            "torch": torch.__version__, "blas": ref.blas_library()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="32,256,2048")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=None, help="epochs per update (default: the reference's)")
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time per batch size")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for b in (int(x) for x in args.batches.split(",")):
        print(json.dumps(bench(b, args.hidden, args.seconds, args.epochs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
