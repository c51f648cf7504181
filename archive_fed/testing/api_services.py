"""Loopback JSON API services for the API sources, over products built from real labels of the corpus
(``../shared/corpus``) and the sample archive.

Each service is a route callable for :class:`archive_fed.testing.servers.ArchiveServer` that speaks its
protocol the way the documentation describes it — query parameters, paging, answer shapes, error answers:

* :class:`PDSRegistry` — NASA PDS Registry Search API ``/api/search/1/products``: the ``q`` grammar of
  the registry's ``Search.g4`` (one term at the top level; anything else is HTTP 400), ``sort`` +
  ``search-after``, ``limit``, ``fields``; ``keywords`` and ``start`` are ignored as the real server does;
  answers ``{"summary": …, "data": [product…]}`` whose
  ``properties`` map PDS4 paths to lists of strings (:func:`label_properties` flattens a PDS4 label so).
* :class:`ODEService` — ODE REST ``/live2/?query=product&…&output=JSON`` with ``offset`` (from 1)/``limit``;
  ``Status: ERROR`` without ``ihid``+``iid``+``pt``; ``query=iipt`` lists the valid combinations; a single
  product comes back as a bare object, none as ``"No Products Found"``.

The VOTable services (EPN-TAP, PDAP) are in :mod:`archive_fed.testing.tap_services`; the paging and fault
machinery all of them share is :class:`archive_fed.testing.paged.PagedService`.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import Any

from lxml import etree

import archive_fed as af

from .corpus import CORPUS, SAMPLE
from .paged import PagedService

PDS_NS = "http://pds.nasa.gov/pds4/pds/v1"
PREFIXES = {PDS_NS: "pds", "http://pds.nasa.gov/pds4/cart/v1": "cart", "http://pds.nasa.gov/pds4/geom/v1": "geom"}
MOON_LID = "urn:nasa:pds:context:target:satellite.earth.moon"
REF_TYPES = {"data_to_target": "ref_lid_target", "is_instrument": "ref_lid_instrument",
             "is_instrument_host": "ref_lid_instrument_host", "data_to_investigation": "ref_lid_investigation"}

LRO_LABELS = ("M102600893LC_VALID.xml", "M102600893LE_VALID.xml", "M102601080CC_VALID.xml",
              "M102601080CE_VALID.xml", "NAC_DTM_A12LMAS_VALID.xml", "lend_rdr_dld_20240615.xml")
KPLO_LABELS = ("M045317224S.xml", "M049920561S.xml")
LRO_PDS3_LABELS = ("M103595705LE_pds3.lbl", "nacl.lbl", "wac0000a1c4_cropped.lbl")


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)



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


def api_product(props: dict[str, list[str]]) -> dict[str, Any]:
    """One product of a Search API answer (``Accept: application/json``) around its properties, in the
    shape of NASA-PDS/pds-api ``docs/source/guides/search/responses.rst`` (``metadata`` holds
    ``label_url``, ``update_date_time``, ``version``; ``node_name`` only in the pds4+json form)."""
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
        "metadata": {"label_url": first["ops:Label_File_Info.ops:file_ref"],
                     "update_date_time": first["ops:Harvest_Info.ops:harvest_date_time"],
                     "version": first["pds:Identification_Area.pds:version_id"]},
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
# NASA-PDS/registry-api ``lexer/.../Search.g4`` (restated, not copied):
#   query      := term EOF                      -- exactly ONE term at the top level
#   term       := comparison | like | exists | group
#   group      := [NOT] "(" expression ")"
#   expression := term (AND term)+ | term (OR term)+ | term     -- no mixing of and/or in one group
#   comparison := fields (eq|ne|gt|ge|lt|le) (NUMBER | STRING)  -- operators case-insensitive
#   like       := fields LIKE STRING ;  exists := EXISTS fields
#   fields     := FIELD | ALL "(" FIELD ")" | ANY "(" FIELD ")"
#   STRING     := '"' [^"\r\n]* '"' (no escapes) ; NUMBER := -?[0-9]+(.[0-9]*)? ; FIELD := [A-Za-z_*][A-Za-z0-9_.:/*]*
# So ``(a) and (b)`` is a syntax error (HTTP 400), ``((a) and (b))`` and ``a eq "x"`` are fine.
_TOKEN = re.compile(r'\s*(?:(\()|(\))|("[^"\r\n]*")|(-?[0-9]+(?:\.[0-9]*)?)(?![A-Za-z_.:/*])|'
                    r'([A-Za-z_*][A-Za-z0-9_.:/*]*))')
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}
_KEYWORDS = _OPS | {"and", "or", "like", "exists", "all", "any"}


class QueryError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"token recognition error at: {text[pos:pos + 20]!r}")
        pos = match.end()
        paren_open, paren_close, string, number, word = match.groups()
        if paren_open:
            out.append(("(", "("))
        elif paren_close:
            out.append((")", ")"))
        elif string is not None:
            out.append(("str", string[1:-1]))
        elif number is not None:
            out.append(("num", number))
        elif word in ("NOT", "not"):
            out.append(("not", word))
        elif word.lower() in _KEYWORDS:
            out.append((word.lower(), word))
        else:
            out.append(("field", word))
    return out


def _key(text: str) -> Any:
    try:
        return (0, parse_time(text)) if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else (1, float(text))
    except ValueError:
        return (2, text)


def _compare(values: list[str], op: str, literal: str, quantifier: str = "any") -> bool:
    right = _key(literal)

    def one(value: str) -> bool:
        if op == "like":
            return fnmatch.fnmatchcase(value.lower(), literal.lower())
        left = _key(value)
        if left[0] != right[0]:
            return op == "ne"
        return {"eq": left == right, "ne": left != right, "gt": left > right, "ge": left >= right,
                "lt": left < right, "le": left <= right}[op]

    results = [one(v) for v in values]
    if op == "ne" or quantifier == "all":
        return bool(results) and all(results) if quantifier == "all" else all(results)
    return any(results)


def compile_query(text: str) -> Callable[[dict[str, list[str]]], bool]:
    """A predicate over properties for a ``q`` expression; :class:`QueryError` for whatever the
    registry's grammar rejects."""
    tokens = _tokens(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def take(*kinds: str) -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise QueryError(f"mismatched input '<EOF>' expecting {' or '.join(kinds)}")
        kind, value = tokens[pos]
        if kinds and kind not in kinds:
            raise QueryError(f"mismatched input {value!r} expecting {' or '.join(kinds)}")
        pos += 1
        return kind, value

    def fields() -> tuple[str, str]:
        if peek() in ("all", "any"):
            quantifier = take()[0]
            take("(")
            name = take("field")[1]
            take(")")
            return quantifier, name
        return "any", take("field")[1]

    def term() -> Callable:
        if peek() in ("not", "("):
            negate = peek() == "not"
            if negate:
                take()
            take("(")
            parts, joiner = [term()], None
            while peek() in ("and", "or"):
                word = take()[0]
                if joiner is not None and word != joiner:
                    raise QueryError(f"extraneous input {word!r}: and/or mixed in one group")
                joiner = word
                parts.append(term())
            take(")")
            combine = any if joiner == "or" else all
            return (lambda p: not combine(f(p) for f in parts)) if negate else (
                lambda p: combine(f(p) for f in parts))
        if peek() == "exists":
            take()
            _, name = fields()
            return lambda p: bool(p.get(name))
        quantifier, name = fields()
        if peek() == "like":
            take()
            literal = take("str")[1]
            return lambda p: _compare(p.get(name, []), "like", literal, quantifier)
        op = take(*sorted(_OPS))[0]
        literal = take("str", "num")[1]
        return lambda p: _compare(p.get(name, []), op, literal, quantifier)

    predicate = term()
    if pos != len(tokens):
        raise QueryError(f"extraneous input {tokens[pos][1]!r} expecting <EOF>")
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
            # the error document of NASA-PDS/registry-api's postman collection: url, resource, query, message
            return 400, {"Content-Type": "application/json"}, {
                "url": self.path, "resource": "/products", "query": f"q={params['q']}",
                "message": f"The given query string 'q' is not valid: {exc}"}
        limit = int(params.get("limit", 100))
        hits = [p for p in self.products if predicate(p["properties"])]
        # ``keywords`` is not implemented server-side: it changes nothing (ARCHIVES.md, checked 2026-12)
        sort = [f for f in params.get("sort", "").split(",") if f] if self.search_after else []

        def sort_key(product: dict[str, Any]) -> tuple:
            return tuple((product["properties"].get(f) or [""])[0] for f in sort)

        if sort:
            hits.sort(key=sort_key)
        total = len(hits)
        if params.get("search-after") and sort:
            after = tuple(params["search-after"].split(","))
            if len(after) != len(sort):
                return 400, {}, {"message": "search-after needs one value per sort field"}
            hits = [p for p in hits if sort_key(p) > after]
        # no ``start``: removed from the API in spec 1.4.0 (NASA-PDS/pds-api specs/…-1.4.0-swagger.yaml
        # lists fields, keywords, limit, q, sort, search-after only), so a start offset is ignored
        page = hits[:limit]
        fields = [f for f in params.get("fields", "").split(",") if f]
        if fields:
            page = [{**p, "properties": {k: v for k, v in p["properties"].items() if k in fields}} for p in page]
        summary = {"q": params.get("q", ""), "hits": total, "took": 3, "limit": limit, "sort": sort,
                   "properties": fields}
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
            "pdsid": pid, "ihid": "LRO", "iid": "LROC", "pt": "EDRWAC4" if pid.endswith("CE") else "EDRNAC4",
            "Data_Set_Id": data_set,
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
                 "Type": "Product", "URL": f"{folder}.LBL"},
                {"Description": "BROWSE IMAGE", "FileName": f"{pid}.jpg", "KBytes": "90", "Type": "Browse",
                 "URL": f"{folder}.jpg"},
            ]},
        })
    return out


