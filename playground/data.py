"""Datasets: the shared `Dataset` type and the CSV loader (`load_csv`, `DataError`)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from .safe_text import MAX_NAME_CHARS, clean_name, quoted

REGRESSION = "regression"
CLASSIFICATION = "classification"


class DataError(ValueError):
    """A dataset the playground cannot use; the message is shown to the user as plain text."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, target and what they mean; `X` (n, p) float64, `y` (n,) float64."""

    name: str
    X: np.ndarray  # (n, p) float64
    y: np.ndarray  # (n,) float64
    feature_names: tuple[str, ...]
    target_name: str
    task: str  # REGRESSION or CLASSIFICATION (y in {0, 1})
    description: str = ""
    # The whole numeric table a CSV came from, so the user can re-pick columns; None otherwise.
    table: object = field(default=None, repr=False)

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.X.shape[0]

    @property
    def p(self) -> int:
        """Number of features."""
        return self.X.shape[1]

    def select(self, features: Sequence[str], target: str) -> Dataset:
        """The same table with other feature and target columns; DataError if the choice is unusable."""
        if self.table is None:
            raise DataError("Only a dataset loaded from a CSV file has columns to pick from.")
        features = (features,) if isinstance(features, str) else tuple(features)
        return _dataset_from_table(self.name, self.table, features, target, self.description)


MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_FEATURES = 64
MIN_ROWS = 2

UPLOADED_NAME = "uploaded CSV"

_SEPARATORS = ",;\t|"
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 20
# Cells meaning "no value" (compared stripped and lower-cased); they make their row incomplete.
_MISSING_MARKERS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "?", "-"})
_FILE_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another ZIP archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*(?:\r\n|\r|\n))+")
_DECIMAL_COMMA = re.compile(r"\d,\d")
_DECIMAL_POINT = re.compile(r"\d\.\d")
_NUMBER_WITH_MARKS = re.compile(r"[-+]?[\d.,]*\d")
_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass(frozen=True)
class _Dialect:
    """How the file writes its columns and decimals."""

    separator: str
    decimal: str


def load_csv(source: str | os.PathLike | BinaryIO) -> Dataset:
    """Read a CSV file (a path or a binary file-like) into a Dataset, or raise DataError saying what is wrong.

    Limits: at most MAX_BYTES (20 MB), MAX_ROWS (200,000) data rows and MAX_COLUMNS (200) columns;
    at least MIN_ROWS (2) complete rows; at most MAX_FEATURES (64) features are selected by default.
    """
    raw, name = _read_source(source)
    text, skipped_lines = _trim_blank_lines(_decode(raw))
    dialect = _detect_dialect(text)
    cells = _read_cells(text, dialect.separator, skipped_lines)
    names, renamed = _column_names(cells.iloc[0])
    numeric, text_columns = _numeric_columns(_data_rows(cells, names, skipped_lines), dialect.decimal)
    table, dropped = _complete_rows(numeric)
    features, target = _default_selection(table)
    description = _describe(table, names, dialect, dropped, text_columns, renamed)
    return _dataset_from_table(name, table, features, target, description)


def read_upload(upload: bytes, progress=None) -> Dataset:
    """`load_csv` of an uploaded file's bytes (a job of the page's worker process, playground/worker.py: pandas reads
    in one go, so there is no `progress` to report)."""
    return load_csv(io.BytesIO(upload))


