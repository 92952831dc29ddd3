"""The ``skae`` command: ``skae compare`` fits PCA and the autoencoder side by side.

On a bundled data set (``--dataset``) or on the user's own (``--data``: a
table, an array file or a folder of images, read by :mod:`skae._user_data`).
"""

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__

# Latent sizes that suit each data set: up to 10 of the digits' 64 pixels
# (at 30 of 64, PCA is nearly lossless), up to 30 of MNIST's 784.
DEFAULT_Z_DIMS = {"digits": [2, 5, 10], "mnist": [2, 10, 30]}
N_FEATURES = {"digits": 64, "mnist": 784}
# The user's data: those of these sizes that compress at least twofold.
USER_Z_DIMS = (2, 5, 10, 20, 50)
# In a log (not a terminal), an epoch line at most this often, in seconds.
LOG_EVERY_SECONDS = 10.0
# The downstream score: rows drawn at most, and folds.
DOWNSTREAM_ROWS = 10_000
DOWNSTREAM_FOLDS = 5
CODES_SUFFIXES = (".csv", ".parquet", ".pq", ".npy")


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
        help="fit PCA and the autoencoder and compare their test errors at each z_dim",
        description=(
            "Fit PCA and, for each z_dim, an autoencoder on a 70% training split, "
            "score both on the other 30%, print a table and a verdict at each "
            "z_dim, and write results.csv, error_curve.csv and PNG figures into "
            "--out."
        ),
        formatter_class=_Formatter,
    )
    source = compare.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        choices=["auto", "mnist", "digits"],
        default="auto",
        help="auto: MNIST when its files are found (never downloaded), else "
        "scikit-learn's 8x8 digits",
    )
    source.add_argument(
        "--data",
        metavar="PATH",
        help="your data instead: a table (.csv, .tsv, .parquet), an array "
        "(.npy, .npz: rows or images) or a folder of PNG/JPEG images",
    )
    compare.add_argument(
        "--data-home",
        help="folder holding the MNIST IDX files; when given, they must be "
        "there (default: $SKAE_DATA_HOME/mnist, else ~/skae_data/mnist)",
    )
    table = compare.add_argument_group("choosing what --data holds")
    table.add_argument(
        "--columns",
        nargs="+",
        metavar="COL",
        help="a table's feature columns "
        "(default: every numeric column but the label's)",
    )
    table.add_argument("--drop", nargs="+", metavar="COL", help="columns to leave out")
    table.add_argument(
        "--label",
        metavar="COL",
        help="a column (of an .npz: an array; of a folder: 'folder', each image's "
        "subfolder) kept out of the features: it colours the scatter and adds a "
        "downstream score",
    )
    table.add_argument(
        "--sep",
        metavar="SEP",
        help="the field separator of a text table (default: found in its first "
        "lines, among , ; tab |)",
    )
    table.add_argument(
        "--missing",
        choices=["drop", "error"],
        default="drop",
        help="rows with a missing value: drop them (counted) or refuse the data",
    )
    table.add_argument(
        "--image-size",
        type=_positive_int,
        nargs=2,
        metavar=("H", "W"),
        help="resize a folder's images to H x W pixels (needed when sizes differ)",
    )
    compare.add_argument(
        "--z-dim",
        type=_positive_int,
        nargs="+",
        metavar="N",
        help="latent sizes to compare, at most the number of features "
        "(default: 2 5 10 for digits, 2 10 30 for MNIST, those of 2 5 10 20 50 "
        "at most half the features of --data)",
    )
    compare.add_argument(
        "--epochs",
        type=_positive_int,
        help="epoch budget of the autoencoder (default: AutoencoderTransformer's "
        '"auto", about 4,000 gradient steps)',
    )
    compare.add_argument(
        "--out", default="skae_results", help="folder for results.csv and figures"
    )
    compare.add_argument(
        "--save-model",
        metavar="FILE.skops",
        help="save the autoencoder (with a table's scaler, as a Pipeline) with "
        "skops, for skae.load_model; inside --out unless absolute",
    )
    compare.add_argument(
        "--codes",
        metavar="FILE",
        help="write the autoencoder's codes of every row at the largest z_dim, "
        "by the row index (.csv, .parquet or .npy); inside --out unless absolute",
    )
    compare.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        help="seed of the split and of the autoencoder",
    )
    talk = compare.add_mutually_exclusive_group()
    talk.add_argument("--quiet", action="store_true", help="print only the results")
    talk.add_argument(
        "--verbose", action="store_true", help="a line for every epoch of training"
    )
    compare.set_defaults(run=compare_command)
    return parser


