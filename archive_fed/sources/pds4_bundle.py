"""``pds4-bundle``: a PDS4 bundle (NASA PDS, ISRO PRADAN, KPLO, Chang'e trees with ``.2BL`` labels).

Discovery walks the tree — a local directory, a downloaded ``.zip`` order read in place, an HTTP(S)
listing or any fsspec URL — for labels (``*.xml`` and Chang'e-style ``.2BL``/``.2CL``/``.01L``), reads the
bundle label and the collection labels with their inventories (``P,<lidvid>`` / ``S,<lidvid>`` rows), and
yields every other label as a product. Primary inventory members that no label in the tree provides are
reported as problems when the harvest finishes.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from typing import Any, Iterator

from ..errors import ArchiveFedError
from ..labels import parse_label
from ..labels.pds4 import PDS4Label
from ..labels.remote import MAX_LABEL
from ..transport import url_join
from .base import Problem, ProductRef, Source
from .listing import walk

_LABEL = re.compile(r"\.(xml|\d[0-9A-Z]L)$", re.IGNORECASE)
_STRUCTURE = re.compile(r"^(bundle|collection)[^/]*\.xml$", re.IGNORECASE)


def is_label_name(url: str) -> bool:
    return bool(_LABEL.search(url.split("?", 1)[0]))


def read_inventory(data: bytes) -> list[tuple[str, str]]:
    """(member status, lidvid or lid) rows of a collection inventory table (CSV, CR/LF)."""
    rows = []
    for fields in csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))):
        if len(fields) >= 2 and fields[0].strip().upper() in ("P", "S"):
            rows.append((fields[0].strip().upper(), fields[1].strip()))
    return rows


class PDS4BundleSource(Source):
    name = "pds4-bundle"
    protocol = "PDS4 bundle (bundle → collections → inventories, tree walk) over HTTP(S), fsspec or local"
    description = "any PDS4 bundle: NASA PDS, Chandrayaan-2 (PRADAN), KPLO, Chang'e .2BL trees"

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        if not self.url.endswith("/"):
            self.url += "/"
        self.expected: dict[str, str] = {}   # lid -> lidvid (or lid) of primary inventory members
        self._structure: list[str] = []

    def cursor(self) -> dict[str, Any]:
        return {"collections": len(self._structure), "inventory_members": len(self.expected)}

    #: walk the ``.zip`` files of a local tree as directories (downloaded orders, bulk downloads)
    open_zips: bool = False

    def select_labels(self, files: list[str]) -> list[str]:
        """The product labels among the tree's files (presets add their own naming rules)."""
        return [url for url in files if is_label_name(url)]

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        files = list(walk(self.transport, self.url, zips=bool(self.options.get("zips", self.open_zips))))
        labels = self.select_labels(files)
        for url in labels:
            name = url.rsplit("/", 1)[-1]
            if _STRUCTURE.match(name):
                self._read_structure(url)
        for url in labels:
            if url in self._structure:
                continue
            yield ProductRef(key=self.key_for(url), url=url)

    def _read_structure(self, url: str) -> None:
        """Bundle and collection labels: remember them; read collections' inventories."""
        try:
            self.require_within(url, "label")
            label = parse_label(self.transport.fetch_bytes(url, max_bytes=MAX_LABEL), path=url)
        except ArchiveFedError as exc:
            self.problems.append(Problem(url, type(exc).__name__, str(exc), 1))
            return
        if not isinstance(label, PDS4Label) or label.product_class not in ("Product_Bundle",
                                                                             "Product_Collection"):
            return  # named like one, but a product: harvested as such
        self._structure.append(url)
        if label.product_class != "Product_Collection":
            return
        for name in label.findall(".//File_Area_Inventory/File/file_name"):
            inventory_url = url_join(url, name)
            if not self.check_within(inventory_url):
                self.problems.append(Problem(name, "FetchError", "inventory outside the bundle: refused", 0))
                continue
            try:
                rows = read_inventory(self.transport.fetch_bytes(inventory_url))
            except ArchiveFedError as exc:
                self.problems.append(Problem(inventory_url, type(exc).__name__, str(exc), 1))
                continue
            for status, reference in rows:
                if status == "P":
                    self.expected[reference.split("::", 1)[0]] = reference

    def finish(self, harvested: set[str]) -> list[Problem]:
        lids = {uid.split("::", 1)[0] for uid in harvested}
        missing = sorted(ref for lid, ref in self.expected.items() if lid not in lids)
        return [Problem(ref, "SourceError", "inventory member not found in the bundle tree", 0)
                for ref in missing]