def _read_source(source: str | os.PathLike | BinaryIO) -> tuple[bytes, str]:
    """The raw bytes of a path or binary file-like, and the name to show for it."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            with path.open("rb") as file:
                return _read_limited(file), path.name
        except OSError as error:
            raise DataError(f"Cannot open {quoted(path.name)}: {error.strerror or error}.") from error
    if getattr(source, "seekable", lambda: False)():
        source.seek(0)
    name = getattr(source, "name", None)
    return _read_limited(source), Path(name).name if isinstance(name, str) and name else UPLOADED_NAME


def _read_limited(file: BinaryIO) -> bytes:
    """At most MAX_BYTES bytes of a binary file; DataError if it holds more."""
    raw = file.read(MAX_BYTES + 1)
    if not isinstance(raw, bytes | bytearray):
        raise TypeError("load_csv needs a path or a binary file-like (read() must return bytes)")
    if len(raw) > MAX_BYTES:
        raise DataError(f"The file is larger than the {MAX_BYTES // 2**20} MB limit.")
    return bytes(raw)


def _decode(raw: bytes) -> str:
    """The file as text (UTF-8 with or without BOM, else Windows-1252 / Latin-1); DataError if not text."""
    if not raw:
        raise DataError("The file is empty (0 bytes).")
    _reject_known_binary_formats(raw)
    text = _decode_text(raw).lstrip("\ufeff")
    _reject_control_characters(text)
    if not text.strip():
        raise DataError("The file contains only whitespace: there is no header and no data.")
    return text


def _reject_known_binary_formats(raw: bytes) -> None:
    """DataError naming the format if the bytes start like a common non-CSV file."""
    for signature, kind in _FILE_SIGNATURES.items():
        if raw.startswith(signature):
            raise DataError(f"This looks like {kind}, not a CSV text file. Export the data as CSV first.")


def _decode_text(raw: bytes) -> str:
    """The bytes decoded with the first encoding that fits: UTF-16 if it has a BOM, else UTF-8 or cp1252."""
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError("The file starts like UTF-16 text but cannot be decoded. Save it as UTF-8 CSV.")


def _reject_control_characters(text: str) -> None:
    """DataError if the text holds control characters, which only binary files have."""
    match = _CONTROL_CHARACTER.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise DataError(
            f"This does not look like a text CSV file: line {line} contains binary data "
            f"(character code {ord(match.group()):#04x}). Export the data as CSV and try again."
        )


def _trim_blank_lines(text: str) -> tuple[str, int]:
    """The text without blank lines above the header or whitespace at the end, and how many lines were cut."""
    leading = _LEADING_BLANK_LINES.match(text)
    cut = leading.group() if leading else ""
    return text[len(cut) :].rstrip(), len(cut.splitlines())


def _detect_dialect(text: str) -> _Dialect:
    """The column separator and decimal mark, guessed from the first lines."""
    sample = "\n".join(text[:_SNIFF_CHARS].splitlines()[:_SNIFF_LINES])
    separator = _detect_separator(sample)
    return _Dialect(separator, _detect_decimal(sample, separator))


def _detect_separator(sample: str) -> str:
    """The separator the csv sniffer finds, else the candidate most frequent in the header (comma if none)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=_SEPARATORS).delimiter
    except csv.Error:
        return max(_SEPARATORS, key=sample.splitlines()[0].count)


def _detect_decimal(sample: str, separator: str) -> str:
    """A decimal comma if the columns are not comma-separated and "1,5" is more common than "1.5"."""
    commas = len(_DECIMAL_COMMA.findall(sample))
    return "," if separator != "," and commas > len(_DECIMAL_POINT.findall(sample)) else "."


def _read_cells(text: str, separator: str, skipped_lines: int) -> pd.DataFrame:
    """Every cell as a string, row 0 being the header; DataError if the shape breaks the limits or the CSV."""
    columns = _count_header_fields(text, separator)
    if columns > MAX_COLUMNS:
        raise DataError(f"The file has {columns:,} columns; the limit is {MAX_COLUMNS}.")
    cells = _parse_cells(text, separator, skipped_lines, rows=MAX_ROWS + 2)
    if len(cells) > MAX_ROWS + 1:
        raise DataError(f"The file has more than {MAX_ROWS:,} data rows, the limit.")
    return cells


def _count_header_fields(text: str, separator: str) -> int:
    """How many fields the header has, read by the stdlib csv reader (pandas is slow on very wide rows)."""
    try:
        return len(next(csv.reader(io.StringIO(text), delimiter=separator)))
    except csv.Error as error:
        raise DataError(f"The header line could not be read: {error}.") from error


def _parse_cells(text: str, separator: str, skipped_lines: int, rows: int) -> pd.DataFrame:
    """The first `rows` lines parsed by pandas, all cells as strings; DataError explaining a malformed CSV."""
    try:
        return pd.read_csv(
            io.StringIO(text), sep=separator, header=None, dtype=str, na_filter=False,
            skip_blank_lines=False, nrows=rows,
        )
    except pd.errors.EmptyDataError as error:
        raise DataError("The file has no header row: no columns were found.") from error
    except pd.errors.ParserError as error:
        raise DataError(_explain_parser_error(str(error), separator, skipped_lines)) from error


