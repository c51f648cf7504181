"""Catalog.coverage (issue 17 item 5): the MOC of a catalog's footprints, checked against areas and points
known on the sphere — lon/lat boxes, a box across 0°/360°, polar caps (from boxes, from corners, and one
larger than a hemisphere), lander points, lines — and the overlap of two catalogs."""
from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest

from archive_fed import geometry as geo
from archive_fed.catalog import Catalog
from archive_fed.catalog import coverage as cov
from archive_fed.errors import ArchiveFedError, DependencyError
from archive_fed.record import ProductRecord

mocpy = pytest.importorskip("mocpy")
from astropy.coordinates import Latitude, Longitude  # noqa: E402  (after the skip: astropy comes with mocpy)

DEPTH = 9


def _cell(depth: int) -> float:
    """Side of a HEALPix cell of ``depth`` (radians)."""
    return math.sqrt(4.0 * math.pi / (12 * 4 ** depth))


def _box_fraction(west: float, east: float, south: float, north: float) -> float:
    width = math.radians((east - west) % 360.0 or 360.0)
    return width * (math.sin(math.radians(north)) - math.sin(math.radians(south))) / (4.0 * math.pi)


def _box_perimeter(west: float, east: float, south: float, north: float) -> float:
    width = math.radians((east - west) % 360.0 or 360.0)
    return (width * (math.cos(math.radians(south)) + math.cos(math.radians(north)))
            + 2.0 * math.radians(north - south))


def _close_enough(moc, fraction: float, perimeter: float, depth: int) -> None:
    """A MOC of a region holds every cell meeting it: no less than the region, and more by at most a
    band of two cells along its edge."""
    slack = 2.0 * _cell(depth) * perimeter / (4.0 * math.pi)
    assert fraction - 1e-9 <= moc.sky_fraction <= fraction + slack, (moc.sky_fraction, fraction, slack)


def _contains(moc, points) -> list[bool]:
    lon, lat = zip(*points)
    return moc.contains_lonlat(Longitude(np.mod(lon, 360.0), unit="deg"), Latitude(list(lat), unit="deg")).tolist()


def _catalog(*records: ProductRecord) -> Catalog:
    return Catalog.from_records(records)


def _box(uid: str, west: float, east: float, south: float, north: float, polygon: bool = True) -> ProductRecord:
    return ProductRecord(uid=uid, lon_min=west, lon_max=east, lat_min=south, lat_max=north,
                         footprint=geo.polygon_from_bounds(west, east, south, north) if polygon else None)


def _fan_fraction(pole: tuple[float, float, float], ring: list[tuple[float, float]]) -> float:
    """Area (fraction of the sphere) of a polygon with great-circle edges that contains ``pole``: the sum of
    the triangles (pole, v_i, v_i+1), each by Van Oosterom and Strackee's formula."""
    p = np.array(pole)
    v = [np.array(geo.xyz(lon, lat)) for lon, lat in ring]
    total = 0.0
    for a, b in zip(v, v[1:] + v[:1]):
        total += 2.0 * math.atan2(abs(float(np.dot(p, np.cross(a, b)))),
                                  1.0 + float(np.dot(p, a) + np.dot(a, b) + np.dot(b, p)))
    return total / (4.0 * math.pi)


# ---- areas ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [7, 9, 11])
def test_a_square_footprint_covers_its_spherical_area_within_the_resolution(depth):
    moc = _catalog(_box("sq", 30.0, 40.0, 10.0, 20.0)).coverage(max_depth=depth)
    _close_enough(moc, _box_fraction(30, 40, 10, 20), _box_perimeter(30, 40, 10, 20), depth)
    assert _contains(moc, [(35, 15), (30.5, 10.5), (39.5, 19.5)]) == [True] * 3
    assert _contains(moc, [(35, 22), (28, 15), (215, -15)]) == [False] * 3
    assert moc.max_order == depth


def test_a_box_without_footprint_polygon_is_its_box():
    with_polygon = _catalog(_box("a", 100.0, 104.0, -30.0, -26.0)).coverage(DEPTH)
    box_only = _catalog(_box("a", 100.0, 104.0, -30.0, -26.0, polygon=False)).coverage(DEPTH)
    assert box_only == with_polygon
    _close_enough(box_only, _box_fraction(100, 104, -30, -26), _box_perimeter(100, 104, -30, -26), DEPTH)


