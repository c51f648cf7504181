"""``pds-api``: the NASA PDS Registry Search API (``https://pds.nasa.gov/api/search/1/``).

Discovery queries ``GET {base}/products`` with the query language of the API (``q=``), built from the
source's filters as ONE bracketed group (the registry's ``Search.g4`` grammar takes a single term at the
top level: ``((a) and (b))``; ``(a) and (b)`` is HTTP 400), and pages through the answer with ``sort`` +
``search-after`` (the sort values of the last product of a page). ``start`` offsets were removed from
the API in spec 1.4.0 and ``keywords`` is not implemented server-side: both are refused. Each product's
``properties`` — a flat map from PDS4 paths (``pds:Time_Coordinates.pds:start_date_time``,
``ops:Data_File_Info.ops:file_ref``, ``ref_lid_target``...) to lists of strings — become a
:class:`~archive_fed.record.ProductRecord` directly, without fetching the label; ``fetch_labels=True``
instead yields the label URLs (``ops:Label_File_Info.ops:file_ref``) for the engine to fetch and normalize.

>>> query_text(target="Moon", start="2009-01-01")
'((product_class eq "Product_Observational") and (ref_lid_target eq \
"urn:nasa:pds:context:target:satellite.earth.moon") and \
(pds:Time_Coordinates.pds:stop_date_time ge "2009-01-01T00:00:00Z"))'
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from .. import missions
from ..errors import SourceError
from ..labels import footprint as fp
from ..labels.values import is_null, number, utc_time
from ..record import PROCESSING_LEVELS, ProductRecord, format_time, pds4_uid
from ..transport import url_join
from .base import ProductRef
from .records import TARGET_LIDS, RecordSource, identity, level_from_lid, level_word, target_lid

__all__ = ["TARGET_LIDS", "PDSAPISource", "RecordSource", "product_record", "query_text"]


#: Default ``sort`` for ``search-after`` paging: harvest time, then ``lidvid`` so that products harvested
#: in the same instant still have distinct sort values (``search-after`` needs a unique order).
DEFAULT_SORT = ("ops:Harvest_Info.ops:harvest_date_time", "lidvid")

_HOST_TYPES = {"host", "spacecraft", "lander", "rover", "facility", "telescope", "laboratory"}

def _iso(value: Any, what: str) -> str:
    when = utc_time(value)
    if when is None:
        raise SourceError(f"{what}: not a date or time: {value!r}")
    return format_time(when) or ""


def _literal(value: str, what: str) -> str:
    """A ``q`` string literal: the grammar's ``STRINGVAL`` has no escape, so a ``"`` cannot be sent."""
    if '"' in value or "\n" in value or "\r" in value:
        raise SourceError(f"{what}: {value!r} cannot be written in the registry's query language "
                          "(a string literal holds no double quote or line break)")
    return f'"{value}"'


def query_text(*, target: str | None = None, start: Any = None, stop: Any = None, since: Any = None,
               product_class: str | None = "Product_Observational", q: str | None = None) -> str:
    """The ``q=`` expression for the filters: one bracketed group ``((a) and (b) …)`` at the top level
    (NASA-PDS/registry-api ``Search.g4``: ``query : queryTerm EOF``), or ``""`` without filters.

    ``start``/``stop`` keep products whose observation interval overlaps [start, stop]; ``since`` keeps
    products (re)harvested into the registry since then; ``q`` is ``and``-ed in as given.
    """
    clauses = []
    if product_class:
        clauses.append(f"product_class eq {_literal(product_class, 'product_class')}")
    if target:
        clauses.append(f"ref_lid_target eq {_literal(target_lid(target), 'target')}")
    if start is not None:
        clauses.append(f'pds:Time_Coordinates.pds:stop_date_time ge "{_iso(start, "start")}"')
    if stop is not None:
        clauses.append(f'pds:Time_Coordinates.pds:start_date_time le "{_iso(stop, "stop")}"')
    if since is not None:
        clauses.append(f'ops:Harvest_Info.ops:harvest_date_time ge "{_iso(since, "since")}"')
    if q and q.strip():
        clauses.append(q.strip())
    groups = [c if _is_group(c) else f"({c})" for c in clauses]
    if len(groups) <= 1:
        return groups[0] if groups else ""
    return "(" + " and ".join(groups) + ")"


