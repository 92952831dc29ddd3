"""Peak memory of a fit on a uint8 memory map: the stack is never copied whole.

    python benchmarks/memmap.py --data-home ../shared/data/mnist

Writes MNIST's training images as 28x28 uint8 pixels (their original
bytes), repeated to 200,000 images, into a memory-mapped ``.npy`` file, then
fits ``AutoencoderTransformer(z_dim=10, epochs=1, random_state=0)`` on the
first 2,000 of them and on all 200,000, each in a fresh interpreter whose
peak resident memory (VmHWM) is its own. A fit that copied the stack into
float32 would peak higher by the stack's float32 size; one that reads it
batch by batch peaks higher by much less (the pages of the file it read
count in the resident size too). Writes ``memmap.json`` and ``memmap.md``
into ``--out``, with the machine and commit. ``--quick`` fits 500 and 5,000
images, as the smoke test does.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
from _common import arguments, machine, mnist, write_results
from _fresh import memory_mb, run_fresh
from _markdown import results_page, summary_opening, table

MB = 2**20


def main(argv=None):
    parser = arguments(__doc__)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=200_000)
    args = parser.parse_args(argv)
    small, large = (500, 5_000) if args.quick else (args.small, args.large)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "images.npy"
        write_uint8_stack(path, mnist(args.data_home).images, large)
        runs = [
            run_fresh("memmap", "run", path=str(path), n=n, architecture="auto")
            for n in (small, large)
        ]
    report = {
        "machine": machine(),
        "image_shape": [28, 28],
        "float32_mb_of_large_stack": large * 28 * 28 * 4 / MB,
        "runs": runs,
    }
    write_results(args.out, "memmap", report, markdown(report))
    return report


def write_uint8_stack(path, images, n):
    """Write ``n`` images (``images`` repeated, as uint8 0-255) to a .npy file.

    ``images`` are MNIST's float32 pixels in [0, 1], their bytes divided by
    255: multiplying back restores the bytes exactly. Written a chunk at a
    time, so this process never holds the stack either.
    """
    stack = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.uint8, shape=(n, *images.shape[1:])
    )
    for start in range(0, n, len(images)):
        stop = min(n, start + len(images))
        stack[start:stop] = np.rint(images[: stop - start] * 255).astype(np.uint8)
    stack.flush()
    del stack


def run(path, n, architecture, batch_size="auto"):
    """Fit one epoch on the first ``n`` images of the uint8 memory map at
    ``path``; run in a fresh interpreter, so that its peak memory is its own.

    ``architecture`` is the estimator's: ``"auto"`` (the convolutional
    network, for the image stack) or ``"dense"`` (the rows flattened, which
    trains in a fraction of the time); ``batch_size`` is the estimator's too.
    """
    from skae import AutoencoderTransformer

    X = np.load(path, mmap_mode="r")[:n]
    if architecture == "dense":
        X = X.reshape(n, -1)  # a view: still the memory map
    before = memory_mb("VmHWM")
    model = AutoencoderTransformer(
        z_dim=10,
        epochs=1,
        architecture=architecture,
        batch_size=batch_size,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X)
    return {
        "n_images": n,
        "architecture": model.architecture_,
        "dtype": str(X.dtype),
        "is_memmap": isinstance(X, np.memmap),
        "uint8_mb": X.nbytes / MB,
        "fit_s": time.perf_counter() - start,
        "peak_mb_before_fit": before,
        "peak_mb": memory_mb("VmHWM"),
    }


def markdown(report):
    small, large = report["runs"]
    growth = large["peak_mb"] - small["peak_mb"]
    limit = report["float32_mb_of_large_stack"]
    header = "images | uint8 file MB | fit s | peak resident MB"
    rows = [
        [
            f"{r['n_images']:,}",
            f"{r['uint8_mb']:,.1f}",
            f"{r['fit_s']:.0f}",
            f"{r['peak_mb']:,.0f}",
        ]
        for r in report["runs"]
    ]
    below = "below" if growth < limit else "NOT below"
    verdict = (
        f"- {large['n_images']:,} images against {small['n_images']:,}: "
        f"{growth:+,.0f} MB of peak memory, {below} the {limit:,.0f} MB that a "
        f"float32 copy of the {large['n_images']:,} images would take by itself."
    )
    details = (
        f": {large['architecture']} network, 28x28 uint8 images in a memory-mapped "
        ".npy file, one epoch each, in a fresh interpreter"
    )
    return results_page(
        "A fit on a uint8 memory map",
        [
            *summary_opening(report["machine"], details),
            "",
            *table(header, rows),
            "",
            verdict,
        ],
    )


if __name__ == "__main__":
    main()
