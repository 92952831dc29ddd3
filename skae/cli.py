"""The ``skae`` command: ``skae compare`` fits PCA and the autoencoder side by side."""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

# Defaults chosen so that each data set beats PCA at every z_dim on 2 cores.
_DEFAULT_EPOCHS = {"mnist": 10, "digits": 100}


def main(argv=None):
    """Entry point of the ``skae`` command and of ``python -m skae``."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.run(args)


def _parser():
    parser = argparse.ArgumentParser(
        prog="skae", description="scikit-learn compatible autoencoders on Keras 3."
    )
    commands = parser.add_subparsers(dest="command")
    compare = commands.add_parser(
        "compare",
        help="fit PCA and the autoencoder for each z_dim and compare test errors",
        description=(
            "For each z_dim, fit PCA and AutoencoderTransformer on the training "
            "split, score both on the test split, print a table and write "
            "results.csv and PNG figures into --out."
        ),
    )
    compare.add_argument(
        "--dataset",
        choices=["auto", "mnist", "digits"],
        default="auto",
        help="auto: MNIST when its files are found, else scikit-learn's digits",
    )
    compare.add_argument("--data-home", help="folder holding the MNIST IDX files")
    compare.add_argument(
        "--z-dim",
        type=int,
        nargs="+",
        default=[2, 10, 30],
        metavar="N",
        help="latent sizes to compare (default: 2 10 30)",
    )
    compare.add_argument(
        "--epochs",
        type=int,
        help="maximum epochs (default: 10 for MNIST, 100 for digits)",
    )
    compare.add_argument("--out", default="skae_results", help="output folder")
    compare.add_argument("--random-state", type=int, default=0)
    compare.add_argument("--quiet", action="store_true", help="no progress lines")
    compare.set_defaults(run=compare_command)
    return parser


def _load(dataset, data_home, random_state, say):
    """Train and test splits, the image shape and the data set's name."""
    if dataset in ("auto", "mnist"):
        from .datasets import load_mnist

        try:
            # auto never downloads: the main job must run offline, at once.
            kwargs = {"data_home": data_home, "download_if_missing": dataset == "mnist"}
            train = load_mnist(subset="train", **kwargs)
            test = load_mnist(subset="test", **kwargs)
            return train.data, test.data, test.target, (28, 28), "mnist"
        except OSError as exc:
            if dataset == "mnist":
                raise
            say(f"MNIST not available ({exc})\nUsing scikit-learn's digits instead.")

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=0.3, random_state=random_state
    )
    return X_train, X_test, y_test, None, "digits"


def _progress_callback(z_dim, say):
    import keras

    class EpochLine(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            losses = "  ".join(f"{k} {v:.5f}" for k, v in (logs or {}).items())
            seconds = time.perf_counter() - self.start
            say(f"  z_dim={z_dim} epoch {epoch + 1}: {losses}  ({seconds:.1f} s)")

    return EpochLine()


def compare_command(args):
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd
    from sklearn.decomposition import PCA

    from . import AutoencoderTransformer, plotting
    from .metrics import reconstruction_error

    def say(message):
        if not args.quiet:
            print(message, flush=True)

    X_train, X_test, y_test, image_shape, name = _load(
        args.dataset, args.data_home, args.random_state, say
    )
    epochs = args.epochs or _DEFAULT_EPOCHS[name]
    n_features = X_train.shape[1]
    say(
        f"{name}: {len(X_train)} training and {len(X_test)} test images of "
        f"{n_features} pixels; up to {epochs} epochs per autoencoder"
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rows, models = [], {}
    for z_dim in args.z_dim:
        candidates = {
            "PCA": PCA(z_dim, random_state=args.random_state),
            "autoencoder": AutoencoderTransformer(
                z_dim,
                image_shape=image_shape,
                epochs=epochs,
                random_state=args.random_state,
                callbacks=[] if args.quiet else [_progress_callback(z_dim, say)],
            ),
        }
        for method, estimator in candidates.items():
            start = time.perf_counter()
            estimator.fit(X_train)
            seconds = time.perf_counter() - start
            mse = reconstruction_error(estimator, X_test)
            rows.append(
                {
                    "method": method,
                    "z_dim": z_dim,
                    "mse": mse,
                    "sse_per_image": mse * n_features,
                    "compression": n_features / z_dim,
                    "fit_seconds": seconds,
                    "epochs": getattr(estimator, "n_iter_", None),
                }
            )
            models[method, z_dim] = estimator
            say(f"{method:>11} z_dim={z_dim:<3} test MSE {mse:.5f}  ({seconds:.1f} s)")

    results = pd.DataFrame(rows)
    results.to_csv(out / "results.csv", index=False)
    print(_table(results, name, len(X_test)))

    figures = _figures(models, results, X_test, y_test, args.z_dim, plotting)
    for filename, figure in figures.items():
        figure.savefig(out / filename, dpi=100)
        matplotlib.pyplot.close(figure)
    say(f"wrote {out / 'results.csv'} and {len(figures)} figures to {out}{os.sep}")
    return 0


def _table(results, name, n_test):
    import pandas as pd

    table = results.assign(
        mse=results["mse"].map("{:.5f}".format),
        sse_per_image=results["sse_per_image"].map("{:.2f}".format),
        compression=results["compression"].map("{:.1f}x".format),
        fit_seconds=results["fit_seconds"].map("{:.1f}".format),
        epochs=results["epochs"].map(lambda e: "" if pd.isna(e) else int(e)),
    )
    title = f"Test reconstruction error on {n_test} {name} images"
    return f"\n{title}\n{table.to_string(index=False)}\n"


def _figures(models, results, X_test, y_test, z_dims, plotting):
    """The tutorial's figures, from the fitted models."""
    smallest = min(z_dims)
    nearest_10 = min(z_dims, key=lambda z: abs(z - 10))
    autoencoder = models["autoencoder", smallest]
    figures = {
        f"reconstructions_autoencoder_z{nearest_10}.png": plotting.plot_reconstructions(
            models["autoencoder", nearest_10], X_test
        ),
        f"reconstructions_pca_z{nearest_10}.png": plotting.plot_reconstructions(
            models["PCA", nearest_10], X_test
        ),
        f"latent_scatter_z{smallest}.png": plotting.plot_latent_scatter(
            autoencoder, X_test, y_test
        ),
        "error_vs_z.png": plotting.plot_error_vs_z(results),
    }
    if smallest >= 2:
        # Ten steps across where most test codes lie (the tutorial's fixed
        # [-5, 5) only fits its own model's scale).
        codes = autoencoder.transform(X_test)[:, :2]
        low, high = np.percentile(codes, [2, 98])
        step = (high - low) / 10
        figures[f"latent_grid_z{smallest}.png"] = plotting.plot_latent_grid(
            autoencoder, X=X_test, start=low, stop=high - step / 2, step=step
        )
    for z_dim in z_dims:
        figure = plotting.plot_history(models["autoencoder", z_dim])
        figure.axes[0].set_title(f"Training curves, z_dim={z_dim}")
        figures[f"training_curves_z{z_dim}.png"] = figure
    return figures


if __name__ == "__main__":
    sys.exit(main())
