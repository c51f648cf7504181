"""Catalog → STAC (pystac) and the footprint geometries every export shares.

The sample archive's products (read from disk, no server) plus synthetic records for the awkward cases:
a box across the antimeridian, a product without time, one without footprint, uids that sanitize alike.
The STAC tree is written, then re-read with pystac and checked item by item against the records.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
import struct
from pathlib import Path

import pytest

from archive_fed import normalize, read_label
from archive_fed.catalog import Catalog
from archive_fed.catalog.export import geometry as geo
from archive_fed.cli import main
from archive_fed.record import ProductRecord
from archive_fed.sample import PDS3_VOLUME, PDS4_BUNDLE

try:
    import pystac
except ImportError:  # pragma: no cover - the notebooks extra is not installed
    pystac = None
needs_pystac = pytest.mark.skipif(pystac is None, reason="pystac is not installed")

UTC = dt.timezone.utc
HARVESTED = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
SSYS = "https://stac-extensions.github.io/ssys/v1.1.0/schema.json"


# ---- shared helpers (imported by the other export tests) ----------------------------------------------
def sample_label_paths() -> list[Path]:
    """Every product label of the sample archive: detached .lbl, attached .img/.IMG, PDS4 .xml/.2BL."""
    pds3 = sorted(PDS3_VOLUME.glob("DATA/**/*.lbl"))
    attached = [p for p in sorted(PDS3_VOLUME.glob("DATA/**/*")) if p.suffix.lower() == ".img"
                and not p.with_suffix(".lbl").exists()]
    pds4 = [p for p in sorted(PDS4_BUNDLE.glob("*/*")) if p.suffix in (".xml", ".2BL")
            and not p.name.startswith("collection_")]
    return pds3 + attached + pds4


@functools.lru_cache(maxsize=None)
def _sample_records() -> tuple[ProductRecord, ...]:
    return tuple(normalize(read_label(str(p)), archive="sample").replace(harvested_at=HARVESTED)
                 for p in sample_label_paths())


def sample_records() -> list[ProductRecord]:
    return list(_sample_records())


def synthetic_records() -> list[ProductRecord]:
    """The cases the sample lacks."""
    return [
        ProductRecord(uid="TEST-DS/ACROSS_180", lid="TEST-DS/ACROSS_180", product_id="ACROSS_180",
                      mission="kaguya", agency="JAXA", instrument="TC1", targets=["Moon"], target="Moon",
                      processing_level="Raw", start_time="2009-01-01T00:00:00Z",
                      stop_time="2009-01-01T00:00:30Z", lon_min=170.0, lon_max=190.0, lat_min=-5.0,
                      lat_max=5.0, label_format="PDS3", label_url="/archive/ACROSS_180.lbl",
                      data_urls=["/archive/ACROSS_180.img"], archive="test", harvested_at=HARVESTED),
        ProductRecord(uid="TEST-DS/NORTH_CAP", lid="TEST-DS/NORTH_CAP", product_id="NORTH_CAP",
                      mission="lro", agency="NASA", instrument="LROC", targets=["Moon", "Earth"],
                      target="Moon", processing_level="Derived", start_time="2012-06-01T00:00:00Z",
                      lon_min=0.0, lon_max=360.0, lat_min=85.0, lat_max=90.0, label_format="PDS3",
                      label_url="/archive/NORTH_CAP.IMG", data_urls=["/archive/NORTH_CAP.IMG"],
                      archive="test", harvested_at=HARVESTED),
        # "TEST-DS:ACROSS/180" sanitizes to the same id as TEST-DS/ACROSS_180 (another mission though)
        ProductRecord(uid="TEST-DS:ACROSS/180", product_id="ACROSS_180_BIS", mission="kaguya",
                      instrument="TC1", targets=["Moon"], target="Moon", label_format="PDS4",
                      label_url="/archive/x.xml", data_urls=[], archive="test", harvested_at=HARVESTED),
    ]


def export_catalog() -> Catalog:
    return Catalog.from_records(sample_records() + synthetic_records())


def decode_wkb(data: bytes) -> dict:
    """A small independent WKB reader (2D Point/LineString/Polygon/multis) for the tests."""
    def read(offset: int) -> tuple[dict, int]:
        order = "<" if data[offset] == 1 else ">"
        (kind,) = struct.unpack_from(order + "I", data, offset + 1)
        offset += 5

        def points(at: int) -> tuple[list, int]:
            (n,) = struct.unpack_from(order + "I", data, at)
            values = struct.unpack_from(order + f"{2 * n}d", data, at + 4)
            return [[values[2 * i], values[2 * i + 1]] for i in range(n)], at + 4 + 16 * n

        if kind == 1:
            return {"type": "Point", "coordinates": list(struct.unpack_from(order + "2d", data, offset))}, \
                offset + 16
        if kind == 2:
            coords, offset = points(offset)
            return {"type": "LineString", "coordinates": coords}, offset
        (count,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        parts = []
        for _ in range(count):
            if kind == 3:
                part, offset = points(offset)
            else:
                inner, offset = read(offset)
                part = inner["coordinates"]
            parts.append(part)
        names = {3: "Polygon", 5: "MultiLineString", 6: "MultiPolygon"}
        return {"type": names[kind], "coordinates": parts}, offset

    geometry, end = read(0)
    assert end == len(data)
    return geometry


# ---- geometry ----------------------------------------------------------------------------------------
def test_box_across_the_zero_meridian_is_one_polygon_in_minus180_180() -> None:
    geometry = geo.footprint_geometry(359.0, 0.5, -1.0, 1.0)
    assert geometry == {"type": "Polygon", "coordinates": [[[-1.0, -1.0], [0.5, -1.0], [0.5, 1.0],
                                                            [-1.0, 1.0], [-1.0, -1.0]]]}
    assert geo.footprint_bbox(359.0, 0.5, -1.0, 1.0) == [-1.0, -1.0, 0.5, 1.0]


def test_box_across_the_antimeridian_is_split() -> None:
    geometry = geo.footprint_geometry(170.0, 190.0, -5.0, 5.0)
    assert geometry["type"] == "MultiPolygon"
    east_part, west_part = geometry["coordinates"]
    assert east_part == [[[170.0, -5.0], [180.0, -5.0], [180.0, 5.0], [170.0, 5.0], [170.0, -5.0]]]
    assert west_part == [[[-180.0, -5.0], [-170.0, -5.0], [-170.0, 5.0], [-180.0, 5.0], [-180.0, -5.0]]]
    assert geo.footprint_bbox(170.0, 190.0, -5.0, 5.0) == [170.0, -5.0, -170.0, 5.0]  # RFC 7946 §5.2


def test_box_crossing_both_meridians_and_wide_boxes() -> None:
    # 300 → 0 → 200 (260° wide): split at ±180
    geometry = geo.footprint_geometry(300.0, 200.0, 0.0, 10.0)
    assert geometry["type"] == "MultiPolygon"
    assert [ring[0][0][0] for ring in geometry["coordinates"]] == [-60.0, -180.0]
    assert geo.footprint_bbox(300.0, 200.0, 0.0, 10.0) == [-60.0, 0.0, -160.0, 10.0]
    # 0 → 180 and 180 → 360 stay whole
    assert geo.footprint_bbox(0.0, 180.0, 0.0, 1.0) == [0.0, 0.0, 180.0, 1.0]
    assert geo.footprint_bbox(180.0, 360.0, 0.0, 1.0) == [-180.0, 0.0, 0.0, 1.0]


def test_polar_point_line_and_empty_footprints() -> None:
    band = geo.footprint_geometry(0.0, 360.0, -90.0, -89.5)
    assert band == {"type": "Polygon", "coordinates": [[[-180.0, -90.0], [180.0, -90.0], [180.0, -89.5],
                                                        [-180.0, -89.5], [-180.0, -90.0]]]}
    assert geo.footprint_geometry(177.59, 177.59, -45.44, -45.44) == {"type": "Point",
                                                                       "coordinates": [177.59, -45.44]}
    assert geo.footprint_geometry(200.0, 200.0, -45.0, -45.0)["coordinates"] == [-160.0, -45.0]
    assert geo.footprint_geometry(10.0, 10.0, 0.0, 1.0)["type"] == "LineString"
    assert geo.footprint_geometry(None, None, None, None) is None
    assert geo.footprint_geometry(float("nan"), 1.0, 0.0, 1.0) is None
    assert geo.footprint_bbox(None, 1.0, 0.0, 1.0) is None


@pytest.mark.parametrize("box", [(359.0, 0.5, -1.0, 1.0), (170.0, 190.0, -5.0, 5.0), (0.0, 360.0, 80.0, 90.0),
                                 (10.0, 10.0, 5.0, 5.0), (10.0, 10.0, 0.0, 1.0), (170.0, 190.0, 3.0, 3.0)])
def test_wkb_and_wkt_encode_the_geojson(box: tuple) -> None:
    geometry = geo.footprint_geometry(*box)
    assert decode_wkb(geo.to_wkb(geometry)) == geometry
    wkt = geo.to_wkt(geometry)
    assert wkt.startswith(geometry["type"].upper() + " (")
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", wkt)]
    flat = json.dumps(geometry["coordinates"]).replace("[", "").replace("]", "").split(",")
    assert numbers == [float(v) for v in flat]


def test_union_bbox() -> None:
    assert geo.union_bbox([[0, 0, 1, 1], None, [-5, -2, 0.5, 0]]) == [-5, -2, 1, 1]
    assert geo.union_bbox([[0, 0, 1, 1], [170, 0, -170, 1]]) == [-180.0, 0, 180.0, 1]
    assert geo.union_bbox([None]) is None


# ---- STAC --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stac_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Catalog]:
    out = tmp_path_factory.mktemp("stac")
    catalog = export_catalog()
    catalog.to_stac(str(out))
    return out, catalog


def _expected_geometry(record: ProductRecord) -> dict | None:
    return geo.footprint_geometry(record.lon_min, record.lon_max, record.lat_min, record.lat_max)


@needs_pystac
def test_stac_tree_reread_with_pystac_item_by_item(stac_root: tuple[Path, Catalog]) -> None:
    out, catalog = stac_root
    root = pystac.Catalog.from_file(str(out / "catalog.json"))
    assert root.id == "archive_fed"
    items = list(root.get_items(recursive=True))
    assert len(items) == len(catalog) == 18
    by_uid = {item.properties["archive_fed:uid"]: item for item in items}
    assert len(by_uid) == len(items)
    ids = [item.id for item in items]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[A-Za-z0-9._-]+", i) for i in ids)
    for record in catalog.records():
        item = by_uid[record.uid]
        assert item.geometry == _expected_geometry(record), record.uid
        expected_bbox = geo.footprint_bbox(record.lon_min, record.lon_max, record.lat_min, record.lat_max)
        assert item.bbox == expected_bbox
        if record.start_time is not None:
            assert item.datetime == record.start_time
            assert item.properties["archive_fed:datetime_source"] == "observation"
        else:
            assert item.datetime == HARVESTED
            assert item.properties["archive_fed:datetime_source"] == "harvested_at"
        if record.stop_time is not None and record.stop_time != record.start_time:
            assert item.common_metadata.start_datetime == record.start_time
            assert item.common_metadata.end_datetime == record.stop_time
        else:
            assert "start_datetime" not in item.properties
        assert SSYS in item.stac_extensions
        assert item.properties.get("ssys:targets") == (record.targets or None)
        assert item.properties.get("mission") == record.mission
        assert item.properties.get("instruments") == ([record.instrument] if record.instrument else None)
        assert item.properties.get("pds:lid") == record.lid
        assert item.properties.get("pds:vid") == record.vid
        assert item.properties.get("pds:processing_level") == record.processing_level
        assert item.collection_id == f"{record.mission}-{record.instrument.lower()}"
        data = [a for a in item.assets.values() if "data" in a.roles]
        assert [a.href for a in data] == record.data_urls
        metadata = [a.href for a in item.assets.values() if "metadata" in a.roles]
        assert metadata == [record.label_url]


@needs_pystac
def test_stac_antimeridian_polar_and_targets(stac_root: tuple[Path, Catalog]) -> None:
    out, _ = stac_root
    root = pystac.Catalog.from_file(str(out / "catalog.json"))
    items = {item.properties["archive_fed:uid"]: item for item in root.get_items(recursive=True)}
    across = items["TEST-DS/ACROSS_180"]
    assert across.geometry["type"] == "MultiPolygon" and len(across.geometry["coordinates"]) == 2
    assert across.bbox == [170.0, -5.0, -170.0, 5.0]
    assert across.properties["ssys:target_class"] == "satellite"
    tc_zero = items["SLN-L-TC-3-S-LEVEL2B0-V1.0/TC1S2B0_01_05307S001E3596"]
    assert tc_zero.geometry["type"] == "Polygon"
    assert tc_zero.bbox[0] == pytest.approx(358.998424 - 360) and tc_zero.bbox[2] == pytest.approx(0.228351)
    pole = items["urn:nasa:pds:archive_fed_sample:kplo_shadowcam:m049920561s::1.0"]
    assert pole.bbox == [-180.0, -90.0, 180.0, pytest.approx(-89.372)]
    assert pole.properties["ssys:targets"] == ["Earth", "Moon"]  # as labelled: Earth first
    assert pole.properties["ssys:target_class"] == "satellite"  # of the primary target, the Moon
    lander = items["CE4_GRAS_LPR-2B_SCI_N_20190110063001_20190111052000_0007_A.2B::1.0"]
    assert lander.geometry == {"type": "Point", "coordinates": [177.599034, -45.44469]}
    no_footprint = items["LRO-L-LROC-2-EDR-V1.0/M124925334LE"]
    assert no_footprint.geometry is None and no_footprint.bbox is None
    # an attached PDS3 label: one asset that is both data and metadata
    assert no_footprint.assets["data"].roles == ["data", "metadata"]
    assert "label" not in no_footprint.assets
    # PDS4 checksums are the file's: file extension fields
    lroc = items["urn:nasa:pds:archive_fed_sample:lro_lroc:m159997660lc::1.0"]
    assert lroc.assets["data"].extra_fields["file:size"] == 14336
    assert lroc.assets["data"].extra_fields["file:checksum"] == "d5102a169b658c9ac83cb0c3b28b168e3d5d"
    assert lroc.assets["label"].media_type == "application/xml"


@needs_pystac
def test_stac_collections_and_extents(stac_root: tuple[Path, Catalog]) -> None:
    out, catalog = stac_root
    root = pystac.Catalog.from_file(str(out / "catalog.json"))
    collections = {c.id: c for c in root.get_children()}
    assert set(collections) == {"kaguya-tc1", "kaguya-mi-vis", "kaguya-mi", "lro-lroc", "change-4-lpr",
                                "kplo-shadowcam"}
    for collection in collections.values():
        items = list(collection.get_items())
        assert items
        west, south, east, north = collection.extent.spatial.bboxes[0]
        start, end = collection.extent.temporal.intervals[0]
        for item in items:
            assert start <= item.datetime <= end
            if item.bbox is None:
                continue
            assert south <= item.bbox[1] and item.bbox[3] <= north
            if item.bbox[0] <= item.bbox[2]:
                assert west <= item.bbox[0] and item.bbox[2] <= east
    tc = collections["kaguya-tc1"]
    assert tc.extent.spatial.bboxes[0] == [-180.0, pytest.approx(-86.181694), 180.0, pytest.approx(15.982113)]
    assert tc.summaries.get_list("ssys:targets") == ["Moon"]
    assert SSYS in tc.stac_extensions
    assert [p.name for p in collections["change-4-lpr"].providers] == ["CNSA"]
    # the tree is self-contained: relative links only
    text = (out / "kaguya-tc1" / "collection.json").read_text()
    assert str(out) not in text


@needs_pystac
def test_stac_export_from_the_command_line(tmp_path: Path) -> None:
    store = tmp_path / "cat.zarr"
    Catalog.from_records(sample_records()).save(str(store))
    assert main(["export", "--catalog", str(store), "--to", "stac", str(tmp_path / "stac")]) == 0
    root = pystac.Catalog.from_file(str(tmp_path / "stac" / "catalog.json"))
    assert len(list(root.get_items(recursive=True))) == len(sample_records())


def test_export_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["export", "--catalog", str(tmp_path / "missing.zarr"), "--to", "stac",
                 str(tmp_path / "x")]) == 2
    assert main(["export", "--catalog", str(tmp_path), "--to", "fits", str(tmp_path / "x")]) == 2
    assert "Traceback" not in capsys.readouterr().err
