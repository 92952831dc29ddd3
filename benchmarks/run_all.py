"""skae's time to quality on real MNIST, in one run on one machine.

    python benchmarks/run_all.py --data-home ../shared/data/mnist

Writes ``performance.json``, ``performance.md`` and ``time_to_quality.png``
into ``--out`` (``benchmarks/results``). Time is counted in *tutorial
epochs*: the seconds of one epoch of the reference tutorial's recipe (its
network, RMSprop 3e-4, batch 64, float32, trained by hand with Keras's
``model.fit`` on the 60,000 training images), the fastest of two measured
in this process, so that figures compare across machines. Measured:

- the tutorial recipe, 10 epochs, test MSE after each (the time unit comes
  from its first two);
- ``AutoencoderTransformer(z_dim, random_state=0).fit(images)`` with every
  other parameter at its default, at z_dim 2, 10 and 30, test MSE after
  each epoch (evaluations excluded from the time);
- the same at z_dim 10 with ``compute_dtype="float32"`` (bfloat16's cost);
- the previous release's defaults (random start, sigmoid output, float32, a
  cosine planned over 100 epochs), their first 10 epochs;
- PCA; fit overhead against the same network trained by hand; throughput;
  peak memory of a default fit in a fresh interpreter.

``--quick`` runs everything on a small slice in a minute or two (the smoke
test does). Run nothing else on the machine meanwhile.
"""

import json
import time
from functools import partial
from pathlib import Path

import numpy as np
from _common import arguments, machine, mnist, mnist_train_test, write_results
from _fresh import memory_mb, run_fresh
from _markdown import results_page, summary_opening, table
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error

PREVIOUS_DEFAULTS = {
    "init": "random",
    "output_activation": "sigmoid",
    "compute_dtype": "float32",
    "batch_size": 128,
    "epochs": 100,
}


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def _test_mse(predict, X_test):
    reconstructed = predict(X_test.reshape(-1, 28, 28, 1)).reshape(len(X_test), -1)
    return float(np.mean((np.clip(reconstructed, 0, 1) - X_test) ** 2))


def _curve_callback(X_test, stop_after=None):
    """Test MSE after every epoch; the time it takes is kept apart."""
    import keras

    class Curve(keras.callbacks.Callback):
        """Set ``start`` just before ``fit``: the curve counts its set-up too."""

        start, excluded, points = None, 0.0, []

        def on_epoch_end(self, epoch, logs=None):
            evaluation = time.perf_counter()
            elapsed = evaluation - self.start - self.excluded
            mse = _test_mse(
                lambda x: self.model.predict(x, batch_size=500, verbose=0), X_test
            )
            self.excluded += time.perf_counter() - evaluation
            self.points.append((elapsed, mse))
            if stop_after is not None and epoch + 1 >= stop_after:
                self.model.stop_training = True

    curve = Curve()
    curve.points = []
    return curve


def tutorial_model():
    """The tutorial's network, compiled with its optimizer, in plain Keras."""
    import keras

    from skae.architectures import tutorial_autoencoder

    encoder, decoder = tutorial_autoencoder((28, 28, 1), 10, seed=0)
    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, decoder(encoder(inputs)))
    model.compile(keras.optimizers.RMSprop(3e-4), "mean_squared_error")
    return model


class TutorialClock:
    """The unit of fit times: an epoch of the tutorial's recipe in plain
    Keras on ``images``, timed at each ``tick``. A shared machine's speed
    drifts (one epoch can take twice as long as the one before it): tick
    between the fits being timed, and take the fastest epoch as the unit,
    the one that makes the fits look slowest."""

    def __init__(self, images):
        self.images = images.reshape(-1, 28, 28, 1)
        self.model = tutorial_model()
        self.model.fit(self.images[:256], self.images[:256], batch_size=64, verbose=0)
        self.seconds = []

    def tick(self):
        fit = partial(self.model.fit, self.images, self.images, batch_size=64, verbose=0)
        self.seconds.append(timed(fit)[1])


def tutorial_by_hand(X_train, X_test, epochs):
    """The tutorial's recipe in plain Keras: seconds per epoch and its curve."""
    clock = TutorialClock(X_train)
    predict = partial(clock.model.predict, verbose=0)
    points = []
    for _ in range(epochs):
        clock.tick()
        points.append((sum(clock.seconds), _test_mse(predict, X_test)))
    return {"epoch_s": clock.seconds, "curve": points}


