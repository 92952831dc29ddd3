"""The user's own data for ``skae compare --data``: tables, arrays, image folders.

:func:`read` turns a file or folder into a :class:`Dataset` of float32 rows
and says what it did: in its ``notes`` what it read and how, in its
``warnings`` what it changed or left out of the user's data (columns
skipped, values read as missing, rows dropped), which the command prints
even with ``--quiet``. :func:`split` then splits it 70/30 (as
``train_test_split`` does, seeded) and standardises a table on its training
split, both in place. Every mistake in the input is a :class:`DataError` of
one line.

The rules, which ``docs/user_guide/command_line.rst`` states for users:

- ``.csv``, ``.tsv`` (or ``.tab``), ``.parquet``:
  the first line is the header (unless every name in it is a number: then
  there is none); a first column without a name is the row index, as
  ``DataFrame.to_csv`` writes it. Numeric columns are the features, others
  are listed and skipped; ``columns``/``drop`` choose, ``label`` is kept out.
  Values are read as float32, a chunk at a time, into one array.
- A text table's separator is ``sep``, or else the one of ``,`` ``;`` tab
  ``|`` that splits each of its first lines into the same number of fields
  (the suffix's when it does); a file that still reads as one column is
  refused, naming the separator its first line seems to have.
- A text table's column is numeric when more than half of its non-empty
  values in the first 1,000 rows are numbers. In a numeric column, a value
  that is not a number (``?``, ``13,2``), there or further down, is a
  missing value, counted by column. A Parquet column has a type: text is
  never numeric.
- ``.npy``: rows ``(n, d)`` (a table without names), or images ``(n, H, W)``
  or ``(n, H, W, C)``; memory-mapped, so only the float32 copy is held.
  ``.npz``: the array named ``X``, else its only array of two or more
  dimensions; ``label`` names another of its arrays.
- a folder: its PNG and JPEG files, subfolders included, in the order of
  their paths; one size, or resized to ``image_size``; grey, or RGB if any
  image is in colour (RGB images whose channels are all equal are grey);
  an alpha channel is dropped, and said.
- Rows with a missing (or infinite) value, the label's included, are
  dropped and counted; ``missing="error"`` refuses them instead, and
  refuses a value that is not a number by its column, row and value.
- Images are scaled to [0, 1]: integers in 0..255 divided by 255, 16-bit
  PNGs by 65535, floats within [0, 1] kept, anything else mapped from its
  smallest and largest value.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Rows read, converted or scaled at a time: a chunk's copies stay small
# beside the data.
CHUNK_ROWS = 16_384
# Rows whose values decide which columns of a table are numeric.
_SNIFF_ROWS = 1_000
# Lines, and at most how many characters of them, that decide a text table's
# separator: enough to see it, too few to cost anything.
_SNIFF_LINES = 20
_SNIFF_CHARS = 1 << 16
# The separators looked for, in the order that breaks ties.
SEPARATORS = (",", ";", "\t", "|")
# A numeric label with at most this many values names classes.
MAX_CLASSES = 20
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
# What a text table is called in messages, by its separator.
_TEXT_KINDS = {
    ",": "CSV",
    "\t": "tab-separated text",
    ";": "semicolon-separated text",
    "|": "pipe-separated text",
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
SUFFIXES = (*TABLE_SUFFIXES, ".parquet", ".pq", ".npy", ".npz")
# What a file's first bytes say it is, for a file named for something else.
_MAGIC = {
    b"\x93NUMPY": "a NumPy .npy file",
    b"PK\x03\x04": "a zip archive (an .npz?)",
    b"PAR1": "a Parquet file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}
# Pillow's modes of one channel; any other mode is read as RGB.
_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}


class DataError(Exception):
    """Input that cannot be compared: the message is one line for the user."""


@dataclass
class Dataset:
    """What :func:`read` found: the rows, their labels, and what it did to them."""

    name: str  # the file or folder, as messages name it
    X: np.ndarray  # (n, n_features) float32 rows; images flattened in C order
    index: "object"  # a pandas Index: each row's number, index value or file
    kind: str  # "table" (standardised by split) or "images" (already in [0, 1])
    image_shape: tuple | None = None  # (H, W) or (H, W, C) for images
    feature_names: list | None = None
    y: np.ndarray | None = None
    label: str | None = None
    notes: list = field(default_factory=list)
    # What changed or left out the user's data: printed even with --quiet.
    warnings: list = field(default_factory=list)

    @property
    def unit(self):
        return "images" if self.kind == "images" else "rows"


@dataclass
class Split:
    """A :class:`Dataset` split in place: training rows first, then test rows.

    ``order[i]`` is the original row of row ``i`` of ``X``; ``scaler`` the
    StandardScaler fitted on the training rows of a table (None for images).
    """

    X: np.ndarray
    n_train: int
    order: np.ndarray
    y: np.ndarray | None
    scaler: object = None

    @property
    def X_train(self):
        return self.X[: self.n_train]

    @property
    def X_test(self):
        return self.X[self.n_train :]

    def y_part(self, part):
        if self.y is None:
            return None
        return self.y[: self.n_train] if part == "train" else self.y[self.n_train :]


def read(
    path,
    *,
    columns=None,
    drop=None,
    label=None,
    missing="drop",
    image_size=None,
    sep=None,
):
    """Read ``path`` (a table, an array file or a folder of images) as a Dataset.

    Parameters
    ----------
    path : str or Path
    columns, drop : list of str, default=None
        The feature columns of a table, or those to leave out.
    label : str, default=None
        A table's column, an .npz file's array, or ``"folder"`` (each image's
        subfolder) to keep out of the features as the label.
    missing : {"drop", "error"}, default="drop"
        Whether rows with a missing value (an empty cell, or a value of a
        numeric column that is not a number) are dropped or refused.
    image_size : (int, int), default=None
        Height and width to resize the images of a folder to.
    sep : str, default=None
        The separator of a text table's fields; None finds it in the first
        lines among ``,`` ``;`` tab ``|``.

    Raises
    ------
    DataError
        For anything that cannot be read or compared, in one line.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"--data {path}: no such file or folder")
    if sep is not None and (path.is_dir() or path.suffix.lower() not in TABLE_SUFFIXES):
        raise DataError(
            "--sep separates the fields of a text table "
            f"({', '.join(TABLE_SUFFIXES)}); {path.name} is not one"
        )
    if path.is_dir():
        _refuse_table_options(path.name + "/", columns, drop)
        data = _read_image_folder(path, label, image_size)
    else:
        data = _read_file(path, columns, drop, label, missing, image_size, sep)
    _drop_missing_rows(data, missing)
    if len(data.X) == 0:
        raise DataError(f"{data.name} has no rows to compare")
    return data


