"""PDS3 index tables (``INDEX.TAB``, ``CUMINDEX.TAB``) read through their label (``INDEX.LBL``).

The label's ``INDEX_TABLE`` (or ``TABLE``) object gives the columns (NAME, START_BYTE, BYTES); rows are
fixed-width ASCII with CR/LF (or LF, or CR) line ends, character fields in double quotes. Tables whose rows
do not match the declared layout (hand-made or CSV exports) are read as quoted CSV in column order.

>>> label = {"INDEX_TABLE": {"ROW_BYTES": 12, "COLUMN": [{"NAME": "A", "START_BYTE": 2, "BYTES": 3},
...          {"NAME": "B", "START_BYTE": 8, "BYTES": 2}]}}
>>> read_index_table(label, b'"abc","xy"\\r\\n')
[{'A': 'abc', 'B': 'xy'}]
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import LabelError
from .values import number, text

_TABLE_NAMES = ("INDEX_TABLE", "CUMULATIVE_INDEX_TABLE", "TABLE", "SPREADSHEET")
MAX_ROWS = 50_000_000


@dataclass(frozen=True)
class IndexColumn:
    name: str
    start: int  # 0-based byte offset in the row
    size: int   # bytes (fixed-width rows)


def _table_object(label: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for name in _TABLE_NAMES:
        if name in label and isinstance(label[name], Mapping):
            return label[name]
    for key in label:
        value = label[key]
        if isinstance(value, Mapping) and key.upper().endswith("INDEX_TABLE"):
            return value
    return None


def _columns(table: Mapping[str, Any], path: str | None) -> list[IndexColumn]:
    raw: Any = []
    if hasattr(table, "getall"):
        raw = table.getall("COLUMN")
    elif "COLUMN" in table:
        raw = table["COLUMN"]
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    columns = []
    for number_, column in enumerate(raw, 1):
        if not isinstance(column, Mapping):      # 'COLUMN = 5': a keyword, not an object
            raise LabelError(f"index table COLUMN {number_} is not an OBJECT", path=path)
        name = text(column.get("NAME"))
        start = number(column.get("START_BYTE"))
        size = number(column.get("BYTES"))
        if not name:
            raise LabelError(f"index table COLUMN {number_} has no NAME", path=path,
                             line=getattr(column, "line", None))
        if start is None or size is None or start < 1 or size < 0:
            raise LabelError(f"index table column {name} has no valid START_BYTE/BYTES", path=path,
                             line=getattr(column, "line", None))
        columns.append(IndexColumn(name.upper(), int(start) - 1, int(size)))
    if not columns:
        raise LabelError("index table label declares no COLUMN objects", path=path)
    return columns


def index_table_file(label: Mapping[str, Any]) -> str | None:
    """The table file the label points to (``^INDEX_TABLE = "INDEX.TAB"``), if any."""
    for key in label:
        if key.startswith("^") and key[1:].upper() in _TABLE_NAMES + ("CUMULATIVE_INDEX_TABLE",):
            value = label[key]
            if isinstance(value, list):
                value = value[0] if value else None
            return value if isinstance(value, str) else None
    return None


def _clean(field: str) -> str:
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        field = field[1:-1].strip()
    return field


def read_index_table(label: Mapping[str, Any], data: bytes, *, path: str | None = None
                     ) -> list[dict[str, str]]:
    """Rows of an index table as dicts keyed by upper-case column name (values stripped, unquoted).

    Raises :class:`LabelError` naming ``path`` and the row (line) on a malformed table.
    """
    table = _table_object(label)
    if table is None:
        raise LabelError("no INDEX_TABLE/TABLE object in the index label", path=path)
    columns = _columns(table, path)
    row_bytes = number(table.get("ROW_BYTES"))
    try:
        content = data.decode("latin-1")
    except Exception:  # pragma: no cover - latin-1 decodes every byte
        raise LabelError("index table is not text", path=path) from None
    if "\x00" in content:
        raise LabelError("index table contains NUL bytes: not an ASCII table", path=path,
                         line=content.count("\n", 0, content.index("\x00")) + 1)
    lines = [line for line in re.split(r"\r\n|\n|\r", content)]
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) > MAX_ROWS:
        raise LabelError(f"index table has more than {MAX_ROWS} rows", path=path)
    width = max((c.start + c.size for c in columns), default=0)
    fixed = bool(lines) and all(len(line) >= width for line in lines) and (
        row_bytes is None or all(len(line) <= int(row_bytes) for line in lines))
    if fixed and _fields_look_aligned(lines[0], columns):
        return [{c.name: _clean(line[c.start:c.start + c.size]) for c in columns} for line in lines]
    rows = []
    reader = csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True)
    for line_number, fields in enumerate(reader, 1):
        if not fields or not any(f.strip() for f in fields):
            continue
        if len(fields) != len(columns):
            raise LabelError(f"index row has {len(fields)} fields, the label declares {len(columns)} "
                             "columns", path=path, line=line_number)
        rows.append({c.name: _clean(f) for c, f in zip(columns, fields)})
    return rows


def _fields_look_aligned(line: str, columns: list[IndexColumn]) -> bool:
    """Fixed-width slices of a quoted-CSV row that does not follow the layout cut quotes in half."""
    for column in columns:
        chunk = line[column.start:column.start + column.size].strip()
        if chunk.count('"') % 2:
            return False
    return True


def product_paths(rows: list[dict[str, str]]) -> list[tuple[str, dict[str, str]]]:
    """(relative label path, row) per row: FILE_SPECIFICATION_NAME, or PATH_NAME + FILE_NAME."""
    out = []
    for row in rows:
        spec = row.get("FILE_SPECIFICATION_NAME") or row.get("FILE_SPECIFICATION") or ""
        if not spec:
            folder, name = row.get("PATH_NAME", ""), row.get("FILE_NAME", "")
            if not name:
                continue
            spec = f"{folder.rstrip('/')}/{name}" if folder else name
        out.append((spec.replace("\\", "/"), row))
    return out