# -- arguments -------------------------------------------------------------------


def _check_arguments(args):
    """Refuse what cannot work, before any data is read or anything written.

    Returns the output folder, which is created only once the data are read.
    """
    if args.data is None:
        for option in ("columns", "drop", "label", "image_size", "sep"):
            if getattr(args, option) is not None:
                flag = "--" + option.replace("_", "-")
                raise UsageError(f"{flag} is for your own data: give it with --data")
    elif args.data_home is not None:
        raise UsageError("--data-home is for MNIST; --data needs none")
    if args.data_home is not None and args.dataset == "digits":
        raise UsageError("--data-home is for MNIST; --dataset digits needs none")
    out = Path(args.out)
    _check_writable(out)
    if args.save_model is not None:
        if not args.save_model.endswith(".skops"):
            raise UsageError(
                f"--save-model {args.save_model}: the file must end in .skops"
            )
        _check_importable(
            "skops", "--save-model needs skops: pip install 'skae[skops]'"
        )
    if args.codes is not None:
        suffix = Path(args.codes).suffix.lower()
        if suffix not in CODES_SUFFIXES:
            raise UsageError(
                f"--codes {args.codes}: the file must end in "
                + ", ".join(CODES_SUFFIXES)
            )
        if suffix in (".parquet", ".pq"):
            _check_importable(
                "pyarrow",
                "--codes in Parquet needs pyarrow: pip install 'skae[parquet]'",
            )
    return out


def _check_writable(out):
    """Refuse an --out that could not be created, without creating it."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: cannot create it (a file of that name exists)")
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise UsageError(f"--out {out}: cannot create it ({existing} is not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: {existing} is not writable")


def _check_importable(module, message):
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise UsageError(message)


def _make_out(out):
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create it ({exc.strerror})") from None
    return out


def _in_out(out, file):
    path = Path(file)
    return path if path.is_absolute() else out / path


# -- the data ----------------------------------------------------------------------


@dataclass
class _Data:
    """What a comparison needs of its data, bundled or the user's."""

    name: str  # "digits", "mnist", "wine.csv", "faces/"
    unit: str  # "images" or "rows"
    X_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray | None
    image_shape: tuple | None  # the autoencoder's (None: the dense network)
    shown_as: tuple | None  # how figures show a row as an image (None: not images)
    default_z_dims: list
    in_order: object  # rows_in_order(chunk) -> iterator of row chunks, original order
    index: object  # the codes' row index (a pandas Index)
    n_features: int
    split: object = None  # the user's data: a skae._user_data.Split
    label: str | None = None
    notes: list = field(default_factory=list)  # what was read and how: not in --quiet
    warnings: list = field(default_factory=list)  # what was lost: printed even so


def _load(args, say):
    """The data to compare, split and scaled."""
    if args.data is not None:
        return _load_user_data(args)
    if args.dataset in ("auto", "mnist"):
        mnist = _load_mnist(args, say)
        if mnist is not None:
            return mnist
    return _load_digits(args)


def _load_mnist(args, say):
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
    except (OSError, ValueError) as exc:
        if args.dataset == "mnist" or args.data_home is not None:
            raise UsageError(str(exc)) from None
        say("MNIST not found; using scikit-learn's 8x8 digits instead.")
        return None
    import pandas as pd

    def in_order(chunk):
        for part in (train.data, test.data):
            for first in range(0, len(part), chunk):
                yield part[first : first + chunk]

    return _Data(
        name="mnist",
        unit="images",
        X_train=train.data,
        X_test=test.data,
        y_test=test.target,
        image_shape=(28, 28),
        shown_as=(28, 28),
        default_z_dims=DEFAULT_Z_DIMS["mnist"],
        in_order=in_order,
        index=pd.RangeIndex(len(train.data) + len(test.data), name="image"),
        n_features=784,
    )


