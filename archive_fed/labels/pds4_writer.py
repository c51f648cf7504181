"""A PDS4 label for a PDS3 product: the migration path the agencies follow (PDS3 data stay as they are,
a PDS4 ``Product_Observational`` label describes them, the PDS3 label travels along as a header).

:func:`pds4_label_for` writes:

* ``Identification_Area`` — a ``urn:<agency>:<archive>:<data set>:data:<product id>`` logical identifier
  (lower case, PDS4 LID characters), ``version_id`` from ``PRODUCT_VERSION_ID``, title, information model
  version, product class, the PDS3 ids as aliases, a modification history entry;
* ``Observation_Area`` — ``Time_Coordinates``, ``Primary_Result_Summary/processing_level`` (PDS4
  vocabulary), ``Investigation_Area`` (the mission), ``Observing_System`` (host and instrument components),
  ``Target_Identification`` (one per target), and a ``Discipline_Area`` with ``cart:Bounding_Coordinates``
  when the product has a footprint;
* ``File_Area_Observational`` per data file — the ``File`` (name, size, MD5 when the file is local), a
  ``Header`` for a PDS3 label attached to the data, and an ``Array_2D_Image``/``Array_3D_Image`` for every
  PDS3 image object (offset from its pointer, axes from ``BANDS``/``LINES``/``LINE_SAMPLES`` and the band
  storage order, element type from ``SAMPLE_TYPE``/``SAMPLE_BITS``, ``SCALING_FACTOR``/``OFFSET``, special
  constants);
* ``File_Area_Observational_Supplemental`` — a detached PDS3 label as a ``Header`` file.

Images with line prefixes/suffixes, packed samples or VAX floats cannot be described as PDS4 arrays; they
get a :class:`~archive_fed.errors.LabelWarning` and only their ``File``.

>>> from archive_fed.sample import PDS3_VOLUME                                    # doctest: +SKIP
>>> xml = pds4_label_for(PDS3_VOLUME / "DATA/TC/2B0/20081216/TC1S2B0_01_05307S001E3596.lbl")  # doctest: +SKIP
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import warnings
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from .. import missions
from ..errors import LabelError, LabelWarning
from ..record import ProductRecord, format_time
from .base import Block, Label
from .values import number, text

PDS_NS = "http://pds.nasa.gov/pds4/pds/v1"
CART_NS = "http://pds.nasa.gov/pds4/cart/v1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
INFORMATION_MODEL_VERSION = "1.21.0.0"
SCHEMA_LOCATION = f"{PDS_NS} https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1L00.xsd"
SCHEMATRON = ('href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1L00.sch" '
              'schematypens="http://purl.oclc.org/dsdl/schematron"')

#: LID prefix (after ``urn:``) of each agency's archive; NASA's PDS for the rest.
AUTHORITIES = {"NASA": "nasa:pds", "JAXA": "jaxa:darts", "ESA": "esa:psa", "ISRO": "isro:isda",
               "KARI": "kari:kpds", "CNSA": "cnsa:clpds"}

#: PDS4 ``Target_Identification/type`` and context LIDs of the targets we know.
TARGET_TYPES = {"Moon": "Satellite", "Earth": "Planet", "Sun": "Sun", "Calibration": "Calibration"}
TARGET_LIDS = {"Moon": "urn:nasa:pds:context:target:satellite.earth.moon",
               "Earth": "urn:nasa:pds:context:target:planet.earth",
               "Sun": "urn:nasa:pds:context:target:star.sun"}

_SIGNED_MSB = ("MSB_INTEGER", "INTEGER", "SUN_INTEGER", "MAC_INTEGER")
_SIGNED_LSB = ("LSB_INTEGER", "PC_INTEGER", "VAX_INTEGER")
_UNSIGNED_MSB = ("MSB_UNSIGNED_INTEGER", "UNSIGNED_INTEGER", "SUN_UNSIGNED_INTEGER", "MAC_UNSIGNED_INTEGER")
_UNSIGNED_LSB = ("LSB_UNSIGNED_INTEGER", "PC_UNSIGNED_INTEGER", "VAX_UNSIGNED_INTEGER")
_REAL_MSB = ("IEEE_REAL", "REAL", "FLOAT", "SUN_REAL", "MAC_REAL")
_REAL_LSB = ("PC_REAL",)

#: PDS3 band storage → PDS4 axis order (slowest first; "Last Index Fastest").
_AXES = {"BAND_SEQUENTIAL": ("Band", "Line", "Sample"), "LINE_INTERLEAVED": ("Line", "Band", "Sample"),
         "SAMPLE_INTERLEAVED": ("Line", "Sample", "Band")}
#: PDS4 Special_Constants children, in schema order, and the PDS3 keywords/Kaguya INVALID_TYPE words.
_SPECIAL_ORDER = ("saturated_constant", "missing_constant", "error_constant", "invalid_constant",
                  "unknown_constant", "not_applicable_constant", "valid_maximum",
                  "high_instrument_saturation", "high_representation_saturation", "valid_minimum",
                  "low_instrument_saturation", "low_representation_saturation")
_SPECIAL_KEYWORDS = {"MISSING_CONSTANT": "missing_constant", "NULL": "missing_constant",
                     "INVALID_CONSTANT": "invalid_constant", "UNKNOWN_CONSTANT": "unknown_constant",
                     "OUT_OF_IMAGE_BOUNDS_VALUE": "not_applicable_constant",
                     "VALID_MAXIMUM": "valid_maximum", "VALID_MINIMUM": "valid_minimum"}
_INVALID_TYPES = {"SATURATION": "saturated_constant", "MINUS": "low_instrument_saturation",
                  "DUMMY_DEFECT": "error_constant", "OTHER": "invalid_constant"}


def pds4_data_type(sample_type: str, bits: int) -> str | None:
    """The PDS4 ``data_type`` of a PDS3 ``SAMPLE_TYPE`` of ``bits`` bits (None when PDS4 has none).

    8-bit integers are ``UnsignedByte`` whatever the sign word says (``LSB_INTEGER`` 8-bit LROC EDR pixels
    are 0–255 counts), as GDAL, ISIS and :mod:`archive_fed.products` read them.

    >>> pds4_data_type("MSB_INTEGER", 16), pds4_data_type("PC_REAL", 32), pds4_data_type("VAX_REAL", 32)
    ('SignedMSB2', 'IEEE754LSBSingle', None)
    """
    name = re.sub(r"[\s-]+", "_", str(sample_type).strip().upper())
    size = {8: 1, 16: 2, 32: 4, 64: 8}.get(int(bits))
    if size is None:
        return None
    if name in _SIGNED_MSB + _SIGNED_LSB + _UNSIGNED_MSB + _UNSIGNED_LSB:
        if size == 1:
            return "UnsignedByte"
        signed = "Signed" if name in _SIGNED_MSB + _SIGNED_LSB else "Unsigned"
        order = "MSB" if name in _SIGNED_MSB + _UNSIGNED_MSB else "LSB"
        return f"{signed}{order}{size}"
    if name in _REAL_MSB + _REAL_LSB and size in (4, 8):
        order = "MSB" if name in _REAL_MSB else "LSB"
        return f"IEEE754{order}{'Single' if size == 4 else 'Double'}"
    return None


def lid_part(value: str) -> str:
    """A PDS4 LID component: lower case, characters outside ``[a-z0-9._-]`` as ``_``.

    >>> lid_part("SLN-L-TC-3-S-LEVEL2B0-V1.0"), lid_part("MI-VIS_Level2B")
    ('sln-l-tc-3-s-level2b0-v1.0', 'mi-vis_level2b')
    """
    return re.sub(r"[^a-z0-9._-]+", "_", value.strip().lower()).strip("_") or "unknown"


def pds4_version(value: Any) -> str:
    """A PDS4 ``version_id`` (``M.n``) from a PDS3 ``PRODUCT_VERSION_ID`` (``"01"``, ``"v1.8"``, ``2``).

    >>> pds4_version("01"), pds4_version("v1.8"), pds4_version(None), pds4_version("V2.10")
    ('1.0', '1.8', '1.0', '2.10')
    """
    match = re.search(r"(\d+)(?:\.(\d+))?", str(value or ""))
    if not match:
        return "1.0"
    return f"{int(match.group(1))}.{int(match.group(2) or 0)}"


# ---- PDS3 objects and files ----------------------------------------------------------------------------
class _ImageObject(NamedTuple):
    name: str
    file: str | None  # None: the label's own file
    offset: int
    block: Block


def _pointer(value: Any, record_bytes: int | None, where: str) -> tuple[str | None, int] | None:
    """(file name or None, byte offset) of a PDS3 pointer value."""
    name = None
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        if isinstance(value[0], str):
            name, value = value[0], (value[1] if len(value) > 1 else 1)
        else:
            value = value[0]
    elif isinstance(value, str):
        return value, 0
    unit = str(getattr(value, "unit", "") or "").lower()
    start = number(value)
    if start is None:
        return None
    if unit.startswith("byte"):
        return name, int(start) - 1
    if not record_bytes:
        raise LabelError(f"pointer {where} counts records but the label has no RECORD_BYTES")
    return name, (int(start) - 1) * record_bytes


def _image_objects(label: Block) -> list[_ImageObject]:
    record_bytes = _num(label, "RECORD_BYTES")
    images = []
    for key, value in label.items_:
        if not key.startswith("^"):
            continue
        name = key[1:]
        block = label.get(name)
        if not isinstance(block, Block) or "LINES" not in block or "LINE_SAMPLES" not in block:
            continue
        where = _pointer(value, int(record_bytes) if record_bytes else None, key)
        if where is not None:
            images.append(_ImageObject(name, where[0], where[1], block))
    return sorted(images, key=lambda image: (image.file or "", image.offset))


def _kw(block: Block, key: str) -> str | None:
    """A keyword's value as text (None when absent or null)."""
    return text(block.get(key))


