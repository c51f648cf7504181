"""``af.search``: four loopback query services plus a local catalog answer exactly what harvesting them
all and searching locally answers; deadlines, errors, merging, the cache and the CLI."""
from __future__ import annotations

import json
import random
import time

import pytest

import archive_fed as af
from archive_fed import cli
from archive_fed.federated import merge, run
from archive_fed.sources.query import Query
from archive_fed.testing.federated import build
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer
from archive_fed.testing.servers import fast_transport

pytestmark = pytest.mark.usefixtures("corpus")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FED_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ARCHIVE_FED_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("federation")
    fed = build(tmp)
    try:
        yield fed, fed.reference(tmp)
    finally:
        fed.server.close()


def random_query(rng: random.Random) -> dict:
    query: dict = {}
    if rng.random() < 0.5:
        query["mission"] = rng.choice(["LRO", "lunar reconnaissance orbiter", "SMART-1", "SELENE", "Kaguya",
                                       "KPLO", ["LRO", "SMART-1"]])
    kind = rng.random()
    if kind < 0.3:
        west = rng.uniform(300, 359)
        query["bbox"] = (west, rng.uniform(-80, 0), rng.uniform(1, 60), rng.uniform(1, 80))   # across 0°
    elif kind < 0.5:
        south = rng.uniform(60, 85)
        query["bbox"] = rng.choice([(0, south, 360, 90), (rng.uniform(0, 180), -90, rng.uniform(180, 360), -south)])
    elif kind < 0.8:
        west = rng.uniform(0, 300)
        query["bbox"] = (west, rng.uniform(-60, 0), west + rng.uniform(5, 60), rng.uniform(0, 60))
    if rng.random() < 0.6:
        year = rng.randint(2004, 2024)
        query["start"] = f"{year}-{rng.randint(1, 12):02d}-01"
        if rng.random() < 0.7:
            query["stop"] = f"{year + rng.randint(0, 3)}-{rng.randint(1, 12):02d}-28"
            if query["stop"] < query["start"]:
                query["start"], query["stop"] = query["stop"], query["start"]
    if rng.random() < 0.3:
        query["target"] = rng.choice(["Moon", "MOON", "Lunar"])
    return query


def uids(catalog) -> list[str]:
    return sorted(r.uid for r in catalog.records())


def test_twenty_random_queries_equal_harvest_then_search(federation):
    fed, everything = federation
    rng = random.Random(2026)
    nonempty = 0
    for _ in range(20):
        query = random_query(rng)
        hits = af.search(**query, sources=fed.sources(), timeout=30, refresh=True)
        assert [s.state for s in hits.status] == ["ok"] * 5, (query, [s.line() for s in hits.status])
        expected = uids(everything.search(**query))
        assert uids(hits) == expected, query
        assert sum(s.hits for s in hits.status) >= len(hits)
        nonempty += bool(expected)
    assert nonempty >= 8          # the queries are not vacuous


def test_pushdown_reaches_each_service(federation):
    fed, _ = federation
    af.search(mission="LRO", bbox=(10, -20, 40, 20), start="2010-01-01", stop="2011-01-01",
              sources=fed.sources()[:3], refresh=True)
    ode, q = fed.ode.queries[-1], fed.registry.queries[-1]["q"]
    assert ode["ihid"] == "LRO" and float(ode["westernlon"]) == 10 and float(ode["maxlat"]) > 20
    assert ode["minobtime"].startswith("2009-12-31T23:58")
    assert q.startswith("((") and q.endswith("))") and ") and (" in q
    assert "ref_lid_investigation eq" in q and "north_bounding_coordinate ge" in q
    adql = fed.tap.queries[-1]["QUERY"]
    assert "time_max >= 2455197" in adql and "c2max >=" in adql and "(c1min <=" in adql


def test_box_across_meridian_asks_ode_twice(federation):
    fed, everything = federation
    before = len(fed.ode.queries)
    hits = af.search(bbox=(340, -60, 20, 60), sources=fed.sources()[:1], refresh=True)
    asked = [a for a in fed.ode.queries[before:] if a["query"] == "product"]    # not the iipt listing
    assert {(a["westernlon"], a["easternlon"]) for a in asked} == {("340.0", "360.0"), ("0.0", "20.0")}
    assert uids(hits) == uids(everything.search(bbox=(340, -60, 20, 60), archive="ode"))


