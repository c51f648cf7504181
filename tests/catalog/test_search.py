"""Every search filter against a brute-force, row-by-row reference over a randomised catalog."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from archive_fed.catalog import Catalog, search
from archive_fed.errors import CatalogError

from .conftest import (AGENCIES, ARCHIVES, INSTRUMENTS, LEVELS, NATIVES, PRODUCT_IDS, T0, UTC, ref_bbox,
                       ref_text, ref_time)

TEXT_QUERIES = {
    "mission": ["SELENE", "Kaguya", "kaguya", "CE4", "Chang'E-4", "change-4", "chang'e 3", "LRO",
                "Lunar Reconnaissance Orbiter", "My Cubesat", "nothing-like-it"],
    "instrument": ["MI-VIS", "mi vis", "MV", "multiband imager visible", "LROC", "NAC", "lpr", "LPR-1",
                   "tc1", "ZZZ"],
    "target": ["Moon", "MOON", "Lunar", "luna", "Earth", "sun", "Calibration", "Mars"],
    "level": ["calibrated", "RAW", "Derived", "partially processed", "2b", "l2b0", "EDR", "xyz"],
    "agency": [a for a in AGENCIES if a] + ["jaxa", "esa"],
    "archive": [a for a in ARCHIVES if a] + ["JAXA DARTS"],
    "product_id": PRODUCT_IDS + ["tc1s2b0_01_06921", "TC1*", "*_3", "CE4_GRAS_???-1_0001", "m1234le_?"],
}


@pytest.fixture(scope="module")
def cat(random_catalog_records):
    return Catalog.from_records(random_catalog_records)


def random_box(rng):
    kind = rng.integers(0, 6)
    lat = sorted(float(v) / 2 for v in rng.integers(-180, 181, 2))
    if kind == 0:  # crossing 0°/360° written in [0, 360)
        return (float(rng.integers(600, 720)) / 2, lat[0], float(rng.integers(0, 120)) / 2, lat[1])
    if kind == 1:  # crossing written in [-180, 180]
        return (float(rng.integers(-120, 0)) / 2, lat[0], float(rng.integers(0, 120)) / 2, lat[1])
    if kind == 2:  # polar
        return (float(rng.integers(0, 720)) / 2, float(rng.integers(120, 180)) / 2,
                float(rng.integers(0, 720)) / 2, 90.0)
    if kind == 3:  # a point
        lon, la = float(rng.integers(0, 720)) / 2, float(rng.integers(-180, 181)) / 2
        return (lon, la, lon, la)
    if kind == 4:  # whole globe in either convention
        return (-180.0, -90.0, 180.0, 90.0) if rng.random() < 0.5 else (0.0, lat[0], 360.0, lat[1])
    lon = sorted(float(v) / 2 for v in rng.integers(-360, 720, 2))
    return (lon[0], lat[0], lon[1], lat[1])


def in_180(lon):
    return lon - 360 if lon > 180 else lon


def random_time(rng):
    value = T0 + dt.timedelta(days=int(rng.integers(-100, 16 * 365)), seconds=int(rng.integers(86400)))
    kind = rng.integers(0, 4)  # every accepted spelling of a time
    if kind == 0:
        return value, value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == 1:
        return value, np.datetime64(value.replace(tzinfo=None), "s")
    if kind == 2:
        return value, pd.Timestamp(value).tz_convert("Asia/Tokyo")
    return value, value.replace(tzinfo=None)


def expected_rows(records, query):
    out = []
    for i, rec in enumerate(records):
        ok = True
        for field in TEXT_QUERIES:
            if field in query:
                names = [query[field]] if isinstance(query[field], str) else query[field]
                ok = ok and ref_text(rec, field, names)
        if "start" in query or "stop" in query:
            ok = ok and ref_time(rec, query.get("_start"), query.get("_stop"))
        if "bbox" in query:
            ok = ok and ref_bbox(rec, query["_bbox"])
        if ok:
            out.append(i)
    return out


def random_query(rng):
    query: dict = {}
    for field, values in TEXT_QUERIES.items():
        if rng.random() < 0.25:
            if rng.random() < 0.3:
                query[field] = [values[int(i)] for i in rng.integers(0, len(values), 2)]
            else:
                query[field] = values[int(rng.integers(len(values)))]
    if rng.random() < 0.5:
        (a, a_text), (b, b_text) = random_time(rng), random_time(rng)
        if a > b:
            (a, a_text), (b, b_text) = (b, b_text), (a, a_text)
        if rng.random() < 0.8:
            query["start"], query["_start"] = a_text, a
        if rng.random() < 0.8:
            query["stop"], query["_stop"] = b_text, b
    if rng.random() < 0.5:
        box = random_box(rng)
        query["_bbox"] = box
        # the same box in the [-180, 180] convention must mean the same
        convert = rng.random() < 0.3 and 0 <= box[0] < 360 and 0 <= box[2] < 360
        query["bbox"] = (in_180(box[0]), box[1], in_180(box[2]), box[3]) if convert else box
    return query


@pytest.mark.parametrize("sparse", [0.0, 1.0], ids=["dense-path", "sparse-path"])
def test_random_queries_match_reference(cat, random_catalog_records, monkeypatch, sparse):
    monkeypatch.setattr(search, "SPARSE_FRACTION", sparse)
    rng = np.random.default_rng(7 if sparse else 11)
    for _ in range(200):
        query = random_query(rng)
        hits = cat.search(**{k: v for k, v in query.items() if not k.startswith("_")})
        got = [int(u.split(":")[2]) for u in hits.to_xarray()["uid"].values.tolist()]
        assert got == expected_rows(random_catalog_records, query), query


@pytest.mark.parametrize("field", list(TEXT_QUERIES))
def test_each_text_filter_alone(cat, random_catalog_records, field):
    for value in TEXT_QUERIES[field]:
        got = [int(u.split(":")[2]) for u in cat.search(**{field: value}).to_xarray()["uid"].values]
        assert got == expected_rows(random_catalog_records, {field: value}), value


def uids(catalog):
    return set(catalog.to_xarray()["uid"].values.tolist())


def test_mission_aliases(cat, random_catalog_records):
    kaguya = {r.uid for r in random_catalog_records if r.mission == "kaguya"}
    ce4 = {r.uid for r in random_catalog_records if r.mission == "change-4"}
    assert kaguya and ce4
    for name in ("SELENE", "Kaguya", "kaguya", "KAGUYA", "selene"):
        assert uids(cat.search(mission=name)) == kaguya
    for name in ("CE4", "Chang'E-4", "change-4", "Chang'e 4", "CE-4"):
        assert uids(cat.search(mission=name)) == ce4
    assert uids(cat.search(mission=["SELENE", "CE4"])) == kaguya | ce4
    assert uids(cat.search(mission="my cubesat")) == {r.uid for r in random_catalog_records
                                                      if r.mission == "my-cubesat"}


def test_target_aliases_and_lists(cat, random_catalog_records):
    moon = {r.uid for r in random_catalog_records if "Moon" in r.targets}
    for name in ("Moon", "MOON", "Lunar", "luna", "moon"):
        assert uids(cat.search(target=name)) == moon
    earth = {r.uid for r in random_catalog_records if "Earth" in r.targets}
    assert uids(cat.search(target="earth")) == earth  # a secondary target counts too
    assert uids(cat.search(target=["Lunar", "EARTH"])) == moon | earth


def test_instrument_aliases(cat, random_catalog_records):
    mivis = {r.uid for r in random_catalog_records if r.instrument in ("MI-VIS", "MV")}
    assert uids(cat.search(instrument="MI-VIS")) == mivis
    assert uids(cat.search(instrument="mv")) == mivis
    assert uids(cat.search(instrument="Multiband Imager Visible")) == mivis


def test_level_matches_pds4_or_native(cat, random_catalog_records):
    both = {r.uid for r in random_catalog_records
            if r.processing_level == "Calibrated" or r.processing_level_native == "2B"}
    assert uids(cat.search(level=["calibrated", "2b"])) == both
    assert {"Raw", "Calibrated"} <= set(LEVELS) and "2B" in NATIVES


def test_search_of_a_search(cat):
    first = cat.search(mission="kaguya", start="2008-01-01")
    first.search(bbox=(0, -90, 360, 90))  # builds arrays, then they are sliced for the child
    both = first.search(bbox=(350, -30, 20, 30))
    assert uids(both) == uids(cat.search(mission="kaguya", start="2008-01-01", bbox=(350, -30, 20, 30)))
    assert uids(first.search(instrument="TC1")) == uids(cat.search(mission="kaguya", instrument="TC1",
                                                                      start="2008-01-01"))


def test_time_filter_edges():
    t = lambda s: dt.datetime.fromisoformat(s).replace(tzinfo=UTC)  # noqa: E731
    cat = Catalog.from_records([
        {"uid": "a", "start_time": "2008-01-01T00:00:00Z", "stop_time": "2008-01-10T00:00:00Z"},
        {"uid": "b", "start_time": "2008-01-05T00:00:00Z"},                  # instant
        {"uid": "c"},                                                       # no times
        {"uid": "d", "stop_time": "2008-01-20T00:00:00Z"},                  # only a stop
    ])
    assert uids(cat.search(start="2008-01-10", stop="2008-01-10")) == {"a"}  # touching counts
    assert uids(cat.search(start="2008-01-05T00:00:00Z", stop="2008-01-05")) == {"a", "b"}
    assert uids(cat.search(start=t("2008-01-15"))) == {"d"}
    assert uids(cat.search(stop=np.datetime64("2008-01-04"))) == {"a"}
    assert uids(cat.search()) == {"a", "b", "c", "d"}
    assert uids(cat.search(start="2008-01-05T09:00:00+09:00", stop="2008-01-05T09:00:00+09:00")) \
        == {"a", "b"}
    with pytest.raises(CatalogError):
        cat.search(start="2009-01-01", stop="2008-01-01")
    with pytest.raises(CatalogError):
        cat.search(start="not a time")


def test_bbox_edges():
    cat = Catalog.from_records([
        {"uid": "cross", "lon_min": 350, "lon_max": 10, "lat_min": -5, "lat_max": 5},
        {"uid": "pole", "lon_min": 0, "lon_max": 360, "lat_min": 80, "lat_max": 90},
        {"uid": "point", "lon_min": 180, "lon_max": 180, "lat_min": 0, "lat_max": 0},
        {"uid": "none"},
        {"uid": "npole-corner", "lon_min": 100, "lon_max": 110, "lat_min": 89, "lat_max": 90},
    ])
    assert uids(cat.search(bbox=(-5, -1, 5, 1))) == {"cross"}
    assert uids(cat.search(bbox=(355, -1, 5, 1))) == {"cross"}
    assert uids(cat.search(bbox=(0, -1, 0, 1))) == {"cross"}
    assert uids(cat.search(bbox=(20, -1, 340, 1))) == {"point"}
    assert uids(cat.search(bbox=(20, 10, 340, 20))) == set()
    assert uids(cat.search(bbox=(200, 85, 210, 86))) == {"pole"}
    assert uids(cat.search(bbox=(200, 85, 210, 90))) == {"pole", "npole-corner"}  # one point: the pole
    assert uids(cat.search(bbox=(180, 0, 180, 0))) == {"point"}
    assert uids(cat.search(bbox=(-180, 0, -180, 0))) == {"point"}
    assert uids(cat.search(bbox=(-180, -90, 180, 90))) == {"cross", "pole", "point", "npole-corner"}
    for bad in [(0, 10, 10, -10), (0, 0, 10), ("a", 0, 1, 1), (0, float("nan"), 1, 1)]:
        with pytest.raises(CatalogError):
            cat.search(bbox=bad)


def test_filters_accept_lists_and_reject_junk(cat):
    assert len(cat.search(mission=[])) == len(cat)  # an empty list filters nothing
    with pytest.raises(CatalogError):
        cat.search(mission=[3])
    assert set(INSTRUMENTS) >= {"MI-VIS", "MV"}