def _is_group(text: str) -> bool:
    """Whether ``text`` is one parenthesised group: ``(a or b)`` yes, ``(a) or (b)`` no (it needs
    parentheses before it is ``and``-ed with other clauses)."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth, quoted = 0, False
    for position, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0 and position < len(text) - 1:
                return False
    return depth == 0


# ---------------------------------------------------------------------------------------------------
# properties → record
# ---------------------------------------------------------------------------------------------------
class _Properties:
    """Typed access to a product's ``properties`` (values are lists of strings; scalars tolerated)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def all(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        return [str(v).strip() for v in values if v is not None and not is_null(str(v))]

    def first(self, key: str) -> str | None:
        values = self.all(key)
        return values[0] if values else None

    def ending(self, suffix: str) -> list[str]:
        """Values of every key ending with ``suffix`` (any namespace prefix or parent class)."""
        out: list[str] = []
        for key in self.data:
            if key.endswith(suffix):
                out.extend(self.all(key))
        return out

    def matching(self, pattern: str) -> str | None:
        regex = re.compile(pattern)
        for key in self.data:
            if regex.search(key):
                value = self.first(key)
                if value is not None:
                    return value
        return None


def _context_name(lid: str | None) -> str | None:
    """The name in a context LID: ``…:instrument_host:spacecraft.lro`` → ``lro``,
    ``…:investigation:mission.lunar_x`` → ``lunar x``."""
    if not lid:
        return None
    tail = lid.split("::", 1)[0].rsplit(":", 1)[-1]
    return tail.split(".", 1)[-1].replace("_", " ")


def _mission(investigations: list[str], inv_refs: list[str], hosts: list[str], host_refs: list[str],
             lid: str) -> str | None:
    for name in investigations:
        slug = missions.resolve_mission(name) or missions.mission_from_host(name)
        if slug:
            return slug
    for ref in inv_refs + host_refs:
        name = _context_name(ref)
        slug = missions.resolve_mission(name) or missions.mission_from_host(name)
        if slug:
            return slug
    for host in hosts:
        slug = missions.mission_from_host(host)
        if slug:
            return slug
    slug = missions.mission_from_identifier(lid)
    if slug:
        return slug
    return missions.slugify(investigations[0]) if investigations else None


def _instrument(slug: str | None, names: list[str], refs: list[str]) -> str | None:
    known = missions.get(slug).instruments if slug and missions.get(slug) else {}
    for candidate in [*names, *(_context_name(r) for r in refs)]:
        canonical = missions.canonical_instrument(slug, candidate) if candidate else None
        if canonical and canonical in known:
            return canonical
    if names:
        return missions.canonical_instrument(slug, names[0])
    name = _context_name(refs[0]) if refs else None
    return missions.canonical_instrument(slug, name) if name else None


def _canonical_level(text: str | None) -> str | None:
    if not text:
        return None
    key = missions.alias_key(text)
    return next((level for level in PROCESSING_LEVELS if missions.alias_key(level) == key), None)


def _footprint(props: _Properties) -> fp.BBox:
    sides = [number(props.matching(rf"Bounding_Coordinates\.[a-z0-9_]+:{side}_bounding_coordinate$"))
             for side in ("west", "east", "south", "north")]
    if all(v is not None for v in sides):
        return fp.from_bounds(*sides)  # type: ignore[arg-type]
    for place in ("Lander_Location", "Rover_Location", "Landing_Site"):
        lon = number(props.matching(rf"{place}\.[a-z0-9_]+:longitude$"))
        lat = number(props.matching(rf"{place}\.[a-z0-9_]+:latitude$"))
        if lon is not None and lat is not None:
            return fp.point(lon, lat)
    return fp.NO_FOOTPRINT


