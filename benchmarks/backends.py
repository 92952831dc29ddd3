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

import argparse
import importlib.util
import json
import os
import subprocess
import sys

from _common import describe, machine, write_results

BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}

RUN = """
import json, time
import keras
from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.metrics import reconstruction_error

class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)

train = load_mnist(data_home={data_home!r}, subset="train").images[:{n_train}]
test = load_mnist(data_home={data_home!r}, subset="test").images[:{n_test}]
AutoencoderTransformer(10, epochs=1, random_state=0).fit(train[:512])  # warm-up
epochs = EpochTimes()
model = AutoencoderTransformer(10, random_state=0, callbacks=[epochs], **{params!r})
start = time.perf_counter()
model.fit(train)
seconds = time.perf_counter() - start
print(json.dumps({{
    "backend": keras.backend.backend(),
    "fit_s": seconds,
    "epoch_s": epochs.seconds,
    "epochs": model.n_iter_,
    "compute_dtype": model.compute_dtype_,
    "test_mse": reconstruction_error(model, test),
}}))
"""


def run(backend, data_home, quick):
    if importlib.util.find_spec(BACKENDS[backend]) is None:
        return {"backend": backend, "not installed": True}
    code = RUN.format(
        data_home=data_home,
        n_train=2000 if quick else 60000,
        n_test=500 if quick else 10000,
        params={"epochs": 2} if quick else {},
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    report = {"machine": machine(), "runs": []}
    for backend in args.backends:
        report["runs"].append(run(backend, args.data_home, args.quick))
        print(report["runs"][-1], flush=True)
    write_results(args.out, "backends", report, markdown(report))
    return report


def markdown(report):
    lines = [
        "# The default fit under each Keras backend",
        "",
        "## Summary",
        "",
        f"Measured on {describe(report['machine'])}.",
        "",
        "| backend | compute dtype | median epoch s | fit s | epochs | test MSE |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["runs"]:
        if r.get("not installed"):
            lines.append(f"| {r['backend']} | not installed | | | | |")
            continue
        median = sorted(r["epoch_s"])[len(r["epoch_s"]) // 2]
        lines.append(
            f"| {r['backend']} | {r['compute_dtype']} | {median:.1f} "
            f"| {r['fit_s']:.0f} | {r['epochs']} | {r['test_mse']:.5f} |"
        )
    ran = [r for r in report["runs"] if not r.get("not installed")]
    if len(ran) > 1:
        fastest = min(ran, key=lambda r: r["fit_s"])
        slowest = max(ran, key=lambda r: r["fit_s"])
        lines += [
            "",
            f"Fastest default fit on this machine: {fastest['backend']}, "
            f"{slowest['fit_s'] / fastest['fit_s']:.2f}x faster than "
            f"{slowest['backend']}.",
        ]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
