"""PDS4 labels for the PDS3 products of the sample volume (archive_fed.labels.pds4_writer).

Each generated label is checked structurally (the Product_Observational classes, in schema order, with
values from the record), re-read by archive_fed (same mission/instrument/times/footprint after
normalization) and by pds4_tools, whose arrays must equal the PDS3 pixels read here with plain numpy at
the offsets the sample README documents.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from archive_fed import normalize, read_label
from archive_fed.errors import LabelError, LabelWarning
from archive_fed.labels import parse_label
from archive_fed.labels.pds4_writer import (lid_part, pds4_data_type, pds4_label_for, pds4_version,
                                            write_pds4_label)
from archive_fed.sample import PDS3_VOLUME, PDS4_BUNDLE

pds4_tools = pytest.importorskip("pds4_tools")

NS = {"pds": "http://pds.nasa.gov/pds4/pds/v1", "cart": "http://pds.nasa.gov/pds4/cart/v1",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
MI_VIS = "DATA/MI_VIS/2B2/20080308/MVA_2B2_01_01842N402E3318.img"
TC_ZERO = "DATA/TC/2B0/20081216/TC1S2B0_01_05307S001E3596.lbl"
TC_POLE = "DATA/TC/2B0/20090415/TC1S2B0_01_06812S855E1361.lbl"
LROC_EDR = "DATA/LROC/EDR/2010093/NAC/M124925334LE.IMG"
MI_MAP = "DATA/MI_MAP/LON034/MI_MAP_02_S15E034S16E035SC.img"
PRODUCTS = [MI_VIS, TC_ZERO, TC_POLE, LROC_EDR, MI_MAP,
            "DATA/MI_VIS/2B2/20081008/MVA_2B2_01_04457S433E3488.img",
            "DATA/TC/2B0/20080520/TC1S2B0_01_02731N153E0212.lbl",
            "DATA/TC/2B0/20080823/TC1S2B0_01_03896N078E1583.lbl"]
OBSERVATION_ORDER = ["Time_Coordinates", "Primary_Result_Summary", "Investigation_Area", "Observing_System",
                     "Target_Identification", "Discipline_Area"]


def copy_product(rel: str, folder: Path) -> Path:
    """Copy a sample product (label and data files beside it) into ``folder``; the copied label path."""
    source = PDS3_VOLUME / rel
    for sibling in source.parent.iterdir():
        if sibling.stem.upper() == source.stem.upper():
            shutil.copy(sibling, folder / sibling.name)
    return folder / source.name


def generate(rel: str, folder: Path) -> tuple[Path, bytes]:
    label_path = copy_product(rel, folder)
    xml = pds4_label_for(label_path)
    out = folder / (label_path.stem + ".xml")
    out.write_bytes(xml)
    return out, xml


def local(node: etree._Element) -> str:
    return etree.QName(node).localname


@pytest.mark.parametrize("rel", PRODUCTS, ids=lambda r: r.rsplit("/", 1)[-1])
def test_label_structure_and_values(rel: str, tmp_path: Path) -> None:
    out, xml = generate(rel, tmp_path)
    record = normalize(read_label(str(tmp_path / Path(rel).name)))
    root = etree.fromstring(xml)
    assert etree.QName(root) == etree.QName(NS["pds"], "Product_Observational")
    assert [local(c) for c in root][:2] == ["Identification_Area", "Observation_Area"]
    assert "File_Area_Observational" in [local(c) for c in root]
    ident = root.find("pds:Identification_Area", NS)
    lid = ident.findtext("pds:logical_identifier", namespaces=NS)
    data_set, product_id = record.uid.split("/")
    authority = {"JAXA": "jaxa:darts", "NASA": "nasa:pds"}[record.agency]
    assert lid == f"urn:{authority}:{data_set.lower()}:data:{product_id.lower()}"
    assert all(ch.islower() or ch.isdigit() or ch in ":._-" for ch in lid)
    assert ident.findtext("pds:version_id", namespaces=NS) == pds4_version(record.vid)
    assert ident.findtext("pds:product_class", namespaces=NS) == "Product_Observational"
    assert ident.findtext("pds:information_model_version", namespaces=NS).count(".") == 3
    assert product_id in ident.findtext("pds:title", namespaces=NS)
    aliases = ident.findall("pds:Alias_List/pds:Alias/pds:alternate_id", NS)
    assert record.uid in [a.text for a in aliases]
    observation = root.find("pds:Observation_Area", NS)
    order = [local(c) for c in observation]
    assert order == [name for name in OBSERVATION_ORDER if name in order]
    required = {"Time_Coordinates", "Investigation_Area", "Observing_System", "Target_Identification"}
    assert required <= set(order)
    assert observation.findtext("pds:Primary_Result_Summary/pds:processing_level", namespaces=NS) == \
        record.processing_level
    components = {c.findtext("pds:type", namespaces=NS): c.findtext("pds:name", namespaces=NS)
                  for c in observation.findall("pds:Observing_System/pds:Observing_System_Component", NS)}
    assert components == {"Host": record.instrument_host, "Instrument": record.instrument}
    assert observation.findtext("pds:Target_Identification/pds:name", namespaces=NS) == "Moon"
    start = observation.find("pds:Time_Coordinates/pds:start_date_time", NS)
    assert start.text == record.to_dict()["start_time"]
    assert (start.get(f"{{{NS['xsi']}}}nil") == "true") == (record.start_time is None)
    box = observation.find(".//cart:Bounding_Coordinates", NS)
    if record.lon_min is None:
        assert box is None
    else:
        values = {local(c).split("_")[0]: float(c.text) for c in box}
        assert values == {"west": record.lon_min, "east": record.lon_max, "south": record.lat_min,
                          "north": record.lat_max}
        assert all(c.get("unit") == "deg" for c in box)


@pytest.mark.parametrize("rel", PRODUCTS, ids=lambda r: r.rsplit("/", 1)[-1])
def test_reread_by_archive_fed_normalizes_alike(rel: str, tmp_path: Path) -> None:
    out, _ = generate(rel, tmp_path)
    original = normalize(read_label(str(tmp_path / Path(rel).name)))
    label = read_label(str(out))
    assert label.format == "PDS4"
    again = normalize(label)
    for name in ("mission", "agency", "instrument", "instrument_host", "targets", "target",
                 "processing_level", "start_time", "stop_time", "lon_min", "lon_max", "lat_min", "lat_max"):
        assert getattr(again, name) == getattr(original, name), name
    assert again.lid.startswith("urn:") and again.vid == pds4_version(original.vid)
    # the data file is the one the PDS3 label points to, resolved beside the new label (the normalizer
    # also lists a detached PDS3 label, a supplemental file, after it)
    names = [Path(u).name for u in again.data_urls]
    assert names[: len(original.data_urls)] == [Path(u).name for u in original.data_urls]
    assert names[len(original.data_urls):] in ([], [Path(rel).name])
    assert again.file_size == sum(Path(u).stat().st_size for u in again.data_urls)


def _pds3_pixels(path: Path, dtype: str, offset: int, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    return np.fromfile(path, dtype=dtype, count=count, offset=offset).reshape(shape)


def test_pds4_tools_reads_the_mi_vis_cube(tmp_path: Path) -> None:
    out, _ = generate(MI_VIS, tmp_path)
    product = pds4_tools.read(str(out), quiet=True)
    assert [s.id for s in product.structures] == ["pds3_label", "image"]
    image = product["image"]
    assert image.type == "Array_3D_Image"
    raw = _pds3_pixels(tmp_path / Path(MI_VIS).name, ">i2", 6656, (5, 24, 32))  # ^IMAGE = 6657 <BYTES>, BSQ
    masked = image.as_masked().data
    special = np.isin(raw, [-20000, -21000, -22000, -23000, -30000])
    assert special.any()
    np.testing.assert_array_equal(np.ma.getmaskarray(masked), special)
    np.testing.assert_allclose(np.asarray(image.data)[~special], raw[~special] * 0.013)
    header = product["pds3_label"]
    assert header.data.startswith(b"PDS_VERSION_ID")


def test_pds4_tools_reads_a_detached_tc_image(tmp_path: Path) -> None:
    out, xml = generate(TC_ZERO, tmp_path)
    product = pds4_tools.read(str(out), quiet=True)
    image = product["image"]
    assert image.type == "Array_2D_Image" and image.data.shape == (24, 32)
    raw = _pds3_pixels(tmp_path / "TC1S2B0_01_05307S001E3596.img", ">i2", 0, (24, 32))
    valid = ~np.isin(raw, [-20000, -21000, -22000, -23000])
    np.testing.assert_allclose(np.asarray(image.data)[valid], raw[valid] * 0.013)
    # the detached PDS3 label travels as a supplemental header file
    root = etree.fromstring(xml)
    supplemental = root.find("pds:File_Area_Observational_Supplemental", NS)
    assert supplemental.findtext("pds:File/pds:file_name", namespaces=NS) == "TC1S2B0_01_05307S001E3596.lbl"
    assert supplemental.findtext("pds:Header/pds:parsing_standard_id", namespaces=NS) == "PDS3"
    assert product["pds3_label"].data.startswith(b"PDS_VERSION_ID")


def test_pds4_tools_reads_lroc_record_pointer_and_bytes(tmp_path: Path) -> None:
    out, xml = generate(LROC_EDR, tmp_path)
    product = pds4_tools.read(str(out), quiet=True)
    image = product["image"]
    raw = _pds3_pixels(tmp_path / "M124925334LE.IMG", "u1", 5064, (20, 5064))  # ^IMAGE = 2 records
    np.testing.assert_array_equal(np.asarray(image.data), raw)
    root = etree.fromstring(xml)
    element = root.find(".//pds:Array_2D_Image/pds:Element_Array", NS)
    assert element.findtext("pds:data_type", namespaces=NS) == "UnsignedByte"
    assert element.find("pds:scaling_factor", NS) is None
    assert root.find(".//cart:Bounding_Coordinates", NS) is None  # no footprint in the PDS3 label
    file = root.find("pds:File_Area_Observational/pds:File", NS)
    assert int(file.findtext("pds:file_size", namespaces=NS)) == 21 * 5064
    assert len(file.findtext("pds:md5_checksum", namespaces=NS)) == 32


def test_pds4_tools_reads_both_mi_map_objects(tmp_path: Path) -> None:
    out, _ = generate(MI_MAP, tmp_path)
    product = pds4_tools.read(str(out), quiet=True)
    path = tmp_path / Path(MI_MAP).name
    cube = _pds3_pixels(path, ">i2", 9216, (9, 32, 32))
    altitude = _pds3_pixels(path, ">f4", 27648, (32, 32))
    special = np.isin(cube, [-20000, -21000, -22000, -23000, -30000])  # kept unscaled by pds4_tools
    assert special.any()
    data = np.asarray(product["image"].data)
    np.testing.assert_allclose(data[~special], cube[~special] * 2e-05)
    np.testing.assert_array_equal(data[special], cube[special])
    np.testing.assert_array_equal(np.asarray(product["geometric_data_altitude"].data), altitude)


def test_mapping_helpers() -> None:
    cases = {("MSB_INTEGER", 16): "SignedMSB2", ("LSB_INTEGER", 32): "SignedLSB4",
             ("MSB_UNSIGNED_INTEGER", 16): "UnsignedMSB2", ("PC_UNSIGNED_INTEGER", 32): "UnsignedLSB4",
             ("LSB_INTEGER", 8): "UnsignedByte", ("UNSIGNED_INTEGER", 8): "UnsignedByte",
             ("IEEE_REAL", 32): "IEEE754MSBSingle", ("IEEE_REAL", 64): "IEEE754MSBDouble",
             ("PC_REAL", 64): "IEEE754LSBDouble", ("VAX_REAL", 32): None, ("MSB_INTEGER", 12): None,
             ("CHARACTER", 8): None}
    for (sample_type, bits), expected in cases.items():
        assert pds4_data_type(sample_type, bits) == expected, (sample_type, bits)
    assert pds4_version("01") == "1.0" and pds4_version("v1.8") == "1.8" and pds4_version("N/A") == "1.0"
    assert lid_part(" A B/C ") == "a_b_c"


def test_line_prefixes_are_not_described_as_an_array(tmp_path: Path) -> None:
    text = (PDS3_VOLUME / TC_ZERO).read_bytes().replace(
        b"    LINES                            = 24", b"    LINE_PREFIX_BYTES = 12\r\n    LINES = 24")
    label_path = tmp_path / "TC1S2B0_01_05307S001E3596.lbl"
    label_path.write_bytes(text)
    shutil.copy(PDS3_VOLUME / TC_ZERO.replace(".lbl", ".img"), tmp_path)
    with pytest.warns(LabelWarning, match="line prefix"):
        xml = pds4_label_for(label_path)
    root = etree.fromstring(xml)
    assert root.find(".//pds:Array_2D_Image", NS) is None
    assert root.find("pds:File_Area_Observational/pds:File/pds:file_name", NS).text.endswith(".img")


def test_record_override_authority_and_remote_files(tmp_path: Path) -> None:
    label = read_label(str(PDS3_VOLUME / TC_POLE))
    record = normalize(label, label_url="http://archive.example/TC/x.lbl")
    xml = pds4_label_for(label, record, authority="jaxa:selene", checksums=False)
    root = etree.fromstring(xml)
    assert root.findtext(".//pds:logical_identifier", namespaces=NS).startswith("urn:jaxa:selene:")
    file = root.find("pds:File_Area_Observational/pds:File", NS)
    assert file.findtext("pds:file_name", namespaces=NS) == "TC1S2B0_01_06812S855E1361.img"
    assert file.find("pds:file_size", NS) is None and file.find("pds:md5_checksum", NS) is None


def test_missing_stop_time_is_nil(tmp_path: Path) -> None:
    label = read_label(str(PDS3_VOLUME / TC_ZERO))
    record = normalize(label).replace(stop_time=None)
    root = etree.fromstring(pds4_label_for(label, record))
    stop = root.find(".//pds:Time_Coordinates/pds:stop_date_time", NS)
    assert stop.get(f"{{{NS['xsi']}}}nil") == "true" and stop.text is None
    assert normalize(parse_label(etree.tostring(root))).stop_time is None


def test_write_pds4_label_beside_the_data(tmp_path: Path) -> None:
    label_path = copy_product(TC_POLE, tmp_path)
    written = write_pds4_label(label_path)
    assert written == str(tmp_path / "TC1S2B0_01_06812S855E1361.xml")
    assert pds4_tools.read(written, quiet=True)["image"].data.shape == (24, 32)


def test_only_pds3_labels_are_migrated() -> None:
    with pytest.raises(LabelError, match="not a PDS3 label"):
        pds4_label_for(PDS4_BUNDLE / "lro_lroc" / "M159997660LC.xml")