def _read_file(path, columns, drop, label, missing, image_size, sep):
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        if suffix in IMAGE_SUFFIXES:
            raise DataError(
                f"--data {path}: one image; give the folder that holds the images"
            )
        raise DataError(
            f"--data {path}: unknown kind of file {suffix or '(no extension)'!r}; "
            "skae reads " + ", ".join(SUFFIXES) + " and folders of PNG or JPEG images"
        )
    try:
        with open(path, "rb") as file:
            start = file.read(8)
    except OSError as exc:
        raise DataError(f"--data {path}: cannot be read ({exc.strerror})") from None
    if image_size is not None and suffix not in (".npy", ".npz"):
        raise DataError("--image-size resizes the images of a folder; this is a table")
    if suffix in TABLE_SUFFIXES:
        _check_magic(path, start, None, "a text table")
        return _read_text_table(
            path, sep, TABLE_SUFFIXES[suffix], columns, drop, label, missing
        )
    if suffix in (".parquet", ".pq"):
        _check_magic(path, start, b"PAR1", "a Parquet file")
        return _read_parquet(path, columns, drop, label)
    if image_size is not None:
        raise DataError(
            "--image-size resizes the images of a folder; an array's images "
            "already share one size"
        )
    _refuse_table_options(path.name, columns, drop)
    if suffix == ".npy":
        _check_magic(path, start, b"\x93NUMPY", "a NumPy .npy file")
        if label is not None:
            raise DataError(
                f"--label: {path.name} is one array, without named columns; save "
                "the labels beside the data in an .npz (np.savez(file, X=X, y=y))"
            )
        return _from_array(_load_npy(path), path.name)
    _check_magic(path, start, b"PK\x03\x04", "a NumPy .npz file")
    return _read_npz(path, label)


def _check_magic(path, start, expected, kind):
    """Refuse a file whose first bytes say it is not ``kind``."""
    if expected is not None and start.startswith(expected):
        return
    found = next(
        (what for magic, what in _MAGIC.items() if start.startswith(magic)), None
    )
    if expected is None and found is None:
        return  # a text table: pandas reads and judges it
    what = f"it is {found}" if found else "its first bytes say it is not"
    raise DataError(f"--data {path}: not {kind} ({what})")


