"""Label → :class:`~archive_fed.record.ProductRecord` (SPEC §1), for PDS3 and PDS4 labels.

Generic rules read the standard keywords/classes; mission identity, instrument aliases and level
vocabularies come from the mission registry (``missions.toml``); the few mission departures from the
standards live in :mod:`archive_fed.labels.quirks`.
"""
from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urljoin

from .. import missions
from ..errors import NormalizeError
from ..record import PROCESSING_LEVELS, ProductRecord, pds3_uid, pds4_uid
from . import footprint as fp
from .base import Block, Label
from .observation import pds3_observation, pds4_observation
from .quirks import change
from .values import is_null, number, scalar, text, utc_time


def normalize(label: Label, *, archive: str | None = None, label_url: str | None = None) -> ProductRecord:
    """Normalize a parsed label into one product record.

    Parameters
    ----------
    label : Label
        From :func:`archive_fed.read_label`.
    archive : str, optional
        Name of the source that harvested the label (``"local"`` when None).
    label_url : str, optional
        Where the label was read; defaults to ``label.path``. Data file names resolve against it.

    Examples
    --------
    >>> import archive_fed as af                                                   # doctest: +SKIP
    >>> af.normalize(af.read_label("CE4_GRAS_LPR-2B_SCI_N_..._0316_A.2BL")).mission   # doctest: +SKIP
    'change-4'
    """
    url = label_url or label.path
    if label.format == "PDS4":
        fields = _pds4_fields(label)
    elif label.format == "PDS3":
        fields = pds3_fields(label)
    else:
        raise NormalizeError(f"unknown label format {label.format!r}", path=url)
    fields["label_format"] = label.format
    fields["label_url"] = url
    fields["data_urls"] = [resolve(url, name) for name in fields.get("data_urls", [])]
    fields["archive"] = archive or "local"
    fields["metadata_source"] = "label"
    targets = missions.canonical_targets(fields.pop("target_names", []))
    fields["targets"] = targets
    fields["target"] = "Moon" if "Moon" in targets else (targets[0] if targets else None)
    fields["agency"] = missions.agency(fields.get("mission"))
    if not fields.get("uid"):
        raise NormalizeError("label has no product identifier (PDS3 PRODUCT_ID / PDS4 logical_identifier)",
                             path=url)
    try:
        return ProductRecord(**fields)
    except (TypeError, ValueError) as exc:
        raise NormalizeError(f"cannot build record: {exc}", path=url) from None


def resolve(base: str | None, name: str) -> str:
    """A data file name resolved against the label's URL or path (absolute names kept)."""
    if not base or "://" in name or os.path.isabs(name):
        return name
    if "://" in base:
        return urljoin(base, name)
    return os.path.join(os.path.dirname(os.path.abspath(base)), name)


# ---- shared mission/instrument/level resolution -----------------------------------------------------
def _resolve_name(name: str | None) -> str | None:
    """Mission slug for a name, also trying it without and inside parentheses."""
    if not name:
        return None
    slug = missions.resolve_mission(name)
    if slug:
        return slug
    inner = re.findall(r"\(([^)]*)\)", name)
    outer = re.sub(r"\([^)]*\)", " ", name).strip()
    for candidate in (outer, *inner):
        slug = missions.resolve_mission(candidate) or missions.mission_from_host(candidate)
        if slug:
            return slug
    return None


def _mission_from_tokens(identifier: str | None) -> str | None:
    """Last resort: a registry alias among the tokens of an identifier (``..:ladee_mission_bundle``)."""
    if not identifier:
        return None
    for token in re.split(r"[:._\-/\s]+", identifier.lower()):
        if len(token) >= 3:
            slug = missions.resolve_mission(token)
            if slug:
                return slug
    return None


def _instrument_from_tokens(slug: str | None, identifier: str | None) -> str | None:
    mission = missions.get(slug) if slug else None
    if not mission or not identifier:
        return None
    for token in re.split(r"[:._/\s]+", identifier.lower()):
        for candidate in (token, re.sub(r"^inst_", "", token)):
            canonical = missions.canonical_instrument(slug, candidate)
            if canonical in mission.instruments:
                return canonical
    return None


