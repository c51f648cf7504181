"""Spherical search (issue 17): polygon and point-radius searches equal a brute-force answer computed on the
sphere by an independent library (spherely, S2) over products whose truth is known: slanted scenes from
their corners, polar caps, swaths across 0°/360°, lon/lat boxes, landers; and the range filters."""
from __future__ import annotations

import math

import numpy as np
import pytest

from archive_fed import geometry as geo
from archive_fed.catalog import Catalog
from archive_fed.testing.synthetic import scene_corners, synthetic_records
from archive_fed.errors import ArchiveFedError, GeometryError
from archive_fed.record import ProductRecord

spherely = pytest.importorskip("spherely")
shapely = pytest.importorskip("shapely")

MOON_M = geo.MOON_RADIUS_KM * 1000.0


def _scene(rng, lon, lat, width, height, turn):
    """Corners of a slanted scene of angular half-sizes (radians)."""
    return scene_corners(lon, lat, math.degrees(width), math.degrees(height), turn)


def _box_truth(west, east, south, north):
    """A lon/lat box on the sphere: parallels densified as the record's box footprints are, a pole
    reached is one vertex."""
    width = (east - west) % 360.0 or 360.0
    n = max(1, math.ceil(width / geo.PARALLEL_STEP - 1e-9))
    bottom = [(west + width * i / n, south) for i in range(n + 1)]
    top = [(west + width * (n - i) / n, north) for i in range(n + 1)]
    if width == 360.0:  # a cap: the one parallel, closed round the pole
        ring = (bottom[:-1] if north >= 90.0 else top[:-1])
        return spherely.create_polygon(ring, oriented=False)
    if north >= 90.0:
        top = [(0.0, 90.0)]
    if south <= -90.0:
        bottom = [(0.0, -90.0)]
    return spherely.create_polygon(bottom + top, oriented=False)


def _products(n: int, seed: int):
    """Records with footprints (or boxes) and, for each, its truth as a spherely geography."""
    rng = np.random.default_rng(seed)
    records, truth = [], []
    for i in range(n):
        u = rng.random()
        lon = rng.uniform(0, 360)
        lat = math.degrees(math.asin(rng.uniform(-1, 1)))
        fields: dict = {}
        if u < 0.70:  # a scene; some straddle 0°/360°, some sit on a pole and wind round it
            if u < 0.10:
                lon = rng.uniform(-3, 3) % 360
            elif u < 0.18:
                lat = rng.choice([-1.0, 1.0]) * rng.uniform(84.0, 89.9)
            corners = _scene(rng, lon, lat, math.radians(rng.exponential(1.5) + 0.05),
                             math.radians(rng.exponential(1.0) + 0.05), rng.uniform(-40, 40))
            lons, lats = [c[0] for c in corners], [c[1] for c in corners]
            fields["footprint"] = geo.polygon_from_corners(lons, lats)
            from archive_fed.labels.footprint import from_corners

            box = from_corners(lons, lats)
            t = spherely.create_polygon(corners, oriented=False)
        elif u < 0.88:  # a lon/lat box only (an index row, an older catalog): searched as its box
            if u < 0.80:
                south, north = sorted(rng.uniform(-80, 80, 2))
                west, east = lon, (lon + rng.exponential(4.0) + 0.1) % 360
            else:  # polar caps (map tiles)
                edge = rng.uniform(60, 88)
                west, east = 0.0, 360.0
                south, north = (edge, 90.0) if rng.random() < 0.5 else (-90.0, -edge)
            box = (west, east, south, north)
            t = _box_truth(*box)
        elif u < 0.95:  # a lander
            box = (lon, lon, lat, lat)
            fields["footprint"] = geo.point(lon, lat)
            t = spherely.create_point(lon, lat)
        else:  # nothing known
            box = (None, None, None, None)
            t = None
        records.append(ProductRecord(uid=f"p{i}", lon_min=box[0], lon_max=box[1], lat_min=box[2],
                                     lat_max=box[3], incidence_min=rng.uniform(0, 90) if u < 0.5 else None,
                                     **fields))
        truth.append(t)
    return records, truth