class ODEService(PagedService):
    """``GET /live2/?query=product&…&output=JSON`` over ``products``, strict like ODE REST:

    * a product query needs ``ihid`` + ``iid`` + ``pt`` (or ``pdsid``/``odeid``), else ``Status: ERROR``;
    * ``offset`` counts from 1 (pdssp/pds_crawler pages ODE from ``offset=1``, built on the ODE REST
      V2.1 manual): ``offset=k`` answers products k, k+1, …;
    * ``query=iipt&odemetadb=moon`` lists the instrument host / instrument / product type sets
      (``ODEResults.IIPTSets.IIPTSet``: ``ODEMetaDB IHID IHName IID IName PT PTName DataSetId
      NumberProducts ValidFootprints``), derived from the products plus ``extra_sets``.
    """

    path = "/live2/"

    def __init__(self, products: list[dict[str, Any]], *, extra_sets: Sequence[dict[str, Any]] = (),
                 **faults: Any) -> None:
        super().__init__(**faults)
        self.products = products
        self.extra_sets = list(extra_sets)

    def routes(self) -> dict[str, Any]:
        return {self.path: self}

    def iipt_sets(self) -> list[dict[str, Any]]:
        sets: dict[tuple[str, str, str], dict[str, Any]] = {}
        for p in self.products:
            key = (p["ihid"], p["iid"], p["pt"])
            entry = sets.setdefault(key, {
                "ODEMetaDB": p["Target_name"].upper(), "IHID": p["ihid"], "IHName": "Lunar Reconnaissance Orbiter",
                "IID": p["iid"], "IName": "Lunar Reconnaissance Orbiter Camera", "PT": p["pt"],
                "PTName": p["pt"], "DataSetId": p["Data_Set_Id"], "NumberProducts": "0", "ValidFootprints": "T"})
            entry["NumberProducts"] = str(int(entry["NumberProducts"]) + 1)
        return [*sets.values(), *self.extra_sets]

    def answer(self, params: dict[str, str]) -> tuple:
        if params.get("output", "").upper() != "JSON":
            return 200, {}, {"ODEResults": {"Status": "ERROR", "Error": "Unsupported output"}}
        if params.get("query") == "iipt":
            body = params.get("odemetadb", "").upper()
            listed = [s for s in self.iipt_sets() if not body or s["ODEMetaDB"].upper() == body]
            return 200, {}, {"ODEResults": {"Status": "Success", "IIPTSets": {"IIPTSet": listed}}}
        if params.get("query") != "product":
            return 200, {}, {"ODEResults": {"Status": "ERROR", "Error": "Unsupported query"}}
        if not (params.get("pdsid") or params.get("odeid")) and not all(params.get(k) for k in ("ihid", "iid", "pt")):
            return 200, {}, {"ODEResults": {"Status": "ERROR",
                                            "Error": "IHID, IID, and PT are required if PDSID or ODEID not set"}}
        hits = [p for p in self.products if p["Target_name"].lower() == params.get("target", "").lower()]
        for name in ("ihid", "iid", "pt", "pdsid"):
            if params.get(name):
                hits = [p for p in hits if p[name].lower() == params[name].lower()]
        if "minlat" in params:
            hits = [p for p in hits if float(p["Maximum_latitude"]) >= float(params["minlat"])
                    and float(p["Minimum_latitude"]) <= float(params["maxlat"])
                    and float(p["Easternmost_longitude"]) >= float(params["westernlon"])
                    and float(p["Westernmost_longitude"]) <= float(params["easternlon"])]
        offset, limit = max(1, int(params.get("offset", 1))), int(params.get("limit", 100))
        page = hits[offset - 1:offset - 1 + limit]
        root: dict[str, Any] = {"Count": str(len(hits)), "Status": "Success"}
        if not page:
            root["Products"] = "No Products Found"
        else:
            root["Products"] = {"Product": page[0] if len(page) == 1 else page}
        return 200, {}, {"ODEResults": root}

    def malformed(self, params: dict[str, str]) -> tuple:
        return 200, {}, {"ODEResults": {"Status": "ERROR", "Error": "Invalid IIPT combination"}}