def _refuse_table_options(name, columns, drop):
    if columns or drop:
        option = "--columns" if columns else "--drop"
        raise DataError(f"{option} chooses columns of a table; {name} has none")


# -- tables --------------------------------------------------------------------


def _read_text_table(path, sep, usual_sep, columns, drop, label, missing):
    """A CSV or TSV file, read chunk by chunk as float32 into one array.

    Without ``sep``, the first lines decide it (``usual_sep``, the suffix's,
    when it fits them). A column most of whose first values are numbers is
    numeric, and its other values are missing: the ``missing`` rule decides.
    """
    import pandas as pd

    name = path.name
    notes, warnings = [], []
    lines = _first_lines(path)
    if sep is None:
        sep = _find_separator(lines, usual_sep)
        if sep != usual_sep:
            notes.append(f"fields separated by {sep!r}")
    elif sep == "\\t":  # as a shell passes --sep '\t'
        sep = "\t"
    kind = _TEXT_KINDS.get(sep, f"text separated by {sep!r}")
    try:
        head = pd.read_csv(path, sep=sep, nrows=_SNIFF_ROWS)
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} is empty") from None
    except UnicodeDecodeError:
        raise DataError(
            f"{name} cannot be read as {kind}: it is not UTF-8 text"
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(
            f"{name} cannot be read as {kind}: {_first_line(exc)}"
        ) from None
    except OSError as exc:
        raise DataError(f"--data {path}: cannot be read ({exc.strerror})") from None
    if head.empty:
        raise DataError(f"{name} has no rows, only a header")
    header = 0
    if all(_is_number(column) for column in head.columns):
        header = None
        head = pd.read_csv(path, sep=sep, nrows=_SNIFF_ROWS, header=None)
        notes.append("its first line holds numbers: no header, columns named 0, 1, ...")
    index_column = None
    if str(head.columns[0]).startswith("Unnamed: 0"):
        index_column = head.columns[0]
        head = head.set_index(index_column)
        notes.append("its first column has no name: taken as the row index")
    _read_numbers_in_text(head)
    _refuse_one_column(name, head, lines, sep)
    features, label_column = _choose_columns(
        name, head, columns, drop, label, notes, warnings
    )
    numeric = list(features)
    usecols = list(features)
    if label_column is not None:
        usecols.append(label_column)
        if _is_numeric(head[label_column]):
            numeric.append(label_column)
    if index_column is not None:
        usecols.append(index_column)
    chunks = pd.read_csv(
        path,
        sep=sep,
        header=header,
        usecols=usecols,
        index_col=index_column,
        chunksize=CHUNK_ROWS,
    )
    not_numbers = {}
    data = _fill_table(
        name,
        _with_numbers(chunks, numeric, not_numbers),
        _count_lines(path),
        features,
        label_column,
        kind,
        notes,
        warnings,
    )
    _say_not_numbers(data, not_numbers, missing)
    data.index.name = "row" if index_column is None else "index"
    return data


def _first_lines(path):
    """The first lines of a text file, each whole, for its separator."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as file:
        text = file.read(_SNIFF_CHARS)
    lines = text.splitlines(keepends=True)[:_SNIFF_LINES]
    if len(text) == _SNIFF_CHARS and len(lines) > 1:
        lines.pop()  # it may be cut off
    return [line for line in lines if line.strip()]


def _fields(lines, sep):
    """How many fields each record of ``lines`` has, split at ``sep``."""
    try:
        return [len(fields) for fields in csv.reader(lines, delimiter=sep) if fields]
    except csv.Error:
        return []


def _find_separator(lines, usual_sep):
    """The separator that splits every one of ``lines`` into as many fields.

    Of :data:`SEPARATORS`, those that split each line into the same number of
    fields, more than one, fit: ``usual_sep`` if it does, else the one of the
    most fields; when none fits, ``usual_sep`` (pandas then judges the file).
    """
    fitting = {}
    for sep in SEPARATORS:
        counts = set(_fields(lines, sep))
        if len(counts) == 1 and (n_fields := counts.pop()) > 1:
            fitting[sep] = n_fields
    if usual_sep in fitting or not fitting:
        return usual_sep
    return max(fitting, key=fitting.get)


def _refuse_one_column(name, head, lines, sep):
    """Refuse a table read as one text column when another separator splits it."""
    if head.shape[1] != 1 or _is_numeric(head.iloc[:, 0]) or not lines:
        return
    n_fields = {
        other: max(_fields(lines[:1], other), default=0)
        for other in SEPARATORS
        if other != sep
    }
    likely = max(n_fields, key=n_fields.get)
    if n_fields[likely] > 1:
        raise DataError(
            f"{name} reads as one column ({_shown(lines[0].rstrip())}): its fields "
            f"seem separated by {likely!r}; give --sep {likely!r}"
        )


def _read_numbers_in_text(head):
    """Make numeric, in place, the text columns of ``head`` that mostly hold numbers.

    More than half of a column's non-empty values must be numbers: a column
    of words with a number here and there stays text.
    """
    from pandas.api.types import is_numeric_dtype

    for column in head.columns:
        values = head[column]
        if is_numeric_dtype(values):  # numbers, or booleans: as pandas read them
            continue
        numbers = _to_numbers(values)
        if 2 * np.count_nonzero(~np.isnan(numbers)) > values.notna().sum():
            head[column] = numbers


def _to_numbers(values):
    """A column read as text, as float64: a value that is not a number is NaN."""
    import pandas as pd

    # As strings, so that booleans are not numbers either.
    numbers = pd.to_numeric(values.astype("string"), errors="coerce")
    return numbers.to_numpy(np.float64, na_value=np.nan)


@dataclass
class _NotNumbers:
    """The values of a numeric column that are not numbers: how many, the first."""

    count: int
    position: int  # the first one's row in the file, from 0
    row: object  # its row in the index
    value: object


def _with_numbers(chunks, columns, not_numbers):
    """``chunks`` whose ``columns`` are numbers: a value that is not one is NaN.

    A column that pandas parsed as numbers passes as it is; one that came as
    text is converted, and ``not_numbers`` (a dict) gets a
    :class:`_NotNumbers` for each column with values that are not numbers.
    """
    position = 0
    for chunk in chunks:
        for column in columns:
            values = chunk[column]
            if _is_numeric(values):
                continue
            numbers = _to_numbers(values)
            bad = np.flatnonzero(np.isnan(numbers) & values.notna().to_numpy())
            if len(bad):
                first = bad[0]
                found = not_numbers.setdefault(
                    column,
                    _NotNumbers(
                        0, position + first, chunk.index[first], values.iloc[first]
                    ),
                )
                found.count += len(bad)
            chunk[column] = numbers
        position += len(chunk)
        yield chunk


def _say_not_numbers(data, not_numbers, missing):
    """Warn of the values read as missing, column by column; or refuse the first."""
    if not not_numbers:
        return
    if missing == "error":
        column, first = min(not_numbers.items(), key=lambda item: item[1].position)
        total = sum(found.count for found in not_numbers.values())
        more = f" ({total:,} such values in all)" if total > 1 else ""
        raise DataError(
            f"{data.name}: {column} holds {_shown(first.value)} in row {first.row}, "
            f"which is not a number{more}; --missing drop reads such values as "
            "missing and leaves their rows out"
        )
    for column, found in not_numbers.items():
        first = f"{_shown(found.value)} in row {found.row}"
        if found.count == 1:
            what = f"1 value is not a number ({first})"
        else:
            what = f"{found.count:,} values are not numbers ({first}, the first)"
        data.warnings.append(f"{column}: {what}, read as missing")


def _read_parquet(path, columns, drop, label):
    """A Parquet file, read by record batches as float32 into one array."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(
            "reading Parquet needs pyarrow: pip install 'skae[parquet]'"
        ) from None
    import pyarrow as pa

    name = path.name
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{name} cannot be read as Parquet: {_first_line(exc)}"
        ) from None
    schema = parquet.schema_arrow
    pandas_index = [
        c
        for c in (schema.pandas_metadata or {}).get("index_columns", [])
        if isinstance(c, str)
    ]
    # Without pandas' metadata, index columns stay plain columns.
    head = schema.remove_metadata().empty_table().to_pandas()
    head = head[[c for c in schema.names if c not in pandas_index]]
    notes, warnings = [], []
    features, label_column = _choose_columns(
        name, head, columns, drop, label, notes, warnings
    )
    wanted = [*features, *([label_column] if label_column is not None else [])]
    index_column = pandas_index[0] if len(pandas_index) == 1 else None

    def chunks():
        first = 0
        for batch in parquet.iter_batches(
            batch_size=CHUNK_ROWS,
            columns=wanted + ([index_column] if index_column else []),
        ):
            chunk = batch.replace_schema_metadata(None).to_pandas()
            if index_column is not None:
                chunk = chunk.set_index(index_column)
            else:
                chunk.index = range(first, first + len(chunk))
            first += len(chunk)
            yield chunk

    data = _fill_table(
        name,
        chunks(),
        parquet.metadata.num_rows,
        features,
        label_column,
        "Parquet",
        notes,
        warnings,
    )
    data.index.name = index_column or "row"
    return data