def _queries(rng, count: int):
    """Polygons (WKT, GeoJSON, shapely) and caps: mid-latitude, polar, across 0°/360°, large."""
    out = []
    for k in range(count):
        kind = k % 5
        lon, lat = rng.uniform(0, 360), math.degrees(math.asin(rng.uniform(-1, 1)))
        if kind == 0:  # point + radius, some on or near a pole
            if rng.random() < 0.3:
                lat = rng.choice([-1.0, 1.0]) * rng.uniform(85, 90)
            out.append(("cap", (lon, lat, float(rng.exponential(150.0)))))
            continue
        if kind == 1:  # a polar cap written as a lon/lat band closed at the pole
            edge = rng.uniform(70, 88) * rng.choice([-1.0, 1.0])
            pole = math.copysign(90.0, edge)
            ring = [(0.0, edge), (360.0, edge), (360.0, pole), (0.0, pole), (0.0, edge)]
            out.append(("wkt", "POLYGON ((" + ", ".join(f"{a} {b}" for a, b in ring) + "))"))
            continue
        if kind == 2:  # a slanted swath across 0°/360°, written in -180..180
            corners = _scene(rng, rng.uniform(-4, 4) % 360, rng.uniform(-70, 70), math.radians(6),
                             math.radians(rng.uniform(0.5, 3)), rng.uniform(-60, 60))
            corners = [((c[0] + 180) % 360 - 180, c[1]) for c in corners]
        else:  # scenes of every size, some near a pole
            if kind == 4:
                lat = rng.choice([-1.0, 1.0]) * rng.uniform(75, 88)
            corners = _scene(rng, lon, lat, math.radians(rng.uniform(0.5, 25)), math.radians(rng.uniform(0.5, 15)),
                             rng.uniform(0, 90))
        polygon = shapely.Polygon(corners)
        form = ("shapely", polygon) if kind == 3 else ("geojson", shapely.geometry.mapping(polygon))
        out.append(form)
    return out


def _expected(query, truth_array, present):
    kind, value = query
    if kind == "cap":
        lon, lat, radius = value
        distance = spherely.distance(spherely.create_point(lon, lat), truth_array, radius=MOON_M)
        hit = distance <= radius * 1000.0
    else:
        if kind == "wkt":  # the band: its parallel (densified) closed round the pole
            ring = geo.parse_wkt(value)["coordinates"][0]
            edge = ring[0][1]
            region = spherely.create_polygon([(float(x), edge) for x in np.arange(0, 360, geo.PARALLEL_STEP)],
                                             oriented=False)
        else:
            shell = value.exterior.coords[:-1] if kind == "shapely" else value["coordinates"][0][:-1]
            region = spherely.create_polygon([tuple(p) for p in shell], oriented=False)
        hit = spherely.intersects(region, truth_array)
    return np.flatnonzero(np.asarray(hit, dtype=bool) & present)


@pytest.mark.parametrize("seed", [1, 2])
def test_polygon_and_point_radius_search_equal_brute_force_on_the_sphere(seed):
    records, truth = _products(4000, seed)
    cat = Catalog.from_records(records)
    uids = np.array([r.uid for r in records])
    present = np.array([t is not None for t in truth])
    truth_array = np.array([t if t is not None else spherely.create_point(0.0, 0.0) for t in truth],
                           dtype=object)
    rng = np.random.default_rng(seed + 100)
    total = 0
    for query in _queries(rng, 50):
        expected = set(uids[_expected(query, truth_array, present)])
        value = query[1]
        got = set(cat.search(geometry=value).to_pandas()["uid"])
        assert got == expected, query
        total += len(expected)
        # a bbox or a text filter beside it narrows the same answer
        narrowed = set(cat.search(geometry=value, incidence=(10, 60)).to_pandas()["uid"])
        wanted = {r.uid for r in records if r.uid in expected and r.incidence_min is not None
                  and 10 <= r.incidence_min <= 60}
        assert narrowed == wanted, query
    assert total > 500  # the queries do hit things


