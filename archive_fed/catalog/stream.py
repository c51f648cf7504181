"""Search and summarise a catalog store block by block: memory bounded by the block, not the catalog.

A catalog opened with ``Catalog.open(path, chunks=...)`` answers :meth:`~archive_fed.catalog.Catalog.search`
here. The store is cut into blocks of consecutive products; for each block only the columns the query
needs are read (:class:`~archive_fed.catalog.reader.StoreReader`), and the same vectorised
:class:`~archive_fed.catalog.search.SearchIndex` as in memory runs on them:

* text filters compare the block's stored integer codes with the codes the query's names resolve to;
  the store has one category table per field, so names are resolved once per query, not per block;
* time and footprint filters run on the block's arrays, or — once the filters before them keep few rows —
  on those rows only, read from the compressed chunks that hold them;
* blocks run on a few threads (decompression and numpy release the GIL), at most ``workers`` blocks in
  memory at once. Only the row numbers of hits are kept; the caller then reads the hits' fields.
"""
from __future__ import annotations

import os
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterable, TypeVar

import numpy as np
import pandas as pd

from ..record import format_time
from .encoding import NAT, Codes
from .reader import StoreReader
from .search import QueryBox, SearchIndex, as_names, time_bounds

#: Products per block when ``chunks="auto"``: four shards (see :mod:`~archive_fed.catalog.store`).
AUTO_BLOCK = 1_048_576
#: Threads streaming blocks (each holds one block).
WORKERS = max(1, min(4, os.cpu_count() or 1))
T = TypeVar("T")


def block_rows(chunks: Any, shard_rows: int, size: int) -> int:
    """Products per streamed block for a ``chunks`` argument of :meth:`Catalog.open`.

    An int is a number of products (``-1``: the whole catalog at once); ``"auto"`` is
    :data:`AUTO_BLOCK`; ``{}`` is one stored shard; ``{"product": n}`` is ``n``.
    """
    if isinstance(chunks, dict):
        if not chunks:
            return max(1, shard_rows)
        chunks = chunks.get("product", "auto")
    if chunks is None or chunks == "auto":
        return AUTO_BLOCK
    if isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        if chunks == -1:
            return max(1, size)
        if chunks > 0:
            return int(chunks)
    from ..errors import CatalogError
    raise CatalogError(f"chunks must be a positive number of products, -1, 'auto' or "
                       f"{{'product': n}}, not {chunks!r}")


