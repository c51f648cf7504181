"""A bounded upsert of column batches into an existing catalog: a streaming merge by uid over hashed
partitions, so neither the catalog nor the incoming rows are ever held whole.

1. incoming batches are spilled, as they come, to ``P`` Parquet partitions by ``hash(uid) % P``;
2. the existing catalog is read a block at a time and spilled to the same ``P`` partitions;
3. each partition (old rows first, then incoming) is deduplicated by uid with the catalog's own rule
   (:func:`~archive_fed.catalog.core.latest_per_uid`: a label record beats an index record, then the
   newer version/harvest wins, ties go to the incoming row) and appended to a
   :class:`~archive_fed.catalog.bulk.CatalogWriter`, which swaps the new store in atomically.

Memory holds one partition (about ``PARTITION_ROWS`` rows) plus one catalog block. A crash anywhere
leaves the previous catalog as it was.
"""
from __future__ import annotations

import math
import os
import shutil
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..catalog import store
from ..catalog.bulk import CatalogWriter
from ..catalog.core import latest_per_uid
from ..catalog.encoding import Codes, factorize
from ..catalog.reader import StoreReader
from ..record import FIELDS, LIST, STR, TIME

#: Rows per merge partition (old + incoming): the merge's memory bound.
PARTITION_ROWS = 250_000


def columns_to_arrow(columns: Mapping[str, Any]) -> pa.Table:
    """Writer-format columns (numpy arrays or :class:`Codes`) as an Arrow table, one column per field."""
    arrays = {}
    for name, kind in FIELDS.items():
        values = columns[name]
        if isinstance(values, Codes):
            values = values.decode()
        if kind in (STR, LIST):
            values = np.asarray(values, dtype=object)
            values = np.where(pd.isna(values), "", values) if values.dtype == object else values
            arrays[name] = pa.array(values, pa.string())
        elif kind == TIME:
            arrays[name] = pa.array(np.asarray(values).astype("datetime64[ns]"), pa.timestamp("ns"))
        else:
            arrays[name] = pa.array(np.asarray(values, dtype=np.float64), pa.float64())
    return pa.table(arrays)


def columns_from_arrow(table: pa.Table) -> dict[str, np.ndarray]:
    """The inverse of :func:`columns_to_arrow` (writer-format numpy columns)."""
    out: dict[str, np.ndarray] = {}
    for name, kind in FIELDS.items():
        column = table.column(name)
        if kind in (STR, LIST):
            out[name] = np.asarray(column.to_numpy(), dtype=object)
        elif kind == TIME:
            out[name] = column.to_numpy().astype("datetime64[ns]")
        else:
            out[name] = column.to_numpy().astype(np.float64)
    return out


def _partition(uid: Any, parts: int) -> np.ndarray:
    return (pd.util.hash_array(np.asarray(uid, dtype=object)) % np.uint64(parts)).astype(np.int64)


class PartitionSpill:
    """Column batches spilled to ``parts`` Parquet files by uid hash, under ``folder`` (prefix ``tag``)."""

    def __init__(self, folder: str, parts: int, tag: str) -> None:
        self.folder, self.parts, self.tag = folder, parts, tag
        os.makedirs(folder, exist_ok=True)
        self.writers: dict[int, pq.ParquetWriter] = {}
        self.rows = 0

    def path(self, k: int) -> str:
        return os.path.join(self.folder, f"{self.tag}-{k:05d}.parquet")

    def append(self, columns: Mapping[str, Any]) -> None:
        table = columns_to_arrow(columns)
        if not table.num_rows:
            return
        self.rows += table.num_rows
        keys = _partition(table.column("uid").to_numpy(zero_copy_only=False), self.parts)
        order = np.argsort(keys, kind="stable")
        bounds = np.searchsorted(keys[order], np.arange(self.parts + 1))
        for k in range(self.parts):
            if bounds[k] == bounds[k + 1]:
                continue
            piece = table.take(pa.array(order[bounds[k]:bounds[k + 1]]))
            if k not in self.writers:
                self.writers[k] = pq.ParquetWriter(self.path(k), piece.schema, compression="lz4")
            self.writers[k].write_table(piece)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def read(self, k: int) -> pa.Table | None:
        return pq.read_table(self.path(k)) if k in self.writers else None


def partitions_for(rows: int) -> int:
    return max(1, math.ceil(rows / PARTITION_ROWS))


def spill_catalog(path: str, spill: PartitionSpill, block_rows: int = 100_000) -> int:
    """Spill every row of the catalog at ``path`` to ``spill``, a block at a time. Returns its rows."""
    where = store.locate(path)
    reader = StoreReader(where.fs, where.root, where.url, where.storage_options)
    for begin in range(0, len(reader), block_rows):
        spill.append(reader.block(begin, min(len(reader), begin + block_rows)))
    return len(reader)


def merge_spills(path: str, old: PartitionSpill, new: PartitionSpill, attrs: Mapping[str, Any]) -> int:
    """Write the catalog at ``path`` as old ∪ new, deduplicated by uid per partition (see module)."""
    with CatalogWriter(path, attrs=attrs) as writer:
        for k in range(old.parts):
            tables = [t for t in (old.read(k), new.read(k)) if t is not None]
            if not tables:
                continue
            columns = columns_from_arrow(pa.concat_tables(tables))
            keep = latest_per_uid(columns["uid"], factorize(columns["vid"]), columns["harvested_at"],
                                  columns["metadata_source"])
            writer.append({name: values[keep] for name, values in columns.items()})
    return writer.rows


def append_spill(path: str, new: PartitionSpill, attrs: Mapping[str, Any], shard_rows: int = store.CHUNK_ROWS
                 ) -> int:
    """Write the catalog at ``path`` as its rows followed by ``new``'s, when no incoming uid is in the
    catalog (nothing to deduplicate): its whole shards are hard-linked into the new store
    (:meth:`CatalogWriter.link`), only the last, partial shard is read and written again, then the new
    rows are appended. Work and memory grow with the rows added, not with the catalog."""
    where = store.locate(path)
    reader = StoreReader(where.fs, where.root, where.url, where.storage_options)
    with CatalogWriter(path, attrs=attrs, shard_rows=shard_rows) as writer:
        begin = writer.link(where.root)
        for start in range(begin, len(reader), 100_000):
            writer.append(reader.block(start, min(len(reader), start + 100_000)))
        for k in range(new.parts):
            table = new.read(k)
            if table is not None:
                writer.append(columns_from_arrow(table))
    return writer.rows


def catalog_uid_hashes(path: str, block_rows: int = 250_000) -> np.ndarray:
    """The 64-bit hash of every uid in the catalog at ``path``, read a block at a time."""
    where = store.locate(path)
    reader = StoreReader(where.fs, where.root, where.url, where.storage_options)
    parts = [pd.util.hash_array(np.asarray(reader.block(b, e, ["uid"])["uid"], dtype=object), categorize=False)
             for b, e in reader.blocks(block_rows)]
    return np.concatenate(parts).astype(np.uint64) if parts else np.zeros(0, np.uint64)


def remove(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)


__all__ = ["PartitionSpill", "append_spill", "catalog_uid_hashes", "columns_from_arrow", "columns_to_arrow",
           "merge_spills", "partitions_for", "spill_catalog"]