def _explain_parser_error(message: str, separator: str, skipped_lines: int) -> str:
    """A plain-language version of a pandas tokenizer error, with the line number in the file."""
    fields = _TOO_MANY_FIELDS.search(message)
    if fields:
        expected, line, seen = map(int, fields.groups())
        name = _SEPARATOR_NAMES[separator]
        return (
            f"Line {line + skipped_lines} has {seen} values but the header has {expected}. Check for an extra "
            f"{name} or a decimal comma, and put quotes around values that contain a {name}."
        )
    quote = _UNCLOSED_QUOTE.search(message)
    if quote:
        line = int(quote.group(1)) + 1 + skipped_lines
        return f'A quoted value starting on line {line} is never closed (a " without its partner).'
    return f"The file could not be read as CSV: {message.strip()}"


def _column_names(header: pd.Series) -> tuple[list[str], int]:
    """The header cells as names (`clean_name`: one line of printable characters, at most MAX_NAME_CHARS), a blank one
    named column_<position>; unique. Also how many names the policy changed."""
    cleaned = [clean_name(cell) for cell in header]
    names = [name or f"column_{position}" for position, (name, _) in enumerate(cleaned, start=1)]
    first_position: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in first_position:
            raise DataError(
                f"Duplicate column name {quoted(name)} (columns {first_position[name]} and {position}). "
                "Column names must be unique."
            )
        first_position[name] = position
    return names, sum(1 for _, changes in cleaned if changes)


def _data_rows(cells: pd.DataFrame, names: list[str], skipped_lines: int) -> pd.DataFrame:
    """The non-blank rows under the header, labelled by column name and by line number in the file."""
    body = cells.iloc[1:].set_axis(names, axis=1)
    body.index = body.index + 1 + skipped_lines
    body = body[~body.eq("").all(axis=1)]
    if body.empty:
        raise DataError("The file has a header but no data rows.")
    return body


def _numeric_columns(body: pd.DataFrame, decimal: str) -> tuple[pd.DataFrame, list[str]]:
    """The numeric columns as float64 and the names of the text columns left out."""
    numeric, text_columns = {}, []
    for name, cells in body.items():
        numbers = _to_floats(cells, decimal)
        text = _text_cells(cells, numbers)
        if len(text) > numbers.notna().sum():
            text_columns.append(name)
        elif not text.empty:
            raise DataError(_stray_text_message(name, text.index[0], text.iloc[0], decimal))
        else:
            _reject_infinity(name, cells, numbers)
            numeric[name] = numbers
    if len(numeric) < 2:
        found = f"only {quoted(next(iter(numeric)))}" if numeric else "none"
        raise DataError(
            f"The playground needs at least two numeric columns (features and a target) but found {found}. "
            "Columns must be separated by commas, semicolons, tabs or |."
        )
    return pd.DataFrame(numeric), text_columns


def _to_floats(cells: pd.Series, decimal: str) -> pd.Series:
    """Each cell as float64, NaN where it is not a number written with the file's decimal mark."""
    if decimal == ",":
        cells = cells.mask(cells.str.contains(".", regex=False)).str.replace(",", ".", regex=False)
    return pd.to_numeric(cells, errors="coerce").astype(np.float64)


def _text_cells(cells: pd.Series, numbers: pd.Series) -> pd.Series:
    """The stripped cells that are neither numbers nor missing-value markers."""
    unparsed = cells[numbers.isna()].str.strip()
    return unparsed[~unparsed.str.lower().isin(_MISSING_MARKERS)]


def _stray_text_message(column: str, line: int, value: str, decimal: str) -> str:
    """Why a text cell in a numeric column stops the load, and how to fix it."""
    message = f"Column {quoted(column)} holds numbers, but line {line} has the text {quoted(value)}."
    if value.startswith(("=", "@")):
        return f"{message} Spreadsheet formulas are not evaluated: export the computed values instead."
    other_mark = "," if decimal == "." else "."
    if other_mark in value and _NUMBER_WITH_MARKS.fullmatch(value):
        return f"{message} This file writes decimals with '{decimal}'; use the same decimal mark everywhere."
    return f"{message} Fix or delete that value (an empty cell counts as missing)."


