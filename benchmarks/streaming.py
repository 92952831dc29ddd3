"""partial_fit over a memory-mapped MNIST against fit, with peak memory.

    python benchmarks/streaming.py --data-home ../shared/data/mnist

Writes ``streaming.json`` into ``--out``, with the machine and commit.
``--quick`` fits 2,000 images in memory and streams them once in chunks of
500, and tests on 1,000, as the smoke test does.

Each run is a fresh interpreter whose peak resident memory (ru_maxrss) is
reported, and for streaming also the peak of its anonymous memory (RssAnon,
sampled after every chunk): the pages of a memory map that have been read
count in the resident size but belong to the page cache, which the kernel
reclaims at will. Streaming 60,000 and 120,000 images (MNIST twice) from a
memory-mapped .npy file in chunks of 5,000 should peak at the same
anonymous memory,
and streaming for as many passes as ``fit`` has epochs should reach a
comparable test error.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from _common import machine

RUN = """
import json, resource, time
import numpy as np
from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.metrics import reconstruction_error
X_test = load_mnist(data_home={data_home!r}, subset="test").data[:{n_test}]
ae = AutoencoderTransformer(10, image_shape=(28, 28), random_state=0,
                            epochs={passes}, validation_fraction=0, early_stopping=False)
def anonymous_mb():
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("RssAnon"))
    return int(line.split()[1]) / 1024
peak_anonymous = 0
start = time.perf_counter()
if {stream}:
    X = np.load({path!r}, mmap_mode="r")
    for _ in range({passes}):
        for i in range(0, len(X), {chunk}):
            ae.partial_fit(X[i:i + {chunk}])
            peak_anonymous = max(peak_anonymous, anonymous_mb())
else:
    ae.fit(np.load({path!r}))
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "test_mse": reconstruction_error(ae, X_test),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "peak_anonymous_mb_while_streaming": peak_anonymous or None}}))
"""


def run(**kwargs):
    out = subprocess.run(
        [sys.executable, "-c", RUN.format(**kwargs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", required=True)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    from skae.datasets import load_mnist

    X = load_mnist(data_home=args.data_home).data
    if args.quick:
        X = X[:2000]
    n, n_double = f"{len(X) // 1000}k", f"{2 * len(X) // 1000}k"
    results = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        single, double = Path(tmp) / "single.npy", Path(tmp) / "double.npy"
        np.save(single, X)
        np.save(double, np.concatenate([X, X]))
        del X
        common = {
            "data_home": args.data_home,
            "chunk": 500 if args.quick else 5000,
            "n_test": 1000 if args.quick else 10_000,
        }
        cases = {
            f"fit, {n} in memory, {args.passes} epochs": {
                "path": str(single),
                "stream": False,
                "passes": args.passes,
            },
            f"partial_fit, {n} memory-mapped, {args.passes} passes": {
                "path": str(single),
                "stream": True,
                "passes": args.passes,
            },
            f"partial_fit, {n} memory-mapped, 1 pass": {
                "path": str(single),
                "stream": True,
                "passes": 1,
            },
            f"partial_fit, {n_double} memory-mapped, 1 pass": {
                "path": str(double),
                "stream": True,
                "passes": 1,
            },
        }
        if args.quick:  # one interpreter for each branch of RUN
            in_memory, _, streamed_once, _ = cases
            cases = {name: cases[name] for name in (in_memory, streamed_once)}
        for name, case in cases.items():
            results[name] = run(**common, **case)
            print(name, results[name], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "streaming.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