def test_a_footprint_across_0_360_covers_both_sides_and_not_the_middle():
    record = _box("x", 355.0, 5.0, -5.0, 5.0)
    assert geo.decode(record.footprint)["type"] == "MultiPolygon"  # stored as two parts, cut at 0°
    moc = _catalog(record).coverage(DEPTH)
    assert _contains(moc, [(356, 0), (359.99, 4), (0.01, -4), (4, 0)]) == [True] * 4
    assert _contains(moc, [(180, 0), (10, 0), (350, 0), (90, 0), (270, 0)]) == [False] * 5
    _close_enough(moc, _box_fraction(355, 5, -5, 5), _box_perimeter(355, 5, -5, 5), DEPTH)


def test_a_tall_footprint_is_not_widened_along_its_meridians():
    # meridian edges 80° long: mocpy 0.21 alone adds cells along their great circles past the corners
    moc = _catalog(_box("tall", 30.0, 40.0, -60.0, 20.0)).coverage(DEPTH)
    lats = np.arange(-89.5, 90.0, 2.0)
    inside = _contains(moc, [(30.01, lat) for lat in lats])
    assert inside == [bool(-60.0 < lat < 20.0) for lat in lats]
    _close_enough(moc, _box_fraction(30, 40, -60, 20), _box_perimeter(30, 40, -60, 20), DEPTH)


# ---- poles ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("polygon", [True, False])
def test_a_polar_cap_box_contains_the_pole_cell(polygon):
    moc = _catalog(_box("cap", 0.0, 360.0, -90.0, -75.0, polygon=polygon)).coverage(DEPTH)
    assert _contains(moc, [(0, -90), (123, -89.99), (300, -75.5), (45, -80)]) == [True] * 4
    assert _contains(moc, [(0, -74), (200, -70), (0, 90)]) == [False] * 3
    cap = (1.0 - math.cos(math.radians(15.0))) / 2.0
    _close_enough(moc, cap, 2.0 * math.pi * math.cos(math.radians(75.0)), DEPTH)


@pytest.mark.parametrize("west", [0.0, 30.0, 270.0])
def test_a_polar_sector_reaches_its_pole_and_no_further(west):
    moc = _catalog(_box("sector", west, west + 90.0, -90.0, -60.0)).coverage(DEPTH)  # two vertices on the pole
    assert _contains(moc, [(west + 45.0, -89.99), (west + 1.0, -61.0), (west + 89.0, -61.0)]) == [True] * 3
    assert _contains(moc, [(0.0, 90.0), (west + 180.0, -80.0), (west + 45.0, -58.0), (west + 45.0, 10.0)]) == [False] * 4
    _close_enough(moc, _box_fraction(west, west + 90, -90, -60),
                  math.radians(90.0) * math.cos(math.radians(60.0)) + 2 * math.radians(30.0), DEPTH)


@pytest.mark.parametrize("west", [0.0, 30.0, 200.0])
def test_a_ring_along_its_pole_is_the_ring_through_the_pole(west):
    # the same sector closed along the pole (two vertices on it, as the stored parts are) or through one
    # pole vertex: mocpy 0.21 alone adds a column of cells outside the east meridian for the first
    edge = [(west + lon, -80.0) for lon in range(0, 91)]
    along = _catalog(ProductRecord(uid="a", footprint={"type": "Polygon", "coordinates": [
        edge + [(west + 90.0, -90.0), (west, -90.0), edge[0]]]})).coverage(DEPTH)
    through = _catalog(ProductRecord(uid="t", footprint={"type": "Polygon", "coordinates": [
        edge + [(west + 45.0, -90.0), edge[0]]]})).coverage(DEPTH)
    assert along == through
    if west == 0.0:  # meridians 0° and 90° are HEALPix cell edges near the pole: no cell straddles them
        lats = [-89.5 + k for k in range(10)]
        assert not any(_contains(along, [(91.0, lat) for lat in lats] + [(359.0, lat) for lat in lats]))
    _close_enough(through, _box_fraction(0, 90, -90, -80),
                  math.radians(90.0) * math.cos(math.radians(80.0)) + 2 * math.radians(10.0), DEPTH)


