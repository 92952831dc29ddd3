"""A 4-candidate GridSearchCV with n_jobs=1 against n_jobs=2.

    python benchmarks/parallel_search.py [--data-home ../shared/data/mnist]

Writes ``parallel_search_digits.json`` (or ``parallel_search_mnist.json``
with ``--data-home``) into ``--out``, with the machine and commit. ``--quick`` searches 600
samples for one epoch, as the smoke test does.

Each search runs in a fresh interpreter, so that both pay TensorFlow's start
the same way; the figure is the wall time of ``search.fit``. Two workloads:
small dense models on scikit-learn's digits, and convolutional models on
6,000 MNIST images (with ``--data-home``).
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _common import machine

SEARCH = """
import json, time
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from skae import AutoencoderTransformer
if {data_home!r} is None:
    X, image_shape, epochs = load_digits().data / 16, None, 40
else:
    from skae.datasets import load_mnist
    X = load_mnist(data_home={data_home!r}).data[:6000]
    image_shape, epochs = (28, 28), 3
if {quick}:
    X, epochs = X[:600], 1
search = GridSearchCV(
    AutoencoderTransformer(
        image_shape=image_shape, epochs=epochs, early_stopping=False, random_state=0
    ),
    {{"z_dim": [2, 4, 8, 16]}}, cv=2, n_jobs={n_jobs},
)
start = time.perf_counter()
search.fit(X)
print(json.dumps({{"n_jobs": {n_jobs}, "seconds": time.perf_counter() - start,
                  "scores": search.cv_results_["mean_test_score"].tolist()}}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", help="MNIST folder: conv workload")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    results = []
    for n_jobs in (1, 2):
        code = SEARCH.format(n_jobs=n_jobs, data_home=args.data_home, quick=args.quick)
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(f"n_jobs={n_jobs}: {results[-1]['seconds']:.1f} s", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workload = "digits" if args.data_home is None else "mnist"
    report = {"machine": machine(), "searches": results}
    (out / f"parallel_search_{workload}.json").write_text(
        json.dumps(report, indent=2) + "\n"
    )
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
