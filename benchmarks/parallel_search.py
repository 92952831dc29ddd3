"""A 4-candidate GridSearchCV with n_jobs=1 against n_jobs=2.

    python benchmarks/parallel_search.py [--data-home ../shared/data/mnist]

Writes ``parallel_search_digits.json`` and ``.md`` (or
``parallel_search_mnist.*`` with ``--data-home``) into ``--out``, with the
machine and commit. ``--quick`` searches 600 samples for one epoch, as the
smoke test does.

Each search runs in a fresh interpreter, so that both pay TensorFlow's start
the same way; the figure is the wall time of ``GridSearchCV.fit``. Two
workloads: small dense models on scikit-learn's digits, and convolutional
models on 6,000 MNIST images (with ``--data-home``).
"""

import time

from _common import arguments, machine, mnist, write_results
from _fresh import run_fresh
from _markdown import results_page, summary_opening, table

Z_DIMS = [2, 4, 8, 16]


def main(argv=None):
    args = arguments(__doc__).parse_args(argv)
    searches = []
    for n_jobs in (1, 2):
        searches.append(
            run_fresh(
                "parallel_search",
                "search",
                n_jobs=n_jobs,
                data_home=args.data_home,
                quick=args.quick,
            )
        )
        print(f"n_jobs={n_jobs}: {searches[-1]['seconds']:.1f} s", flush=True)
    workload = "digits" if args.data_home is None else "mnist"
    report = {"machine": machine(), "workload": workload, "searches": searches}
    write_results(args.out, f"parallel_search_{workload}", report, markdown(report))
    return report


def search(n_jobs, data_home, quick):
    """The timed search, in a fresh interpreter: its seconds and scores."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    from skae import AutoencoderTransformer

    if data_home is None:
        X, image_shape, epochs = load_digits().data / 16, None, 40
    else:
        X, image_shape, epochs = mnist(data_home, "train", 6000).data, (28, 28), 3
    if quick:
        X, epochs = X[:600], 1
    grid = GridSearchCV(
        AutoencoderTransformer(
            image_shape=image_shape, epochs=epochs, early_stopping=False, random_state=0
        ),
        {"z_dim": Z_DIMS},
        cv=2,
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    grid.fit(X)
    return {
        "n_jobs": n_jobs,
        "seconds": time.perf_counter() - start,
        "scores": grid.cv_results_["mean_test_score"].tolist(),
    }


def markdown(report):
    workload = {
        "digits": "dense models on scikit-learn's digits",
        "mnist": "convolutional models on 6,000 MNIST images",
    }[report["workload"]]
    rows = [
        [
            r["n_jobs"],
            f"{r['seconds']:.1f}",
            ", ".join(f"{score:.5f}" for score in r["scores"]),
        ]
        for r in report["searches"]
    ]
    serial, parallel = report["searches"]
    speed = f"n_jobs=2 took {parallel['seconds'] / serial['seconds']:.2f} of n_jobs=1's time."
    return results_page(
        f"GridSearchCV over z_dim in {Z_DIMS}, n_jobs=1 against n_jobs=2",
        summary_opening(report["machine"], f": {workload}, 2 folds"),
        table("n_jobs | wall time s | mean test scores", rows),
        [speed],
    )


if __name__ == "__main__":
    main()