def test_search_on_a_saved_catalog_and_streamed(tmp_path):
    records = synthetic_records(3000, seed=5)
    cat = Catalog.from_records(records)
    path = str(tmp_path / "c.zarr")
    cat.save(path)
    opened = Catalog.open(path)
    streamed = Catalog.open(path, chunks=1000)
    for query in [(10.0, 20.0, 300.0), (0.0, 89.0, 200.0), "POLYGON ((350 -30, 15 -30, 15 30, 350 30, 350 -30))",
                  {"type": "Polygon", "coordinates": [[[100, 60], [140, 60], [140, 88], [100, 88], [100, 60]]]}]:
        expected = set(cat.search(geometry=query).to_pandas()["uid"])
        assert expected
        assert set(opened.search(geometry=query).to_pandas()["uid"]) == expected
        assert set(streamed.search(geometry=query).to_pandas()["uid"]) == expected
    back = {r.uid: r for r in opened.records()}
    assert all(back[r.uid].footprint == r.footprint for r in records)


def test_range_filters_and_product_type():
    records = [ProductRecord(uid=f"p{i}", incidence_min=i, incidence_max=i + 5, resolution_min=0.5 * i,
                             resolution_max=0.5 * i, product_type="CDR" if i % 2 else "EDR",
                             wavelength_min=400e-9 if i < 5 else None, wavelength_max=700e-9 if i < 5 else None)
               for i in range(10)] + [ProductRecord(uid="none")]
    cat = Catalog.from_records(records)

    def uids(**filters):
        return sorted(cat.search(**filters).to_pandas()["uid"])

    assert uids(incidence=(0, 3)) == ["p0", "p1", "p2", "p3"]
    assert uids(incidence=(12, None)) == ["p7", "p8", "p9"]
    assert uids(resolution=(None, 1.0)) == ["p0", "p1", "p2"]
    assert uids(wavelength=(650e-9, 2e-6), product_type="cdr") == ["p1", "p3"]
    for bad in ((5, 1), ("a", 2), 3):
        with pytest.raises(ArchiveFedError):
            cat.search(incidence=bad)
    for bad in ((0, 95, 10), "POLYGON ((0 0, 1", (0, 0, -1)):
        with pytest.raises(GeometryError):
            cat.search(geometry=bad)


def test_cli_geometry_flags(tmp_path, capsys):
    import json

    from archive_fed.cli import main

    records = [ProductRecord(uid="near", footprint=geo.polygon_from_corners([10, 11, 11, 10], [0, 0, 1, 1]),
                             lon_min=10, lon_max=11, lat_min=0, lat_max=1, incidence_min=30, incidence_max=30,
                             resolution_min=1.5, resolution_max=1.5, product_type="CDR"),
               ProductRecord(uid="far", footprint=geo.point(200, 45), lon_min=200, lon_max=200, lat_min=45,
                             lat_max=45, incidence_min=80, incidence_max=80)]
    path = str(tmp_path / "c.zarr")
    Catalog.from_records(records).save(path)

    def uids(*flags):
        assert main(["search", "--catalog", path, "--format", "json", *flags]) == 0
        found = json.loads(capsys.readouterr().out)
        assert all(r["footprint"] is None or "coordinates" in r["footprint"] for r in found)  # GeoJSON
        return sorted(r["uid"] for r in found)

    assert uids("--point", "10.5", "1.5", "--radius", "20") == ["near"]  # 0.5° north of its edge: 15 km
    assert uids("--point", "10.5", "1.6", "--radius", "10") == []
    assert uids("--polygon", "POLYGON ((190 40, 210 40, 210 50, 190 50, 190 40))") == ["far"]
    assert uids("--incidence", "0", "70", "--resolution", "2") == ["near"]
    assert uids("--product-type", "cdr") == ["near"]
    assert main(["search", "--catalog", path, "--point", "1", "2"]) == 2
    assert main(["search", "--catalog", path, "--polygon", "POLYGON ((0 0, 1"]) == 2