def test_a_polar_scene_from_corners_is_closed_through_the_pole():
    corners = [(lon, 80.0) for lon in range(10, 370, 45)]  # eight corners round the north pole
    footprint = geo.polygon_from_corners([c[0] for c in corners], [c[1] for c in corners])
    assert footprint["type"] == "MultiPolygon"  # cut at 0° and closed through the pole
    moc = _catalog(ProductRecord(uid="p", footprint=footprint)).coverage(DEPTH)
    assert _contains(moc, [(0, 90), (77, 89.9), (200, 85)]) == [True] * 3
    assert _contains(moc, [(0, -90), (10, 79)]) == [False] * 2
    fraction = _fan_fraction((0.0, 0.0, 1.0), corners)
    _close_enough(moc, fraction, 8 * math.radians(45.0) * math.cos(math.radians(80.0)), DEPTH)


def test_a_cap_larger_than_a_hemisphere_is_not_taken_for_its_complement():
    # one part closed through the south pole whose ring of great-circle edges runs at 20° north: mocpy
    # alone would take the smaller side (the northern cap); cut into strips it is the larger one
    ring = [(float(lon), 20.0) for lon in range(0, 361, 30)] + [(360.0, -90.0), (0.0, -90.0)]
    footprint = {"type": "Polygon", "coordinates": [ring + [ring[0]]]}
    moc = _catalog(ProductRecord(uid="big", footprint=footprint)).coverage(DEPTH)
    fraction = _fan_fraction((0.0, 0.0, -1.0), [(float(lon), 20.0) for lon in range(0, 360, 30)])
    assert fraction > 0.5
    _close_enough(moc, fraction, 2.0 * math.pi, DEPTH)
    assert _contains(moc, [(0, -90), (15, 0), (200, 10)]) == [True] * 3
    assert _contains(moc, [(0, 90), (100, 40)]) == [False] * 2


def test_split_part_cuts_a_cap_into_strips_of_the_same_area():
    ring = [(float(lon), -60.0) for lon in range(0, 361, 10)] + [(360.0, -90.0), (0.0, -90.0)]
    strips = geo.split_part([p[0] for p in ring], [p[1] for p in ring], 90.0)
    assert [(min(x for x, _ in s), max(x for x, _ in s)) for s in strips] == [
        (0.0, 90.0), (90.0, 180.0), (180.0, 270.0), (270.0, 360.0)]
    whole = _fan_fraction((0.0, 0.0, -1.0), [(float(lon), -60.0) for lon in range(0, 360, 10)])
    pieces = sum(_fan_fraction((0.0, 0.0, -1.0), [p for p in s if p[1] > -90.0]
                               + [(s[-1][0] if s[-1][1] <= -90 else s[0][0], -90.0)]) for s in strips)
    assert pieces == pytest.approx(whole, rel=1e-6)


# ---- points and lines ------------------------------------------------------------------------------------
def test_a_lander_point_is_covered_by_its_cell():
    lander = ProductRecord(uid="ce4", lon_min=177.5846, lon_max=177.5846, lat_min=-45.4395, lat_max=-45.4395)
    moc = _catalog(lander).coverage(DEPTH)
    assert _contains(moc, [(177.5846, -45.4395)]) == [True]
    assert _contains(moc, [(177.5846 + 1.0, -45.4395), (357.5846, 45.4395)]) == [False, False]
    assert moc.sky_fraction == pytest.approx(1.0 / (12 * 4 ** DEPTH))  # one cell


def test_a_line_footprint_is_covered_along_its_length():
    line = ProductRecord(uid="l", lon_min=10.0, lon_max=20.0, lat_min=5.0, lat_max=5.0)
    moc = _catalog(line).coverage(DEPTH)
    assert _contains(moc, [(10.0, 5.0), (13.3, 5.0), (20.0, 5.0)]) == [True] * 3
    assert _contains(moc, [(15.0, 6.0), (25.0, 5.0)]) == [False] * 2


# ---- comparing catalogs ------------------------------------------------------------------------------
def test_two_catalogs_intersect_exactly_where_their_footprints_overlap():
    a = _catalog(_box("a1", 0.0, 20.0, 0.0, 20.0), _box("a2", 300.0, 310.0, -50.0, -40.0))
    b = _catalog(_box("b1", 10.0, 30.0, 10.0, 30.0),
                 ProductRecord(uid="b2", lon_min=305.0, lon_max=305.0, lat_min=-45.0, lat_max=-45.0))
    ma, mb = a.coverage(DEPTH), b.coverage(DEPTH)
    both = ma.intersection(mb)
    assert _contains(both, [(15, 15), (10.5, 19.5), (305, -45)]) == [True] * 3
    assert _contains(both, [(5, 5), (25, 25), (15, 25), (302, -42)]) == [False] * 4
    overlap = _box_fraction(10, 20, 10, 20) + 1.0 / (12 * 4 ** DEPTH)
    _close_enough(both, overlap, _box_perimeter(10, 20, 10, 20), DEPTH)
    union = ma.union(mb)
    assert union.sky_fraction == pytest.approx(ma.sky_fraction + mb.sky_fraction - both.sky_fraction)
    assert Catalog.merge(a, b).coverage(DEPTH) == union


