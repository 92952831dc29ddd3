import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from skae.datasets import _mnist, get_data_home, load_mnist

TEST_FILES = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture
def test_copy(tmp_path, mnist_home):
    """A folder with a copy of the MNIST test files, to damage at will."""
    for name in TEST_FILES:
        shutil.copy(mnist_home / name, tmp_path / name)
    return tmp_path


def test_real_training_set(mnist_home):
    mnist = load_mnist(data_home=mnist_home)
    assert mnist.data.shape == (60000, 784) and mnist.data.dtype == np.float32
    assert mnist.images.shape == (60000, 28, 28)
    assert np.shares_memory(mnist.images, mnist.data)
    assert mnist.data.min() == 0 and mnist.data.max() == 1
    assert mnist.data.mean() == pytest.approx(0.1307, abs=1e-4)
    assert mnist.data.std() == pytest.approx(0.3081, abs=1e-4)
    assert np.bincount(mnist.target).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert "MNIST" in mnist.DESCR


def test_test_and_all_subsets(mnist_home):
    X, y = load_mnist(data_home=mnist_home, subset="test", return_X_y=True)
    assert X.shape == (10000, 784)
    assert np.bincount(y).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    everything = load_mnist(data_home=mnist_home, subset="all")
    assert everything.data.shape == (70000, 784)
    np.testing.assert_array_equal(everything.target_names, np.arange(10))
    np.testing.assert_array_equal(everything.target[60000:], y)


def test_uncompressed_files_are_read(tmp_path, mnist_home):
    for name in TEST_FILES:
        with gzip.open(mnist_home / name) as src, open(tmp_path / name[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst)
    X, _ = load_mnist(data_home=tmp_path, subset="test", return_X_y=True)
    np.testing.assert_array_equal(
        X, load_mnist(data_home=mnist_home, subset="test").data
    )


def test_data_home_from_the_environment(monkeypatch, tmp_path, mnist_home):
    (tmp_path / "mnist").symlink_to(mnist_home)
    monkeypatch.setenv("SKAE_DATA_HOME", str(tmp_path))
    assert get_data_home() == tmp_path
    assert load_mnist(subset="test", download_if_missing=False).data.shape == (
        10000,
        784,
    )


def test_checksum_mismatch_is_refused(test_copy):
    path = test_copy / TEST_FILES[1]
    with gzip.open(path) as f:
        raw = bytearray(f.read())
    raw[-1] = (raw[-1] + 1) % 10  # one label changed
    with gzip.open(path, "wb") as f:
        f.write(raw)
    with pytest.raises(ValueError, match="failed its checksum"):
        load_mnist(data_home=test_copy, subset="test", download_if_missing=False)


def test_truncated_gzip_is_refused(test_copy):
    path = test_copy / TEST_FILES[0]
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(ValueError, match="truncated"):
        load_mnist(data_home=test_copy, subset="test", download_if_missing=False)


def test_truncated_uncompressed_file_is_refused(test_copy):
    with gzip.open(test_copy / TEST_FILES[0]) as f:
        raw = f.read()
    (test_copy / TEST_FILES[0]).unlink()
    (test_copy / TEST_FILES[0][:-3]).write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="failed its checksum"):
        load_mnist(data_home=test_copy, subset="test", download_if_missing=False)


def test_missing_files_without_download(tmp_path):
    with pytest.raises(OSError, match=f"not found in {tmp_path}.*Put t10k-images"):
        load_mnist(data_home=tmp_path, subset="test", download_if_missing=False)


def test_missing_files_offline_say_where_to_put_them(tmp_path, no_network):
    refusal = r"could not be downloaded \(OSError: every mirror failed: .*Put t10k"
    with pytest.raises(OSError, match=refusal):
        load_mnist(data_home=tmp_path, subset="test")
    assert not list(tmp_path.glob("*.gz"))  # nothing half-written


def test_download_is_verified_like_a_local_file(tmp_path, monkeypatch):
    import pooch

    def fake_retrieve(url, known_hash, fname, path, downloader):
        assert url.startswith(_mnist.MIRRORS[0]) and fname.endswith(".gz")
        target = Path(path) / fname
        with gzip.open(target, "wb") as f:
            f.write(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")  # a valid one-label file
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    with pytest.raises(ValueError, match="failed its checksum"):
        load_mnist(data_home=tmp_path, subset="test")


def test_unknown_subset():
    with pytest.raises(ValueError, match="subset must be"):
        load_mnist(subset="validation")


def test_decompression_bomb_is_refused_in_bounded_memory(tmp_path):
    import tracemalloc

    # 200 MB of zeros under the name of the 10 KB test-label file: it
    # compresses to about 200 KB, and reading it whole would take 200 MB.
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        zeros = bytes(1 << 20)
        for _ in range(200):
            f.write(zeros)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="decompression bomb"):
            _mnist._read_verified(
                tmp_path / "t10k-labels-idx1-ubyte.gz",
                *_mnist._FILES["test-labels"][1:],
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, peak  # the 10 KB buffer and about one chunk


def test_the_default_data_home_is_skae_data_in_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SKAE_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == tmp_path / "skae_data"
    assert get_data_home("~/elsewhere") == tmp_path / "elsewhere"


def test_a_download_tries_the_mirrors_in_turn_into_a_new_folder(tmp_path, monkeypatch):
    import pooch

    tried = []

    def retrieve(url, known_hash, fname, path, downloader):
        tried.append((url, downloader.kwargs["timeout"]))
        if url.startswith(_mnist.MIRRORS[0]):
            raise ConnectionError("mirror down")
        (Path(path) / fname).write_bytes(b"")
        return str(Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    folder = tmp_path / "new" / "mnist"
    assert _mnist._download(folder, "x.gz") == folder / "x.gz"
    # each mirror in order, and a stalled one gives up after 30 s
    assert tried == [(mirror + "x.gz", 30) for mirror in _mnist.MIRRORS]


def test_when_every_mirror_fails_the_error_names_each_failure(tmp_path, monkeypatch):
    import pooch

    def refuse(url, **kwargs):
        raise ConnectionError(f"no route to {url}")

    monkeypatch.setattr(pooch, "retrieve", refuse)
    with pytest.raises(OSError) as error:
        _mnist._download(tmp_path, "x.gz")
    assert str(error.value) == "every mirror failed: " + "; ".join(
        f"{mirror}: no route to {mirror}x.gz" for mirror in _mnist.MIRRORS
    )