def test_a_catalog_saved_before_the_geometry_fields_still_opens(tmp_path):
    import shutil

    import pyarrow.parquet as pq
    import zarr

    from archive_fed.catalog.encoding import LATER_FIELDS

    records = synthetic_records(500, seed=9)
    cat = Catalog.from_records(records)
    path = tmp_path / "old.zarr"
    cat.save(str(path))
    for name in LATER_FIELDS:  # what a store written by an older archive_fed lacks
        shutil.rmtree(path / name)
    zarr.consolidate_metadata(str(path))
    for opened in (Catalog.open(str(path)), Catalog.open(str(path), chunks=200)):
        assert len(opened) == 500
        back = {r.uid: r for r in opened.records()}
        assert all(back[r.uid].footprint is None and back[r.uid].incidence_min is None for r in records)
        assert all(back[r.uid].lon_min == r.lon_min and back[r.uid].mission == r.mission for r in records)
        # searched as boxes: the bbox answer, and the box on the sphere
        assert len(opened.search(bbox=(0, -30, 60, 30))) == len(cat.search(bbox=(0, -30, 60, 30)))
        assert len(opened.search(geometry=(30.0, 0.0, 600.0))) > 0
    parquet = tmp_path / "old.parquet"
    cat.to_parquet(str(parquet))
    table = pq.read_table(parquet)
    pq.write_table(table.drop_columns(list(LATER_FIELDS)).replace_schema_metadata(table.schema.metadata), parquet)
    assert [r.uid for r in Catalog.read_parquet(str(parquet)).records()] == [r.uid for r in cat.records()]


# ---- the shortcuts of the search: each equal to the exact test it stands in for ------------------------
from archive_fed.catalog import sphere  # noqa: E402


def test_bounding_caps_hold_every_vertex_and_edge_point():
    rng = np.random.default_rng(5)
    geometries = []
    for _ in range(300):
        lon, lat = float(rng.uniform(0, 360)), float(np.degrees(np.arcsin(rng.uniform(-1, 1))))
        corners = scene_corners(lon, lat, float(rng.uniform(0.1, 20)), float(rng.uniform(0.1, 10)),
                                float(rng.uniform(0, 90)))
        geometries.append(geo.polygon_from_corners([c[0] for c in corners], [c[1] for c in corners]))
    pieces: list = []
    for row, g in enumerate(geometries):
        sphere._add_geometry(pieces, row, g)  # noqa: SLF001
    parts = sphere._assemble(pieces)  # noqa: SLF001
    centre, radius = sphere.bounding_caps(parts)
    a, b, owner = sphere.edges(parts, np.arange(parts.size))
    for t in np.linspace(0, 1, 7):   # points along every edge (great-circle interpolation)
        p = a * (1 - t) + b * t
        p /= np.linalg.norm(p, axis=1)[:, None]
        angle = np.arccos(np.clip(np.einsum("ij,ij->i", p, centre[owner]), -1, 1))
        bounded = radius[owner] < math.pi
        assert np.all(angle[bounded] <= radius[owner][bounded] + 1e-12)
    assert np.mean(radius < math.pi) > 0.9   # scenes this small are bounded


def test_planar_inside_test_equals_the_winding_number():
    rng = np.random.default_rng(9)
    for k in range(40):
        lon, lat = float(rng.uniform(0, 360)), float(rng.choice([-1, 1]) * rng.uniform(0, 89))
        corners = scene_corners(lon, lat, float(rng.uniform(1, 30)), float(rng.uniform(1, 20)),
                                float(rng.uniform(0, 90)))
        q = sphere.parse_query({"type": "Polygon", "coordinates": [[list(c) for c in corners + corners[:1]]]})
        # points off the poles: a pole is a vertex of the parts that reach it, on their boundary, where
        # neither test (nor S2) has a meaning; the search never tests a pole vertex
        points = sphere.to_xyz(rng.uniform(lon - 40, lon + 40, 4000),
                               np.clip(rng.uniform(lat - 30, lat + 30, 4000), -89.99, 89.99))
        for j in range(q.parts.size):
            qe = sphere.arcs(q.parts, np.array([j]))
            winding = (np.abs(sphere.winding_sum(points, qe)) > math.pi) \
                & (points @ sphere.centres(q.parts, np.array([j]))[0] > 0)
            assert np.array_equal(sphere.inside_part(points, q.parts, j), winding), (k, j)


