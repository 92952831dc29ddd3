"""The digits figures quoted in the README: the autoencoder's defaults against PCA.

    python benchmarks/digits_vs_pca.py

Scikit-learn's digits scaled to [0, 1], a 70/30 split with random_state=0:
test MSE of PCA(10) and of AutoencoderTransformer(z_dim=10, random_state=0)
on flat rows and with image_shape=(8, 8), every other parameter at its
default; then the 3-fold accuracy of MinMaxScaler -> reducer ->
LogisticRegression for each. Writes ``digits_vs_pca.json`` and
``digits_vs_pca.md`` into ``--out``, with the machine and commit.
``--quick`` trains for two epochs on 300 digits, as the smoke test does.
"""

import time

from _common import arguments, machine, write_results
from _markdown import results_page, summary_opening, table
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error


def main(argv=None):
    args = arguments(__doc__, data_home=False).parse_args(argv)
    X, y = load_digits(return_X_y=True)
    params = {"random_state": 0}
    if args.quick:
        X, y, params["epochs"] = X[:300], y[:300], 2
    X_train, X_test = train_test_split(X / 16, test_size=0.3, random_state=0)
    reducers = {
        "PCA(10)": lambda: PCA(10),
        "AutoencoderTransformer(10), flat rows (dense)": lambda: AutoencoderTransformer(
            10, **params
        ),
        "AutoencoderTransformer(10, image_shape=(8, 8)) (conv)": lambda: (
            AutoencoderTransformer(10, image_shape=(8, 8), **params)
        ),
    }
    rows = []
    for name, make in reducers.items():
        start = time.perf_counter()
        model = make().fit(X_train)
        seconds = time.perf_counter() - start
        pipe = make_pipeline(MinMaxScaler(), make(), LogisticRegression(max_iter=1000))
        rows.append(
            {
                "reducer": name,
                "test_mse": reconstruction_error(model, X_test),
                "fit_s": seconds,
                "accuracy_3_fold": float(cross_val_score(pipe, X, y, cv=3).mean()),
            }
        )
        print(rows[-1], flush=True)
    report = {"machine": machine(), "n_samples": len(X), "rows": rows}
    write_results(args.out, "digits_vs_pca", report, markdown(report))
    return report


def markdown(report):
    header = (
        "reducer | test MSE | fit s | "
        "3-fold accuracy, MinMaxScaler -> reducer -> LogisticRegression"
    )
    rows = [
        [
            f"`{r['reducer']}`",
            f"{r['test_mse']:.4f}",
            f"{r['fit_s']:.1f}",
            f"{r['accuracy_3_fold']:.3f}",
        ]
        for r in report["rows"]
    ]
    return results_page(
        "Digits: the autoencoder's defaults against PCA",
        summary_opening(report["machine"]),
        table(header, rows),
    )


if __name__ == "__main__":
    main()
