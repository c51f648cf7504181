"""Fixture builders and loopback services for the API sources.

Each service is a route callable for :class:`tests.servers.ArchiveServer` that speaks its protocol the way
the documentation describes it — query parameters, paging, answer shapes, error answers — over products
built from real labels of the corpus (``../shared/corpus``) and the sample archive:

* :class:`PDSRegistry` — NASA PDS Registry Search API ``/api/search/1/products``: the ``q`` query language
  (``eq ne gt ge lt le like``, ``and or not``, parentheses), ``sort`` + ``search-after``, ``start``,
  ``limit``, ``fields``, ``keywords``; answers ``{"summary": …, "data": [product…]}`` whose
  ``properties`` map PDS4 paths to lists of strings (:func:`label_properties` flattens a PDS4 label so).
* :class:`ODEService` — ODE REST ``/live2/?query=product&…&output=JSON`` with ``offset``/``limit``; a single
  product comes back as a bare object, none as ``"No Products Found"``.
* :class:`EPNTAPService` — TAP ``/tap/sync`` with an ADQL subset (``SELECT * FROM t WHERE a = 'x' AND
  b > 'y' … ORDER BY granule_uid``), ``MAXREC`` truncation with ``QUERY_STATUS=OVERFLOW``, and an optional
  service row limit below ``MAXREC``.
* :class:`PDAPService` — IPDA PDAP ``/pdap/metadata`` with ``RESOURCE_CLASS=DATA_SET|PRODUCT``,
  ``PAGE_SIZE``/``PAGE_NUMBER``, ``RETURN_TYPE=VOTABLE`` and ``RESOURCE.COLUMN`` names.

Every service counts the pages it served and can fail a given page once with a 503 (``fail_pages``) or
answer it with garbage (``malformed_pages``), so tests can break paging in the middle.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import html
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

import archive_fed as af
from tests.conftest import CORPUS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "archive_fed" / "sample"
PDS_NS = "http://pds.nasa.gov/pds4/pds/v1"
PREFIXES = {PDS_NS: "pds", "http://pds.nasa.gov/pds4/cart/v1": "cart", "http://pds.nasa.gov/pds4/geom/v1": "geom"}
MOON_LID = "urn:nasa:pds:context:target:satellite.earth.moon"
REF_TYPES = {"data_to_target": "ref_lid_target", "is_instrument": "ref_lid_instrument",
             "is_instrument_host": "ref_lid_instrument_host", "data_to_investigation": "ref_lid_investigation"}

LRO_LABELS = ("M102600893LC_VALID.xml", "M102600893LE_VALID.xml", "M102601080CC_VALID.xml",
              "M102601080CE_VALID.xml", "NAC_DTM_A12LMAS_VALID.xml", "lend_rdr_dld_20240615.xml")
KPLO_LABELS = ("M045317224S.xml", "M049920561S.xml")
LRO_PDS3_LABELS = ("M103595705LE_pds3.lbl", "nacl.lbl", "wac0000a1c4_cropped.lbl")
KAGUYA_PDS3_LABELS = ("TC1S2B0_01_06691S820E0465_pds3.lbl", "MVA_2B2_01_02329N002E0302_pds3.lbl",
                      "TC1S2B0_01_00811N526E0443_mini.lbl")


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# ===================================================================================================
# paging services: the shared fault machinery
# ===================================================================================================
class PagedService:
    """A route callable counting the pages it serves; ``fail_pages`` answer 503 once, ``malformed_pages``
    answer garbage (page numbers count from 1, in the order pages are served)."""

    def __init__(self, *, fail_pages: Iterable[int] = (), malformed_pages: Iterable[int] = ()) -> None:
        self.fail_pages = set(fail_pages)
        self.malformed_pages = set(malformed_pages)
        self.pages_served = 0
        self.failed: list[int] = []
        self.queries: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> tuple:
        with self._lock:
            page = self.pages_served + 1
            params = {k: v[0] for k, v in request.query.items()}
            if page in self.fail_pages and page not in self.failed:
                self.failed.append(page)
                return 503, {"Retry-After": "0"}, "service busy, try again\n"
            self.pages_served = page
            self.queries.append(params)
            if page in self.malformed_pages:
                return self.malformed(params)
            return self.answer(params)

    def answer(self, params: dict[str, str]) -> tuple:
        raise NotImplementedError

    def malformed(self, params: dict[str, str]) -> tuple:
        return 200, {"Content-Type": "text/html"}, "<html><body>Proxy error: upstream said <b>bye</b></body></html>"


# ===================================================================================================
# NASA PDS Registry Search API
# ===================================================================================================
def _qname(element: etree._Element) -> str:
    """``prefix:localname`` the registry uses: pds/cart/geom for the common namespaces, else the prefix
    the label declares (``lro``)."""
    qname = etree.QName(element)
    namespace = qname.namespace or ""
    prefix = PREFIXES.get(namespace) or element.prefix or namespace.rstrip("/").split("/")[-2]
    return f"{prefix}:{qname.localname}"


def label_properties(label: bytes, *, label_url: str, harvested: dt.datetime, data_base: str | None = None
                     ) -> dict[str, list[str]]:
    """The ``properties`` the registry holds for a PDS4 label: every leaf element as
    ``ns:Parent.ns:leaf`` → list of texts, plus ``lidvid``, ``product_class``, ``ref_lid_*`` and the
    ``ops:`` label/data file and harvest information."""
    root = etree.fromstring(label)
    props: dict[str, list[str]] = {}
    for element in root.iter(etree.Element):
        if len(element) or element.getparent() is None or not (element.text or "").strip():
            continue
        key = f"{_qname(element.getparent())}.{_qname(element)}"
        props.setdefault(key, []).append(" ".join(element.text.split()))
    for ref in root.iter(f"{{{PDS_NS}}}Internal_Reference"):
        kind = ref.findtext(f"{{{PDS_NS}}}reference_type")
        lid = ref.findtext(f"{{{PDS_NS}}}lid_reference")
        if kind in REF_TYPES and lid:
            props.setdefault(REF_TYPES[kind], []).append(lid.strip())
    lid = props["pds:Identification_Area.pds:logical_identifier"][0]
    vid = props["pds:Identification_Area.pds:version_id"][0]
    props["lidvid"] = [f"{lid}::{vid}"]
    props["product_class"] = [etree.QName(root).localname]
    props["ops:Label_File_Info.ops:file_ref"] = [label_url]
    base = data_base or label_url.rsplit("/", 1)[0]
    files = [f for f in root.iter(f"{{{PDS_NS}}}File") if f.findtext(f"{{{PDS_NS}}}file_name")]
    props["ops:Data_File_Info.ops:file_ref"] = [f"{base}/{f.findtext(f'{{{PDS_NS}}}file_name')}" for f in files]
    sizes = [f.findtext(f"{{{PDS_NS}}}file_size") for f in files]
    props["ops:Data_File_Info.ops:file_size"] = [s.strip() for s in sizes if s]
    md5s = [f.findtext(f"{{{PDS_NS}}}md5_checksum") for f in files]
    props["ops:Data_File_Info.ops:md5_checksum"] = [m.strip() for m in md5s if m]
    props["ops:Harvest_Info.ops:harvest_date_time"] = [iso(harvested)]
    return {k: v for k, v in props.items() if v}


def api_product(props: dict[str, list[str]], *, node: str = "PDS_IMG") -> dict[str, Any]:
    """One product of a Search API answer (``Accept: application/json``) around its properties."""
    def refs(key: str) -> list[dict[str, str]]:
        return [{"id": lid, "href": f"/products/{lid}"} for lid in props.get(key, [])]

    first = {k: (v[0] if v else None) for k, v in props.items()}
    return {
        "id": first["lidvid"], "type": first["product_class"],
        "title": first.get("pds:Identification_Area.pds:title"),
        "start_date_time": first.get("pds:Time_Coordinates.pds:start_date_time"),
        "stop_date_time": first.get("pds:Time_Coordinates.pds:stop_date_time"),
        "investigations": refs("ref_lid_investigation"), "targets": refs("ref_lid_target"),
        "observing_system_components": refs("ref_lid_instrument_host") + refs("ref_lid_instrument"),
        "metadata": {"label_url": first["ops:Label_File_Info.ops:file_ref"], "node_name": node,
                     "update_date_time": first["ops:Harvest_Info.ops:harvest_date_time"]},
        "properties": props,
    }


def _retarget(props: dict[str, list[str]], suffix: str, start: dt.datetime, seconds: float,
              bbox: Sequence[float] | None) -> dict[str, list[str]]:
    """A variant of a real product: another LID (``…_<suffix>``), observation time and footprint."""
    out = {k: list(v) for k, v in props.items()}
    lid = out["pds:Identification_Area.pds:logical_identifier"][0] + f"_{suffix}"
    vid = out["pds:Identification_Area.pds:version_id"][0]
    out["pds:Identification_Area.pds:logical_identifier"] = [lid]
    out["lidvid"] = [f"{lid}::{vid}"]
    out["pds:Time_Coordinates.pds:start_date_time"] = [iso(start)]
    out["pds:Time_Coordinates.pds:stop_date_time"] = [iso(start + dt.timedelta(seconds=seconds))]
    if bbox is not None:
        west, south, east, north = bbox
        for side, value in (("west", west), ("east", east), ("south", south), ("north", north)):
            out[f"cart:Bounding_Coordinates.cart:{side}_bounding_coordinate"] = [f"{value:.4f}"]
    return out


def registry_products(n: int, *, mission: str = "lro", base_url: str = "http://archive.invalid",
                      start: dt.datetime = dt.datetime(2009, 7, 19, tzinfo=dt.timezone.utc),
                      step: dt.timedelta = dt.timedelta(days=3), bbox: Callable[[int], Sequence[float]] | None = None,
                      harvested: dt.datetime = dt.datetime(2023, 5, 26, 5, 53, 24, tzinfo=dt.timezone.utc),
                      same_harvest_time: int = 1) -> list[dict[str, Any]]:
    """``n`` products cloned from real labels (LRO corpus labels, or the sample archive's KPLO ShadowCam
    labels): LIDs, times and footprints vary; ``same_harvest_time`` products share each harvest time (the
    registry loads products in batches), which ``search-after`` paging must survive."""
    if mission == "lro":
        paths = [CORPUS / "lro" / name for name in LRO_LABELS]
    else:
        paths = [SAMPLE / "pds4_bundle" / "kplo_shadowcam" / name for name in KPLO_LABELS]
    reals = [label_properties(p.read_bytes(), label_url=f"{base_url}/{mission}/{p.name}", harvested=harvested)
             for p in paths]
    products = []
    for i in range(n):
        when = harvested + dt.timedelta(seconds=i // max(1, same_harvest_time))
        props = _retarget(reals[i % len(reals)], f"{i:04d}", start + i * step, 60.0,
                          bbox(i) if bbox else None)
        props["ops:Harvest_Info.ops:harvest_date_time"] = [iso(when)]
        products.append(api_product(props))
    return products


# ---- the query language --------------------------------------------------------------------------
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')
_OPS = {"eq", "ne", "gt", "ge", "lt", "le", "like"}


class QueryError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"cannot parse query at {text[pos:pos + 20]!r}")
        pos = match.end()
        if match.group(1):
            out.append(("(", "("))
        elif match.group(2):
            out.append((")", ")"))
        elif match.group(3) is not None:
            out.append(("str", match.group(3)))
        elif match.group(4):
            out.append(("word", match.group(4)))
    return out


def _compare(values: list[str], op: str, literal: str) -> bool:
    def key(text: str) -> Any:
        try:
            return (0, parse_time(text)) if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else (1, float(text))
        except ValueError:
            return (2, text)

    right = key(literal)
    results = []
    for value in values:
        left = key(value)
        if op == "like":
            results.append(fnmatch.fnmatchcase(value.lower(), literal.lower().replace("%", "*")))
        elif left[0] != right[0]:
            results.append(op == "ne")
        else:
            results.append({"eq": left == right, "ne": left != right, "gt": left > right,
                            "ge": left >= right, "lt": left < right, "le": left <= right}[op])
    if op == "ne":
        return all(results)
    return any(results)


def compile_query(text: str) -> Callable[[dict[str, list[str]]], bool]:
    """A predicate over properties for a ``q`` expression (raises :class:`QueryError`)."""
    tokens = _tokens(text)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise QueryError("unexpected end of query")
        pos += 1
        return tokens[pos - 1]

    def or_expr() -> Callable:
        parts = [and_expr()]
        while peek() == ("word", "or"):
            take()
            parts.append(and_expr())
        return lambda p: any(f(p) for f in parts)

    def and_expr() -> Callable:
        parts = [not_expr()]
        while peek() == ("word", "and"):
            take()
            parts.append(not_expr())
        return lambda p: all(f(p) for f in parts)

    def not_expr() -> Callable:
        if peek() == ("word", "not"):
            take()
            inner = not_expr()
            return lambda p: not inner(p)
        return atom()

    def atom() -> Callable:
        kind, value = take()
        if kind == "(":
            inner = or_expr()
            if take()[0] != ")":
                raise QueryError("missing )")
            return inner
        if kind != "word":
            raise QueryError(f"expected a field, got {value!r}")
        op_kind, op = take()
        if op_kind != "word" or op not in _OPS:
            raise QueryError(f"unknown operator {op!r}")
        lit_kind, literal = take()
        if lit_kind not in ("str", "word"):
            raise QueryError("expected a literal")
        field = value
        return lambda p: _compare(p.get(field, []), op, literal)

    predicate = or_expr()
    if pos != len(tokens):
        raise QueryError(f"unexpected {tokens[pos][1]!r}")
    return predicate


class PDSRegistry(PagedService):
    """``GET /api/search/1/products`` over ``products`` (see the module docstring)."""

    path = "/api/search/1/products"

    def __init__(self, products: list[dict[str, Any]], *, search_after: bool = True, **faults: Any) -> None:
        super().__init__(**faults)
        self.products = products
        self.search_after = search_after

    def routes(self) -> dict[str, Any]:
        return {self.path: self}

    def answer(self, params: dict[str, str]) -> tuple:
        try:
            predicate = compile_query(params["q"]) if params.get("q") else (lambda p: True)
        except QueryError as exc:
            return 400, {}, {"message": f"bad q: {exc}"}
        limit = int(params.get("limit", 100))
        hits = [p for p in self.products if predicate(p["properties"])]
        words = [w.lower() for w in params.get("keywords", "").split(",") if w]
        if words:
            hits = [p for p in hits if any(w in (p.get("title") or "").lower() for w in words)]
        sort = [f for f in params.get("sort", "").split(",") if f] if self.search_after else []

        def sort_key(product: dict[str, Any]) -> tuple:
            return tuple((product["properties"].get(f) or [""])[0] for f in sort)

        if sort:
            hits.sort(key=sort_key)
        total = len(hits)
        start = 0
        if params.get("search-after") and sort:
            after = tuple(params["search-after"].split(","))
            if len(after) != len(sort):
                return 400, {}, {"message": "search-after needs one value per sort field"}
            hits = [p for p in hits if sort_key(p) > after]
        elif params.get("start"):
            start = int(params["start"])
        page = hits[start:start + limit]
        fields = [f for f in params.get("fields", "").split(",") if f]
        if fields:
            page = [{**p, "properties": {k: v for k, v in p["properties"].items() if k in fields}} for p in page]
        summary = {"q": params.get("q", ""), "hits": total,
                   "took": 3, "start": start, "limit": limit, "sort": sort, "properties": fields}
        return 200, {}, {"summary": summary, "data": page}


# ===================================================================================================
# ODE REST
# ===================================================================================================
def ode_products(n: int, *, base_url: str = "http://archive.invalid",
                 start: dt.datetime = dt.datetime(2009, 8, 1, tzinfo=dt.timezone.utc),
                 bbox: Callable[[int], Sequence[float]] | None = None) -> list[dict[str, Any]]:
    """``n`` ODE product objects modelled on the corpus LROC PDS3 labels (ids, data set, instrument)."""
    labels = [af.read_label(CORPUS / "lro" / name) for name in LRO_PDS3_LABELS]
    out = []
    for i in range(n):
        label = labels[i % len(labels)]
        data_set = str(label["DATA_SET_ID"])
        pid = f"{str(label['PRODUCT_ID'])[:-6]}{i:04d}{str(label['PRODUCT_ID'])[-2:]}"
        begin = start + dt.timedelta(hours=5 * i)
        if bbox:
            west, south, east, north = bbox(i)
        else:
            west, south = (i * 11.7) % 360.0, -60.0 + (i * 7) % 120
            east, north = (west + 0.4) % 360.0, south + 5.0
        folder = f"{base_url}/lro/{data_set.lower()}/DATA/{pid}"
        out.append({
            "pdsid": pid, "ihid": "LRO", "iid": "LROC", "pt": "EDRNAC4", "Data_Set_Id": data_set,
            "PDSVolume_Id": "LROLRC_0001", "Target_name": "MOON", "Product_version_id": "1",
            "UTC_start_time": begin.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
            "UTC_stop_time": (begin + dt.timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
            "Product_creation_time": "2010-03-15T00:00:00.000",
            "Westernmost_longitude": f"{west:.4f}", "Easternmost_longitude": f"{east:.4f}",
            "Minimum_latitude": f"{south:.4f}", "Maximum_latitude": f"{north:.4f}",
            "Center_latitude": f"{(south + north) / 2:.4f}",
            "LabelURL": f"{folder}.LBL",
            "Product_files": {"Product_file": [
                {"Description": "PRODUCT DATA FILE", "FileName": f"{pid}.IMG", "KBytes": "258269",
                 "Type": "Product", "URL": f"{folder}.IMG"},
                {"Description": "PRODUCT LABEL FILE", "FileName": f"{pid}.LBL", "KBytes": "4",
                 "Type": "Label", "URL": f"{folder}.LBL"},
                {"Description": "BROWSE IMAGE", "FileName": f"{pid}.jpg", "KBytes": "90", "Type": "Browse",
                 "URL": f"{folder}.jpg"},
            ]},
        })
    return out


class ODEService(PagedService):
    """``GET /live2/?query=product&…&output=JSON`` over ``products``."""

    path = "/live2/"

    def __init__(self, products: list[dict[str, Any]], **faults: Any) -> None:
        super().__init__(**faults)
        self.products = products

    def routes(self) -> dict[str, Any]:
        return {self.path: self}

    def answer(self, params: dict[str, str]) -> tuple:
        if params.get("query") != "product" or params.get("output", "").upper() != "JSON":
            return 200, {}, {"ODEResults": {"Status": "ERROR", "Error": "Unsupported query or output"}}
        hits = [p for p in self.products if p["Target_name"].lower() == params.get("target", "").lower()]
        for name in ("ihid", "iid", "pt"):
            if params.get(name):
                hits = [p for p in hits if p[name].lower() == params[name].lower()]
        if "minlat" in params:
            hits = [p for p in hits if float(p["Maximum_latitude"]) >= float(params["minlat"])
                    and float(p["Minimum_latitude"]) <= float(params["maxlat"])
                    and float(p["Easternmost_longitude"]) >= float(params["westernlon"])
                    and float(p["Westernmost_longitude"]) <= float(params["easternlon"])]
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        page = hits[offset:offset + limit]
        root: dict[str, Any] = {"Count": str(len(hits)), "Status": "Success"}
        if not page:
            root["Products"] = "No Products Found"
        else:
            root["Products"] = {"Product": page[0] if len(page) == 1 else page}
        return 200, {}, {"ODEResults": root}

    def malformed(self, params: dict[str, str]) -> tuple:
        return 200, {}, {"ODEResults": {"Status": "ERROR", "Error": "Invalid IIPT combination"}}


# ===================================================================================================
# VOTables (EPN-TAP, PDAP)
# ===================================================================================================
def votable(columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]], *, status: str = "OK",
            trailing_status: str | None = None, message: str = "") -> bytes:
    """A TAP-style VOTable: ``columns`` are (name, datatype) with datatype ``char``/``double``/``int``."""
    fields = "\n".join(
        f'<FIELD name="{html.escape(n)}" datatype="{t}"' + (' arraysize="*"' if t == "char" else "") + "/>"
        for n, t in columns)

    def cell(value: Any) -> str:
        return "" if value is None else html.escape(str(value))

    body = "\n".join("<TR>" + "".join(f"<TD>{cell(r.get(n))}</TD>" for n, _ in columns) + "</TR>" for r in rows)
    table = "" if status == "ERROR" else (
        f"<TABLE>\n{fields}\n<DATA><TABLEDATA>\n{body}\n</TABLEDATA></DATA>\n</TABLE>")
    trailer = f'<INFO name="QUERY_STATUS" value="{trailing_status}"/>' if trailing_status else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="1.3" '
            f'xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n<RESOURCE type="results">\n'
            f'<INFO name="QUERY_STATUS" value="{status}">{html.escape(message)}</INFO>\n{table}\n{trailer}\n'
            f"</RESOURCE>\n</VOTABLE>\n").encode()


VOTABLE_TYPE = {"Content-Type": "application/x-votable+xml"}


# ===================================================================================================
# EPN-TAP
# ===================================================================================================
EPN_COLUMNS = [
    ("granule_uid", "char"), ("granule_gid", "char"), ("obs_id", "char"), ("dataproduct_type", "char"),
    ("target_name", "char"), ("target_class", "char"), ("time_min", "double"), ("time_max", "double"),
    ("time_scale", "char"), ("c1min", "double"), ("c1max", "double"), ("c2min", "double"),
    ("c2max", "double"), ("spatial_frame_type", "char"), ("instrument_host_name", "char"),
    ("instrument_name", "char"), ("measurement_type", "char"), ("processing_level", "int"),
    ("access_url", "char"), ("access_format", "char"), ("access_estsize", "int"), ("creation_date", "char"),
    ("modification_date", "char"), ("release_date", "char"), ("service_title", "char"),
]
JD_UNIX_EPOCH = 2440587.5


def julian_day(when: dt.datetime) -> float:
    return JD_UNIX_EPOCH + when.timestamp() / 86400.0


def smart1_granules(n: int, *, base_url: str = "http://archive.invalid",
                    start: dt.datetime = dt.datetime(2005, 1, 10, tzinfo=dt.timezone.utc),
                    bbox: Callable[[int], Sequence[float]] | None = None) -> list[dict[str, Any]]:
    """``n`` SMART-1 AMIE granules as the PSA lists them in ``epn_core`` (PDS3 product identifiers
    ``DATA_SET_ID:DATA:FILE``, CODMAC level 2, Julian-day times in UTC, body-fixed footprints)."""
    rows = []
    for i in range(n):
        begin = start + dt.timedelta(hours=7 * i)
        if bbox:
            west, south, east, north = bbox(i)
        else:
            west, south = (i * 23.0) % 360.0, -70.0 + (i * 9) % 140
            east, north = (west + 2.0) % 360.0, south + 3.0
        data_set = "S1-L-X-AMIE-2-EDR-V1.0"
        obs = f"AMI_EE3_{begin:%y%m%d}_{i:05d}_00010"
        rows.append({
            "granule_uid": f"{data_set}:DATA:{obs}.IMG", "granule_gid": data_set, "obs_id": obs,
            "dataproduct_type": "im", "target_name": "Moon", "target_class": "satellite",
            "time_min": julian_day(begin), "time_max": julian_day(begin + dt.timedelta(seconds=10)),
            "time_scale": "UTC", "c1min": west, "c1max": east, "c2min": south, "c2max": north,
            "spatial_frame_type": "body", "instrument_host_name": "SMART-1", "instrument_name": "AMIE",
            "measurement_type": "phot.flux.density", "processing_level": 2,
            "access_url": f"{base_url}/psa/smart1/{obs}.IMG", "access_format": "application/x-pds",
            "access_estsize": 1025, "creation_date": "2008-03-01T00:00:00", "modification_date":
                f"2019-06-{1 + i % 28:02d}T00:00:00", "release_date": "2008-03-01T00:00:00",
            "service_title": "psa",
        })
    return rows


_FROM = re.compile(r"^SELECT \* FROM (\S+)(?: WHERE (.*?))? ORDER BY granule_uid$", re.DOTALL)
_CONDITION = re.compile(r"^(\w+)\s*(>=|<=|<>|=|>|<)\s*('(?:[^']|'')*'|-?[0-9.]+)$")


def _split_and(text: str, word: str = " AND ") -> list[str]:
    parts, depth, quote, start = [], 0, False, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and text[i:i + len(word)].upper() == word:
            parts.append(text[start:i])
            start = i + len(word)
            i += len(word) - 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def adql_predicate(where: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate for the ADQL WHERE subset the sources send (raises ValueError)."""
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for part in _split_and(where or ""):
        if part.startswith("(") and part.endswith(")"):
            alternatives = _split_and(part[1:-1], word=" OR ")
            if len(alternatives) > 1:   # (a OR b OR ...): any alternative
                options = [adql_predicate(a) for a in alternatives]
                checks.append(lambda row, options=options: any(o(row) for o in options))
            else:
                checks.append(adql_predicate(part[1:-1]))
            continue
        match = _CONDITION.match(part)
        if not match:
            raise ValueError(f"unsupported ADQL condition: {part}")
        column, op, literal = match.groups()
        value: Any = literal[1:-1].replace("''", "'") if literal.startswith("'") else float(literal)

        def check(row: dict[str, Any], column: str = column, op: str = op, value: Any = value) -> bool:
            cell = row.get(column)
            if cell is None:
                return False
            return {"=": cell == value, "<>": cell != value, ">": cell > value, "<": cell < value,
                    ">=": cell >= value, "<=": cell <= value}[op]

        checks.append(check)
    return lambda row: all(c(row) for c in checks)