def _choose_columns(name, head, columns, drop, label, notes, warnings):
    """The feature columns and the label's column of a table, from its first rows.

    Columns are matched by their names as text (a headerless file's are
    0, 1, ...); numeric columns (not booleans) can be features.
    """
    by_name = {str(column): column for column in head.columns}
    listed = _listing(list(by_name))

    def lookup(option, wanted):
        if wanted not in by_name:
            raise DataError(f"{option} {wanted}: {name} has no such column ({listed})")
        return by_name[wanted]

    numeric = [column for column in head.columns if _is_numeric(head[column])]
    label_column = None if label is None else lookup("--label", label)
    dropped = {lookup("--drop", wanted) for wanted in drop or ()}
    if columns:
        features = [lookup("--columns", wanted) for wanted in columns]
        for column in features:
            if column not in numeric:
                raise DataError(
                    f"--columns {column}: that column of {name} is not numeric"
                )
            if column == label_column:
                raise DataError(f"--label {label}: also named in --columns")
        features = [c for c in features if c not in dropped]
    else:
        features = [c for c in numeric if c != label_column and c not in dropped]
        skipped = [c for c in head.columns if c not in numeric and c != label_column]
        if skipped:
            warnings.append(
                f"skipped {_count(len(skipped), 'column')} that "
                f"{'is' if len(skipped) == 1 else 'are'} not numeric: "
                + _listing(skipped)
            )
    if not features:
        if not numeric or set(numeric) <= {label_column}:
            raise DataError(f"{name} has no numeric column to compress ({listed})")
        raise DataError(f"{name}: no numeric column is left after --drop")
    if dropped:
        notes.append(f"left out with --drop: {_listing(sorted(map(str, dropped)))}")
    return features, label_column


