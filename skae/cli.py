"""The ``skae`` command: ``skae compare`` fits PCA and the autoencoder side by side."""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from . import __version__

# Latent sizes that suit each data set: up to 10 of the digits' 64 pixels
# (at 30 of 64, PCA is nearly lossless), up to 30 of MNIST's 784.
DEFAULT_Z_DIMS = {"digits": [2, 5, 10], "mnist": [2, 10, 30]}
N_FEATURES = {"digits": 64, "mnist": 784}


class UsageError(Exception):
    """A mistake in the command line: one line on stderr, exit status 2."""


class _Formatter(argparse.HelpFormatter):
    """Help that ends each option with its default, unless it says it already."""

    def _get_help_string(self, action):
        text = action.help or ""
        shown = action.default not in (None, argparse.SUPPRESS)
        if "(default" not in text and shown and action.default is not False:
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr (and exit status 2)."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def main(argv=None):
    """Run the ``skae`` command; return its exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return args.run(args)
    except UsageError as exc:
        print(f"skae: error: {exc}", file=sys.stderr)
        return 2


def console_main():
    """Entry point of the installed ``skae`` command and ``python -m skae``.

    TensorFlow's C++ runtime writes its start-up chatter (and a CUDA probe's
    failure on machines without a GPU) to file descriptor 2, where no Python
    setting reaches. The command sends that descriptor to /dev/null and
    keeps Python's own stderr (its errors, and tracebacks) on the terminal;
    set TF_CPP_MIN_LOG_LEVEL to see the native lines. Python warnings are
    off too: a command prints its results and its errors.
    """
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        sys.stderr.flush()
        terminal = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(terminal, "w", buffering=1)
    warnings.simplefilter("ignore")
    sys.exit(main())


def _positive_int(text):
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _seed(text):
    value = _int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to 2**32 - 1, got {text}"
        )
    return value


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _parser():
    parser = _Parser(
        prog="skae", description="scikit-learn compatible autoencoders on Keras 3."
    )
    parser.add_argument("--version", action="version", version=f"skae {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    compare = commands.add_parser(
        "compare",
        help="fit PCA and the autoencoder for each z_dim and compare test errors",
        description=(
            "For each z_dim, fit PCA and AutoencoderTransformer on the training "
            "split, score both on the test split, print a table and a verdict, "
            "and write results.csv and PNG figures into --out."
        ),
        formatter_class=_Formatter,
    )
    compare.add_argument(
        "--dataset",
        choices=["auto", "mnist", "digits"],
        default="auto",
        help="auto: MNIST when its files are found (never downloaded), else "
        "scikit-learn's 8x8 digits",
    )
    compare.add_argument(
        "--data-home",
        help="folder holding the MNIST IDX files; when given, they must be "
        "there (default: $SKAE_DATA_HOME/mnist, else ~/skae_data/mnist)",
    )
    compare.add_argument(
        "--z-dim",
        type=_positive_int,
        nargs="+",
        metavar="N",
        help="latent sizes to compare, at most the number of pixels "
        "(default: 2 5 10 for digits, 2 10 30 for MNIST)",
    )
    compare.add_argument(
        "--epochs",
        type=_positive_int,
        help="epoch budget of each autoencoder (default: AutoencoderTransformer's "
        '"auto", about 4,000 gradient steps)',
    )
    compare.add_argument(
        "--out", default="skae_results", help="folder for results.csv and figures"
    )
    compare.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        help="seed of the split (digits) and of every autoencoder",
    )
    compare.add_argument("--quiet", action="store_true", help="print only the results")
    compare.set_defaults(run=compare_command)
    return parser


def _check_arguments(args):
    """Refuse what cannot work, before any data is read or model trained."""
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot create it ({exc.strerror})") from None
    if not os.access(out, os.W_OK):
        raise UsageError(f"--out {args.out}: the folder is not writable")
    if args.data_home is not None and args.dataset == "digits":
        raise UsageError("--data-home is for MNIST; --dataset digits needs none")
    return out


def _load(args, say):
    """Train and test splits, test labels, the image shape and the data set's name."""
    if args.dataset in ("auto", "mnist"):
        from .datasets import load_mnist

        # auto never downloads: the main job must run offline, at once. A
        # --data-home given explicitly must hold the files.
        download = args.dataset == "mnist" and args.data_home is None
        try:
            train = load_mnist(
                data_home=args.data_home, subset="train", download_if_missing=download
            )
            test = load_mnist(
                data_home=args.data_home, subset="test", download_if_missing=download
            )
            return train.data, test.data, test.target, (28, 28), "mnist"
        except (OSError, ValueError) as exc:
            if args.dataset == "mnist" or args.data_home is not None:
                raise UsageError(str(exc)) from None
            say("MNIST not found; using scikit-learn's 8x8 digits instead.")

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=0.3, random_state=args.random_state
    )
    return X_train, X_test, y_test, None, "digits"