# ---- what is left out, and errors --------------------------------------------------------------------
def test_products_without_geometry_are_counted_in_a_warning():
    cat = _catalog(_box("a", 0.0, 1.0, 0.0, 1.0), ProductRecord(uid="none-1"), ProductRecord(uid="none-2"),
                   ProductRecord(uid="half", lon_min=5.0, lat_min=5.0))  # a box needs all four values
    with pytest.warns(cov.CoverageWarning, match="3 of 4 products") as caught:
        moc = cat.coverage(DEPTH)
    assert (caught[0].message.skipped, caught[0].message.products) == (3, 4)
    assert moc == _catalog(_box("a", 0.0, 1.0, 0.0, 1.0)).coverage(DEPTH)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _catalog(_box("a", 0.0, 1.0, 0.0, 1.0)).coverage(DEPTH)  # nothing skipped: no warning


def test_an_empty_catalog_has_an_empty_coverage():
    moc = Catalog.from_records([]).coverage(DEPTH)
    assert moc.sky_fraction == 0.0


def test_a_saved_catalog_gives_the_same_coverage(tmp_path):
    from archive_fed.testing.synthetic import synthetic_records

    cat = Catalog.from_records(synthetic_records(600, seed=5))
    cat.save(str(tmp_path / "c.zarr"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cov.CoverageWarning)
        assert Catalog.open(str(tmp_path / "c.zarr")).coverage(8) == cat.coverage(8)
        part = cat.search(mission="lro")
        assert part.coverage(8).sky_fraction < cat.coverage(8).sky_fraction


@pytest.mark.parametrize("depth", [-1, 30, 2.5, True, "10"])
def test_max_depth_must_be_a_healpix_order(depth):
    with pytest.raises(ArchiveFedError, match="max_depth"):
        _catalog(_box("a", 0.0, 1.0, 0.0, 1.0)).coverage(depth)


def test_missing_mocpy_is_a_typed_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mocpy", None)  # import mocpy now raises ImportError
    with pytest.raises(DependencyError, match=r"archive_fed\[geometry\]") as caught:
        _catalog(_box("a", 0.0, 1.0, 0.0, 1.0)).coverage()
    assert isinstance(caught.value, ArchiveFedError) and caught.value.package == "mocpy"


# ---- the command line ------------------------------------------------------------------------------
def test_cli_coverage_and_overlap_of_two_catalogs(tmp_path, capsys):
    import json

    from archive_fed.cli import main

    a = _catalog(_box("a1", 0.0, 20.0, 0.0, 20.0), ProductRecord(uid="none"))
    b = _catalog(_box("b1", 10.0, 30.0, 10.0, 30.0))
    pa, pb, out = str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr"), str(tmp_path / "a.fits")
    a.save(pa)
    b.save(pb)
    assert main(["coverage", "--catalog", pa, "--compare", pb, "--max-depth", str(DEPTH), "--out", out,
                 "--format", "json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    ma, mb = a.coverage(DEPTH), b.coverage(DEPTH)
    assert report["products"] == 2 and report["compare_products"] == 1
    assert report["coverage"]["fraction"] == pytest.approx(ma.sky_fraction)
    assert report["both"]["fraction"] == pytest.approx(ma.intersection(mb).sky_fraction)
    assert report["only_catalog"]["fraction"] == pytest.approx(ma.difference(mb).sky_fraction)
    moon = 4 * math.pi * geo.MOON_RADIUS_KM ** 2
    assert report["coverage"]["km2"] == pytest.approx(ma.sky_fraction * moon)
    assert "1 of 2 products" in captured.err  # the product without geometry is reported, not hidden
    assert mocpy.MOC.from_fits(out) == ma
    # filters narrow it; the table names what it shows
    assert main(["coverage", "--catalog", pa, "--bbox", "0", "0", "5", "5", "--max-depth", "6"]) == 0
    text = capsys.readouterr().out
    assert "1 product of" in text and "% of the Moon" in text and "km²" in text
    assert main(["coverage", "--catalog", str(tmp_path / "missing.zarr")]) == 2