def test_duplicates_across_sources_collapse(federation, tmp_path):
    fed, _ = federation
    registry = af.sources.create("pds-api", fed.server.url + "/api/search/1/", transport=fast_transport(),
                                 target="Moon", limit=50)
    mirror = str(tmp_path / "mirror.zarr")
    af.harvest(registry, catalog=mirror, progress=False)
    hits = af.search(mission="LRO", sources=[registry, mirror], refresh=True)
    assert len(hits) == 30 and len(set(uids(hits))) == 30
    for uid in uids(hits):
        assert hits.sources_of(uid) == ["pds-api", mirror]
    assert [s.hits for s in hits.status] == [30, 30]


def test_duplicates_between_two_live_services_collapse(federation):
    fed, _ = federation
    url = fed.server.url + "/api/search/1/"
    registry = af.sources.create("pds-api", url, transport=fast_transport(), target="Moon", limit=7)
    nasa = af.sources.create("nasa-pds", url, transport=fast_transport(), limit=11)   # the same registry
    hits = af.search(mission="KPLO", sources=[registry, nasa], refresh=True)
    assert [(s.state, s.hits) for s in hits.status] == [("ok", 6), ("ok", 6)]
    assert len(hits) == 6 and len(set(uids(hits))) == 6
    assert all(hits.sources_of(uid) == ["pds-api", "nasa-pds"] for uid in uids(hits))
    assert hits.sources_table()[["pds-api", "nasa-pds"]].all().all()


def test_richest_record_is_kept_and_every_source_listed():
    rich = af.ProductRecord(uid="x::1", title="rich", mission="lro", instrument="LROC", archive="a")
    poor = af.ProductRecord(uid="x::1", archive="b")
    other = af.ProductRecord(uid="x::2", archive="b")
    hits = merge.merge([("b", [af.Catalog.from_records([poor, other]).to_arrow()]),
                        ("a", [af.Catalog.from_records([rich]).to_arrow()])])
    assert list(hits.records()) == [rich, other]          # first-seen order, richest record per uid
    assert hits.sources_of("x::1") == ["b", "a"] and hits.sources_of("x::2") == ["b"]
    assert hits.sources_of("x::3") == []


def test_merge_is_columnar_and_keeps_blank_uids_apart():
    one = [af.ProductRecord(uid=f"u::{i}", title=f"one {i}" if i % 2 else None) for i in range(7)]
    two = [af.ProductRecord(uid=f"u::{i}", title=None if i % 2 else f"two {i}") for i in reversed(range(7))]
    blank = [af.ProductRecord(uid=None, title="a"), af.ProductRecord(uid=None, title="b")]
    parts = [af.Catalog.from_records(one).to_arrow(), af.Catalog.from_records(two + blank).to_arrow()]
    hits = merge.merge([("one", parts[:1]), ("two", parts[1:])], limit=None)
    assert [r.uid for r in hits.records()] == [f"u::{i}" for i in range(7)] + [None, None]
    assert [r.title for r in hits.records()][:7] == [f"{'one' if i % 2 else 'two'} {i}" for i in range(7)]
    table = hits.sources_table()
    assert table.shape == (9, 3) and table[["one", "two"]].iloc[:7].all().all()
    assert not table["one"].iloc[7:].any() and table["two"].iloc[7:].all()
    assert len(merge.merge([("one", parts[:1]), ("two", parts[1:])], limit=3)) == 3
    assert len(merge.merge([("one", []), ("two", [])])) == 0


def test_limit_caps_hits_and_stops_paging(federation):
    fed, _ = federation
    source = af.sources.create("ode", fed.server.url + "/live2/", transport=fast_transport(), limit=5)
    before = fed.ode.pages_served
    hits = af.search(sources=[source], limit=3, refresh=True)
    assert len(hits) == 3 and hits.status[0].state == "partial"
    # 40 products, 8 pages: the iipt listing and only the first page were asked
    assert fed.ode.pages_served - before == 2


