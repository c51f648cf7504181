"""``pds3-volume``: a PDS3 volume (Kaguya on DARTS, LRO and older NASA volumes, mirrors of them).

Discovery reads ``INDEX/INDEX.LBL`` + ``INDEX.TAB`` (or ``CUMINDEX``) through the index label — one row per
product, ``FILE_SPECIFICATION_NAME`` or ``PATH_NAME`` + ``FILE_NAME`` — and falls back to walking ``DATA/``
for ``.LBL`` labels and for ``.IMG`` files with attached labels. Index rows pointing outside the volume
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
from .listing import walk

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

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        try:
            index = self._read_index()
        except (LabelError, FetchError) as exc:
            # a broken index must not stop the harvest: report it and find the products by walking
            self.problems.append(Problem(exc.path or self.url, type(exc).__name__, str(exc), 0))
            index = None
        if index is None:
            self._cursor["discovery"] = "walk"
            yield from self._walk(since)
            return
        index_url, rows = index
        self._cursor.update({"discovery": "index", "index": self.key_for(index_url), "rows": len(rows)})
        for relative, row in product_paths(rows):
            url = url_join(self.url, relative.lstrip("/") if not relative.startswith("/") else relative)
            if relative.startswith("/") or not self.check_within(url):
                self.problems.append(Problem(relative, "FetchError", "index row points outside the volume "
                                             f"root {self.url}: refused", 0))
                continue
            # the engine skips products older than --since (and counts them)
            modified = utc_time(row.get("PRODUCT_CREATION_TIME"))
            yield ProductRef(key=self.key_for(url), url=url, modified=modified, hints=row)

    # ---- index ----------------------------------------------------------------------------------
    def _read_index(self) -> tuple[str, list[dict[str, str]]] | None:
        for candidate in INDEX_LABELS:
            label_url = url_join(self.url, candidate)
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
    def _walk(self, since: _dt.datetime | None) -> Iterator[ProductRef]:
        files: list[str] = []
        for root in (url_join(self.url, "DATA/"), url_join(self.url, "data/")):
            try:
                files = list(walk(self.transport, root))
                break
            except ArchiveFedError:
                continue
        else:
            files = list(walk(self.transport, self.url))
        labels = {f.rsplit(".", 1)[0].lower() for f in files if f.lower().endswith(LABEL_SUFFIXES)}
        for url in files:
            lower = url.lower()
            if lower.endswith(LABEL_SUFFIXES) or (lower.endswith(ATTACHED_SUFFIXES)
                                                   and lower.rsplit(".", 1)[0] not in labels):
                yield ProductRef(key=self.key_for(url), url=url)
