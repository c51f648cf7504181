"""Catalogs larger than memory: chunk-streamed search, the bulk writer, scattered gathers, bounded memory.

A 200,000-product store with every awkward case (footprints across 0°/360°, polar caps, points, nulls;
missing and one-sided times; aliases) is written column by column with the bulk writer, then searched
streamed (``chunks=10_000``) and with the in-memory index: the answers must be the same products with
the same fields. A 2,000,000-product store is searched streamed in a subprocess whose peak memory must
stay far below the catalog's in-memory size.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from archive_fed.catalog import Catalog, store
from archive_fed.testing import synthetic
from archive_fed.catalog.bulk import CatalogWriter, write_catalog
from archive_fed.catalog.encoding import CATEGORICAL, Codes, columns_from_records, encode_list, null_columns
from archive_fed.testing.synthetic import synthetic_columns, synthetic_records
from archive_fed.errors import CatalogError
from archive_fed.record import FIELDS

from .conftest import AGENCIES, ARCHIVES, INSTRUMENTS, LEVELS, MISSIONS, NATIVES, PRODUCT_IDS, TARGET_SETS
from .test_search import random_query

N_RANDOM = 200_000
ROOT = Path(__file__).resolve().parents[2]


# --- a randomised catalog as columns (the row-by-row generator of conftest, vectorised) -----------

def _pool_codes(rng: np.random.Generator, pool: list, n: int) -> Codes:
    values = [v for v in pool if v is not None]
    categories = np.empty(len(values), dtype=object)
    categories[:] = values
    pick = rng.integers(0, len(pool), n)
    lut = np.array([values.index(v) if v is not None else -1 for v in pool])
    return Codes(lut[pick], categories)


def _footprints(rng: np.random.Generator, n: int) -> np.ndarray:
    """Like conftest.random_footprint: none, polar caps, points, 0°-crossing, edge-touching, plain."""
    half = lambda lo, hi: rng.integers(lo, hi, n) / 2  # noqa: E731  (a 0.5° grid: exact arithmetic)
    lat = np.sort(np.stack([half(-180, 181), half(-180, 181)]), axis=0)
    lon = half(0, 720)
    out = np.stack([lon, np.minimum(lon + half(0, 120), 359.5), lat[0], lat[1]], axis=1)
    kind = rng.integers(0, 9, n)
    edge = half(100, 180)
    north = rng.random(n) < 0.5
    cap = np.stack([np.zeros(n), np.full(n, 360.0), np.where(north, edge, -90.0),
                    np.where(north, 90.0, -edge)], axis=1)
    point = np.stack([lon, lon, lat[0], lat[0]], axis=1)
    cross = np.stack([half(640, 720), half(0, 80), lat[0], lat[1]], axis=1)
    touch = np.stack([rng.choice([0.0, 350.0], n), rng.choice([10.0, 360.0], n), rng.choice([-90.0, 80.0], n),
                      np.full(n, 90.0)], axis=1)
    for k, rows in ((1, cap), (2, point), (3, cross), (4, touch)):
        out[kind == k] = rows[kind == k]
    out[kind == 0] = np.nan
    return out


def random_columns(n: int, seed: int, start: int = 0) -> dict:
    rng = np.random.default_rng([seed, start])
    i = np.arange(start, start + n)
    t0 = np.datetime64("2007-01-01T00:00:00", "us")
    begin = t0 + rng.integers(0, 15 * 365 * 86400 * 10**6, n).astype("timedelta64[us]")
    end = begin + (rng.exponential(30 * 86400, n) * 1e6).astype(np.int64).astype("timedelta64[us]")
    kind = rng.integers(0, 10, n)
    nat = np.datetime64("NaT", "us")
    sets = _pool_codes(rng, [encode_list(s) for s in TARGET_SETS], n)
    first = np.array([(["Moon"] if "Moon" in s else s[:1] or [None])[0] for s in TARGET_SETS], dtype=object)
    target_values = [v for v in dict.fromkeys(first.tolist()) if v is not None]
    target_lut = np.array([target_values.index(v) if v is not None else -1 for v in first])
    pid_pool = np.array(PRODUCT_IDS, dtype=object)[rng.integers(0, len(PRODUCT_IDS), n)]
    suffix = np.char.add("_", (i % 7).astype("U")).astype(object)
    fp = _footprints(rng, n)
    uid_core = np.char.add("urn:test:", i.astype("U")).astype(object)
    columns = {
        "uid": uid_core + "::1.0", "lid": uid_core, "vid": _pool_codes(rng, ["1.0"], n),
        "product_id": np.where(rng.random(n) < 0.5, pid_pool + suffix, pid_pool),
        "title": np.char.add("product ", i.astype("U")).astype(object),
        "mission": _pool_codes(rng, MISSIONS, n), "agency": _pool_codes(rng, AGENCIES, n),
        "instrument_host": _pool_codes(rng, ["HOST A", None], n),
        "instrument": _pool_codes(rng, INSTRUMENTS, n),
        "targets": sets, "target": Codes(target_lut[sets.codes], np.array(target_values, dtype=object)),
        "processing_level": _pool_codes(rng, LEVELS, n),
        "processing_level_native": _pool_codes(rng, NATIVES, n),
        "start_time": np.where((kind == 0) | (kind == 2), nat, begin),
        "stop_time": np.where((kind == 0) | (kind == 1), nat, end),
        "lon_min": fp[:, 0], "lon_max": fp[:, 1], "lat_min": fp[:, 2], "lat_max": fp[:, 3],
        "label_format": _pool_codes(rng, ["PDS3", "PDS4"], n),
        "label_url": np.char.add("https://x.example/", i.astype("U")).astype(object),
        "data_urls": np.where(i % 3 == 0, "[]", '["https://x.example/d.img"]').astype(object),
        "file_size": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 10**9, n).astype(float)),
        "md5": np.where(i % 4 == 0, "", "d41d8cd98f00b204e9800998ecf8427e").astype(object),
        "archive": _pool_codes(rng, ARCHIVES, n),
        "harvested_at": np.full(n, np.datetime64("2026-01-01T00:00:00", "ns")),
        "metadata_source": np.full(n, "label", dtype=object),
    }
    return {**null_columns(n, [f for f in FIELDS if f not in columns]), **columns}


@pytest.fixture(scope="module")
def random_store(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("lazy") / "random.zarr")
    with CatalogWriter(path, shard_rows=65_536) as writer:  # several shards, a partial last one
        for begin in range(0, N_RANDOM, 30_000):
            writer.append(random_columns(min(30_000, N_RANDOM - begin), seed=5, start=begin))
    return path


@pytest.fixture(scope="module")
def streamed(random_store) -> Catalog:
    return Catalog.open(random_store, chunks=10_000)


@pytest.fixture(scope="module")
def in_memory(random_store) -> Catalog:
    return Catalog.open(random_store).load()


def uids(values) -> list:
    """The uid column of a catalog (or the values of a DataArray), as a list."""
    data = values.to_xarray()["uid"] if isinstance(values, Catalog) else values
    return data.values.tolist()


def assert_same_catalog(got: Catalog, expected: Catalog) -> None:
    assert len(got) == len(expected)
    a, b = got.to_pandas(), expected.to_pandas()
    pd.testing.assert_frame_equal(a, b)


# --- streamed search = in-memory search ----------------------------------------------------------

def test_random_queries_streamed_match_in_memory(streamed, in_memory):
    rng = np.random.default_rng(2026)
    nonempty = 0
    for _ in range(24):
        query = {k: v for k, v in random_query(rng).items() if not k.startswith("_")}
        expected = in_memory.search(**query)
        got = streamed.search(**query)
        assert uids(got) == uids(expected), query
        nonempty += len(got) > 0
    assert nonempty > 12


@pytest.mark.parametrize("query", [
    {"bbox": (350, -10, 10, 10)},  # crossing 0° in [0, 360)
    {"bbox": (-10, -10, 10, 10)},  # crossing written in [-180, 180]
    {"bbox": (0, 85, 0, 90)},  # the north pole: every cap reaching it, whatever the longitude
    {"bbox": (123, -90, 124, -89.5)},  # the south pole
    {"bbox": (-180, -90, 180, 90), "agency": "NASA"},  # the globe: every product with a footprint
    {"start": "2020-01-01", "instrument": "LPR"},  # open-ended: one-sided intervals and instants count
    {"stop": "2008-06-01T12:00:00+09:00"},
    {"mission": "SELENE", "instrument": "mi vis"},  # aliases
    {"mission": ["CE4", "Lunar Reconnaissance Orbiter"], "target": "Lunar", "level": "2b"},
    {"product_id": "TC1*", "agency": "jaxa"},
    {"mission": "nothing-like-it"},
])
def test_each_awkward_filter_streamed(streamed, in_memory, query):
    expected = in_memory.search(**query)
    got = streamed.search(**query)
    if "mission" not in query or query["mission"] != "nothing-like-it":
        assert len(expected) > 0
    assert_same_catalog(got, expected)


def test_streamed_results_have_every_field(streamed, in_memory):
    query = {"mission": "kaguya", "start": "2012-01-01", "stop": "2014-01-01", "bbox": (300, -60, 40, 60)}
    got, expected = streamed.search(**query), in_memory.search(**query)
    assert 0 < len(got) < N_RANDOM // 10
    assert_same_catalog(got, expected)
    assert list(got.records()) == list(expected.records())
    assert got._source is None  # an in-memory catalog, independent of the store


def test_streamed_len_repr_summary_and_records(streamed, in_memory):
    assert len(streamed) == N_RANDOM
    assert streamed.summary() == in_memory.summary()
    assert repr(streamed) == repr(in_memory)
    first = list(streamed[:3].records())
    assert first == [in_memory[0], in_memory[1], in_memory[2]]
    assert streamed[-1] == in_memory[-1]
    assert type(streamed.to_xarray()["mission"].data).__module__.startswith("dask")
    assert uids(streamed.to_xarray()["mission"][:5]) == uids(in_memory.to_xarray()["mission"][:5])


def test_streamed_search_checks_arguments(streamed):
    with pytest.raises(CatalogError):
        streamed.search(bbox=(0, 10, 10, 0))
    with pytest.raises(CatalogError):
        streamed.search(start="2010-01-02", stop="2010-01-01")


@pytest.mark.parametrize("chunks", ["auto", {}, {"product": 65_536}, -1, 77_777])
def test_chunks_spellings(random_store, in_memory, chunks):
    query = {"mission": "lro", "bbox": (10, 10, 60, 50)}
    got = Catalog.open(random_store, chunks=chunks).search(**query)
    assert uids(got) == uids(in_memory.search(**query))


@pytest.mark.parametrize("chunks", [0, -2, "big", {"product": 0}, True])
def test_bad_chunks(random_store, chunks):
    with pytest.raises(CatalogError):
        Catalog.open(random_store, chunks=chunks)


# --- gathering scattered rows -------------------------------------------------------------------

def test_scattered_records_and_to_pandas_of_a_lazy_catalog(random_store, in_memory):
    lazy = Catalog.open(random_store)  # categorical columns in memory, the rest read when needed
    query = {"mission": ["kaguya", "CE4"], "bbox": (200, -30, 20, 30)}
    hits = lazy.search(**query)
    expected = in_memory.search(**query)
    assert len(hits) > 1000
    assert list(hits.records()) == list(expected.records())
    pd.testing.assert_frame_equal(hits.to_pandas(), expected.to_pandas())
    rows = np.sort(np.random.default_rng(3).choice(N_RANDOM, 500, replace=False))
    assert list(lazy[rows].records()) == list(in_memory[rows].records())
    assert list(lazy[rows][::7].records()) == list(in_memory[rows][::7].records())  # a selection of one
    # categorical text is decoded from its codes when read, not when rows are selected
    for name in CATEGORICAL:
        assert not isinstance(hits._ds[name].variable._data, np.ndarray), name  # noqa: SLF001
        assert hits._ds[name].values.tolist() == expected._ds[name].values.tolist(), name  # noqa: SLF001
    assert lazy[rows[::-1]]._ds["mission"].values.tolist() == in_memory[rows[::-1]]._ds["mission"].values.tolist()  # noqa: SLF001


def test_lazy_catalogs_refuse_a_replaced_store(tmp_path):
    path = str(tmp_path / "c.zarr")
    Catalog.from_records(synthetic_records(50, seed=1)).save(path)
    streamed = Catalog.open(path, chunks=20)
    assert len(streamed.search(mission="lro")) >= 0
    Catalog.from_records(synthetic_records(60, seed=2)).save(path)
    with pytest.raises(CatalogError, match="replaced"):
        streamed.search(mission="lro")


# --- the bulk writer ----------------------------------------------------------------------------

def test_bulk_writer_writes_what_save_writes(tmp_path):
    records = synthetic_records(5000, seed=9)
    saved, written = str(tmp_path / "saved.zarr"), str(tmp_path / "written.zarr")
    Catalog.from_records(records).save(saved)
    columns = columns_from_records(records)
    with CatalogWriter(written, shard_rows=16_384) as writer:
        for begin, end in ((0, 1234), (1234, 4000), (4000, 5000)):
            writer.append({name: values[begin:end] for name, values in columns.items()})
    for chunks in (None, 1000):
        got = Catalog.open(written, chunks=chunks)
        assert list(got.records()) == records
        assert_same_catalog(got.search(mission="kaguya"), Catalog.open(saved).search(mission="kaguya"))
    assert json.loads((Path(written) / store.MARKER).read_text())["products"] == 5000


def test_bulk_writer_errors_leave_the_old_catalog(tmp_path):
    path = str(tmp_path / "c.zarr")
    Catalog.from_records(synthetic_records(10, seed=1)).save(path)
    columns = synthetic_columns(100, seed=1)
    with pytest.raises(CatalogError, match="missing"), CatalogWriter(path) as writer:
        writer.append({k: v for k, v in columns.items() if k != "title"})
    with pytest.raises(CatalogError, match="differ in length"), CatalogWriter(path) as writer:
        writer.append({**columns, "title": columns["title"][:5]})
    with pytest.raises(RuntimeError), CatalogWriter(path) as writer:
        writer.append(columns)
        raise RuntimeError("interrupted")
    assert len(Catalog.open(path)) == 10
    assert [p.name for p in tmp_path.iterdir()] == ["c.zarr"]  # no temporary left behind


def test_synthetic_columns_are_valid_records(tmp_path):
    path = str(tmp_path / "s.zarr")
    assert write_catalog(path, (synthetic_columns(700, seed=4, start=s) for s in (0, 700, 1400))) == 2100
    cat = Catalog.open(path, chunks=500)
    records = list(cat.records())
    assert len({r.uid for r in records}) == 2100
    assert {r.mission for r in records} <= {m[0] for m in __import__(
        "archive_fed.testing.synthetic", fromlist=["MISSIONS"]).MISSIONS}
    assert all(r.lid and r.product_id and r.label_url and r.data_urls for r in records)
    expected, got = Catalog.from_records(records).summary(), cat.summary()
    for name in ("mission", "instrument"):  # ties may be listed in another order
        expected[name], got[name] = sorted(expected[name]), sorted(got[name])
    assert got == expected


def test_memory_filesystem_store_streamed():
    path = f"memory://lazy-{dt.datetime.now().timestamp()}/c.zarr"
    records = synthetic_records(3000, seed=6)
    Catalog.from_records(records).save(path)
    streamed = Catalog.open(path, chunks=1000)
    expected = Catalog.from_records(records).search(mission="LRO", bbox=(0, -50, 180, 50))
    assert_same_catalog(streamed.search(mission="LRO", bbox=(0, -50, 180, 50)), expected)


# --- bounded memory -----------------------------------------------------------------------------

MEMORY_PROBE = textwrap.dedent(r"""
    import json, sys
    import dask.array, numcodecs, xarray, zarr  # noqa: F401  (code, not data: outside the measure)
    from archive_fed.catalog import Catalog

    def peak_kb():
        # VmHWM: this process's own peak RSS (ru_maxrss would start from the parent's after fork+exec)
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    path, chunks = sys.argv[1], json.loads(sys.argv[2])
    before = peak_kb()
    cat = Catalog.open(path, chunks=chunks)
    hits = 0
    for mission, box in (("LRO", (350, -20, 30, 20)), ("SELENE", (0, 60, 360, 90)),
                         ("CE4", (100, -40, 160, 0))):
        hits += len(cat.search(mission=mission, start="1990-01-01", stop="2030-01-01", bbox=box))
    print(json.dumps({"growth_kb": peak_kb() - before, "hits": hits, "products": len(cat)}))
