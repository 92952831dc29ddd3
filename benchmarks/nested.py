"""One nested fit against a plain fit per latent size, on real MNIST.

    python benchmarks/nested.py --data-home ../shared/data/mnist

Measures in one process, on the 60,000 training and 10,000 test images:
the reference tutorial's epoch (the unit of time, as in run_all.py); one
``AutoencoderTransformer(30, nested=True, random_state=0)`` default fit and
the test MSE of its first k codes for every k from 1 to 30; a plain default
fit at each z_dim in {2, 5, 10, 20, 30} (the one at 30 twice, just before
and just after the nested fit, so that the time ratio is between
neighbours); PCA at every k; then the same nested and plain fits at twice
and three times the default epoch budget, to see how the gap moves as
training lengthens; and ``skae compare --dataset mnist`` end to end, in a
fresh interpreter. Writes ``nested.json`` and ``nested.md`` into ``--out``.
``--quick`` runs on 1,000 training and 500 test images, two epochs a fit,
at the default budget alone; ``--longer ''`` measures the default budget
alone on MNIST. ``--default-from nested.json`` takes the default budget's
half (and the compare run) from an earlier run's results instead of
measuring them again, and measures the longer budgets alone; the page then
names both runs' commits. Run nothing else on the machine meanwhile.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import arguments, machine, mnist_train_test, write_results
from _markdown import describe, results_page, summary_opening, table
from run_all import timed, tutorial_by_hand
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error, reconstruction_error_curve

SIZES = (2, 5, 10, 20, 30)
# The longer budgets, in multiples of the default's epochs.
LONGER = (2, 3)


def default_fit(images, X_test, z_dim, epochs, **params):
    """A default fit's seconds, epochs and test MSE of the first k codes, every k."""
    model = AutoencoderTransformer(z_dim, epochs=epochs, random_state=0, **params)
    _, seconds = timed(model.fit, images)
    row = {
        "z_dim": z_dim,
        "params": params,
        "fit_s": seconds,
        "epochs": model.n_iter_,
        "max_epochs": model.max_epochs_,
        "best_epoch": model.best_epoch_,
        "n_pca_codes": model.n_pca_codes_,
        "compute_dtype": model.compute_dtype_,
        "test_mse": [float(e) for e in _errors(model, X_test)],
    }
    if hasattr(model, "explained_variance_ratio_"):
        row["explained_variance_ratio"] = model.explained_variance_ratio_.tolist()
    print({k: v for k, v in row.items() if k != "explained_variance_ratio"}, flush=True)
    return row


def _errors(model, X_test):
    """The test MSE of every prefix (nested), or of the whole code (plain)."""
    if hasattr(model, "explained_variance_ratio_"):
        return reconstruction_error_curve(model, X_test)
    return [reconstruction_error(model, X_test)]


def compare_command(data_home, quick):
    """``skae compare --dataset mnist`` as a user runs it: seconds, exit
    status, verdict, and the autoencoder's test MSE at each z_dim it reports.

    ``--quick`` compares the digits instead, for one epoch.
    """
    import pandas as pd

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
        results = pd.read_csv(f"{out}/results.csv") if result.returncode == 0 else None
    reported = {}
    if results is not None:
        ae = results[results["method"] == "autoencoder"]
        reported = {str(row.z_dim): float(row.mse) for row in ae.itertuples()}
    return {
        "dataset": "digits" if quick else "mnist",
        "seconds": seconds,
        "returncode": result.returncode,
        "verdict": next(
            (line for line in result.stdout.splitlines() if line.startswith("Verdict")),
            result.stderr[-500:],
        ),
        "autoencoder_test_mse": reported,
    }


def main(argv=None):
    parser = arguments(__doc__)
    parser.add_argument(
        "--longer",
        type=lambda text: tuple(int(times) for times in text.split(",") if times),
        default=LONGER,
        help="the longer budgets, in multiples of the default's epochs, comma "
        "separated (default: 2,3; '' for none: the default budget alone takes "
        "half an hour on 2 cores, each longer budget an hour or more)",
    )
    parser.add_argument(
        "--default-from",
        metavar="JSON",
        help="an earlier nested.json whose default-budget fits and compare run to "
        "keep; only the longer budgets are measured",
    )
    args = parser.parse_args(argv)
    train, test = mnist_train_test(args.data_home, args.quick)
    X_train, X_test = train.data, test.data
    images = X_train.reshape(-1, 28, 28)
    if args.default_from:
        report = json.loads(Path(args.default_from).read_text())
        report["longer_machine"] = machine()
    else:
        report = default_budget(args, X_train, X_test, images)
    report["longer"] = {}
    first_plain = report["first_plain_30"]
    for times in () if args.quick else args.longer:
        budget = times * first_plain["max_epochs"]
        report["longer"][str(times)] = {
            "epochs": budget,
            "nested": default_fit(images, X_test, 30, budget, nested=True),
            "plain": {str(z): default_fit(images, X_test, z, budget) for z in SIZES},
        }
    write_results(args.out, "nested", report, markdown(report))
    return report