def _num(block: Block, key: str) -> float | None:
    return number(block.get(key))


def _local_path(url: str | None) -> str | None:
    if not url:
        return None
    if url.startswith("file://"):
        url = urlsplit(url).path
    elif "://" in url:
        return None
    return url if os.path.isfile(url) else None


def _file_name(url: str) -> str:
    return os.path.basename(urlsplit(url).path if "://" in url else url)


def _md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---- XML building ----------------------------------------------------------------------------------
def _el(parent: etree._Element, tag: str, value: Any = None, ns: str = PDS_NS,
        **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
    if value is not None:
        node.text = str(value)
    return node


def _number_text(value: float, integer: bool) -> str:
    if integer and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _identification(root: etree._Element, label: Block, record: ProductRecord, lid: str, version: str,
                    modified: _dt.date) -> None:
    area = _el(root, "Identification_Area")
    _el(area, "logical_identifier", lid)
    _el(area, "version_id", version)
    product_id = record.product_id or text(label.get("PRODUCT_ID")) or lid.rsplit(":", 1)[-1]
    mission = missions.get(record.mission) if record.mission else None
    words = [mission.name if mission else record.mission, record.instrument, record.processing_level]
    title = record.title or " ".join(w for w in words if w)
    _el(area, "title", f"{title} product {product_id}" if title else product_id)
    _el(area, "information_model_version", INFORMATION_MODEL_VERSION)
    _el(area, "product_class", "Product_Observational")
    aliases = _el(area, "Alias_List")
    for alternate, comment in ((record.uid, "PDS3 DATA_SET_ID/PRODUCT_ID"), (product_id, "PDS3 PRODUCT_ID")):
        if alternate:
            alias = _el(aliases, "Alias")
            _el(alias, "alternate_id", alternate)
            _el(alias, "comment", comment)
    history = _el(_el(area, "Modification_History"), "Modification_Detail")
    _el(history, "modification_date", modified.isoformat())
    _el(history, "version_id", version)
    _el(history, "description", "PDS4 label generated by archive_fed for the original PDS3 product; "
                                "the data file is unchanged and the PDS3 label is kept as a header.")


def _nil(parent: etree._Element, tag: str) -> None:
    _el(parent, tag, None, **{f"{{{XSI_NS}}}nil": "true", "nilReason": "missing"})


def _observation(root: etree._Element, label: Block, record: ProductRecord,
                 first_image: str | None) -> None:
    area = _el(root, "Observation_Area")
    times = _el(area, "Time_Coordinates")
    for tag, value in (("start_date_time", record.start_time), ("stop_date_time", record.stop_time)):
        if value is None:
            _nil(times, tag)
        else:
            _el(times, tag, format_time(value))
    if record.processing_level:
        summary = _el(area, "Primary_Result_Summary")
        _el(summary, "purpose", "Science")
        _el(summary, "processing_level", record.processing_level)
    mission = missions.get(record.mission) if record.mission else None
    mission_name = (_kw(label, "MISSION_NAME")) or (
        mission.name if mission else record.mission) or "UNKNOWN"
    investigation = _el(area, "Investigation_Area")
    _el(investigation, "name", mission_name)
    _el(investigation, "type", "Mission")
    reference = _el(investigation, "Internal_Reference")
    plain = re.sub(r"\(.*?\)", " ", mission.name if mission else mission_name)
    slug = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    _el(reference, "lid_reference", f"urn:nasa:pds:context:investigation:mission.{slug}")
    _el(reference, "reference_type", "data_to_investigation")
    system = _el(area, "Observing_System")
    host = record.instrument_host or mission_name
    component = _el(system, "Observing_System_Component")
    _el(component, "name", host)
    _el(component, "type", "Host")
    if record.instrument:
        component = _el(system, "Observing_System_Component")
        _el(component, "name", record.instrument)
        _el(component, "type", "Instrument")
        full_name = _kw(label, "INSTRUMENT_NAME")
        if full_name and full_name.upper() != record.instrument.upper():
            _el(component, "description", full_name)
    for target in record.targets or ["Moon"]:
        identification = _el(area, "Target_Identification")
        _el(identification, "name", target)
        if target in TARGET_TYPES:
            _el(identification, "type", TARGET_TYPES[target])
        if target in TARGET_LIDS:
            reference = _el(identification, "Internal_Reference")
            _el(reference, "lid_reference", TARGET_LIDS[target])
            _el(reference, "reference_type", "data_to_target")
    box = (record.lon_min, record.lon_max, record.lat_min, record.lat_max)
    if None not in box:
        cartography = _el(_el(area, "Discipline_Area"), "Cartography", ns=CART_NS)
        if first_image:
            local = _el(cartography, "Local_Internal_Reference")
            _el(local, "local_identifier_reference", first_image)
            _el(local, "local_reference_type", "cartography_parameters_to_image_object")
        bounds = _el(_el(cartography, "Spatial_Domain", ns=CART_NS), "Bounding_Coordinates", ns=CART_NS)
        for tag, value in (("west", record.lon_min), ("east", record.lon_max),
                           ("north", max(record.lat_min, record.lat_max)),  # type: ignore[type-var]
                           ("south", min(record.lat_min, record.lat_max))):  # type: ignore[type-var]
            _el(bounds, f"{tag}_bounding_coordinate", repr(float(value)), ns=CART_NS, unit="deg")  # type: ignore


def _file(area: etree._Element, url: str, size: int | None, md5: str | None) -> None:
    node = _el(area, "File")
    _el(node, "file_name", _file_name(url))
    if size is not None:
        _el(node, "file_size", size, unit="byte")
    if md5:
        _el(node, "md5_checksum", md5)


def _header(area: etree._Element, length: int, identifier: str = "pds3_label") -> None:
    node = _el(area, "Header")
    _el(node, "local_identifier", identifier)
    _el(node, "offset", 0, unit="byte")
    _el(node, "object_length", length, unit="byte")
    _el(node, "parsing_standard_id", "PDS3")
    _el(node, "description", "The original PDS3 label of the product.")


def _special_constants(block: Block, integer: bool) -> list[tuple[str, str]]:
    found: dict[str, float] = {}
    kinds, values = block.get("INVALID_TYPE"), block.get("INVALID_VALUE")
    if isinstance(kinds, (list, tuple)) and isinstance(values, (list, tuple)):
        for kind, value in zip(kinds, values):
            tag = _INVALID_TYPES.get(str(kind).strip().upper())
            value = number(value)
            if tag and value is not None:
                found.setdefault(tag, value)
    for keyword, tag in _SPECIAL_KEYWORDS.items():
        value = _num(block, keyword)
        if value is not None:
            found.setdefault(tag, value)
    return [(tag, _number_text(found[tag], integer)) for tag in _SPECIAL_ORDER if tag in found]


def _array(area: etree._Element, image: _ImageObject, path: str | None) -> str | None:
    """Append the PDS4 array of one PDS3 image object; its local identifier (None when impossible)."""
    block = image.block
    where = f"{path or ''}: {image.name}"
    prefix = sum(_num(block, k) or 0 for k in ("LINE_PREFIX_BYTES", "LINE_SUFFIX_BYTES"))
    sample_type = _kw(block, "SAMPLE_TYPE")
    bits = _num(block, "SAMPLE_BITS")
    data_type = pds4_data_type(sample_type, int(bits)) if sample_type and bits else None
    if prefix or data_type is None:
        reason = "line prefix/suffix bytes" if prefix else f"sample type {sample_type!r} of {bits} bits"
        warnings.warn(f"{where}: not described as a PDS4 array ({reason})", LabelWarning, stacklevel=3)
        return None
    bands = int(_num(block, "BANDS") or 1)
    lines, samples = int(number(block["LINES"]) or 0), int(number(block["LINE_SAMPLES"]) or 0)
    storage = re.sub(r"[\s-]+", "_", (_kw(block, "BAND_STORAGE_TYPE") or "BAND_SEQUENTIAL").upper())
    if bands > 1:
        names = _AXES.get(storage, _AXES["BAND_SEQUENTIAL"])
        sizes = {"Band": bands, "Line": lines, "Sample": samples}
        axes = [(name, sizes[name]) for name in names]
    else:
        axes = [("Line", lines), ("Sample", samples)]
    identifier = image.name.lower()
    node = _el(area, "Array_3D_Image" if len(axes) == 3 else "Array_2D_Image")
    _el(node, "local_identifier", identifier)
    _el(node, "offset", image.offset, unit="byte")
    _el(node, "axes", len(axes))
    _el(node, "axis_index_order", "Last Index Fastest")
    element = _el(node, "Element_Array")
    _el(element, "data_type", data_type)
    unit = _kw(block, "UNIT")
    if unit:
        _el(element, "unit", unit)
    scale = _num(block, "SCALING_FACTOR")
    offset = _num(block, "OFFSET")
    if scale is not None and (scale != 1.0 or offset):
        _el(element, "scaling_factor", repr(scale))
    if offset:
        _el(element, "value_offset", repr(offset))
    for n, (name, size) in enumerate(axes, start=1):
        axis = _el(node, "Axis_Array")
        _el(axis, "axis_name", name)
        _el(axis, "elements", size)
        _el(axis, "sequence_number", n)
    constants = _special_constants(block, integer="Single" not in data_type and "Double" not in data_type)
    if constants:
        special = _el(node, "Special_Constants")
        for tag, value in constants:
            _el(special, tag, value)
    return identifier


def _file_facts(url: str, record: ProductRecord, single: bool,
                checksums: bool) -> tuple[int | None, str | None]:
    local = _local_path(url)
    if local:
        return os.path.getsize(local), (_md5(local) if checksums else None)
    return (record.file_size if single else None), None


def _label_of(pds3: Any) -> Label:
    from . import read_label

    label = pds3 if isinstance(pds3, Label) else read_label(pds3)
    if label.format != "PDS3":
        raise LabelError(f"not a PDS3 label ({label.format})", path=label.path)
    return label


def pds4_label_for(pds3_label_or_path: Any, record: ProductRecord | None = None, *,
                   authority: str | None = None, checksums: bool = True,
                   modification_date: _dt.date | None = None) -> bytes:
    """A PDS4 ``Product_Observational`` label (UTF-8 XML bytes) describing a PDS3 product in place.

    Parameters
    ----------
    pds3_label_or_path
        A PDS3 label from :func:`archive_fed.read_label`, or its path/URL (detached ``.lbl`` or a data
        file with an attached label).
    record
        The product's record; :func:`archive_fed.normalize` of the label when omitted.
    authority
        LID prefix after ``urn:`` (e.g. ``"nasa:pds"``); by default from the record's agency
        (``jaxa:darts`` for JAXA, ``nasa:pds`` for NASA and unknown agencies, …).
    checksums
        Compute the ``md5_checksum`` of local files.
    modification_date
        The date of the ``Modification_Detail`` (today, UTC, by default).

    The label names files by their base names: save it beside the data file (e.g. as
    ``<product>.xml``) and :func:`pds4_tools.read` reads the PDS3 pixels through it.
    """
    from .normalize import normalize

    label = _label_of(pds3_label_or_path)
    assert isinstance(label, Block)
    record = record or normalize(label)
    data_set = _kw(label, "DATA_SET_ID")
    product_id = _kw(label, "PRODUCT_ID") or record.product_id
    prefix = authority or AUTHORITIES.get(record.agency or "", "nasa:pds")
    bundle, product = lid_part(data_set or record.mission or "pds3"), lid_part(product_id or "product")
    lid = f"urn:{prefix}:{bundle}:data:{product}"
    version = pds4_version(record.vid)
    modified = modification_date or _dt.datetime.now(_dt.timezone.utc).date()

    images = _image_objects(label)
    label_url = record.label_url or label.path
    data_urls = list(record.data_urls) or ([label_url] if label_url else [])
    nsmap = {None: PDS_NS, "xsi": XSI_NS}
    if None not in (record.lon_min, record.lon_max, record.lat_min, record.lat_max):
        nsmap["cart"] = CART_NS
    file_areas: list[etree._Element] = []
    first_image = None
    label_name = _file_name(label_url) if label_url else None
    for url in data_urls:
        area = etree.Element(f"{{{PDS_NS}}}File_Area_Observational")
        size, md5 = _file_facts(url, record, len(data_urls) == 1, checksums)
        _file(area, url, size, md5)
        mine = [i for i in images if (i.file or label_name) == _file_name(url)]
        if _file_name(url) == label_name:  # the PDS3 label is attached to this file
            starts = [i.offset for i in mine]
            _header(area, min(starts) if starts else getattr(label, "label_bytes", 0) or size or 0)
        for image in mine:
            identifier = _array(area, image, label.path)
            first_image = first_image or identifier
        file_areas.append(area)
    if label_url and label_name not in {_file_name(u) for u in data_urls}:  # a detached PDS3 label
        area = etree.Element(f"{{{PDS_NS}}}File_Area_Observational_Supplemental")
        size, md5 = _file_facts(label_url, record, False, checksums)
        _file(area, label_url, size, md5)
        _header(area, size or getattr(label, "label_bytes", 0))
        file_areas.append(area)

    nsmap = {None: PDS_NS, "xsi": XSI_NS}
    if None not in (record.lon_min, record.lon_max, record.lat_min, record.lat_max):
        nsmap["cart"] = CART_NS
    root = etree.Element(f"{{{PDS_NS}}}Product_Observational", nsmap=nsmap)  # type: ignore[arg-type]
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    _identification(root, label, record, lid, version, modified)
    _observation(root, label, record, first_image)
    root.extend(file_areas)
    tree = etree.ElementTree(root)
    root.addprevious(etree.ProcessingInstruction("xml-model", SCHEMATRON))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_pds4_label(pds3_label_or_path: Any, out: str | os.PathLike | None = None, **options: Any) -> str:
    """Write :func:`pds4_label_for` to ``out`` (default: beside the data file, named as it with ``.xml``);
    returns the path written."""
    label = _label_of(pds3_label_or_path)
    xml = pds4_label_for(label, **options)
    if out is None:
        from .normalize import normalize

        record = options.get("record") or normalize(label)
        local = _local_path(record.data_urls[0] if record.data_urls else label.path)
        if local is None:
            raise LabelError("give an output path: the data file is not local", path=label.path)
        out = os.path.splitext(local)[0] + ".xml"
    with open(out, "wb") as stream:
        stream.write(xml)
    return os.fspath(out)