def _level_from_tokens(identifier: str | None) -> str | None:
    """PDS4 level words in a LID's bundle/collection names (``..:data_science_derived:..``)."""
    if not identifier:
        return None
    tokens = set(re.split(r"[:._\-]+", identifier.lower()))
    for word, level in (("raw", "Raw"), ("calibrated", "Calibrated"), ("derived", "Derived"),
                        ("telemetry", "Telemetry")):
        if word in tokens:
            return level
    return None


def _canonical_level(value: str | None) -> str | None:
    if not value:
        return None
    key = missions.alias_key(value)
    for level in PROCESSING_LEVELS:
        if missions.alias_key(level) == key:
            return level
    return None


# ---- PDS4 ------------------------------------------------------------------------------------------
def _t(label: Any, path: str, within: Any = None) -> str | None:
    value = label.find(path, within)
    return None if value is None or is_null(value) else value


def _pds4_fields(label: Any) -> dict[str, Any]:
    lid = _t(label, "Identification_Area/logical_identifier")
    vid = _t(label, "Identification_Area/version_id")
    if not lid:
        raise NormalizeError("PDS4 label has no Identification_Area/logical_identifier", path=label.path)
    name = change.parse_product_name(lid)
    product_id = _t(label, ".//Mission_Area/product_id") or _t(label, ".//Mission_Area//product_id")
    if not product_id:
        product_id = lid.rsplit(":", 1)[-1] if lid.startswith("urn:") else lid

    investigations = label.findall(".//Investigation_Area/name")
    investigation_refs = label.findall(".//Investigation_Area/Internal_Reference/lid_reference")
    hosts, instruments, instrument_refs = [], [], []
    for component in label.elements(".//Observing_System_Component"):
        kind = (_t(label, "type", component) or "").lower()
        cname = _t(label, "name", component)
        ref = _t(label, "Internal_Reference/lid_reference", component)
        if kind == "instrument":
            instruments.append(cname)
            instrument_refs.append(ref)
        elif kind in ("host", "spacecraft", "lander", "rover", "facility", "telescope", "laboratory"):
            hosts.append(cname)

    slug = None
    for candidate in investigations:
        slug = slug or _resolve_name(candidate)
    for ref in investigation_refs:
        slug = slug or _resolve_name(ref.rsplit(":", 1)[-1].split(".", 1)[-1].replace("_", " "))
    for host in hosts:
        slug = slug or missions.mission_from_host(host) or _resolve_name(host)
    slug = slug or (name.mission if name else None) or missions.mission_from_identifier(lid)
    slug = slug or _mission_from_tokens(lid)
    if not slug and investigations:
        slug = missions.slugify(investigations[0])

    instrument = _t(label, ".//Mission_Area/instrument_id") or _t(label, ".//Mission_Area//instrument_id")
    if instrument:
        instrument = missions.canonical_instrument(slug, instrument)
    for ref in instrument_refs:
        instrument = instrument or _instrument_from_tokens(slug, (ref or "").rsplit(":", 1)[-1])
    for iname in instruments:
        canonical = missions.canonical_instrument(slug, iname) if iname else None
        if canonical and slug and missions.get(slug) and canonical in missions.get(slug).instruments:
            instrument = instrument or canonical
    instrument = instrument or (name.instrument if name else None) or _instrument_from_tokens(slug, lid)
    if not instrument and instruments and instruments[0]:
        instrument = missions.canonical_instrument(slug, instruments[0])

    target_names = []
    for target in label.elements(".//Target_Identification"):
        tname = _t(label, "name", target)
        if not tname or _PLACEHOLDER.search(tname):  # an unfilled template: the lid reference says
            ref = _t(label, "Internal_Reference/lid_reference", target)
            tname = ref.rsplit(":", 1)[-1].rsplit(".", 1)[-1] if ref else None
        if tname:
            target_names.append(tname)

    level_text = (_t(label, ".//Primary_Result_Summary/processing_level")
                  or _t(label, ".//Primary_Result_Summary/processing_level_id"))
    product_type = _t(label, ".//Mission_Area//product_type")
    type_level = _DATA_SET_LEVEL.search(product_type) if product_type else None
    native = (_t(label, ".//Mission_Area/product_level") or _t(label, ".//Mission_Area//product_level")
              or (next(g for g in type_level.groups() if g).upper() if type_level else None)
              or (name.level if name else None))
    level = _canonical_level(level_text) or missions.pds4_level(slug, native) or _level_from_tokens(lid)
    native = native or level_text

    start = utc_time(_t(label, ".//Time_Coordinates/start_date_time"))
    stop = utc_time(_t(label, ".//Time_Coordinates/stop_date_time"))

    files = [f for f in (_t(label, "file_name", node) for node in label.elements(".//File")) if f]
    sizes = [number(_t(label, "file_size", node)) for node in label.elements(".//File")]
    md5s = [_t(label, "md5_checksum", node) for node in label.elements(".//File")]
    known_sizes = [int(s) for s in sizes if s is not None]

    return {
        "uid": pds4_uid(lid, vid), "lid": lid, "vid": vid, "product_id": product_id,
        "title": _t(label, "Identification_Area/title"), "mission": slug,
        "instrument_host": hosts[0] if hosts else None, "instrument": instrument,
        "target_names": target_names, "processing_level": level, "processing_level_native": native,
        "start_time": start, "stop_time": stop, **_pds4_footprint(label).fields(),
        "data_urls": list(dict.fromkeys(files)), "file_size": sum(known_sizes) if known_sizes else None,
        "md5": next((m for m in md5s if m), None),
        "product_type": product_type, "collection_lid": _collection_lid(label, lid),
        **pds4_observation(label),
    }


