"""What the API sources share: :class:`RecordSource` (discovery already gives full metadata) and the
level words of product types and data set ids.

``pds-api``, ``ode``, ``epn-tap`` and ``pdap`` subclass :class:`RecordSource`; none imports another.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from .. import missions
from ..errors import SourceError
from ..record import ProductRecord
from ..transport import Response
from .base import Problem, ProductRef, Source

__all__ = ["TARGET_LIDS", "target_lid", "RecordSource", "record_bytes", "level_word", "level_from_lid", "pds3_level", "LEVEL_WORD"]

#: A level word inside a product type or PDS3 data set id: ``LEVEL2B0``, ``L3C``, ``EDR``, ``CDR``...
LEVEL_WORD = re.compile(r"LEVEL[ _-]?([0-9][0-9A-Z]*)|(?:^|[_-])(L[0-9][0-9A-Z]*)(?:$|[_-])|"
                        r"(?:^|[_-])(EDR|CDR|RDR|DDR|PDR|UDR|MAP)(?:$|[_-])", re.IGNORECASE)


def level_word(text_: str | None) -> str | None:
    """The level word of a product type or data set id (``LEND_RDR_DLD`` → ``RDR``), upper case."""
    match = LEVEL_WORD.search(text_) if text_ else None
    return next(g for g in match.groups() if g).upper() if match else None


def level_from_lid(lid: str | None) -> str | None:
    """PDS4 level words among a LID's bundle/collection names (``…:data_science_derived:…``)."""
    tokens = set(re.split(r"[:._\-]+", lid.lower())) if lid else set()
    return next((level for word, level in (("raw", "Raw"), ("calibrated", "Calibrated"),
                                           ("derived", "Derived"), ("telemetry", "Telemetry"))
                 if word in tokens), None)


# ---------------------------------------------------------------------------------------------------
# RecordSource: the shared base of sources whose discovery already gives full metadata
# ---------------------------------------------------------------------------------------------------
class RecordSource(Source):
    """Base of API sources: discovery builds the records; no label is fetched.

    Each ref carries its record in ``ref.hints["record"]``; :meth:`fetch` serialises it to canonical JSON
    (so the engine's digest makes an unchanged product ``unchanged`` on the next run) and
    :meth:`to_record` reads it back. A ref without a record (``fetch_labels=True``) falls back to the
    ordinary label fetch and normalization. Set :attr:`direct_records` to hand records to the engine as
    ``ref.record`` instead.
    """

    #: put records in ``ref.record`` (the engine's direct path) rather than in ``hints``
    direct_records: ClassVar[bool] = False
    #: stop after this many pages whatever the server says (a guard against endless paging)
    max_pages_default: ClassVar[int] = 1_000_000

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        self._cursor: dict[str, Any] = {}
        self.max_pages = int(self.options.get("max_pages", self.max_pages_default))

    def cursor(self) -> dict[str, Any]:
        return dict(self._cursor)

    def record_ref(self, key: str, record: ProductRecord, *, modified: _dt.datetime | None = None,
                   hints: Mapping[str, Any] | None = None) -> ProductRef:
        """A ref delivering ``record`` (its ``url`` is the label URL when known, else the key)."""
        record = record.replace(archive=record.archive or self.name)
        extra = dict(hints or {})
        if self.direct_records:
            return ProductRef(key=key, url=record.label_url or key, modified=modified, hints=extra,
                              record=record)
        extra["record"] = record
        return ProductRef(key=key, url=record.label_url or key, modified=modified, hints=extra)

    def fetch(self, ref: ProductRef, conditional: dict[str, Any] | None = None) -> Any:
        record = ref.hints.get("record")
        if record is None:
            return super().fetch(ref, conditional)
        return Response(url=ref.url, status=200, content=record_bytes(record))

    def to_record(self, ref: ProductRef, data: bytes) -> ProductRecord:
        if ref.hints.get("record") is None:
            return super().to_record(ref, data)
        return ProductRecord.from_dict(json.loads(data))

    def problem(self, where: str, message: str, error: str = "SourceError") -> None:
        """Quarantine one unusable product of an otherwise good answer (the harvest goes on)."""
        self.problems.append(Problem(where, error, f"{where}: {message}", 1))

    def malformed(self, url: str, message: str) -> SourceError:
        """The error for an answer that does not speak the protocol (the harvest stops)."""
        return SourceError(f"malformed answer from {self.name}: {message}", path=url)


def record_bytes(record: ProductRecord) -> bytes:
    """Canonical JSON of a record without ``harvested_at`` (equal records give equal bytes)."""
    data = record.to_dict()
    data["harvested_at"] = None
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")


def pds3_level(slug: str | None, data_set_id: str | None, fallback: str | None = None
               ) -> tuple[str | None, str | None]:
    """(native level, PDS4 level) from a PDS3 ``DATA_SET_ID`` (``LRO-L-LROC-3-CDR-V1.0`` → CDR,
    Calibrated; ``SLN-L-TC-3-S-LEVEL2B0-V1.0`` → 2B0, Calibrated), else from ``fallback``."""
    native = codmac = None
    if data_set_id:
        parts = data_set_id.split("-")
        if len(parts) >= 5 and re.fullmatch(r"[0-9](/[0-9])?", parts[3]):
            codmac = parts[3].split("/")[-1]
        native = level_word(data_set_id)
    native = native or fallback or codmac
    level = (missions.pds4_level(slug, native) if native else None) or (
        missions.pds4_level(slug, codmac) if codmac else None)
    return native, level


#: Target names the filters accept, with their PDS4 context LIDs (a ``urn:`` value is used as given).
TARGET_LIDS = {
    "moon": "urn:nasa:pds:context:target:satellite.earth.moon",
    "earth": "urn:nasa:pds:context:target:planet.earth",
    "sun": "urn:nasa:pds:context:target:star.sun",
}


def target_lid(name: str) -> str:
    """The PDS4 context LID of a target name (``Moon``) or a ``urn:`` given as is."""
    if name.startswith("urn:"):
        return name
    lid = TARGET_LIDS.get(missions.alias_key(missions.canonical_target(name) or name))
    if lid is None:
        raise SourceError(f"unknown target {name!r}: give its PDS4 context LID "
                          "(urn:nasa:pds:context:target:...)")
    return lid
