"""Footprint polygons and observation fields from labels (issue 17): every corpus label with coordinates,
the Chandrayaan-2 ``isda:`` and placeholder-target dialects, the Kaguya SP context corners."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed import geometry as geo
from archive_fed.errors import ArchiveFedError, GeometryError
from archive_fed.labels.pds3 import parse_pds3
from archive_fed.labels.pds4 import parse_pds4
from archive_fed.testing.synthetic import scene_corners

spherely = pytest.importorskip("spherely")

CORPUS = Path(os.environ.get("ARCHIVE_FED_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="ARCHIVE_FED_CORPUS (the real-label corpus) absent")

#: Coordinates a label gives, read from its text (independently of the normalizer).
_PDS3_COORDINATES = re.compile(r"^\s*(UPPER_LEFT_LATITUDE|MAXIMUM_LATITUDE|SCENE_CENTER_LATITUDE|"
                               r"LANDING_SITE_LATITUDE)\s*=", re.M)
_PDS4_COORDINATES = re.compile(r"<(?:\w+:)?(?:north_bounding_coordinate|upper_left_latitude|latitude)[\s>]")
_PDS3_CENTRE = re.compile(r"^\s*SCENE_CENTER_(LATITUDE|LONGITUDE)\s*=\s*([-+0-9.eE]+)", re.M)


def _label_files() -> list[Path]:
    suffixes = {".lbl", ".pvl", ".xml", ".2bl"}
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def _truth(geometry: dict) -> object:
    """The footprint as one spherely geography (each part a loop; pole vertices collapsed)."""
    polygons = []
    for kind, ring in geo.iter_rings(geometry):
        if kind == "point":
            return spherely.create_point(*ring[0])
        points = []
        for lon, lat in ring:
            here = (0.0, lat) if abs(lat) >= 90.0 else (lon, lat)
            if not points or points[-1] != here:
                points.append(here)
        polygons.append(spherely.create_polygon(points, oriented=False))
    return polygons[0] if len(polygons) == 1 else spherely.create_collection(polygons)


@needs_corpus
def test_every_corpus_label_with_coordinates_gives_its_polygon():
    with_coordinates = []
    for path in _label_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        if not (_PDS3_COORDINATES.search(text) or _PDS4_COORDINATES.search(text)):
            continue
        try:
            record = af.normalize(af.read_label(str(path)))
        except ArchiveFedError:  # an index-table label or a non-product: not a located product
            continue
        with_coordinates.append(path.name)
        footprint = record.footprint_geojson
        assert footprint is not None, path
        assert None not in (record.lon_min, record.lon_max, record.lat_min, record.lat_max), path
        vertices = [p for _, ring in geo.iter_rings(footprint) for p in ring]
        for lon, lat in vertices:  # the polygon's vertices lie in the record's box
            assert record.lat_min - 1e-9 <= lat <= record.lat_max + 1e-9, path
            if abs(lat) < 90.0 and record.lon_max - record.lon_min < 360.0:
                west, width = record.lon_min, (record.lon_max - record.lon_min) % 360.0
                assert (lon - west) % 360.0 <= width + 1e-7 or abs((lon - west) % 360.0 - 360.0) < 1e-7, path
        centre = dict((k, float(v)) for k, v in _PDS3_CENTRE.findall(text))
        if footprint["type"] != "Point" and len(centre) == 2:  # a scene holds its centre, on the sphere
            assert spherely.contains(_truth(footprint), spherely.create_point(centre["LONGITUDE"],
                                                                              centre["LATITUDE"])), path
        # the catalog stores it and gives it back
        assert next(af.Catalog.from_records([record]).records()).footprint == record.footprint
    assert len(with_coordinates) >= 10, with_coordinates  # the corpus has Kaguya scenes, maps, Chang'e-4


ISDA = """<?xml version="1.0" encoding="UTF-8"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1" xmlns:isda="https://isda.issdc.gov.in/pds4/isda/v1">
  <Identification_Area>
    <logical_identifier>urn:isro:isda:ch2_cho.ohr:data_calibrated:ch2_ohr_ncp_20210331T0507434512_d_img_d18</logical_identifier>
    <version_id>1.0</version_id>
    <title>Chandrayaan-2 Orbiter OHRC calibrated image</title>
  </Identification_Area>
  <Observation_Area>
    <Time_Coordinates>
      <start_date_time>2021-03-31T05:07:43.4512Z</start_date_time>
      <stop_date_time>2021-03-31T05:07:52.0011Z</stop_date_time>
    </Time_Coordinates>
    <Primary_Result_Summary><processing_level>Calibrated</processing_level></Primary_Result_Summary>
    <Investigation_Area><name>Chandrayaan-2</name><type>Mission</type></Investigation_Area>
    <Observing_System>
      <Observing_System_Component><name>Chandrayaan-2 Orbiter</name><type>Host</type></Observing_System_Component>
      <Observing_System_Component><name>Orbiter High Resolution Camera</name><type>Instrument</type></Observing_System_Component>
    </Observing_System>
    <Target_Identification><name>Moon</name><type>Satellite</type></Target_Identification>
    <Mission_Area>
      <isda:Product_Parameters>
        <isda:instrument_id>OHRC</isda:instrument_id>
        <isda:pixel_resolution unit="m/pixel">{resolution}</isda:pixel_resolution>
        <isda:sun_azimuth unit="deg">180.3</isda:sun_azimuth>
        <isda:sun_elevation unit="deg">{elevation}</isda:sun_elevation>
      </isda:Product_Parameters>
      <isda:Geometry_Parameters>
        <isda:System_Level_Coordinates>
          <isda:upper_left_latitude unit="deg">{sys[0]}</isda:upper_left_latitude>
          <isda:upper_left_longitude unit="deg">{sys[1]}</isda:upper_left_longitude>
          <isda:upper_right_latitude unit="deg">{sys[2]}</isda:upper_right_latitude>
          <isda:upper_right_longitude unit="deg">{sys[3]}</isda:upper_right_longitude>
          <isda:lower_left_latitude unit="deg">{sys[6]}</isda:lower_left_latitude>
          <isda:lower_left_longitude unit="deg">{sys[7]}</isda:lower_left_longitude>
          <isda:lower_right_latitude unit="deg">{sys[4]}</isda:lower_right_latitude>
          <isda:lower_right_longitude unit="deg">{sys[5]}</isda:lower_right_longitude>
        </isda:System_Level_Coordinates>
        {refined}
      </isda:Geometry_Parameters>
    </Mission_Area>
  </Observation_Area>
  <File_Area_Observational>
    <File><file_name>ch2_ohr_ncp_20210331T0507434512_d_img_d18.img</file_name></File>
  </File_Area_Observational>
