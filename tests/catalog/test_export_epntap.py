"""Catalog → EPN-TAP 2.0 ``epn_core`` (VOTable and Parquet), checked column by column against the
Recommendation's mandatory list, written here as data from its "EPNcore Table" (section 3) with the
``body`` spatial frame of its Table Notes (c1 = east longitude, c2 = latitude in deg, c3 = altitude in km;
resolutions: angular for c1/c2, linear for c3).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.io.votable import parse
from astropy.time import Time

from archive_fed.catalog import Catalog
from archive_fed.cli import main
from archive_fed.errors import CatalogError

from .test_export import export_catalog, sample_records

# (name, EPN-TAP type, unit, UCD) — the 46 mandatory EPNcore parameters, in the Recommendation's order.
EPNTAP_MANDATORY = [
    ("granule_uid", "Text", None, "meta.id"),
    ("granule_gid", "Text", None, "meta.id"),
    ("obs_id", "Text", None, "meta.id;obs"),
    ("dataproduct_type", "Text", None, "meta.code.class"),
    ("target_name", "Text", None, "meta.id;src"),
    ("target_class", "Text", None, "src.class"),
    ("time_min", "Double", "d", "time.start;obs"),
    ("time_max", "Double", "d", "time.end;obs"),
    ("time_sampling_step_min", "Float", "s", "time.resolution;stat.min"),
    ("time_sampling_step_max", "Float", "s", "time.resolution;stat.max"),
    ("time_exp_min", "Float", "s", "time.duration;obs.exposure;stat.min"),
    ("time_exp_max", "Float", "s", "time.duration;obs.exposure;stat.max"),
    ("spectral_range_min", "Float", "Hz", "em.freq;stat.min"),
    ("spectral_range_max", "Float", "Hz", "em.freq;stat.max"),
    ("spectral_sampling_step_min", "Float", "Hz", "em.freq;stat.interval;stat.min"),
    ("spectral_sampling_step_max", "Float", "Hz", "em.freq;stat.interval;stat.max"),
    ("spectral_resolution_min", "Float", None, "spect.resolution;stat.min"),
    ("spectral_resolution_max", "Float", None, "spect.resolution;stat.max"),
    ("c1min", "Float", "deg", "pos.bodyrc.lon;stat.min"),
    ("c1max", "Float", "deg", "pos.bodyrc.lon;stat.max"),
    ("c2min", "Float", "deg", "pos.bodyrc.lat;stat.min"),
    ("c2max", "Float", "deg", "pos.bodyrc.lat;stat.max"),
    ("c3min", "Float", "km", "pos.bodyrc.alt;stat.min"),
    ("c3max", "Float", "km", "pos.bodyrc.alt;stat.max"),
    ("s_region", "spoly", None, "pos.outline;obs.field"),
    ("c1_resol_min", "Float", "deg", "pos.angResolution;stat.min"),
    ("c1_resol_max", "Float", "deg", "pos.angResolution;stat.max"),
    ("c2_resol_min", "Float", "deg", "pos.angResolution;stat.min"),
    ("c2_resol_max", "Float", "deg", "pos.angResolution;stat.max"),
    ("c3_resol_min", "Float", "km", "pos.resolution;stat.min"),
    ("c3_resol_max", "Float", "km", "pos.resolution;stat.max"),
    ("spatial_frame_type", "Text", None, "meta.code.class;pos.frame"),
    ("incidence_min", "Float", "deg", "pos.incidenceAng;stat.min"),
    ("incidence_max", "Float", "deg", "pos.incidenceAng;stat.max"),
    ("emergence_min", "Float", "deg", "pos.emergenceAng;stat.min"),
    ("emergence_max", "Float", "deg", "pos.emergenceAng;stat.max"),
    ("phase_min", "Float", "deg", "pos.phaseAng;stat.min"),
    ("phase_max", "Float", "deg", "pos.phaseAng;stat.max"),
    ("instrument_host_name", "Text", None, "meta.id;instr.obsty"),
    ("instrument_name", "Text", None, "meta.id;instr"),
    ("measurement_type", "Text", None, "meta.ucd"),
    ("processing_level", "Integer", None, "meta.calibLevel"),
    ("creation_date", "Timestamp", None, "time.creation"),
    ("modification_date", "Timestamp", None, "time.processing"),
    ("release_date", "Timestamp", None, "time.release"),
    ("service_title", "Text", None, "meta.title"),
]
# (name, type, unit, UCD) of the common optional parameters the export adds
EPNTAP_OPTIONAL = [
    ("access_url", "Text", None, "meta.ref.url;meta.file"),
    ("access_format", "Text", None, "meta.code.mime"),
    ("access_estsize", "Integer", "kbyte", "phys.size;meta.file"),
    ("access_md5", "Text", None, "meta.checksum;meta.file"),
    ("file_name", "Text", None, "meta.id;meta.file"),
    ("time_scale", "Text", None, "time.scale"),
]
# EPN-TAP type → (VOTable datatype, arraysize, xtype) as a TAP service serializes it
VOTABLE_TYPES = {"Text": ("char", "*", None), "Double": ("double", None, None),
                 "Float": ("float", None, None), "Integer": ("int", None, None),
                 "Timestamp": ("char", "*", "timestamp"), "spoly": ("char", "*", "adql:REGION")}
PARQUET_TYPES = {"Text": "string", "spoly": "string", "Double": "double", "Float": "float",
                 "Integer": "int32", "Timestamp": "timestamp[ms, tz=UTC]"}
# simplified CODMAC of the PDS4 levels (EPN-TAP 2.0 processing_level table)
CODMAC = {"Telemetry": 1, "Raw": 2, "Partially Processed": 2, "Calibrated": 3, "Derived": 5}
KPLO_POLE = "urn:nasa:pds:archive_fed_sample:kplo_shadowcam:m049920561s::1.0"
TC_ACROSS_ZERO = "SLN-L-TC-3-S-LEVEL2B0-V1.0/TC1S2B0_01_05307S001E3596"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, Path, Path]:
    out = tmp_path_factory.mktemp("epntap")
    catalog = export_catalog()
    catalog.to_epntap(str(out / "epn_core.xml"), service_title="lunar_fed")
    catalog.to_epntap(str(out / "epn_core.parquet"), format="parquet", service_title="lunar_fed")
    return catalog, out / "epn_core.xml", out / "epn_core.parquet"


@pytest.fixture(scope="module")
def votable(exported: tuple[Catalog, Path, Path]) -> object:
    # verify="exception": any VOTable standard violation astropy knows of fails the test
    return parse(str(exported[1]), verify="exception").get_first_table()


def test_votable_has_every_mandatory_column_with_type_unit_ucd(votable: object) -> None:
    fields = {f.name: f for f in votable.fields}
    names = [f.name for f in votable.fields]
    assert names[: len(EPNTAP_MANDATORY)] == [row[0] for row in EPNTAP_MANDATORY]
    for name, kind, unit, ucd in EPNTAP_MANDATORY + EPNTAP_OPTIONAL:
        field = fields[name]
        datatype, arraysize, xtype = VOTABLE_TYPES[kind]
        assert field.datatype == datatype, name
        assert field.arraysize == arraysize, name
        assert field.xtype == xtype, name
        assert (str(field.unit) if field.unit is not None else None) == unit, name
        assert field.ucd == ucd, name
    assert votable.name == "epn_core"


def test_votable_rows_hold_the_records(exported: tuple[Catalog, Path, Path], votable: object) -> None:
    catalog = exported[0]
    table = votable.to_table()
    assert len(table) == len(catalog)
    rows = {row["granule_uid"]: row for row in table}
    assert len(rows) == len(table)  # granule_uid is a primary key
    for record in catalog.records():
        row = rows[record.uid]
        assert row["service_title"] == "lunar_fed"
        start, stop = record.start_time or record.stop_time, record.stop_time or record.start_time
        if start is None:
            assert np.ma.is_masked(row["time_min"]) or math.isnan(row["time_min"])
        else:
            assert row["time_min"] == pytest.approx(Time(start).jd, abs=1e-8)
            assert row["time_max"] == pytest.approx(Time(stop).jd, abs=1e-8)
            assert row["time_min"] <= row["time_max"]
        if record.lon_min is None:
            assert row["spatial_frame_type"] == "none"
            assert np.ma.is_masked(row["c1min"]) or math.isnan(row["c1min"])
        else:
            assert row["spatial_frame_type"] == "body"
            assert row["c1min"] == pytest.approx(record.lon_min, abs=1e-4)
            assert row["c1max"] == pytest.approx(record.lon_max, abs=1e-4)
            assert row["c2min"] == pytest.approx(min(record.lat_min, record.lat_max), abs=1e-4)
            assert row["c2max"] == pytest.approx(max(record.lat_min, record.lat_max), abs=1e-4)
        if record.processing_level:
            assert row["processing_level"] == CODMAC[record.processing_level]
        else:
            assert np.ma.is_masked(row["processing_level"])
        assert row["target_name"].split("#")[0] == record.target
        assert row["instrument_name"] == record.instrument
        for date in ("creation_date", "modification_date", "release_date"):
            assert dt.datetime.fromisoformat(row[date]) == record.harvested_at.replace(tzinfo=None)
        if record.data_urls:
            assert row["access_url"] == record.data_urls[0]
            assert row["file_name"] == record.data_urls[0].rsplit("/", 1)[-1]
            assert row["access_format"] == ("application/x-pds4" if record.label_format == "PDS4"
                                            else "application/x-pds")
        if record.file_size is not None:
            assert row["access_estsize"] == math.ceil(record.file_size / 1024)


def test_votable_special_rows(votable: object) -> None:
    rows = {row["granule_uid"]: row for row in votable.to_table()}
    across = rows[TC_ACROSS_ZERO]
    assert across["c1min"] > across["c1max"]  # crosses 0°: start/stop longitudes (EPN-TAP c1 rule)
    assert across["target_class"] == "satellite" and across["dataproduct_type"] == "im"
    assert across["measurement_type"] == "obs.image"
    pole = rows[KPLO_POLE]
    assert (pole["c1min"], pole["c1max"], pole["c2min"]) == (0.0, 360.0, -90.0)
    assert pole["target_name"] == "Moon#Earth" and pole["target_class"] == "satellite#planet"
    lander = rows["CE4_GRAS_LPR-2B_SCI_N_20190110063001_20190111052000_0007_A.2B::1.0"]
    assert lander["c1min"] == lander["c1max"] and lander["dataproduct_type"] == "pr"
    assert np.ma.is_masked(lander["s_region"]) or lander["s_region"] == ""
    raw = rows["LRO-L-LROC-2-EDR-V1.0/M124925334LE"]
    assert raw["processing_level"] == 2 and raw["measurement_type"] == "obs.image;stat.uncalib"
    assert rows["MI_MAP/MI_MAP_02_S15E034S16E035SC"]["dataproduct_type"] == "ma"


def _stcs_vertices(region: str) -> list[tuple[float, float]]:
    match = re.fullmatch(r"Polygon UNKNOWNFrame ((?:-?\d+(?:\.\d+)? ?)+)", region)
    assert match, region
    numbers = [float(v) for v in match.group(1).split()]
    assert len(numbers) % 2 == 0 and len(numbers) >= 6
    return list(zip(numbers[::2], numbers[1::2]))


def test_s_region_polygons(votable: object) -> None:
    rows = {row["granule_uid"]: row for row in votable.to_table()}
    box = _stcs_vertices(rows["SLN-L-TC-3-S-LEVEL2B0-V1.0/TC1S2B0_01_02731N153E0212"]["s_region"])
    assert box == [(20.535524, 14.658306), (21.810764, 14.658306), (21.810764, 15.982113),
                   (20.535524, 15.982113)]
    across = _stcs_vertices(rows[TC_ACROSS_ZERO]["s_region"])
    assert across[0] == (358.998424, -0.741694) and across[1] == (0.228351, -0.741694)
    assert all(0 <= lon < 360 for lon, _ in across)
    cap = _stcs_vertices(rows[KPLO_POLE]["s_region"])  # a ring around the south pole
    assert {lat for _, lat in cap} == {-89.372}
    lons = [lon for lon, _ in cap]
    # westward all the way round: counter-clockwise as seen from below the south pole
    steps = [(a - b) % 360 for a, b in zip(lons, lons[1:] + lons[:1])]
    assert len(lons) >= 8 and sum(steps) == pytest.approx(360.0) and max(steps) <= 10.0
    wide = _stcs_vertices(rows["TEST-DS/ACROSS_180"]["s_region"])
    steps = [(b[0] - a[0]) % 360 for a, b in zip(wide, wide[1:]) if a[1] == b[1] == -5.0]
    assert sum(steps) == pytest.approx(20.0) and max(steps) <= 10.0  # densified along the parallel


def test_parquet_matches_the_votable(exported: tuple[Catalog, Path, Path], votable: object) -> None:
    table = pq.read_table(exported[2])
    assert table.column_names == [f.name for f in votable.fields]
    for name, kind, unit, ucd in EPNTAP_MANDATORY + EPNTAP_OPTIONAL:
        field = table.schema.field(name)
        assert str(field.type) == PARQUET_TYPES[kind], name
        assert field.metadata[b"ucd"].decode() == ucd
        assert field.metadata[b"unit"].decode() == (unit or "")
    assert table.schema.metadata[b"epntap"] == b"2.0"
    vot = votable.to_table()
    frame = table.to_pandas()
    assert list(frame["granule_uid"]) == list(vot["granule_uid"])
    np.testing.assert_array_equal(frame["time_min"].to_numpy(), np.ma.filled(vot["time_min"], np.nan))
    assert list(frame["s_region"].fillna("")) == [("" if np.ma.is_masked(v) else v) for v in vot["s_region"]]
    assert table.column("processing_level").to_pylist() == [
        None if np.ma.is_masked(v) else int(v) for v in vot["processing_level"]]


def test_epntap_usage_errors(tmp_path: Path) -> None:
    catalog = Catalog.from_records(sample_records()[:2])
    with pytest.raises(CatalogError, match="format"):
        catalog.to_epntap(str(tmp_path / "x"), format="fits")
    with pytest.raises(CatalogError, match="service_title"):
        catalog.to_epntap(str(tmp_path / "x.xml"), service_title="my#service")


def test_epntap_export_from_the_command_line(tmp_path: Path) -> None:
    store = tmp_path / "cat.zarr"
    Catalog.from_records(sample_records()).save(str(store))
    assert main(["export", "--catalog", str(store), "--to", "epntap", str(tmp_path / "epn.xml")]) == 0
    assert len(parse(str(tmp_path / "epn.xml")).get_first_table().array) == len(sample_records())
    assert main(["export", "--catalog", str(store), "--to", "epntap", "--service-title", "moon",
                 str(tmp_path / "epn.parquet")]) == 0
    table = pq.read_table(tmp_path / "epn.parquet")
    assert set(table.column("service_title").to_pylist()) == {"moon"}


def test_empty_catalog_exports(tmp_path: Path) -> None:
    empty = Catalog.from_records([])
    empty.to_epntap(str(tmp_path / "empty.xml"))
    empty.to_epntap(str(tmp_path / "empty.parquet"), format="parquet")
    assert len(parse(str(tmp_path / "empty.xml")).get_first_table().array) == 0
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0


def test_observation_columns_filled_wherever_the_label_has_them(tmp_path: Path) -> None:
    """Every corpus label normalized, exported: each viewing angle, exposure, spectral range and
    resolution the label gives is in its EPN-TAP column (converted), and null where it gives none."""
    import os

    import archive_fed as af
    from archive_fed.errors import ArchiveFedError
    from archive_fed.geometry import METRES_PER_DEGREE

    corpus = Path(os.environ.get("ARCHIVE_FED_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
    if not corpus.is_dir():
        pytest.skip("ARCHIVE_FED_CORPUS (the real-label corpus) absent")
    records = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() in (".lbl", ".pvl", ".xml", ".2bl"):
            try:
                records.append(af.normalize(af.read_label(str(path))))
            except ArchiveFedError:
                continue
    records = list({r.uid: r for r in records}.values())
    out = tmp_path / "epn.xml"
    Catalog.from_records(records).to_epntap(out)
    rows = {row["granule_uid"]: row for row in parse(str(out)).get_first_table().to_table()}
    c = 299_792_458.0
    filled = {name: 0 for name in ("incidence", "emergence", "phase", "time_exp", "spectral_range", "c2_resol")}

    def check(row, column, expected):
        for end, value in (("min", expected[0]), ("max", expected[1])):
            cell = row[f"{column}_{end}"]
            if value is None:
                assert np.ma.is_masked(cell) or math.isnan(cell), (column, row["granule_uid"])
            else:
                assert float(cell) == pytest.approx(value, rel=1e-6), (column, row["granule_uid"])
        filled[column] += expected[0] is not None

    for record in records:
        row = rows[record.uid]
        check(row, "incidence", (record.incidence_min, record.incidence_max))
        check(row, "emergence", (record.emission_min, record.emission_max))
        check(row, "phase", (record.phase_min, record.phase_max))
        check(row, "time_exp", (record.exposure_duration, record.exposure_duration))
        wavelengths = (record.wavelength_max, record.wavelength_min)
        check(row, "spectral_range", tuple(None if w is None else c / w for w in wavelengths))
        check(row, "c2_resol", tuple(None if r is None else r / METRES_PER_DEGREE
                                     for r in (record.resolution_min, record.resolution_max)))
    # the corpus's Kaguya MI/TC scenes give angles and exposures, MI filters and LROC/Chang'e-4 bands
    # spectral ranges, MI/TC maps resolutions
    assert filled["incidence"] >= 6 and filled["time_exp"] >= 8 and filled["spectral_range"] >= 8
    assert filled["c2_resol"] >= 3
    mi = next(r for r in records if r.product_id == "MVA_2B2_01_02329N002E0302")
    row = rows[mi.uid]
    assert (float(row["incidence_min"]), float(row["emergence_min"]), float(row["phase_min"])) == \
        pytest.approx((13.79, 0.463, 13.893))
    assert float(row["spectral_range_max"]) == pytest.approx(c / 414e-9, rel=1e-6)  # the 414 nm band
    assert float(row["time_exp_min"]) == pytest.approx(1.3297e-3)


def test_the_epntap_source_reads_back_what_the_export_writes(tmp_path: Path) -> None:
    """Export a catalog to epn_core, read each row with the epn-tap source's decoder: the observation
    fields come back, and a scene's s_region polygon becomes its footprint."""
    from archive_fed import geometry as geo
    from archive_fed.record import ProductRecord
    from archive_fed.sources.epntap import granule_record

    records = [ProductRecord(uid="urn:nasa:pds:x:data:scene::1.0", lid="urn:nasa:pds:x:data:scene", vid="1.0",
                             lon_min=10.0, lon_max=12.0, lat_min=-1.0, lat_max=1.0,
                             footprint=geo.polygon_from_bounds(10.0, 12.0, -1.0, 1.0),
                             incidence_min=20.0, incidence_max=25.0, emission_min=1.0, emission_max=2.0,
                             phase_min=19.0, phase_max=26.0, exposure_duration=0.004,
                             wavelength_min=415e-9, wavelength_max=750e-9, resolution_min=0.5, resolution_max=0.5),
               ProductRecord(uid="urn:nasa:pds:x:data:bare::1.0", lid="urn:nasa:pds:x:data:bare", vid="1.0")]
    out = tmp_path / "epn.xml"
    Catalog.from_records(records).to_epntap(out)
    table = parse(str(out)).get_first_table().to_table()
    back = {}
    for row in table:
        values = {name: (None if np.ma.is_masked(row[name]) else row[name]) for name in table.colnames}
        back[values["granule_uid"]] = granule_record(values)
    scene = back["urn:nasa:pds:x:data:scene::1.0"]
    for name in ("incidence_min", "incidence_max", "emission_min", "emission_max", "phase_min", "phase_max",
                 "exposure_duration", "wavelength_min", "wavelength_max"):
        assert getattr(scene, name) == pytest.approx(getattr(records[0], name), rel=1e-6), name
    assert scene.footprint_geojson["type"] == "Polygon"  # the densified box, as one spherical polygon
    ring = scene.footprint_geojson["coordinates"][0]
    assert {round(p[1], 6) for p in ring} == {-1.0, 1.0} and min(p[0] for p in ring) == pytest.approx(10.0)
    bare = back["urn:nasa:pds:x:data:bare::1.0"]
    assert bare.footprint is None and bare.incidence_min is None and bare.wavelength_min is None
