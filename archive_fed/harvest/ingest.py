"""Archive-scale ingest: a PDS3 volume catalogued from its index table, with no request per product.

>>> import archive_fed as af                                                          # doctest: +SKIP
>>> report = af.harvest("pds3-volume", url="https://host/VOLUME/", catalog="lunar.zarr", from_index=True)
>>> report.found, report.new, report.failed                                           # doctest: +SKIP
(2000, 2000, 0)

The index (``INDEX/CUMINDEX.TAB`` or ``INDEX/INDEX.TAB``, through its label) is fetched once — in
64 MB ``Range`` pieces spooled beside the catalog, so a cut download resumes where it stopped —
conditional on the ETag/Last-Modified of the last run: an unchanged index costs one request and writes
nothing. Rows are parsed in chunks (:func:`~archive_fed.labels.index_table.iter_index_chunks`), each row
hashed; only rows whose hash the last run did not see are normalised
(:func:`~archive_fed.labels.index_records.index_batch`) and written. A new catalog is streamed through
:class:`~archive_fed.catalog.bulk.CatalogWriter`; an existing one is merged partition by partition
(:mod:`~archive_fed.harvest.index_merge`). Products that left the index are reported
(``report.cursor["disappeared"]``), never deleted. State (validators, row hashes) is saved only after
the catalog is published, so a run killed at any point is redone by the next one with the same result.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import posixpath
import threading
import time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_write, atomic_write_text
from ..errors import ArchiveFedError, FetchError, LabelError
from ..labels import parse_label
from ..labels.index_records import COLUMNS_READ, index_batch
from ..labels.index_table import CHUNK_BYTES, index_layout, index_table_file, iter_index_chunks, scalar_text
from ..labels.remote import MAX_LABEL
from ..labels.values import text
from ..transport import Transport, is_within, url_join
from ..transport.urls import file_url_to_path, url_scheme
from . import index_merge
from .lock import HarvestLock
from .report import Failure, HarvestReport
from .state import source_key

log = logging.getLogger("archive_fed.harvest")

SOURCE = "pds3-volume"
#: Index labels tried in order: the cumulative index lists every product of the volume set.
INDEX_LABELS = ("INDEX/CUMINDEX.LBL", "index/cumindex.lbl", "INDEX/INDEX.LBL", "index/index.lbl",
                "INDEX/Index.lbl")
#: Bytes per Range request when downloading an index.
PIECE_BYTES = 64 * 1024 * 1024
_VOLUME_KEYS = ("DATA_SET_ID", "INSTRUMENT_HOST_NAME", "INSTRUMENT_NAME", "TARGET_NAME", "MISSION_NAME")


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _local_path(url: str) -> str | None:
    scheme = url_scheme(url)
    if scheme == "file":
        return file_url_to_path(url)
    return url if scheme == "" else None


class IngestState:
    """``<catalog>.harvest/<key>/``: ``ingest.json`` (validators, index URLs) and ``index-rows.parquet``
    (digest, uid hash and uid of every row the catalog holds from this index), plus the download spool.

    A run holds only the numbers of the last run's rows (digest and uid hash: 16 bytes a row, nothing on
    a first ingest); the uids themselves stay in the file, and the next state is written row group by
    row group (:meth:`commit`), so memory does not grow with the index beyond that.
    """

    def __init__(self, catalog: str, url: str) -> None:
        self.catalog = catalog[len("file://"):] if catalog.startswith("file://") else catalog
        self.root = os.path.join(f"{self.catalog}.harvest", source_key(f"{SOURCE}-index", url))
        self.key = os.path.basename(self.root)
        os.makedirs(self.root, exist_ok=True)
        self.meta_path = os.path.join(self.root, "ingest.json")
        self.rows_path = os.path.join(self.root, "index-rows.parquet")
        self.fresh_path = os.path.join(self.root, "index-rows-new.parquet")
        self.spool = os.path.join(self.root, "spool")
        self._fresh: pq.ParquetWriter | None = None

    def meta(self) -> dict[str, Any]:
        try:
            with open(self.meta_path, encoding="utf-8") as stream:
                return json.load(stream)
        except (OSError, ValueError):
            return {}

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(digests, uid hashes) of the last committed run's rows, in the file's order."""
        if not os.path.exists(self.rows_path) or not os.path.exists(self.catalog):
            return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
        file = pq.ParquetFile(self.rows_path)
        if "uid_hash" not in file.schema_arrow.names:  # a state file of an older version: redo the rows
            return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
        table = file.read(columns=["digest", "uid_hash"])
        return (table.column("digest").to_numpy().astype(np.uint64),
                table.column("uid_hash").to_numpy().astype(np.uint64))

    def uids(self, positions: np.ndarray) -> list[str]:
        """The uids of the last run's rows at ``positions`` (sorted), read a row group at a time."""
        out: list[str] = []
        begin = 0
        for batch in pq.ParquetFile(self.rows_path).iter_batches(columns=["uid"]):
            end = begin + batch.num_rows
            inside = positions[(positions >= begin) & (positions < end)] - begin
            out.extend(batch.column(0).take(pa.array(inside)).to_pylist())
            begin = end
        return out

    def add(self, digests: np.ndarray, uid_hashes: np.ndarray, uids: np.ndarray) -> None:
        """Rows normalised by this run (spilled to ``index-rows-new.parquet`` as they come)."""
        table = pa.table({"digest": pa.array(digests, pa.uint64()), "uid_hash": pa.array(uid_hashes, pa.uint64()),
                          "uid": pa.array(uids, pa.string())})
        if self._fresh is None:
            self._fresh = pq.ParquetWriter(self.fresh_path, table.schema, compression="zstd")
        self._fresh.write_table(table)

    def commit(self, meta: dict[str, Any], kept: np.ndarray) -> None:
        """The new state: the last run's rows at ``kept`` (sorted positions), then this run's rows."""
        if self._fresh is not None:
            self._fresh.close()
            self._fresh = None
        schema = pa.schema([("digest", pa.uint64()), ("uid_hash", pa.uint64()), ("uid", pa.string())])
        with atomic_write(self.rows_path, what="ingest state") as temporary, \
                pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
            if len(kept):
                begin = 0
                for batch in pq.ParquetFile(self.rows_path).iter_batches():
                    end = begin + batch.num_rows
                    inside = kept[(kept >= begin) & (kept < end)] - begin
                    if len(inside):
                        writer.write_table(pa.Table.from_batches([batch]).take(pa.array(inside)))
                    begin = end
            if os.path.exists(self.fresh_path):
                for batch in pq.ParquetFile(self.fresh_path).iter_batches():
                    writer.write_table(pa.Table.from_batches([batch]))
        atomic_write_text(self.meta_path, json.dumps(meta, indent=2), what="ingest state")
        self.discard()

    def discard(self) -> None:
        if self._fresh is not None:
            self._fresh.close()
            self._fresh = None
        if os.path.exists(self.fresh_path):
            os.remove(self.fresh_path)


