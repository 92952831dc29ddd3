"""skae's performance benchmarks on real MNIST, in one run on one machine.

    python benchmarks/run_all.py --data-home ../shared/data/mnist --out benchmarks/results

Writes ``performance.json`` and ``performance.md`` into ``--out``:

- fit overhead: ``AutoencoderTransformer.fit`` against the same Keras model
  (the tutorial's preset, RMSprop 3e-4, batch 64) trained by hand with
  ``model.fit``, on the same data;
- time to quality: the tutorial's recipe against skae's defaults for equal
  epochs, at ``z_dim`` 2, 10 and 30, beside PCA;
- encode/decode throughput against PCA and against the Keras models called
  directly;
- peak resident memory of ``fit`` on full MNIST, beside the data's size;
- achieved training FLOP/s of the default model against the machine's peak.

``--quick`` runs everything on a small slice in a minute or two (the smoke
test does). Each timed fit runs in this process one after the other; run
nothing else on the machine meanwhile. Linux only: the CPU's model and clock
come from /proc/cpuinfo, and its peak from ``--flop-per-cycle``.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.metrics import reconstruction_error

TUTORIAL = {
    "architecture": "tutorial",
    "optimizer": "rmsprop",
    "learning_rate": 3e-4,
    "learning_rate_schedule": "constant",
    "batch_size": 64,
}


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def fit_overhead(X, epochs, repeats):
    """Seconds of our fit and of a hand-written model.fit, same model and data.

    Both run ``repeats`` times, interleaved, after one warm-up fit each (the
    first fit in a process pays for TensorFlow's start); the fastest run of
    each counts, as in :mod:`timeit`, since this machine's noise only ever
    adds time.
    """
    import keras

    from skae.architectures import tutorial_autoencoder

    def ours(X):
        AutoencoderTransformer(
            10,
            image_shape=(28, 28),
            epochs=epochs,
            validation_fraction=0,
            early_stopping=False,
            random_state=0,
            **TUTORIAL,
        ).fit(X)

    def by_hand(X):
        encoder, decoder = tutorial_autoencoder((28, 28, 1), 10, seed=0)
        inputs = keras.Input((28, 28, 1))
        model = keras.Model(inputs, decoder(encoder(inputs)))
        model.compile(keras.optimizers.RMSprop(3e-4), "mean_squared_error")
        images = X.reshape(-1, 28, 28, 1)
        model.fit(images, images, batch_size=64, epochs=epochs, shuffle=True, verbose=0)

    ours(X[:256]), by_hand(X[:256])
    skae_s, keras_s = [], []
    for _ in range(repeats):
        skae_s.append(timed(ours, X)[1])
        keras_s.append(timed(by_hand, X)[1])
    return {
        "epochs": epochs,
        "skae_fit_s": skae_s,
        "keras_fit_s": keras_s,
        "ratio": min(skae_s) / min(keras_s),
    }


def time_to_quality(X_train, X_test, z_dims, epochs, repeats):
    """Test MSE and fit seconds of PCA, the tutorial recipe and the defaults.

    At ``z_dim=10`` (the acceptance case) the two recipes are fitted
    ``repeats`` times, interleaved, and the fastest fit counts; seeded fits
    give the same model every time.
    """
    rows = []
    for z_dim in z_dims:
        pca, pca_seconds = timed(PCA(z_dim, random_state=0).fit, X_train)
        rows.append(
            {
                "recipe": "PCA",
                "z_dim": z_dim,
                "epochs": None,
                "test_mse": reconstruction_error(pca, X_test),
                "fit_s": [pca_seconds],
            }
        )
        recipes = {"tutorial": TUTORIAL, "skae defaults": {}}
        for recipe in recipes:
            rows.append({"recipe": recipe, "z_dim": z_dim, "fit_s": []})
        for _ in range(repeats if z_dim == 10 else 1):
            for row, params in zip(rows[-2:], recipes.values()):
                model = AutoencoderTransformer(
                    z_dim, image_shape=(28, 28), epochs=epochs, random_state=0, **params
                )
                row["fit_s"].append(timed(model.fit, X_train)[1])
                row["epochs"] = model.n_iter_
                row["test_mse"] = reconstruction_error(model, X_test)
                print(row, flush=True)
    return rows


def converged(X_train, X_test, z_dims, epochs):
    """The defaults trained for up to ``epochs`` epochs (early stopping on)."""
    rows = []
    for z_dim in z_dims:
        model = AutoencoderTransformer(
            z_dim, image_shape=(28, 28), epochs=epochs, random_state=0
        )
        _, seconds = timed(model.fit, X_train)
        mse = reconstruction_error(model, X_test)
        rows.append(
            {
                "z_dim": z_dim,
                "epochs": model.n_iter_,
                "minutes": seconds / 60,
                "test_mse": mse,
                "sse_per_image": mse * X_test.shape[1],
            }
        )
        print(rows[-1], flush=True)
    return rows


def throughput(X_train, X_test):
    """Images per second of transform and inverse_transform."""
    ae = AutoencoderTransformer(10, image_shape=(28, 28), epochs=1, random_state=0)
    ae.fit(X_train[:2000])
    pca = PCA(10).fit(X_train)
    Z = ae.transform(X_test)
    images = X_test.reshape(-1, 28, 28, 1)
    cases = {
        "skae transform": lambda: ae.transform(X_test),
        "skae inverse_transform": lambda: ae.inverse_transform(Z),
        "keras encoder_.predict": lambda: ae.encoder_.predict(
            images, batch_size=ae.batch_size, verbose=0
        ),
        "keras decoder_.predict": lambda: ae.decoder_.predict(
            Z, batch_size=ae.batch_size, verbose=0
        ),
        "PCA transform": lambda: pca.transform(X_test),
        "PCA inverse_transform": lambda: pca.inverse_transform(pca.transform(X_test)),
    }
    results = {}
    for name, call in cases.items():
        call()  # warm up: traced functions, caches
        _, seconds = timed(call)
        results[name] = len(X_test) / seconds
    return results


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across
# exec, so a child would report this (large) process's peak.
MEMORY_RUN = """
from skae import AutoencoderTransformer
from skae.datasets import load_mnist
def peak_mb():
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith("VmHWM")).split()[1]) / 1024
X = load_mnist(data_home={data_home!r}).data[:{n}]
before = peak_mb()
AutoencoderTransformer(10, image_shape=(28, 28), epochs=1, random_state=0).fit(X)
print(before, peak_mb())
"""


def memory(data_home, n):
    """Peak RSS before and after fit, for the full data and for 1,000 images."""
    results = {"data_mb": n * 784 * 4 / 2**20}
    for label, size in [("full", n), ("1000 images", 1000)]:
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_RUN.format(data_home=data_home, n=size)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        results[f"peak_rss_mb_after_loading ({label})"] = float(out[-2])
        results[f"peak_rss_mb_after_fit ({label})"] = float(out[-1])
    return results


def forward_flops(model):
    """Multiply-adds of Conv2D, Conv2DTranspose and Dense layers, times two."""
    import keras

    macs = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            macs += forward_flops(layer) / 2
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            kh, kw = layer.kernel_size
            in_channels = layer.input.shape[-1]
            out_h, out_w, out_c = layer.output.shape[1:]
            if isinstance(layer, keras.layers.Conv2DTranspose):
                out_h, out_w = layer.input.shape[1:3]
            macs += out_h * out_w * out_c * kh * kw * in_channels
        elif isinstance(layer, keras.layers.Dense):
            macs += layer.input.shape[-1] * layer.units
    return 2 * macs


def achieved_compute(X_train, epochs_seconds, n_train, flop_per_cycle):
    """Training FLOP/s of the default model (backward taken as twice forward).

    ``n_train`` is the number of images one epoch trains on; the epoch's time
    also holds the validation pass, so the figure is a slight underestimate.
    """
    ae = AutoencoderTransformer(10, image_shape=(28, 28), epochs=1, random_state=0)
    ae.fit(X_train[:256])
    per_image = forward_flops(ae.encoder_) + forward_flops(ae.decoder_)
    achieved = 3 * per_image * n_train / epochs_seconds
    ghz = _cpu_ghz()
    peak = os.cpu_count() * flop_per_cycle * ghz * 1e9
    return {
        "forward_mflop_per_image": per_image / 1e6,
        "achieved_gflops": achieved / 1e9,
        "peak_gflops": peak / 1e9,
        "share_of_peak": achieved / peak,
        "cpu_ghz": ghz,
    }


def _cpuinfo(field):
    """The first value of ``field`` in /proc/cpuinfo, or None if it lists none."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    return None


