"""``pdap``: the IPDA Planetary Data Access Protocol (PDAP), as served by ESA PSA and JAXA.

Discovery first lists data sets — ``{base}/metadata?RESOURCE_CLASS=DATA_SET&TARGET_NAME=…`` — unless
``data_set_id`` names them, then harvests each data set's products —
``RESOURCE_CLASS=PRODUCT&DATA_SET_ID=…&RETURN_TYPE=VOTABLE&PAGE_SIZE=n&PAGE_NUMBER=k`` (pages numbered
from 1) until a page comes back short. VOTable columns are matched by name without their resource
prefix and case (``PRODUCT.PRODUCT_ID`` and ``PRODUCT_ID`` are the same column).

Records follow PDS3 identity rules: ``uid = DATA_SET_ID/PRODUCT_ID`` (a ``urn:`` product id gets
``lid::vid``).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .. import missions
from ..errors import SourceError
from ..labels import footprint as fp
from ..labels.values import number, text, utc_time
from ..record import ProductRecord
from .base import ProductRef
from .records import RecordSource, identity, pds3_level
from .votable import read_votable, with_query

__all__ = ["PDAPSource", "pdap_record", "plain_columns"]


def plain_columns(row: Mapping[str, Any]) -> dict[str, Any]:
    """Column names without their ``RESOURCE.`` prefix, upper case (the first of duplicates wins)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        key = str(name).rsplit(".", 1)[-1].upper()
        if key not in out or out[key] is None:
            out[key] = value
    return out


