"""A share of the variance as z_dim, as PCA(n_components=0.9) takes it, on digits.

    python benchmarks/z_share.py

scikit-learn's 8x8 digits scaled to [0, 1], a 70/30 split: for each share s
in {0.8, 0.9, 0.95}, the number of codes ``AutoencoderTransformer(z_dim=s)``
keeps (one nested fit, then a plain fit of that size: ``nested=False``, the
default) and ``AutoencoderTransformer(z_dim=s, nested=True)`` keeps (one
nested fit), against ``PCA(n_components=s)``; the share of the test images'
variance (around the training mean) that each one's codes reconstruct; the
fit seconds. Writes ``z_share.json`` and ``z_share.md``. ``--quick`` takes
the first 600 images and 5 epochs a fit.
"""

import time

import numpy as np
from _common import arguments, machine, write_results
from _markdown import results_page, summary_opening, table
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error

SHARES = (0.8, 0.9, 0.95)


def explained_share(model, X_test, mean):
    """The share of X_test's variance around ``mean`` that ``model`` reconstructs."""
    total = np.mean(np.sum((X_test - mean) ** 2, axis=1))
    return 1 - reconstruction_error(model, X_test) * X_test.shape[1] / total


def measure(X_train, X_test, share, epochs):
    mean = X_train.mean(axis=0)
    row = {"share": share}
    models = {
        "PCA": PCA(share),
        "autoencoder": AutoencoderTransformer(share, epochs=epochs, random_state=0),
        "autoencoder, nested": AutoencoderTransformer(
            share, nested=True, epochs=epochs, random_state=0
        ),
    }
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train)
        row[name] = {
            "fit_s": time.perf_counter() - start,
            "codes": int(getattr(model, "z_dim_", getattr(model, "n_components_", 0))),
            "test_share": float(explained_share(model, X_test, mean)),
        }
    print(row, flush=True)
    return row


def main(argv=None):
    args = arguments(__doc__, data_home=False).parse_args(argv)
    X = load_digits().data / 16
    if args.quick:
        X = X[:600]
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    epochs = 5 if args.quick else "auto"
    report = {
        "machine": machine(),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "rows": [measure(X_train, X_test, share, epochs) for share in SHARES],
    }
    write_results(args.out, "z_share", report, markdown(report))
    return report


def markdown(report):
    methods = ("PCA", "autoencoder", "autoencoder, nested")
    rows = [
        [
            row["share"],
            *(row[m]["codes"] for m in methods),
            *(f"{row[m]['test_share']:.3f}" for m in methods),
            *(f"{row[m]['fit_s']:.1f}" for m in methods[1:]),
        ]
        for row in report["rows"]
    ]
    summary = [
        *summary_opening(
            report["machine"],
            f": scikit-learn's digits scaled to [0, 1], {report['n_train']} training "
            f"and {report['n_test']} test images",
        ),
        "",
        *table(
            "z_dim = s | PCA keeps | autoencoder keeps | nested keeps | "
            "test share, PCA | autoencoder | nested | fit s, autoencoder (two fits) "
            "| nested (one fit)",
            rows,
        ),
    ]
    return results_page("A share of the variance as z_dim, on digits", summary)


if __name__ == "__main__":
    main()
