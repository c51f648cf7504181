"""Catalog benchmark: build, store, open and search a catalog of synthetic products.

    python benchmarks/catalog.py [N] [--queries 50] [--dir DIR] [--geometry-queries 40] [--no-brute-force]

Prints one table: build time from ProductRecords, Zarr bytes per product, open time, and the median
latency of combined mission + time + bbox searches against a plain pandas boolean-mask baseline over the
same DataFrame in the same run (the baseline is given the resolved mission slug; it has no aliases).
Targets: search median < 20 ms and < 150 bytes/product at 1,000,000 products.

Geometry (issue 17): bbox-only searches, then polygon and point-radius searches on the sphere — slanted
scenes, polar caps, swaths across 0°/360°, caps at the poles — in memory (after the first search builds
the footprint index), wall-clock and CPU medians; each answer is checked against a brute force on the
sphere by spherely (S2) over every footprint part of every product, whose own time is the baseline.
Target: geometry search median < 50 ms at 1,000,000 products.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive_fed import missions  # noqa: E402
from archive_fed.catalog import Catalog  # noqa: E402
from archive_fed.testing.synthetic import scene_corners, synthetic_records  # noqa: E402

SPELLINGS = {"LRO": 2009, "Kaguya": 2007, "SELENE": 2007, "kaguya": 2007, "CE4": 2019, "Chang'E-4": 2019,
             "chandrayaan-1": 2008, "Clementine": 1994}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def queries(n: int, seed: int = 7) -> list[dict]:
    """Mission (in any spelling) + a window of 1-13 months within its years + a box of 20-120°."""
    rng = np.random.default_rng(seed)
    names = list(SPELLINGS)
    out = []
    for _ in range(n):
        name = names[int(rng.integers(len(names)))]
        start = np.datetime64(f"{SPELLINGS[name]}-01-01") + np.timedelta64(int(rng.integers(0, 4 * 365)), "D")
        stop = start + np.timedelta64(int(rng.integers(30, 400)), "D")
        lon_min = float(rng.uniform(0, 360))
        lon_max = float((lon_min + rng.uniform(20, 120)) % 360)  # some cross 0°
        lat_min = float(rng.uniform(-90, 50))
        lat_max = min(90.0, lat_min + float(rng.uniform(20, 90)))
        out.append({"mission": name, "start": str(start), "stop": str(stop),
                    "bbox": (lon_min, lat_min, lon_max, lat_max)})
    return out


def pandas_search(df, q: dict):
    """The straightforward pandas mask: what a user would write without the catalog."""
    import pandas as pd
    slug = missions.resolve_mission(q["mission"])
    start, stop = pd.Timestamp(q["start"], tz="UTC"), pd.Timestamp(q["stop"], tz="UTC")
    lon_min, lat_min, lon_max, lat_max = q["bbox"]
    s = df["start_time"]
    e = df["stop_time"].fillna(s)
    mask = (df["mission"] == slug) & (s <= stop) & (e >= start)
    mask &= (df["lat_min"] <= lat_max) & (df["lat_max"] >= lat_min)
    plo, phi = df["lon_min"], df["lon_max"]
    pcross = plo > phi
    if lon_min <= lon_max:
        lon = (pcross & ((plo <= lon_max) | (phi >= lon_min))) | (~pcross & (plo <= lon_max) & (phi >= lon_min))
    else:
        lon = pcross | (plo <= lon_max) | (phi >= lon_min)
    pole = (lat_max >= 90) & (df["lat_max"] >= 90)
    return df[(mask & lon) | (mask & pole)]


def timed(function, *args, **kwargs):
    t0 = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - t0


def cpu_timed(function, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process): CPU time holds on a shared, loaded machine."""
    w0, c0 = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - w0, time.process_time() - c0