def _first(row: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = text(row.get(name))
        if value is not None:
            return value
    return None


def _footprint(row: Mapping[str, Any]) -> fp.BBox:
    box = [number(row.get(k)) for k in ("WESTERNMOST_LONGITUDE", "EASTERNMOST_LONGITUDE",
                                        "MINIMUM_LATITUDE", "MAXIMUM_LATITUDE")]
    if all(v is not None for v in box):
        return fp.from_bounds(*box)  # type: ignore[arg-type]
    box = [number(row.get(k))
           for k in ("WEST_LONGITUDE", "EAST_LONGITUDE", "SOUTH_LATITUDE", "NORTH_LATITUDE")]
    if all(v is not None for v in box):
        return fp.from_bounds(*box)  # type: ignore[arg-type]
    lon = number(row.get("CENTER_LONGITUDE"))
    lat = number(row.get("CENTER_LATITUDE"))
    return fp.point(lon, lat) if lon is not None and lat is not None else fp.NO_FOOTPRINT


def pdap_record(row: Mapping[str, Any], *, archive: str = "pdap", data_set_id: str | None = None
                ) -> ProductRecord:
    """A record from one PDAP ``PRODUCT`` row. Raises ``ValueError`` without product or data set id."""
    row = plain_columns(row)
    data_set = _first(row, "DATA_SET_ID") or data_set_id
    product_id = _first(row, "PRODUCT_ID", "LOGICAL_IDENTIFIER")
    if not product_id:
        raise ValueError("row has no PRODUCT_ID")
    access = _first(row, "DATA_ACCESS_REFERENCE", "PRODUCT_URL", "DATA_URL", "FILE_URL")
    vid = _first(row, "PRODUCT_VERSION_ID", "VERSION_ID")
    if product_id.startswith("urn:") and "::" not in product_id and not vid and access and "::" in access:
        vid = access.rsplit("::", 1)[1]
    if not product_id.startswith("urn:") and not data_set:
        raise ValueError(f"product {product_id} has no DATA_SET_ID")
    urn = product_id.startswith("urn:")
    ident = identity(lid=product_id if urn else None, vid=vid, data_set_id=data_set,
                     product_id=None if urn else product_id)
    host = _first(row, "INSTRUMENT_HOST_NAME", "INSTRUMENT_HOST_ID", "SPACECRAFT_NAME")
    slug = (missions.resolve_mission(_first(row, "MISSION_NAME")) or missions.mission_from_host(host)
            or missions.mission_from_identifier(data_set) or missions.mission_from_identifier(product_id)
            or (missions.slugify(host) if host else None))
    native, level = pds3_level(slug, data_set, _first(row, "PROCESSING_LEVEL_ID", "PROCESSING_LEVEL"))
    instrument = _first(row, "INSTRUMENT_ID") or _first(row, "INSTRUMENT_NAME")
    targets = missions.canonical_targets([t.strip() for t in (_first(row, "TARGET_NAME") or "").split(",")])
    size = number(row.get("FILE_SIZE"))
    label = _first(row, "LABEL_URL", "LABEL_FILE_URL")
    return ProductRecord(
        metadata_source="service",
        **ident, title=_first(row, "PRODUCT_NAME", "TITLE", "DATA_SET_NAME"), mission=slug,
        agency=missions.agency(slug), instrument_host=host,
        instrument=missions.canonical_instrument(slug, instrument) if instrument else None, targets=targets,
        target="Moon" if "Moon" in targets else (targets[0] if targets else None),
        processing_level=level, processing_level_native=native,
        start_time=utc_time(_first(row, "START_TIME")), stop_time=utc_time(_first(row, "STOP_TIME")),
        **_footprint(row)._asdict(), label_url=label, data_urls=[access] if access else [],
        file_size=int(size) if size is not None else None, archive=archive,
    )


def _ids(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


class PDAPSource(RecordSource):
    """An IPDA PDAP service: data sets, then their products, paged by ``PAGE_SIZE``/``PAGE_NUMBER``.

    Options
    -------
    data_set_id : str or list
        Harvest these data sets (default: every data set the ``DATA_SET`` query lists for the target).
    target : str
        ``TARGET_NAME`` filter (default ``MOON``; None for every target).
    instrument_id, instrument_host_id : str
        ``INSTRUMENT_ID`` / ``INSTRUMENT_HOST_ID`` filters.
    start, stop : date or time
        Products starting after ``start`` / stopping before ``stop`` (``START_TIME>…`` / ``STOP_TIME<…``).
    page_size : int
        Rows per page (default 500).
    """

    name = "pdap"
    reached = "query service"
    protocol = "IPDA Planetary Data Access Protocol (metadata?RESOURCE_CLASS=DATA_SET|PRODUCT, VOTable pages)"
    description = "any IPDA PDAP service (ESA PSA, JAXA): data sets, then their products"

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        self.page_size = int(self.options.get("page_size", 500))
        if self.page_size < 1:
            raise SourceError(f"{self.name}: page_size must be >= 1")

    @property
    def metadata_url(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/metadata") else base + "/metadata"

    def filters(self) -> dict[str, Any]:
        o = self.options
        params: dict[str, Any] = {}
        target = o.get("target", "MOON")
        if target:
            params["TARGET_NAME"] = str(target).upper()
        for option, name in (("instrument_id", "INSTRUMENT_ID"),
                             ("instrument_host_id", "INSTRUMENT_HOST_ID")):
            if o.get(option):
                params[name] = o[option]
        return params

    def time_terms(self) -> str:
        """The time filters as real PDAP clients write them — ``&START_TIME>yyyy-MM-dd%20HH:mm:ss.SSS`` and
        ``&STOP_TIME<…``, comparison operators in place of ``=`` (NASA-PDS harvest-pdap's
        ``PsaRegistryClient``): products starting after ``start`` and stopping before ``stop``."""
        terms = []
        for option, name in (("start", "START_TIME>"), ("stop", "STOP_TIME<")):
            value = self.options.get(option)
            when = utc_time(value) if value is not None else None
            if when is not None:
                terms.append(f"&{name}{when:%Y-%m-%d}%20{when:%H:%M:%S}.{when.microsecond // 1000:03d}")
        return "".join(terms)

    def _pages(self, params: Mapping[str, Any], first: int = 1) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        number_ = first
        previous: list[tuple[Any, ...]] | None = None
        for _ in range(self.max_pages):
            query = {**params, "RETURN_TYPE": "VOTABLE", "PAGE_SIZE": self.page_size, "PAGE_NUMBER": number_}
            url = with_query(self.metadata_url, query) + self.time_terms()
            response = self.get(url)
            rows, _ = read_votable(response.content, self.metadata_url)
            keys = [tuple(sorted(plain_columns(row).items(), key=lambda kv: kv[0])) for row in rows]
            if previous is not None and rows and keys == previous:
                # PAGE_SIZE/PAGE_NUMBER are not confirmed for every PDAP server: one that ignores them
                # answers the first page again, and paging on would repeat it until max_pages
                raise SourceError(f"{self.name}: PAGE_NUMBER {number_} answered the same rows as page "
                                  f"{number_ - 1}: the service ignores PAGE_SIZE/PAGE_NUMBER paging; "
                                  "harvest one data set at a time with a page_size above its product count",
                                  path=url)
            previous = keys
            yield number_, rows
            if len(rows) < self.page_size:
                return
            number_ += 1
        raise SourceError(f"{self.name}: more than {self.max_pages} pages; raise max_pages",
                          path=self.metadata_url)

    def data_sets(self) -> list[str]:
        """The data sets to harvest: the ``data_set_id`` option, else those the service lists."""
        given = _ids(self.options.get("data_set_id"))
        if given:
            return given
        found: list[str] = []
        for _, rows in self._pages({"RESOURCE_CLASS": "DATA_SET", **self.filters()}):
            for row in rows:
                ident = _first(plain_columns(row), "DATA_SET_ID", "LOGICAL_IDENTIFIER")
                if ident and ident not in found:
                    found.append(ident)
        return found

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        resume = state if state and not state.get("complete") else {}
        data_sets = self.data_sets()
        self._cursor = {"paging": "PAGE_NUMBER", "data_sets": data_sets, "data_set": None, "page": 0,
                        "complete": False}
        skip_to = resume.get("data_set")
        for data_set in data_sets:
            if skip_to and data_set != skip_to:
                continue
            first = int(resume.get("page", 1) or 1) if skip_to else 1
            skip_to = None
            self._cursor.update(data_set=data_set, page=first)
            params = {"RESOURCE_CLASS": "PRODUCT", **self.filters(), "DATA_SET_ID": data_set}
            for page, rows in self._pages(params, first):
                self._cursor["page"] = page
                for row in rows:
                    ref = self._ref(row, data_set)
                    if ref is not None:
                        yield ref
        self._cursor["complete"] = True

    def _ref(self, row: Mapping[str, Any], data_set: str) -> ProductRef | None:
        try:
            record = pdap_record(row, archive=self.name, data_set_id=data_set)
        except (ValueError, TypeError) as exc:
            self.problem(self.metadata_url, f"{data_set}: {exc}")
            return None
        modified = utc_time(_first(plain_columns(row), "PRODUCT_CREATION_TIME", "MODIFICATION_DATE"))
        return self.record_ref(record.uid or "", record, modified=modified)

    # ---- federated search ---------------------------------------------------------------------------
    query_service = True

    def search(self, query: Any, limit: int | None = None) -> Iterator[ProductRecord]:
        """PDAP parameters (``TARGET_NAME``, mapped ``INSTRUMENT_HOST_ID``/``INSTRUMENT_ID``) for ``query``."""
        from .query import pdap_options

        yield from self.records_with(**pdap_options(query))