</Product_Observational>
"""
REFINED = """<isda:Refined_Corner_Coordinates>
          <isda:upper_left_latitude unit="deg">{0}</isda:upper_left_latitude>
          <isda:upper_left_longitude unit="deg">{1}</isda:upper_left_longitude>
          <isda:upper_right_latitude unit="deg">{2}</isda:upper_right_latitude>
          <isda:upper_right_longitude unit="deg">{3}</isda:upper_right_longitude>
          <isda:lower_right_latitude unit="deg">{4}</isda:lower_right_latitude>
          <isda:lower_right_longitude unit="deg">{5}</isda:lower_right_longitude>
          <isda:lower_left_latitude unit="deg">{6}</isda:lower_left_latitude>
          <isda:lower_left_longitude unit="deg">{7}</isda:lower_left_longitude>
        </isda:Refined_Corner_Coordinates>"""


def _isda(tmp_path, system, refined=None, resolution=0.25, elevation=12.5):
    text = ISDA.format(sys=system, refined=REFINED.format(*refined) if refined else "",
                       resolution=resolution, elevation=elevation)
    path = tmp_path / "ch2_ohr_ncp_20210331T0507434512_d_img_d18.xml"
    path.write_text(text, encoding="utf-8")
    return af.normalize(af.read_label(str(path)))


def test_chandrayaan2_isda_refined_corners_are_preferred(tmp_path):
    # corners as (lat, lon) pairs: upper left, upper right, lower right, lower left; a scene across 0°
    system = (-13.80, 359.70, -13.81, 0.55, -12.90, 0.56, -12.89, 359.71)
    refined = (-13.79, 359.72, -13.80, 0.57, -12.91, 0.58, -12.90, 359.73)
    rec = _isda(tmp_path, system, refined)
    assert (rec.mission, rec.instrument, rec.target) == ("chandrayaan-2", "OHRC", "Moon")
    lons, lats = refined[1::2], refined[0::2]
    assert rec.footprint_geojson == geo.polygon_from_corners(lons, lats)
    assert rec.footprint_geojson["type"] == "MultiPolygon"  # cut at 0°/360°
    assert (rec.lon_min, rec.lon_max, rec.lat_min, rec.lat_max) == (359.72, 0.58, -13.80, -12.90)
    assert rec.resolution_min == rec.resolution_max == 0.25
    assert rec.incidence_min == rec.incidence_max == pytest.approx(77.5)
    # on the sphere the two parts are the scene: its centre is inside, a point just outside is not
    truth = _truth(rec.footprint_geojson)
    assert spherely.contains(truth, spherely.create_point(0.15, -13.35))
    assert not spherely.contains(truth, spherely.create_point(0.15, -13.85))
    # without refined corners, the system-level ones
    rec = _isda(tmp_path, system)
    assert rec.footprint_geojson == geo.polygon_from_corners(system[1::2], system[0::2])
    assert rec.lat_min == -13.81


def test_chandrayaan2_polar_scene_is_closed_through_the_pole(tmp_path):
    # an OHRC scene over the south pole: its edge winds round the pole
    corners = (-89.19986, 222.259328, -89.20906, 229.728973, -89.946885, 22.453651, -89.908842, 110.268353)
    rec = _isda(tmp_path, corners, corners)
    assert (rec.lon_min, rec.lon_max, rec.lat_min, rec.lat_max) == (0.0, 360.0, -90.0, -89.19986)
    footprint = rec.footprint_geojson
    assert footprint["type"] == "MultiPolygon"
    assert any(lat == -90.0 for _, ring in geo.iter_rings(footprint) for _, lat in ring)
    truth = spherely.create_polygon(list(zip(corners[1::2], corners[0::2])), oriented=False)
    for lon, lat in ((0.0, -90.0), (170.0, -89.5), (300.0, -89.95), (226.0, -89.21)):
        point = spherely.create_point(lon, lat)
        assert spherely.contains(_truth(footprint), point) == spherely.contains(truth, point), (lon, lat)
    assert spherely.contains(truth, spherely.create_point(0.0, -90.0))


PLACEHOLDER = """<?xml version="1.0" encoding="UTF-8"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1" xmlns:cart="http://pds.nasa.gov/pds4/cart/v1">
  <Identification_Area>
    <logical_identifier>urn:nasa:pds:clementine_basemap:data:bm5_{tile}</logical_identifier>
    <version_id>1.0</version_id>
    <title>Clementine UVVIS basemap tile {tile}</title>
  </Identification_Area>
  <Observation_Area>
    <Time_Coordinates><start_date_time>1994-02-19T00:00:00Z</start_date_time>
      <stop_date_time>1994-05-03T00:00:00Z</stop_date_time></Time_Coordinates>
    <Investigation_Area><name>Clementine</name><type>Mission</type></Investigation_Area>
    <Observing_System><Observing_System_Component><name>UVVIS</name><type>Instrument</type>
      </Observing_System_Component></Observing_System>
    <Target_Identification>
      <name>{target}</name>
      <type>Satellite</type>
      <Internal_Reference>
        <lid_reference>urn:nasa:pds:context:target:satellite.earth.moon</lid_reference>
        <reference_type>data_to_target</reference_type>
      </Internal_Reference>
    </Target_Identification>
    <Discipline_Area>
      <cart:Cartography>
        <cart:Spatial_Domain>
          <cart:Bounding_Coordinates>
            <cart:west_bounding_coordinate unit="deg">{west}</cart:west_bounding_coordinate>
            <cart:east_bounding_coordinate unit="deg">{east}</cart:east_bounding_coordinate>
            <cart:north_bounding_coordinate unit="deg">{north}</cart:north_bounding_coordinate>
            <cart:south_bounding_coordinate unit="deg">{south}</cart:south_bounding_coordinate>
          </cart:Bounding_Coordinates>
        </cart:Spatial_Domain>
        <cart:Spatial_Representation>
          <cart:Spatial_Representation_Instance><cart:pixel_resolution_x unit="km/pixel">0.1</cart:pixel_resolution_x>
          </cart:Spatial_Representation_Instance>
        </cart:Spatial_Representation>
      </cart:Cartography>
    </Discipline_Area>
  </Observation_Area>
