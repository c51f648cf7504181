"""``epn-tap``: any EPN-TAP 2.0 service (ESA PSA, VESPA providers) through TAP synchronous queries.

Discovery sends ``GET {tap}/sync?REQUEST=doQuery&LANG=ADQL&FORMAT=votable&MAXREC=n&QUERY=…`` with

    SELECT * FROM <schema>.epn_core WHERE target_name = 'Moon' [AND …] AND granule_uid > '<last>'
    ORDER BY granule_uid

**Paging is keyset paging on ``granule_uid``** (unique in an EPN-TAP table): each page asks for the
granules after the last ``granule_uid`` of the previous page, in the server's own order. It works on
ADQL 2.0 services (``OFFSET`` is ADQL 2.1) and is not disturbed by rows added during the harvest. A page
is the last one when it holds fewer rows than ``MAXREC`` and the VOTable does not report
``QUERY_STATUS=OVERFLOW`` (a service whose own row limit is lower than ``MAXREC`` reports overflow, and
paging simply goes on). ``QUERY_STATUS=ERROR`` raises :class:`~archive_fed.errors.SourceError` with the
service's message.

Columns → record: ``granule_uid`` (uid through :func:`~archive_fed.sources.records.granule_identity`: a
PDS4 LIDVID is ``lid::vid``, PSA's PDS3 ``DATA_SET_ID:DATA:PRODUCT_ID::version`` becomes the PDS3 uid
``DATA_SET_ID/PRODUCT_ID`` every PDS3 source gives), ``time_min``/``time_max`` (Julian days in the
``time_scale`` column or option, default UTC — the EPN-TAP data-service scale), ``c1min…c2max`` (east longitude and
latitude when ``spatial_frame_type`` is ``body``), ``processing_level`` (CODMAC 1–6 → PDS4 vocabulary),
``access_url`` (at PSA a zip bundle), ``label_url`` (PSA: the label file, or the data file itself for an
attached label), ``access_estsize`` (kB = 1024 bytes), ``instrument_host_name``, ``instrument_name``,
``target_name`` (``#``-separated lists), ``modification_date`` (for ``--since``); ``s_region`` (an STC-S
``Polygon``: the footprint polygon, great-circle edges as in pgSphere), ``incidence_*``, ``emergence_*``
(the record's ``emission_*``), ``phase_*``, ``time_exp_*`` (``exposure_duration``), ``spectral_range_*``
(frequencies in Hz, as wavelengths).
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .. import geometry as geo
from .. import missions
from ..errors import SourceError
from ..labels import footprint as fp
from ..labels.values import number, text, utc_time
from ..record import ProductRecord
from .base import ProductRef
from .records import RecordSource, granule_identity
from .votable import OVERFLOW, read_votable, with_query

__all__ = ["EPNTAPSource", "adql_string", "granule_record", "julian_to_utc", "read_votable", "with_query"]



# ---------------------------------------------------------------------------------------------------
# granule → record
# ---------------------------------------------------------------------------------------------------
def adql_string(value: str) -> str:
    """An ADQL string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def julian_to_utc(jd: Any, scale: str = "UTC") -> _dt.datetime | None:
    """A Julian day in ``scale`` (UTC, TT, TDB, TAI…) as an aware UTC datetime; None when missing.

    Rounded to the millisecond: one double holds a Julian day to about 40 µs, so finer digits are noise
    (``2005-01-10T07:00:00`` must not come back as ``06:59:59.999987``)."""
    value = number(jd)
    if value is None:
        return None
    from astropy.time import Time

    try:
        moment = Time(value, format="jd", scale=scale.strip().lower() or "utc").utc.to_datetime()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Julian day {value!r} in scale {scale!r}: {exc}") from None
    millis = round(moment.microsecond / 1000.0)
    moment = moment.replace(microsecond=0) + _dt.timedelta(milliseconds=millis)
    return moment.replace(tzinfo=_dt.timezone.utc)


def _split(value: Any) -> list[str]:
    return [v.strip() for v in str(value).split("#") if v.strip()] if value else []


def _mission(host: str | None, uid: str) -> str | None:
    return (missions.mission_from_host(host) or missions.resolve_mission(host)
            or missions.mission_from_identifier(uid) or (missions.slugify(host) if host else None))


