"""The default fit on MNIST under each Keras backend: TensorFlow, JAX, PyTorch.

    python benchmarks/backends.py --data-home ../shared/data/mnist

Each backend runs in a fresh interpreter (``KERAS_BACKEND`` is read when
Keras is first imported) one default fit,
``AutoencoderTransformer(10, random_state=0).fit(images)``, timing each of
its epochs, the whole fit, and the test MSE it reaches. Backends that are
not installed are reported as such. Writes ``backends.json`` and
``backends.md`` into ``--out``, with the machine and commit. ``--quick``
fits 2,000 images for 2 epochs, as the smoke test does.
"""

import importlib.util
import statistics
import time

import keras
from _common import arguments, machine, mnist, write_results
from _fresh import run_fresh
from _markdown import results_page, summary_opening, table

BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def main(argv=None):
    parser = arguments(__doc__)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    args = parser.parse_args(argv)
    report = {"machine": machine(), "runs": []}
    for backend in args.backends:
        report["runs"].append(run(backend, args.data_home, args.quick))
        print(report["runs"][-1], flush=True)
    write_results(args.out, "backends", report, markdown(report))
    return report


def run(backend, data_home, quick):
    if importlib.util.find_spec(BACKENDS[backend]) is None:
        return {"backend": backend, "not installed": True}
    return run_fresh(
        "backends",
        "default_fit",
        env={"KERAS_BACKEND": backend},
        data_home=data_home,
        n_train=2000 if quick else None,
        n_test=500 if quick else None,
        params={"epochs": 2} if quick else {},
    )


def default_fit(data_home, n_train, n_test, params):
    """A warm-up, then the timed default fit; in a fresh interpreter, as
    Keras reads ``KERAS_BACKEND`` when it is first imported."""
    from skae import AutoencoderTransformer
    from skae.metrics import reconstruction_error

    train = mnist(data_home, "train", n_train).images
    test = mnist(data_home, "test", n_test).images
    AutoencoderTransformer(10, epochs=1, random_state=0).fit(train[:512])  # warm-up
    epochs = EpochTimes()
    model = AutoencoderTransformer(10, random_state=0, callbacks=[epochs], **params)
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    return {
        "backend": keras.backend.backend(),
        "fit_s": seconds,
        "epoch_s": epochs.seconds,
        "epochs": model.n_iter_,
        "compute_dtype": model.compute_dtype_,
        "test_mse": reconstruction_error(model, test),
    }


class EpochTimes(keras.callbacks.Callback):
    """The seconds of each epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def markdown(report):
    header = "backend | compute dtype | median epoch s | fit s | epochs | test MSE"
    rows = []
    for r in report["runs"]:
        if r.get("not installed"):
            rows.append([r["backend"], "not installed", "", "", "", ""])
            continue
        # The middle of an even count of epochs is the mean of the two middle ones.
        median = statistics.median(r["epoch_s"])
        rows.append(
            [
                r["backend"],
                r["compute_dtype"],
                f"{median:.1f}",
                f"{r['fit_s']:.0f}",
                r["epochs"],
                f"{r['test_mse']:.5f}",
            ]
        )
    ran = [r for r in report["runs"] if not r.get("not installed")]
    comparison = []
    if len(ran) > 1:
        fastest = min(ran, key=lambda r: r["fit_s"])
        slowest = max(ran, key=lambda r: r["fit_s"])
        speed = slowest["fit_s"] / fastest["fit_s"]
        sentence = (
            f"Fastest default fit on this machine: {fastest['backend']}, "
            f"{speed:.2f}x faster than {slowest['backend']}."
        )
        comparison = [[sentence]]
    return results_page(
        "The default fit under each Keras backend",
        summary_opening(report["machine"]),
        table(header, rows),
        *comparison,
    )


if __name__ == "__main__":
    main()
