"""Choosing z_dim for a classifier: one nested fit per fold against a fit per size.

    python benchmarks/z_search.py --data-home ../shared/data/mnist

A 3-fold search over z_dim in {2, 5, 10, 20, 30} for the pipeline
``AutoencoderTransformer -> LogisticRegression`` on the first 10,000 MNIST
training images, scored by accuracy, three ways:

- ``GridSearchCV`` over ``ae__z_dim``: a plain fit per candidate and fold
  (15), and the refit;
- ``GridSearchCV`` over the first k codes of one nested fit at 30: the
  pipeline ``AutoencoderTransformer(30, nested=True) -> first k codes ->
  LogisticRegression`` with ``memory=``, so that each fold's autoencoder is
  fitted once and every candidate reuses it (3 fits, and the refit);
- ``HalvingGridSearchCV`` over ``ae__z_dim`` with the epochs as the resource.

Each chosen pipeline is also scored on the 10,000 test images. Writes
``z_search.json`` and ``z_search.md``. ``--quick`` searches z_dim in
{2, 10, 30} on 600 images (tests on 300) for 2 epochs, for the smoke test.
"""

import tempfile
import time

from _common import arguments, machine, mnist, write_results
from _markdown import results_page, summary_opening, table
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skae import AutoencoderTransformer
from skae._plan import epoch_budget

Z_DIMS = [2, 5, 10, 20, 30]
ONE_NESTED_FIT = "GridSearchCV over the first k codes of one nested fit per fold"


def first_codes(Z, k):
    """The first ``k`` columns of nested codes: the code of size k."""
    return Z[:, :k]


def autoencoder(z_dim, epochs, **params):
    return AutoencoderTransformer(
        z_dim, image_shape=(28, 28), epochs=epochs, random_state=0, **params
    )


def classifier():
    return LogisticRegression(max_iter=2000)


def searches(z_dims, max_epochs, cache):
    largest = max(z_dims)
    nested = Pipeline(
        [
            ("ae", autoencoder(largest, max_epochs, nested=True)),
            ("codes", FunctionTransformer(first_codes, kw_args={"k": largest})),
            ("clf", classifier()),
        ],
        memory=cache,
    )
    plain = Pipeline([("ae", autoencoder(2, max_epochs)), ("clf", classifier())])
    grid = {"ae__z_dim": z_dims}
    return {
        "GridSearchCV over z_dim, a fit per size and fold": GridSearchCV(
            plain, grid, cv=3
        ),
        ONE_NESTED_FIT: GridSearchCV(
            nested, {"codes__kw_args": [{"k": k} for k in z_dims]}, cv=3
        ),
        "HalvingGridSearchCV over z_dim (resource: epochs)": HalvingGridSearchCV(
            plain,
            grid,
            cv=3,
            factor=3,
            resource="ae__epochs",
            min_resources=max(1, max_epochs // 9),
            max_resources=max_epochs,
            random_state=0,
        ),
    }


def chosen_z_dim(search):
    params = search.best_params_
    return int(params["ae__z_dim"] if "ae__z_dim" in params else params["codes__kw_args"]["k"])


def main(argv=None):
    args = arguments(__doc__).parse_args(argv)
    n, n_test = (600, 300) if args.quick else (10_000, 10_000)
    z_dims = Z_DIMS[::2] if args.quick else Z_DIMS
    train = mnist(args.data_home, "train", n)
    test = mnist(args.data_home, "test", n_test)
    # The epochs a default fit gets on one training fold (the halving
    # search's largest budget), set for every search alike.
    fold_rows = int(n * 2 / 3 * 0.9)
    max_epochs = 2 if args.quick else epoch_budget("auto", fold_rows, 32)
    report = {"machine": machine(), "n_samples": n, "n_test": n_test, "z_dims": z_dims}
    report["max_epochs"], report["searches"] = max_epochs, {}
    with tempfile.TemporaryDirectory() as cache:
        for name, search in searches(z_dims, max_epochs, cache).items():
            start = time.perf_counter()
            search.fit(train.data, train.target)
            seconds = time.perf_counter() - start
            scores = search.cv_results_["mean_test_score"]
            report["searches"][name] = {
                "seconds": seconds,
                "best_z_dim": chosen_z_dim(search),
                "best_score": float(search.best_score_),
                "test_accuracy": float(search.score(test.data, test.target)),
                "scores": [float(s) for s in scores],
            }
            print(name, report["searches"][name], flush=True)
    write_results(args.out, "z_search", report, markdown(report))
    return report


def markdown(report):
    rows = [
        [
            name,
            f"{r['seconds']:.0f}",
            r["best_z_dim"],
            f"{r['best_score']:.3f}",
            f"{r['test_accuracy']:.3f}",
        ]
        for name, r in report["searches"].items()
    ]
    grid, nested, _ = report["searches"].values()
    summary = [
        *summary_opening(report["machine"]),
        (
            f"{report['n_samples']:,} training images, 3 folds, z_dim in "
            f"{report['z_dims']}, at most {report['max_epochs']} epochs a fit; "
            f"accuracy of the chosen pipeline on {report['n_test']:,} test images."
        ),
        "",
        *table(
            "search | wall time s | chosen z_dim | its 3-fold accuracy | test accuracy",
            rows,
        ),
        "",
        (
            f"One nested fit per fold took {nested['seconds'] / grid['seconds']:.2f} "
            f"of the grid search's time ({grid['seconds'] / nested['seconds']:.1f}x "
            "faster)."
        ),
    ]
    return results_page("Choosing z_dim for a classifier on MNIST", summary)


if __name__ == "__main__":
    main()
