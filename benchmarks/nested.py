"""One nested fit against a plain fit per latent size, on real MNIST.

    python benchmarks/nested.py --data-home ../shared/data/mnist

Measures in one process, on the 60,000 training and 10,000 test images:
the reference tutorial's epoch (the unit of time, as in run_all.py); one
``AutoencoderTransformer(30, nested=True, random_state=0)`` default fit and
the test MSE of its first k codes for every k from 1 to 30; a plain default
fit at each z_dim in {2, 5, 10, 20, 30} (the one at 30 twice, before and
after the others, so that the time ratio is between neighbours); PCA at
every k; and ``skae compare --dataset mnist`` end to end, in a fresh
interpreter. Writes ``nested.json`` and ``nested.md`` into ``--out``.
``--quick`` runs on 1,000 training and 500 test images, two epochs a fit.
Run nothing else on the machine meanwhile.
"""

import subprocess
import sys
import tempfile
import time

import numpy as np
from _common import arguments, machine, mnist_train_test, write_results
from _markdown import results_page, summary_opening, table
from run_all import timed, tutorial_by_hand
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error, reconstruction_error_curve

SIZES = (2, 5, 10, 20, 30)


def default_fit(images, X_test, z_dim, epochs, **params):
    """A default fit's seconds, epochs and test MSE of the first k codes, every k."""
    model = AutoencoderTransformer(z_dim, epochs=epochs, random_state=0, **params)
    _, seconds = timed(model.fit, images)
    row = {
        "z_dim": z_dim,
        "params": params,
        "fit_s": seconds,
        "epochs": model.n_iter_,
        "best_epoch": model.best_epoch_,
        "compute_dtype": model.compute_dtype_,
        "test_mse": [float(e) for e in _errors(model, X_test)],
    }
    if model.explained_variance_ratio_ is not None:
        row["explained_variance_ratio"] = model.explained_variance_ratio_.tolist()
    print({k: v for k, v in row.items() if k != "explained_variance_ratio"}, flush=True)
    return row


def _errors(model, X_test):
    """The test MSE of every prefix (nested), or of the whole code (plain)."""
    if model.explained_variance_ratio_ is not None:
        return reconstruction_error_curve(model, X_test)
    return [reconstruction_error(model, X_test)]


def compare_command(data_home, quick):
    """``skae compare --dataset mnist`` as a user runs it: seconds, exit status.

    ``--quick`` compares the digits instead, for one epoch.
    """
    command = [sys.executable, "-m", "skae", "compare", "--quiet"]
    if quick:
        command += ["--dataset", "digits", "--z-dim", "2", "--epochs", "1"]
    else:
        command += ["--dataset", "mnist"] + (["--data-home", data_home] if data_home else [])
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = subprocess.run(
            [*command, "--out", out], capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "returncode": result.returncode,
        "verdict": next(
            (line for line in result.stdout.splitlines() if line.startswith("Verdict")),
            result.stderr[-500:],
        ),
    }


def main(argv=None):
    args = arguments(__doc__).parse_args(argv)
    train, test = mnist_train_test(args.data_home, args.quick)
    X_train, X_test = train.data, test.data
    images = X_train.reshape(-1, 28, 28)
    epochs = 2 if args.quick else "auto"
    tutorial = tutorial_by_hand(X_train, X_test, epochs=2)
    first_plain = default_fit(images, X_test, 30, epochs)
    nested = default_fit(images, X_test, 30, epochs, nested=True)
    plain = {z: default_fit(images, X_test, z, epochs) for z in SIZES[:-1]}
    plain[30] = default_fit(images, X_test, 30, epochs)
    pca = reconstruction_error_curve(PCA(30).fit(X_train), X_test)
    report = {
        "machine": machine(),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "tutorial_epoch_s": min(tutorial["epoch_s"]),
        "nested": nested,
        "plain": {str(z): row for z, row in plain.items()},
        "first_plain_30": first_plain,
        "pca_test_mse": [float(e) for e in pca],
        "compare": compare_command(args.data_home, args.quick),
    }
    write_results(args.out, "nested", report, markdown(report))
    return report


def markdown(report):
    nested, plain, pca = report["nested"], report["plain"], report["pca_test_mse"]
    unit = report["tutorial_epoch_s"]
    rows = []
    for z in SIZES:
        prefix, separate = nested["test_mse"][z - 1], plain[str(z)]["test_mse"][-1]
        rows.append(
            [
                z,
                f"{pca[z - 1]:.4f}",
                f"{separate:.5f}",
                f"{prefix:.5f}",
                f"{prefix / separate:.3f}",
                f"{prefix / pca[z - 1]:.3f}",
            ]
        )
    plain_30_s = np.mean([plain["30"]["fit_s"], report["first_plain_30"]["fit_s"]])
    worst_k = int(np.argmax(np.divide(nested["test_mse"], pca))) + 1
    compare = report["compare"]
    summary = [
        *summary_opening(
            report["machine"],
            f": {report['n_train']:,} training and {report['n_test']:,} test images",
        ),
        "",
        *table(
            "z_dim = k | PCA(k) | plain default fit at k | first k codes of one "
            "nested fit at 30 | nested / plain | nested / PCA",
            rows,
        ),
        "",
        (
            f"- The nested fit took {nested['fit_s']:.0f} s "
            f"({nested['fit_s'] / unit:.1f} tutorial epochs; {nested['epochs']} epochs, "
            f"kept {nested['best_epoch']}), {nested['fit_s'] / plain_30_s:.2f}x a plain "
            f"fit at 30 ({plain['30']['fit_s']:.0f} s and "
            f"{report['first_plain_30']['fit_s']:.0f} s, one run before the nested "
            "fit and one after the others)."
        ),
        (
            f"- Worst ratio to PCA over every k from 1 to 30: "
            f"{nested['test_mse'][worst_k - 1] / pca[worst_k - 1]:.3f} at k={worst_k}."
        ),
        (
            f"- `skae compare --dataset mnist` (z_dim 2, 10 and 30 from one nested "
            f"fit): {compare['seconds']:.0f} s end to end, "
            f"{compare['seconds'] / unit:.1f} tutorial epochs of {unit:.1f} s; exit "
            f"status {compare['returncode']}."
        ),
    ]
    curve = ["## Every k", "", *table(
        "k | PCA | nested prefix | share of the variance explained (validation)",
        [
            [k, f"{pca[k - 1]:.5f}", f"{mse:.5f}", f"{share:.3f}"]
            for k, (mse, share) in enumerate(
                zip(nested["test_mse"], np.cumsum(nested["explained_variance_ratio"])),
                start=1,
            )
        ],
    )]
    return results_page("One nested fit against a fit per latent size, on MNIST", summary, curve)


if __name__ == "__main__":
    main()