""")


def _probe(path: str, chunks) -> dict:
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, path, json.dumps(chunks)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def _lean_columns(n: int, start: int) -> dict:
    """Search columns as in synthetic catalogs, tiny text: 2M products written in seconds."""
    rng = np.random.default_rng(start)
    fp = synthetic._footprints(rng, n)
    begin = np.datetime64("1994-01-01", "ns") + rng.integers(0, 30 * 365 * 86400, n).astype("timedelta64[s]")
    ids = np.char.add("p", np.arange(start, start + n).astype("U")).astype(object)
    missions = np.array([m[0] for m in synthetic.MISSIONS], dtype=object)
    empty = np.full(n, "", dtype=object)
    columns: dict = {name: Codes(np.full(n, -1), np.empty(0, dtype=object)) for name in CATEGORICAL}
    columns.update({
        "uid": ids, "lid": ids, "product_id": ids, "title": empty, "label_url": empty, "md5": empty,
        "data_urls": np.full(n, "[]", dtype=object),
        "mission": Codes(rng.integers(0, len(missions), n), missions),
        "start_time": begin, "stop_time": begin + np.timedelta64(60, "s"),
        "lon_min": fp[:, 0], "lon_max": fp[:, 1], "lat_min": fp[:, 2], "lat_max": fp[:, 3],
        "file_size": np.full(n, np.nan), "harvested_at": begin, "metadata_source": empty,
    })
    return {**null_columns(n, [f for f in FIELDS if f not in columns]), **columns}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
def test_streamed_search_memory_is_bounded(tmp_path):
    n = 2_000_000
    path = str(tmp_path / "big.zarr")
    write_catalog(path, (_lean_columns(min(250_000, n - s), s) for s in range(0, n, 250_000)))
    streamed = _probe(path, 100_000)
    whole = _probe(path, None)  # the in-memory index, for scale: the probe does see memory grow
    assert streamed["products"] == n and streamed["hits"] == whole["hits"] > 1000
    # opened in memory, even these lean 2M products take ~300 MB (a real catalog of 2M: ~1 GB)
    assert whole["growth_kb"] > 200_000, whole
    assert streamed["growth_kb"] < 80_000, streamed  # two blocks in flight, the gather, the hits