def compare_command(args):
    out = _check_arguments(args)

    def say(message):
        if not args.quiet:
            print(message, flush=True)

    if args.z_dim and args.dataset != "auto":
        _check_z_dims(args.z_dim, args.dataset)
    X_train, X_test, y_test, image_shape, name = _load(args, say)
    z_dims = sorted(set(args.z_dim or DEFAULT_Z_DIMS[name]))
    _check_z_dims(z_dims, name)

    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    say(
        f"{name}: {len(X_train)} training and {len(X_test)} test images of "
        f"{X_train.shape[1]} pixels; PCA and an autoencoder at z_dim "
        + ", ".join(map(str, z_dims))
    )
    pca, ae, seconds = _fit_both(args, X_train, image_shape, max(z_dims), say)
    curves = _error_curves(pca, ae, X_test)
    results = pd.DataFrame(_result_rows(curves, z_dims, seconds, ae, X_train.shape[1]))
    results.to_csv(out / "results.csv", index=False)
    curves.to_csv(out / "error_curve.csv", index_label="z_dim")
    print(_table(results, name, len(X_test)))
    print(verdict(results, name, len(X_test)))

    import matplotlib.pyplot as plt

    from . import plotting

    figures = _figures(pca, ae, X_train, X_test, y_test, z_dims, plotting)
    for filename, figure in figures.items():
        figure.savefig(out / filename, dpi=100)
        plt.close(figure)
    say(
        f"wrote {out / 'results.csv'}, {out / 'error_curve.csv'} and "
        f"{len(figures)} figures to {out}{os.sep}"
    )
    return 0


def _fit_both(args, X_train, image_shape, largest, say):
    """PCA and one nested autoencoder of ``largest`` codes: every size from one fit."""
    from sklearn.decomposition import PCA

    from . import AutoencoderTransformer
    from ._training import EpochLines

    say(
        f"One PCA and one autoencoder with nested codes (z_dim={largest}) serve "
        f"every z_dim from 1 to {largest}: the first k codes are a code of size k."
    )
    seconds = {}
    models = {
        "PCA": PCA(largest, random_state=args.random_state),
        "autoencoder": AutoencoderTransformer(
            largest,
            nested=True,
            image_shape=image_shape,
            epochs=args.epochs or "auto",
            random_state=args.random_state,
            callbacks=[EpochLines("autoencoder ", say, left_for="this model")],
        ),
    }
    for method, model in models.items():
        start = time.perf_counter()
        model.fit(X_train)
        seconds[method] = time.perf_counter() - start
        say(f"{method} z_dim={largest} fitted in {seconds[method]:.1f} s")
    return models["PCA"], models["autoencoder"], seconds