def _fill_table(name, chunks, n_max, features, label_column, kind, notes, warnings):
    """Read ``chunks`` (DataFrames) into one float32 array of ``n_max`` rows or fewer.

    The array is allocated once, at an upper bound of the rows, and filled
    chunk by chunk: no second copy of the data is made (the pages past the
    last row are never touched, so never held). Should the bound be short
    (a file whose lines end in carriage returns alone), the array grows.
    """
    import pandas as pd

    X = np.empty((max(n_max, 1), len(features)), dtype=np.float32)
    indexes, labels, filled = [], [], 0
    try:
        for chunk in chunks:
            values = chunk[features].to_numpy(dtype=np.float32)
            if filled + len(values) > len(X):  # the bound was short: grow
                more = np.empty((max(filled, len(values)), X.shape[1]), np.float32)
                X = np.concatenate([X[:filled], more])
            X[filled : filled + len(values)] = values
            filled += len(values)
            indexes.append(chunk.index)
            if label_column is not None:
                labels.append(chunk[label_column])
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{name} cannot be read as {kind}: {_first_line(exc)}"
        ) from None
    if filled == 0:
        raise DataError(f"{name} has no rows, only a header")
    index = indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]
    y = None
    if label_column is not None:
        y = pd.concat(labels).to_numpy()
    notes.insert(
        0,
        f"read {_count(filled, 'row')} of {name}; features: "
        + _count(len(features), "numeric column"),
    )
    return Dataset(
        name=name,
        X=X[:filled],
        index=pd.Index(index),
        kind="table",
        feature_names=[str(c) for c in features],
        y=y,
        label=None if label_column is None else str(label_column),
        notes=notes,
        warnings=warnings,
    )


def _count_lines(path):
    """An upper bound of a text file's rows: its line breaks, plus one."""
    lines = 0
    with open(path, "rb") as file:
        while block := file.read(1 << 24):
            lines += block.count(b"\n")
    return lines + 1