#: A target name that is an unfilled template placeholder (``{target}``, ``${TARGET}``, ``<target>``).
_PLACEHOLDER = re.compile(r"[{}$<>]")


def _collection_lid(label: Any, lid: str) -> str | None:
    """The LID of the collection a product belongs to (a collection's own; none for a bundle)."""
    parts = lid.split(":")
    if not lid.startswith("urn:") or len(parts) < 5:
        return None
    kind = label.product_class if hasattr(label, "product_class") else ""
    if kind == "Product_Bundle":
        return None
    return ":".join(parts[:5])


#: Corner sets of mission dictionaries, best first: Chandrayaan-2 ``isda:`` refined (control-network
#: registered) corners, then its system-level (predicted from SPICE) ones.
PDS4_CORNER_SETS = ("Refined_Corner_Coordinates", "System_Level_Coordinates")
_CORNERS = ("upper_left", "upper_right", "lower_right", "lower_left")  # in order around the edge


def _pds4_footprint(label: Any) -> fp.Footprint:
    bounded = fp.NONE
    box = label.element(".//Bounding_Coordinates")
    if box is not None:
        values = [number(_t(label, f"{side}_bounding_coordinate", box))
                  for side in ("west", "east", "south", "north")]
        if all(v is not None for v in values):
            bounded = fp.bounded(*values)  # type: ignore[arg-type]
    for corner_set in PDS4_CORNER_SETS:
        node = label.element(f".//{corner_set}")
        if node is None:
            continue
        lons = [number(_t(label, f"{c}_longitude", node)) for c in _CORNERS]
        lats = [number(_t(label, f"{c}_latitude", node)) for c in _CORNERS]
        if all(v is not None for v in lons + lats):
            scene = fp.scene(lons, lats)  # type: ignore[arg-type]
            if scene.geometry is not None:  # the label's own box stays the box when it has one
                return fp.Footprint(bounded.box, scene.geometry) if bounded.geometry else scene
    if bounded.geometry is not None:
        return bounded
    for location in ("Lander_Location", "Rover_Location", "Landing_Site", "Location"):
        node = label.element(f".//{location}")
        if node is not None:
            lon, lat = number(_t(label, "longitude", node)), number(_t(label, "latitude", node))
            if lon is not None and lat is not None:
                return fp.located(lon, lat)
    return fp.NONE