@pytest.mark.parametrize("boxes, expected", [
    ([(0, 80, 90, 90), (90, 80, 180, 90), (180, 80, 270, 90), (270, 80, 360, 90)], (0, 80, 360, 90)),
    ([(350, -10, 360, 5), (0, -12, 10, 4)], (350, -12, 10, 5)),
    ([(100, -89, 180, -76), (180, -89, 270, -74), (270, -86, 273, -84)], (100, -89, 273, -74)),
    ([(10, 0, 20, 1), (200, 0, 210, 1)], (200, 0, 20, 1)),
])
def test_union_box_holds_every_box_in_the_shortest_arc(boxes, expected):
    assert sphere.union_box(boxes) == pytest.approx(expected)


def _long_parts():
    """Parts with many edges (densified parallels): polar caps and wide boxes, some reaching a pole."""
    rng = np.random.default_rng(21)
    pieces: list = []
    for row in range(120):
        if row % 3 == 0:
            edge = float(rng.uniform(55, 88))
            box = (0.0, 360.0, edge, 90.0) if rng.random() < 0.5 else (0.0, 360.0, -90.0, -edge)
        else:
            west = float(rng.uniform(0, 360))
            south = float(rng.uniform(-85, 60))
            box = (west, (west + float(rng.uniform(20, 200))) % 360, south, min(90.0, south + float(rng.uniform(1, 30))))
        sphere._add_geometry(pieces, row, geo.polygon_from_bounds(*box))  # noqa: SLF001
    return sphere._assemble(pieces)  # noqa: SLF001


def _edge_points(parts, steps=9):
    a, b, owner = sphere.edges(parts, np.arange(parts.size))
    for t in np.linspace(0, 1, steps):
        p = a * (1 - t) + b * t
        yield p / np.linalg.norm(p, axis=1)[:, None], owner


def test_part_boxes_hold_every_edge_point_and_polar_parts_keep_their_longitudes():
    parts = _long_parts()
    lon_lo, lon_hi, lat_lo, lat_hi = parts.box
    for p, owner in _edge_points(parts):
        lon = np.degrees(np.arctan2(p[:, 1], p[:, 0])) % 360.0
        lat = np.degrees(np.arcsin(np.clip(p[:, 2], -1, 1)))
        off_pole = np.abs(lat) < 90.0 - 1e-9
        inside = (lat >= lat_lo[owner] - 1e-9) & (lat <= lat_hi[owner] + 1e-9)
        lon_ok = ((lon >= lon_lo[owner] - 1e-9) & (lon <= lon_hi[owner] + 1e-9)) \
            | ((lon_hi[owner] >= 360.0 - 1e-9) & (lon <= 1e-9))
        assert np.all(inside) and np.all(lon_ok | ~off_pole)
    polar = parts.pole != 0
    assert polar.sum() >= 100 and np.all(lon_hi[polar] - lon_lo[polar] <= 90.0)  # not every longitude


