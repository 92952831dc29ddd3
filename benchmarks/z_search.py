"""Choosing z_dim for a classifier: GridSearchCV against successive halving.

    python benchmarks/z_search.py --data-home ../shared/data/mnist

A 3-fold search over z_dim in {2, 5, 10, 20, 30} for the pipeline
``AutoencoderTransformer -> LogisticRegression`` on the first 10,000 MNIST
training images, scored by accuracy: plain ``GridSearchCV`` with the
default epoch budget, against ``HalvingGridSearchCV`` with the epochs as
the resource (every candidate gets a few epochs, the better third three
times as many, and so on). Writes ``z_search.json`` and ``z_search.md``
with the wall time, the chosen z_dim and the scores of both. ``--quick``
searches z_dim in {2, 10, 30} on 600 images for 2 epochs, for the smoke test.
"""

import time

from _common import arguments, machine, mnist, write_results
from _markdown import results_page, summary_opening, table
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV
from sklearn.pipeline import Pipeline

from skae import AutoencoderTransformer
from skae._plan import make_plan

Z_DIMS = [2, 5, 10, 20, 30]


def pipeline(epochs):
    return Pipeline(
        [
            (
                "ae",
                AutoencoderTransformer(
                    image_shape=(28, 28), epochs=epochs, random_state=0
                ),
            ),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )


def searches(z_dims, max_epochs):
    grid = {"ae__z_dim": z_dims}
    return {
        "GridSearchCV": GridSearchCV(pipeline(max_epochs), grid, cv=3),
        "HalvingGridSearchCV (resource: epochs)": HalvingGridSearchCV(
            pipeline(max_epochs),
            grid,
            cv=3,
            factor=3,
            resource="ae__epochs",
            min_resources=max(1, max_epochs // 9),
            max_resources=max_epochs,
            random_state=0,
        ),
    }


def main(argv=None):
    args = arguments(__doc__).parse_args(argv)
    n = 600 if args.quick else 10_000
    z_dims = Z_DIMS[::2] if args.quick else Z_DIMS
    train = mnist(args.data_home, "train", n)
    X, y = train.data, train.target
    # The epochs a default fit gets on one training fold: the halving
    # search's largest budget, so both end with equally trained candidates.
    estimator = AutoencoderTransformer()
    fold = make_plan(estimator.get_params(), estimator._validate(X[: n * 2 // 3]))
    max_epochs = 2 if args.quick else fold.epochs
    report = {"machine": machine(), "n_samples": n, "z_dims": z_dims, "searches": {}}
    for name, search in searches(z_dims, max_epochs).items():
        start = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - start
        scores = search.cv_results_["mean_test_score"]
        report["searches"][name] = {
            "seconds": seconds,
            "best_z_dim": int(search.best_params_["ae__z_dim"]),
            "best_score": float(search.best_score_),
            "fits": int(len(scores) * 3 + 1),
            "scores": [float(s) for s in scores],
        }
        print(name, report["searches"][name], flush=True)
    report["max_epochs"] = max_epochs
    write_results(args.out, "z_search", report, markdown(report))
    return report


def markdown(report):
    rows = [
        [
            name,
            f"{r['seconds']:.0f}",
            r["fits"],
            r["best_z_dim"],
            f"{r['best_score']:.3f}",
        ]
        for name, r in report["searches"].items()
    ]
    grid, halving = report["searches"].values()
    searched = (
        f"{report['n_samples']} images, 3 folds, z_dim in {report['z_dims']}, "
        f"at most {report['max_epochs']} epochs per fit."
    )
    speed = f"Halving took {halving['seconds'] / grid['seconds']:.2f} of the grid search's time."
    return results_page(
        "Choosing z_dim for a classifier on MNIST",
        [*summary_opening(report["machine"]), searched],
        table("search | wall time s | fits | chosen z_dim | its accuracy", rows),
        [speed],
    )


if __name__ == "__main__":
    main()