# ---- PDS3 ------------------------------------------------------------------------------------------
_DATA_SET_LEVEL = re.compile(r"LEVEL[ _-]?([0-9][0-9A-Z]*)|(?:^|[_-])(L[0-9][0-9A-Z]*)(?:$|[_-])|"
                             r"(?:^|[_-])(EDR|CDR|RDR|DDR|PDR|UDR|MAP)(?:$|[_-])", re.IGNORECASE)
_NOT_DATA_POINTERS = re.compile(r"^\^(STRUCTURE|.*DESCRIPTION|.*CATALOG|DATA_SET_MAP_PROJECTION|"
                                r".*_CATALOG|SOFTWARE.*)$", re.IGNORECASE)


def _first(block: Block, *keys: str) -> Any:
    for key in keys:
        if key in block:
            value = scalar(block[key])
            if value is not None:
                return value
    return None


def _find_anywhere(block: Block, key: str) -> Any:
    """First non-null value of ``key`` at top level, else in nested OBJECT/GROUP blocks."""
    value = _first(block, key)
    if value is not None:
        return value
    for _, inner in block.walk():
        value = _first(inner, key)
        if value is not None:
            return value
    return None


def _pds3_level(data_set_id: str | None, product_type: str | None) -> tuple[str | None, str | None]:
    """(native level, CODMAC level) from DATA_SET_ID and PRODUCT_TYPE."""
    native = None
    codmac = None
    if data_set_id:
        parts = data_set_id.split("-")
        if len(parts) >= 5 and re.fullmatch(r"[0-9](/[0-9])?", parts[3]):
            codmac = parts[3].split("/")[-1]
        match = _DATA_SET_LEVEL.search(data_set_id)
        if match:
            native = next(g for g in match.groups() if g).upper()
            if match.group(1):
                native = match.group(1).upper()
    if not native and product_type:
        match = _DATA_SET_LEVEL.search(product_type)
        native = next(g for g in match.groups() if g).upper() if match else None
    return native, codmac


def pds3_fields(label: Block) -> dict[str, Any]:
    path = getattr(label, "path", None)
    data_set_id = text(_first(label, "DATA_SET_ID"))
    product_id = text(_first(label, "PRODUCT_ID"))
    if not product_id:
        raise NormalizeError("PDS3 label has no PRODUCT_ID", path=path)
    lid = pds3_uid(data_set_id, product_id)
    host = text(_first(label, "INSTRUMENT_HOST_NAME", "INSTRUMENT_HOST_ID", "SPACECRAFT_NAME"))
    mission_name = text(_first(label, "MISSION_NAME"))
    name = change.parse_product_name(product_id)
    slug = (_resolve_name(mission_name) or missions.mission_from_host(host)
            or missions.mission_from_identifier(data_set_id) or (name.mission if name else None)
            or _mission_from_tokens(data_set_id))
    if not slug and mission_name:
        slug = missions.slugify(mission_name)
    instrument = text(_first(label, "INSTRUMENT_ID")) or (name.instrument if name else None)
    instrument = missions.canonical_instrument(slug, instrument) if instrument else None
    if not instrument:
        instrument = missions.canonical_instrument(slug, text(_first(label, "INSTRUMENT_NAME")))

    product_type = text(_first(label, "PRODUCT_TYPE"))
    native, codmac = _pds3_level(data_set_id, product_type)
    explicit = text(_first(label, "PROCESSING_LEVEL_ID", "PROCESSING_LEVEL"))
    native = native or explicit or (name.level if name else None) or codmac
    level = (missions.pds4_level(slug, native) or missions.pds4_level(slug, explicit)
             or missions.pds4_level(slug, codmac))

    targets = label["TARGET_NAME"] if "TARGET_NAME" in label else []
    targets = list(targets) if isinstance(targets, (list, tuple, set, frozenset)) else [targets]

    data_urls, attached = _pds3_data_files(label)
    if attached and path:
        data_urls.insert(0, os.path.basename(path) if "://" not in path else path.rsplit("/", 1)[-1])
    file_size = None
    records, record_bytes = number(_first(label, "FILE_RECORDS")), number(_first(label, "RECORD_BYTES"))
    if (records and record_bytes and text(_first(label, "RECORD_TYPE")) == "FIXED_LENGTH"
            and len(data_urls) == 1 and records.is_integer() and record_bytes.is_integer()
            and 0 < records * record_bytes < 2**62):  # a size, not a typo such as FILE_RECORDS = 1.0E308
        file_size = int(records) * int(record_bytes)
    # only a file-level checksum describes the data file; one inside an object (LROC EDR's IMAGE) covers
    # that object's bytes, not the file a user downloads
    md5 = text(_first(label, "MD5_CHECKSUM", "FILE_MD5_CHECKSUM"))

    return {
        "uid": lid, "lid": lid, "vid": text(_first(label, "PRODUCT_VERSION_ID")), "product_id": product_id,
        "title": text(_first(label, "DATA_SET_NAME", "PRODUCT_NAME")), "mission": slug,
        "instrument_host": host, "instrument": instrument,
        "target_names": [text(t) for t in targets if text(t) and not _PLACEHOLDER.search(text(t) or "")],
        "processing_level": level, "processing_level_native": native,
        "start_time": utc_time(_first(label, "START_TIME", "IMAGE_TIME")),
        "stop_time": utc_time(_first(label, "STOP_TIME")),
        **_pds3_footprint(label).fields(),
        "data_urls": list(dict.fromkeys(data_urls)), "file_size": file_size,
        "md5": md5.lower() if md5 else None,
        "product_type": product_type, "data_set_id": data_set_id, **pds3_observation(label),
    }