def _load_digits(args):
    import pandas as pd
    from sklearn.datasets import load_digits

    from ._user_data import Dataset, split

    X, y = load_digits(return_X_y=True)
    data = Dataset(
        name="digits",
        X=(X / 16).astype(np.float32),
        index=pd.RangeIndex(len(X), name="image"),
        kind="images",
        image_shape=(8, 8),
        y=y,
    )
    parts = split(data, args.random_state)
    # The digits' autoencoder is the dense network, as in the README's tables.
    return _from_split(data, parts, DEFAULT_Z_DIMS["digits"], image_shape=None)


def _load_user_data(args):
    from ._user_data import DataError, read, split

    try:
        data = read(
            args.data,
            columns=args.columns,
            drop=args.drop,
            label=args.label,
            missing=args.missing,
            image_size=args.image_size,
            sep=args.sep,
        )
    except DataError as exc:
        raise UsageError(str(exc)) from None
    n, n_features = data.X.shape
    if n_features < 2:
        raise UsageError(f"{data.name} has one feature: there is nothing to compress")
    if n < 10:
        raise UsageError(f"{data.name} has {n} rows: at least 10 are needed to compare")
    largest = max(args.z_dim or [1])
    n_train = n - int(np.ceil(0.3 * n))
    if largest > n_features:
        raise UsageError(
            f"--z-dim {largest}: {data.name} has {n_features} features, so z_dim "
            f"can be at most {n_features}"
        )
    if largest > n_train:
        raise UsageError(
            f"--z-dim {largest}: {data.name} has {n_train} training rows, so z_dim "
            f"can be at most {n_train}"
        )
    default = [z for z in USER_Z_DIMS if 2 * z <= n_features and z <= n_train] or [1]
    parts = split(data, args.random_state)
    return _from_split(data, parts, default, image_shape=data.image_shape)


def _from_split(data, parts, default_z_dims, image_shape):
    """A :class:`_Data` of a Dataset split in place (``parts``)."""
    where = np.empty_like(parts.order)
    where[parts.order] = np.arange(len(parts.order))

    def in_order(chunk):
        for first in range(0, len(where), chunk):
            yield parts.X[where[first : first + chunk]]

    return _Data(
        name=data.name,
        unit=data.unit,
        X_train=parts.X_train,
        X_test=parts.X_test,
        y_test=parts.y_part("test"),
        image_shape=image_shape,
        shown_as=data.image_shape,
        default_z_dims=default_z_dims,
        in_order=in_order,
        index=data.index,
        n_features=parts.X.shape[1],
        split=parts,
        label=data.label,
        notes=data.notes,
        warnings=data.warnings,
    )


def _check_z_dims(z_dims, name):
    too_large = [z for z in z_dims if z > N_FEATURES[name]]
    if too_large:
        raise UsageError(
            f"--z-dim {too_large[0]}: {name} images have {N_FEATURES[name]} "
            f"pixels, so z_dim can be at most {N_FEATURES[name]}"
        )


# -- the command ------------------------------------------------------------------


def compare_command(args):
    out = _check_arguments(args)

    def say(message):
        if not args.quiet:
            print(message, flush=True)

    if args.z_dim and args.data is None and args.dataset != "auto":
        _check_z_dims(args.z_dim, args.dataset)
    data = _load(args, say)
    for warning in data.warnings:  # what was skipped or dropped: even with --quiet
        print(f"skae: warning: {warning}", file=sys.stderr, flush=True)
    z_dims = sorted(set(args.z_dim or data.default_z_dims))
    if args.data is None:
        _check_z_dims(z_dims, data.name)
    _make_out(out)

    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    _describe(data, z_dims, args, say)
    pca, autoencoders, seconds = _fit_all(args, data, z_dims, say)
    curves = _error_curves(pca, autoencoders, data.X_test)
    results = pd.DataFrame(_result_rows(curves, seconds, pca, autoencoders, data))
    downstream = None
    if data.label is not None:
        downstream = _downstream(data, pca, autoencoders, args.random_state)
        if downstream.scores:
            column = f"downstream_{downstream.metric}"
            results[column] = [
                downstream.scores[row.method, row.z_dim] for row in results.itertuples()
            ]
    results.to_csv(out / "results.csv", index=False)
    curves.to_csv(out / "error_curve.csv", index_label="z_dim")
    print(_table(results, data))
    print(verdict(results, data.name, len(data.X_test), data.unit))
    if downstream is not None:
        print(downstream.line)

    import matplotlib.pyplot as plt

    from . import plotting

    figures = _figures(pca, autoencoders, data, curves, plotting)
    for filename, figure in figures.items():
        figure.savefig(out / filename, dpi=100)
        plt.close(figure)
    written = [out / "results.csv", out / "error_curve.csv"]
    largest = autoencoders[max(autoencoders)]
    if args.codes is not None:
        written.append(_write_codes(largest, data, _in_out(out, args.codes)))
    if args.save_model is not None:
        written.append(_save_model(largest, data, _in_out(out, args.save_model)))
    names = [str(p.relative_to(out) if p.is_relative_to(out) else p) for p in written]
    say(f"wrote {', '.join(names)} and {len(figures)} figures to {out}{os.sep}")
    return 0