def _is_number(text):
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _is_numeric(values):
    """Whether a column holds numbers (booleans are not features)."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return is_numeric_dtype(values) and not is_bool_dtype(values)


# -- arrays --------------------------------------------------------------------


def _load_npy(path):
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc) or "Python objects" in str(exc):
            raise DataError(
                f"{path.name} holds Python objects, not numbers: skae loads no objects"
            ) from None
        raise DataError(f"{path.name} cannot be read: {_first_line(exc)}") from None
    except OSError as exc:
        raise DataError(f"{path.name} cannot be read: {_first_line(exc)}") from None


def _read_npz(path, label):
    import zipfile

    try:
        archive = np.load(path, allow_pickle=False)
        names = list(archive.files)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name} cannot be read: {_first_line(exc)}") from None
    with archive:
        listed = _listing(names)
        candidates = [n for n in names if n != label and _npz_ndim(archive, n) >= 2]
        if "X" in names:
            key = "X"
        elif len(candidates) == 1:
            key = candidates[0]
        else:
            raise DataError(
                f"{path.name} holds {'no' if not candidates else 'several'} arrays of "
                f"rows or images ({listed}); name the one to compress X"
            )
        if label is not None and label not in names:
            raise DataError(
                f"--label {label}: {path.name} has no such array ({listed})"
            )
        try:
            X = archive[key]
            y = None if label is None else archive[label]
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise DataError(f"{path.name} cannot be read: {_first_line(exc)}") from None
    data = _from_array(X, f"{path.name}[{key}]")
    data.name = path.name
    if label is not None:
        if y.ndim != 1 or len(y) != len(X):
            raise DataError(
                f"--label {label}: the array has shape {y.shape}; one value for each "
                f"of the {len(X):,} rows of {key} is needed"
            )
        data.y, data.label = y, label
    return data


def _npz_ndim(archive, name):
    try:
        return archive[name].ndim
    except ValueError:
        return 0


def _from_array(array, name):
    """Rows ``(n, d)`` as a table, or an image stack scaled to [0, 1]."""
    import pandas as pd

    if array.dtype.names is not None or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise DataError(f"{name} holds {array.dtype} values, not numbers")
    if array.ndim == 2:
        X = np.empty(array.shape, dtype=np.float32)
        for first in range(0, len(array), CHUNK_ROWS):
            X[first : first + CHUNK_ROWS] = array[first : first + CHUNK_ROWS]
        return Dataset(
            name=name,
            X=X,
            index=pd.RangeIndex(len(X), name="row"),
            kind="table",
            notes=[f"read {len(X):,} rows of {X.shape[1]} features from {name}"],
        )
    if array.ndim not in (3, 4) or (
        array.ndim == 4 and array.shape[3] not in (1, 3, 4)
    ):
        raise DataError(
            f"{name} has shape {array.shape}; skae reads rows (n, features) or "
            "images (n, height, width) or (n, height, width, channels of 1, 3 or 4)"
        )
    notes = []
    if array.ndim == 4 and array.shape[3] == 4:
        array = array[..., :3]
        notes.append("the alpha channel (the fourth) dropped")
    if array.ndim == 4 and array.shape[3] == 1:
        array = array[..., 0]
    image_shape = array.shape[1:]
    X = np.empty((len(array), int(np.prod(image_shape))), dtype=np.float32)
    low, high = _value_range(array)
    scaling = _scaling(array.dtype, low, high)
    for first in range(0, len(array), CHUNK_ROWS):
        part = array[first : first + CHUNK_ROWS].reshape(-1, X.shape[1])
        X[first : first + CHUNK_ROWS] = scaling(part)
    notes.insert(
        0, f"read {len(X):,} images of {_describe_shape(image_shape)} from {name}"
    )
    notes.append(f"pixels scaled to [0, 1] ({scaling.__doc__})")
    return Dataset(
        name=name,
        X=X,
        index=pd.RangeIndex(len(X), name="image"),
        kind="images",
        image_shape=tuple(int(s) for s in image_shape),
        notes=notes,
    )


def _value_range(array):
    """The smallest and largest finite value, a chunk at a time."""
    low, high = np.inf, -np.inf
    for first in range(0, len(array), CHUNK_ROWS):
        part = np.asarray(array[first : first + CHUNK_ROWS])
        if np.issubdtype(part.dtype, np.floating):
            part = part[np.isfinite(part)]
        if part.size:
            low, high = min(low, float(part.min())), max(high, float(part.max()))
    return low, high


def _scaling(dtype, low, high):
    """The function that takes an image chunk to float32 in [0, 1]."""
    if dtype == bool or (np.issubdtype(dtype, np.integer) and low >= 0 and high <= 255):

        def by_255(part):
            """divided by 255"""
            return part.astype(np.float32) / 255

        return by_255
    if np.issubdtype(dtype, np.floating) and low >= 0 and high <= 1:

        def kept(part):
            """already there"""
            return part.astype(np.float32)

        return kept
    span = high - low if high > low else 1.0

    def min_max(part):
        return (part.astype(np.float32) - np.float32(low)) / np.float32(span)

    min_max.__doc__ = f"mapped from [{low:g}, {high:g}]"
    return min_max


# -- image folders -------------------------------------------------------------


def _read_image_folder(folder, label, image_size):
    """A folder's PNG and JPEG files (subfolders included) as flat float32 rows."""
    import pandas as pd
    from PIL import Image, UnidentifiedImageError

    name = folder.name + "/"
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )
    if not files:
        raise DataError(f"{name} holds no PNG or JPEG image (subfolders included)")
    if label not in (None, "folder"):
        raise DataError(
            f"--label {label}: an image folder has no columns; --label folder "
            "takes each image's subfolder as its label"
        )
    relative = [p.relative_to(folder).as_posix() for p in files]
    sizes, modes, alpha = {}, set(), 0
    for path, rel in zip(files, relative):
        try:
            with Image.open(path) as image:
                sizes.setdefault((image.height, image.width), rel)
                modes.add(image.mode)
                alpha += image.mode in _ALPHA_MODES or (
                    image.mode == "P" and "transparency" in image.info
                )
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(
                f"{name}{rel} is not a readable image ({_first_line(exc)})"
            ) from None
    if image_size is None and len(sizes) > 1:
        (first, a), (second, b) = list(sizes.items())[:2]
        raise DataError(
            f"the images of {name} differ in size: {a} is {first[0]}x{first[1]}, "
            f"{b} is {second[0]}x{second[1]} (height x width); pass --image-size H W "
            "to resize them all"
        )
    height, width = image_size or next(iter(sizes))
    colour = not modes <= _GREY_MODES
    channels = 3 if colour else 1
    X = np.empty((len(files), height * width * channels), dtype=np.float32)
    resample = getattr(Image, "Resampling", Image).LANCZOS
    for row, (path, rel) in enumerate(zip(files, relative)):
        try:
            with Image.open(path) as image:
                X[row] = _pixels(image, colour, (height, width), resample).ravel()
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise DataError(
                f"{name}{rel} is not a readable image ({_first_line(exc)})"
            ) from None
    notes = []
    if (
        colour
        and np.array_equal(X[:, 0::3], X[:, 1::3])
        and np.array_equal(X[:, 0::3], X[:, 2::3])
    ):
        X, colour = np.ascontiguousarray(X[:, 0::3]), False
        notes.append("their red, green and blue are equal: read as grey")
    image_shape = (height, width, 3) if colour else (height, width)
    notes.insert(
        0, f"read {len(files):,} images of {_describe_shape(image_shape)} from {name}"
    )
    others = [size for size in sizes if size != (height, width)]
    if others:
        notes.append(
            f"resized to {height}x{width} (from "
            + _listing([f"{h}x{w}" for h, w in others], 3)
            + ") with Pillow's Lanczos filter"
        )
    if alpha:
        notes.append(f"the alpha channel of {_count(alpha, 'image')} dropped")
    sixteen = any(mode.startswith("I;16") for mode in modes)
    notes.append(
        "pixels scaled to [0, 1] (divided by 255"
        + ("; 16-bit images by 65535)" if sixteen else ")")
    )
    y = None
    if label == "folder":
        parents = [p.parent for p in files]
        outside = next((rel for rel, p in zip(relative, parents) if p == folder), None)
        if outside is not None:
            raise DataError(
                f"--label folder takes each image's subfolder as its label, but "
                f"{name}{outside} is in no subfolder"
            )
        y = np.array([p.relative_to(folder).as_posix() for p in parents])
    return Dataset(
        name=name,
        X=X,
        index=pd.Index(relative, name="file"),
        kind="images",
        image_shape=image_shape,
        y=y,
        label=label,
        notes=notes,
    )


