"""Write a catalog store from batches of columns, a shard at a time: catalogs larger than memory.

:class:`CatalogWriter` takes numpy columns (no :class:`~archive_fed.record.ProductRecord` objects) and
writes them in the on-disk layout of :mod:`~archive_fed.catalog.store` — categorical codes with their
category tables, the same codecs, shards and inner chunks, the generation marker — to a temporary
store that :meth:`~CatalogWriter.close` swaps in atomically, so :meth:`Catalog.open
<archive_fed.catalog.Catalog.open>` reads it like any saved catalog. Memory holds one shard of rows
(plus the batch being appended), whatever the catalog's size.

Columns use the in-memory encoding of :mod:`~archive_fed.catalog.encoding`: text as str arrays
(``""`` or None for missing), ``targets``/``data_urls`` as JSON text, times as ``datetime64`` (NaT
missing), numbers as floats (NaN missing). A categorical field may also be given as
:class:`~archive_fed.catalog.encoding.Codes`, which skips factorizing it.

The writer does not deduplicate: each ``uid`` must occur once (a harvest that may see a product again
merges through :meth:`Catalog.upsert <archive_fed.catalog.Catalog.upsert>` instead).

>>> import tempfile, os
>>> from archive_fed.testing.synthetic import synthetic_columns
>>> path = os.path.join(tempfile.mkdtemp(), "big.zarr")
>>> with CatalogWriter(path) as writer:
...     for start in range(0, 3000, 1000):
...         writer.append(synthetic_columns(1000, seed=start, start=start))
>>> from archive_fed.catalog import Catalog
>>> len(Catalog.open(path, chunks=1000))
3000
"""
from __future__ import annotations

import datetime as _dt
import shutil
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import google_crc32c
import numpy as np
import pandas as pd
import zarr
from fsspec.core import url_to_fs
from numcodecs import Blosc, VLenUTF8, Zstd
from zarr.codecs import BloscCodec, ZstdCodec
from fsspec.implementations.local import LocalFileSystem

from ..errors import CatalogError
from ..record import CATEGORICAL, FIELDS, FLOAT, INT, LIST, STR, TIME
from . import store
from .encoding import VAR_ATTRS, DIM, MAX_EXACT_INT, SCHEMA_VERSION, Codes, text_array

#: Categories a streamed categorical column may hold (its codes are int16).
MAX_STREAMED_CATEGORIES = int(np.iinfo(np.int16).max)
_TEXT = np.dtypes.StringDType()
_NAN_FILL = "AAAAAAAA+H8="  # NaN as xarray writes a float ``_FillValue`` attribute to Zarr v3
#: Text chunks are compressed at zstd level 3 here (``Catalog.save`` uses 6): on catalog text (uids,
#: URLs) level 3 compresses about 3x faster and no worse; readers do not depend on the level.
TEXT_LEVEL = 3
_EMPTY_CHUNK = np.uint64(2 ** 64 - 1)
_VLEN = VLenUTF8()