def skae_fit(X_train, X_test, z_dim, stop_after=None, **params):
    """A timed fit on the (n, 28, 28) stack; its test MSE and curve."""
    images = X_train.reshape(-1, 28, 28)
    curve = _curve_callback(X_test, stop_after)
    model = AutoencoderTransformer(z_dim, random_state=0, callbacks=[curve], **params)
    curve.start = time.perf_counter()
    _, seconds = timed(model.fit, images)
    row = {
        "z_dim": z_dim,
        "params": {k: v for k, v in params.items()},
        "fit_s": seconds - curve.excluded,
        "epochs": model.n_iter_,
        "max_epochs": model.max_epochs_,
        "best_epoch": model.best_epoch_,
        "batch_size": model.batch_size_,
        "compute_dtype": model.compute_dtype_,
        "test_mse": reconstruction_error(model, X_test),
        "curve": curve.points,
    }
    row["sse_per_image"] = row["test_mse"] * 784
    print({k: v for k, v in row.items() if k != "curve"}, flush=True)
    return row


def fit_overhead(X, repeats):
    """skae's fit against the same network trained by hand with model.fit.

    The tutorial's network as a callable architecture, 1 epoch, no
    validation split, no early stopping; both interleaved ``repeats``
    times after a warm-up, the fastest of each compared.
    """
    from skae.architectures import tutorial_autoencoder

    def ours(X):
        AutoencoderTransformer(
            10,
            image_shape=(28, 28),
            architecture=partial(tutorial_autoencoder, seed=0),
            optimizer="rmsprop",
            learning_rate=3e-4,
            learning_rate_schedule="constant",
            batch_size=64,
            epochs=1,
            validation_fraction=0,
            early_stopping=False,
            random_state=0,
        ).fit(X)

    def by_hand(X):
        model = tutorial_model()
        images = X.reshape(-1, 28, 28, 1)
        model.fit(images, images, batch_size=64, epochs=1, shuffle=True, verbose=0)

    ours(X[:256]), by_hand(X[:256])
    skae_s, keras_s = [], []
    for _ in range(repeats):
        skae_s.append(timed(ours, X)[1])
        keras_s.append(timed(by_hand, X)[1])
    return {
        "n_images": len(X),
        "skae_fit_s": skae_s,
        "keras_fit_s": keras_s,
        "ratio": min(skae_s) / min(keras_s),
    }


def throughput(X_train, X_test):
    """Images per second of transform and inverse_transform, best of 3 calls."""
    ae = AutoencoderTransformer(10, image_shape=(28, 28), epochs=1, random_state=0)
    ae.fit(X_train[:2000])
    pca = PCA(10).fit(X_train)
    Z = ae.transform(X_test)
    images = X_test.reshape(-1, 28, 28, 1)
    cases = {
        "skae transform": lambda: ae.transform(X_test),
        "skae inverse_transform": lambda: ae.inverse_transform(Z),
        "keras encoder_.predict": lambda: ae.encoder_.predict(
            images, batch_size=ae.batch_size_, verbose=0
        ),
        "keras decoder_.predict": lambda: ae.decoder_.predict(
            Z, batch_size=ae.batch_size_, verbose=0
        ),
        "PCA transform": lambda: pca.transform(X_test),
        "PCA inverse_transform": lambda: pca.inverse_transform(pca.transform(X_test)),
    }
    results = {}
    for name, call in cases.items():
        call()  # warm up: traced functions, caches
        results[name] = len(X_test) / min(timed(call)[1] for _ in range(3))
    return results


def memory(data_home, n):
    """Peak RSS of a default fit (1 epoch) in a fresh interpreter, and of 1,000 images."""
    results = {"data_mb": n * 784 * 4 / 2**20}
    for label, size in [("full", n), ("1000 images", 1000)]:
        peaks = run_fresh("run_all", "fit_memory", data_home=data_home, n=size)
        results[f"peak_rss_mb_after_loading ({label})"] = peaks["after_loading"]
        results[f"peak_rss_mb_after_fit ({label})"] = peaks["after_fit"]
    return results


def fit_memory(data_home, n):
    """Peak resident memory after loading ``n`` images, and after a default fit
    of one epoch on them; in a fresh interpreter, so that the peaks are its own."""
    X = mnist(data_home, "train", n).images
    after_loading = memory_mb("VmHWM")
    AutoencoderTransformer(10, epochs=1, random_state=0).fit(X)
    return {"after_loading": after_loading, "after_fit": memory_mb("VmHWM")}


