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
    data_type: str = "CHARACTER"  # PDS3 DATA_TYPE (CHARACTER, ASCII_REAL, TIME, ...)


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


# ---- vectorised, chunked reading (archive-scale ingest) ---------------------------------------------
#: Bytes of rows parsed at a time: memory stays bounded whatever the table's size.
CHUNK_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class IndexLayout:
    """How an index table's bytes are laid out, from its label (PDS3 INDEX.LBL or a PDS4 table label).

    ``row_bytes`` is the declared record length including the line end (PDS3 ROW_BYTES), ``rows`` the
    declared row count (None when not declared), ``offset`` the bytes before the first row (a PDS4
    header, a CSV header line), ``delimited`` whether rows are comma-separated rather than fixed-width.
    """

    columns: tuple[IndexColumn, ...]
    row_bytes: int | None = None
    rows: int | None = None
    offset: int = 0
    delimited: bool = False
    path: str | None = None
    defaults: tuple[tuple[str, str], ...] = ()  # label-level keywords (DATA_SET_ID, TARGET_NAME, ...)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _expand_items(column: Mapping[str, Any], base: IndexColumn, path: str | None) -> list[IndexColumn]:
    """A COLUMN with ITEMS = n is n fields ``NAME_1`` .. ``NAME_n`` (ITEM_BYTES wide, ITEM_OFFSET apart)."""
    items = number(column.get("ITEMS"))
    if not items or int(items) <= 1:
        return [base]
    count = int(items)
    item_bytes = number(column.get("ITEM_BYTES"))
    if item_bytes is None:
        item_bytes = base.size / count
    offset = number(column.get("ITEM_OFFSET")) or item_bytes
    if not float(item_bytes).is_integer() or not float(offset).is_integer():
        raise LabelError(f"index column {base.name}: ITEMS = {count} does not divide BYTES = {base.size}",
                         path=path, line=getattr(column, "line", None))
    return [IndexColumn(f"{base.name}_{k + 1}", base.start + k * int(offset), int(item_bytes), base.data_type)
            for k in range(count)]


def index_layout(label: Mapping[str, Any], *, path: str | None = None) -> IndexLayout:
    """The layout of a PDS3 index table from its label, checked for self-contradiction.

    Raises :class:`LabelError` naming ``path`` when a column reaches beyond ROW_BYTES or the label
    declares no columns.

    >>> label = {"INDEX_TABLE": {"ROW_BYTES": 12, "ROWS": 1, "COLUMN": [
    ...     {"NAME": "A", "START_BYTE": 2, "BYTES": 3}, {"NAME": "B", "START_BYTE": 8, "BYTES": 2}]}}
    >>> index_layout(label).names
    ['A', 'B']
    """
    table = _table_object(label)
    if table is None:
        raise LabelError("no INDEX_TABLE/TABLE object in the index label", path=path)
    raw: Any = table.getall("COLUMN") if hasattr(table, "getall") else table.get("COLUMN", [])
    raw = raw if isinstance(raw, (list, tuple)) else [raw]
    plain = _columns(table, path)
    columns: list[IndexColumn] = []
    for column, base in zip(raw, plain):
        kind = (text(column.get("DATA_TYPE")) or "CHARACTER").upper()
        columns.extend(_expand_items(column, IndexColumn(base.name, base.start, base.size, kind), path))
    row_bytes = number(table.get("ROW_BYTES"))
    rows = number(table.get("ROWS"))
    if row_bytes is not None:
        for column in columns:
            if column.start + column.size > row_bytes:
                raise LabelError(f"index column {column.name}: START_BYTE {column.start + 1} + BYTES "
                                 f"{column.size} reaches beyond ROW_BYTES = {int(row_bytes)}", path=path)
    defaults = tuple((key, text(scalar_text(label[key])) or "") for key in _DEFAULT_KEYS if key in label)
    return IndexLayout(tuple(columns), int(row_bytes) if row_bytes else None,
                       int(rows) if rows is not None else None, 0, False, path, defaults)