def _error_curves(pca, ae, X_test):
    """Test MSE of the first k codes of each, for every k (a row per k)."""
    import pandas as pd

    from .metrics import reconstruction_error_curve

    curves = {
        "PCA": reconstruction_error_curve(pca, X_test),
        "autoencoder": reconstruction_error_curve(ae, X_test),
    }
    return pd.DataFrame(curves, index=range(1, len(curves["PCA"]) + 1))


def _result_rows(curves, z_dims, seconds, ae, n_features):
    rows = []
    for z_dim in z_dims:
        for method in ("PCA", "autoencoder"):
            mse = float(curves.loc[z_dim, method])
            rows.append(
                {
                    "method": method,
                    "z_dim": z_dim,
                    "mse": mse,
                    "sse_per_image": mse * n_features,
                    "compression": n_features / z_dim,
                    "fit_seconds": seconds[method],
                    "epochs": ae.n_iter_ if method == "autoencoder" else None,
                    "stopped": _how_it_stopped(ae) if method == "autoencoder" else "",
                }
            )
    return rows


def _check_z_dims(z_dims, name):
    too_large = [z for z in z_dims if z > N_FEATURES[name]]
    if too_large:
        raise UsageError(
            f"--z-dim {too_large[0]}: {name} images have {N_FEATURES[name]} "
            f"pixels, so z_dim can be at most {N_FEATURES[name]}"
        )


def _how_it_stopped(estimator):
    """"early" or "epoch cap" for an autoencoder."""
    return "epoch cap" if estimator.n_iter_ >= estimator.max_epochs_ else "early"


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


def verdict(results, name, n_test):
    """One line: who reconstructs the test images better, by how much, at each z_dim.

    It also says which autoencoders stopped at the epoch cap rather than by
    early stopping (those might improve with a larger ``--epochs``).
    """
    mse = results.pivot(index="z_dim", columns="method", values="mse")
    ratios = mse["PCA"] / mse["autoencoder"]
    parts = [
        f"{ratio:.2f}x lower error at z_dim={z}"
        if ratio >= 1
        else f"PCA {1 / ratio:.2f}x lower at z_dim={z}"
        for z, ratio in ratios.items()
    ]
    if (ratios >= 1).all():
        head = "the autoencoder reconstructs better than PCA at every z_dim"
    elif (ratios < 1).all():
        head = "PCA reconstructs better than the autoencoder at every z_dim"
    else:
        head = "neither wins everywhere"
    line = f"Verdict on {n_test} held-out {name} images: {head}: " + ", ".join(parts)
    capped = results.loc[results["stopped"] == "epoch cap", "z_dim"].tolist()
    if capped:
        line += (
            "; the autoencoder at z_dim=" + ", ".join(map(str, capped))
            + " stopped at the epoch cap, still improving (a larger --epochs "
            "may lower its error)"
        )
    return line + "."


def _figures(pca, ae, X_train, X_test, y_test, z_dims, plotting):
    """The tutorial's figures, from the one PCA and the one nested autoencoder."""
    from sklearn.decomposition import PCA

    smallest = min(z_dims)
    nearest_10 = min(z_dims, key=lambda z: abs(z - 10))
    small = ae.truncate(smallest)
    figures = {
        f"reconstructions_autoencoder_z{nearest_10}.png": plotting.plot_reconstructions(
            ae.truncate(nearest_10), X_test
        ),
        f"reconstructions_pca_z{nearest_10}.png": plotting.plot_reconstructions(
            PCA(nearest_10).fit(X_train), X_test
        ),
        f"latent_scatter_z{smallest}.png": plotting.plot_latent_scatter(
            small, X_test, y_test
        ),
        "error_vs_z.png": plotting.plot_error_vs_z(ae, X_test, pca=pca),
        "training_curves.png": plotting.plot_history(ae),
    }
    if smallest >= 2:
        figures[f"latent_grid_z{smallest}.png"] = plotting.plot_latent_grid(
            small, X_test
        )
    return figures


if __name__ == "__main__":
    console_main()