def bbox_queries(n: int, seed: int = 11) -> list[tuple[float, float, float, float]]:
    """Boxes of 2-40° anywhere, some across 0°, some reaching a pole."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        lon_min = float(rng.uniform(0, 360))
        lat_min = float(rng.uniform(-90, 85))
        out.append((lon_min, lat_min, float((lon_min + rng.uniform(2, 40)) % 360),
                    min(90.0, lat_min + float(rng.uniform(2, 30)))))
    return out


def geometry_queries(n: int, seed: int = 13) -> list[tuple[str, object]]:
    """(kind, geometry=) pairs: point+radius (some at the poles), polar caps as lon/lat bands,
    swaths across 0°/360° in -180..180, slanted scenes of 1-30°, near-pole scenes."""
    rng = np.random.default_rng(seed)
    out: list[tuple[str, object]] = []
    for k in range(n):
        kind = k % 5
        lon, lat = float(rng.uniform(0, 360)), float(np.degrees(np.arcsin(rng.uniform(-1, 1))))
        if kind == 0:
            if rng.random() < 0.3:
                lat = float(rng.choice([-1.0, 1.0]) * rng.uniform(85, 90))
            out.append(("point-radius", (lon, lat, float(rng.uniform(10, 300)))))
        elif kind == 1:
            edge = float(rng.uniform(80, 88) * rng.choice([-1.0, 1.0]))
            pole = 90.0 if edge > 0 else -90.0
            out.append(("polygon: polar cap",
                        f"POLYGON ((0 {edge}, 360 {edge}, 360 {pole}, 0 {pole}, 0 {edge}))"))
        elif kind == 2:
            corners = scene_corners(float(rng.uniform(-4, 4)) % 360, float(rng.uniform(-70, 70)), 6.0,
                             float(rng.uniform(0.5, 3)), float(rng.uniform(-60, 60)))
            ring = [[(c[0] + 180) % 360 - 180, c[1]] for c in corners]
            out.append(("polygon: swath across 0/360", {"type": "Polygon", "coordinates": [ring + ring[:1]]}))
        else:
            if kind == 4:
                lat = float(rng.choice([-1.0, 1.0]) * rng.uniform(75, 88))
            corners = scene_corners(lon, lat, float(rng.uniform(0.5, 15)), float(rng.uniform(0.5, 10)),
                             float(rng.uniform(0, 90)))
            out.append(("polygon: scene" if kind == 3 else "polygon: near a pole",
                        {"type": "Polygon", "coordinates": [[list(c) for c in corners + corners[:1]]]}))
    return out


class BruteForce:
    """Every footprint part of every product as a spherely geography: a query's answer is the products
    with a part that intersects it (or lies within the radius), computed by S2 over all of them."""

    def __init__(self, catalog) -> None:
        import spherely

        from archive_fed import geometry as geo
        from archive_fed.catalog import sphere

        self.spherely = spherely
        self.geo = geo
        index = catalog._search_index()  # noqa: SLF001 - the benchmark reads the index it measures
        parts, _ = index.parts()
        self.rows = parts.row
        self.invalid = 0
        geographies = []
        for i in range(parts.size):
            lon = parts.lon[parts.start[i]:parts.start[i + 1]]
            lat = parts.lat[parts.start[i]:parts.start[i + 1]]
            points = []
            for x, y in zip(lon.tolist(), lat.tolist()):
                here = (0.0, y) if abs(y) >= 90.0 else (x, y)
                if not points or points[-1] != here:
                    points.append(here)
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()
            if parts.kind[i] == sphere.POINT or len(points) == 1:
                geographies.append(spherely.create_point(*points[0]))
            elif parts.kind[i] == sphere.LINE or len(points) == 2:
                geographies.append(spherely.create_linestring(points))
            else:
                try:
                    geographies.append(spherely.create_polygon(points, oriented=False))
                except ValueError:  # S2 refuses it (a sliver, vertices a hair apart): left out, counted
                    self.invalid += 1
                    geographies.append(spherely.create_point(*points[0]))
        self.parts = np.array(geographies, dtype=object)
        self.size = len(catalog)

    def rows_for(self, value) -> np.ndarray:
        s = self.spherely
        if isinstance(value, tuple):
            lon, lat, radius = value
            hit = s.distance(s.create_point(lon, lat), self.parts, radius=self.geo.MOON_RADIUS_KM * 1000.0) \
                <= radius * 1000.0
        else:
            geometry = self.geo.as_geojson(value)
            ring = [tuple(p) for p in geometry["coordinates"][0][:-1]]
            if ring[0][1] == ring[1][1] and abs(ring[1][0] - ring[0][0]) >= 360.0:  # a band: its parallel
                ring = [(float(x), ring[0][1]) for x in np.arange(0.0, 360.0, 1.0)]
            hit = s.intersects(s.create_polygon(ring, oriented=False), self.parts)
        return np.unique(self.rows[np.asarray(hit, dtype=bool)])


def _median_ms(values: list[float]) -> str:
    return f"{np.median(values) * 1e3:.2f} ms (p90 {np.percentile(values, 90) * 1e3:.2f} ms)"


def geometry_rows(catalog, args) -> list[tuple[str, str]]:
    """bbox, polygon and point-radius searches in memory, checked against the brute force."""
    rows: list[tuple[str, str]] = []
    boxes = bbox_queries(40)
    wall, cpu = [], []
    for box in boxes:
        _, w, c = cpu_timed(catalog.search, bbox=box)
        wall.append(w)
        cpu.append(c)
    rows.append((f"bbox-only search median, {len(boxes)} boxes (wall)", _median_ms(wall)))
    rows.append(("bbox-only search median (CPU)", _median_ms(cpu)))
    if not args.geometry_queries:
        return rows
    queries = geometry_queries(args.geometry_queries)
    _, t = timed(catalog.search, geometry=queries[1][1])
    rows.append(("first geometry search (builds the footprint index)", f"{t:.2f} s"))
    brute = None
    if not args.no_brute_force:
        brute, t = timed(BruteForce, catalog)
        rows.append((f"brute force: {len(brute.parts):,} footprint parts as S2 geographies "
                     f"({brute.invalid} refused by S2)", f"{t:.1f} s"))
    by_kind: dict[str, list[tuple[float, float, int]]] = {}
    by_shape: dict[str, list[float]] = {}
    results = []
    for kind, value in queries:  # timed back to back, then checked (the brute force evicts the caches)
        result, w, c = cpu_timed(catalog.search, geometry=value)
        by_kind.setdefault("point-radius" if kind == "point-radius" else "polygon", []).append((w, c, len(result)))
        by_shape.setdefault(kind, []).append(w)
        results.append(result)
    brute_times, mismatches = [], 0
    for (kind, value), result in zip(queries, results):
        if brute is not None:
            expected, tb = timed(brute.rows_for, value)
            brute_times.append(tb)
            same = set(result.to_pandas()["uid"]) == set(catalog._take(expected).to_pandas()["uid"])  # noqa: SLF001
            if not same:
                mismatches += 1
                print(f"MISMATCH {kind}: {value!r}", file=sys.stderr)
    for kind, values in by_kind.items():
        w = [v[0] for v in values]
        c = [v[1] for v in values]
        hits = [v[2] for v in values]
        rows.append((f"{kind} search median, {len(values)} queries (wall)", _median_ms(w)))
        rows.append((f"{kind} search median (CPU)", _median_ms(c)))
        rows.append((f"{kind} hits per query (median / max)", f"{int(np.median(hits))} / {max(hits)}"))
    for kind, w in by_shape.items():
        rows.append((f"  {kind}: median / max, {len(w)} queries (wall)",
                     f"{np.median(w) * 1e3:.1f} / {max(w) * 1e3:.1f} ms"))
    if brute is not None:
        rows.append(("brute force on the sphere (spherely, every part) median", _median_ms(brute_times)))
        rows.append(("geometry answers equal to the brute force", f"{len(queries) - mismatches} / {len(queries)}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--dir", default=None, help="where to write the store (default: a temp dir)")
    parser.add_argument("--geometry-queries", type=int, default=40, help="0: bbox-only searches alone")
    parser.add_argument("--no-brute-force", action="store_true", help="skip the spherely check and baseline")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="archive_fed_bench_"))
    rows: list[tuple[str, str]] = []

    records, t = timed(synthetic_records, args.n, 0)
    rows.append(("generate ProductRecords (not the catalog)", f"{t:.2f} s"))
    cat, t = timed(Catalog.from_records, records)
    rows.append(("build: Catalog.from_records", f"{t:.2f} s"))
    del records
    path = work / "bench.zarr"
    _, t = timed(cat.save, str(path))
    rows.append(("save (atomic, zarr v3)", f"{t:.2f} s"))
    _, t = timed(cat.save, str(path))
    rows.append(("save again over it", f"{t:.2f} s"))
    size = dir_bytes(path)
    rows.append(("zarr on disk", f"{size / 1e6:.1f} MB = {size / args.n:.1f} bytes/product"))
    df = cat.to_pandas()
    del cat
    opened, t = timed(Catalog.open, str(path))
    rows.append(("open (lazy)", f"{t * 1e3:.1f} ms"))

    qs = queries(args.queries)
    _, t = timed(opened.search, **qs[0])
    rows.append(("first search (builds the index)", f"{t * 1e3:.1f} ms"))
    latencies, baseline, hits = [], [], []
    for q in qs:
        result, t = timed(opened.search, **q)
        latencies.append(t)
        hits.append(len(result))
        expected, tb = timed(pandas_search, df, q)
        baseline.append(tb)
        if len(expected) != len(result):
            raise SystemExit(f"mismatch with the pandas baseline on {q}: {len(result)} != {len(expected)}")
    rows.append((f"search median, {len(qs)} mission+time+bbox queries",
                 f"{np.median(latencies) * 1e3:.2f} ms (p90 {np.percentile(latencies, 90) * 1e3:.2f} ms)"))
    rows.append(("pandas boolean-mask baseline median",
                 f"{np.median(baseline) * 1e3:.2f} ms (p90 {np.percentile(baseline, 90) * 1e3:.2f} ms)"))
    rows.append(("hits per query (median / max)", f"{int(np.median(hits))} / {max(hits)}"))
    sample = opened.search(**qs[int(np.argmax(hits))])
    _, t = timed(lambda: list(sample.records()))
    rows.append((f"records() of the largest result ({len(sample)})", f"{t * 1e3:.1f} ms"))
    rows += geometry_rows(opened, args)

    width = max(len(k) for k, _ in rows)
    print(f"archive_fed catalog benchmark: {args.n:,} products, {os.cpu_count()} CPUs")
    print(f"{'measure'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