def granule_record(row: Mapping[str, Any], *, archive: str = "epn-tap", time_scale: str = "UTC"
                   ) -> ProductRecord:
    """A record from one ``epn_core`` row. Raises ``ValueError`` without a ``granule_uid``."""
    granule = text(row.get("granule_uid"))
    if not granule:
        raise ValueError("row has no granule_uid")
    ident = granule_identity(granule)
    uid, lid = ident["uid"], ident["lid"]
    hosts = _split(row.get("instrument_host_name"))
    instruments = _split(row.get("instrument_name"))
    slug = _mission(hosts[0] if hosts else None, uid)
    codmac = number(row.get("processing_level"))
    native = str(int(codmac)) if codmac is not None else None
    scale = text(row.get("time_scale")) or time_scale
    box = fp.NO_FOOTPRINT
    if (text(row.get("spatial_frame_type")) or "body").lower() == "body":
        values = [number(row.get(k)) for k in ("c1min", "c1max", "c2min", "c2max")]
        if all(v is not None for v in values):
            box = fp.from_bounds(*values)  # type: ignore[arg-type]
    size = number(row.get("access_estsize"))
    targets = missions.canonical_targets(_split(row.get("target_name")))
    access = text(row.get("access_url"))
    label_url = text(row.get("label_url"))
    # PSA: access_url is a zip bundle (label + data); label_url is the product's own file, which for an
    # attached label *is* the data file — then that file, not the bundle, is the data
    attached = bool(label_url) and not label_url.lower().split("?", 1)[0].endswith((".lbl", ".xml"))
    data_urls = [label_url] if attached else ([access] if access else [])
    return ProductRecord(
        metadata_source="service", **_observation(row),
        uid=uid, lid=lid, vid=ident["vid"],
        product_id=ident["product_id"] if ident["label_format"] else (text(row.get("obs_id")) or lid),
        title=text(row.get("title")) or text(row.get("obs_id")), mission=slug, agency=missions.agency(slug),
        instrument_host=hosts[0] if hosts else None,
        instrument=missions.canonical_instrument(slug, instruments[0]) if instruments else None,
        targets=targets, target="Moon" if "Moon" in targets else (targets[0] if targets else None),
        processing_level=missions.pds4_level(slug, native) if native else None,
        processing_level_native=native, start_time=julian_to_utc(row.get("time_min"), scale),
        stop_time=julian_to_utc(row.get("time_max"), scale), **box._asdict(),
        label_format=ident["label_format"], label_url=label_url, data_urls=data_urls,
        file_size=round(size * 1024) if size is not None and not attached else None,
        archive=archive,
    )


_STCS_POLYGON = re.compile(r"^\s*polygon\s+(?:[a-z_]+\s+)*((?:[-+]?[0-9.]+(?:e[-+]?\d+)?\s*)+)$", re.I)


def _observation(row: Mapping[str, Any]) -> dict[str, Any]:
    """The record's geometry and observation fields from an ``epn_core`` row (those it gives)."""
    out: dict[str, Any] = {}
    region = text(row.get("s_region"))
    match = _STCS_POLYGON.match(region or "")
    if match and (text(row.get("spatial_frame_type")) or "body").lower() == "body":
        numbers = [float(v) for v in match.group(1).split()]
        if len(numbers) >= 6 and len(numbers) % 2 == 0:
            out["footprint"] = geo.polygon_from_corners(numbers[0::2], numbers[1::2])
    for field, column in (("incidence", "incidence"), ("emission", "emergence"), ("phase", "phase")):
        low, high = number(row.get(f"{column}_min")), number(row.get(f"{column}_max"))
        if low is not None or high is not None:
            out[f"{field}_min"], out[f"{field}_max"] = (low if low is not None else high,
                                                        high if high is not None else low)
    exposure = [v for v in (number(row.get("time_exp_min")), number(row.get("time_exp_max"))) if v is not None]
    if exposure:
        out["exposure_duration"] = max(exposure)
    frequencies = [v for v in (number(row.get("spectral_range_min")), number(row.get("spectral_range_max")))
                   if v is not None and v > 0]
    if frequencies:
        out["wavelength_min"], out["wavelength_max"] = (geo.SPEED_OF_LIGHT / max(frequencies),
                                                        geo.SPEED_OF_LIGHT / min(frequencies))
    return out