def _describe(data, z_dims, args, say):
    """What was read and how it was prepared, before the fits."""
    z_list = ", ".join(map(str, z_dims))
    if data.split is None or data.name == "digits":
        say(
            f"{data.name}: {len(data.X_train)} training and {len(data.X_test)} test "
            f"images of {data.n_features} pixels; PCA and an autoencoder at z_dim "
            + z_list
        )
        return
    for note in data.notes:
        say(note)
    if data.label is not None:
        what = "each image's subfolder" if data.label == "folder" else data.label
        say(f"label: {what} ({_label_kind(data.split.y)[1]})")
    say(
        f"70/30 split seeded by --random-state {args.random_state}: "
        f"{len(data.X_train):,} training and {len(data.X_test):,} test {data.unit} of "
        f"{data.n_features:,} features; PCA and an autoencoder at z_dim {z_list}"
    )
    if data.unit == "rows":
        say("features standardised with the training rows' mean and standard deviation")


def _progress(args, say, label):
    """The epoch lines of one autoencoder's fit, as the output allows.

    On a terminal, one line updated in place, which stays as the fit's
    summary; in a log, a line at most every ``LOG_EVERY_SECONDS``;
    ``--verbose``, a line for every epoch; ``--quiet``, none.
    """
    from ._training import EpochLines

    if args.quiet:
        return []
    if args.verbose:
        return [EpochLines(label, say)]
    if sys.stdout.isatty():

        def write(text):
            sys.stdout.write(text)
            sys.stdout.flush()

        return [EpochLines(label, write, in_place=True)]
    return [EpochLines(label, say, every=LOG_EVERY_SECONDS)]


def _fit_all(args, data, z_dims, say):
    """PCA, and for each z_dim the autoencoder that a user's own fit gives.

    PCA's first k components are PCA(k), so one PCA serves every size. The
    autoencoders are plain default fits, one per size: the first k codes of
    one nested fit are a worse code of size k than a fit of that size
    (benchmarks/results/nested.md), and the command reports what
    ``AutoencoderTransformer(z_dim=k)`` gives.
    """
    from sklearn.decomposition import PCA

    from . import AutoencoderTransformer
    from ._user_data import _count

    say(
        f"PCA once (its first k components are PCA(k)), and an autoencoder for "
        f"each z_dim, fitted alone as AutoencoderTransformer(z_dim) fits it: "
        f"{_count(len(z_dims), 'fit')}."
    )
    start = time.perf_counter()
    pca = PCA(max(z_dims), random_state=args.random_state).fit(data.X_train)
    seconds = {"PCA": time.perf_counter() - start}
    say(f"PCA z_dim={max(z_dims)} fitted in {seconds['PCA']:.1f} s")
    autoencoders = {}
    for z_dim in z_dims:
        label = f"autoencoder z_dim={z_dim} "
        ae = AutoencoderTransformer(
            z_dim,
            image_shape=data.image_shape,
            epochs=args.epochs or "auto",
            random_state=args.random_state,
            callbacks=_progress(args, say, label),
        )
        start = time.perf_counter()
        autoencoders[z_dim] = ae.fit(data.X_train)
        seconds[z_dim] = time.perf_counter() - start
        say(f"{label}fitted in {seconds[z_dim]:.1f} s")
    return pca, autoencoders, seconds