class CatalogWriter:
    """Append column batches to a new catalog store; :meth:`close` publishes it atomically.

    Parameters
    ----------
    path
        The store to write (local path or fsspec URL); an existing catalog there is replaced on
        :meth:`close`, as by :meth:`Catalog.save <archive_fed.catalog.Catalog.save>`.
    storage_options
        fsspec options for a remote ``path``.
    attrs
        Extra catalog attributes (``state`` as a JSON string, ...).
    shard_rows
        Products per shard file (a multiple of ``store.INNER_CHUNK_ROWS``; the default is
        ``store.CHUNK_ROWS``, the layout :meth:`Catalog.save <archive_fed.catalog.Catalog.save>` writes).

    Use it as a context manager: leaving the block normally closes the writer, an exception aborts it
    (the temporary store is deleted, any previous catalog stays).
    """

    def __init__(self, path: str, storage_options: dict | None = None,
                 attrs: Mapping[str, Any] | None = None, shard_rows: int = store.CHUNK_ROWS) -> None:
        self.path = str(path)
        self.storage_options = storage_options
        self.fs, root = url_to_fs(self.path, **(storage_options or {}))
        self.root = root.rstrip("/")
        self.local = isinstance(self.fs, LocalFileSystem)
        if self.local:
            self.tmp, self.token = store.local_temporary(self.root)
            url = self.tmp
        else:
            self.tmp, self.token = store.remote_temporary(self.root)
            url = self.fs.unstrip_protocol(self.tmp)
        now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        group_attrs = {"schema_version": SCHEMA_VERSION, "created": now, "updated": now, "state": "{}",
                       **dict(attrs or {})}
        self.shard, self.inner, self.text_inner = store.chunking(store.CHUNK_ROWS)
        if shard_rows != self.shard:
            if shard_rows <= 0 or shard_rows % self.inner:
                raise CatalogError(f"shard_rows must be a positive multiple of {self.inner}", path=self.path)
            self.shard = shard_rows
        self.group = zarr.open_group(url, mode="w", storage_options=None if self.local else storage_options,
                                     zarr_format=3, attributes=group_attrs)
        self.arrays = {name: self._create(name, kind) for name, kind in FIELDS.items()}
        for name in self.arrays:  # where the shard files go (see _shard)
            self.fs.makedirs(f"{self.tmp}/{name}/c", exist_ok=True)
        self.categories: dict[str, dict[str, int]] = {name: {} for name in CATEGORICAL}
        self.pending: list[dict[str, np.ndarray]] = []
        self._rest: dict[str, np.ndarray] = {}
        self.pending_rows = 0
        self.rows = 0
        self.closed = False

    def _create(self, name: str, kind: str) -> zarr.Array:
        attrs: dict[str, Any] = {"kind": kind, **VAR_ATTRS.get(name, {})}
        chunks = self.inner
        if name in CATEGORICAL:
            dtype, fill = np.int16, 0
            attrs.update(encoding="categorical", categories=[])
        elif kind in (STR, LIST):
            dtype, fill, chunks = str, "", self.text_inner
        elif kind == TIME:
            dtype, fill = np.int64, 0
            attrs.update(timezone="UTC", units="nanoseconds since 1970-01-01", calendar="proleptic_gregorian")
        elif kind == INT:
            dtype, fill = np.int64, 0
            attrs["_FillValue"] = -1
        else:
            dtype, fill = np.float64, np.nan
            attrs["_FillValue"] = _NAN_FILL
        compressors = store.compressors(kind, name in CATEGORICAL)
        if dtype is str:
            compressors = [ZstdCodec(level=TEXT_LEVEL)]
        return self.group.create_array(
            name, shape=(0,), dtype=dtype, chunks=(chunks,), shards=(self.shard,), fill_value=fill,
            compressors=compressors, dimension_names=[DIM], attributes=attrs)

    def link(self, root: str) -> int:
        """Start from the whole shards of the local store at ``root`` (a catalog this writer's layout
        wrote): each shard file is hard-linked, not copied, and its categories taken over in order, so
        the codes in it stay valid. Returns the rows taken (a multiple of the shard size; the caller
        appends the rest). Takes nothing (0) from another layout or a remote store. Stores are replaced
        whole, never written in place, so sharing shard files between generations is safe."""
        import os

        if not self.local or self.rows or self.pending_rows:
            return 0
        old = zarr.open_group(root, mode="r")
        rows = None
        for name, array in self.arrays.items():
            theirs = old[name]
            if not isinstance(theirs, zarr.Array) or theirs.shards != array.shards or \
                    theirs.chunks != array.chunks or theirs.dtype != array.dtype or \
                    (theirs.attrs.get("encoding") == "categorical") != (name in CATEGORICAL):
                return 0
            rows = int(theirs.shape[0])
        whole = (rows or 0) // self.shard
        if not whole:
            return 0
        for name, array in self.arrays.items():
            for k in range(whole):
                source = os.path.join(root, name, "c", str(k))
                if not os.path.exists(source):  # a shard zarr did not write (all fill values)
                    return self._unlink(whole)
                os.link(source, os.path.join(self.tmp, name, "c", str(k)))
            array.resize((whole * self.shard,))
            if name in CATEGORICAL:
                self.categories[name] = {c: i for i, c in enumerate(old[name].attrs["categories"])}
        self.rows = whole * self.shard
        return self.rows

    def _unlink(self, whole: int) -> int:
        import os

        for name in self.arrays:
            for k in range(whole):
                path = os.path.join(self.tmp, name, "c", str(k))
                if os.path.exists(path):
                    os.remove(path)
            self.arrays[name].resize((0,))
        self.categories = {name: {} for name in CATEGORICAL}
        return 0

    # --- appending -----------------------------------------------------------------------------------
    def append(self, columns: Mapping[str, Any]) -> None:
        """Add rows: one array (or :class:`Codes`) per record field, all of the same length."""
        if self.closed:
            raise CatalogError("this catalog writer is closed", path=self.path)
        missing = [name for name in FIELDS if name not in columns]
        if missing:
            raise CatalogError(f"append needs every record field; missing {missing}", path=self.path)
        encoded = {name: self._encode(name, kind, columns[name]) for name, kind in FIELDS.items()}
        sizes = {len(values) for values in encoded.values()}
        if len(sizes) != 1:
            raise CatalogError(f"columns of one batch differ in length: {sorted(sizes)}", path=self.path)
        self.pending.append(encoded)
        self.pending_rows += sizes.pop()
        while self.pending_rows >= self.shard:
            self._flush(self.shard)

    def _encode(self, name: str, kind: str, values: Any) -> np.ndarray:
        """A column as stored: codes, text objects, int64 ns, int64 sizes (-1 missing), floats."""
        if name in CATEGORICAL:
            return self._codes(name, values)
        if kind in (STR, LIST):
            # Python str objects stay as they are (what vlen-utf8 encodes fastest); other text is held
            # as numpy StringDType until written
            values = np.asarray(values)
            if values.dtype.kind == "T":
                return values
            if values.dtype != object:
                return values.astype(_TEXT)
            if np.equal(values, None).any():
                values = text_array(values.tolist())
            return values
        if kind == TIME:
            stamps = np.asarray(values)
            if stamps.dtype.kind != "M":
                raise CatalogError(f"{name} must be datetime64 values (naive UTC)", path=self.path)
            return stamps.astype("datetime64[ns]").view(np.int64)
        numbers = np.asarray(values, dtype=np.float64)
        if kind == FLOAT:
            return numbers
        if np.nanmax(np.abs(numbers), initial=0) >= MAX_EXACT_INT:
            raise CatalogError(f"{name} of 2**53 or more cannot be stored exactly", path=self.path)
        return np.where(np.isnan(numbers), -1, numbers).astype(np.int64)

    def _codes(self, name: str, values: Any) -> np.ndarray:
        if not isinstance(values, Codes):
            codes, uniques = pd.factorize(text_array(np.asarray(values, dtype=object).tolist()))
            values = Codes(codes, np.asarray(uniques, dtype=object))
        table = self.categories[name]
        lut = np.empty(len(values.categories) + 1, dtype=np.int64)
        for i, category in enumerate(values.categories.tolist()):
            lut[i] = -1 if category == "" else table.setdefault(category, len(table))
        lut[-1] = -1
        if len(table) > MAX_STREAMED_CATEGORIES:
            raise CatalogError(f"{name} has more than {MAX_STREAMED_CATEGORIES} distinct values; "
                               f"build that catalog in memory (Catalog.save stores it as text)",
                               path=self.path)
        return lut[values.codes].astype(np.int16)

    def _flush(self, rows: int) -> None:
        """Write the first ``rows`` pending rows (a whole shard, or the remainder on close), a column
        at a time so that only one column is ever copied."""
        begin, end = self.rows, self.rows + rows
        for name, array in self.arrays.items():
            parts = [batch.pop(name) for batch in self.pending]
            values = parts[0] if len(parts) == 1 else np.concatenate(parts)
            del parts
            array.resize((end,))
            self.fs.pipe_file(f"{self.tmp}/{name}/c/{begin // self.shard}", self._shard(array, values[:rows]))
            self._rest[name] = values[rows:].copy()
            del values
        self.rows = end
        self.pending_rows -= rows
        self.pending = [self._rest] if self.pending_rows else []
        self._rest = {}

    def _shard(self, array: zarr.Array, values: np.ndarray) -> bytes:
        """One shard file of ``array`` holding ``values`` (its first rows), encoded here as zarr's sharding
        codec lays it out — each inner chunk through the array's codecs (``vlen-utf8`` + ``zstd``, or
        ``bytes`` + ``blosc``), an edge chunk padded with the fill value, then the index of (offset,
        length) pairs, little-endian, and its crc32c — without zarr's per-chunk machinery (a quarter of
        the time for text columns)."""
        inner = array.chunks[0]
        per_shard = self.shard // inner
        fill = array.metadata.fill_value
        compressor = array.metadata.codecs[0].codecs[1]
        if isinstance(compressor, ZstdCodec):
            codec: Any = Zstd(level=compressor.level, checksum=compressor.checksum)
            text = True
        else:
            assert isinstance(compressor, BloscCodec)
            codec = Blosc(cname=compressor.cname.name, clevel=compressor.clevel,
                          shuffle={"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}[compressor.shuffle.name],
                          blocksize=compressor.blocksize, typesize=values.dtype.itemsize)
            text = False
        index = np.full((per_shard, 2), _EMPTY_CHUNK, dtype="<u8")
        pieces, offset = [], 0
        for k, start in enumerate(range(0, len(values), inner)):
            chunk = values[start:start + inner]
            if len(chunk) < inner:
                chunk = np.concatenate([chunk, np.full(inner - len(chunk), fill, dtype=chunk.dtype)])
            if text:
                data = codec.encode(_VLEN.encode(chunk))
            else:
                data = codec.encode(np.ascontiguousarray(chunk, dtype=chunk.dtype.newbyteorder("<")))
            pieces.append(data)
            index[k] = (offset, len(data))
            offset += len(data)
        index_bytes = index.tobytes()
        crc = np.uint32(google_crc32c.value(index_bytes)).astype("<u4").tobytes()
        return b"".join(pieces) + index_bytes + crc

    # --- finishing -----------------------------------------------------------------------------------
    def close(self) -> str:
        """Write what is pending, the category tables and the marker; swap the store in.

        Returns the generation token of the new store.
        """
        if self.closed:
            raise CatalogError("this catalog writer is closed", path=self.path)
        try:
            if self.pending_rows:
                self._flush(self.pending_rows)
            for name in CATEGORICAL:
                array = self.arrays[name]
                array.update_attributes({"categories": list(self.categories[name])})
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Consolidated metadata")
                zarr.consolidate_metadata(self.group.store)
            self.closed = True
            if self.local:
                return store.publish_local(self.tmp, self.root, self.token, self.rows)
            return store.publish_remote(self.fs, self.tmp, self.root, self.token, self.rows)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Delete the temporary store; a previous catalog at ``path`` is left as it was."""
        self.closed = True
        if self.local:
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.fs.exists(self.tmp):
            self.fs.rm(self.tmp, recursive=True)

    def __enter__(self) -> "CatalogWriter":
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        if self.closed:
            return
        if kind is None:
            self.close()
        else:
            self.abort()


def write_catalog(path: str, batches: Iterable[Mapping[str, Any]], storage_options: dict | None = None,
                  attrs: Mapping[str, Any] | None = None) -> int:
    """Write a catalog store from an iterable of column batches (see :class:`CatalogWriter`).

    Returns the number of products written.
    """
    with CatalogWriter(path, storage_options, attrs) as writer:
        for batch in batches:
            writer.append(batch)
    return writer.rows
