"""One-class anomaly detection: the autoencoder against scikit-learn's detectors.

    python benchmarks/outliers.py --data-home ../shared/data/mnist

The one-class protocol of Ruff et al., "Deep One-Class Classification"
(ICML 2018): train on the training images of one MNIST digit (pixels
divided by 255), score all 10,000 test images, and measure the ROC AUC
with that digit as the normal class; for each of the 10 digits, in one
process. Measured side by side: ``AutoencoderOutlierDetector`` (a default
``AutoencoderTransformer`` of 28x28 images, random_state=0) with each of
its anomaly scores, ``IsolationForest``, ``LocalOutlierFactor(novelty=True)``,
``OneClassSVM(nu=0.1)`` and PCA(10)'s reconstruction error, each at
scikit-learn's defaults otherwise; and, after each digit, an epoch of the
reference tutorial, the unit of the autoencoder's fit time. Each digit's
detector is fitted again with the transformer's own "auto" budget of
gradient steps, twice the detector's, to show what the shorter one costs.
Then the same on scikit-learn's digits (scaled to [0, 1], a 70/30 split:
train on one digit's training rows) and on its breast cancer table
(benign rows normal, malignant ones the anomalies: train on 70 % of the
benign rows, standardised on them; test on the rest and on every
malignant row). Beside ours, the per-digit AUCs that Ruff et al. report
for one-class Deep SVDD. Writes ``outliers.json`` and ``outliers.md`` into
``--out``. ``--quick`` runs two digits of 1,000 training images for two
epochs.
"""

import numpy as np
from _common import arguments, machine, mnist_train_test, write_results
from _markdown import results_page, summary_opening, table
from run_all import TutorialClock, timed
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from skae import AutoencoderOutlierDetector, AutoencoderTransformer
from skae._outliers import _anomaly, _parts
from skae._plan import _AUTO_STEPS as TRANSFORMERS_STEPS
from skae._plan import auto_epochs
from skae.metrics import reconstruction_error

SCORES = ("local", "reconstruction", "standardized", "latent", "combined")
BASELINES = ("IsolationForest", "LocalOutlierFactor", "OneClassSVM", "PCA")
# Ruff et al. (2018), Table 1, one-class Deep SVDD on MNIST: mean AUC in %
# over 10 seeds, for the normal digits 0 to 9, as reprinted with the note
# "from original papers" in Table 2 of "On Unsupervised-Supervised Risk and
# One-Class Neural Networks" (its column "DeepSVDD*"), and the same means in
# the README of an unofficial Deep SVDD reimplementation on GitHub. The
# paper's other columns (KDE, IF, OC-SVM, DCAE, AnoGAN) were not found in a
# source this project could read.
DEEP_SVDD = (98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5)


def baseline(name):
    return {
        "IsolationForest": lambda: IsolationForest(random_state=0),
        "LocalOutlierFactor": lambda: LocalOutlierFactor(novelty=True),
        "OneClassSVM": lambda: OneClassSVM(nu=0.1),
        "PCA": lambda: PCA(10, random_state=0),
    }[name]()


def detector_aucs(detector, X_test, is_normal):
    """The AUC of each of the detector's anomaly scores."""
    X_model = detector.autoencoder_._check_fitted_X(X_test)
    parts = _parts(detector.autoencoder_, X_model, detector._reference)
    return {
        f"autoencoder, {kind}": roc_auc_score(
            is_normal, -_anomaly(kind, parts, detector._reference)
        )
        for kind in SCORES
    }


def one_class(X_normal, X_test, is_normal, autoencoder):
    """AUCs of every method trained on ``X_normal``, and the autoencoder's fit seconds."""
    detector, seconds = timed(AutoencoderOutlierDetector(autoencoder).fit, X_normal)
    aucs = detector_aucs(detector, X_test, is_normal)
    flat_normal, flat_test = X_normal.reshape(len(X_normal), -1), X_test.reshape(len(X_test), -1)
    for name in BASELINES:
        model = baseline(name).fit(flat_normal)
        if name == "PCA":
            score = -reconstruction_error(model, flat_test, per_sample=True)
        else:
            score = model.score_samples(flat_test)
        aucs[name] = roc_auc_score(is_normal, score)
    autoencoder = detector.autoencoder_
    return {
        "auc": aucs,
        "fit_s": seconds,
        "max_epochs": autoencoder.epochs,
        "epochs": autoencoder.n_iter_,
    }


def transformers_budget(X_normal, X_test, is_normal):
    """The local score's AUC and the fit's seconds when the detector's
    autoencoder trains for the transformer's own "auto" budget."""
    params = AutoencoderTransformer(random_state=0).get_params()
    epochs = auto_epochs(params, len(X_normal), TRANSFORMERS_STEPS)
    autoencoder = AutoencoderTransformer(**{**params, "epochs": epochs})
    detector, seconds = timed(AutoencoderOutlierDetector(autoencoder).fit, X_normal)
    local = detector_aucs(detector, X_test, is_normal)["autoencoder, local"]
    return {"auc_local": local, "fit_s": seconds, "max_epochs": epochs}


def mnist_digits(data_home, quick):
    train, test = mnist_train_test(data_home, quick)
    epochs = 2 if quick else "auto"
    clock = TutorialClock(train.data)
    rows = {}
    for digit in (0, 1) if quick else range(10):
        X_normal = train.data[train.target == digit].reshape(-1, 28, 28)
        X_test, is_normal = test.data.reshape(-1, 28, 28), test.target == digit
        autoencoder = AutoencoderTransformer(epochs=epochs, random_state=0)
        rows[str(digit)] = one_class(X_normal, X_test, is_normal, autoencoder)
        if not quick:
            rows[str(digit)]["transformers_budget"] = transformers_budget(
                X_normal, X_test, is_normal
            )
        clock.tick()
        print(digit, rows[str(digit)], clock.seconds[-1], flush=True)
    return rows, clock.seconds