def _error_curves(pca, autoencoders, X_test, chunk=8_192):
    """Test MSE of PCA's first k components for every k, and of each autoencoder
    at its own size (a row per k; the autoencoder's column is empty between).

    A chunk of rows at a time: the reconstructions of every k are never
    held for all the test rows at once.
    """
    import pandas as pd

    from .metrics import reconstruction_error, reconstruction_error_curve

    pca_total, ae_totals = 0, dict.fromkeys(autoencoders, 0.0)
    for first in range(0, len(X_test), chunk):
        part = X_test[first : first + chunk]
        pca_total = pca_total + reconstruction_error_curve(pca, part) * len(part)
        for z_dim, ae in autoencoders.items():
            ae_totals[z_dim] += reconstruction_error(ae, part) * len(part)
    k = range(1, pca.n_components_ + 1)
    curves = pd.DataFrame({"PCA": pca_total / len(X_test)}, index=k)
    curves["autoencoder"] = pd.Series(
        {z_dim: total / len(X_test) for z_dim, total in ae_totals.items()}
    )
    return curves


def _result_rows(curves, seconds, pca, autoencoders, data):
    per = "sse_per_image" if data.unit == "images" else "sse_per_row"
    rows = []
    for z_dim, ae in autoencoders.items():
        for method in ("PCA", "autoencoder"):
            mse = float(curves.loc[z_dim, method])
            fitted = method == "autoencoder"
            rows.append(
                {
                    "method": method,
                    "z_dim": z_dim,
                    "mse": mse,
                    per: mse * data.n_features,
                    "compression": data.n_features / z_dim,
                    "fit_seconds": seconds[z_dim if fitted else "PCA"],
                    "epochs": ae.n_iter_ if fitted else None,
                    "best_epoch": ae.best_epoch_ if fitted else None,
                    "stopped": _how_it_stopped(ae) if fitted else "",
                }
            )
    return rows


def _how_it_stopped(estimator):
    """How an autoencoder's training ended: "kept PCA", "epoch cap" or "early"."""
    if estimator.n_pca_codes_ == estimator.z_dim_:
        return "kept PCA"
    return "epoch cap" if estimator.n_iter_ >= estimator.max_epochs_ else "early"


def _table(results, data):
    import pandas as pd

    formats = {
        "mse": "{:.5f}",
        "sse_per_image": "{:.2f}",
        "sse_per_row": "{:.2f}",
        "compression": "{:.1f}x",
        "fit_seconds": "{:.1f}",
        "downstream_accuracy": "{:.3f}",
        "downstream_r2": "{:.3f}",
    }
    table = results.assign(
        **{
            column: results[column].map(form.format)
            for column, form in formats.items()
            if column in results
        },
        **{
            column: results[column].map(lambda e: "" if pd.isna(e) else int(e))
            for column in ("epochs", "best_epoch")
        },
    )
    if data.unit == "images":
        title = f"Test reconstruction error on {len(data.X_test)} {data.name} images"
    else:
        title = (
            f"Test reconstruction error on {len(data.X_test):,} rows of {data.name} "
            "(MSE per standardised feature)"
        )
    return f"\n{title}\n{table.to_string(index=False)}\n"


# Test errors within this ratio of each other tie: the verdict names no winner.
TIE = 1.005


def verdict(results, name, n_test, unit="images"):
    """One line: who reconstructs the test data better, by how much, at each z_dim.

    Errors within half a percent of each other tie. The line also says
    where training kept the PCA start (it found nothing to improve on), and
    which autoencoders were still improving when they reached the epoch cap
    (a larger ``--epochs`` may lower their error).
    """
    mse = results.pivot(index="z_dim", columns="method", values="mse")
    ratios = mse["PCA"] / mse["autoencoder"]
    winners = ratios.map(lambda r: "autoencoder" if r > TIE else "PCA" if r < 1 / TIE else "tie")
    parts = [
        f"{ratio:.2f}x lower error at z_dim={z}"
        if winner == "autoencoder"
        else f"PCA {1 / ratio:.2f}x lower at z_dim={z}"
        if winner == "PCA"
        else f"ties PCA at z_dim={z}"
        for (z, ratio), winner in zip(ratios.items(), winners)
    ]
    if (winners == "autoencoder").all():
        head = "the autoencoder reconstructs better than PCA at every z_dim"
    elif (winners == "PCA").all():
        head = "PCA reconstructs better than the autoencoder at every z_dim"
    elif (winners == "tie").all():
        head = "the autoencoder ties PCA at every z_dim"
    else:
        head = "neither wins everywhere"
    line = f"Verdict on {n_test} held-out {name} {unit}: {head}: " + ", ".join(parts)
    ae = results[results["method"] == "autoencoder"]
    kept = ae.loc[ae["stopped"] == "kept PCA", "z_dim"].tolist()
    if kept:
        line += (
            f"; at z_dim={_listed(kept)} the autoencoder kept the PCA start: "
            "training did not improve on it"
        )
    improving = ae.loc[
        (ae["stopped"] == "epoch cap") & (ae["best_epoch"] == ae["epochs"]), "z_dim"
    ].tolist()
    if improving:
        line += (
            f"; the autoencoder at z_dim={_listed(improving)} stopped at the epoch "
            "cap, still improving (a larger --epochs may lower its error)"
        )
    return line + "."