class EPNTAPService(PagedService):
    """``GET /tap/sync`` answering ADQL on ``table`` from ``rows``; ``row_limit`` is the service's own cap."""

    path = "/tap/sync"

    def __init__(self, rows: list[dict[str, Any]], *, table: str = "epn_core", row_limit: int | None = None,
                 **faults: Any) -> None:
        super().__init__(**faults)
        self.rows = sorted(rows, key=lambda r: r["granule_uid"])
        self.table = table
        self.row_limit = row_limit

    def routes(self) -> dict[str, Any]:
        return {self.path: self}

    def answer(self, params: dict[str, str]) -> tuple:
        if params.get("REQUEST") != "doQuery" or params.get("LANG") != "ADQL":
            return 200, VOTABLE_TYPE, votable([], [], status="ERROR", message="REQUEST=doQuery&LANG=ADQL needed")
        match = _FROM.match(params.get("QUERY", "").strip())
        if not match or match.group(1) != self.table:
            return 200, VOTABLE_TYPE, votable([], [], status="ERROR",
                                              message=f"cannot parse query or no table {self.table}")
        try:
            predicate = adql_predicate(match.group(2))
        except ValueError as exc:
            return 200, VOTABLE_TYPE, votable([], [], status="ERROR", message=str(exc))
        hits = [r for r in self.rows if predicate(r)]
        limit = int(params.get("MAXREC", 10**9))
        if self.row_limit is not None:
            limit = min(limit, self.row_limit)
        page = hits[:limit]
        overflow = "OVERFLOW" if len(hits) > limit else None
        return 200, VOTABLE_TYPE, votable(EPN_COLUMNS, page, trailing_status=overflow)