def test_cache_answers_offline(tmp_path):
    fed = build(tmp_path, seed=3)
    try:
        sources, again_sources, offline = fed.sources(), fed.sources(), fed.sources(retries=0)
        first = af.search(bbox=(0, -90, 360, 0), sources=sources)
        assert [s.state for s in first.status] == ["ok"] * 5
    finally:
        fed.server.close()
    began = time.perf_counter()
    again = af.search(bbox=(0, -90, 360, 0), sources=again_sources, timeout=5)
    assert time.perf_counter() - began < 2
    assert uids(again) == uids(first) and len(again) > 0
    assert [s.message for s in again.status[:4]] == ["cached"] * 4
    refreshed = af.search(bbox=(0, -90, 360, 0), sources=offline, timeout=5, refresh=True)
    assert [s.state for s in refreshed.status[:4]] == ["error"] * 4     # refresh asks the (closed) services


def _faulty(tmp_path, fault, **opts):
    fed = build(tmp_path, start_server=False)
    server = ArchiveServer(tmp_path, routes=fed.server.routes,
                           faults=FaultPlan().on("/tap/sync", fault, times=None, **opts))
    fed.server = server.start()
    return fed


def test_stalled_service_is_cut_at_the_deadline(tmp_path):
    fed = _faulty(tmp_path, "stall", seconds=20)
    try:
        began = time.perf_counter()
        hits = af.search(sources=fed.sources(timeout=(2, 15.0)), timeout=5)
        took = time.perf_counter() - began
        states = {s.source: s.state for s in hits.status}
        assert took < 6, took
        assert states.pop("epn-tap") == "timeout" and set(states.values()) == {"ok"}
        assert len(hits) == 40 + 36 + 24 + 20
    finally:
        fed.server.close(timeout=0.5)


def test_service_answering_500_is_an_error(tmp_path):
    fed = _faulty(tmp_path, "500")
    try:
        hits = af.search(sources=fed.sources(retries=1), timeout=10)
        status = {s.source: s for s in hits.status}
        assert status["epn-tap"].state == "error" and "500" in status["epn-tap"].message
        assert len(hits) == 40 + 36 + 24 + 20
    finally:
        fed.server.close()


@pytest.mark.parametrize("fault, opts", [("stall", {"seconds": 20}), ("500", {})])
def test_cli_exits_1_when_a_service_fails(tmp_path, monkeypatch, capsys, fault, opts):
    monkeypatch.setattr("archive_fed.sources.base.Transport", lambda: fast_transport(retries=1))
    fed = _faulty(tmp_path, fault, **opts)
    url = fed.server.url
    try:
        code = cli.main(["search", "--live", f"ode={url}/live2/", f"epn-tap={url}/tap", "--catalog", fed.catalog,
                         "--timeout", "4", "--format", "json", "--refresh"])
    finally:
        fed.server.close(timeout=0.5)
    out, err = capsys.readouterr()
    assert code == 1
    assert len(json.loads(out)) == 40 + 20
    line, = err.strip().splitlines()
    assert line.startswith(f"epn-tap {url}/tap: {'timeout' if fault == 'stall' else 'error'}: ")


def test_cli_exit_2_when_nothing_answers(tmp_path, capsys):
    code = cli.main(["search", "--live", "ode=http://127.0.0.1:9/live2/", "--timeout", "3"])
    assert code == 2 and "ode http://127.0.0.1:9/live2/: " in capsys.readouterr().err
    assert cli.main(["search"]) == 2


def test_cli_catalog_search_unchanged(federation, capsys):
    fed, _ = federation
    assert cli.main(["search", "--catalog", fed.catalog, "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 20


def test_not_a_query_service_is_an_error(tmp_path):
    volume = af.sources.create("pds3-volume", str(tmp_path))
    hits = af.search(sources=[volume])
    assert hits.status[0].state == "error" and "not a query service" in hits.status[0].message


def test_default_sources_are_query_services_and_configured_catalogs(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('catalogs = ["/data/lunar.zarr"]\n')
    monkeypatch.setenv("ARCHIVE_FED_CONFIG", str(config))
    found = run.default_sources()
    names = {s.name for s in found if not isinstance(s, str)}
    assert "ode" in names and "pds3-volume" not in names and "/data/lunar.zarr" in found
    assert all(s.query_service and s.default_url for s in found if not isinstance(s, str))


def test_query_normalizes_boxes():
    assert Query.from_filters(bbox=(-10, 80, 10, 90)).bbox == (350.0, 80.0, 10.0, 90.0)
    assert Query.from_filters(bbox=(-180, -90, 180, 90)).bbox == (0.0, -90.0, 360.0, 90.0)
    assert Query.from_filters(mission="SELENE").mission == ("kaguya",)