def _cpu_ghz():
    return float(_cpuinfo("cpu MHz")) / 1000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--repeats", type=int, default=2, help="timed runs of each fit compared"
    )
    parser.add_argument(
        "--converged-epochs",
        type=int,
        default=30,
        help="epoch budget of the converged-quality runs; 0 skips them",
    )
    parser.add_argument(
        "--flop-per-cycle",
        type=int,
        default=32,
        help="peak FP32 FLOP per cycle per core: 32 for two 256-bit FMA pipes "
        "(AMD Zen 4, Intel AVX2), 64 for two 512-bit ones (Intel AVX-512 server "
        "cores)",
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)

    train = load_mnist(data_home=args.data_home, subset="train")
    test = load_mnist(data_home=args.data_home, subset="test")
    n_train = 1_000 if args.quick else len(train.data)
    epochs = 1 if args.quick else args.epochs
    X_train, X_test = train.data[:n_train], test.data[: 500 if args.quick else None]
    z_dims = [10] if args.quick else [2, 10, 30]

    report = {
        "machine": {
            # platform.processor() is often empty or just "x86_64" on Linux.
            "cpu": _cpuinfo("model name") or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "n_train": n_train,
        "epochs": epochs,
    }
    repeats = 1 if args.quick else args.repeats
    report["fit_overhead"] = fit_overhead(X_train, 1, repeats + 1)
    print(report["fit_overhead"], flush=True)
    report["time_to_quality"] = time_to_quality(
        X_train, X_test, z_dims, epochs, repeats
    )
    default_10 = next(
        r
        for r in report["time_to_quality"]
        if r["recipe"] == "skae defaults" and r["z_dim"] == 10
    )
    n_fitted = n_train - int(np.ceil(0.1 * n_train))  # the default validation split
    report["achieved_compute"] = achieved_compute(
        X_train,
        min(default_10["fit_s"]) / default_10["epochs"],
        n_fitted,
        args.flop_per_cycle,
    )
    report["throughput_images_per_s"] = throughput(X_train, X_test)
    report["memory"] = memory(args.data_home, n_train)
    if args.converged_epochs:
        report["converged"] = converged(
            X_train,
            X_test,
            [10] if args.quick else [10, 30],
            2 if args.quick else args.converged_epochs,
        )
    report["peak_rss_mb_this_process"] = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "performance.json").write_text(json.dumps(report, indent=2))
    (out / "performance.md").write_text(_markdown(report))
    print(_markdown(report))


