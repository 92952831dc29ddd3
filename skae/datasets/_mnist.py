"""MNIST from its standard IDX files, verified by SHA-256."""

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

# The size and published SHA-256 of each *uncompressed* file, so that any
# copy checks out whatever gzip produced it, and a file that inflates beyond
# its size is refused before it fills memory.
_FILES = {
    "train-images": (
        "train-images-idx3-ubyte",
        47_040_016,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels": (
        "train-labels-idx1-ubyte",
        60_008,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "test-images": (
        "t10k-images-idx3-ubyte",
        7_840_016,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "test-labels": (
        "t10k-labels-idx1-ubyte",
        10_008,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}
_CHUNK = 1 << 20  # bytes read at a time while verifying
# Public mirrors of Yann LeCun's original files, tried in order.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

DESCR = """\
MNIST handwritten digits (LeCun, Cortes and Burges)
---------------------------------------------------
70,000 greyscale images of the digits 0-9, 28x28 pixels: 60,000 for
training ("train") and 10,000 for testing ("test", the t10k files).
``data`` holds the images as rows of 784 float32 pixels in [0, 1] (the
original bytes divided by 255), ``images`` the same values shaped
(n, 28, 28), ``target`` the digit labels.

Pixel mean 0.1307, standard deviation 0.3081. PCA fitted on the training
set reconstructs the test set with a mean squared error per pixel of 0.0557
(2 components), 0.0341 (10) and 0.0177 (30).
"""


def get_data_home(data_home=None):
    """Folder where skae keeps downloaded data sets.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Returned as a :class:`~pathlib.Path` when given. Otherwise the
        environment variable ``SKAE_DATA_HOME``, else ``~/skae_data``.

    Returns
    -------
    data_home : pathlib.Path

    Examples
    --------
    >>> from skae.datasets import get_data_home
    >>> str(get_data_home("/tmp/my_data"))
    '/tmp/my_data'
    """
    if data_home is None:
        data_home = os.environ.get("SKAE_DATA_HOME", Path("~") / "skae_data")
    return Path(data_home).expanduser()


def load_mnist(
    *, data_home=None, subset="train", download_if_missing=True, return_X_y=False
):
    """Load the MNIST digits from the standard IDX files.

    The four files (``train-images-idx3-ubyte`` and its label file, the
    ``t10k`` pair for the test set) are read gzip-compressed (``.gz``) or
    not. Each is checked against the published size and SHA-256 of the
    uncompressed file while it is read, before it is parsed: a corrupt or
    truncated copy is refused whole, and a file that inflates beyond its
    size (a decompression bomb) is refused as soon as it does, in bounded
    memory.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder holding the files. By default ``mnist/`` inside
        :func:`get_data_home` (``$SKAE_DATA_HOME``, else ``~/skae_data``).
    subset : {"train", "test", "all"}, default="train"
        60,000 training images, 10,000 test images, or both (train first).
    download_if_missing : bool, default=True
        Download missing files from the public mirrors into ``data_home``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 784) float32 in [0, 1]; ``images`` (n, 28, 28), a view of
        ``data``; ``target`` (n,) int64; ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    OSError
        When a file is missing and cannot be downloaded; the message says
        where to put the files.
    ValueError
        When a file fails its checksum or is not a valid IDX file.

    Examples
    --------
    The first call downloads the files into ``~/skae_data/mnist`` (or
    ``$SKAE_DATA_HOME/mnist``) unless they are there already; later calls
    read them from there:

    >>> from skae.datasets import load_mnist
    >>> mnist = load_mnist(subset="test")
    >>> mnist.data.shape, mnist.images.shape, mnist.target[:5]
    ((10000, 784), (10000, 28, 28), array([7, 2, 1, 0, 4]))
    """
    if subset not in ("train", "test", "all"):
        raise ValueError(f"subset must be 'train', 'test' or 'all', got {subset!r}")
    folder = get_data_home() / "mnist" if data_home is None else Path(data_home)
    splits = ("train", "test") if subset == "all" else (subset,)

    def read(kind):
        return np.concatenate(
            [
                _read_idx(folder, f"{split}-{kind}", download_if_missing)
                for split in splits
            ]
        )

    images, labels = read("images"), read("labels")
    data = images.reshape(len(images), -1).astype(np.float32)
    data /= 255  # in place: one float32 copy of the data, no more
    target = labels.astype(np.int64)

    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=data.reshape(-1, 28, 28),
        target=target,
        target_names=np.arange(10),
        DESCR=DESCR,
    )


def _read_idx(folder, key, download_if_missing):
    """One verified IDX file, parsed into an array."""
    name, size, sha256 = _FILES[key]
    path = _find_or_download(folder, name, download_if_missing)
    return _parse_idx(_read_verified(path, size, sha256))


def _find_or_download(folder, name, download_if_missing):
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    where = (
        f"Put {name}.gz (or {name} uncompressed) in {folder}, or pass "
        "data_home= the folder that holds the MNIST files."
    )
    if not download_if_missing:
        raise OSError(f"MNIST file {name} not found in {folder}. {where}")
    try:
        return _download(folder, f"{name}.gz")
    except Exception as exc:  # no network, mirror down, disk full...
        raise OSError(
            f"MNIST file {name} not found in {folder} and could not be "
            f"downloaded ({type(exc).__name__}: {exc}). {where}"
        ) from exc


def _download(folder, filename):
    import pooch

    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in MIRRORS:
        try:
            path = pooch.retrieve(
                mirror + filename,
                known_hash=None,  # checked after decompression instead
                fname=filename,
                path=folder,
                downloader=pooch.HTTPDownloader(timeout=30),
            )
            return Path(path)
        except Exception as exc:  # noqa: BLE001 - any failure: try the next mirror
            errors.append(f"{mirror}: {exc}")
    raise OSError("every mirror failed: " + "; ".join(errors))


def _read_verified(path, size, sha256):
    """The uncompressed bytes of ``path``, checked against ``size`` and ``sha256``.

    The content is hashed chunk by chunk into a buffer of the expected size,
    so a file that holds more is refused after reading one chunk too many.
    """
    buffer = bytearray(size)
    digest = hashlib.sha256()
    filled = 0
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            while chunk := f.read(min(_CHUNK, size + 1 - filled)):
                if filled + len(chunk) > size:
                    raise ValueError(
                        f"{path} holds more than the {size:,} bytes of the MNIST "
                        "file of that name (a corrupt file or a decompression "
                        "bomb); it was not read further. Delete it and load again."
                    )
                buffer[filled : filled + len(chunk)] = chunk
                digest.update(chunk)
                filled += len(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(
            f"{path} is not a complete gzip file ({exc}); it may be truncated. "
            "Delete it and load again."
        ) from None
    if filled != size or digest.hexdigest() != sha256:
        raise ValueError(
            f"{path} failed its checksum: its uncompressed content ({filled:,} "
            f"bytes, SHA-256 {digest.hexdigest()}) is not the published MNIST "
            f"file ({size:,} bytes, SHA-256 {sha256}). The file is corrupt or "
            "is not the MNIST file of that name; delete it and load again."
        )
    return buffer


def _parse_idx(raw):
    """Parse verified IDX bytes: a big-endian header, then unsigned bytes."""
    ndim = raw[3]
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
