"""Randomised catalogs with every awkward case the search must handle, and a brute-force reference."""
from __future__ import annotations

import datetime as dt
import fnmatch
import functools

import numpy as np
import pytest

from archive_fed import missions
from archive_fed.record import ProductRecord

UTC = dt.timezone.utc
MISSIONS = ["kaguya", "change-4", "change-3", "lro", "chandrayaan-1", "my-cubesat", None]
INSTRUMENTS = ["MI-VIS", "MV", "TC1", "LPR", "LROC", "NAC", "M3", "LPR-1", None]
AGENCIES = ["JAXA", "CNSA", "NASA", "ISRO", None]
ARCHIVES = ["jaxa-darts", "cnsa-clpds", "nasa-pds", "local", None]
TARGET_SETS = [["Moon"], ["Moon", "Earth"], ["Sun"], [], ["Earth"], ["Calibration", "Moon"]]
LEVELS = ["Raw", "Calibrated", "Derived", "Partially Processed", None]
NATIVES = ["2B", "L2B0", "EDR", "CDR", "01", None]
PRODUCT_IDS = ["TC1S2B0_01_06921", "tc1s2b0_01_06922", "M1234LE", "CE4_GRAS_LPR-1_0001", "X"]
T0 = dt.datetime(2007, 1, 1, tzinfo=UTC)


def _lon(rng: np.random.Generator) -> float:
    return float(rng.integers(0, 720)) / 2  # a 0.5° grid keeps the reference arithmetic exact


def random_footprint(rng: np.random.Generator) -> tuple:
    kind = rng.integers(0, 9)
    if kind == 0:
        return (None, None, None, None)
    if kind == 1:  # polar cap spanning all longitudes
        edge = float(rng.integers(100, 180)) / 2
        return (0.0, 360.0, edge, 90.0) if rng.random() < 0.5 else (0.0, 360.0, -90.0, -edge)
    if kind == 2:  # a lander: a point
        lon, lat = _lon(rng), float(rng.integers(-180, 181)) / 2
        return (lon, lon, lat, lat)
    if kind == 3:  # crossing 0°/360°
        return (float(rng.integers(640, 720)) / 2, float(rng.integers(0, 80)) / 2,
                *sorted(float(v) / 2 for v in rng.integers(-180, 181, 2)))
    if kind == 4:  # touching the meridian or a pole exactly
        return (float(rng.choice([0.0, 350.0])), float(rng.choice([10.0, 360.0])),
                float(rng.choice([-90.0, 80.0])), 90.0)
    lon = _lon(rng)
    width = float(rng.integers(0, 120)) / 2
    lon_max = min(lon + width, 359.5)
    lat = sorted(float(v) / 2 for v in rng.integers(-180, 181, 2))
    return (lon, lon_max, lat[0], lat[1])


def random_times(rng: np.random.Generator) -> tuple:
    start = T0 + dt.timedelta(seconds=int(rng.integers(0, 15 * 365 * 86400)),
                              microseconds=int(rng.integers(0, 1_000_000)))
    stop = start + dt.timedelta(seconds=int(rng.exponential(30 * 86400)))
    kind = rng.integers(0, 10)
    if kind == 0:
        return None, None
    if kind == 1:
        return start, None
    if kind == 2:
        return None, stop
    return start, stop


def random_records(n: int, seed: int) -> list[ProductRecord]:
    rng = np.random.default_rng(seed)
    pick = lambda pool: pool[int(rng.integers(len(pool)))]  # noqa: E731
    records = []
    for i in range(n):
        start, stop = random_times(rng)
        lon_min, lon_max, lat_min, lat_max = random_footprint(rng)
        targets = list(pick(TARGET_SETS))
        records.append(ProductRecord(
            uid=f"urn:test:{i}::1.0", lid=f"urn:test:{i}", vid="1.0",
            product_id=f"{pick(PRODUCT_IDS)}_{i % 7}" if rng.random() < 0.5 else pick(PRODUCT_IDS),
            title=f"product {i}", mission=pick(MISSIONS), agency=pick(AGENCIES),
            instrument=pick(INSTRUMENTS), targets=targets,
            target=("Moon" if "Moon" in targets else (targets[0] if targets else None)),
            processing_level=pick(LEVELS), processing_level_native=pick(NATIVES),
            start_time=start, stop_time=stop, lon_min=lon_min, lon_max=lon_max,
            lat_min=lat_min, lat_max=lat_max, label_format=pick(["PDS3", "PDS4"]),
            archive=pick(ARCHIVES), harvested_at=T0,
        ))
    return records


