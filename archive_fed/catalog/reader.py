"""Column reads from a catalog store by row range or row numbers, straight from Zarr (no xarray, no dask).

A :class:`StoreReader` serves lazily opened catalogs (gathering the rows of a search result) and
chunk-streamed ones (one block of rows at a time). A read touches only the stored chunks that hold the
rows asked for, fetches their bytes in one bulk request per column, and decodes each chunk once.

Text columns in the layout :mod:`~archive_fed.catalog.store` writes (one shard file per
``CHUNK_ROWS`` products, inner chunks ``vlen-utf8`` + ``zstd``, shard index at the end) are decoded here
from the shard bytes: zarr's own path turns every chunk into a numpy ``StringDType`` array and copies it
into the result, which for the catalog's many short strings costs twice the decompression itself — and
the catalog then needs Python ``str`` objects anyway. The bytes are the same and so are the codecs
(numcodecs ``Zstd`` and ``VLenUTF8``, which zarr uses too); any other layout is read through zarr.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import xarray as xr
import zarr
from numcodecs import VLenUTF8, Zstd
from zarr.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ShardingCodecIndexLocation, VLenUTF8Codec, \
    ZstdCodec

from ..errors import CatalogError
from ..record import FIELDS, LIST, STR, TIME
from .encoding import DIM, Codes, factorize, text_values

Rows = slice | np.ndarray
_EMPTY = 2 ** 64 - 1  # shard index entry of a chunk never written (all fill values)
_VLEN = VLenUTF8()
_ZSTD = Zstd()


@dataclass
class Column:
    """One stored field: its zarr array and how to decode it."""

    name: str
    kind: str
    array: zarr.Array
    attrs: dict[str, Any]
    categories: np.ndarray | None  # categorical codes: the value of each code
    inner: int  # rows per compressed chunk: the unit of partial reads
    shard: int  # rows per stored object (shard or chunk)
    text_shards: bool  # text in the layout decoded here from shard bytes


def _text_shards(array: zarr.Array) -> bool:
    """Whether a text array is sharded as :mod:`store` writes it (vlen-utf8 + zstd, index at the end)."""
    codecs = array.metadata.codecs
    if array.metadata.zarr_format != 3 or len(codecs) != 1 or not isinstance(codecs[0], ShardingCodec):
        return False
    sharding = codecs[0]
    inner = sharding.codecs
    index = sharding.index_codecs
    return (len(inner) == 2 and isinstance(inner[0], VLenUTF8Codec) and isinstance(inner[1], ZstdCodec)
            and len(index) == 2 and isinstance(index[0], BytesCodec) and isinstance(index[1], Crc32cCodec)
            and (index[0].endian is None or index[0].endian.value == "little")
            and sharding.index_location == ShardingCodecIndexLocation.end)


class StoreReader:
    """The columns of one catalog store generation.

    Parameters
    ----------
    fs, root
        The fsspec filesystem and the path within it of the store directory to read.
    url, storage_options
        How zarr opens that same store.
    workers
        Threads decoding text chunks (zstd runs without the GIL).
    """

    def __init__(self, fs: Any, root: str, url: str, storage_options: dict | None = None,
                 workers: int = 2) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        try:
            group = zarr.open_group(url, mode="r", storage_options=storage_options)
            self.attrs = dict(group.attrs)
            self.columns = {name: self._column(group, name, kind) for name, kind in FIELDS.items()}
        except KeyError as exc:
            raise CatalogError(f"not an archive_fed catalog: no variable {exc}", path=url) from None
        except CatalogError:
            raise
        except Exception as exc:  # zarr raises many types for unreadable stores
            raise CatalogError(f"cannot open catalog: {type(exc).__name__}: {exc}", path=url) from exc
        self.size = int(self.columns["uid"].array.shape[0])
        self.workers = workers

    @staticmethod
    def _column(group: zarr.Group, name: str, kind: str) -> Column:
        array = group[name]
        if not isinstance(array, zarr.Array) or array.ndim != 1:
            raise CatalogError(f"catalog variable {name!r} is not a 1-D array")
        attrs = dict(array.attrs)
        categories = None
        if attrs.get("encoding") == "categorical":
            categories = np.empty(len(attrs["categories"]), dtype=object)
            categories[:] = attrs["categories"]
        shard = (array.shards or array.chunks)[0]
        text = kind in (STR, LIST) and categories is None and _text_shards(array)
        return Column(name, kind, array, attrs, categories, array.chunks[0], shard, text)

    def __len__(self) -> int:
        return self.size

    # --- reads ---------------------------------------------------------------------------------------
    def raw(self, name: str, rows: Rows) -> np.ndarray:
        """Stored values of ``rows`` (codes for categorical fields, CF-encoded numbers, text objects)."""
        column = self.columns[name]
        if column.text_shards:
            return self._text(column, rows)
        array = column.array
        values = array[rows] if isinstance(rows, slice) else array.oindex[rows]
        values = np.asarray(values)
        if column.kind in (STR, LIST) and column.categories is None:
            return text_values(values)
        return values

    def codes(self, name: str, rows: Rows) -> Codes:
        """A categorical field's codes for ``rows`` (a field stored as text is factorized)."""
        column = self.columns[name]
        if column.categories is None:
            return factorize(self.values(name, rows))
        return Codes(self.raw(name, rows), column.categories)

    def values(self, name: str, rows: Rows) -> np.ndarray:
        """``rows`` of a field in the catalog's in-memory encoding (see :mod:`encoding`)."""
        column = self.columns[name]
        raw = self.raw(name, rows)
        if column.categories is not None:
            return Codes(raw, column.categories).decode()
        if column.kind in (STR, LIST):
            return raw
        variable = xr.Variable((DIM,), raw, attrs={k: v for k, v in column.attrs.items() if k != "kind"})
        decoded = np.asarray(xr.conventions.decode_cf_variable(name, variable).values)
        if column.kind == TIME:
            return decoded.astype("datetime64[ns]")
        return decoded.astype(np.float64)

    def block(self, begin: int, end: int, names: Any = None) -> dict[str, np.ndarray]:
        """Rows ``[begin, end)`` of the given fields (all by default), in-memory encoding."""
        return {name: self.values(name, slice(begin, end)) for name in (names or FIELDS)}

    def take(self, rows: np.ndarray, names: Any = None) -> dict[str, np.ndarray]:
        """The given rows (sorted, unique row numbers) of the given fields (all by default)."""
        rows = np.asarray(rows, dtype=np.int64)
        return {name: self.values(name, rows) for name in (names or FIELDS)}

    # --- text straight from shard bytes --------------------------------------------------------------
    def _text(self, column: Column, rows: Rows) -> np.ndarray:
        if isinstance(rows, slice):
            begin, end, _ = rows.indices(self.size)
            positions = np.arange(begin, max(begin, end), dtype=np.int64)
        else:
            positions = np.asarray(rows, dtype=np.int64)
        out = np.empty(positions.size, dtype=object)
        if not positions.size:
            return out
        chunk_of = positions // column.inner
        chunks, starts = np.unique(chunk_of, return_index=True)
        bounds = np.append(starts, positions.size)
        decoded = self._text_chunks(column, chunks.tolist())
        for i, values in enumerate(decoded):
            local = positions[bounds[i]:bounds[i + 1]] - chunks[i] * column.inner
            out[bounds[i]:bounds[i + 1]] = values[local] if values is not None else ""
        return out

    def _text_chunks(self, column: Column, chunks: list[int]) -> list[np.ndarray | None]:
        """Decoded inner chunks (None: never written, all empty), bytes fetched in two bulk requests."""
        per_shard = column.shard // column.inner
        shards = sorted({c // per_shard for c in chunks})
        encode = column.array.metadata.chunk_key_encoding.encode_chunk_key
        paths = {s: f"{self.root}/{column.name}/{encode((s,))}" for s in shards}
        index_bytes = per_shard * 16 + 4  # (offset, length) uint64 pairs, then a crc32c
        found = self.fs.cat_ranges([paths[s] for s in shards], [-index_bytes] * len(shards),
                                   [None] * len(shards), on_error="return")
        indexes: dict[int, np.ndarray | None] = {}
        for s, data in zip(shards, found):
            if isinstance(data, FileNotFoundError):
                indexes[s] = None  # a shard never written: all empty
            elif isinstance(data, BaseException):
                raise CatalogError(f"cannot read {paths[s]}: {data}") from data
            else:
                indexes[s] = np.frombuffer(data[:-4], dtype="<u8").reshape(per_shard, 2)
        wanted, spans = [], []
        for c in chunks:
            index = indexes[c // per_shard]
            offset, length = (_EMPTY, _EMPTY) if index is None else index[c % per_shard]
            if offset != _EMPTY:
                wanted.append(c)
                spans.append((paths[c // per_shard], int(offset), int(offset + length)))
        data = self.fs.cat_ranges([p for p, _, _ in spans], [a for _, a, _ in spans],
                                  [b for _, _, b in spans]) if spans else []
        with ThreadPoolExecutor(self.workers) as pool:
            values = dict(zip(wanted, pool.map(_decode_text, data)))
        return [values.get(c) for c in chunks]

    def blocks(self, rows: int) -> Iterator[tuple[int, int]]:
        """``(begin, end)`` of consecutive blocks of ``rows`` products covering the store."""
        for begin in range(0, self.size, max(1, rows)):
            yield begin, min(self.size, begin + rows)


def _decode_text(data: bytes) -> np.ndarray:
    values = _VLEN.decode(_ZSTD.decode(data))
    return values if values.dtype == object else values.astype(object)
