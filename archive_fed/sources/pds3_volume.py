"""``pds3-volume``: a PDS3 volume (Kaguya on DARTS, LRO and older NASA volumes, mirrors of them).

Discovery reads ``INDEX/INDEX.LBL`` + ``INDEX.TAB`` (or ``CUMINDEX``) through the index label — one row per
product, ``FILE_SPECIFICATION_NAME`` or ``PATH_NAME`` + ``FILE_NAME`` — and falls back to walking ``DATA/``
for ``.LBL`` labels and for ``.IMG`` files with attached labels. With ``sub_volumes=True`` (the
``jaxa-darts`` default) a root without an index is searched one level down for sub-volumes holding their
own ``index/`` (DARTS' ``<YYYYMMDD>/`` and ``lonNNN/{data,index,catalog,browse}``): their indexes are read
and only the sub-volumes without one are walked. Index rows pointing outside the volume
(``..``, absolute paths, other hosts, ``file://``) are quarantined, never fetched.
"""
from __future__ import annotations

import datetime as _dt
import posixpath
from typing import Any, Iterator

from ..errors import ArchiveFedError, FetchError, LabelError
from ..labels import parse_label
from ..labels.index_table import index_table_file, product_paths, read_index_table
from ..labels.remote import MAX_LABEL
from ..labels.values import utc_time
from ..transport import url_join
from .base import Problem, ProductRef, Source
from .listing import list_directory, walk

INDEX_LABELS = ("INDEX/INDEX.LBL", "index/index.lbl", "INDEX/CUMINDEX.LBL", "index/cumindex.lbl",
                "INDEX/Index.lbl")
LABEL_SUFFIXES = (".lbl",)
ATTACHED_SUFFIXES = (".img",)