# --- the reference: one row at a time, written independently of the vectorised code ---------------

def _arc(lo: float, hi: float) -> tuple[float, float] | None:
    """(start, length) of a longitude box on the circle; None for the whole circle."""
    if lo <= hi:
        return None if hi - lo >= 360 else (lo % 360, hi - lo)
    return (lo % 360, ((hi - lo) % 360) or 360.0)


def _contains(arc: tuple[float, float] | None, lon: float) -> bool:
    return arc is None or (lon - arc[0]) % 360 <= arc[1]


def ref_bbox(rec: ProductRecord, bbox: tuple) -> bool:
    if None in (rec.lon_min, rec.lon_max, rec.lat_min, rec.lat_max):
        return False
    q_lon_min, q_lat_min, q_lon_max, q_lat_max = bbox
    p_lat_lo, p_lat_hi = min(rec.lat_min, rec.lat_max), max(rec.lat_min, rec.lat_max)
    if q_lat_max >= 90 and p_lat_hi >= 90 or q_lat_min <= -90 and p_lat_lo <= -90:
        return True  # both contain the same pole
    if p_lat_lo > q_lat_max or p_lat_hi < q_lat_min:
        return False
    p, q = _arc(rec.lon_min, rec.lon_max), _arc(q_lon_min, q_lon_max)
    if p is None or q is None:
        return True
    return _contains(p, q[0]) or _contains(q, p[0])


def ref_time(rec: ProductRecord, start: dt.datetime | None, stop: dt.datetime | None) -> bool:
    s, e = rec.start_time or rec.stop_time, rec.stop_time or rec.start_time
    if s is None:
        return False
    lo, hi = min(s, e), max(s, e)
    return (stop is None or lo <= stop) and (start is None or hi >= start)


@functools.lru_cache(maxsize=None)
def _key(name: str | None) -> str | None:
    return None if not name else missions.alias_key(name)


@functools.lru_cache(maxsize=None)
def _slug(name: str) -> str | None:
    return _key(missions.resolve_mission(name) or name)


@functools.lru_cache(maxsize=None)
def _instrument(name: str) -> frozenset[str]:
    return frozenset(missions.instrument_keys(name))


@functools.lru_cache(maxsize=None)
def _canon(name: str) -> str | None:
    return _key(missions.canonical_target(name) or name)


def ref_text(rec: ProductRecord, field: str, names: list[str]) -> bool:
    if field == "mission":
        return rec.mission is not None and _slug(rec.mission) in {_slug(n) for n in names}
    if field == "instrument":
        wanted = frozenset().union(*(_instrument(n) for n in names))
        return rec.instrument is not None and bool(_instrument(rec.instrument) & wanted)
    if field == "target":
        wanted = {_canon(n) for n in names}
        stored = ([rec.target] if rec.target else []) + rec.targets
        return any(_canon(t) in wanted for t in stored)
    if field == "level":
        wanted = {_key(n) for n in names}
        return _key(rec.processing_level) in wanted or _key(rec.processing_level_native) in wanted
    if field == "product_id":
        pid = (rec.product_id or "").lower()
        return rec.product_id is not None and any(fnmatch.fnmatchcase(pid, n.lower()) for n in names)
    value = getattr(rec, field)
    return value is not None and _key(value) in {_key(n) for n in names}


@pytest.fixture(scope="session")
def random_catalog_records() -> list[ProductRecord]:
    return random_records(3000, seed=20260101)