class Block:
    """Rows ``[begin, end)`` of a store, each column read once when first needed."""

    def __init__(self, reader: StoreReader, begin: int, end: int) -> None:
        self.reader, self.begin, self.end = reader, begin, end
        self._values: dict[str, np.ndarray] = {}
        self._codes: dict[str, Codes] = {}

    def column(self, name: str) -> np.ndarray:
        if name not in self._values:
            self._values[name] = self.reader.values(name, slice(self.begin, self.end))
        return self._values[name]

    def codes(self, name: str) -> Codes:
        if name not in self._codes:
            self._codes[name] = self.reader.codes(name, slice(self.begin, self.end))
        return self._codes[name]

    def rows_of(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Some rows of a column, read from the compressed chunks holding them (measured: never slower
        than reading the block's whole column, and the decoding and filtering that follow are smaller)."""
        if name in self._values:
            return self._values[name][rows]
        return self.reader.values(name, rows + self.begin)

    def index(self, keys: dict) -> SearchIndex:
        return SearchIndex(self.end - self.begin, self.codes, self.column, rows_of=self.rows_of, keys=keys)


def bounded_map(function: Callable[..., T], items: Iterable[tuple], workers: int) -> list[T]:
    """``[function(*item) for item in items]`` on ``workers`` threads, at most ``workers`` running and
    ``workers`` more queued (items are consumed lazily)."""
    if workers <= 1:
        return [function(*item) for item in items]
    results: list[T] = []
    with ThreadPoolExecutor(workers, thread_name_prefix="archive_fed-stream") as pool:
        pending: deque[Future] = deque()
        for item in items:
            pending.append(pool.submit(function, *item))
            if len(pending) >= 2 * workers:
                results.append(pending.popleft().result())
        while pending:
            results.append(pending.popleft().result())
    return results


def select(reader: StoreReader, rows_per_block: int, filters: dict[str, Any],
           workers: int = WORKERS) -> np.ndarray:
    """Sorted row numbers of the store's products matching ``filters`` (``Catalog.search`` keywords)."""
    # check every argument before reading anything, even for an empty store
    time_bounds(filters.get("start"), filters.get("stop"))
    if filters.get("bbox") is not None:
        QueryBox.parse(filters["bbox"])
    for name in ("mission", "instrument", "target", "level", "agency", "archive", "product_id"):
        as_names(filters.get(name), name)
    keys: dict = {}  # category keys and resolved codes, shared by the blocks

    def one(begin: int, end: int) -> np.ndarray:
        return Block(reader, begin, end).index(keys).select(**filters) + begin

    found = bounded_map(one, reader.blocks(rows_per_block), workers)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


class Summary:
    """Counts and extents of a catalog accumulated block by block (what ``Catalog.summary`` shows)."""

    COUNTED = ("mission", "instrument")
    EXTENT = (("lon_min", np.fmin), ("lat_min", np.fmin), ("lon_max", np.fmax), ("lat_max", np.fmax))

    def __init__(self) -> None:
        self.products = 0
        self.counts: dict[str, Counter] = {name: Counter() for name in self.COUNTED}
        self.order: dict[str, dict[str, int]] = {name: {} for name in self.COUNTED}  # first seen
        self.time: list[int] | None = None
        self.extent = [np.nan] * 4

    def add(self, index: SearchIndex, column: Callable[[str], np.ndarray],
            codes: Callable[[str], Codes]) -> "Summary":
        self.products += index.size
        for name in self.COUNTED:
            column_codes = codes(name)
            counts = np.bincount(column_codes.codes[column_codes.codes >= 0],
                                 minlength=len(column_codes.categories))
            for category, count in zip(column_codes.categories.tolist(), counts.tolist(), strict=True):
                self.order[name].setdefault(category, len(self.order[name]))
                self.counts[name][category] += count
        lo, hi = index.times()
        valid = hi != NAT
        if valid.any():
            first, last = int(lo[valid].min()), int(hi[valid].max())
            self.time = [first, last] if self.time is None else [min(self.time[0], first),
                                                                 max(self.time[1], last)]
        for i, (name, reduce) in enumerate(self.EXTENT):
            values = np.asarray(column(name), dtype=np.float64)
            if values.size and not np.isnan(values).all():
                self.extent[i] = float(reduce(self.extent[i], reduce.reduce(values[~np.isnan(values)])))
        return self

    def merge(self, other: "Summary") -> None:
        """Add the counts of the blocks that follow."""
        self.products += other.products
        for name in self.COUNTED:
            for category in sorted(other.order[name], key=other.order[name].__getitem__):
                self.order[name].setdefault(category, len(self.order[name]))
            self.counts[name].update(other.counts[name])
        if other.time is not None:
            self.time = other.time if self.time is None else [min(self.time[0], other.time[0]),
                                                              max(self.time[1], other.time[1])]
        self.extent = [float(reduce(a, b)) for (_, reduce), a, b
                       in zip(self.EXTENT, self.extent, other.extent, strict=True)]

    def result(self, top: int) -> dict[str, Any]:
        out: dict[str, Any] = {"products": self.products}
        for name in self.COUNTED:
            # most products first; ties in the order the categories were first seen (as in memory)
            ranked = sorted((c for c in self.counts[name].items() if c[1]),
                            key=lambda item: (-item[1], self.order[name][item[0]]))
            out[name] = [(str(k), int(v)) for k, v in ranked[:top]]
            out[f"{name}_kinds"] = len(ranked)
        out["time"] = None if self.time is None else tuple(
            format_time(pd.Timestamp(v).to_pydatetime()) for v in self.time)
        out["extent"] = None if any(np.isnan(v) for v in self.extent) else tuple(self.extent)
        return out


def summary(reader: StoreReader, rows_per_block: int, top: int, workers: int = WORKERS) -> dict[str, Any]:
    """``Catalog.summary`` of a whole store, streamed."""
    def one(begin: int, end: int) -> Summary:
        block = Block(reader, begin, end)
        return Summary().add(block.index({}), block.column, block.codes)

    total = Summary()
    for part in bounded_map(one, reader.blocks(rows_per_block), workers):
        total.merge(part)
    return total.result(top)
