"""Catalog columns ⇄ Arrow (pyarrow) and Parquet, an exact round trip.

The table is the records' one Arrow schema, :data:`archive_fed.record.ARROW_SCHEMA` (text as ``string``,
categorical fields dictionary-encoded, lists as ``list<string>``, times as ``timestamp[ns, UTC]``, floats
as ``double``, ``file_size`` as ``int64``, missing values as nulls), built from the catalog's in-memory
columns without a per-record pass. Catalog attributes (schema version, dates, harvest state) travel in
the schema metadata under the key ``archive_fed``. Local files are written with
:func:`archive_fed.atomic.atomic_write`.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from ..atomic import atomic_write
from ..errors import CatalogError
from ..record import ARROW_SCHEMA, CATEGORICAL, FIELDS, INT, LIST, STR, TIME, conform_arrow
from .encoding import LATER_FIELDS, NAT, Codes, code_dtype, decode_list, encode_list, text_values

META_KEY = b"archive_fed"


def _text(values: np.ndarray) -> pa.Array:
    values = text_values(values).copy()
    values[values == ""] = None
    return pa.array(values, type=pa.string())


def to_table(columns: Callable[[str], np.ndarray], codes: Callable[[str], Codes],
             attrs: dict[str, Any]) -> pa.Table:
    arrays = []
    for name, kind in FIELDS.items():
        if name in CATEGORICAL and kind == STR:
            column = codes(name)
            indices = pa.array(column.codes.astype(np.int32), mask=column.codes < 0)
            arrays.append(pa.DictionaryArray.from_arrays(indices, pa.array(column.categories,
                                                                           type=pa.string())))
        elif kind == STR:
            arrays.append(_text(columns(name)))
        elif kind == LIST:
            arrays.append(pa.array([decode_list(v) for v in text_values(columns(name)).tolist()],
                                   type=pa.list_(pa.string())))
        elif kind == TIME:
            ns = np.asarray(columns(name)).astype("datetime64[ns]").view(np.int64)
            arrays.append(pa.array(ns, type=pa.int64(), mask=ns == NAT).cast(pa.timestamp("ns", "UTC")))
        elif kind == INT:
            values = np.asarray(columns(name), dtype=np.float64)
            missing = np.isnan(values)
            arrays.append(pa.array(np.where(missing, 0, values).astype(np.int64), mask=missing))
        else:
            values = np.asarray(columns(name), dtype=np.float64)
            arrays.append(pa.array(values, type=pa.float64(), mask=np.isnan(values)))
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA.with_metadata({META_KEY: json.dumps(attrs).encode()}))


def from_table(table: pa.Table, where: str) -> tuple[dict[str, np.ndarray], dict[str, Codes], dict]:
    """Columns (as in :mod:`~archive_fed.catalog.encoding`), categorical codes and attributes."""
    present = set(table.column_names)
    for name in LATER_FIELDS:  # a file written before these fields: all missing
        if name not in present and "uid" in present:
            table = table.append_column(name, pa.nulls(table.num_rows, ARROW_SCHEMA.field(name).type))
    present = set(table.column_names)
    missing = [name for name in FIELDS if name not in present]
    if missing:
        raise CatalogError(f"not an archive_fed catalog: no columns {missing}", path=where)
    table = conform_arrow(table, where).unify_dictionaries()
    columns: dict[str, np.ndarray] = {}
    codes: dict[str, Codes] = {}
    for name, kind in FIELDS.items():
        chunked = table.column(name)
        array = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
        if pa.types.is_dictionary(array.type) and kind == STR:
            categories = np.empty(len(array.dictionary), dtype=object)
            categories[:] = array.dictionary.to_pylist()
            raw = array.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            # the dictionary may hold "" or unused entries: normalise through the text
            column = Codes(raw.astype(code_dtype(len(categories))), categories)
            text = column.decode()
            columns[name] = text
            if "" not in categories:
                codes[name] = column
        elif kind == STR:
            columns[name] = _from_text(array)
        elif kind == LIST:
            columns[name] = _from_text(pa.array([None if v is None else encode_list(v)
                                                 for v in array.to_pylist()], type=pa.string()))
            columns[name][columns[name] == ""] = "[]"
        elif kind == TIME:
            ns = array.cast(pa.timestamp("ns", "UTC")).cast(pa.int64()).fill_null(NAT)
            columns[name] = ns.to_numpy(zero_copy_only=False).view("datetime64[ns]")
        else:
            columns[name] = array.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
    raw_attrs = (table.schema.metadata or {}).get(META_KEY)
    attrs = json.loads(raw_attrs) if raw_attrs else {}
    return columns, codes, attrs


def _from_text(array: pa.Array) -> np.ndarray:
    return np.asarray(array.fill_null("").to_numpy(zero_copy_only=False), dtype=object)


def write_parquet(table: pa.Table, path: str, storage_options: dict | None = None) -> None:
    fs, target = url_to_fs(str(path), **(storage_options or {}))
    try:
        if isinstance(fs, LocalFileSystem):
            with atomic_write(target, what="parquet") as tmp:
                pq.write_table(table, tmp, compression="zstd")
        else:
            with fs.open(target, "wb") as f:
                pq.write_table(table, f, compression="zstd")
    except OSError as exc:
        raise CatalogError(f"cannot write parquet: {exc}", path=str(path)) from exc


def read_parquet(path: str, storage_options: dict | None = None) -> pa.Table:
    fs, target = url_to_fs(str(path), **(storage_options or {}))
    try:
        if isinstance(fs, LocalFileSystem):
            return pq.read_table(target)
        with fs.open(target, "rb") as f:
            return pq.read_table(f)
    except (OSError, pa.ArrowException) as exc:
        raise CatalogError(f"cannot read parquet: {exc}", path=str(path)) from exc