</Product_Observational>
"""


@pytest.mark.parametrize("placeholder", ["{target}", "${TARGET_NAME}", ""])
def test_placeholder_target_takes_the_lid_reference(tmp_path, placeholder):
    path = tmp_path / "bm5.xml"
    path.write_text(PLACEHOLDER.format(tile="n30e350", target=placeholder, west=-10, east=20, south=30,
                                       north=60), encoding="utf-8")
    rec = af.normalize(af.read_label(str(path)))
    assert (rec.target, rec.targets, rec.mission) == ("Moon", ["Moon"], "clementine")
    assert (rec.lon_min, rec.lon_max, rec.lat_min, rec.lat_max) == (350.0, 20.0, 30.0, 60.0)
    assert rec.footprint_geojson == geo.polygon_from_bounds(350.0, 20.0, 30.0, 60.0)
    assert rec.resolution_min == rec.resolution_max == pytest.approx(100.0)
    assert rec.collection_lid == "urn:nasa:pds:clementine_basemap:data"
    # the parallels are densified: on the sphere the box edge at 60°N stays at 60°N
    truth = _truth(rec.footprint_geojson)
    assert spherely.contains(truth, spherely.create_point(5.0, 59.99))
    assert not spherely.contains(truth, spherely.create_point(5.0, 60.05))


def test_polar_basemap_box_is_a_cap(tmp_path):
    path = tmp_path / "bm5_np.xml"
    path.write_text(PLACEHOLDER.format(tile="np", target="{target}", west=0, east=360, south=70, north=90),
                    encoding="utf-8")
    rec = af.normalize(af.read_label(str(path)))
    assert (rec.lon_min, rec.lon_max, rec.lat_min, rec.lat_max) == (0.0, 360.0, 70.0, 90.0)
    truth = _truth(rec.footprint_geojson)
    for lon in (0.5, 45.0, 181.0, 359.0):  # (points off the parts' shared meridians)
        assert spherely.intersects(truth, spherely.create_point(lon, 70.01))
        assert not spherely.intersects(truth, spherely.create_point(lon, 69.9))


def test_kaguya_sp_context_corners_are_not_its_footprint():
    text = b"""PDS_VERSION_ID = PDS3