def default_budget(args, X_train, X_test, images):
    """The tutorial's epoch, the nested and plain fits at the default budget,
    PCA, and the compare command: the report without its longer budgets."""
    epochs = 2 if args.quick else "auto"
    tutorial = tutorial_by_hand(X_train, X_test, epochs=2)
    first_plain = default_fit(images, X_test, 30, epochs)
    nested = default_fit(images, X_test, 30, epochs, nested=True)
    plain = {30: default_fit(images, X_test, 30, epochs)}
    plain.update({z: default_fit(images, X_test, z, epochs) for z in SIZES[:-1]})
    pca = reconstruction_error_curve(PCA(30).fit(X_train), X_test)
    return {
        "machine": machine(),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "tutorial_epoch_s": min(tutorial["epoch_s"]),
        "nested": nested,
        "plain": {str(z): row for z, row in sorted(plain.items())},
        "first_plain_30": first_plain,
        "pca_test_mse": [float(e) for e in pca],
        "compare": compare_command(args.data_home, args.quick),
    }


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
    ratios_to_pca = np.divide(nested["test_mse"], pca)
    worst_k = int(np.argmax(ratios_to_pca)) + 1
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
            f"fit at 30 ({report['first_plain_30']['fit_s']:.0f} s just before it and "
            f"{plain['30']['fit_s']:.0f} s just after)."
        ),
        (
            f"- Every k from 1 to 30 against PCA(k): worst {ratios_to_pca.max():.3f} at "
            f"k={worst_k}; "
            + (
                f"the first {nested['n_pca_codes']} codes fell back to PCA's"
                if nested["n_pca_codes"]
                else "no code fell back to PCA's"
            )
            + " (`n_pca_codes_`)."
        ),
        *_compare_lines(report, unit),
    ]
    longer = report.get("longer", {})
    if not longer:
        summary += ["", "Longer budgets: not measured in this run (`--longer`)."]
    else:
        # Seconds are compared side by side in one process only: a second
        # run's are left out.
        timed_here = "longer_machine" not in report
        budget_rows = [
            _budget_row(1, plain, nested, report["first_plain_30"]["max_epochs"])
        ]
        budget_rows += [
            _budget_row(times, run["plain"], run["nested"], run["epochs"])
            for times, run in longer.items()
        ]
        header = "budget | epochs | k=2 | k=5 | k=10 | k=20 | k=30"
        if timed_here:
            header += " | nested fit s"
            intro = ""
        else:
            budget_rows = [row[:-1] for row in budget_rows]
            intro = (
                " The longer budgets were measured in a second run, on "
                f"{describe(report['longer_machine'])}; their seconds are left "
                "out, as timings are only compared within one run."
            )
        summary += [
            "",
            "Longer training, the plain fits given the same budget: nested / plain "
            "at each k." + intro,
            "",
            *table(header, budget_rows),
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


def _budget_row(times, plain, nested, epochs):
    ratios = [nested["test_mse"][z - 1] / plain[str(z)]["test_mse"][-1] for z in SIZES]
    return [f"{times}x", epochs, *(f"{r:.3f}" for r in ratios), f"{nested['fit_s']:.0f}"]


def _compare_lines(report, unit):
    """What `skae compare --dataset mnist` reported, against the plain fits."""
    compare, plain = report["compare"], report["plain"]
    against = [
        f"{mse / plain[z]['test_mse'][-1]:.3f}x at z_dim={z}"
        for z, mse in compare["autoencoder_test_mse"].items()
        if compare["dataset"] == "mnist"
    ]
    line = (
        f"- `skae compare --dataset mnist` (a plain fit at each of z_dim 2, 10 and "
        f"30): {compare['seconds']:.0f} s end to end, "
        f"{compare['seconds'] / unit:.1f} tutorial epochs of {unit:.1f} s; exit "
        f"status {compare['returncode']}"
    )
    if against:
        line += "; its autoencoder's test error is the plain fit's " + ", ".join(against)
    return [line + "."]


if __name__ == "__main__":
    main()