def _reject_infinity(column: str, cells: pd.Series, numbers: pd.Series) -> None:
    """DataError naming the first infinite (or overflowing) value of a column."""
    infinite = numbers.index[np.isinf(numbers.to_numpy())]
    if len(infinite):
        line = infinite[0]
        raise DataError(
            f"Column {quoted(column)} has an infinite value {quoted(cells.loc[line].strip())} on line {line}. "
            "Use finite numbers or leave the cell empty."
        )


def _complete_rows(numeric: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows without missing values (re-indexed from 0) and how many were dropped."""
    table = numeric.dropna().reset_index(drop=True)
    dropped = len(numeric) - len(table)
    if len(table) < MIN_ROWS:
        after = f" after dropping {dropped:,} with missing values" if dropped else ""
        raise DataError(f"Found {len(table)} complete data row(s){after}; at least {MIN_ROWS} are needed.")
    return table, dropped


def _default_selection(table: pd.DataFrame) -> tuple[list[str], str]:
    """Target: the last column that varies; features: the other varying columns, at most MAX_FEATURES."""
    varying = [name for name in table.columns if not _is_constant(table[name])]
    if len(varying) < 2:
        constant = ", ".join(quoted(name) for name in table.columns if name not in varying)
        raise DataError(
            f"Too few columns vary to learn anything; constant (the same value in every row): {constant}."
        )
    return varying[:-1][:MAX_FEATURES], varying[-1]


def _is_constant(values: pd.Series) -> bool:
    """Whether every value of the column is the same."""
    return values.min() == values.max()


def _describe(
    table: pd.DataFrame, names: list[str], dialect: _Dialect, dropped: int, text_columns: list[str], renamed: int = 0
) -> str:
    """A short account of what was read and what was left out."""
    decimal = ", decimal comma" if dialect.decimal == "," else ""
    parts = [
        f"{len(table):,} rows, {table.shape[1]} numeric columns "
        f"({_SEPARATOR_NAMES[dialect.separator]}-separated{decimal})."
    ]
    if dropped:
        parts.append(f"Dropped {dropped:,} rows with missing values.")
    if text_columns:
        parts.append(f"Ignored non-numeric columns: {', '.join(quoted(name) for name in text_columns)}.")
    if renamed:
        parts.append(f"{renamed} column name(s) had line breaks, invisible characters or more than "
                     f"{MAX_NAME_CHARS} characters: "
                     "shown on one line, cleaned and cut.")
    if pd.to_numeric(pd.Series(names), errors="coerce").notna().all():
        parts.append("The header row is all numbers: check that the first line is not data.")
    return " ".join(parts)


def _dataset_from_table(
    name: str, table: pd.DataFrame, features: Sequence[str], target: str, description: str
) -> Dataset:
    """A Dataset of the chosen columns of a numeric table; DataError if the choice is unusable."""
    _check_selection(table, features, target)
    # Copies of their own (np.array, not ascontiguousarray): a view would keep pandas' intermediate arrays alive,
    # twice the memory of a 20 MB file's features.
    X = np.array(table[list(features)].to_numpy(dtype=np.float64), order="C")
    y = np.array(table[target].to_numpy(dtype=np.float64))
    task = CLASSIFICATION if np.array_equal(np.unique(y), [0.0, 1.0]) else REGRESSION
    return Dataset(name, X, y, tuple(features), target, task, description, table)


def _check_selection(table: pd.DataFrame, features: Sequence[str], target: str) -> None:
    """DataError unless the features and target are distinct, existing, varying columns."""
    if not features:
        raise DataError("Pick at least one feature column.")
    if len(features) > MAX_FEATURES:
        raise DataError(f"Pick at most {MAX_FEATURES} feature columns ({len(features)} picked).")
    for name in (*features, target):
        if name not in table.columns:
            raise DataError(f"There is no numeric column named {quoted(name)}.")
    repeated = next((name for name in features if features.count(name) > 1), None)
    if repeated is not None:
        raise DataError(f"Feature column {quoted(repeated)} is picked twice.")
    if target in features:
        raise DataError(f"Column {quoted(target)} cannot be both a feature and the target.")
    for role, name in [*(("Feature column", name) for name in features), ("Target column", target)]:
        if _is_constant(table[name]):
            raise DataError(
                f"{role} {quoted(name)} is constant (every value is {table[name].iloc[0]:g}); "
                "pick a column that varies."
            )