def _markdown(report):
    lines = [
        "# skae performance on MNIST",
        "",
        f"Machine: {report['machine']}; {report['n_train']} training images.",
        "",
        "## Fit overhead (tutorial preset, RMSprop 3e-4, batch 64)",
        "",
        (
            f"{report['fit_overhead']['epochs']} epoch, no validation split; "
            "each run in seconds, the ratio of the fastest runs."
        ),
        "",
        "| skae fit s | Keras model.fit s | ratio |",
        "| --- | --- | --- |",
    ]
    f = report["fit_overhead"]
    lines.append(
        f"| {_seconds(f['skae_fit_s'])} | {_seconds(f['keras_fit_s'])} | "
        f"{f['ratio']:.3f} |"
    )
    lines += [
        "",
        f"## Time to quality ({report['epochs']} epochs)",
        "",
        "| recipe | z_dim | epochs | test MSE | fit s (each run) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in report["time_to_quality"]:
        lines.append(
            f"| {r['recipe']} | {r['z_dim']} | {r['epochs'] or ''} | "
            f"{r['test_mse']:.5f} | {_seconds(r['fit_s'])} |"
        )
    lines += [
        "",
        "## Throughput (images per second, 10,000 test images)",
        "",
        "| call | images/s |",
        "| --- | --- |",
    ]
    lines += [
        f"| {k} | {v:,.0f} |" for k, v in report["throughput_images_per_s"].items()
    ]
    lines += ["", "## Memory", "", "| | MB |", "| --- | --- |"]
    lines += [f"| {k} | {v:.0f} |" for k, v in report["memory"].items()]
    if "converged" in report:
        lines += [
            "",
            "## Converged quality (skae defaults, early stopping on)",
            "",
            "| z_dim | epochs | minutes | test MSE | SSE per image |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r['z_dim']} | {r['epochs']} | {r['minutes']:.1f} | "
            f"{r['test_mse']:.5f} | {r['sse_per_image']:.2f} |"
            for r in report["converged"]
        ]
    c = report["achieved_compute"]
    lines += [
        "",
        "## Achieved compute (default model, training)",
        "",
        (
            f"{c['forward_mflop_per_image']:.1f} MFLOP per image forward; "
            f"{c['achieved_gflops']:.1f} GFLOP/s achieved against a peak of "
            f"{c['peak_gflops']:.0f} GFLOP/s ({c['share_of_peak']:.1%})."
        ),
        "",
    ]
    return "\n".join(lines)


def _seconds(runs):
    return ", ".join(f"{s:.1f}" for s in runs)


if __name__ == "__main__":
    main()
