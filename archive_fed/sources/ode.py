"""``ode``: the PDS Geosciences Node's Orbital Data Explorer REST interface (``oderest``).

Discovery asks ``{base}?query=product&target=moon&results=fmp&output=JSON`` (``results`` letters: ``f``
product files, ``m`` product metadata, ``p`` PDS identifiers) with optional ``ihid``/``iid``/``pt``, a
bounding box (``westernlon``/``easternlon``/``minlat``/``maxlat``) and observation times
(``minobtime``/``maxobtime``), and pages with ``offset`` (0-based) + ``limit`` until a page comes back
short. The JSON root ``ODEResults`` holds ``Status``, ``Count`` and ``Products.Product`` — a list, or a bare
object when there is one product (the same holds for ``Product_files.Product_file``).

Records follow the PDS3 identity rules: ``uid = Data_Set_Id/pdsid`` (a PDS4 product, with ``Product_lid``,
gets ``lid::vid``).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import Any

from .. import missions
from ..errors import SourceError
from ..labels import footprint as fp
from ..labels.values import number, text, utc_time
from ..record import ProductRecord
from .base import ProductRef
from .records import RecordSource, pds3_level

__all__ = ["ODESource", "as_list", "ode_record", "pds3_level"]

DATA_TYPES = {"product", "data", "primary", "image"}
LABEL_TYPES = {"label", "pds3 label", "pds4 label"}


def as_list(value: Any) -> list[Any]:
    """ODE collapses one-element lists into a bare object (and says "No products found" as text)."""
    if value is None or isinstance(value, str):
        return []
    return list(value) if isinstance(value, list) else [value]


def _mission(host: str | None, data_set_id: str | None, lid: str | None) -> str | None:
    return (missions.mission_from_host(host) or missions.mission_from_identifier(data_set_id)
            or missions.mission_from_identifier(lid) or (missions.slugify(host) if host else None))


def ode_record(product: Mapping[str, Any], *, archive: str = "ode", target: str | None = None
               ) -> ProductRecord:
    """A record from one ``ODEResults.Products.Product`` object. Raises ``ValueError`` without an id."""
    pdsid = text(product.get("pdsid"))
    data_set = text(product.get("Data_Set_Id"))
    lid = text(product.get("Product_lid") or product.get("LID"))
    vid = text(product.get("Product_version_id"))
    if lid:
        uid = f"{lid}::{vid}" if vid else lid
        identity = {"uid": uid, "lid": lid, "vid": vid,
                    "product_id": pdsid or lid.rsplit(":", 1)[-1], "label_format": "PDS4"}
    elif pdsid and data_set:
        identity = {"uid": f"{data_set}/{pdsid}", "lid": f"{data_set}/{pdsid}", "vid": vid,
                    "product_id": pdsid, "label_format": "PDS3"}
    else:
        raise ValueError("product has no pdsid + Data_Set_Id (nor a Product_lid)")
    host = text(product.get("ihid"))
    slug = _mission(host, data_set, lid)
    native, level = pds3_level(slug, data_set, text(product.get("pt")))

    files = [f for f in as_list((product.get("Product_files") or {}).get("Product_file")
                                if isinstance(product.get("Product_files"), dict) else None)
             if isinstance(f, dict) and text(f.get("URL"))]
    kinds = [(text(f.get("Type")) or "").lower() for f in files]
    data = [f for f, kind in zip(files, kinds, strict=True) if kind in DATA_TYPES]
    label_url = text(product.get("LabelURL")) or next(
        (text(f.get("URL")) for f, kind in zip(files, kinds, strict=True) if kind in LABEL_TYPES), None)
    sizes = [number(f.get("KBytes")) for f in data]
    known = [s for s in sizes if s is not None]

    box = [number(product.get(k)) for k in ("Westernmost_longitude", "Easternmost_longitude",
                                             "Minimum_latitude", "Maximum_latitude")]
    if all(v is not None for v in box):
        bbox = fp.from_bounds(*box)  # type: ignore[arg-type]
    else:
        lon, lat = number(product.get("Center_longitude")), number(product.get("Center_latitude"))
        bbox = fp.point(lon, lat) if lon is not None and lat is not None else fp.NO_FOOTPRINT
    targets = missions.canonical_targets([text(product.get("Target_name")) or target])
    return ProductRecord(
        metadata_source="service",
        **identity, title=text(product.get("Product_title")), mission=slug, agency=missions.agency(slug),
        instrument_host=host, instrument=missions.canonical_instrument(slug, text(product.get("iid"))),
        targets=targets, target="Moon" if "Moon" in targets else (targets[0] if targets else None),
        processing_level=level, processing_level_native=native,
        start_time=utc_time(product.get("UTC_start_time") or product.get("Observation_time")),
        stop_time=utc_time(product.get("UTC_stop_time")), **bbox._asdict(), label_url=label_url,
        data_urls=list(dict.fromkeys(text(f["URL"]) for f in data)),
        file_size=round(sum(known) * 1024) if known else None, archive=archive,
    )


class ODESource(RecordSource):
    """PDS Geosciences ODE REST, paged by ``offset``/``limit``.

    Options
    -------
    target : str
        ODE target (default ``moon``).
    ihid, iid, pt : str
        Instrument host, instrument and product type ids (``LRO``, ``LROC``, ``CDRNAC4``).
    bbox : (west, south, east, north)
        Footprint filter (degrees east, 0–360), sent as ``westernlon``/``minlat``/``easternlon``/``maxlat``.
    start, stop : date or time
        Observation time filter (``minobtime``/``maxobtime``).
    results : str
        ODE ``results`` letters (default ``fmp``: files, metadata, PDS identifiers).
    limit : int
        Products per page (default 100).
    """

    name = "ode"
    protocol = "PDS Geosciences ODE REST (query=product, output=JSON, offset/limit paging)"
    description = "PDS Geosciences Orbital Data Explorer: LRO, Clementine, LP, Chandrayaan-1, GRAIL, LADEE..."
    default_url = "https://oderest.rsl.wustl.edu/live2/"

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        self.limit = int(self.options.get("limit", 100))
        if self.limit < 1:
            raise SourceError(f"{self.name}: limit must be >= 1")

    def params(self) -> dict[str, Any]:
        o = self.options
        params: dict[str, Any] = {"query": "product", "target": o.get("target", "moon"),
                                  "results": o.get("results", "fmp"), "output": "JSON", "limit": self.limit}
        for name in ("ihid", "iid", "pt"):
            if o.get(name):
                params[name] = o[name]
        if o.get("bbox"):
            west, south, east, north = (float(v) for v in o["bbox"])
            params.update(westernlon=west % 360.0, easternlon=east % 360.0 or (360.0 if east else 0.0),
                          minlat=south, maxlat=north)
        for option, name in (("start", "minobtime"), ("stop", "maxobtime")):
            when = utc_time(o.get(option)) if o.get(option) is not None else None
            if when is not None:
                params[name] = when.strftime("%Y-%m-%dT%H:%M:%S")
        return params

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        resume = state if state and not state.get("complete") else {}
        offset = int(resume.get("offset", self.options.get("offset", 0)) or 0)
        base = self.params()
        self._cursor = {"paging": "offset", "offset": offset, "pages": 0, "count": None, "complete": False}
        for _ in range(self.max_pages):
            answer = self.transport.get_json(self.url, params={**base, "offset": offset})
            products, count = self._page(answer)
            self._cursor["pages"] += 1
            self._cursor["count"] = count
            for product in products:
                ref = self._ref(product)
                if ref is not None:
                    yield ref
            offset += len(products)
            self._cursor["offset"] = offset
            if len(products) < self.limit:
                break
        self._cursor["complete"] = True

    def _page(self, answer: Any) -> tuple[list[Any], int | None]:
        root = answer.get("ODEResults") if isinstance(answer, dict) else None
        if not isinstance(root, dict):
            raise self.malformed(self.url, "no ODEResults object in the JSON answer")
        status = str(root.get("Status", "")).strip()
        if status.lower() != "success":
            reason = text(root.get("Error")) or text(root.get("ErrorMessage")) or status or "no Status"
            raise self.malformed(self.url, f"ODE status {status or '?'}: {reason}")
        count = number(root.get("Count"))
        products = root.get("Products")
        if products is None or isinstance(products, str):  # "No Products Found"
            return [], int(count) if count is not None else None
        if not isinstance(products, dict):
            raise self.malformed(self.url, f"Products is a {type(products).__name__}, not an object")
        return as_list(products.get("Product")), int(count) if count is not None else None

    def _ref(self, product: Any) -> ProductRef | None:
        if not isinstance(product, dict):
            self.problem(self.url, f"product is not a JSON object: {str(product)[:80]!r}")
            return None
        try:
            record = ode_record(product, archive=self.name, target=self.options.get("target", "moon"))
        except (ValueError, TypeError) as exc:
            self.problem(self.url, f"product {product.get('pdsid', '?')}: {exc}")
            return None
        modified = utc_time(product.get("Product_creation_time"))
        return self.record_ref(record.uid or "", record, modified=modified)

    # ---- federated search ---------------------------------------------------------------------------
    query_service = True

    def search(self, query: Any, limit: int | None = None) -> Iterator[ProductRecord]:
        """ODE's own filters (``ihid``/``iid``, ``target``, ``minlat``…/``westernlon``…, ``minobtime``…) for
        ``query``; a box across 0° is asked as two boxes and products of both are yielded once."""
        from ..federated.query import ode_options

        seen: set[str] = set()
        for options in ode_options(query, self.options.get("target", "moon")):
            for record in self.records_with(**options):
                if record.uid not in seen:
                    seen.add(record.uid or "")
                    yield record