def _listed(values):
    return ", ".join(map(str, values))


# -- the downstream score ------------------------------------------------------------


@dataclass
class _Downstream:
    metric: str  # "accuracy" or "r2"
    scores: dict  # (method, z_dim) -> mean cross-validated score
    line: str  # what the command prints


def _label_kind(y):
    """("classification", "3 classes") or ("regression", "numeric, 57 values")."""
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    from ._user_data import MAX_CLASSES

    values = pd.Series(y)
    n = values.nunique()
    if (
        is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
        and n > MAX_CLASSES
    ):
        return "regression", f"regression: numeric, {n:,} values"
    return "classification", f"classification: {n:,} class{'' if n == 1 else 'es'}"


def _downstream(data, pca, autoencoders, random_state):
    """Cross-validated accuracy (or R^2) of a simple model on each method's codes.

    The codes of at most ``DOWNSTREAM_ROWS`` rows of all the data (the
    compressors never saw the label), the same folds for every method and
    size; LogisticRegression for classes, Ridge for a numeric label with
    many values, each after a StandardScaler of the codes.
    """
    import pandas as pd
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    parts = data.split
    task, kind = _label_kind(parts.y)
    rng = np.random.default_rng(random_state)
    n = len(parts.X)
    rows = np.sort(rng.choice(n, size=min(n, DOWNSTREAM_ROWS), replace=False))
    X, y = parts.X[rows], parts.y[rows]
    if task == "classification":
        y = pd.factorize(y)[0]
        smallest = np.bincount(y).min()
        folds = min(DOWNSTREAM_FOLDS, int(smallest))
        if len(np.unique(y)) < 2 or folds < 2:
            why = "one class" if len(np.unique(y)) < 2 else "a class of a single row"
            return _Downstream(
                "accuracy", {}, f"Downstream: no score, the label has {why}."
            )
        model, metric, name = LogisticRegression(max_iter=1000), "accuracy", "accuracy"
        cv = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    else:
        model, metric, name = Ridge(), "r2", "R^2"
        folds = DOWNSTREAM_FOLDS
        cv = KFold(folds, shuffle=True, random_state=random_state)

    def score(features):
        pipe = make_pipeline(StandardScaler(), model)
        return float(cross_val_score(pipe, features, y, cv=cv).mean())

    pca_codes = pca.transform(X)
    scores = {}
    for z, ae in autoencoders.items():
        scores["PCA", z] = score(pca_codes[:, :z])
        scores["autoencoder", z] = score(ae.transform(X))
    simple = type(model).__name__
    line = (
        f"Downstream ({kind}): {folds}-fold {name} of {simple} on the codes of "
        f"{len(rows):,} {data.unit} (the column downstream_{metric}); on all "
        f"{X.shape[1]:,} features: {score(X):.3f}."
    )
    return _Downstream(metric, scores, line)


# -- figures and files -------------------------------------------------------------


def _first_components(pca, k):
    """PCA's first ``k`` components as a fitted PCA(k): what PCA(k) would be."""
    import copy

    prefix = copy.copy(pca)
    prefix.n_components = prefix.n_components_ = k
    for name in (
        "components_",
        "explained_variance_",
        "explained_variance_ratio_",
        "singular_values_",
    ):
        setattr(prefix, name, getattr(pca, name)[:k])
    return prefix