DATA_SET_ID = "SLN-L-SP-3-LEVEL2C-V1.0"
PRODUCT_ID = "SP_2C_02_00863_S142_E3586"
MISSION_NAME = "SELENE"
INSTRUMENT_HOST_NAME = "SELENE MAIN ORBITER"
INSTRUMENT_ID = "SP"
TARGET_NAME = "MOON"
START_TIME = 2007-12-22T00:00:00
STOP_TIME = 2007-12-22T00:10:00
TM_DATA_SET_NAME = "TC_MAP"
TM_UPPER_LEFT_LATITUDE = -14.0 <deg>
TM_UPPER_LEFT_LONGITUDE = 358.5 <deg>
TM_UPPER_RIGHT_LATITUDE = -14.0 <deg>
TM_UPPER_RIGHT_LONGITUDE = 358.7 <deg>
TM_LOWER_LEFT_LATITUDE = -14.4 <deg>
TM_LOWER_LEFT_LONGITUDE = 358.5 <deg>
TM_LOWER_RIGHT_LATITUDE = -14.4 <deg>
TM_LOWER_RIGHT_LONGITUDE = 358.7 <deg>
END
"""
    rec = af.normalize(parse_pds3(text, path="SP_2C_02_00863_S142_E3586.lbl"))
    assert rec.mission == "kaguya" and rec.footprint is None and rec.lat_min is None


def test_pds3_observation_fields_convert_units():
    text = b"""PDS_VERSION_ID = PDS3