def test_runs_hold_their_edges_and_chords_leave_the_winding_number_unchanged():
    parts = _long_parts()
    runs = sphere.runs(parts)
    assert runs.lo.size > 500
    # every point of every edge lies in its run's cap and window
    n_edges = sphere.edge_counts(parts, np.arange(parts.size))
    first_edge = np.concatenate([[0], np.cumsum(n_edges)])[:-1]
    for p, owner in _edge_points(parts):
        local = np.arange(len(owner)) - first_edge[owner]
        long = (runs.first[owner + 1] > runs.first[owner])
        rid = runs.first[owner] + local // sphere.RUN
        p, rid = p[long], rid[long]
        angle = np.arccos(np.clip(np.einsum("ij,ij->i", p, runs.centre[rid]), -1, 1))
        assert np.all(angle <= runs.radius[rid] + 1e-12)
        lat = np.degrees(np.arcsin(np.clip(p[:, 2], -1, 1)))
        assert np.all((lat >= runs.box[rid, 2] - 1e-9) & (lat <= runs.box[rid, 3] + 1e-9))
    # a small query cap anywhere: the winding number at its centre with chords equals the full one
    rng = np.random.default_rng(4)
    every = np.arange(parts.size)
    full = sphere.arcs(parts, every)
    polygon = parts.kind == sphere.POLYGON
    chords_used = 0
    for _ in range(60):
        lon, lat = float(rng.uniform(0, 360)), float(rng.choice([-1, 1]) * rng.uniform(50, 89.9))
        c = sphere.to_xyz(np.float64(lon), np.float64(lat))
        angle = math.radians(float(rng.uniform(0.2, 5)))
        box = sphere.Cap(lon, lat, angle * geo.MOON_RADIUS_KM).box()
        e, _, _, chord = sphere.nearby_arcs(parts, every, c, angle, c,
                                            sphere.box_windows((box[0], box[2], box[1], box[3])))
        chords_used += int(chord.sum())
        short, long_ = np.zeros(parts.size), np.zeros(parts.size)
        np.add.at(long_, full.owner, sphere.winding_at(c, full))
        np.add.at(short, e.owner, sphere.winding_at(c, e))
        assert np.allclose(short[polygon], long_[polygon], atol=1e-9)
        # every edge within the cap's reach is among the edges kept
        near = sphere.arc_distance(c, full) <= angle
        kept = set(zip(e.owner[~chord].tolist(), map(tuple, np.round(e.a[~chord], 12).tolist())))
        wanted = set(zip(full.owner[near].tolist(), map(tuple, np.round(full.a[near], 12).tolist())))
        assert wanted <= kept
    assert chords_used > 1000  # the chords do stand in for runs


def test_window_pairs_are_every_pair_of_meeting_windows():
    rng = np.random.default_rng(8)
    def windows(n, width):
        lo = rng.uniform(0, 360, n)
        hi = np.minimum(360.0, lo + rng.exponential(width, n))
        south = rng.uniform(-90, 80, n)
        return np.stack([lo, hi, south, south + rng.exponential(5, n)], axis=1)
    w, q = windows(3000, 3.0), windows(150, 1.0)
    q[::17, 1] = q[::17, 0] - 1  # empty windows meet nothing
    got = set()
    for i, k in sphere.window_pairs(w, q):
        got |= set(zip(i.tolist(), k.tolist()))
    meets = (w[:, None, 0] <= q[None, :, 1]) & (w[:, None, 1] >= q[None, :, 0]) \
        & (w[:, None, 2] <= q[None, :, 3]) & (w[:, None, 3] >= q[None, :, 2]) & (q[None, :, 0] <= q[None, :, 1])
    assert got == set(zip(*(a.tolist() for a in np.nonzero(meets))))
    assert len(got) > 100


def test_a_polar_cap_query_is_one_part_and_a_wide_band_is_cut():
    cap = sphere.parse_query("POLYGON ((0 80, 360 80, 360 90, 0 90, 0 80))")
    assert cap.parts.size == 1 and cap.parts.pole[0] == 1
    band = sphere.parse_query("POLYGON ((0 -10, 360 -10, 360 10, 0 10, 0 -10))")
    lon_lo, lon_hi, _, _ = band.parts.box
    assert band.parts.size == 4 and np.all(lon_hi - lon_lo <= sphere.QUERY_PART_WIDTH)
    wide_cap = sphere.parse_query("POLYGON ((0 -20, 360 -20, 360 90, 0 90, 0 -20))")  # past a hemisphere
    assert wide_cap.parts.size == 4
    scene = sphere.parse_query({"type": "Polygon", "coordinates": [[[10, 0], [12, 0], [12, 2], [10, 2], [10, 0]]]})
    assert scene.parts.size == 1