_DEFAULT_KEYS = ("DATA_SET_ID", "INSTRUMENT_HOST_NAME", "INSTRUMENT_HOST_ID", "SPACECRAFT_NAME",
                 "INSTRUMENT_NAME", "INSTRUMENT_ID", "TARGET_NAME", "MISSION_NAME", "VOLUME_ID")


def scalar_text(value: Any) -> Any:
    """A label value as one text: a one-element set/sequence gives its element, a longer one None
    (a volume listing several data sets gives no default)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        values = list(value)
        return values[0] if len(values) == 1 else None
    return value


@dataclass
class IndexChunk:
    """Rows ``first_row`` .. ``first_row + len(table) - 1`` (1-based) as text columns (stripped, unquoted)."""

    first_row: int
    table: Any  # pyarrow.Table of string columns named like the layout
    digests: Any = None  # numpy uint64 per row: a hash of the row's bytes (what changed between runs)
    rows: Any = None  # when ``select`` dropped rows: the chunk positions of the table's rows (digests cover all)


def _row_digests(matrix: Any) -> Any:
    """A 64-bit hash of each row of a ``rows × width`` byte matrix: the row read as little-endian 8-byte
    words (the last one zero-padded), ``Σ word_j · P^(j+1)`` modulo 2**64 for an odd ``P`` (one pass over
    the bytes; any change of one word changes it), then a 64-bit finalizer."""
    import numpy as np

    matrix = np.ascontiguousarray(matrix)
    rows, width = matrix.shape
    whole = width // 8
    powers = np.uint64(0x100000001B3) ** np.arange(1, whole + 2, dtype=np.uint64)
    digest = np.zeros(rows, dtype=np.uint64)
    if whole:
        words = np.ndarray((rows, whole), dtype="<u8", buffer=matrix, strides=(width, 8))
        digest = np.einsum("ij,j->i", words, powers[:whole])
    if width % 8:
        tail = np.zeros((rows, 8), dtype=np.uint8)
        tail[:, :width % 8] = matrix[:, whole * 8:]
        digest += tail.view("<u8")[:, 0] * powers[whole]
    digest ^= digest >> np.uint64(31)
    digest *= np.uint64(0xBF58476D1CE4E5B9)
    return digest ^ (digest >> np.uint64(29))


def _text_digests(table: Any) -> Any:
    import pandas as pd
    import pyarrow.compute as pc

    joined = pc.binary_join_element_wise(*table.columns, "\x1f")
    return pd.util.hash_array(joined.to_numpy(zero_copy_only=False))


def _trim(array: Any) -> Any:
    import pyarrow.compute as pc

    array = pc.utf8_trim_whitespace(array)
    quoted = pc.and_(pc.starts_with(array, '"'), pc.ends_with(array, '"'))
    if pc.any(quoted).as_py():
        inner = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(array, 1, -1))
        array = pc.if_else(quoted, inner, array)
    return array


def _text_array(data: Any, length: int, width: int) -> Any:
    """``length`` fixed-width fields of ``width`` bytes held contiguously in ``data`` (a buffer) → a string
    array built on the same bytes (offsets only, no per-row work); latin-1 when not UTF-8."""
    import numpy as np
    import pyarrow as pa

    offsets = np.arange(0, (length + 1) * width, width, dtype=np.int32)
    array = pa.StringArray.from_buffers(length, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        raw = np.frombuffer(data, dtype=f"S{width}") if width else None
        array = pa.array(raw.astype(f"U{width}") if raw is not None else [""] * length, pa.string())
    return array


def row_bytes_of(layout: IndexLayout, head: bytes) -> int | None:
    """The record length the file really has: ROW_BYTES when the first line matches it, else None
    (the table is delimited text that does not follow the byte layout)."""
    if layout.delimited or not layout.row_bytes:
        return None
    first_end = head.find(b"\n", layout.offset)
    if first_end < 0:
        return layout.row_bytes if len(head) - layout.offset >= layout.row_bytes else None
    width = first_end + 1 - layout.offset
    return layout.row_bytes if width == layout.row_bytes else None


def check_size(layout: IndexLayout, size: int, fixed_width: int | None, *, path: str | None = None) -> None:
    """Refuse a table whose size contradicts its label (ROW_BYTES, ROWS), naming the file."""
    where = path or layout.path
    if fixed_width is None:
        return
    body = size - layout.offset
    if body % fixed_width:
        raise LabelError(f"index table is {size} bytes, not a whole number of ROW_BYTES = {fixed_width} "
                         f"rows ({body / fixed_width:.2f})", path=where)
    if layout.rows is not None and body // fixed_width != layout.rows:
        raise LabelError(f"index label declares ROWS = {layout.rows} but the table holds "
                         f"{body // fixed_width} rows of {fixed_width} bytes", path=where)


def iter_index_chunks(layout: IndexLayout, stream: Any, *, size: int | None = None,
                      chunk_bytes: int = CHUNK_BYTES, path: str | None = None, columns: Any = None,
                      select: Any = None) -> Any:
    """Parse an index table from a binary ``stream`` in chunks of about ``chunk_bytes``.

    Fixed-width tables (the first row is ROW_BYTES long) are cut into a ``rows × ROW_BYTES`` numpy byte
    matrix per chunk and each column sliced out of it whole; other tables are read as quoted,
    comma-separated text with :func:`pyarrow.csv.open_csv`. Yields :class:`IndexChunk`; ``columns`` (a set of
    names) limits the text columns built from a fixed-width table to those (the row digests always cover
    the whole row), and ``select`` (digests → mask) to the rows it keeps (``IndexChunk.rows``).

    Raises :class:`LabelError` naming the file when the table contradicts its label.

    >>> import io
    >>> label = {"INDEX_TABLE": {"ROW_BYTES": 12, "ROWS": 2, "COLUMN": [
    ...     {"NAME": "A", "START_BYTE": 2, "BYTES": 3}, {"NAME": "B", "START_BYTE": 8, "BYTES": 2}]}}
    >>> data = b'"abc","xy"\\r\\n"def","zw"\\r\\n'
    >>> [c.table.to_pydict() for c in iter_index_chunks(index_layout(label), io.BytesIO(data), size=24)]
    [{'A': ['abc', 'def'], 'B': ['xy', 'zw']}]
    """
    where = path or layout.path
    head = stream.read(max(64 * 1024, 2 * (layout.row_bytes or 0) + layout.offset))
    if b"\x00" in head:
        raise LabelError("index table contains NUL bytes: not an ASCII table", path=where)
    width = row_bytes_of(layout, head)
    if width is None and layout.row_bytes and not layout.delimited and size is not None:
        # rows of one length that is not ROW_BYTES: the label is wrong about its own table (a CSV
        # export's lines vary in length, and are read as delimited text below)
        line = head.find(b"\n", layout.offset) + 1 - layout.offset
        body = size - layout.offset
        if line > 0 and body % line == 0 and body // line > 1 and head[layout.offset + 2 * line - 1:
                                                                      layout.offset + 2 * line] == b"\n":
            raise LabelError(f"index label declares ROW_BYTES = {layout.row_bytes} but the table's rows are "
                             f"{line} bytes long", path=where)
    if size is not None:
        check_size(layout, size, width, path=where)
    if width is not None:
        yield from _fixed_chunks(layout, head, stream, width, chunk_bytes, where, columns, select)
    else:
        yield from _delimited_chunks(layout, head, stream, chunk_bytes, where)


def _read_full(stream: Any, size: int, prefix: bytes = b"") -> bytearray:
    """``prefix`` then bytes from ``stream`` up to ``size`` in all (fewer only at its end), in one buffer."""
    out = bytearray(max(size, len(prefix)))
    out[:len(prefix)] = prefix
    view, filled = memoryview(out), len(prefix)
    readinto = getattr(stream, "readinto", None)
    while filled < size:
        if readinto is not None:
            got = readinto(view[filled:])
        else:
            more = stream.read(size - filled)
            got = len(more)
            view[filled:filled + got] = more
        if not got:
            break
        filled += got
    del view
    if filled < len(out):
        del out[filled:]
    return out


def _fixed_chunks(layout: IndexLayout, head: bytes, stream: Any, width: int, chunk_bytes: int,
                  where: str | None, wanted: Any, select: Any = None) -> Any:
    import numpy as np
    import pyarrow as pa

    target = max(1, chunk_bytes // width) * width
    columns = [c for c in layout.columns if wanted is None or c.name in wanted]
    first, carry, eof = 1, head[layout.offset:], False
    while True:
        if eof:
            buffer = bytearray(carry)
        else:  # after the head, or the piece of a row left over
            buffer = _read_full(stream, target, carry)
            eof = len(buffer) < target
        whole = min(len(buffer), target) // width
        if whole == 0:
            if buffer.strip(b"\r\n\x1a "):  # a DOS end-of-file mark or a last line end is no row
                raise LabelError(f"index table ends with a partial row of {len(buffer)} bytes "
                                 f"(ROW_BYTES = {width})", path=where, line=first)
            return
        matrix = np.frombuffer(buffer, dtype=np.uint8, count=whole * width).reshape(whole, width)
        digests = _row_digests(matrix)
        picked = None
        if select is not None:  # only the rows wanted are built into columns
            wanted = np.asarray(select(digests), dtype=bool)
            if not wanted.all():
                picked = np.flatnonzero(wanted)
                matrix = matrix[picked]
        count = len(matrix)
        arrays = [_trim(_text_array(np.ascontiguousarray(matrix[:, c.start:c.start + c.size]), count, c.size))
                  for c in columns]
        del matrix
        yield IndexChunk(first, pa.table(arrays, names=[c.name for c in columns]), digests, picked)
        first += whole
        carry = bytes(buffer[whole * width:])


def _delimited_chunks(layout: IndexLayout, head: bytes, stream: Any, chunk_bytes: int,
                      where: str | None) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    offset = layout.offset
    if 0 < offset <= len(head) and head[offset - 1:offset] != b"\n":
        # an offset inside a line: the table starts at a record, so the declared header length is off
        # (Clementine's duplicate_edr_products.xml declares a 35-byte header for a 34-byte line)
        offset = head.rfind(b"\n", 0, offset) + 1

    class _Rest:  # the already-read head, then the rest of the stream, as one file for pyarrow
        def __init__(self) -> None:
            self.buffer = head[offset:]
            self.closed = False

        def read(self, n: int = -1) -> bytes:
            if self.buffer:
                out, self.buffer = (self.buffer, b"") if n < 0 or n >= len(self.buffer) else \
                    (self.buffer[:n], self.buffer[n:])
                return out
            return stream.read(n) if n >= 0 else stream.read()

        def readable(self) -> bool:
            return True

    names = layout.names
    reader_options = pcsv.ReadOptions(column_names=names, block_size=max(1 << 20, chunk_bytes),
                                      use_threads=True)
    parse_options = pcsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True,
                                      ignore_empty_lines=True)
    convert_options = pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                          strings_can_be_null=False, quoted_strings_can_be_null=False)
    try:
        reader = pcsv.open_csv(pa.PythonFile(_Rest(), mode="r"), read_options=reader_options,
                               parse_options=parse_options, convert_options=convert_options)
    except pa.ArrowInvalid as exc:
        raise LabelError(f"index table does not match its label's {len(names)} columns: {exc}",
                         path=where) from None
    first = 1
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            raise LabelError(f"index table does not match its label's {len(names)} columns: {exc}",
                             path=where, line=first) from None
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch])
        table = pa.table([_trim(table.column(n).combine_chunks()) for n in names], names=names)
        yield IndexChunk(first, table, _text_digests(table))
        first += batch.num_rows
    if layout.rows is not None and first - 1 != layout.rows:
        raise LabelError(f"index label declares ROWS = {layout.rows} but the table holds {first - 1} rows",
                         path=where)