# ---------------------------------------------------------------------------------------------------
# the source
# ---------------------------------------------------------------------------------------------------
class EPNTAPSource(RecordSource):
    """An EPN-TAP 2.0 service, harvested through TAP ``sync`` with keyset paging on ``granule_uid``.

    Options
    -------
    schema : str
        The service's schema: the table is ``<schema>.epn_core`` (or give ``table`` whole; ESA PSA's
        preset uses ``psa``).
    table : str
        Default ``<schema>.epn_core``, or ``epn_core`` without a schema.
    target : str
        ``target_name = '…'`` (None: every target).
    instrument_host : str
        ``instrument_host_name = '…'``.
    where : str
        More ADQL, ``AND``-ed with the filters.
    maxrec : int
        Rows per page (``MAXREC``, default 1000).
    time_scale : str
        Scale of ``time_min``/``time_max`` when the table has no ``time_scale`` column (default UTC).
    """

    name = "epn-tap"
    reached = "query service"
    protocol = "IVOA EPN-TAP 2.0 over TAP sync (ADQL, VOTable, keyset paging on granule_uid)"
    description = "any EPN-TAP service (ESA PSA, VESPA): granules of <schema>.epn_core"
    default_target: str | None = None
    default_instrument_host: str | None = None
    #: schema of the service's ``epn_core`` table (ESA PSA: ``psa``)
    default_schema: str | None = None

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        o = self.options
        schema = o.get("schema", self.default_schema)
        self.table = o.get("table") or (f"{schema}.epn_core" if schema else "epn_core")
        self.maxrec = int(o.get("maxrec", 1000))
        if self.maxrec < 1:
            raise SourceError(f"{self.name}: maxrec must be >= 1")
        self.time_scale = o.get("time_scale", "UTC")

    @property
    def sync_url(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/sync") else base + "/sync"

    def query(self, after: str | None = None, since: _dt.datetime | None = None) -> str:
        """The ADQL of one page."""
        o = self.options
        conditions = []
        target = o.get("target", self.default_target)
        if target:
            conditions.append(f"target_name = {adql_string(target)}")
        host = o.get("instrument_host", self.default_instrument_host)
        if host:
            conditions.append(f"instrument_host_name = {adql_string(host)}")
        if o.get("where"):
            conditions.append(f"({o['where']})")
        if since is not None:
            conditions.append(f"modification_date >= {adql_string(since.strftime('%Y-%m-%dT%H:%M:%S'))}")
        if after is not None:
            conditions.append(f"granule_uid > {adql_string(after)}")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"SELECT * FROM {self.table}{where} ORDER BY granule_uid"

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        resume = state if state and not state.get("complete") else {}
        after = self.options.get("after") or resume.get("after")
        self._cursor = {"paging": "keyset granule_uid", "after": after, "pages": 0, "complete": False}
        for _ in range(self.max_pages):
            params = {"REQUEST": "doQuery", "LANG": "ADQL", "FORMAT": "votable", "MAXREC": self.maxrec,
                      "QUERY": self.query(after, since)}
            response = self.get(with_query(self.sync_url, params))
            rows, status = read_votable(response.content, self.sync_url)
            self._cursor["pages"] += 1
            for row in rows:
                ref = self._ref(row)
                if ref is not None:
                    yield ref
            if not rows or (len(rows) < self.maxrec and status != OVERFLOW):
                break
            last = text(rows[-1].get("granule_uid"))
            if last is None or last == after:
                raise self.malformed(self.sync_url, "keyset paging did not advance (last granule_uid "
                                     f"{last!r}); the service ignores 'granule_uid >' or ORDER BY")
            after = last
            self._cursor["after"] = after
        else:
            raise SourceError(f"{self.name}: more than {self.max_pages} pages; raise max_pages",
                              path=self.sync_url)
        self._cursor["complete"] = True

    # ---- federated search ---------------------------------------------------------------------------
    query_service = True

    def search(self, query: Any, limit: int | None = None) -> Iterator[ProductRecord]:
        """ADQL on ``target_name``, ``instrument_host_name``, ``time_min``/``time_max`` (JD) and
        ``c1``/``c2`` for ``query`` (the source's own ``where`` is ``AND``-ed in)."""
        from .query import epntap_where

        options, where = epntap_where(query)
        own = self.options.get("where")
        if own:
            where = f"({own}) AND {where}" if where else own
        yield from self.records_with(**options, where=where)

    def _ref(self, row: Mapping[str, Any]) -> ProductRef | None:
        try:
            record = granule_record(row, archive=self.name, time_scale=self.time_scale)
        except (ValueError, TypeError) as exc:
            self.problem(self.sync_url, f"granule {row.get('granule_uid', '?')}: {exc}")
            return None
        modified = utc_time(row.get("modification_date")) or utc_time(row.get("creation_date"))
        return self.record_ref(record.uid or "", record, modified=modified)