def uid_hashes(uids: Any) -> np.ndarray:
    """A 64-bit hash per uid (what tells a changed row of a known product from a new product)."""
    return pd.util.hash_array(np.asarray(uids, dtype=object), categorize=False).astype(np.uint64)


class _Follower:
    """The spool file, read by the parser while the download thread appends to it (a file-like object
    whose reads wait for bytes not yet downloaded, and end where the download ended)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.changed = threading.Condition()
        self.known = threading.Event()  # the total size (or the end, or an error) is known
        self.written, self.total = 0, None  # type: int, int | None
        self.done, self.cancelled = False, False
        self.error: BaseException | None = None
        self.validators: dict[str, Any] = {}
        self.stream: Any = None
        self.position = 0

    # the download thread's side
    def grew(self, written: int, total: int | None) -> None:
        with self.changed:
            self.written = written
            self.total = total if total is not None else self.total
            self.changed.notify_all()
        if total is not None:
            self.known.set()

    def finish(self, validators: dict[str, Any] | None = None, error: BaseException | None = None) -> None:
        with self.changed:
            self.done, self.error = True, error
            self.validators = validators or {}
            if error is None and self.total is None:
                self.total = self.written
            self.changed.notify_all()
        self.known.set()

    # the parser's side
    def readinto(self, buffer: Any) -> int:
        with self.changed:
            while self.written <= self.position and not self.done:
                self.changed.wait(0.5)
            if self.error is not None:
                raise self.error
            available = self.written - self.position
        if available <= 0:
            return 0
        if self.stream is None:
            self.stream = open(self.path, "rb")
        got = self.stream.readinto(memoryview(buffer)[:available])
        self.position += got
        return got

    def read(self, size: int = -1) -> bytes:
        out = bytearray(max(size, 0))
        filled = 0
        while filled < size:
            got = self.readinto(memoryview(out)[filled:])
            if not got:
                break
            filled += got
        return bytes(out[:filled])

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


def _download_in_background(transport: Transport, url: str, state: IngestState, meta: dict[str, Any]
                            ) -> tuple[_Follower, threading.Thread]:
    """Start downloading the index table to the spool; the returned follower reads it meanwhile, so
    parsing overlaps the transfer."""
    follower = _Follower(os.path.join(state.spool, "index.part"))

    def work() -> None:
        try:
            _, validators = _download(transport, url, state, meta, conditional=False, follow=follower)
        except BaseException as exc:  # handed to the parser, which raises it
            follower.finish(error=exc)
        else:
            follower.finish(validators)

    thread = threading.Thread(target=work, name="index-download", daemon=True)
    thread.start()
    return follower, thread


def _download(transport: Transport, url: str, state: IngestState, meta: dict[str, Any],
              conditional: bool, follow: _Follower | None = None) -> tuple[str | None, dict[str, Any]]:
    """The index table as a local file (None when not modified) and its validators; with ``follow``,
    each piece written is announced to it (and a table that changes meanwhile is an error)."""
    local = _local_path(url)
    if local is not None:
        try:
            info = os.stat(local)
        except OSError:
            raise FetchError("no such file", url=url) from None
        validator = {"etag": f"{info.st_size}-{info.st_mtime_ns}", "last_modified": None, "size": info.st_size}
        if conditional and meta.get("etag") == validator["etag"]:
            return None, validator
        return local, validator
    os.makedirs(state.spool, exist_ok=True)
    part, part_meta = os.path.join(state.spool, "index.part"), os.path.join(state.spool, "index.part.json")
    start, etag = 0, None
    try:
        with open(part_meta, encoding="utf-8") as stream:
            previous = json.load(stream)
        if previous.get("url") == url and os.path.exists(part):
            start, etag = os.path.getsize(part), previous.get("etag")
    except (OSError, ValueError):
        pass
    headers: dict[str, str] = {}
    if start == 0 and conditional:
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    last_modified = None
    with open(part, "ab" if start else "wb") as out:
        while True:
            if follow is not None and follow.cancelled:
                raise FetchError("download cancelled", url=url)
            response = transport.get_range(url, start, start + PIECE_BYTES, headers=headers)
            headers = {}
            if response.not_modified:
                return None, {"etag": meta.get("etag"), "last_modified": meta.get("last_modified")}
            if response.status == 416:  # all there already (a download finished by a killed run)
                if follow is not None:
                    follow.grew(start, start)
                break
            if etag and response.etag and response.etag != etag:  # changed since the cut: start again
                out.seek(0)
                out.truncate()
                start, etag = 0, None
                if follow is not None and follow.position:  # the parser read the old bytes
                    raise FetchError("the index table changed while it was downloaded; run again", url=url)
                continue
            etag, last_modified = response.etag or etag, response.last_modified or last_modified
            if start == 0 or not os.path.exists(part_meta):
                with open(part_meta, "w", encoding="utf-8") as stream:
                    json.dump({"url": url, "etag": etag}, stream)
            out.write(response.content)
            out.flush()
            start += len(response.content)
            total = response.headers.get("Content-Range", "").rpartition("/")[2]
            if total.isdigit():  # a server may answer a range with fewer bytes: ask on until the total
                last = start >= int(total) or not response.content
            else:
                last = len(response.content) < PIECE_BYTES
            if follow is not None:
                follow.grew(start, int(total) if total.isdigit() else (start if last else None))
            if last:
                break
    return part, {"etag": etag, "last_modified": last_modified, "size": start}


def _require_within(root: str, url: str, what: str) -> None:
    """Every file the ingest opens stays inside the volume (symbolic links resolved in a local mirror)."""
    if not is_within(root, url):
        raise FetchError(f"{what} leads outside the archive root {root}: refused", path=url)


def _volume_defaults(transport: Transport, root: str) -> dict[str, str]:
    """DATA_SET_ID, INSTRUMENT_HOST_NAME, ... from VOLDESC.CAT (top level or its VOLUME object)."""
    for name in ("VOLDESC.CAT", "voldesc.cat"):
        try:
            _require_within(root, url_join(root, name), "volume description")
            label = parse_label(transport.fetch_bytes(url_join(root, name), max_bytes=MAX_LABEL),
                                path=url_join(root, name))
        except ArchiveFedError:
            continue
        out: dict[str, str] = {}
        blocks = [label] + [b for key, b in label.walk() if key.upper() == "VOLUME"]
        for block in blocks:
            for key in _VOLUME_KEYS:
                if key in block and key not in out:
                    value = text(scalar_text(block[key]))
                    if value:
                        out[key] = value
        return out
    return {}


def _find_index(transport: Transport, root: str) -> tuple[str, Any]:
    for candidate in INDEX_LABELS:
        label_url = url_join(root, candidate)
        try:
            _require_within(root, label_url, "index label")
            data = transport.fetch_bytes(label_url, max_bytes=MAX_LABEL)
        except FetchError as exc:
            if exc.status in (403, 404, 410) or (exc.status is None and "no such file" in str(exc)):
                continue
            raise
        label = parse_label(data, path=label_url)
        name = index_table_file(label) or posixpath.splitext(candidate)[0] + ".TAB"
        _require_within(root, url_join(label_url, name), "index table")
        return url_join(label_url, name), (label_url, label)
    raise LabelError("the volume has no index (INDEX/CUMINDEX.LBL or INDEX/INDEX.LBL)", path=root)


def ingest(url: str, catalog: str, *, transport: Transport | None = None, report: str | None = None,
           chunk_bytes: int = CHUNK_BYTES, **_: Any) -> HarvestReport:
    """Catalogue a PDS3 volume from its index table (``af.harvest(..., from_index=True)``).

    Parameters
    ----------
    url : str
        The volume root (http(s), ``file://`` or a local path).
    catalog : str
        The catalog (local path) to create or update.
    transport : Transport, optional
        HTTP client (one is made when None).
    report : str, optional
        Where to write the JSON report too.
    chunk_bytes : int
        Index bytes parsed at a time (the memory bound of parsing).

    Returns
    -------
    HarvestReport
        ``found`` index rows, ``new``/``updated``/``unchanged`` products, bad rows as failures
        (``index_url:row N: message``); ``cursor["disappeared"]`` lists products no longer indexed.
    """
    transport = transport or Transport()
    root = url if url.endswith("/") else url + "/"
    state = IngestState(catalog, root)
    started, clock = _now(), time.perf_counter()
    requests_before = getattr(transport, "request_count", 0)
    result = HarvestReport(source=SOURCE, url=root, catalog=catalog, started=started)
    with HarvestLock(os.path.join(f"{state.catalog}.harvest", "lock")):
        _run(transport, root, state, result, chunk_bytes)
    result.failed = len(result.failures)
    result.finished = _now()
    result.seconds = time.perf_counter() - clock
    result.requests = getattr(transport, "request_count", 0) - requests_before
    result.write(os.path.join(f"{state.catalog}.harvest", "last-report.json"))
    if report:
        result.write(report)
    log.info("%s", result.summary())
    return result


def _run(transport: Transport, root: str, state: IngestState, result: HarvestReport, chunk_bytes: int) -> None:
    meta = state.meta()
    exists = os.path.exists(state.catalog)
    table_url = meta.get("table_url")
    path = None
    if table_url and exists:  # one conditional request when nothing changed
        _require_within(root, table_url, "index table")
        path, validators = _download(transport, table_url, state, meta, conditional=True)
        if path is None:
            result.found = result.unchanged = int(meta.get("rows", 0))
            result.cursor = {"discovery": "index", "index": table_url, "rows": result.found, "not_modified": True}
            return
    found_url, (label_url, label) = _find_index(transport, root)
    follower = thread = None
    if path is None or found_url != table_url:
        table_url = found_url
        if _local_path(table_url) is None:  # parsed while it downloads
            follower, thread = _download_in_background(transport, table_url, state, meta)
            path = follower.path
        else:
            path, validators = _download(transport, table_url, state, meta, conditional=False)
    assert path is not None
    try:
        tally = _ingest_table(transport, root, state, result, chunk_bytes, exists, table_url, label_url, label,
                              path, follower)
    finally:
        if follower is not None and thread is not None:
            follower.cancelled = True
            thread.join()
            follower.close()
    if follower is not None:
        validators = follower.validators
    _commit(state, result, table_url, label_url, validators, tally)


def _ingest_table(transport: Transport, root: str, state: IngestState, result: HarvestReport, chunk_bytes: int,
                  exists: bool, table_url: str, label_url: str, label: Any, path: str,
                  follower: _Follower | None) -> tuple:
    """Parse, normalise and write the rows of the table at ``path`` (the follower's while it downloads);
    returns what :func:`_commit` tallies."""
    layout = index_layout(label, path=label_url)
    defaults = {**_volume_defaults(transport, root), **{k: v for k, v in layout.defaults if v}}
    state.discard()  # rows spilled by a run that was killed
    prior_digests, prior_hashes = state.rows()
    order = np.argsort(prior_digests, kind="stable")
    sorted_digests = prior_digests[order]
    alive = np.zeros(len(prior_digests), dtype=bool)
    now = _now()
    if follower is not None:
        follower.known.wait()
        if follower.error is not None:
            raise follower.error
        size = follower.total
    else:
        size = os.path.getsize(path)
    result.bytes = size or 0
    kept_out: list[np.ndarray] = []  # positions of the last run's rows seen unchanged
    hashes_out: list[np.ndarray] = []  # uid hashes of the rows normalised now (when there was a last run)
    normalised = 0
    state_info = {"source": SOURCE, "url": root, "last_harvest": now.isoformat(), "index": table_url}
    merge_folder = os.path.join(state.root, "merge")
    index_merge.remove(merge_folder)
    if exists:
        estimate = (size or 0) // (layout.row_bytes or 100) + 1
        parts = index_merge.partitions_for(estimate + _catalog_rows(state.catalog))
        sink: Any = index_merge.PartitionSpill(merge_folder, parts, "new")
    else:
        from ..catalog.bulk import CatalogWriter

        sink = CatalogWriter(state.catalog, attrs={"state": json.dumps({state.key: state_info})})
    try:
        with (open(path, "rb") if follower is None else contextlib.nullcontext(follower)) as stream:
            def unseen(digests: np.ndarray) -> np.ndarray:  # rows the last run did not see: built, normalised
                return ~_seen(sorted_digests, digests)[0]

            for chunk in iter_index_chunks(layout, stream, size=size, chunk_bytes=chunk_bytes, path=table_url,
                                           columns=COLUMNS_READ, select=unseen if len(sorted_digests) else None):
                result.found += len(chunk.digests)
                seen, clipped = _seen(sorted_digests, chunk.digests)
                matched = order[clipped[seen]]
                alive[matched] = True
                result.unchanged += int(seen.sum())
                kept_out.append(matched)
                fresh = np.flatnonzero(~seen)
                if not len(fresh):
                    continue
                rows = chunk.table if len(fresh) == chunk.table.num_rows else chunk.table.take(pa.array(fresh))
                assert rows.num_rows == len(fresh)
                batch = index_batch(rows, 1, defaults=defaults, base_url=root,
                                    index_url=table_url, archive=SOURCE, harvested_at=now)
                for row, message in batch.failures:
                    number = chunk.first_row + int(fresh[row - 1])
                    result.failures.append(Failure(table_url, "LabelError", f"{table_url}:row {number}: {message}"))
                if len(batch):
                    sink.append(batch.columns)
                    hashes = uid_hashes(batch.columns["uid"])
                    state.add(chunk.digests[fresh[batch.rows - 1]], hashes, batch.columns["uid"])
                    normalised += len(batch)
                    if exists:
                        hashes_out.append(hashes)
        if exists:
            sink.close()
            if sink.rows:
                attrs = {"state": json.dumps({**_catalog_state(state.catalog), state.key: state_info})}
                fresh = np.concatenate(hashes_out)
                if len(np.unique(fresh)) == len(fresh) and \
                        not np.isin(fresh, index_merge.catalog_uid_hashes(state.catalog)).any():
                    index_merge.append_spill(state.catalog, sink, attrs)  # only new products: appended
                else:
                    old = index_merge.PartitionSpill(merge_folder, sink.parts, "old")
                    index_merge.spill_catalog(state.catalog, old)
                    old.close()
                    index_merge.merge_spills(state.catalog, old, sink, attrs)
        else:
            sink.close()
    except BaseException:
        if not exists:
            sink.abort()
        state.discard()
        raise
    finally:
        index_merge.remove(merge_folder)
    return kept_out, hashes_out, normalised, prior_hashes, alive


def _seen(sorted_digests: np.ndarray, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which ``digests`` the last run saw, and where in ``sorted_digests``."""
    position = np.searchsorted(sorted_digests, digests)
    clipped = np.minimum(position, max(len(sorted_digests) - 1, 0))
    if not len(sorted_digests):
        return np.zeros(len(digests), dtype=bool), clipped
    return sorted_digests[clipped] == digests, clipped


def _commit(state: IngestState, result: HarvestReport, table_url: str, label_url: str,
            validators: dict[str, Any], tally: tuple) -> None:
    """Tally new / updated / disappeared rows and save the state (after the catalog is published)."""
    kept_out, hashes_out, normalised, prior_hashes, alive = tally
    kept = np.unique(np.concatenate(kept_out)) if kept_out else np.zeros(0, np.int64)
    fresh_hashes = np.concatenate(hashes_out) if hashes_out and len(prior_hashes) else np.zeros(0, np.uint64)
    result.updated = int(np.isin(fresh_hashes, prior_hashes).sum())  # a known product's row changed
    result.new = normalised - result.updated
    # rows of the last run not seen again whose product has no row now: gone from the index
    current = np.concatenate([prior_hashes[alive], fresh_hashes])
    gone = np.flatnonzero(~alive & ~np.isin(prior_hashes, current)) if len(prior_hashes) else kept[:0]
    result.cursor = {"discovery": "index", "index": table_url, "rows": result.found,
                     "disappeared": state.uids(gone[:1000]) if len(gone) else [],
                     "disappeared_count": int(len(gone))}
    if len(gone):
        log.warning("%d products are no longer in %s (kept in the catalog)", len(gone), table_url)
    state.commit({"table_url": table_url, "label_url": label_url, "rows": result.found, **validators}, kept)
    index_merge.remove(state.spool)


def _catalog_rows(path: str) -> int:
    from ..catalog import Catalog

    return len(Catalog.open(path, chunks=index_merge.PARTITION_ROWS))


def _catalog_state(path: str) -> dict[str, Any]:
    from ..catalog import Catalog

    return dict(Catalog.open(path, chunks=index_merge.PARTITION_ROWS).state)