def main(argv=None):
    parser = arguments(__doc__)
    parser.add_argument(
        "--render",
        metavar="JSON",
        help="only rewrite the markdown and the figure from a performance.json",
    )
    args = parser.parse_args(argv)
    report = read(args.render) if args.render else measure(args)
    write_results(args.out, "performance", report, markdown(report))
    figure(report).savefig(Path(args.out) / "time_to_quality.png", dpi=110)
    return report


def read(path):
    """A performance.json as :func:`measure` made it (JSON keys are strings)."""
    report = json.loads(Path(path).read_text())
    report["pca"] = {int(z): mse for z, mse in report["pca"].items()}
    return report


def measure(args):
    train, test = mnist_train_test(args.data_home, args.quick)
    X_train, X_test = train.data, test.data
    n_train = len(X_train)
    z_dims = [10] if args.quick else [2, 10, 30]
    epochs = 2 if args.quick else 10

    report = {"machine": machine(), "n_train": n_train, "n_test": len(X_test)}
    tutorial = tutorial_by_hand(X_train, X_test, epochs)
    unit = min(tutorial["epoch_s"][:2])
    report["tutorial_epoch_s"] = unit
    report["tutorial"] = tutorial
    print("tutorial epoch", unit, flush=True)
    report["pca"] = {
        z: reconstruction_error(PCA(z, random_state=0).fit(X_train), X_test)
        for z in (2, 10, 30)
    }
    quick = {"epochs": 2} if args.quick else {}
    report["defaults"] = [skae_fit(X_train, X_test, z, **quick) for z in z_dims]
    report["defaults_float32"] = skae_fit(
        X_train, X_test, 10, compute_dtype="float32", **quick
    )
    report["previous_defaults"] = skae_fit(
        X_train,
        X_test,
        10,
        stop_after=epochs,
        **{**PREVIOUS_DEFAULTS, **({"epochs": 2} if args.quick else {})},
    )
    report["fit_overhead"] = fit_overhead(X_train[:20_000], 2 if args.quick else 3)
    print(report["fit_overhead"], flush=True)
    report["throughput_images_per_s"] = throughput(X_train, X_test)
    report["memory"] = memory(args.data_home, n_train)
    for row in [*report["defaults"], report["defaults_float32"]]:
        row["fit_tutorial_epochs"] = row["fit_s"] / unit
    report["previous_defaults"]["fit_tutorial_epochs"] = (
        report["previous_defaults"]["fit_s"] / unit
    )
    return report


def markdown(report):
    pca = report["pca"]
    header = (
        "recipe | z_dim | test MSE | PCA | PCA / skae | fit s | "
        "tutorial epochs | epochs run (budget, kept) | batch | dtype"
    )
    fits = [("defaults", r) for r in report["defaults"]]
    fits.append(("defaults, float32", report["defaults_float32"]))
    rows = [
        [
            name,
            r["z_dim"],
            f"{r['test_mse']:.5f}",
            f"{pca[r['z_dim']]:.4f}",
            f"{pca[r['z_dim']] / r['test_mse']:.2f}",
            f"{r['fit_s']:.0f}",
            f"{r['fit_tutorial_epochs']:.1f}",
            f"{r['epochs']} ({r['max_epochs']}, {r['best_epoch']})",
            r["batch_size"],
            r["compute_dtype"],
        ]
        for name, r in fits
    ]
    previous, tutorial = report["previous_defaults"], report["tutorial"]
    f = report["fit_overhead"]
    overhead = [
        _seconds(f["skae_fit_s"]),
        _seconds(f["keras_fit_s"]),
        f"{f['ratio']:.3f}",
    ]
    throughput = report["throughput_images_per_s"]
    return results_page(
        "skae time to quality on MNIST",
        summary(report),
        ["## Default fits", "", *table(header, rows)],
        [
            "## Curves (test MSE after each epoch, seconds of training)",
            "",
            f"- tutorial recipe by hand: {_points(tutorial['curve'])}",
            f"- previous defaults, z_dim=10: {_points(previous['curve'])}",
            *(
                f"- defaults, z_dim={r['z_dim']}: {_points(r['curve'])}"
                for r in report["defaults"]
            ),
        ],
        [
            "## Fit overhead (the tutorial's network as a callable, 1 epoch)",
            "",
            (
                f"{f['n_images']} images, no validation split; each run in "
                "seconds, the ratio of the fastest runs."
            ),
            "",
            *table("skae fit s | Keras model.fit s | ratio", [overhead]),
        ],
        [
            "## Throughput (images per second, best of 3 calls)",
            "",
            *table(
                "call | images/s", [[k, f"{v:,.0f}"] for k, v in throughput.items()]
            ),
        ],
        [
            "## Memory of a default fit (1 epoch)",
            "",
            *table(" | MB", [[k, f"{v:.0f}"] for k, v in report["memory"].items()]),
        ],
    )