def product_record(product: Mapping[str, Any], *, base_url: str, archive: str = "pds-api") -> ProductRecord:
    """A record from one product of a Search API answer (``Accept: application/json``).

    File references (``ops:…file_ref``) that are not absolute URLs are resolved against ``base_url``.
    Raises ``ValueError`` when the product has no identifier.
    """
    props = _Properties(product.get("properties") or {})
    lidvid = props.first("lidvid") or product.get("id")
    lid = props.first("pds:Identification_Area.pds:logical_identifier") or (
        str(lidvid).split("::", 1)[0] if lidvid else None)
    if not lid:
        raise ValueError("product has neither lidvid nor logical_identifier")
    vid = props.first("pds:Identification_Area.pds:version_id") or (
        str(lidvid).split("::", 1)[1] if lidvid and "::" in str(lidvid) else None)

    names = props.all("pds:Observing_System_Component.pds:name")
    kinds = props.all("pds:Observing_System_Component.pds:type")
    pairs = list(zip(names, kinds, strict=True)) if len(names) == len(kinds) else [(n, "") for n in names]
    hosts = [n for n, k in pairs if k.lower() in _HOST_TYPES]
    instruments = [n for n, k in pairs if k.lower() == "instrument"]
    slug = _mission(props.all("pds:Investigation_Area.pds:name"), props.all("ref_lid_investigation"),
                    hosts, props.all("ref_lid_instrument_host"), lid)
    instrument = _instrument(slug, instruments, props.all("ref_lid_instrument"))

    target_names = props.all("pds:Target_Identification.pds:name") or [
        _context_name(r) or r for r in props.all("ref_lid_target")]
    targets = missions.canonical_targets(target_names)

    level_text = props.first("pds:Primary_Result_Summary.pds:processing_level")
    native = (next(iter(props.ending(":product_level")), None)
              or next((w for w in map(level_word, props.ending(":product_type")) if w), None) or level_text)
    level = _canonical_level(level_text) or missions.pds4_level(slug, native) or level_from_lid(lid)

    label = (props.first("ops:Label_File_Info.ops:file_ref")
             or (product.get("metadata") or {}).get("label_url"))
    data_urls = [url_join(base_url, ref) for ref in props.all("ops:Data_File_Info.ops:file_ref")]
    sizes = [int(v) for v in map(number, props.all("ops:Data_File_Info.ops:file_size")) if v is not None]
    product_id = next(iter(props.ending(":product_id")), None) or next(iter(props.ending(".PRODUCT_ID")), None)
    data_set_id = next(iter(props.ending(":data_set_id")), None) or next(iter(props.ending(".DATA_SET_ID")),
                                                                          None)
    if data_set_id and product_id and not lid.startswith("urn:"):
        # a PDS3 product served under its PDS3 identity: the uid every PDS3 source gives it
        ident = identity(data_set_id=data_set_id, product_id=product_id, vid=vid)
    else:
        ident = {"uid": pds4_uid(lid, vid), "lid": lid, "vid": vid, "label_format": "PDS4",
                 "product_id": product_id or (lid.rsplit(":", 1)[-1] if lid.startswith("urn:") else lid)}
    return ProductRecord(
        metadata_source="service", **ident,
        title=props.first("pds:Identification_Area.pds:title") or product.get("title"),
        mission=slug, agency=missions.agency(slug), instrument_host=hosts[0] if hosts else None,
        instrument=instrument, targets=targets,
        target="Moon" if "Moon" in targets else (targets[0] if targets else None),
        processing_level=level, processing_level_native=native,
        start_time=utc_time(props.first("pds:Time_Coordinates.pds:start_date_time")
                            or product.get("start_date_time")),
        stop_time=utc_time(props.first("pds:Time_Coordinates.pds:stop_date_time")
                           or product.get("stop_date_time")),
        **_footprint(props)._asdict(),
        label_url=url_join(base_url, label) if label else None, data_urls=list(dict.fromkeys(data_urls)),
        file_size=sum(sizes) if sizes else None,
        md5=(props.first("ops:Data_File_Info.ops:md5_checksum") or "").lower() or None, archive=archive,
    )