def _figures(pca, autoencoders, data, curves, plotting):
    """The figures of PCA and the autoencoders, one per size."""
    import matplotlib.pyplot as plt

    smallest = min(autoencoders)
    curve_rows = [
        {"method": method, "z_dim": k, "mse": mse}
        for method in curves.columns
        for k, mse in curves[method].dropna().items()
    ]
    training, axes = plt.subplots(
        1, len(autoencoders), figsize=(4.5 * len(autoencoders), 3.8), layout="constrained"
    )
    for ax, (z_dim, ae) in zip(np.atleast_1d(axes), autoencoders.items()):
        plotting.plot_history(ae, ax=ax)
        ax.set_title(f"z_dim={z_dim}")
    figures = {
        "error_vs_z.png": plotting.plot_error_vs_z(curve_rows),
        "training_curves.png": training,
        f"latent_scatter_z{smallest}.png": _scatter(
            _first_components(pca, smallest), autoencoders[smallest], data, plotting
        ),
    }
    if data.shown_as is None:
        return figures
    nearest_10 = min(autoencoders, key=lambda z: abs(z - 10))
    for method, model in (
        ("autoencoder", autoencoders[nearest_10]),
        ("pca", _first_components(pca, nearest_10)),
    ):
        figures[f"reconstructions_{method}_z{nearest_10}.png"] = (
            plotting.plot_reconstructions(model, data.X_test, image_shape=data.shown_as)
        )
    if smallest >= 2:
        figures[f"latent_grid_z{smallest}.png"] = plotting.plot_latent_grid(
            autoencoders[smallest], data.X_test, image_shape=data.shown_as
        )
    return figures


def _scatter(pca, ae, data, plotting):
    """The test rows' codes by PCA and by the autoencoder, side by side,
    coloured by the label when there is one (a colour per class)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    y, cmap = data.y_test, "viridis"
    if y is not None and (
        data.split is None or _label_kind(data.split.y)[0] == "classification"
    ):
        y = pd.Categorical(y)  # classes, named on the colour bar
        cmap = "tab10" if len(y.categories) <= 10 else "tab20"
    for ax, (method, model) in zip(axes, (("PCA", pca), ("autoencoder", ae))):
        plotting.plot_latent_scatter(model, data.X_test, y, ax=ax, cmap=cmap)
        k = model.n_components_
        ax.set_title(f"{method}: the first {k} codes of test {data.unit}")
    for bar in fig.axes[2:]:
        bar.set_ylabel(data.label or "label")
    return fig


def _codes(ae, data, chunk_rows=65_536):
    """The autoencoder's codes of every row, in the data's own order.

    A chunk of rows at a time, each a whole number of the model's batches,
    so that every row meets the same batch as in ``ae.transform`` of all
    the data at once: a saved model reproduces these codes exactly.
    """
    chunk = max(1, chunk_rows // ae.batch_size_) * ae.batch_size_
    return np.concatenate([ae.transform(rows) for rows in data.in_order(chunk)])


def _write_codes(ae, data, path):
    import pandas as pd

    codes = _codes(ae, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".npy":
        np.save(path, codes)
        return path
    frame = pd.DataFrame(codes, index=data.index, columns=ae.get_feature_names_out())
    if path.suffix.lower() == ".csv":
        # Nine significant digits give back every float32 exactly.
        frame.to_csv(path, float_format="%.9g")
    else:
        frame.to_parquet(path)
    return path


def _save_model(ae, data, path):
    """The autoencoder, behind a table's StandardScaler, in a skops file."""
    import skops.io as sio
    from sklearn.pipeline import make_pipeline

    # The progress lines were the command's; the saved model prints nothing.
    model = ae.set_params(callbacks=None)
    scaler = None if data.split is None else data.split.scaler
    if scaler is not None and hasattr(scaler, "feature_names_in_"):
        # The autoencoder was fitted on the scaler's output, whose columns
        # bear the table's names: the saved pipeline passes them on, so that
        # it takes a DataFrame whatever its output setting, without warnings.
        ae.feature_names_in_ = scaler.get_feature_names_out()
        scaler.set_output(transform="pandas")
    if scaler is not None:
        model = make_pipeline(scaler, ae)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    return path


if __name__ == "__main__":
    console_main()
