"""skae compare --data: every format against the same comparison written in
Python, the bad inputs, the saved model and its codes, the reading rules."""

import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import skae
from skae._user_data import DataError, read
from skae.cli import main

Z_DIMS = [2, 3]
EPOCHS = 2
N_IMAGES = 300


# -- the data, and the comparison in Python --------------------------------------------


@pytest.fixture(scope="module")
def wine():
    """scikit-learn's wine table (13 numeric columns and a class), and its
    features as float32."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    return frame, frame.drop(columns="target").to_numpy(np.float32)


@pytest.fixture(scope="module")
def digit_images(digits):
    """The first 300 digits as 8x8 uint8 images, in the order of a folder
    with a subfolder per class (by class, then by number), and their classes."""
    X, y = digits
    images = np.round(X[:N_IMAGES] * 255).astype(np.uint8).reshape(-1, 8, 8)
    order = np.lexsort((np.arange(N_IMAGES), y[:N_IMAGES]))
    return images[order], y[:N_IMAGES][order]


def python_comparison(X, image_shape=None, standardise=True):
    """What ``skae compare`` computes, in Python: the test MSE of PCA's first k
    components and of a plain autoencoder of size k, for each k in Z_DIMS."""
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from skae import AutoencoderTransformer
    from skae.metrics import reconstruction_error, reconstruction_error_curve

    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    if standardise:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    pca = reconstruction_error_curve(PCA(max(Z_DIMS), random_state=0).fit(X_train), X_test)
    expected = {}
    for k in Z_DIMS:
        ae = AutoencoderTransformer(
            k, image_shape=image_shape, epochs=EPOCHS, random_state=0
        ).fit(X_train)
        expected["PCA", k] = pca[k - 1]
        expected["autoencoder", k] = reconstruction_error(ae, X_test)
    return expected


@pytest.fixture(scope="module")
def table_comparison(wine):
    return python_comparison(wine[1])


@pytest.fixture(scope="module")
def grey_comparison(digit_images):
    images = digit_images[0]
    return python_comparison(
        images.reshape(len(images), -1).astype(np.float32) / 255,
        image_shape=(8, 8),
        standardise=False,
    )


def compare(tmp_path, data, *options):
    """``skae compare --data data`` at Z_DIMS for EPOCHS; its results.csv and
    output folder."""
    out = tmp_path / "out"
    arguments = ["compare", "--data", str(data), "--out", str(out)]
    arguments += ["--z-dim", *map(str, Z_DIMS), "--epochs", str(EPOCHS), *options]
    assert main(arguments) == 0
    return pd.read_csv(out / "results.csv"), out


def assert_as_in_python(results, expected):
    assert [(r.method, r.z_dim) for r in results.itertuples()] == [
        (method, k) for k in Z_DIMS for method in ("PCA", "autoencoder")
    ]
    for row in results.itertuples():
        assert row.mse == pytest.approx(expected[row.method, row.z_dim], rel=1e-4), row


def with_text_and_label(frame):
    """The wine table with a text column, as tables in the wild have."""
    frame = frame.copy()
    frame.insert(2, "cultivar", frame["target"].map({0: "a", 1: "b", 2: "c"}))
    return frame


# -- each format -----------------------------------------------------------------------


def test_csv_with_a_header_a_text_column_and_a_label(
    tmp_path, wine, table_comparison, capsys
):
    path = tmp_path / "wine.csv"
    with_text_and_label(wine[0]).to_csv(path, index=False)
    results, out = compare(
        tmp_path,
        path,
        "--label",
        "target",
        "--codes",
        "codes.csv",
        "--save-model",
        "model.skops",
    )
    captured = capsys.readouterr()
    printed = captured.out
    assert_as_in_python(results, table_comparison)
    assert "skae: warning: skipped 1 column that is not numeric: cultivar" in (
        captured.err
    )
    assert "label: target (classification: 3 classes)" in printed
    assert "features standardised with the training rows' mean" in printed
    assert "5-fold accuracy of LogisticRegression on the codes of 178 rows" in printed
    assert results["downstream_accuracy"].between(0.5, 1).all()
    assert {
        "results.csv",
        "error_curve.csv",
        "error_vs_z.png",
        "training_curves.png",
        "latent_scatter_z2.png",
        "codes.csv",
        "model.skops",
    } == {p.name for p in out.iterdir()}
    # The saved model (the scaler, then the autoencoder) gives the codes again,
    # bit for bit, from the columns read as float32.
    codes = pd.read_csv(out / "codes.csv", index_col="row")
    assert list(codes.columns) == ["z1", "z2", "z3"] and len(codes) == 178
    model = skae.load_model(out / "model.skops")
    features = wine[0].drop(columns="target").astype(np.float32)
    np.testing.assert_array_equal(model.transform(features), codes.to_numpy(np.float32))
    # and as pandas output, with the same names, without a feature-name warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = model.set_output(transform="pandas").transform(features)
    assert list(frame.columns) == ["z1", "z2", "z3"]
    np.testing.assert_array_equal(frame.to_numpy(), codes.to_numpy(np.float32))


def test_tsv_whose_skipped_column_is_said_even_when_quiet(
    tmp_path, wine, table_comparison, capsys
):
    path = tmp_path / "wine.tsv"
    with_text_and_label(wine[0]).drop(columns="target").to_csv(
        path, sep="\t", index=False
    )
    assert_as_in_python(compare(tmp_path, path, "--quiet")[0], table_comparison)
    captured = capsys.readouterr()
    # --quiet silences the notes, never what changed the user's data
    assert "read 178 rows" not in captured.out
    assert (
        "skae: warning: skipped 1 column that is not numeric: cultivar"
        in captured.err.splitlines()
    )


def test_parquet_with_its_index(tmp_path, wine, table_comparison):
    path = tmp_path / "wine.parquet"
    frame = with_text_and_label(wine[0])
    frame.index = pd.Index([f"bottle {i}" for i in range(len(frame))], name="bottle")
    frame.to_parquet(path)
    results, out = compare(tmp_path, path, "--drop", "target", "--codes", "z.parquet")
    assert_as_in_python(results, table_comparison)
    codes = pd.read_parquet(out / "z.parquet")
    assert codes.index.name == "bottle" and codes.index[5] == "bottle 5"


def test_npy_rows(tmp_path, wine, table_comparison):
    np.save(tmp_path / "wine.npy", wine[1])
    assert_as_in_python(compare(tmp_path, tmp_path / "wine.npy")[0], table_comparison)


def test_npz_with_a_label_array(tmp_path, wine, table_comparison, capsys):
    np.savez(tmp_path / "wine.npz", X=wine[1], y=wine[0]["target"].to_numpy())
    results, _ = compare(tmp_path, tmp_path / "wine.npz", "--label", "y", "--quiet")
    assert_as_in_python(results, table_comparison)
    assert "downstream_accuracy" in results
    assert "Downstream (classification: 3 classes)" in capsys.readouterr().out


def test_npy_image_stack(tmp_path, digit_images, grey_comparison):
    np.save(tmp_path / "digits.npy", digit_images[0])
    results, out = compare(tmp_path, tmp_path / "digits.npy", "--quiet")
    assert_as_in_python(results, grey_comparison)
    assert "sse_per_image" in results
    assert {
        "reconstructions_autoencoder_z3.png",
        "reconstructions_pca_z3.png",
        "latent_grid_z2.png",
    } <= {p.name for p in out.iterdir()}


def test_folder_of_grey_pngs_with_subfolders_as_labels(
    tmp_path, digit_images, grey_comparison, capsys
):
    folder = tmp_path / "digits"
    for i, (image, digit) in enumerate(zip(*digit_images)):
        (folder / str(digit)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / str(digit) / f"{i:03d}.png")
    results, out = compare(
        tmp_path,
        folder,
        "--label",
        "folder",
        "--codes",
        "codes.npy",
        "--save-model",
        "model.skops",
    )
    printed = capsys.readouterr().out
    assert_as_in_python(results, grey_comparison)
    assert f"read {N_IMAGES} images of 8x8 pixels (grey) from digits/" in printed
    assert "pixels scaled to [0, 1] (divided by 255)" in printed
    assert "label: each image's subfolder (classification: 10 classes)" in printed
    codes = np.load(out / "codes.npy")
    pixels = digit_images[0].reshape(N_IMAGES, -1).astype(np.float32) / 255
    np.testing.assert_array_equal(
        skae.load_model(out / "model.skops").transform(pixels), codes
    )


def test_folder_of_rgb_and_rgba_pngs(tmp_path, digit_images, capsys):
    grey = digit_images[0]
    rgb = np.stack([grey, grey // 2, 255 - grey], axis=-1)
    folder = tmp_path / "tinted"
    folder.mkdir()
    for i, image in enumerate(rgb):
        if i % 3:
            Image.fromarray(image).save(folder / f"{i:03d}.png")
        else:  # one in three carries an alpha channel, as many saved PNGs do
            alpha = np.full((8, 8, 1), 200, np.uint8)
            Image.fromarray(np.concatenate([image, alpha], axis=-1)).save(
                folder / f"{i:03d}.png"
            )
    results, _ = compare(tmp_path, folder)
    printed = capsys.readouterr().out
    expected = python_comparison(
        rgb.reshape(N_IMAGES, -1).astype(np.float32) / 255,
        image_shape=(8, 8, 3),
        standardise=False,
    )
    assert_as_in_python(results, expected)
    assert "8x8 pixels (RGB)" in printed
    assert "the alpha channel of 100 images dropped" in printed


# -- progress and the downstream regression --------------------------------------------


def test_a_terminal_gets_one_line_per_fit_in_place(tmp_path, wine, capsys, monkeypatch):
    path = tmp_path / "wine.csv"
    wine[0].to_csv(path, index=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    status = main(
        [
            "compare",
            "--data",
            str(path),
            "--label",
            "proline",
            "--epochs",
            "3",
            "--z-dim",
            "2",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    (fit,) = [line for line in printed.split("\n") if "z_dim=2 epoch" in line]
    assert fit.startswith("\rautoencoder z_dim=2 epoch 1/3:")
    # The line that stays says what training did.
    summary = fit.split("\r")[-1]
    assert summary.startswith("autoencoder z_dim=2 3 epochs in ") and "val_loss" in summary
    assert "left" not in fit  # no line guesses the time left
    assert "\rautoencoder z_dim=2 epoch 3/3:" in fit
    # proline is numeric with many values: R^2 of Ridge
    assert "label: proline (regression: numeric, " in printed
    assert "R^2 of Ridge" in printed
    assert "downstream_r2" in pd.read_csv(tmp_path / "out" / "results.csv")


@pytest.mark.parametrize(
    "options, kind, every",
    [([], "log", 10.0), (["--verbose"], "every epoch", 0.0), (["--quiet"], None, None)],
)
def test_progress_as_the_output_allows(options, kind, every):
    from skae.cli import _parser, _progress

    args = _parser().parse_args(["compare", *options])
    callbacks = _progress(args, print, "autoencoder z_dim=2 ")
    if kind is None:
        assert callbacks == []
        return
    (lines,) = callbacks
    assert lines.every == every and not lines.in_place


# -- bad input -------------------------------------------------------------------------


def _write(path, text):
    path.write_text(text)
    return path


def _png(path, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros(size, np.uint8)).save(path)


def _truncated_npy(tmp_path):
    path = tmp_path / "cut.npy"
    np.save(path, np.zeros((100, 5), np.float32))
    path.write_bytes(path.read_bytes()[:300])
    return path


def _folder_with_a_broken_png(tmp_path):
    _png(tmp_path / "imgs" / "a.png")
    _write(tmp_path / "imgs" / "b.png", "not an image")
    return tmp_path / "imgs"


def _folder_of_two_sizes(tmp_path):
    _png(tmp_path / "imgs" / "a.png", (8, 8))
    _png(tmp_path / "imgs" / "b.png", (9, 9))
    return tmp_path / "imgs"


def _wine_csv(tmp_path):
    from sklearn.datasets import load_wine

    load_wine(as_frame=True).frame.to_csv(tmp_path / "wine.csv", index=False)
    return tmp_path / "wine.csv"


def _png_named_csv(tmp_path):
    _png(tmp_path / "a.png")
    (tmp_path / "a.png").rename(tmp_path / "table.csv")
    return tmp_path / "table.csv"


def _objects_npy(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}, None]), allow_pickle=True)
    return tmp_path / "o.npy"


def _numbers_then_text(tmp_path):
    lines = "a,b\n" + "1,2\n" * 1500 + "3,oops\n" + "1,2\n" * 20
    return _write(tmp_path / "late.csv", lines)


def _wine_with_semicolons_and_a_ragged_line(tmp_path):
    # one line short of a field, so no separator splits every line alike
    lines = _wine_csv(tmp_path).read_text().replace(",", ";").splitlines()
    lines[3] = lines[3].rsplit(";", 1)[0]
    return _write(tmp_path / "wine.csv", "\n".join(lines) + "\n")


BAD = {
    "missing file": (lambda t: t / "nowhere.csv", [], "no such file or folder"),
    "unreadable npy": (_truncated_npy, [], "cut.npy cannot be read"),
    "unreadable image": (
        _folder_with_a_broken_png,
        [],
        "b.png is not a readable image",
    ),
    "empty table": (lambda t: _write(t / "e.csv", ""), [], "e.csv is empty"),
    "header only": (
        lambda t: _write(t / "h.csv", "a,b\n"),
        [],
        "has no rows, only a header",
    ),
    "no numeric column": (
        lambda t: _write(t / "s.csv", "name,colour\nx,red\ny,blue\n"),
        [],
        "s.csv has no numeric column to compress (name, colour)",
    ),
    "unknown label": (
        _wine_csv,
        ["--label", "vintage"],
        "--label vintage: wine.csv has no",
    ),
    "sizes differ": (
        _folder_of_two_sizes,
        [],
        "a.png is 8x8, b.png is 9x9 (height x width); pass --image-size",
    ),
    "z_dim above the features": (
        _wine_csv,
        ["--z-dim", "15"],
        "--z-dim 15: wine.csv has 14 features, so z_dim can be at most 14",
    ),
    "csv named npy": (
        lambda t: _write(t / "x.npy", "a,b\n1,2\n"),
        [],
        "not a NumPy .npy file",
    ),
    "png named csv": (_png_named_csv, [], "not a text table (it is a PNG image)"),
    "csv named parquet": (
        lambda t: _write(t / "x.parquet", "a,b\n1,2\n"),
        [],
        "not a Parquet file",
    ),
    "npy named npz": (
        lambda t: (
            np.save(t / "x.npy", np.zeros((3, 3))),
            (t / "x.npy").rename(t / "x.npz"),
        )[1],
        [],
        "not a NumPy .npz file (it is a NumPy .npy file)",
    ),
    "objects in npy": (_objects_npy, [], "o.npy holds Python objects"),
    "unknown extension": (
        lambda t: _write(t / "x.xlsx", "?"),
        [],
        "unknown kind of file '.xlsx'",
    ),
    "one image": (lambda t: (_png(t / "a.png"), t / "a.png")[1], [], "give the folder"),
    "text further down refused": (
        _numbers_then_text,
        ["--missing", "error"],
        "late.csv: b holds 'oops' in row 1500, which is not a number; "
        "--missing drop reads such values as missing",
    ),
    "one column, fields split by another separator": (
        _wine_with_semicolons_and_a_ragged_line,
        [],
        "wine.csv reads as one column ('alcohol;malic_acid;ash;alcalinity_of_ash...'):"
        " its fields seem separated by ';'; give --sep ';'",
    ),
    "ragged rows": (
        lambda t: _write(t / "r.csv", "a,b\n1,2\n1,2,3,4\n"),
        [],
        "r.csv cannot be read as CSV: Error tokenizing data",
    ),
    "missing value refused": (
        lambda t: _write(t / "m.csv", "a,b\n" + "1,2\n" * 20 + "3,\n"),
        ["--missing", "error"],
        "1 row with a missing value (the first: row 20, in a feature)",
    ),
    "every row missing": (
        lambda t: _write(t / "m.csv", "a,b,c\n" + "1,,3\n" * 20),
        [],
        "every row of m.csv has a missing value",
    ),
    "one feature": (
        lambda t: _write(t / "one.csv", "a\n" + "1\n" * 20),
        [],
        "one feature",
    ),
    "text column chosen": (
        lambda t: _write(t / "c.csv", "a,b,s\n" + "1,2,x\n" * 20),
        ["--columns", "a", "s"],
        "--columns s: that column of c.csv is not numeric",
    ),
    "label of an npy": (
        lambda t: (np.save(t / "r.npy", np.zeros((20, 3))), t / "r.npy")[1],
        ["--label", "y"],
        "without named columns",
    ),
    "image size of a table": (
        _wine_csv,
        ["--image-size", "8", "8"],
        "--image-size resizes",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=str)
def test_bad_input_is_one_line_status_2_and_nothing_written(case, tmp_path, capsys):
    make, options, message = BAD[case]
    data = make(tmp_path)
    out = tmp_path / "out"
    status = main(["compare", "--data", str(data), "--out", str(out), *options])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skae: error:"), captured.err
    assert message in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--label", "y"], "--label is for your own data: give it with --data"),
        (["--data", "x.csv", "--dataset", "digits"], "not allowed with argument"),
        (["--save-model", "m.pkl"], "--save-model m.pkl: the file must end in .skops"),
        (["--codes", "c.txt"], "--codes c.txt: the file must end in .csv, .parquet"),
        (["--data", "x.csv", "--data-home", "."], "--data-home is for MNIST"),
    ],
)
def test_options_that_do_not_fit_together(options, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compare", "--out", str(out), *options]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


# -- reading rules, without fitting ----------------------------------------------------


def test_rows_with_missing_values_are_dropped_and_counted(tmp_path):
    text = "a,b,y\n" + "1,2,x\n" * 10 + "1,,x\n" + "1,2,\n" + "1,inf,x\n"
    data = read(_write(tmp_path / "m.csv", text), label="y")
    assert len(data.X) == 10 and list(data.index) == list(range(10))
    # a warning, which --quiet prints too; not also a note
    assert data.warnings == [
        "dropped 3 rows with a missing value (1 of them in the label only); "
        "--missing error refuses them instead"
    ]
    assert not any(note.startswith("dropped") for note in data.notes)


def _wine_with_values_that_are_not_numbers(tmp_path, wine):
    frame = wine[0].astype(object)
    frame.loc[5, "alcohol"] = "13,2"  # a decimal comma, quoted in the CSV
    frame.loc[[7, 90], "ash"] = "?"
    frame.to_csv(tmp_path / "wine.csv", index=False)
    return tmp_path / "wine.csv"


def test_a_value_that_is_not_a_number_is_missing_in_its_numeric_column(
    tmp_path, wine
):
    data = read(_wine_with_values_that_are_not_numbers(tmp_path, wine), label="target")
    assert data.feature_names == list(wine[0].columns[:-1])
    assert len(data.X) == 175 and not {5, 7, 90} & set(data.index)
    np.testing.assert_array_equal(data.X, np.delete(wine[1], [5, 7, 90], axis=0))
    assert data.warnings == [
        "alcohol: 1 value is not a number ('13,2' in row 5), read as missing",
        "ash: 2 values are not numbers ('?' in row 7, the first), read as missing",
        "dropped 3 rows with a missing value; --missing error refuses them instead",
    ]
    assert not any("not numeric" in note for note in data.notes)


def test_a_value_that_is_not_a_number_is_refused_by_its_column_row_and_value(
    tmp_path, wine
):
    path = _wine_with_values_that_are_not_numbers(tmp_path, wine)
    with pytest.raises(DataError) as refused:
        read(path, missing="error")
    assert str(refused.value) == (
        "wine.csv: alcohol holds '13,2' in row 5, which is not a number (3 such "
        "values in all); --missing drop reads such values as missing and leaves "
        "their rows out"
    )


def test_text_further_down_a_numeric_column_is_missing_too(tmp_path):
    data = read(_numbers_then_text(tmp_path))
    assert data.X.shape == (1520, 2) and 1500 not in data.index
    assert data.warnings == [
        "b: 1 value is not a number ('oops' in row 1500), read as missing",
        "dropped 1 row with a missing value; --missing error refuses them instead",
    ]


def test_a_text_column_is_numeric_when_more_than_half_its_values_are_numbers(
    tmp_path,
):
    text = "a,most,half,y\n" + "".join(
        f"{i},{i if i % 4 else '?'},{i if i % 2 else 'n.a.'},{i % 3 or 'x'}\n"
        for i in range(1, 21)
    )
    data = read(_write(tmp_path / "t.csv", text), label="y")
    # half of the values of "half" are numbers: not most, so it is text
    assert data.feature_names == ["a", "most"] and len(data.X) == 10
    assert data.warnings == [
        "skipped 1 column that is not numeric: half",
        "most: 5 values are not numbers ('?' in row 3, the first), read as missing",
        # the label: most of its values are numbers too
        "y: 6 values are not numbers ('x' in row 2, the first), read as missing",
        "dropped 10 rows with a missing value (5 of them in the label only); "
        "--missing error refuses them instead",
    ]
    assert set(data.y) == {1.0, 2.0}


def test_a_parquet_text_column_stays_text(tmp_path):
    numbers_as_text = [str(i) for i in range(11)] + ["?"]
    frame = pd.DataFrame({"a": np.arange(12.0), "b": np.ones(12), "s": numbers_as_text})
    frame.to_parquet(tmp_path / "t.parquet")
    data = read(tmp_path / "t.parquet")
    assert data.feature_names == ["a", "b"] and len(data.X) == 12
    assert data.warnings == ["skipped 1 column that is not numeric: s"]


@pytest.mark.parametrize(
    "suffix, sep, note",
    [
        (".csv", ";", ["fields separated by ';'"]),
        (".csv", "|", ["fields separated by '|'"]),
        (".csv", "\t", ["fields separated by '\\t'"]),
        (".tsv", "\t", []),
        (".tab", ",", ["fields separated by ','"]),
    ],
)
def test_the_separator_is_found_in_the_first_lines(tmp_path, wine, suffix, sep, note):
    path = tmp_path / f"wine{suffix}"
    with_text_and_label(wine[0]).to_csv(path, sep=sep, index=False)
    data = read(path, label="target")
    assert data.feature_names == list(wine[0].columns[:-1])
    np.testing.assert_array_equal(data.X, wine[1])
    assert [n for n in data.notes if n.startswith("fields")] == note
    # a separator given is taken as it is, without a note
    data = read(path, label="target", sep=sep)
    np.testing.assert_array_equal(data.X, wine[1])
    assert not any(n.startswith("fields") for n in data.notes)


def test_a_file_read_as_one_column_names_the_separator_it_seems_to_have(tmp_path):
    path = _write(tmp_path / "t.csv", "a;b;c\n" + "1;2;3\n" * 12)
    assert read(path).X.shape == (12, 3)
    with pytest.raises(DataError) as refused:
        read(path, sep=",")
    assert str(refused.value) == (
        "t.csv reads as one column ('a;b;c'): its fields seem separated by ';'; "
        "give --sep ';'"
    )
    # a shell passes --sep '\t' as a backslash and a t
    path = _write(tmp_path / "t.tsv", "a\tb\n" + "1\t2\n" * 12)
    assert read(path, sep="\\t").X.shape == (12, 2)
    np.save(tmp_path / "r.npy", np.ones((12, 3)))
    with pytest.raises(DataError, match="--sep separates the fields of a text table"):
        read(tmp_path / "r.npy", sep=";")


def test_an_unnamed_first_column_is_the_index_and_a_numeric_header_is_none(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}, index=[7, 9])
    frame.to_csv(tmp_path / "i.csv")
    data = read(tmp_path / "i.csv")
    assert data.feature_names == ["a", "b"] and list(data.index) == [7, 9]
    _write(tmp_path / "n.csv", "1,2,3\n4,5,6\n")
    data = read(tmp_path / "n.csv")
    assert data.X.tolist() == [[1, 2, 3], [4, 5, 6]] and data.feature_names == [
        "0",
        "1",
        "2",
    ]


def test_lines_ended_by_carriage_returns_alone(tmp_path):
    # one "line" by its line feeds: the array read into grows past that bound
    data = read(_write(tmp_path / "mac.csv", "a,b\r" + "1,2\r" * 30))
    assert data.X.shape == (30, 2)


def test_columns_and_drop_choose_the_features(tmp_path):
    path = _write(tmp_path / "t.csv", "a,b,c,s\n1,2,3,x\n4,5,6,y\n")
    assert read(path).feature_names == ["a", "b", "c"]
    assert read(path, columns=["c", "a"]).feature_names == ["c", "a"]
    assert read(path, drop=["b"]).feature_names == ["a", "c"]
    with pytest.raises(DataError, match="no numeric column is left after --drop"):
        read(path, drop=["a", "b", "c"])


def test_rgb_images_with_equal_channels_are_grey_and_sizes_can_be_unified(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8)
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(folder / "a.png")
    Image.fromarray(np.zeros((16, 16, 4), np.uint8)).save(folder / "b.png")
    data = read(folder, image_size=(8, 8))
    assert data.image_shape == (8, 8) and data.X.shape == (2, 64)
    np.testing.assert_array_equal(data.X[0], grey.ravel() / np.float32(255))
    assert "their red, green and blue are equal: read as grey" in data.notes
    assert any(note.startswith("resized to 8x8 (from 16x16)") for note in data.notes)


def test_an_npz_names_its_features_x_or_holds_one_array_of_rows(tmp_path):
    np.savez(tmp_path / "one.npz", rows=np.ones((12, 3)), y=np.arange(12))
    assert read(tmp_path / "one.npz").X.shape == (12, 3)
    np.savez(tmp_path / "two.npz", a=np.ones((12, 3)), b=np.ones((12, 4)))
    with pytest.raises(DataError, match="several arrays of rows or images"):
        read(tmp_path / "two.npz")


def test_image_arrays_are_scaled_to_the_unit_interval(tmp_path):
    np.save(tmp_path / "f.npy", np.linspace(-1, 3, 12 * 16).reshape(12, 4, 4))
    data = read(tmp_path / "f.npy")
    assert data.X.min() == 0 and data.X.max() == 1
    assert "pixels scaled to [0, 1] (mapped from [-1, 3])" in data.notes


def test_parquet_needs_its_extra(tmp_path, monkeypatch, wine):
    wine[0].to_parquet(tmp_path / "w.parquet")
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.parquet", None)
    with pytest.raises(DataError, match=r"pip install 'skae\[parquet\]'"):
        read(tmp_path / "w.parquet")


# -- memory ----------------------------------------------------------------------------


def test_a_large_csv_costs_less_than_three_times_its_float32_size():
    import cli_memory

    report = cli_memory.measure(cli_memory.QUICK_ROWS)
    assert report["run"]["status"] == report["baseline"]["status"] == 0
    assert 0 < report["data_cost_over_data"] < cli_memory.BOUND


def test_on_noise_the_verdict_says_the_pca_start_was_kept(tmp_path, capsys):
    """Training finds nothing in random images: the kept model is PCA, and
    the verdict says so rather than "stopped at the epoch cap, still
    improving"."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "noise"
    folder.mkdir()
    for i in range(200):
        pixels = rng.integers(0, 256, size=(8, 8), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:03d}.png")
    results, _ = compare(tmp_path, folder, "--epochs", "3")
    verdict = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("Verdict")
    )
    ae = results[results["method"] == "autoencoder"]
    assert (ae["stopped"] == "kept PCA").all() and (ae["best_epoch"] == 0).all()
    assert "kept the PCA start: training did not improve on it" in verdict
    assert "still improving" not in verdict


def test_the_saved_model_is_the_one_whose_error_is_reported(tmp_path, wine):
    """compare reports, at its largest size, the test error of the very model
    that --save-model writes: not a better one, nor another's."""
    from sklearn.model_selection import train_test_split

    path = tmp_path / "wine.csv"
    wine[0].drop(columns="target").to_csv(path, index=False)
    results, out = compare(tmp_path, path, "--save-model", "model.skops")
    pipeline = skae.load_model(out / "model.skops")
    scaler, ae = pipeline[0], pipeline[-1]
    _, X_test = train_test_split(wine[1], test_size=0.3, random_state=0)
    scaled = scaler.transform(pd.DataFrame(X_test, columns=scaler.feature_names_in_))
    mse = float(np.mean((ae.inverse_transform(ae.transform(scaled)) - scaled) ** 2))
    reported = results.query("method == 'autoencoder' and z_dim == 3")["mse"].item()
    assert ae.z_dim_ == 3
    assert mse == pytest.approx(reported, rel=1e-5)