def _pixels(image, colour, size, resample):
    """One image as float32 in [0, 1], of ``size`` (height, width), grey or RGB."""
    from PIL import Image

    height, width = size
    if image.mode.startswith("I;16"):
        pixels = np.asarray(image, dtype=np.float32) / 65535
        if (image.height, image.width) != size:
            pixels = np.asarray(
                Image.fromarray(pixels, "F").resize((width, height), resample)
            )
        pixels = np.clip(pixels, 0, 1)
        return np.repeat(pixels[..., None], 3, axis=2) if colour else pixels
    image = image.convert("RGB" if colour else "L")
    if (image.height, image.width) != size:
        image = image.resize((width, height), resample)
    return np.asarray(image, dtype=np.float32) / 255


def _describe_shape(image_shape):
    height, width = image_shape[:2]
    colour = len(image_shape) == 3 and image_shape[2] == 3
    return f"{height}x{width} pixels ({'RGB' if colour else 'grey'})"


# -- missing values, the split, the scaling ----------------------------------


def _drop_missing_rows(data, missing):
    """Drop (or refuse) rows with a missing or infinite value, in place."""
    import pandas as pd

    bad = np.zeros(len(data.X), dtype=bool)
    for first in range(0, len(data.X), CHUNK_ROWS):
        part = data.X[first : first + CHUNK_ROWS]
        bad[first : first + CHUNK_ROWS] = ~np.isfinite(part).all(axis=1)
    in_label = np.zeros(len(data.X), dtype=bool)
    if data.y is not None:
        in_label = np.asarray(pd.isna(pd.Series(data.y)))
    n_bad, n_label = int(np.sum(bad | in_label)), int(np.sum(in_label & ~bad))
    if n_bad == 0:
        return
    if missing == "error":
        row = data.index[int(np.argmax(bad | in_label))]
        where = "the label" if in_label[np.argmax(bad | in_label)] else "a feature"
        raise DataError(
            f"{data.name}: {_count(n_bad, 'row')} with a missing value (the first: "
            f"row {row}, in {where}); --missing drop leaves them out"
        )
    if n_bad == len(data.X):
        raise DataError(
            f"every row of {data.name} has a missing value; nothing is left"
        )
    keep = np.flatnonzero(~(bad | in_label))
    # Compact in place, a chunk at a time: the kept rows move up, in order.
    for first in range(0, len(keep), CHUNK_ROWS):
        rows = keep[first : first + CHUNK_ROWS]
        data.X[first : first + len(rows)] = data.X[rows]
    data.X = data.X[: len(keep)]
    data.index = data.index[keep]
    if data.y is not None:
        data.y = data.y[keep]
    label = f" ({n_label} of them in the label only)" if n_label else ""
    data.warnings.append(
        f"dropped {_count(n_bad, 'row')} with a missing value{label}; "
        "--missing error refuses them instead"
    )


