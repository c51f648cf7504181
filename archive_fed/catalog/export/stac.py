"""Catalog → STAC (SpatioTemporal Asset Catalog) with pystac.

Layout: a root :class:`pystac.Catalog`, one :class:`pystac.Collection` per mission/instrument, one
:class:`pystac.Item` per product, saved self-contained (relative links) as
``<out>/catalog.json``, ``<out>/<collection>/collection.json``, ``<out>/<collection>/<item>/<item>.json``.

Items carry the footprint as GeoJSON in lunar longitudes [-180, 180] (split at the antimeridian, see
:mod:`.geometry`), the observation times, the Solar System extension (``ssys:targets``,
``ssys:target_class``), common metadata (``mission``, ``platform``, ``instruments``), the PDS identity
(``pds:lid``, ``pds:vid``, ``pds:product_id``, ``pds:label_format``, ``pds:processing_level``) and the
federation's own (``archive_fed:uid``, ``archive_fed:agency``, ``archive_fed:archive``). Assets: the label
(role ``metadata``) and the data files (role ``data``); an attached PDS3 label is one asset with both
roles. STAC needs a time on every item: products without an observation time get their harvest time and
``archive_fed:datetime_source = "harvested_at"`` (``"observation"`` otherwise).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from typing import TYPE_CHECKING, Any, Iterable

from ... import missions
from ...errors import CatalogError
from ...record import ProductRecord, format_time
from . import vocab
from .geometry import footprint_bbox, footprint_geometry, union_bbox

if TYPE_CHECKING:
    import pystac

    from ..core import Catalog

SSYS_EXTENSION = "https://stac-extensions.github.io/ssys/v1.1.0/schema.json"
FILE_EXTENSION = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
ROOT_ID = "archive_fed"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _pystac() -> Any:
    try:
        import pystac
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CatalogError("STAC export needs pystac: pip install pystac") from exc
    return pystac


def safe_id(text: str | None, default: str = "product") -> str:
    """An id usable as a file name: runs of characters outside ``[A-Za-z0-9._-]`` become ``_``.

    >>> safe_id("urn:nasa:pds:lro:data:m1::1.0"), safe_id("SLN-L-TC-3/TC1S2B0_01")
    ('urn_nasa_pds_lro_data_m1_1.0', 'SLN-L-TC-3_TC1S2B0_01')
    """
    cleaned = _UNSAFE.sub("_", text or "").strip("._")
    return cleaned or default


class _UniqueIds:
    """Hands out ids, appending ``-2``, ``-3`` … to a repeated one (case-insensitively, for file systems
    that fold case)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def __call__(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate.lower() in self._seen:
            n += 1
            candidate = f"{wanted}-{n}"
        self._seen.add(candidate.lower())
        return candidate


def collection_id(record: ProductRecord) -> str:
    """``<mission>-<instrument>`` in lower case (``unknown`` for a missing part)."""
    return safe_id(f"{record.mission or 'unknown'}-{(record.instrument or 'unknown').lower()}")


def _item_times(record: ProductRecord) -> tuple[_dt.datetime, dict[str, Any], str]:
    start, stop = record.start_time, record.stop_time
    if start is None and stop is None:
        stamp = record.harvested_at or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
        return stamp, {}, "harvested_at"
    first = start or stop
    last = stop or start
    assert first is not None and last is not None
    if last < first:
        first, last = last, first
    extra = {} if first == last else {"start_datetime": format_time(first), "end_datetime": format_time(last)}
    return first, extra, "observation"


def _assets(record: ProductRecord, pystac: Any) -> tuple[dict[str, Any], bool]:
    """The item's assets and whether file-extension fields were used."""
    assets: dict[str, Any] = {}
    used_file = False
    data_urls = list(record.data_urls)
    label = record.label_url
    attached = label is not None and label in data_urls
    if label and not attached:
        media = "application/xml" if record.label_format == "PDS4" else "text/plain"
        assets["label"] = pystac.Asset(href=label, title=f"{record.label_format or ''} label".strip(),
                                       media_type=media, roles=["metadata"])
    for n, url in enumerate(data_urls):
        key = "data" if n == 0 else f"data-{n + 1}"
        roles = ["data", "metadata"] if url == label else ["data"]
        extra: dict[str, Any] = {}
        if len(data_urls) == 1 and record.file_size is not None:
            extra["file:size"] = int(record.file_size)
        if n == 0 and record.md5 and record.label_format == "PDS4":
            # PDS4 md5_checksum is the file's; a PDS3 MD5_CHECKSUM may cover one object only
            extra["file:checksum"] = "d510" + record.md5.lower()
        used_file = used_file or bool(extra)
        media = "application/x-pds" if url == label else vocab.media_type(url)
        assets[key] = pystac.Asset(href=url, title=vocab.file_name(url), media_type=media, roles=roles,
                                   extra_fields=extra or None)
    return assets, used_file


def record_to_item(record: ProductRecord, item_id: str | None = None) -> "pystac.Item":
    """One STAC item for one product record."""
    pystac = _pystac()
    datetime, time_fields, time_source = _item_times(record)
    box = (record.lon_min, record.lon_max, record.lat_min, record.lat_max)
    properties: dict[str, Any] = {"title": record.title or record.product_id or record.uid, **time_fields}
    if record.mission:
        properties["mission"] = record.mission
    if record.instrument_host:
        properties["platform"] = record.instrument_host
    if record.instrument:
        properties["instruments"] = [record.instrument]
    if record.targets:
        properties["ssys:targets"] = list(record.targets)
    target_class = vocab.target_class(record.target)
    if target_class:
        properties["ssys:target_class"] = target_class
    for key, value in (("pds:lid", record.lid), ("pds:vid", record.vid),
                       ("pds:product_id", record.product_id), ("pds:label_format", record.label_format),
                       ("pds:processing_level", record.processing_level),
                       ("pds:processing_level_native", record.processing_level_native),
                       ("archive_fed:uid", record.uid), ("archive_fed:agency", record.agency),
                       ("archive_fed:archive", record.archive),
                       ("archive_fed:harvested_at", format_time(record.harvested_at))):
        if value is not None:
            properties[key] = value
    properties["archive_fed:datetime_source"] = time_source
    assets, used_file = _assets(record, pystac)
    extensions = [SSYS_EXTENSION] + ([FILE_EXTENSION] if used_file else [])
    return pystac.Item(id=item_id or safe_id(record.uid), geometry=footprint_geometry(*box),
                       bbox=footprint_bbox(*box), datetime=datetime, properties=properties,
                       stac_extensions=extensions, assets=assets)


def _collection(cid: str, records: list[ProductRecord], items: list[Any], pystac: Any) -> Any:
    first = records[0]
    mission = missions.get(first.mission) if first.mission else None
    mission_name = mission.name if mission else (first.mission or "Unknown mission")
    instrument = first.instrument or "unknown instrument"
    times = [t for item in items for t in (item.datetime, item.common_metadata.start_datetime,
                                              item.common_metadata.end_datetime) if t is not None]
    bbox = union_bbox(item.bbox for item in items) or [-180.0, -90.0, 180.0, 90.0]
    extent = pystac.Extent(pystac.SpatialExtent([bbox]), pystac.TemporalExtent([[min(times), max(times)]]))
    targets = sorted({t for r in records for t in r.targets})
    levels = sorted({r.processing_level for r in records if r.processing_level})
    providers = sorted({r.agency for r in records if r.agency})
    summaries = {"ssys:targets": targets, "pds:processing_level": levels, "instruments": [instrument]}
    collection = pystac.Collection(
        id=cid, title=f"{mission_name} {instrument}",
        description=(f"{len(records)} {mission_name} {instrument} products federated by archive_fed "
                     f"(processing levels: {', '.join(levels) or 'unknown'})."),
        extent=extent, stac_extensions=[SSYS_EXTENSION], license="other",
        providers=[pystac.Provider(name=p, roles=["producer", "licensor"]) for p in providers],
        summaries=pystac.Summaries({k: v for k, v in summaries.items() if v}),
        extra_fields={"ssys:targets": targets} if targets else None)
    collection.add_items(items)
    return collection


def build_stac(records: Iterable[ProductRecord], *, title: str = "archive_fed lunar catalog",
               description: str | None = None) -> "pystac.Catalog":
    """A root STAC catalog with one collection per mission/instrument and one item per record
    (in memory; see :func:`to_stac` to write it)."""
    pystac = _pystac()
    groups: dict[str, list[ProductRecord]] = {}
    for record in records:
        groups.setdefault(collection_id(record), []).append(record)
    root = pystac.Catalog(id=ROOT_ID, title=title, description=description or (
        "Lunar science data products from the world's archives (JAXA, CNSA, NASA, ESA, ISRO, KARI), "
        "normalized and federated by archive_fed."), stac_extensions=[SSYS_EXTENSION])
    unique = _UniqueIds()
    for cid in sorted(groups):
        records_of = groups[cid]
        items = [record_to_item(r, unique(safe_id(r.uid))) for r in records_of]
        root.add_child(_collection(cid, records_of, items, pystac))
    return root


def to_stac(catalog: "Catalog", out: str | os.PathLike, *, title: str = "archive_fed lunar catalog",
            description: str | None = None) -> "pystac.Catalog":
    """Write ``catalog`` as a self-contained STAC catalog under the folder ``out``.

    ``out`` is a folder (created) or a path ending in ``catalog.json`` (its folder is used); files of the
    same names are overwritten, other files are left alone (export into an empty folder to get exactly
    this catalog). Returns the saved :class:`pystac.Catalog`.

    Examples
    --------
    >>> stac = cat.to_stac("exports/stac")                           # doctest: +SKIP
    >>> pystac.Catalog.from_file("exports/stac/catalog.json")        # doctest: +SKIP
    """
    pystac = _pystac()
    folder = os.fspath(out)
    if folder.endswith(".json"):
        folder = os.path.dirname(folder) or "."
    folder = os.path.abspath(folder)
    root = build_stac(catalog.records(), title=title, description=description)
    try:
        os.makedirs(folder, exist_ok=True)
        root.normalize_hrefs(folder)
        root.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    except OSError as exc:
        raise CatalogError(f"cannot write the STAC catalog: {exc}", path=folder) from exc
    return root