def summary(report):
    """The lines the README quotes word for word (a test keeps them equal)."""
    unit = report["tutorial_epoch_s"]
    pca = report["pca"]
    tutorial = report["tutorial"]
    tutorial_s, tutorial_mse = tutorial["curve"][-1]
    header = (
        "z_dim | PCA test MSE | skae default fit: test MSE | PCA / skae | "
        "fit time, tutorial epochs | fit s | epochs run (kept)"
    )
    rows = [
        [
            r["z_dim"],
            f"{pca[r['z_dim']]:.4f}",
            f"{r['test_mse']:.5f}",
            f"{pca[r['z_dim']] / r['test_mse']:.2f}",
            f"{r['fit_tutorial_epochs']:.1f}",
            f"{r['fit_s']:.0f}",
            f"{r['epochs']} ({r['best_epoch']})",
        ]
        for r in report["defaults"]
    ]
    default_10 = next(r for r in report["defaults"] if r["z_dim"] == 10)
    full = report["defaults_float32"]
    overhead = report["fit_overhead"]
    peak = report["memory"]["peak_rss_mb_after_fit (full)"]
    return [
        *summary_opening(
            report["machine"],
            f": {report['n_train']:,} training images, {report['n_test']:,} test images",
        ),
        "",
        *table(header, rows),
        "",
        (
            f"- One tutorial epoch took {unit:.1f} s. The tutorial's recipe reached "
            f"{tutorial_mse:.4f} at z_dim=10 after {len(tutorial['curve'])} epochs "
            f"({tutorial_s / unit:.1f} tutorial epochs); skae's default fit "
            f"reached {default_10['test_mse']:.5f} in "
            f"{default_10['fit_tutorial_epochs']:.1f}."
        ),
        (
            f"- bfloat16 against float32 at z_dim=10: test MSE "
            f"{default_10['test_mse']:.5f} against {full['test_mse']:.5f}, fit "
            f"{default_10['fit_s']:.0f} s against {full['fit_s']:.0f} s "
            f"({default_10['compute_dtype']} chosen here)."
        ),
        (
            f"- Fit overhead against the same network trained by hand with "
            f"`model.fit` (1 epoch, {overhead['n_images']:,} images, fastest of "
            f"{len(overhead['skae_fit_s'])} runs each): {overhead['ratio']:.3f}."
        ),
        (
            f"- Peak resident memory of a default fit on {report['n_train']:,} "
            f"images, in a fresh interpreter: {peak:,.0f} MB."
        ),
    ]


def _points(curve):
    return ", ".join(f"{mse:.4f} at {s:.0f} s" for s, mse in curve)


def _seconds(runs):
    return ", ".join(f"{s:.1f}" for s in runs)


def figure(report):
    """Test MSE against wall time in tutorial epochs, PCA as a line."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unit = report["tutorial_epoch_s"]
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    curves = [
        ("tutorial recipe (Keras by hand)", report["tutorial"]["curve"], "tab:gray"),
        (
            "previous defaults (random start, float32)",
            report["previous_defaults"]["curve"],
            "tab:orange",
        ),
    ]
    default_10 = next(r for r in report["defaults"] if r["z_dim"] == 10)
    curves.append(("skae defaults", default_10["curve"], "tab:blue"))
    for label, curve, colour in curves:
        seconds, mse = np.array(curve).T
        ax.plot(seconds / unit, mse, marker="o", ms=3, label=label, color=colour)
    ax.scatter(
        [default_10["fit_tutorial_epochs"]],
        [default_10["test_mse"]],
        marker="*",
        s=150,
        color="tab:blue",
        zorder=3,
        label=f"default fit ends: {default_10['test_mse']:.4f}",
    )
    ax.axhline(report["pca"][10], color="black", ls="--", lw=1, label="PCA")
    ax.set_xlim(left=0)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.set_xlabel("wall time, in epochs of the tutorial's recipe")
    ax.set_ylabel("test MSE per pixel, z_dim=10")
    cores = report["machine"]["cores"]
    ax.set_title(
        f"Time to quality on MNIST ({report['n_train']:,} training images, "
        f"{cores} CPU cores)"
    )
    ax.legend()
    return fig


if __name__ == "__main__":
    main()
