"""``ode``: the PDS Geosciences Node's Orbital Data Explorer REST interface (``oderest``).

A product query needs an instrument host, instrument and product type (``ihid`` + ``iid`` + ``pt``; ODE
answers ``Status: ERROR`` to ``target=moon`` alone), so discovery first asks ODE's own listing of the
valid combinations — ``{base}?query=iipt&odemetadb=moon&output=JSON`` (``ODEResults.IIPTSets.IIPTSet``:
``IHID IID PT DataSetId NumberProducts``…) — keeps the sets matching the ``ihid``/``iid``/``pt`` options
and holding products, then asks each one
``{base}?query=product&target=moon&ihid=…&iid=…&pt=…&results=fmp&output=JSON`` (``results`` letters:
``f`` product files, ``m`` product metadata, ``p`` PDS identifiers) with an optional bounding box
(``westernlon``/``easternlon``/``minlat``/``maxlat``) and observation times (``minobtime``/
``maxobtime``), paging with ``offset`` + ``limit`` until a page comes back short. ``offset`` counts from 1
(as pdssp/pds_crawler pages ODE; option ``first_offset`` changes it). The JSON root ``ODEResults`` holds
``Status``, ``Count`` and ``Products.Product`` — a list, or a bare object when there is one product (the
same holds for ``Product_files.Product_file``).

Files: every file of the product comes with ``Type`` ``Product`` (also the label: its ``Description`` is
``PRODUCT LABEL FILE``), ``Browse``, ``Referenced`` or ``Derived``; data files are the ``Product`` files
that are not labels (``PRODUCT DATA FILE WITH LABEL`` is data with an attached label).

Records follow the PDS3 identity rules of :func:`archive_fed.record.pds3_uid`: ``uid = Data_Set_Id/pdsid``
(a PDS4 product, with ``Product_lid``, gets ``lid::vid`` and its label from ``PDS4LabelURL``).
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
from .records import RecordSource, identity, pds3_level

__all__ = ["ODESource", "as_list", "ode_record", "pds3_level"]

DATA_TYPES = {"product", "data", "primary", "image"}
LABEL_TYPES = {"label", "pds3 label", "pds4 label"}
LABEL_SUFFIXES = (".lbl", ".xml", ".2bl", ".2cl", ".01l")


def is_label_file(entry: Mapping[str, Any]) -> bool:
    """Whether a ``Product_file`` is the product's label: ``Type`` label, or a ``Product`` file whose
    ``Description`` names a label and no data (``PRODUCT LABEL FILE``; not ``PRODUCT DATA FILE WITH
    LABEL``), or, without a description, a label file name."""
    kind = (text(entry.get("Type")) or "").lower()
    if kind in LABEL_TYPES:
        return True
    description = (text(entry.get("Description")) or "").upper()
    if description:
        return "LABEL" in description and "DATA" not in description
    return (text(entry.get("FileName")) or text(entry.get("URL")) or "").lower().endswith(LABEL_SUFFIXES)


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
    try:
        ident = identity(lid=lid, vid=vid, data_set_id=data_set, product_id=pdsid)
    except ValueError:
        raise ValueError("product has no pdsid + Data_Set_Id (nor a Product_lid)") from None
    if ident["label_format"] == "PDS4" and pdsid:
        ident["product_id"] = pdsid
    host = text(product.get("ihid"))
    slug = _mission(host, data_set, lid)
    native, level = pds3_level(slug, data_set, text(product.get("pt")))

    files = [f for f in as_list((product.get("Product_files") or {}).get("Product_file")
                                if isinstance(product.get("Product_files"), dict) else None)
             if isinstance(f, dict) and text(f.get("URL"))]
    labels = [f for f in files if is_label_file(f)]
    data = [f for f in files if f not in labels and (text(f.get("Type")) or "").lower() in DATA_TYPES]
    pds4_label = text(product.get("PDS4LabelURL"))
    label_url = (pds4_label if lid else None) or text(product.get("LabelURL")) or next(
        (text(f.get("URL")) for f in labels), None) or pds4_label
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
        **ident, title=text(product.get("Product_title")), mission=slug, agency=missions.agency(slug),
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
        Instrument host, instrument and product type ids (``LRO``, ``LROC``, ``CDRNAC4``); the sets asked
        are those of ODE's ``iipt`` listing matching the ones given.
    bbox : (west, south, east, north)
        Footprint filter (degrees east, 0–360), sent as ``westernlon``/``minlat``/``easternlon``/``maxlat``.
    start, stop : date or time
        Observation time filter (``minobtime``/``maxobtime``).
    results : str
        ODE ``results`` letters (default ``fmp``: files, metadata, PDS identifiers).
    limit : int
        Products per page (default 100).
    first_offset : int
        ``offset`` of a product type's first product (default 1).
    """

    name = "ode"
    reached = "query service"
    endpoint_confirmed = True   # pdssp/pds_crawler and other real clients use this address
    protocol = "PDS Geosciences ODE REST (query=iipt listing, then query=product per IHID/IID/PT, offset/limit)"
    description = "PDS Geosciences Orbital Data Explorer: LRO, Clementine, LP, Chandrayaan-1, GRAIL, LADEE..."
    default_url = "https://oderest.rsl.wustl.edu/live2/"

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        self.limit = int(self.options.get("limit", 100))
        if self.limit < 1:
            raise SourceError(f"{self.name}: limit must be >= 1")
        self.first_offset = int(self.options.get("first_offset", 1))

    @property
    def target(self) -> str:
        return str(self.options.get("target", "moon"))

    def params(self) -> dict[str, Any]:
        """The product-query parameters common to every page and product type."""
        o = self.options
        params: dict[str, Any] = {"query": "product", "target": self.target,
                                  "results": o.get("results", "fmp"), "output": "JSON", "limit": self.limit}
        if o.get("bbox"):
            west, south, east, north = (float(v) for v in o["bbox"])
            params.update(westernlon=west % 360.0, easternlon=east % 360.0 or (360.0 if east else 0.0),
                          minlat=south, maxlat=north)
        for option, name in (("start", "minobtime"), ("stop", "maxobtime")):
            when = utc_time(o.get(option)) if o.get(option) is not None else None
            if when is not None:
                params[name] = when.strftime("%Y-%m-%dT%H:%M:%S")
        return params

    def product_types(self) -> list[tuple[str, str, str]]:
        """The (IHID, IID, PT) sets to ask: the ``ihid``+``iid``+``pt`` options when all three are given,
        else ODE's own listing for the target (``query=iipt&odemetadb=…``) narrowed by whichever of the
        three are given, keeping the sets that hold products."""
        o = self.options
        wanted = {k: str(o[k]).upper() for k in ("ihid", "iid", "pt") if o.get(k)}
        if len(wanted) == 3:
            return [(wanted["ihid"], wanted["iid"], wanted["pt"])]
        answer = self.get_json(self.url, {"query": "iipt", "odemetadb": self.target, "output": "JSON"})
        root = self._root(answer)
        listing = root.get("IIPTSets")
        entries = as_list(listing.get("IIPTSet") if isinstance(listing, dict) else None)
        found: list[tuple[str, str, str]] = []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            ids = tuple(text(entry.get(k)) or "" for k in ("IHID", "IID", "PT"))
            if not all(ids) or any(wanted.get(k, v.upper()) != v.upper()
                                   for k, v in zip(("ihid", "iid", "pt"), ids, strict=True)):
                continue
            count = number(entry.get("NumberProducts"))
            if count is not None and count <= 0:
                continue
            if ids not in found:
                found.append(ids)    # type: ignore[arg-type]
        return found

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        resume = state if state and not state.get("complete") else {}
        sets = [tuple(s) for s in resume.get("sets") or []] or self.product_types()
        base = self.params()
        if resume.get("sets"):
            position = int(resume.get("set", 0) or 0)
            offset = int(resume.get("offset") or self.first_offset)
        else:
            position, offset = 0, int(self.options.get("offset") or self.first_offset)
        self._cursor = {"paging": "offset", "sets": [list(s) for s in sets], "set": position,
                        "offset": offset, "pages": 0, "count": None, "complete": False}
        pages = 0
        for index in range(position, len(sets)):
            ihid, iid, pt = sets[index]
            self._cursor.update(set=index, offset=offset)
            while True:
                if pages >= self.max_pages:
                    raise SourceError(f"{self.name}: more than {self.max_pages} pages; raise max_pages",
                                      path=self.url)
                answer = self.get_json(self.url, {**base, "ihid": ihid, "iid": iid, "pt": pt, "offset": offset})
                products, count = self._page(answer)
                pages += 1
                self._cursor["pages"] = pages
                self._cursor["count"] = count
                for product in products:
                    ref = self._ref(product)
                    if ref is not None:
                        yield ref
                offset += len(products)
                self._cursor["offset"] = offset
                if len(products) < self.limit:
                    break
            offset = self.first_offset
        self._cursor.update(set=len(sets), offset=self.first_offset, complete=True)

    def _root(self, answer: Any) -> dict[str, Any]:
        root = answer.get("ODEResults") if isinstance(answer, dict) else None
        if not isinstance(root, dict):
            raise self.malformed(self.url, "no ODEResults object in the JSON answer")
        status = str(root.get("Status", "")).strip()
        if status.lower() != "success":
            reason = text(root.get("Error")) or text(root.get("ErrorMessage")) or status or "no Status"
            raise self.malformed(self.url, f"ODE status {status or '?'}: {reason}")
        return root

    def _page(self, answer: Any) -> tuple[list[Any], int | None]:
        root = self._root(answer)
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
            record = ode_record(product, archive=self.name, target=self.target)
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
        from .query import ode_options

        seen: set[str] = set()
        for options in ode_options(query, self.options.get("target", "moon")):
            for record in self.records_with(**options):
                if record.uid not in seen:
                    seen.add(record.uid or "")
                    yield record

