"""Text tables: fixed-width (PDS3 ASCII TABLE, PDS4 Table_Character) and delimited (PDS3 SPREADSHEET,
PDS4 Table_Delimited / Inventory). Both are parsed when the product is opened: their values' types
(an integer column with blanks becomes float with NaN) are only known once the text is read.

>>> rows = split_records(b"1,2.5,a\\r\\n2,,b\\r\\n", 2, ",")
>>> [list(r) for r in rows]
[['1', '2.5', 'a'], ['2', '', 'b']]
"""
from __future__ import annotations

import csv
import io
import warnings

import numpy as np

from .layout import ProductWarning

#: PDS delimiter names → characters.
DELIMITERS = {"COMMA": ",", "SEMICOLON": ";", "TAB": "\t", "HORIZONTAL_TAB": "\t", "HORIZONTAL TAB": "\t",
              "VERTICAL_BAR": "|", "VERTICAL BAR": "|", "PIPE": "|"}


def delimiter(name: str | None, default: str = ",") -> str:
    if not name:
        return default
    text = str(name).strip()
    return DELIMITERS.get(text.upper().replace("-", "_"), DELIMITERS.get(text.upper(), text[:1] or default))


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_records(data: bytes, records: int | None, sep: str, *, where: str = "") -> list[list[str]]:
    """The first ``records`` rows of delimited ``data`` (every row when None), fields unquoted
    (PDS DSV quoting: ``"..."`` with ``""`` escapes); blank lines are skipped."""
    reader = csv.reader(io.StringIO(decode_text(data), newline=""), delimiter=sep, quotechar='"',
                        skipinitialspace=False)
    rows: list[list[str]] = []
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        rows.append(row)
        if records is not None and len(rows) >= records:
            break
    if records is not None and len(rows) < records:
        warnings.warn(f"{where}: the label declares {records} records, the file holds {len(rows)}",
                      ProductWarning, stacklevel=3)
    return rows


def column(rows: list[list[str]], index: int) -> np.ndarray:
    """Field ``index`` (0-based) of every row as a ``str`` array (missing trailing fields are blank)."""
    return np.array([row[index].strip() if index < len(row) else "" for row in rows], dtype=str)


def fixed_width(buffer: bytes, offset: int, shape: tuple[int, ...], strides: tuple[int, ...],
                width: int) -> np.ndarray:
    """Byte strings of ``width`` bytes at a strided layout inside ``buffer`` (fixed-width fields)."""
    return np.ndarray(shape, dtype=f"S{width}", buffer=buffer, offset=offset, strides=strides)
