"""partial_fit over a memory-mapped MNIST against fit, with peak memory.

    python benchmarks/streaming.py --data-home ../shared/data/mnist

Writes ``streaming.json`` and ``streaming.md`` into ``--out``, with the
machine and commit. ``--quick`` fits 2,000 images in memory and streams them
once in chunks of 500, and tests on 1,000, as the smoke test does.

Each run is a fresh interpreter whose peak resident memory (VmHWM) is
reported, and for streaming also the peak of its anonymous memory (RssAnon,
sampled after every chunk): the pages of a memory map that have been read
count in the resident size but belong to the page cache, which the kernel
reclaims at will. Streaming 60,000 and 120,000 images (MNIST twice) from a
memory-mapped .npy file in chunks of 5,000 should peak at the same
anonymous memory, and streaming for as many passes as ``fit`` has epochs
should reach a comparable test error.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
from _common import arguments, machine, mnist, write_results
from _fresh import memory_mb, run_fresh
from _markdown import results_page, summary_opening, table


def main(argv=None):
    parser = arguments(__doc__)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args(argv)
    X = mnist(args.data_home, "train", 2000 if args.quick else None).data
    with tempfile.TemporaryDirectory() as tmp:
        single, double = Path(tmp) / "single.npy", Path(tmp) / "double.npy"
        np.save(single, X)
        np.save(double, np.concatenate([X, X]))
        n = len(X)
        del X  # the runs read the files
        common = {
            "data_home": args.data_home,
            "chunk": 500 if args.quick else 5000,
            "n_test": 1000 if args.quick else 10_000,
        }
        runs = {}
        for name, case in cases(n, single, double, args).items():
            runs[name] = run_fresh("streaming", "run", **common, **case)
            print(name, runs[name], flush=True)
    report = {"machine": machine(), "runs": runs}
    write_results(args.out, "streaming", report, markdown(report))
    return report


def cases(n, single, double, args):
    """The runs by name: the arguments of :func:`run` for each."""
    passes = args.passes
    n, n_double = f"{n // 1000}k", f"{2 * n // 1000}k"
    in_memory = f"fit, {n} in memory, {passes} epochs"
    streamed_once = f"partial_fit, {n} memory-mapped, 1 pass"
    cases = {
        in_memory: {"path": str(single), "stream": False, "passes": passes},
        f"partial_fit, {n} memory-mapped, {passes} passes": {
            "path": str(single),
            "stream": True,
            "passes": passes,
        },
        streamed_once: {"path": str(single), "stream": True, "passes": 1},
        f"partial_fit, {n_double} memory-mapped, 1 pass": {
            "path": str(double),
            "stream": True,
            "passes": 1,
        },
    }
    if args.quick:  # one interpreter for each branch of run()
        return {name: cases[name] for name in (in_memory, streamed_once)}
    return cases


def run(path, stream, passes, chunk, data_home, n_test):
    """One fit, or ``passes`` of partial_fit over a memory map; run in a fresh
    interpreter, so that its peak memory is its own."""
    from skae import AutoencoderTransformer
    from skae.metrics import reconstruction_error

    X_test = mnist(data_home, "test", n_test).data
    model = AutoencoderTransformer(
        10,
        image_shape=(28, 28),
        random_state=0,
        epochs=passes,
        validation_fraction=0,
        early_stopping=False,
    )
    peak_anonymous = None
    start = time.perf_counter()
    if stream:
        X, peak_anonymous = np.load(path, mmap_mode="r"), 0
        for _ in range(passes):
            for first in range(0, len(X), chunk):
                model.partial_fit(X[first : first + chunk])
                peak_anonymous = max(peak_anonymous, memory_mb("RssAnon"))
    else:
        model.fit(np.load(path))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "test_mse": reconstruction_error(model, X_test),
        "peak_rss_mb": memory_mb("VmHWM"),
        "peak_anonymous_mb_while_streaming": peak_anonymous,
    }


def markdown(report):
    header = "run | seconds | test MSE | peak resident MB | peak anonymous MB"
    rows = [
        [
            name,
            f"{r['seconds']:.0f}",
            f"{r['test_mse']:.5f}",
            f"{r['peak_rss_mb']:.0f}",
            _mb(r["peak_anonymous_mb_while_streaming"]),
        ]
        for name, r in report["runs"].items()
    ]
    note = (
        "Each run is a fresh interpreter; the anonymous memory (RssAnon) is the "
        "resident size without the pages of the memory map, sampled after every "
        "chunk."
    )
    return results_page(
        "partial_fit from a memory map against fit, on MNIST",
        summary_opening(report["machine"]),
        table(header, rows),
        [note],
    )


def _mb(value):
    return "" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    main()