def small_digits(quick):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.3, random_state=0
    )
    rows = {}
    for digit in (0, 1) if quick else range(10):
        autoencoder = AutoencoderTransformer(epochs=2 if quick else "auto", random_state=0)
        rows[str(digit)] = one_class(
            X_train[y_train == digit], X_test, y_test == digit, autoencoder
        )
    return rows


def breast_cancer(quick):
    X, y = load_breast_cancer(return_X_y=True)  # y == 1: benign
    benign, malignant = X[y == 1], X[y == 0]
    train, held_out = train_test_split(benign, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(train)
    X_test = scaler.transform(np.concatenate([held_out, malignant]))
    is_normal = np.r_[np.ones(len(held_out)), np.zeros(len(malignant))]
    autoencoder = AutoencoderTransformer(
        z_dim=5, epochs=2 if quick else "auto", random_state=0
    )
    return one_class(scaler.transform(train), X_test, is_normal, autoencoder)


def main(argv=None):
    args = arguments(__doc__).parse_args(argv)
    mnist, tutorial_epochs = mnist_digits(args.data_home, args.quick)
    report = {
        "machine": machine(),
        "tutorial_epoch_s": min(tutorial_epochs),
        "tutorial_epochs_s": tutorial_epochs,
        "mnist": mnist,
        "digits": small_digits(args.quick),
        "breast_cancer": breast_cancer(args.quick),
        "deep_svdd_mnist": dict(zip(map(str, range(10)), DEEP_SVDD)),
    }
    write_results(args.out, "outliers", report, markdown(report))
    return report


def _methods(rows):
    return list(next(iter(rows.values()))["auc"])


def _means(rows):
    return {m: float(np.mean([r["auc"][m] for r in rows.values()])) for m in _methods(rows)}


def markdown(report):
    mnist, unit = report["mnist"], report["tutorial_epoch_s"]
    methods = _methods(mnist)
    svdd = report["deep_svdd_mnist"]
    rows = [
        [digit, *(f"{100 * row['auc'][m]:.1f}" for m in methods), svdd[digit],
         f"{row['fit_s'] / unit:.1f}"]
        for digit, row in mnist.items()
    ]  # fmt: skip
    means = _means(mnist)
    svdd_mean = np.mean([svdd[digit] for digit in mnist])
    rows.append(
        ["mean", *(f"{100 * means[m]:.1f}" for m in methods), f"{svdd_mean:.1f}",
         f"{np.mean([r['fit_s'] for r in mnist.values()]) / unit:.1f}"]
    )  # fmt: skip
    best = max(means, key=means.get)
    summary = [
        *summary_opening(
            report["machine"],
            ": MNIST, one digit's training images normal, all 10,000 test images "
            "scored; ROC AUC in %",
        ),
        "",
        *table(
            "normal digit | " + " | ".join(methods)
            + " | one-class Deep SVDD (Ruff et al. 2018) | autoencoder fit, tutorial epochs",
            rows,
        ),
        "",
        f"- Best mean AUC: {best} ({100 * means[best]:.1f}); one tutorial epoch "
        f"took {unit:.1f} s, the fastest of {len(report['tutorial_epochs_s'])} timed "
        f"between the digits (the slowest: {max(report['tutorial_epochs_s']):.1f} s).",
        "- Deep SVDD: Ruff et al. (ICML 2018), Table 1, as reprinted with the note "
        "\"from original papers\"; the paper's other columns (DCAE, KDE, IF, "
        "OC-SVM, AnoGAN) are not quoted here: no copy of the table could be read.",
    ]
    summary += budgets_table(mnist, unit)
    others = []
    for name in ("digits", "breast_cancer"):
        block = report[name]
        aucs = _means(block) if "auc" not in block else block["auc"]
        label = (
            "scikit-learn's digits, one digit normal, mean over the 10 digits"
            if name == "digits"
            else "breast cancer: benign rows normal, malignant ones anomalies"
        )
        others.append([label, *(f"{100 * aucs[m]:.1f}" for m in methods)])
    summary += ["", *table("data | " + " | ".join(methods), others)]
    return results_page("One-class anomaly detection", summary)


def budgets_table(mnist, unit):
    """The detector's budget of gradient steps against the transformer's own."""
    rows = [
        [digit, row["max_epochs"], f"{100 * row['auc']['autoencoder, local']:.1f}",
         f"{row['fit_s'] / unit:.1f}", full["max_epochs"], f"{100 * full['auc_local']:.1f}",
         f"{full['fit_s'] / unit:.1f}"]
        for digit, row in mnist.items()
        if (full := row.get("transformers_budget"))
    ]  # fmt: skip
    if not rows:
        return []
    means = np.mean([[float(cell) for cell in row[1:]] for row in rows], axis=0)
    rows.append(["mean", *(f"{m:.1f}" for m in means)])
    return [
        "",
        "The detector's `epochs=\"auto\"` (about 2,000 gradient steps) against the "
        "transformer's own (about 4,000), the local score, in the same run:",
        "",
        *table(
            "normal digit | detector's budget: epochs | AUC | fit, tutorial epochs | "
            "transformer's budget: epochs | AUC | fit, tutorial epochs",
            rows,
        ),
    ]


if __name__ == "__main__":
    main()