def _pds3_data_files(label: Block) -> tuple[list[str], bool]:
    """Data file names the pointers name, and whether any pointer is into the label file itself."""
    names: list[str] = []
    attached = False
    blocks: list[Block] = [label] + [b for _, b in label.walk()]
    for block in blocks:
        for key, value in block.items_:
            if not key.startswith("^") or _NOT_DATA_POINTERS.match(key):
                continue
            for item in (value if isinstance(value, list) and value and isinstance(value[0], list) else [value]):
                if isinstance(item, list):
                    item = item[0] if item else None
                if isinstance(item, str):
                    names.append(item)
                elif item is not None:
                    attached = True  # a record or byte offset into this very file
    return names, attached


def _corner(label: Block, name: str) -> tuple[float | None, float | None]:
    return number(_first(label, f"{name}_LONGITUDE")), number(_first(label, f"{name}_LATITUDE"))


def _pds3_footprint(label: Block) -> fp.Footprint:
    """Corners (``UPPER_LEFT_…``; a Kaguya SP label's ``TM_…`` corners frame the TC context image, not
    the spectra, and are not read), else bounds, else a scene centre or landing site."""
    west_positive = str(_find_anywhere(label, "POSITIVE_LONGITUDE_DIRECTION") or "EAST").upper() == "WEST"

    def east(lon: float) -> float:
        return -lon if west_positive else lon

    corners = [_corner(label, c) for c in ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_RIGHT", "LOWER_LEFT")]
    if all(lon is not None and lat is not None for lon, lat in corners):
        return fp.scene([east(lon) for lon, _ in corners], [lat for _, lat in corners])  # type: ignore
    bounds = [number(_find_anywhere(label, k)) for k in
              ("WESTERNMOST_LONGITUDE", "EASTERNMOST_LONGITUDE", "MINIMUM_LATITUDE", "MAXIMUM_LATITUDE")]
    if all(b is not None for b in bounds):
        west, eastmost, south, north = bounds  # type: ignore[misc]
        if west_positive:
            west, eastmost = -west, -eastmost  # type: ignore[operator]
        return fp.bounded(west, eastmost, south, north)  # type: ignore[arg-type]
    for lon_key, lat_key in (("SCENE_CENTER_LONGITUDE", "SCENE_CENTER_LATITUDE"),
                             ("LANDING_SITE_LONGITUDE", "LANDING_SITE_LATITUDE")):
        # (map-projection CENTER_LATITUDE/LONGITUDE are projection parameters, not footprints)
        lon, lat = number(_first(label, lon_key)), number(_first(label, lat_key))
        if lon is not None and lat is not None:
            return fp.located(east(lon), lat)
    return fp.NONE

