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

A journal part is the records' one Arrow table (:func:`archive_fed.record.records_to_arrow`, read back
with :func:`~archive_fed.record.records_from_arrow`) plus the seen rows as ``seen_<column>`` columns,
marked ``archive_fed_journal: 2`` in its schema metadata. Parts of the first layout (record columns
prefixed ``r_``, lists as JSON text), left by an interrupted run of an older archive_fed, are still read.
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

from ..atomic import atomic_write, atomic_write_text
from ..errors import CatalogError
from ..record import FIELDS, LIST, ProductRecord, records_from_arrow, records_to_arrow

SEEN_COLUMNS = ("key", "uid", "etag", "last_modified", "size", "digest")
#: Journal part layout: schema metadata key and the version written.
JOURNAL_KEY, JOURNAL_VERSION = b"archive_fed_journal", b"2"
_SEEN_PREFIX = "seen_"


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


def _seen_rows(table: pa.Table, prefix: str = "") -> dict[str, Seen]:
    data = table.select([prefix + c for c in SEEN_COLUMNS]).to_pydict()
    return {key: Seen(key, *values) for key, *values in zip(*(data[prefix + c] for c in SEEN_COLUMNS))}


def journal_table(records: list[ProductRecord], seen: list[Seen]) -> pa.Table:
    """One journal part: the records' Arrow table + their seen rows (``seen_<column>``), row by row."""
    table = records_to_arrow(records)
    seen_table = _seen_table(seen)
    for name in SEEN_COLUMNS:
        table = table.append_column(_SEEN_PREFIX + name, seen_table.column(name))
    return table.replace_schema_metadata({JOURNAL_KEY: JOURNAL_VERSION})


def read_journal_table(table: pa.Table, where: str) -> tuple[list[ProductRecord], dict[str, Seen]]:
    """Records and seen rows of one journal part (this layout, or the first one: ``r_`` columns)."""
    if f"r_{next(iter(FIELDS))}" in table.column_names:
        return _records_v1(table, where), _seen_rows(table)
    version = (table.schema.metadata or {}).get(JOURNAL_KEY)
    if version != JOURNAL_VERSION:
        raise CatalogError(f"harvest journal part of an unknown layout ({version!r}); remove the "
                           "journal folder to start the run afresh", path=where)
    return records_from_arrow(table, where), _seen_rows(table, _SEEN_PREFIX)


def _records_v1(table: pa.Table, where: str) -> list[ProductRecord]:
    """Records of a first-layout journal part (``r_<field>`` columns, lists as JSON text)."""
    columns = {}
    for name, kind in FIELDS.items():
        column = table.column(f"r_{name}")
        if kind == LIST:
            column = pa.array([json.loads(v) if v else [] for v in column.to_pylist()], pa.list_(pa.string()))
        columns[name] = column
    return records_from_arrow(pa.table(columns), where)


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
        try:
            text = json.dumps(cursor, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise CatalogError(f"cannot write harvest state: {exc}", path=self.cursor_path) from exc
        atomic_write_text(self.cursor_path, text, what="harvest state")

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
        # unique across processes and machines writing the same journal (dask workers)
        name = f"part-{self._part:08d}-{os.getpid()}-{secrets.token_hex(4)}.parquet"
        by_key = {s.key: r for s, r in zip(seen, records)}
        table = journal_table([by_key[s.key] for s in seen], seen)
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
            part_records, part_seen = read_journal_table(table, path)
            records.extend(part_records)
            seen.update(part_seen)
        return records, seen

    def clear_journal(self) -> None:
        """Delete the committed parts, and the temporary files of writers killed mid-write (at commit
        time, under the harvest lock, every batch is in: a temporary left now belongs to no one)."""
        for path in self.journal_parts():
            os.remove(path)
        for folder in (self.journal, self.root):
            for name in os.listdir(folder):
                if ".parquet.tmp-" in name or ".json.tmp-" in name:
                    try:
                        os.remove(os.path.join(folder, name))
                    except OSError:
                        pass
        self._part = 0
