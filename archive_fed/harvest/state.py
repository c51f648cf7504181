"""Incremental and resumable harvest state, kept beside the catalog.

Layout for a catalog at ``catalogs/lunar.zarr``::

    catalogs/lunar.zarr.harvest/<source-key>/seen.parquet      what earlier runs harvested (per label:
                                                               key, uid, etag, last_modified, size, digest)
    catalogs/lunar.zarr.harvest/<source-key>/journal/*.parquet batches of the current (or crashed) run
    catalogs/lunar.zarr.harvest/lock                           one harvest per catalog at a time

Commit protocol (every step atomic by write-to-temporary + rename):
1. each batch of results → one journal part (records + their seen rows);
2. at the end: catalog ← catalog ∪ journal records (upsert by uid, :meth:`Catalog.save` is atomic);
3. seen.parquet ← seen ∪ journal seen rows; 4. journal parts deleted.
A crash anywhere leaves journal parts that the next run reads back first: their products are not fetched
again, and step 2 is idempotent (dedupe by uid), so nothing is lost or duplicated.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_write
from ..errors import CatalogError
from ..record import FIELDS, LIST, TIME, ProductRecord

SEEN_COLUMNS = ("key", "uid", "etag", "last_modified", "size", "digest")


@dataclass
class Seen:
    key: str
    uid: str
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    digest: str | None = None


def source_key(name: str, url: str) -> str:
    """A folder name for one source at one URL: readable and unique."""
    slug = re.sub(r"[^0-9A-Za-z]+", "-", url.split("://", 1)[-1]).strip("-")[-40:]
    return f"{name}-{slug}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"


def _atomic_parquet(table: pa.Table, path: str) -> None:
    # a full disk, a read-only folder: a typed error, and no partial file left
    with atomic_write(path, what="harvest state") as temporary:
        pq.write_table(table, temporary, compression="zstd")


def _seen_table(rows: Iterable[Seen]) -> pa.Table:
    rows = list(rows)
    return pa.table({
        "key": pa.array([r.key for r in rows], pa.string()),
        "uid": pa.array([r.uid for r in rows], pa.string()),
        "etag": pa.array([r.etag for r in rows], pa.string()),
        "last_modified": pa.array([r.last_modified for r in rows], pa.string()),
        "size": pa.array([r.size for r in rows], pa.int64()),
        "digest": pa.array([r.digest for r in rows], pa.string()),
    })


def _seen_rows(table: pa.Table) -> dict[str, Seen]:
    data = table.select(list(SEEN_COLUMNS)).to_pydict()
    return {key: Seen(key, *values) for key, *values in zip(*(data[c] for c in SEEN_COLUMNS))}


def _records_table(records: list[ProductRecord]) -> pa.Table:
    columns: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        values = [getattr(r, name) for r in records]
        if kind == LIST:
            columns[name] = pa.array([json.dumps(v) for v in values], pa.string())
        elif kind == TIME:
            columns[name] = pa.array(values, pa.timestamp("us", tz="UTC"))
        else:
            columns[name] = pa.array(values)
    return pa.table(columns) if records else pa.table({})


def _records_from(table: pa.Table) -> list[ProductRecord]:
    data = table.to_pydict()
    if not data:
        return []
    out = []
    for i in range(table.num_rows):
        fields = {}
        for name, kind in FIELDS.items():
            value = data[f"r_{name}"][i]
            fields[name] = json.loads(value) if kind == LIST else value
        out.append(ProductRecord(**fields))
    return out


class HarvestState:
    """The state folder of one source in one catalog."""

    def __init__(self, catalog: str, name: str, url: str) -> None:
        if "://" in catalog and not catalog.startswith("file://"):
            raise CatalogError("incremental harvest state needs a local catalog path (got a URL); "
                               "harvest locally, then copy the catalog", path=catalog)
        self.catalog = catalog[len("file://"):] if catalog.startswith("file://") else catalog
        self.root = os.path.join(f"{self.catalog}.harvest", source_key(name, url))
        self.journal = os.path.join(self.root, "journal")
        os.makedirs(self.journal, exist_ok=True)
        self._part = len(self.journal_parts())

    # ---- seen ----------------------------------------------------------------------------------
    @property
    def seen_path(self) -> str:
        return os.path.join(self.root, "seen.parquet")

    def load_seen(self) -> dict[str, Seen]:
        if not os.path.exists(self.seen_path):
            return {}
        try:
            return _seen_rows(pq.read_table(self.seen_path))
        except (OSError, pa.ArrowException) as exc:
            raise CatalogError(f"harvest state is unreadable: {exc}", path=self.seen_path) from None

    def save_seen(self, seen: dict[str, Seen]) -> None:
        _atomic_parquet(_seen_table(seen.values()), self.seen_path)

    # ---- resume cursor ------------------------------------------------------------------------
    @property
    def cursor_path(self) -> str:
        return os.path.join(self.root, "cursor.json")

    def save_cursor(self, cursor: dict[str, Any]) -> None:
        """The paging cursor a resumed run may start from (written after each journal part)."""
        if not cursor:
            return
        temporary = f"{self.cursor_path}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            with open(temporary, "w", encoding="utf-8") as stream:
                json.dump(cursor, stream, sort_keys=True)
            os.replace(temporary, self.cursor_path)
        except (OSError, TypeError, ValueError) as exc:
            try:
                os.remove(temporary)
            except OSError:
                pass
            raise CatalogError(f"cannot write harvest state: {exc}", path=self.cursor_path) from exc

    def load_cursor(self) -> dict[str, Any] | None:
        try:
            with open(self.cursor_path, encoding="utf-8") as stream:
                cursor = json.load(stream)
        except (OSError, ValueError):
            return None
        return cursor if isinstance(cursor, dict) else None

    def clear_cursor(self) -> None:
        try:
            os.remove(self.cursor_path)
        except OSError:
            pass

    # ---- journal --------------------------------------------------------------------------------
    def journal_parts(self) -> list[str]:
        return sorted(os.path.join(self.journal, n) for n in os.listdir(self.journal)
                      if n.startswith("part-") and n.endswith(".parquet"))

    def append(self, records: list[ProductRecord], seen: list[Seen]) -> None:
        """Commit one batch: records and their seen rows, in one atomic file."""
        if not seen:
            return
        self._part += 1
        seen_table = _seen_table(seen)
        records_by_key = {s.key: r for s, r in zip(seen, records)}
        record_rows = [records_by_key[s.key] for s in seen]
        records_table = _records_table(record_rows)
        table = seen_table
        for name in records_table.column_names:
            table = table.append_column(f"r_{name}", records_table.column(name))
        # unique across processes and machines writing the same journal (dask workers)
        name = f"part-{self._part:08d}-{os.getpid()}-{secrets.token_hex(4)}.parquet"
        _atomic_parquet(table, os.path.join(self.journal, name))

    def read_journal(self, exclude: set[str] | frozenset[str] = frozenset()
                     ) -> tuple[list[ProductRecord], dict[str, Seen]]:
        """Records and seen rows of every journal part, but those in ``exclude`` (already read)."""
        records: list[ProductRecord] = []
        seen: dict[str, Seen] = {}
        for path in self.journal_parts():
            if path in exclude:
                continue
            try:
                table = pq.read_table(path)
            except (OSError, pa.ArrowException):
                continue  # a part is written to a temporary name first: a complete name is complete
            records.extend(_records_from(table.select([c for c in table.column_names if c.startswith("r_")])))
            seen.update(_seen_rows(table))
        return records, seen

    def clear_journal(self) -> None:
        """Delete the committed parts, and the temporary files of writers killed mid-write (at commit
        time, under the harvest lock, every batch is in: a temporary left now belongs to no one)."""
        for path in self.journal_parts():
            os.remove(path)
        for folder in (self.journal, self.root):
            for name in os.listdir(folder):
                if ".parquet.tmp-" in name:
                    try:
                        os.remove(os.path.join(folder, name))
                    except OSError:
                        pass
        self._part = 0