#: Properties :func:`product_record` reads (asked for explicitly when the user restricts ``fields``).
RECORD_FIELDS = (
    "lidvid", "product_class", "pds:Identification_Area.pds:logical_identifier",
    "pds:Identification_Area.pds:version_id", "pds:Identification_Area.pds:title",
    "pds:Time_Coordinates.pds:start_date_time", "pds:Time_Coordinates.pds:stop_date_time",
    "pds:Primary_Result_Summary.pds:processing_level", "pds:Investigation_Area.pds:name",
    "pds:Observing_System_Component.pds:name", "pds:Observing_System_Component.pds:type",
    "pds:Target_Identification.pds:name", "ref_lid_target", "ref_lid_instrument", "ref_lid_instrument_host",
    "ref_lid_investigation", "ops:Label_File_Info.ops:file_ref", "ops:Data_File_Info.ops:file_ref",
    "ops:Data_File_Info.ops:file_size", "ops:Data_File_Info.ops:md5_checksum",
    "ops:Harvest_Info.ops:harvest_date_time",
    "cart:Bounding_Coordinates.cart:west_bounding_coordinate",
    "cart:Bounding_Coordinates.cart:east_bounding_coordinate",
    "cart:Bounding_Coordinates.cart:south_bounding_coordinate",
    "cart:Bounding_Coordinates.cart:north_bounding_coordinate",
)


# ---------------------------------------------------------------------------------------------------
# the source
# ---------------------------------------------------------------------------------------------------
def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


