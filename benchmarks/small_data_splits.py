"""How much of a small table's PCA / AE is the test split's luck?

    python benchmarks/small_data_splits.py [--out benchmarks/results]

``small_data.py`` scores each case on one 70/30 split. With 100 to 200
training rows the test part holds 50 to 80 of them, and the ratio PCA / AE
measured on so few moves from split to split. For every case of
``small_data.json`` whose PCA / AE is below 1.01, this refits PCA and the
default ``AutoencoderTransformer(z, random_state=0)`` on 20 other 70/30
splits (``random_state`` 1 to 20 of ``train_test_split``, scaled as there)
and reports the spread: the geometric mean of PCA / AE over the splits, its
standard error, the worst and best split, how many splits end below 0.99
(worse than PCA by more than 1 %) and how many keep the PCA start. Writes
``small_data_splits.json`` and ``small_data_splits.md``.
``--quick`` runs one case on three splits, as the smoke test does.
"""

import json
from pathlib import Path

import numpy as np
from _common import arguments, machine, write_results
from _markdown import results_page, summary_opening, table
from small_data import split
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error

SPLITS = range(1, 21)
# Cases whose single split says "no better than PCA" (PCA / AE below this).
BELOW = 1.01


def close_cases(results):
    """The data, z_dim and PCA / AE of every case of small_data.json below
    ``BELOW``."""
    rows = json.loads(Path(results).read_text())["rows"]
    return [
        (r["data"], r["z_dim"], r["pca_over_autoencoder"])
        for r in rows
        if r["pca_over_autoencoder"] < BELOW
    ]


def over_splits(name, z_dim, seeds):
    """PCA / AE and the kept epoch of a default fit on each split."""
    ratios, best_epochs = [], []
    for seed in seeds:
        _, X_train, X_test = split(name, seed)
        pca_mse = reconstruction_error(PCA(z_dim).fit(X_train), X_test)
        model = AutoencoderTransformer(z_dim, random_state=0).fit(X_train)
        ratios.append(pca_mse / reconstruction_error(model, X_test))
        best_epochs.append(model.best_epoch_)
    log = np.log(ratios)
    return {
        "data": name,
        "z_dim": z_dim,
        "seeds": list(seeds),
        "ratios": [float(r) for r in ratios],
        "best_epochs": [int(e) for e in best_epochs],
        "geometric_mean": float(np.exp(log.mean())),
        # The standard error of the mean log ratio, as a factor.
        "standard_error": float(np.exp(log.std(ddof=1) / np.sqrt(len(log)))),
        "worst": float(min(ratios)),
        "best": float(max(ratios)),
        "below_0_99": int(np.sum(np.array(ratios) < 0.99)),
        "kept_start": int(np.sum(np.array(best_epochs) == 0)),
    }


def markdown(report):
    rows = [
        [
            r["data"],
            r["z_dim"],
            f"{r['first_split']:.3f}",
            f"{r['geometric_mean']:.3f} (x/÷ {r['standard_error']:.3f})",
            f"{r['worst']:.3f}",
            f"{r['best']:.3f}",
            f"{r['below_0_99']} of {len(r['seeds'])}",
            f"{r['kept_start']} of {len(r['seeds'])}",
        ]
        for r in report["cases"]
    ]
    return results_page(
        "Small tables: PCA / AE over many test splits",
        summary_opening(
            report["machine"],
            f": every case of small_data.md below {BELOW} on its split, refitted "
            f"on {len(report['cases'][0]['seeds'])} other 70/30 splits",
        ),
        table(
            "data | z_dim | PCA / AE, small_data.md's split | geometric mean over "
            "the splits (standard error) | worst split | best split | splits "
            "below 0.99 | splits that kept the PCA start",
            rows,
        ),
    )


def main(argv=None):
    parser = arguments(__doc__, data_home=False)
    parser.add_argument(
        "--results",
        default=str(Path(__file__).parent / "results" / "small_data.json"),
        help="the small_data.json whose close cases to refit",
    )
    args = parser.parse_args(argv)
    cases = close_cases(args.results)
    seeds = SPLITS
    if args.quick:
        cases, seeds = cases[:1], SPLITS[:3]
    report = {"machine": machine(), "cases": []}
    for name, z_dim, first in cases:
        report["cases"].append({**over_splits(name, z_dim, seeds), "first_split": first})
        print(report["cases"][-1], flush=True)
    write_results(args.out, "small_data_splits", report, markdown(report))
    return report


if __name__ == "__main__":
    main()