# ===================================================================================================
# PDAP
# ===================================================================================================
def kaguya_pdap_products(n: int, *, base_url: str = "http://archive.invalid",
                         bbox: Callable[[int], Sequence[float]] | None = None) -> list[dict[str, Any]]:
    """``n`` PDAP ``PRODUCT`` rows modelled on the corpus Kaguya PDS3 labels (``PRODUCT.*`` columns)."""
    labels = [af.normalize(af.read_label(CORPUS / "kaguya" / name)) for name in KAGUYA_PDS3_LABELS]
    raw = [af.read_label(CORPUS / "kaguya" / name) for name in KAGUYA_PDS3_LABELS]
    rows = []
    for i in range(n):
        rec, label = labels[i % len(labels)], raw[i % len(raw)]
        pid = f"{rec.product_id[:-4]}{i:04d}"
        start = rec.start_time + dt.timedelta(days=i)
        west, south, east, north = bbox(i) if bbox else (rec.lon_min, rec.lat_min, rec.lon_max, rec.lat_max)
        data_set = str(label["DATA_SET_ID"])
        rows.append({
            "PRODUCT.DATA_SET_ID": data_set, "PRODUCT.PRODUCT_ID": pid,
            "PRODUCT.PRODUCT_NAME": str(label.get("DATA_SET_NAME", "")) or None,
            "PRODUCT.START_TIME": start.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "PRODUCT.STOP_TIME": (start + dt.timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "PRODUCT.INSTRUMENT_ID": str(label["INSTRUMENT_ID"]),
            "PRODUCT.INSTRUMENT_HOST_NAME": str(label.get("INSTRUMENT_HOST_NAME", "SELENE MAIN ORBITER")),
            "PRODUCT.MISSION_NAME": "SELENE", "PRODUCT.TARGET_NAME": "MOON",
            "PRODUCT.WESTERNMOST_LONGITUDE": west, "PRODUCT.EASTERNMOST_LONGITUDE": east,
            "PRODUCT.MINIMUM_LATITUDE": south, "PRODUCT.MAXIMUM_LATITUDE": north,
            "PRODUCT.PRODUCT_CREATION_TIME": "2017-10-01T00:00:00",
            "PRODUCT.DATA_ACCESS_REFERENCE": f"{base_url}/pds3/{data_set.lower()}/data/{pid}.img",
            "PRODUCT.LABEL_URL": f"{base_url}/pds3/{data_set.lower()}/data/{pid}.lbl",
        })
    return rows


PDAP_PRODUCT_COLUMNS = [(name, "double" if name.split(".")[1].endswith(("LONGITUDE", "LATITUDE")) else "char")
                        for name in (
                            "PRODUCT.DATA_SET_ID", "PRODUCT.PRODUCT_ID", "PRODUCT.PRODUCT_NAME",
                            "PRODUCT.START_TIME", "PRODUCT.STOP_TIME", "PRODUCT.INSTRUMENT_ID",
                            "PRODUCT.INSTRUMENT_HOST_NAME", "PRODUCT.MISSION_NAME", "PRODUCT.TARGET_NAME",
                            "PRODUCT.WESTERNMOST_LONGITUDE", "PRODUCT.EASTERNMOST_LONGITUDE",
                            "PRODUCT.MINIMUM_LATITUDE", "PRODUCT.MAXIMUM_LATITUDE",
                            "PRODUCT.PRODUCT_CREATION_TIME", "PRODUCT.DATA_ACCESS_REFERENCE",
                            "PRODUCT.LABEL_URL")]
PDAP_DATA_SET_COLUMNS = [("DATA_SET.DATA_SET_ID", "char"), ("DATA_SET.DATA_SET_NAME", "char"),
                         ("DATA_SET.TARGET_NAME", "char")]


class PDAPService(PagedService):
    """``GET /pdap/metadata`` over product rows (data sets derived from them)."""

    path = "/pdap/metadata"

    def __init__(self, products: list[dict[str, Any]], *, other_targets: Sequence[tuple[str, str]] = (),
                 **faults: Any) -> None:
        super().__init__(**faults)
        self.products = products
        self.other_targets = list(other_targets)   # (data set id, target) of data sets to filter out

    def routes(self) -> dict[str, Any]:
        return {self.path: self}

    def answer(self, params: dict[str, str]) -> tuple:
        if params.get("RETURN_TYPE", "").upper() != "VOTABLE":
            return 400, {}, "RETURN_TYPE must be VOTABLE here\n"
        size = int(params.get("PAGE_SIZE", 100))
        number = int(params.get("PAGE_NUMBER", 1))
        target = params.get("TARGET_NAME", "").upper()
        if params.get("RESOURCE_CLASS") == "DATA_SET":
            sets = {r["PRODUCT.DATA_SET_ID"]: r["PRODUCT.TARGET_NAME"] for r in self.products}
            sets.update(dict(self.other_targets))
            rows = [{"DATA_SET.DATA_SET_ID": k, "DATA_SET.DATA_SET_NAME": k.replace("-", " "),
                     "DATA_SET.TARGET_NAME": v} for k, v in sorted(sets.items()) if not target or v == target]
            return 200, VOTABLE_TYPE, votable(PDAP_DATA_SET_COLUMNS, rows[(number - 1) * size:number * size])
        if params.get("RESOURCE_CLASS") != "PRODUCT":
            return 200, VOTABLE_TYPE, votable([], [], status="ERROR", message="unknown RESOURCE_CLASS")
        hits = [r for r in self.products if (not target or r["PRODUCT.TARGET_NAME"] == target)
                and (not params.get("DATA_SET_ID") or r["PRODUCT.DATA_SET_ID"] == params["DATA_SET_ID"])]
        return 200, VOTABLE_TYPE, votable(PDAP_PRODUCT_COLUMNS, hits[(number - 1) * size:number * size])


def json_bytes(data: Any) -> bytes:
    return json.dumps(data).encode()