class PDSAPISource(RecordSource):
    """The NASA PDS Registry Search API, paged by ``search-after``.

    Options
    -------
    target : str
        ``"Moon"`` (or any context LID): ``ref_lid_target eq "…"``. None (the generic source) for all.
    start, stop : date or time
        Observation interval overlapping [start, stop].
    q : str
        More query language, ``and``-ed with the filters (one term: a comparison or a bracketed group).
    fields : str or list
        Properties to return; the ones records need are always added.
    product_class : str
        Default ``Product_Observational``; None for every class (bundles, collections, documents...).
    limit : int
        Products per page (default 100).
    sort : str or list
        Sort fields for ``search-after`` paging (default harvest time, then lidvid).
    search_after : list
        Resume after these sort values (a previous run's ``cursor()["search_after"]``).
    fetch_labels : bool
        Yield the label URLs instead of records: the engine fetches and normalizes every label.
    """

    name = "pds-api"
    reached = "query service"
    protocol = "NASA PDS Registry Search API (api/search/1: q=, search-after paging, JSON properties)"
    description = "any PDS Registry Search API: products straight from their registry properties"
    default_target: ClassVar[str | None] = None

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        if not self.url.endswith("/"):
            self.url += "/"
        options = self.options
        self.target = options.get("target", self.default_target)
        self.limit = int(options.get("limit", 100))
        if self.limit < 1:
            raise SourceError(f"{self.name}: limit must be >= 1")
        self.paging = options.get("paging", "search-after")
        if self.paging != "search-after":
            raise SourceError(f"{self.name}: paging {self.paging!r} is not available: 'start' offsets were "
                              "removed from the Search API in spec 1.4.0 (a server ignores them and answers "
                              "page 1 again); pages go by sort + search-after")
        if options.get("keywords"):
            raise SourceError(f"{self.name}: 'keywords' is not implemented by the registry server (it would "
                              "answer every product); filter with q, e.g. 'title like \"*LROC*\"'")
        self.sort = _names(options.get("sort")) or list(DEFAULT_SORT)
        self.fetch_labels = bool(options.get("fetch_labels", False))
        if self.target:
            target_lid(self.target)  # unknown names fail now, not at the first request

    @property
    def products_url(self) -> str:
        return url_join(self.url, "products")

    def params(self, since: _dt.datetime | None = None) -> dict[str, Any]:
        """The query parameters common to every page."""
        o = self.options
        params: dict[str, Any] = {"limit": self.limit}
        q = query_text(target=self.target, start=o.get("start"), stop=o.get("stop"), since=since,
                       product_class=o.get("product_class", "Product_Observational"), q=o.get("q"))
        if q:
            params["q"] = q
        fields = _names(o.get("fields"))
        if fields:
            params["fields"] = ",".join(dict.fromkeys([*fields, *RECORD_FIELDS, *self.sort]))
        params["sort"] = ",".join(self.sort)
        return params

    def discover(self, *, since: _dt.datetime | None = None, state: dict[str, Any] | None = None
                 ) -> Iterator[ProductRef]:
        state = state or {}
        resume = state if state and not state.get("complete") else {}
        after = self.options.get("search_after") or resume.get("search_after")
        base = self.params(since)
        self._cursor = {"paging": self.paging, "sort": self.sort,
                        "search_after": list(after) if after else None, "pages": 0,
                        "hits": None, "complete": False}
        for _ in range(self.max_pages):
            params = dict(base)
            if after:
                params["search-after"] = ",".join(str(v) for v in after)
            answer = self.get_json(self.products_url, params=params)
            products, hits = self._page(answer)
            self._cursor["pages"] += 1
            self._cursor["hits"] = hits
            for product in products:
                ref = self._ref(product)
                if ref is not None:
                    yield ref
            if len(products) < self.limit:
                break
            last = self._sort_values(products[-1])
            if after is not None and list(last) == list(after):
                raise self.malformed(self.products_url, "search-after did not advance (the server ignores "
                                     f"it); sort values {last!r}")
            after = last
            self._cursor["search_after"] = list(after)
        else:
            raise SourceError(f"{self.name}: more than {self.max_pages} pages; raise max_pages",
                              path=self.products_url)
        self._cursor["complete"] = True

    # ---- one page ---------------------------------------------------------------------------------
    def _page(self, answer: Any) -> tuple[list[Mapping[str, Any]], int | None]:
        if not isinstance(answer, dict) or not isinstance(answer.get("data", None), list):
            kind = type(answer).__name__
            keys = ", ".join(sorted(answer)) if isinstance(answer, dict) else kind
            raise self.malformed(self.products_url, f"expected a JSON object with a 'data' list, got {keys}")
        summary = answer.get("summary") if isinstance(answer.get("summary"), dict) else {}
        hits = summary.get("hits")
        return answer["data"], int(hits) if isinstance(hits, (int, float)) else None

    def _sort_values(self, product: Mapping[str, Any]) -> list[str]:
        props = product.get("properties") if isinstance(product, dict) else None
        values = []
        for field in self.sort:
            value = _Properties(props or {}).first(field)
            if value is None and field == "lidvid" and isinstance(product, dict):
                value = product.get("id")
            if value is None:
                raise self.malformed(self.products_url, f"the last product of a page has no {field!r}: "
                                     "cannot page with search-after")
            values.append(value)
        return values

    def _ref(self, product: Any) -> ProductRef | None:
        where = self.products_url
        if not isinstance(product, dict) or not isinstance(product.get("properties", {}), dict):
            self.problem(where, f"product is not a JSON object with properties: {str(product)[:80]!r}")
            return None
        props = _Properties(product.get("properties") or {})
        harvested = utc_time(props.first("ops:Harvest_Info.ops:harvest_date_time")
                             or (product.get("metadata") or {}).get("update_date_time"))
        if self.fetch_labels:
            label = props.first("ops:Label_File_Info.ops:file_ref") or (product.get("metadata") or {}).get(
                "label_url")
            key = props.first("lidvid") or product.get("id")
            if not label or not key:
                self.problem(where, f"product {key or '?'} has no label file reference")
                return None
            return ProductRef(key=str(key), url=url_join(self.url, label), modified=harvested)
        try:
            record = product_record(product, base_url=self.url, archive=self.name)
        except (ValueError, TypeError) as exc:
            self.problem(where, f"product {product.get('id', '?')}: {exc}")
            return None
        return self.record_ref(record.uid or "", record, modified=harvested)

    # ---- federated search ---------------------------------------------------------------------------
    query_service = True

    def search(self, query: Any, limit: int | None = None) -> Iterator[ProductRecord]:
        """The filters as one bracketed ``q`` group on target, investigation, time and
        ``cart:Bounding_Coordinates`` properties (the source's own ``q`` is ``and``-ed in)."""
        from .query import pds_api_q

        q = pds_api_q(query, product_class=self.options.get("product_class", "Product_Observational"),
                      target=self.target)
        own = self.options.get("q")
        if own:
            q = f"({q} and ({own}))" if q else own
        yield from self.records_with(q=q or None, target=None, product_class=None, fetch_labels=False)