DATA_SET_ID = "TEST-L-CAM-3-V1.0"
PRODUCT_ID = "P1"
PRODUCT_TYPE = "CDR"
TARGET_NAME = "{target}"
INCIDENCE_ANGLE = 41.5 <DEG>
EMISSION_ANGLE = 2.0
PHASE_ANGLE = 40.1 <deg>
PIXEL_RESOLUTION = 0.0005 <KM/PIXEL>
CENTER_FILTER_WAVELENGTH = (415 <nm>, 750 <nm>)
EXPOSURE_DURATION = 12.5 <MS>
UPPER_LEFT_LATITUDE = 10.0
UPPER_LEFT_LONGITUDE = 20.0
UPPER_RIGHT_LATITUDE = 10.0
UPPER_RIGHT_LONGITUDE = 21.0
LOWER_RIGHT_LATITUDE = 9.0
LOWER_RIGHT_LONGITUDE = 21.0
LOWER_LEFT_LATITUDE = 9.0
LOWER_LEFT_LONGITUDE = 20.0
END
"""
    rec = af.normalize(parse_pds3(text, path="P1.lbl"))
    assert rec.targets == [] and rec.product_type == "CDR" and rec.data_set_id == "TEST-L-CAM-3-V1.0"
    assert (rec.incidence_min, rec.emission_max, rec.phase_min) == (41.5, 2.0, 40.1)
    assert rec.resolution_min == pytest.approx(0.5)
    assert (rec.wavelength_min, rec.wavelength_max) == (pytest.approx(415e-9), pytest.approx(750e-9))
    assert rec.exposure_duration == pytest.approx(0.0125)
    assert rec.footprint_geojson["type"] == "Polygon"
    data = rec.to_dict()
    assert data["footprint"]["type"] == "Polygon" and af.ProductRecord.from_dict(data) == rec


def test_pds4_radar_band_and_location():
    text = b"""<?xml version="1.0"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area><logical_identifier>urn:nasa:pds:x:data:p</logical_identifier>
    <version_id>1.0</version_id></Identification_Area>
  <Observation_Area><Mission_Area>
    <central_frequency unit="MHz">60</central_frequency><working_bandwidth unit="MHz">40</working_bandwidth>
    <Rover_Location><longitude unit="deg">-2.5</longitude><latitude unit="deg">-45.4</latitude></Rover_Location>
  </Mission_Area></Observation_Area>