def split(data, random_state, test_size=0.3):
    """Split ``data`` as ``train_test_split(test_size=0.3, random_state=...)`` does.

    In place: the rows of ``data.X`` are reordered, training rows first, so
    that both parts are views; a table is then standardised, a chunk at a
    time, with a StandardScaler fitted on its training rows (the scaler's
    own ``transform``, so that a saved pipeline reproduces the rows bit for
    bit). ``data.X`` is the split's ``X`` afterwards.
    """
    from sklearn.model_selection import train_test_split

    n = len(data.X)
    train, test = train_test_split(
        np.arange(n), test_size=test_size, random_state=random_state
    )
    order = np.concatenate([train, test])
    data.X[:] = data.X[order]
    y = None if data.y is None else np.asarray(data.y)[order]
    scaler = None
    if data.kind == "table":
        scaler = _standardise(data.X, len(train), data.feature_names)
    return Split(X=data.X, n_train=len(train), order=order, y=y, scaler=scaler)


def _standardise(X, n_train, feature_names):
    """A StandardScaler fitted on ``X[:n_train]``, applied to all of ``X`` in place."""
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    def frame(rows):
        names = feature_names or [f"x{i}" for i in range(X.shape[1])]
        return (
            pd.DataFrame(X[rows], columns=names, copy=False)
            if feature_names
            else X[rows]
        )

    scaler = StandardScaler()
    for first in range(0, n_train, CHUNK_ROWS):
        scaler.partial_fit(frame(slice(first, min(first + CHUNK_ROWS, n_train))))
    for first in range(0, len(X), CHUNK_ROWS):
        rows = slice(first, first + CHUNK_ROWS)
        X[rows] = scaler.transform(frame(rows))
    return scaler


# -- words -----------------------------------------------------------------------


def _count(n, noun):
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _listing(names, most=8):
    names = [str(n) for n in names]
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"


def _shown(value, most=40):
    """``value`` quoted for a message, cut after ``most`` characters."""
    text = str(value)
    return repr(text if len(text) <= most else text[:most] + "...")


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