class PDS3VolumeSource(Source):
    name = "pds3-volume"
    protocol = "PDS3 volume (INDEX.TAB or directory walk) over HTTP(S), FTP, fsspec or a local mirror"
    description = "any PDS3 volume: Kaguya/SELENE, LRO, Clementine, Lunar Prospector, Chandrayaan-1..."

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        if not self.url.endswith("/"):
            self.url += "/"
        self._cursor: dict[str, Any] = {}

    def cursor(self) -> dict[str, Any]:
        return dict(self._cursor)

    #: when the root has no index, look for data-set sub-volumes with their own indexes (DARTS)
    sub_volumes_default = False

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        try:
            index = self._read_index(self.url)
        except (LabelError, FetchError) as exc:
            # a broken index must not stop the harvest: report it and find the products by walking
            self.problems.append(Problem(exc.path or self.url, type(exc).__name__, str(exc), 0))
            index = None
        if index is None and self.options.get("sub_volumes", self.sub_volumes_default):
            parts = self._sub_volumes()
            if any(found is not None for _, found in parts):
                yield from self._from_sub_volumes(parts, since)
                return
        if index is None:
            self._cursor["discovery"] = "walk"
            yield from self._walk(since)
            return
        self._cursor.update({"discovery": "index", "index": self.key_for(index[0]), "rows": len(index[1])})
        yield from self._index_refs(self.url, index[1])

    def _index_refs(self, base: str, rows: list[dict[str, str]]) -> Iterator[ProductRef]:
        """The products an index table lists, relative to ``base`` (the volume or sub-volume root)."""
        for relative, row in product_paths(rows):
            url = url_join(base, relative.lstrip("/") if not relative.startswith("/") else relative)
            if relative.startswith("/") or not self.check_within(url):
                self.problems.append(Problem(relative, "FetchError", "index row points outside the volume "
                                             f"root {self.url}: refused", 0))
                continue
            # the engine skips products older than --since (and counts them)
            modified = utc_time(row.get("PRODUCT_CREATION_TIME"))
            yield ProductRef(key=self.key_for(url), url=url, modified=modified, hints=row)

    # ---- sub-volumes ------------------------------------------------------------------------------
    def _sub_volumes(self) -> list[tuple[str, tuple[str, list[dict[str, str]]] | None]]:
        """(sub-volume root, its index or None) for each directory of the root that holds an ``index/``
        (or ``INDEX/``) directory — JAXA DARTS splits a data set into ``<YYYYMMDD>/`` or
        ``lonNNN/{data,index,catalog,browse}`` sub-volumes, each with its own index."""
        try:
            entries = list_directory(self.transport, self.url)
        except ArchiveFedError as exc:
            self.problems.append(Problem(self.url, type(exc).__name__, str(exc), 0))
            return []
        found: list[tuple[str, tuple[str, list[dict[str, str]]] | None]] = []
        for entry in entries:
            if not entry.endswith("/") or not self.check_within(entry):
                continue
            try:
                names = {e.rstrip("/").rsplit("/", 1)[-1].lower(): e for e in list_directory(self.transport, entry)}
            except ArchiveFedError:
                continue
            if "index" not in names and "data" not in names:
                continue                      # not a sub-volume (documents, catalog...)
            index = None
            if names.get("index", "").endswith("/"):
                try:   # the index label, whatever the case of its name (INDEX.LBL, index.lbl, CUMINDEX.LBL)
                    labels = [e for e in list_directory(self.transport, names["index"])
                              if e.rsplit("/", 1)[-1].lower() in ("index.lbl", "cumindex.lbl")]
                    candidates = tuple(f"{names['index'].rstrip('/').rsplit('/', 1)[-1]}/{e.rsplit('/', 1)[-1]}"
                                       for e in sorted(labels, key=lambda e: e.lower().endswith("cumindex.lbl")))
                    index = self._read_index(entry, candidates) if candidates else None
                except (LabelError, FetchError) as exc:
                    self.problems.append(Problem(exc.path or entry, type(exc).__name__, str(exc), 0))
            found.append((entry, index))
        return found

    def _from_sub_volumes(self, parts: list[tuple[str, tuple[str, list[dict[str, str]]] | None]],
                          since: _dt.datetime | None) -> Iterator[ProductRef]:
        indexed = [(root, index) for root, index in parts if index is not None]
        walked = [root for root, index in parts if index is None]
        self._cursor.update({"discovery": "sub-volume indexes", "sub_volumes": len(parts),
                             "indexes": [self.key_for(index[0]) for _, index in indexed],
                             "walked": [self.key_for(root) for root in walked],
                             "rows": sum(len(index[1]) for _, index in indexed)})
        for root, (_, rows) in indexed:
            yield from self._index_refs(root, rows)
        for root in walked:                  # a sub-volume without an index: its data/ tree only
            yield from self._walk(since, root)

    # ---- index ----------------------------------------------------------------------------------
    def _read_index(self, base: str, candidates: tuple[str, ...] = INDEX_LABELS
                    ) -> tuple[str, list[dict[str, str]]] | None:
        for candidate in candidates:
            label_url = url_join(base, candidate)
            try:
                self.require_within(label_url, "index label")
                data = self.transport.fetch_bytes(label_url, max_bytes=MAX_LABEL)
            except FetchError as exc:
                if exc.status in (403, 404, 410) or (exc.status is None and "no such file" in str(exc)):
                    continue  # not there: try the next name, then walk
                raise  # the index exists but cannot be read (timeout, cap...): reported, then walked
            label = parse_label(data, path=label_url)
            table_name = index_table_file(label) or posixpath.splitext(candidate)[0] + ".TAB"
            table_url = url_join(label_url, table_name)
            if not self.check_within(table_url):
                raise LabelError(f"index table pointer {table_name!r} leads outside the volume", path=label_url)
            table = self.transport.fetch_bytes(table_url)
            return table_url, read_index_table(label, table, path=table_url)
        return None

    # ---- fallback: walk the tree ----------------------------------------------------------------
    def _walk(self, since: _dt.datetime | None, base: str | None = None) -> Iterator[ProductRef]:
        base = base or self.url
        files: list[str] = []
        for root in (url_join(base, "DATA/"), url_join(base, "data/")):
            try:
                files = list(walk(self.transport, root))
                break
            except ArchiveFedError:
                continue
        else:
            files = list(walk(self.transport, base))
        labels = {f.rsplit(".", 1)[0].lower() for f in files if f.lower().endswith(LABEL_SUFFIXES)}
        for url in files:
            lower = url.lower()
            if lower.endswith(LABEL_SUFFIXES) or (lower.endswith(ATTACHED_SUFFIXES)
                                                   and lower.rsplit(".", 1)[0] not in labels):
                yield ProductRef(key=self.key_for(url), url=url)
