"""PDS4 index tables: a ``Table_Delimited`` or ``Table_Character`` described by a PDS4 label, and bare
CSV indexes whose first line names the columns (M3's ``index.csv``).

The result is the same :class:`~archive_fed.labels.index_table.IndexLayout` as for a PDS3 INDEX.LBL, so
:func:`~archive_fed.labels.index_table.iter_index_chunks` reads either.

>>> layout = pds4_index_layout(b'''<Product_Observational><File_Area_Observational><File>
...   <file_name>i.csv</file_name></File><Table_Delimited><offset unit="byte">0</offset>
...   <records>2</records><field_delimiter>Comma</field_delimiter><Record_Delimited>
...   <Field_Delimited><name>pid</name></Field_Delimited></Record_Delimited></Table_Delimited>
...   </File_Area_Observational></Product_Observational>''')
>>> layout.names, layout.delimited, layout.file_name
(['PID'], True, 'i.csv')
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..errors import LabelError
from .index_table import IndexColumn, IndexLayout


@dataclass(frozen=True)
class PDS4IndexLayout(IndexLayout):
    file_name: str | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, name: str) -> ET.Element | None:
    for child in node:
        if _local(child.tag) == name:
            return child
    return None


def _text(node: ET.Element | None, name: str) -> str | None:
    child = _child(node, name) if node is not None else None
    return child.text.strip() if child is not None and child.text else None


def _int(node: ET.Element, name: str, path: str | None) -> int | None:
    value = _text(node, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise LabelError(f"PDS4 index table {name} is not an integer: {value!r}", path=path) from None


def pds4_index_layout(data: bytes, *, path: str | None = None) -> PDS4IndexLayout:
    """The index table of a PDS4 label: its file, offset, declared records and fields.

    Raises :class:`LabelError` naming ``path`` when the label has no table, declares no fields or a
    field beyond its record.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise LabelError(f"PDS4 index label is not XML: {exc}", path=path) from None
    for area in root.iter():
        if not _local(area.tag).startswith("File_Area"):
            continue
        file_name = _text(_child(area, "File"), "file_name")
        for table in area:
            kind = _local(table.tag)
            if kind == "Table_Delimited":
                return _delimited(table, file_name, path)
            if kind == "Table_Character":
                return _character(table, file_name, path)
    raise LabelError("PDS4 label has no Table_Delimited or Table_Character", path=path)


def _delimited(table: ET.Element, file_name: str | None, path: str | None) -> PDS4IndexLayout:
    delimiter = (_text(table, "field_delimiter") or "Comma").lower()
    if delimiter != "comma":
        raise LabelError(f"PDS4 index table field_delimiter {delimiter!r} is not supported (Comma is)",
                         path=path)
    record = _child(table, "Record_Delimited")
    fields = [f for f in (record if record is not None else []) if _local(f.tag) == "Field_Delimited"]
    if not fields:
        raise LabelError("PDS4 index table declares no Field_Delimited", path=path)
    declared = _int(record, "fields", path) if record is not None else None
    if declared is not None and declared != len(fields):
        raise LabelError(f"PDS4 index table declares {declared} fields but describes {len(fields)}",
                         path=path)
    columns = tuple(IndexColumn((_text(f, "name") or f"FIELD_{i}").upper(), 0, 0,
                                (_text(f, "data_type") or "ASCII_String"))
                    for i, f in enumerate(fields, 1))
    return PDS4IndexLayout(columns, None, _int(table, "records", path), _int(table, "offset", path) or 0,
                           True, path, (), file_name)


def _character(table: ET.Element, file_name: str | None, path: str | None) -> PDS4IndexLayout:
    record = _child(table, "Record_Character")
    if record is None:
        raise LabelError("PDS4 Table_Character has no Record_Character", path=path)
    length = _int(record, "record_length", path)
    columns = []
    for field in record:
        if _local(field.tag) != "Field_Character":
            continue
        name = (_text(field, "name") or "").upper()
        start, size = _int(field, "field_location", path), _int(field, "field_length", path)
        if not name or start is None or size is None or start < 1:
            raise LabelError(f"PDS4 Field_Character {name or '?'} has no valid field_location/field_length",
                             path=path)
        if length is not None and start - 1 + size > length:
            raise LabelError(f"PDS4 field {name}: field_location {start} + field_length {size} reaches "
                             f"beyond record_length = {length}", path=path)
        columns.append(IndexColumn(name, start - 1, size, _text(field, "data_type") or "ASCII_String"))
    if not columns:
        raise LabelError("PDS4 Table_Character declares no Field_Character", path=path)
    return PDS4IndexLayout(tuple(columns), length, _int(table, "records", path),
                           _int(table, "offset", path) or 0, False, path, (), file_name)


def csv_index_layout(header: bytes, *, path: str | None = None) -> IndexLayout:
    """A bare CSV index whose first line names the columns (no label): rows follow that line.

    >>> csv_index_layout(b"basename,start_time\\nm3g1,2008-11-18T22:26:04\\n").names
    ['BASENAME', 'START_TIME']
    """
    end = header.find(b"\n")
    if end < 0:
        raise LabelError("CSV index has no header line", path=path)
    names = [n.strip().strip('"').upper() for n in header[:end].decode("utf-8", "replace").strip().split(",")]
    if not all(names):
        raise LabelError("CSV index header has an empty column name", path=path)
    return IndexLayout(tuple(IndexColumn(n, 0, 0) for n in names), None, None, end + 1, True, path)
