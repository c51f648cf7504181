"""The embedded sample archive (archive_fed/sample): well-formed, self-consistent, reproducible.

Checked with the reference readers only (pvl for PDS3, lxml and pds4_tools for PDS4), never with
archive_fed's own readers, so a bug there cannot hide a bug here.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pvl
import pytest
from lxml import etree

from archive_fed.sample import PDS3_VOLUME, PDS4_BUNDLE, SAMPLE_ROOT
from archive_fed.sample import make_sample

NS = {"pds": "http://pds.nasa.gov/pds4/pds/v1", "cart": "http://pds.nasa.gov/pds4/cart/v1",
      "lro": "http://pds.nasa.gov/pds4/mission/lro/v1"}
PDS4_TYPES = {"UnsignedByte": "u1", "SignedByte": "i1", "UnsignedLSB2": "<u2", "SignedLSB2": "<i2",
              "UnsignedMSB2": ">u2", "SignedMSB2": ">i2", "IEEE754LSBSingle": "<f4", "IEEE754MSBSingle": ">f4",
              "IEEE754LSBDouble": "<f8", "IEEE754MSBDouble": ">f8"}
PDS3_SAMPLE_TYPES = {("MSB_INTEGER", 16): ">i2", ("LSB_INTEGER", 8): "u1", ("LSB_INTEGER", 16): "<i2",
                     ("IEEE_REAL", 32): ">f4", ("PC_REAL", 32): "<f4", ("MSB_UNSIGNED_INTEGER", 16): ">u2"}


# ------------------------------------------------------------------------------------------------ helpers
def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def attached_label_text(path: Path) -> str:
    """The PDS3 label text at the start of a file, up to and including the END line."""
    data = path.read_bytes()
    match = re.search(rb"(?:^|\r?\n)END[ \t]*\r?\n", data)
    assert match, f"{path}: no END line"
    return data[:match.end()].decode("ascii")


def is_pds3(path: Path) -> bool:
    return path.read_bytes()[:14] == b"PDS_VERSION_ID"


def pds3_files() -> list[Path]:
    return sorted(p for p in PDS3_VOLUME.rglob("*") if p.is_file() and is_pds3(p))


def pds4_labels() -> list[Path]:
    return sorted(p for p in PDS4_BUNDLE.rglob("*") if p.suffix.lower() in (".xml", ".2bl"))


def load_pds3(path: Path) -> pvl.PVLModule:
    return pvl.loads(attached_label_text(path))


def ids(paths: list[Path], root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in paths]


def value(q):
    """The number of a pvl Quantity (or the value itself)."""
    return getattr(q, "value", q)


def pointer(label, name: str, label_path: Path) -> tuple[Path, int]:
    """(file, 0-based byte offset) of a PDS3 ``^NAME`` pointer."""
    ptr = label[f"^{name}"]
    target = label_path
    if isinstance(ptr, (list, tuple)) and not hasattr(ptr, "units"):     # (file, offset); a Quantity is a tuple too
        target = label_path.parent / ptr[0]
        ptr = ptr[1]
    elif isinstance(ptr, str):
        return label_path.parent / ptr, 0
    if getattr(ptr, "units", None) == "BYTES":
        return target, int(ptr.value) - 1
    return target, (int(ptr) - 1) * int(label["RECORD_BYTES"])


def object_layout(obj) -> tuple[str, tuple[int, ...]]:
    bands = int(obj.get("BANDS", 1))
    dtype = PDS3_SAMPLE_TYPES[(obj["SAMPLE_TYPE"], int(obj["SAMPLE_BITS"]))]
    shape = (bands, int(obj["LINES"]), int(obj["LINE_SAMPLES"]))
    return dtype, shape


def read_object(label, name: str, label_path: Path) -> np.ndarray:
    path, offset = pointer(label, name, label_path)
    dtype, shape = object_layout(label[name])
    return np.frombuffer(path.read_bytes(), dtype=dtype, count=int(np.prod(shape)), offset=offset).reshape(shape)


def parse_utc(text: str) -> datetime:
    text = text.strip().rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def as_utc(dt) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def xml(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))


def text(tree, xpath: str) -> str:
    found = tree.xpath(xpath, namespaces=NS)
    assert found, xpath
    return found[0].text.strip()


def index_rows() -> tuple[pvl.PVLModule, list[dict]]:
    label = pvl.load(str(PDS3_VOLUME / "INDEX" / "INDEX.LBL"))
    table = label["INDEX_TABLE"]
    cols = table.getall("COLUMN")
    raw = (PDS3_VOLUME / "INDEX" / "INDEX.TAB").read_bytes()
    row_bytes = int(table["ROW_BYTES"])
    rows = []
    for n in range(int(table["ROWS"])):
        row = raw[n * row_bytes:(n + 1) * row_bytes].decode("ascii")
        rows.append({c["NAME"]: row[c["START_BYTE"] - 1:c["START_BYTE"] - 1 + c["BYTES"]].strip() for c in cols})
    return label, rows


# =========================================================================================== the package
def test_sample_paths_and_size():
    assert SAMPLE_ROOT == Path(make_sample.__file__).resolve().parent
    assert PDS3_VOLUME == SAMPLE_ROOT / "pds3_volume" and PDS3_VOLUME.is_dir()
    assert PDS4_BUNDLE == SAMPLE_ROOT / "pds4_bundle" and PDS4_BUNDLE.is_dir()
    total = sum(p.stat().st_size for p in SAMPLE_ROOT.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 3 * 1024 * 1024


def test_regenerating_gives_identical_bytes(tmp_path):
    assert make_sample.main(["--out", str(tmp_path)]) == 0
    for top in ("pds3_volume", "pds4_bundle"):
        shipped = {p.relative_to(SAMPLE_ROOT): p for p in (SAMPLE_ROOT / top).rglob("*") if p.is_file()}
        made = {p.relative_to(tmp_path): p for p in (tmp_path / top).rglob("*") if p.is_file()}
        assert set(shipped) == set(made), "the shipped sample and the generator disagree on the file list"
        for rel in sorted(shipped):
            assert shipped[rel].read_bytes() == made[rel].read_bytes(), f"{rel} differs from a fresh generation"


def test_generator_is_deterministic_in_memory():
    assert make_sample.build() == make_sample.build()


# =============================================================================================== PDS3
@pytest.mark.parametrize("path", pds3_files(), ids=ids(pds3_files(), PDS3_VOLUME))
def test_pds3_label_parses_with_pvl(path):
    label = load_pds3(path)
    assert label["PDS_VERSION_ID"] == "PDS3"


def product_labels() -> list[Path]:
    return [p for p in pds3_files() if p.parts[-len(p.relative_to(PDS3_VOLUME).parts)] == "DATA"]


@pytest.mark.parametrize("path", product_labels(), ids=ids(product_labels(), PDS3_VOLUME))
def test_pds3_pointers_match_data(path):
    label = load_pds3(path)
    objects = [k[1:] for k in label.keys() if k.startswith("^")]
    assert "IMAGE" in objects
    extents = []
    for name in objects:
        target, offset = pointer(label, name, path)
        assert target.is_file(), f"^{name} points at missing {target.name}"
        dtype, shape = object_layout(label[name])
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        extents.append((target, offset, offset + size))
    for target in {e[0] for e in extents}:
        spans = sorted((a, b) for t, a, b in extents if t == target)
        # objects do not overlap, and the last one ends exactly at the end of the file
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))
        assert spans[-1][1] == target.stat().st_size
        if target == path:                              # attached label: it ends before the first object
            assert len(attached_label_text(path).encode()) <= spans[0][0]
        else:
            assert spans[0][0] == 0
    if label.get("RECORD_TYPE") == "FIXED_LENGTH":
        record_bytes = int(label["RECORD_BYTES"])
        assert int(label["FILE_RECORDS"]) * record_bytes == path.stat().st_size
        assert int(label["LABEL_RECORDS"]) * record_bytes == pointer(label, "IMAGE", path)[1]
        assert len(attached_label_text(path)) <= int(label["LABEL_RECORDS"]) * record_bytes


@pytest.mark.parametrize("path", product_labels(), ids=ids(product_labels(), PDS3_VOLUME))
def test_pds3_image_statistics_and_checksums(path):
    label = load_pds3(path)
    image = read_object(label, "IMAGE", path)
    obj = label["IMAGE"]
    if "MD5_CHECKSUM" in obj:
        target, offset = pointer(label, "IMAGE", path)
        assert md5(target.read_bytes()[offset:offset + image.nbytes]) == obj["MD5_CHECKSUM"]
    if "INVALID_VALUE" in obj:
        codes = list(obj["INVALID_VALUE"])
        counts = obj["INVALID_PIXELS"]
        per_band = counts if isinstance(counts[0], list) else [counts]
        flags = set(codes) | {obj.get("OUT_OF_IMAGE_BOUNDS_VALUE", -30000)}
        for band, expected in zip(image, per_band):
            assert [int(np.count_nonzero(band == c)) for c in codes] == list(expected)
        maxima = obj["SCENE_MAXIMUM_DN"]
        maxima = maxima if isinstance(maxima, list) else [maxima]
        minima = obj["SCENE_MINIMUM_DN"]
        minima = minima if isinstance(minima, list) else [minima]
        for band, hi, lo in zip(image, maxima, minima):
            valid = band[~np.isin(band, list(flags))]
            assert (valid.max(), valid.min()) == (hi, lo)
        if "OUT_OF_IMAGE_BOUNDS_PIXELS" in obj:
            oob = [int(np.count_nonzero(b == obj["OUT_OF_IMAGE_BOUNDS_VALUE"])) for b in image]
            assert oob == list(obj["OUT_OF_IMAGE_BOUNDS_PIXELS"])


def test_index_table_layout():
    label, rows = index_rows()
    table = label["INDEX_TABLE"]
    raw = (PDS3_VOLUME / "INDEX" / "INDEX.TAB").read_bytes()
    row_bytes = int(table["ROW_BYTES"])
    assert label["^INDEX_TABLE"] == "INDEX.TAB"
    assert int(label["RECORD_BYTES"]) == row_bytes and int(label["FILE_RECORDS"]) == int(table["ROWS"])
    assert len(raw) == int(table["ROWS"]) * row_bytes
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and len(lines) - 1 == int(table["ROWS"])
    assert all(len(line) + 2 == row_bytes for line in lines[:-1])
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    cols = table.getall("COLUMN")
    assert int(table["COLUMNS"]) == len(cols)
    names = [c["NAME"] for c in cols]
    for needed in ("VOLUME_ID", "PATH_NAME", "FILE_NAME", "PRODUCT_ID", "DATA_SET_ID", "START_TIME", "STOP_TIME",
                   "PRODUCT_CREATION_TIME"):
        assert needed in names
    for line in lines[:-1]:
        text_ = line.decode("ascii")
        for c in cols:
            start, width = int(c["START_BYTE"]) - 1, int(c["BYTES"])
            if c["DATA_TYPE"] == "CHARACTER":      # quoted: the quotes sit just outside START_BYTE/BYTES
                assert text_[start - 1] == '"' and text_[start + width] == '"', (c["NAME"], text_)
            end = start + width + (1 if c["DATA_TYPE"] == "CHARACTER" else 0)
            assert end == len(text_) or text_[end] == ","
    # the columns tile the row with exactly one comma between fields
    assert int(cols[-1]["START_BYTE"]) - 1 + int(cols[-1]["BYTES"]) + 2 == row_bytes


def test_index_rows_point_at_their_products():
    _, rows = index_rows()
    indexed = set()
    for row in rows:
        assert row["VOLUME_ID"] == make_sample.VOLUME_ID
        path = PDS3_VOLUME / row["PATH_NAME"] / row["FILE_NAME"]
        assert path.is_file(), path
        indexed.add(path)
        label = load_pds3(path)
        assert label["PRODUCT_ID"] == row["PRODUCT_ID"]
        assert label["DATA_SET_ID"] == row["DATA_SET_ID"]
        assert label["INSTRUMENT_ID"] == row["INSTRUMENT_ID"]
        for key in ("START_TIME", "STOP_TIME", "PRODUCT_CREATION_TIME"):
            if key in label:
                assert as_utc(label[key]) == parse_utc(row[key]), (path.name, key)
            else:
                assert row[key] == "N/A", (path.name, key)
    labelled = {p for p in product_labels() if "PRODUCT_ID" in load_pds3(p)}
    assert indexed == labelled, "INDEX.TAB must list every product of DATA/ exactly once"
    assert len(rows) == len(indexed) >= 8


def test_voldesc_describes_the_volume():
    label = pvl.load(str(PDS3_VOLUME / "VOLDESC.CAT"))
    volume = label["VOLUME"]
    assert volume["VOLUME_ID"] == "SLNSAMPLE_0001"
    _, rows = index_rows()
    assert set(volume["DATA_SET_ID"]) == {r["DATA_SET_ID"] for r in rows}
    for f in volume["DIRECTORY"].getall("FILE"):
        assert (PDS3_VOLUME / volume["DIRECTORY"]["NAME"] / f["FILE_NAME"]).is_file()
    readme = load_pds3(PDS3_VOLUME / "AAREADME.TXT")
    assert "TEXT" in readme


def test_pds3_products_cover_the_required_cases():
    _, rows = index_rows()
    by_set = {}
    for row in rows:
        by_set.setdefault(row["DATA_SET_ID"], []).append(load_pds3(PDS3_VOLUME / row["PATH_NAME"] / row["FILE_NAME"]))
    tc = by_set["SLN-L-TC-3-S-LEVEL2B0-V1.0"]
    assert 3 <= len(tc) <= 4
    for label in tc:
        assert label["MISSION_NAME"] == "SELENE" and label["INSTRUMENT_ID"] == "TC1"
        assert label["START_TIME"].tzinfo in (None, timezone.utc)
    lons = [[value(t[f"{c}_LONGITUDE"]) for c in ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_LEFT", "LOWER_RIGHT")]
            for t in tc]
    assert any(max(ls) > 359 and min(ls) < 1 for ls in lons), "one TC scene must cross the 0/360 meridian"
    assert any(value(t["SCENE_CENTER_LATITUDE"]) < -84 for t in tc), "one TC scene must be near the south pole"
    mv = by_set["MI-VIS_Level2B"]
    assert len(mv) == 2 and all(int(m["IMAGE"]["BANDS"]) > 1 for m in mv)
    (mi_map,) = by_set["MI_MAP"]
    projection = mi_map["IMAGE_MAP_PROJECTION"]
    assert value(projection["MAXIMUM_LATITUDE"]) > value(projection["MINIMUM_LATITUDE"])
    assert "^GEOMETRIC_DATA_ALTITUDE" in mi_map
    (lroc,) = by_set["LRO-L-LROC-2-EDR-V1.0"]
    assert lroc["RECORD_TYPE"] == "FIXED_LENGTH" and lroc["^IMAGE"] == 2
    assert lroc["INSTRUMENT_HOST_NAME"] == "LUNAR RECONNAISSANCE ORBITER" and "MISSION_NAME" not in lroc


# =============================================================================================== PDS4
@pytest.mark.parametrize("path", pds4_labels(), ids=ids(pds4_labels(), PDS4_BUNDLE))
def test_pds4_label_parses_with_lxml(path):
    tree = xml(path)
    assert etree.QName(tree.getroot()).namespace == NS["pds"]
    assert text(tree, "/*/pds:Identification_Area/pds:logical_identifier")


def product_lidvid(path: Path) -> str:
    tree = xml(path)
    lid = text(tree, "/*/pds:Identification_Area/pds:logical_identifier")
    return f"{lid}::{text(tree, '/*/pds:Identification_Area/pds:version_id')}"


def test_bundle_lists_every_collection():
    bundle = xml(PDS4_BUNDLE / "bundle_archive_fed_sample.xml")
    assert text(bundle, "/pds:Product_Bundle/pds:Identification_Area/pds:logical_identifier") == \
        "urn:nasa:pds:archive_fed_sample"
    assert text(bundle, "//pds:Identification_Area/pds:title") == "Lunar federation sample bundle"
    entries = bundle.xpath("//pds:Bundle_Member_Entry", namespaces=NS)
    members = {}
    for e in entries:
        assert text(e, "pds:member_status") == "Primary"
        assert text(e, "pds:reference_type") == "bundle_has_data_collection"
        members[text(e, "pds:lidvid_reference")] = e
    collections = {product_lidvid(p): p for p in PDS4_BUNDLE.glob("*/collection_*.xml")}
    assert set(members) == set(collections)
    assert {p.parent.name for p in collections.values()} == {"change4_lpr", "lro_lroc", "kplo_shadowcam"}


@pytest.mark.parametrize("name", ["change4_lpr", "lro_lroc", "kplo_shadowcam"])
def test_inventory_lists_exactly_the_collection(name):
    folder = PDS4_BUNDLE / name
    label = xml(folder / f"collection_{name}.xml")
    inv_name = text(label, "//pds:File_Area_Inventory/pds:File/pds:file_name")
    assert inv_name == f"collection_{name}_inventory.csv"
    raw = (folder / inv_name).read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("ascii"), newline="")))
    assert all(r[0] == "P" and len(r) == 2 for r in rows)
    assert int(text(label, "//pds:Inventory/pds:records")) == len(rows)
    assert int(text(label, "//pds:File_Area_Inventory/pds:File/pds:records")) == len(rows)
    assert int(text(label, "//pds:File_Area_Inventory/pds:File/pds:file_size")) == len(raw)
    assert text(label, "//pds:File_Area_Inventory/pds:File/pds:md5_checksum") == md5(raw)
    products = {product_lidvid(p) for p in folder.iterdir()
                if p.suffix.lower() in (".xml", ".2bl") and not p.name.startswith("collection_")}
    assert {r[1] for r in rows} == products
    assert len(rows) == len(products)
    if name == "change4_lpr":
        assert all(re.fullmatch(r"CE4_GRAS_LPR-\w+_SCI_N_\d{14}_\d{14}_\d{4}_A\.2B::1\.0", r[1]) for r in rows)
    else:
        assert all(r[1].startswith(f"urn:nasa:pds:archive_fed_sample:{name}:") for r in rows)


def observational_labels() -> list[Path]:
    return [p for p in pds4_labels() if not p.name.startswith(("collection_", "bundle_"))]


@pytest.mark.parametrize("path", observational_labels(), ids=ids(observational_labels(), PDS4_BUNDLE))
def test_pds4_file_sizes_checksums_and_layout(path):
    tree = xml(path)
    for area in tree.xpath("//pds:File_Area_Observational", namespaces=NS):
        data_path = path.parent / text(area, "pds:File/pds:file_name")
        data = data_path.read_bytes()
        assert int(text(area, "pds:File/pds:file_size")) == len(data)
        checksum = area.xpath("pds:File/pds:md5_checksum", namespaces=NS)
        if checksum:
            assert checksum[0].text.strip() == md5(data)
        elif path.suffix != ".2BL":
            pytest.fail("NASA-style labels must carry md5_checksum")
        end = 0
        for header in area.xpath("pds:Header", namespaces=NS):
            offset = int(text(header, "pds:offset"))
            length = int(text(header, "pds:object_length"))
            assert offset == end
            assert data[offset:offset + length].startswith(b"PDS_VERSION_ID")
            end = offset + length
        for array in area.xpath("pds:Array_2D_Image", namespaces=NS):
            offset = int(text(array, "pds:offset"))
            dtype = np.dtype(PDS4_TYPES[text(array, "pds:Element_Array/pds:data_type")])
            shape = [int(e.text) for e in array.xpath("pds:Axis_Array/pds:elements", namespaces=NS)]
            assert offset == end
            end = offset + int(np.prod(shape)) * dtype.itemsize
        for table in area.xpath("pds:Table_Binary", namespaces=NS):
            records = int(text(table, "pds:records"))
            length = int(text(table, "pds:Record_Binary/pds:record_length"))
            location = 1
            for child in table.xpath("pds:Record_Binary/*", namespaces=NS):
                tag = etree.QName(child).localname
                if tag == "Field_Binary":
                    assert int(text(child, "pds:field_location")) == location
                    location += int(text(child, "pds:field_length"))
                elif tag == "Group_Field_Binary":
                    assert int(text(child, "pds:group_location")) == location
                    reps = int(text(child, "pds:repetitions"))
                    inner = int(text(child, "pds:Field_Binary/pds:field_length"))
                    assert int(text(child, "pds:group_length")) == reps * inner
                    location += reps * inner
            assert location - 1 == length
            fields = table.xpath("pds:Record_Binary/pds:Field_Binary", namespaces=NS)
            assert int(text(table, "pds:Record_Binary/pds:fields")) == len(fields)
            assert int(text(area, "pds:File/pds:records")) == records
            end = int(text(table, "pds:offset")) + records * length
        assert end == len(data), f"{data_path.name}: declared layout ends at {end}, file has {len(data)} bytes"


@pytest.mark.parametrize("path", sorted(PDS4_BUNDLE.glob("change4_lpr/*.2BL")),
                         ids=[p.name for p in sorted(PDS4_BUNDLE.glob("change4_lpr/*.2BL"))])
def test_change4_gras_dialect(path):
    tree = xml(path)
    name = path.name[:-1]
    assert text(tree, "//pds:logical_identifier") == name
    assert text(tree, "//pds:information_model_version") == "1.5.0.0"
    assert text(tree, "//pds:Target_Identification/pds:name") == "Lunar"
    assert text(tree, "//pds:Investigation_Area/pds:name") == "CE4"
    assert text(tree, "/pds:Product_Observational/pds:Reference_List") == "None"
    mission = "//pds:Mission_Area/"
    assert text(tree, mission + "pds:product_id") == name
    assert text(tree, mission + "pds:product_level") == "2B"
    assert text(tree, mission + "pds:instrument_id") == "LPR"
    assert text(tree, mission + "pds:sequence_id") == name.split("_")[-2]
    lon = float(text(tree, mission + "pds:Lander_Location/pds:longitude"))
    lat = float(text(tree, mission + "pds:Lander_Location/pds:latitude"))
    assert abs(lon - 177.59) < 0.05 and abs(lat + 45.44) < 0.05
    assert tree.xpath("//pds:Field_Binary[pds:data_type='UnsignedByte' and pds:field_length > 1]", namespaces=NS)
    assert tree.xpath("//pds:Field_Binary[pds:data_type='IEEE754MSBSingle']", namespaces=NS)
    # the records: frame id, and times (seconds + ms since 2009-12-31T16:00:00 UTC) inside the label's interval
    data = (path.parent / name).read_bytes()
    length = int(text(tree, "//pds:record_length"))
    start = parse_utc(text(tree, "//pds:start_date_time"))
    stop = parse_utc(text(tree, "//pds:stop_date_time"))
    epoch = datetime(2009, 12, 31, 16, tzinfo=timezone.utc)
    frame = data[:4]
    assert frame in (bytes.fromhex("146F2222"), bytes.fromhex("146F1111"))
    times = []
    for r in range(len(data) // length):
        record = data[r * length:(r + 1) * length]
        assert record[:4] == frame
        seconds, ms = struct.unpack(">IH", record[4:10])
        times.append(epoch + timedelta(seconds=seconds, milliseconds=ms))
    assert times[0] == start and times[-1] == stop and times == sorted(times)
    window = re.search(r"_(\d{14})_(\d{14})_", name)
    lo, hi = (datetime.strptime(w, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc) for w in window.groups())
    assert lo <= start <= stop <= hi


def test_lro_and_kplo_labels_carry_footprints_and_targets():
    for path in sorted(PDS4_BUNDLE.glob("lro_lroc/*.xml")) + sorted(PDS4_BUNDLE.glob("kplo_shadowcam/*.xml")):
        if path.name.startswith("collection_"):
            continue
        tree = xml(path)
        box = "//pds:Discipline_Area/cart:Cartography/cart:Spatial_Domain/cart:Bounding_Coordinates/cart:"
        west, east, north, south = (float(text(tree, box + f"{d}_bounding_coordinate"))
                                    for d in ("west", "east", "north", "south"))
        assert -90 <= south < north <= 90 and 0 <= west < east <= 360
        targets = [t.text for t in tree.xpath("//pds:Target_Identification/pds:name", namespaces=NS)]
        if path.parent.name == "kplo_shadowcam":
            assert text(tree, "//pds:Investigation_Area/pds:name") == "KOREA PATHFINDER LUNAR ORBITER"
            assert "Korea Pathfinder Lunar Orbiter (Danuri)" in \
                [n.text for n in tree.xpath("//pds:Observing_System_Component/pds:name", namespaces=NS)]
            assert set(targets) == {"Earth", "Moon"}
            assert text(tree, "//pds:processing_level") == "Calibrated"
            assert north < -85, "ShadowCam sample products image permanently shadowed regions near the south pole"
            assert text(tree, "//pds:logical_identifier").startswith(
                "urn:nasa:pds:archive_fed_sample:kplo_shadowcam:")
        else:
            assert targets == ["MOON"]
            assert tree.xpath("//pds:Mission_Area/lro:LRO_Parameters/lro:product_type", namespaces=NS)
    boxes = [xml(p) for p in PDS4_BUNDLE.glob("kplo_shadowcam/M*.xml")]
    assert any(float(text(t, "//cart:south_bounding_coordinate")) == -90.0 for t in boxes), \
        "one ShadowCam footprint must contain the pole"


def test_lro_migration_headers_are_the_pds3_labels():
    for path in sorted(PDS4_BUNDLE.glob("lro_lroc/M*.xml")):
        tree = xml(path)
        img = path.parent / text(tree, "//pds:File/pds:file_name")
        header = load_pds3(img)
        assert header["PRODUCT_ID"] == img.stem
        assert pointer(header, "IMAGE", img)[1] == int(text(tree, "//pds:Array_2D_Image/pds:offset"))
        dtype, shape = object_layout(header["IMAGE"])
        assert list(shape[1:]) == [int(e.text) for e in tree.xpath("//pds:Axis_Array/pds:elements", namespaces=NS)]
        assert np.dtype(dtype) == np.dtype(PDS4_TYPES[text(tree, "//pds:Element_Array/pds:data_type")])
        assert as_utc(header["START_TIME"]) == parse_utc(text(tree, "//pds:start_date_time"))


ARRAY_PRODUCTS = sorted(PDS4_BUNDLE.glob("lro_lroc/M*.xml")) + sorted(PDS4_BUNDLE.glob("kplo_shadowcam/M*.xml"))


@pytest.mark.parametrize("path", ARRAY_PRODUCTS, ids=[p.name for p in ARRAY_PRODUCTS])
def test_pds4_tools_reads_the_arrays(path):
    pds4_tools = pytest.importorskip("pds4_tools")
    tree = xml(path)
    shape = tuple(int(e.text) for e in tree.xpath("//pds:Array_2D_Image/pds:Axis_Array/pds:elements",
                                                 namespaces=NS))
    structures = pds4_tools.read(str(path), lazy_load=True, quiet=True)
    arrays = [s for s in structures if s.is_array()]
    assert len(arrays) == 1
    data = arrays[0].data
    assert data.shape == shape
    raw = np.frombuffer((path.parent / text(tree, "//pds:File/pds:file_name")).read_bytes(),
                        dtype=PDS4_TYPES[text(tree, "//pds:Element_Array/pds:data_type")],
                        count=int(np.prod(shape)), offset=int(text(tree, "//pds:Array_2D_Image/pds:offset")))
    scale = tree.xpath("//pds:Element_Array/pds:scaling_factor", namespaces=NS)
    expected = raw.reshape(shape) * (float(scale[0].text) if scale else 1)
    assert np.allclose(np.ma.getdata(data), expected, rtol=1e-6)