</Product_Observational>"""
    rec = af.normalize(parse_pds4(text, path="p.xml"))
    assert rec.footprint_geojson == {"type": "Point", "coordinates": [357.5, -45.4]}
    c = 299_792_458.0
    assert (rec.wavelength_min, rec.wavelength_max) == (pytest.approx(c / 80e6), pytest.approx(c / 40e6))


# ---- the geometry module -------------------------------------------------------------------------
def test_wkb_wkt_geojson_round_trips():
    shapely = pytest.importorskip("shapely")
    for geometry in (geo.polygon_from_corners([359.0, 1.0, 1.0, 359.0], [-1.0, -1.0, 1.0, 1.0]),
                     geo.polygon_from_bounds(0, 360, 80, 90), geo.point(10.5, -3.25),
                     geo.polygon_from_bounds(10, 10, 0, 1)):
        wkb = geo.to_wkb(geometry)
        assert geo.from_wkb(wkb) == geometry
        assert shapely.from_wkb(wkb).equals(shapely.geometry.shape(geometry))
        assert geo.as_geojson(shapely.from_wkb(wkb)) == geometry  # __geo_interface__
        wkt = geo.to_wkt(geometry)
        assert shapely.from_wkt(wkt).equals_exact(shapely.geometry.shape(geometry), 1e-6)
        assert geo.as_geojson(shapely.to_wkt(shapely.from_wkb(wkb), rounding_precision=-1)) == geometry
    big_endian = shapely.to_wkb(shapely.Point(1, 2), byte_order=0)
    assert geo.from_wkb(big_endian) == {"type": "Point", "coordinates": [1.0, 2.0]}
    for bad in ("POLYGON ((0 0, 1", "CIRCLE (1 2)", "00ff", {"type": "Polygon"}, 42):
        with pytest.raises(GeometryError):
            geo.as_geojson(bad)


def test_corners_on_the_sphere_keep_their_region():
    """Cut and pole-closed parts cover exactly the spherical quadrilateral of the corners."""
    import numpy as np

    rng = np.random.default_rng(3)
    for _ in range(200):
        lat0 = rng.uniform(-89.5, 89.5)
        lon0 = rng.uniform(-5, 5) if rng.random() < 0.5 else rng.uniform(0, 360)
        size = rng.uniform(0.2, 8.0)
        corners = scene_corners(lon0, lat0, size, size, rng.uniform(-30, 30))
        truth = spherely.create_polygon(corners, oriented=False)
        footprint = geo.polygon_from_corners([c[0] for c in corners], [c[1] for c in corners])
        mine = _truth(footprint)
        assert spherely.area(mine, radius=1.0) == pytest.approx(spherely.area(truth, radius=1.0), rel=1e-6)
        assert spherely.area(spherely.symmetric_difference(mine, truth), radius=1.0) < 1e-9


@pytest.mark.parametrize("lons, lats", [
    ([0.0, 90.0, 45.0], [80.0, 80.0, 90.0]),             # a corner on the north pole
    ([10.0, 20.0, 20.0, 10.0], [-89.0, -89.0, -90.0, -88.0]),  # ... on the south pole
    ([350.0, 20.0, 0.0], [80.0, 80.0, 90.0]),            # ... and across 0°/360°
    ([200.0, 230.0, 0.0, 170.0], [-70.0, -75.0, -90.0, -80.0]),
])
def test_a_corner_on_a_pole_gives_the_polygon_of_its_corners(lons, lats):
    """An edge to a corner on a pole runs along the meridian of its other end (it was a LineString)."""
    footprint = geo.polygon_from_corners(lons, lats)
    assert footprint["type"] in ("Polygon", "MultiPolygon")
    ring = [(0.0, la) if abs(la) >= 90.0 else (lo, la) for lo, la in zip(lons, lats)]
    truth = spherely.create_polygon(ring, oriented=False)
    mine = _truth(footprint)
    assert spherely.area(mine, radius=1.0) == pytest.approx(spherely.area(truth, radius=1.0), rel=1e-6)
    assert spherely.area(spherely.symmetric_difference(mine, truth), radius=1.0) < 1e-9


def test_corners_all_on_a_pole_are_that_point():
    assert geo.polygon_from_corners([0.0, 10.0, 0.0], [90.0, 90.0, 90.0]) == geo.point(0.0, 90.0)
