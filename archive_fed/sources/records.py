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
from ..errors import FetchError, SourceError
from ..labels.remote import fetch_label
from ..record import ProductRecord, pds3_uid, pds4_uid
from ..transport import Response, with_params
from ..transport.http import RETRY_STATUSES
from .base import Problem, ProductRef, Source

__all__ = ["identity", "granule_identity", "TARGET_LIDS", "target_lid", "RecordSource", "record_bytes", "level_word", "level_from_lid", "pds3_level", "LEVEL_WORD"]

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
# identity: the record fields every API source derives its uid from (one rule: record.pds3_uid/pds4_uid)
# ---------------------------------------------------------------------------------------------------
def identity(*, lid: str | None = None, vid: str | None = None, data_set_id: str | None = None,
             product_id: str | None = None) -> dict[str, Any]:
    """``uid``/``lid``/``vid``/``product_id``/``label_format`` of a product an API reports: a PDS4
    product by its ``urn:`` LID (``lid::vid``), a PDS3 product by ``DATA_SET_ID/PRODUCT_ID``
    (:func:`archive_fed.record.pds3_uid`). Raises ``ValueError`` when neither is there."""
    if lid and lid.startswith("urn:"):
        lid, _, inline = lid.partition("::")
        vid = inline or vid
        return {"uid": pds4_uid(lid, vid), "lid": lid, "vid": vid or None,
                "product_id": product_id or lid.rsplit(":", 1)[-1], "label_format": "PDS4"}
    uid = pds3_uid(data_set_id, product_id) if data_set_id else None
    if uid is None:
        raise ValueError("no PDS4 LID and no PDS3 DATA_SET_ID + PRODUCT_ID")
    return {"uid": uid, "lid": uid, "vid": vid or None, "product_id": uid.rsplit("/", 1)[-1],
            "label_format": "PDS3"}


def granule_identity(granule_uid: str) -> dict[str, Any]:
    """:func:`identity` of an EPN-TAP ``granule_uid``. ESA PSA writes a PDS3 product as
    ``DATA_SET_ID:DATA:PRODUCT_ID::version`` (planetarypy's ``psa`` module reads it so) and a PDS4 one
    as its LIDVID; any other form is kept whole as the uid.

    >>> granule_identity("S1-L-X-AMIE-2-EDR-V1.0:DATA:AMI_EE3_050110_00001_00010::1.0")["uid"]
    'S1-L-X-AMIE-2-EDR-V1.0/AMI_EE3_050110_00001_00010'
    """
    value = " ".join(str(granule_uid).split())
    if value.startswith("urn:"):
        return identity(lid=value)
    body, _, version = value.partition("::")
    parts = body.split(":")
    if len(parts) >= 3 and parts[0] and parts[-1]:
        found = identity(data_set_id=parts[0], product_id=parts[-1], vid=version or None)
        return found
    return {"uid": value, "lid": body, "vid": version or None, "product_id": parts[-1] or body,
            "label_format": None}


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
    #: bytes one answer (a page) may have, and so the memory a hostile endless answer costs: real pages
    #: of 100-1000 products are a few MB (option ``max_answer_bytes``)
    max_answer_default: ClassVar[int] = 64 * 1024 * 1024

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        self._cursor: dict[str, Any] = {}
        self.max_answer = int(self.options.get("max_answer_bytes", self.max_answer_default))
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
            # a label URL the service gave (``fetch_labels=True``): on the archive's own hosts, not under
            # the API's root — so not held to it, but it must be http(s): a service cannot send us to a
            # local file
            if not ref.url.lower().startswith(("http://", "https://")):
                raise FetchError("label URL given by the service is not http(s): refused", path=ref.url)
            return fetch_label(self.transport, ref.url, conditional=conditional)
        return Response(url=ref.url, status=200, content=record_bytes(record))

    def to_record(self, ref: ProductRef, data: bytes) -> ProductRecord:
        if ref.hints.get("record") is None:
            return super().to_record(ref, data)
        return ProductRecord.from_dict(json.loads(data))

    # ---- requests: a 4xx answer is the service refusing the request, with its reason -----------------
    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON answer to ``GET url?params``; see :meth:`refused`."""
        try:
            return self.transport.get_json(url, params=params, max_bytes=self.max_answer)
        except FetchError as exc:
            raise self.refused(exc, with_params(url, params)) from None

    def get(self, url: str) -> Response:
        """The answer to ``GET url``; see :meth:`refused`."""
        try:
            return self.transport.get(url, max_bytes=self.max_answer)
        except FetchError as exc:
            raise self.refused(exc, url) from None

    def refused(self, exc: FetchError, url: str) -> FetchError | SourceError:
        """A 4xx answer becomes a :class:`SourceError` carrying the service's own message (the transport
        keeps it, size-capped and with credentials masked); anything else stays the FetchError."""
        status = getattr(exc, "status", None)
        if status is None or not 400 <= status < 500 or status in RETRY_STATUSES:
            return exc    # 408/429 after every retry: the service is busy, it did not refuse the request
        detail = getattr(exc, "detail", "") or "no message in the answer"
        return SourceError(f"{self.name} refused the request (HTTP {status}): {detail}", path=exc.path or url)

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
