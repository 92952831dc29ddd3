"""Denoising, sampling and anomaly scores on real MNIST (issue: beyond reconstruction).

    python benchmarks/generative.py --data-home ../shared/data/mnist

Writes ``generative.json`` and ``generative.md`` into ``--out``
(``benchmarks/results``), with the machine and commit. ``--quick``
runs on a small slice in about a minute (the smoke test does).
"""

import time

import numpy as np
from _common import arguments, machine, mnist_train_test, write_results
from _markdown import results_page, summary_opening, table
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error


def denoising(X_train, X_test, z_dim, epochs, seed):
    """MSE against clean test images of each model's output for noisy inputs."""
    rng = np.random.default_rng(seed)
    noisy = np.clip(X_test + rng.normal(0, 0.5, X_test.shape), 0, 1).astype(np.float32)
    models = {
        "denoising autoencoder": AutoencoderTransformer(
            z_dim,
            image_shape=(28, 28),
            epochs=epochs,
            noise="gaussian",
            noise_level=0.5,
            random_state=seed,
        ),
        "plain autoencoder": AutoencoderTransformer(
            z_dim, image_shape=(28, 28), epochs=epochs, random_state=seed
        ),
        "PCA": PCA(z_dim, random_state=seed),
    }
    results = {}
    for name, model in models.items():
        model.fit(X_train)
        denoised = model.inverse_transform(model.transform(noisy))
        results[name] = float(np.mean((denoised - X_test) ** 2))
    results["noisy input itself"] = float(np.mean((noisy - X_test) ** 2))
    return results


def sampling(X_train, y_train, epochs, n_samples, seed):
    """Share of confidently classified samples and their class balance."""
    classifier = LogisticRegression(max_iter=200).fit(
        X_train[:20_000], y_train[:20_000]
    )
    results = {}
    for name, variational in [
        ("plain (kernel density of training codes)", False),
        ("variational (standard normal prior)", True),
    ]:
        model = AutoencoderTransformer(
            2,
            image_shape=(28, 28),
            epochs=epochs,
            variational=variational,
            random_state=seed,
        ).fit(X_train)
        proba = classifier.predict_proba(model.sample(n_samples, random_state=seed))
        confident = proba.max(axis=1) > 0.9
        counts = np.bincount(proba.argmax(axis=1), minlength=10)
        share = counts / counts.sum()
        # 1 = all ten digits equally often; 0 = a single digit
        balance = float(
            -(share[share > 0] * np.log(share[share > 0])).sum() / np.log(10)
        )
        grid = np.stack(np.meshgrid(np.linspace(-2, 2, 10), np.linspace(-2, 2, 10)), -1)
        if not variational:  # span the training codes instead of the prior
            codes = model.transform(X_train[:5000])
            low, high = np.percentile(codes, [2, 98], axis=0)
            grid = low + (grid + 2) / 4 * (high - low)
        decoded = model.inverse_transform(grid.reshape(-1, 2).astype(np.float32))
        grid_digits = sorted(set(classifier.predict(decoded).tolist()))
        results[name] = {
            "confident_share": float(confident.mean()),
            "class_counts": counts.tolist(),
            "class_balance_entropy": balance,
            "digits_in_10x10_grid": grid_digits,
        }
    return results


def anomaly(X_train, y_train, X_test, y_test, z_dim, epochs, seed):
    """ROC AUC of flagging digits 5-9 with models trained on digits 0-4."""
    normal = y_train < 5
    is_anomaly = (y_test >= 5).astype(int)
    ae = AutoencoderTransformer(
        z_dim, image_shape=(28, 28), epochs=epochs, random_state=seed
    ).fit(X_train[normal])
    pca = PCA(z_dim, random_state=seed).fit(X_train[normal])
    return {
        "autoencoder": float(roc_auc_score(is_anomaly, -ae.score_samples(X_test))),
        "PCA": float(
            roc_auc_score(
                is_anomaly, reconstruction_error(pca, X_test, per_sample=True)
            )
        ),
    }


def main(argv=None):
    parser = arguments(__doc__)
    parser.add_argument(
        "--epochs", type=int, help="epoch budget of every fit (default: auto)"
    )
    parser.add_argument("--z-dim", type=int, default=10)
    args = parser.parse_args(argv)
    train, test = mnist_train_test(args.data_home, args.quick)
    epochs = 1 if args.quick else args.epochs or "auto"
    start = time.perf_counter()
    report = {
        "machine": machine(),
        "setup": {
            "n_train": len(train.data),
            "n_test": len(test.data),
            "epochs": epochs,
            "z_dim": args.z_dim,
        },
        "denoising_mse_vs_clean (noise std 0.5)": denoising(
            train.data, test.data, args.z_dim, epochs, 0
        ),
        "sampling (z_dim=2, 1000 samples)": sampling(
            train.data, train.target, epochs, 1000, 0
        ),
        "anomaly_roc_auc (train 0-4, flag 5-9)": anomaly(
            train.data, train.target, test.data, test.target, args.z_dim, epochs, 0
        ),
    }
    report["setup"]["seconds"] = round(time.perf_counter() - start, 1)
    write_results(args.out, "generative", report, markdown(report))
    return report


def markdown(report):
    figures = [
        [f"### {section}", "", *_table(values)]
        for section, values in list(report.items())[2:]
    ]
    return results_page(
        "Beyond reconstruction on MNIST", summary(report), ["## All figures"], *figures
    )


def _table(values):
    """A markdown table: one value per row, or a column per model's figures."""
    models = list(values.values())
    if not isinstance(models[0], dict):
        return table(" | value", values.items())
    rows = [[figure, *(model[figure] for model in models)] for figure in models[0]]
    return table(" | ".join(["", *values]), rows)


def summary(report):
    """The lines the README quotes word for word (a test keeps them equal)."""
    setup = report["setup"]
    denoising = report["denoising_mse_vs_clean (noise std 0.5)"]
    sampling = report["sampling (z_dim=2, 1000 samples)"]
    plain, variational = sampling.values()
    auc = report["anomaly_roc_auc (train 0-4, flag 5-9)"]
    rows = [
        [
            "denoising: MSE against clean images, inputs with Gaussian noise std 0.5",
            f"{denoising['denoising autoencoder']:.4f} (denoising AE)",
            f"{denoising['PCA']:.4f}",
            (
                f"plain AE {denoising['plain autoencoder']:.4f}; "
                f"the noisy input {denoising['noisy input itself']:.4f}"
            ),
        ],
        [
            "anomaly: ROC AUC flagging digits 5-9 after training on 0-4",
            f"{auc['autoencoder']:.3f}",
            f"{auc['PCA']:.3f}",
            "",
        ],
        [
            (
                "sampling, z_dim=2, 1000 samples: share classified with confidence "
                "> 0.9 by logistic regression on pixels"
            ),
            f"plain {plain['confident_share']:.3f}",
            "",
            f"variational {variational['confident_share']:.3f}",
        ],
        [
            "sampling: class balance (entropy of predicted classes / log 10)",
            f"plain {plain['class_balance_entropy']:.3f}",
            "",
            f"variational {variational['class_balance_entropy']:.3f}",
        ],
        [
            "sampling: digits found in the decoded 10x10 grid",
            f"plain {len(plain['digits_in_10x10_grid'])} of 10",
            "",
            f"variational {len(variational['digits_in_10x10_grid'])} of 10",
        ],
    ]
    details = (
        f": {setup['n_train']:,} training and {setup['n_test']:,} test images, "
        f"z_dim={setup['z_dim']} unless stated, epochs={setup['epochs']}"
    )
    return [
        *summary_opening(report["machine"], details),
        "",
        *table(" | autoencoder | PCA | other", rows),
    ]


if __name__ == "__main__":
    main()
