"""The federated search cache: Arrow IPC entries, one entry for equivalent queries, TTL, unreadable
entries, and two processes sharing one cache without ever reading a torn file."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pytest

import archive_fed as af
from archive_fed.federated import cache
from archive_fed.sources.query import Query
from archive_fed.testing.federated import build

ROOT = Path(__file__).resolve().parents[2]


def _catalog(n: int, tag: str = "p") -> af.Catalog:
    return af.Catalog.from_records(
        [af.ProductRecord(uid=f"lro::{tag}{i}", mission="lro", instrument="LROC", targets=["Moon"],
                          start_time=f"2010-01-{1 + i % 28:02d}T00:00:00Z", lon_min=350.0, lon_max=10.0,
                          lat_min=-5.0, lat_max=5.0, file_size=i) for i in range(n)])


def test_entry_is_an_arrow_ipc_file_and_round_trips(tmp_path):
    answer = _catalog(12)
    cache.write("k" * 64, answer.to_arrow(), directory=tmp_path)
    path = cache.entry_path("k" * 64, tmp_path)
    assert path.suffix == ".arrow" and [p.name for p in tmp_path.iterdir()] == [path.name]   # no temp left
    table = pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
    assert table.num_rows == 12 and "uid" in table.column_names
    again = cache.read("k" * 64, directory=tmp_path)
    assert list(af.Catalog.from_arrow(again).records()) == list(answer.records())


def test_expired_absent_and_torn_entries_read_as_missing(tmp_path):
    cache.write("a" * 64, _catalog(3).to_arrow(), directory=tmp_path)
    assert cache.read("a" * 64, ttl=3600, directory=tmp_path) is not None
    old = time.time() - 7200
    os.utime(cache.entry_path("a" * 64, tmp_path), (old, old))
    assert cache.read("a" * 64, ttl=3600, directory=tmp_path) is None
    assert cache.read("b" * 64, directory=tmp_path) is None
    whole = cache.entry_path("a" * 64, tmp_path).read_bytes()
    cache.entry_path("c" * 64, tmp_path).write_bytes(whole[: len(whole) // 2])     # what a torn write leaves
    assert cache.read("c" * 64, directory=tmp_path) is None
    foreign = pa.table({"uid": ["x"], "title": ["an entry of another schema"]})
    with pa.OSFile(str(cache.entry_path("d" * 64, tmp_path)), "wb") as sink, pa.ipc.new_file(sink, foreign.schema) as w:
        w.write_table(foreign)
    assert cache.read("d" * 64, directory=tmp_path) is None


def test_equivalent_queries_share_one_key():
    same = [dict(mission="LRO", target="Moon", bbox=(-10, -5, 10, 5), start="2010-01-01"),
            dict(mission=["lunar reconnaissance orbiter"], target="LUNAR", bbox=(350, -5, 10, 5),
                 start="2010-01-01T00:00:00Z"),
            dict(mission="lro", target=["moon", "Moon"], bbox=(350.0, -5.0, 370.0, 5.0), start="2010-01-01T00:00")]
    assert len({Query.from_filters(**q).key() for q in same}) == 1
    assert (Query.from_filters(mission=["SELENE", "LRO"]).key()
            == Query.from_filters(mission=["lro", "Kaguya"]).key())
    assert (Query.from_filters(bbox=(-180, -90, 180, 90)).key()
            == Query.from_filters(bbox=(0, -90, 360, 90)).key())
    different = [dict(mission="LRO"), dict(mission="KPLO"), dict(mission="LRO", start="2010-01-01"),
                 dict(mission="LRO", bbox=(10, -5, 350, 5)), dict(mission="LRO", level="raw"),
                 dict(mission="LRO", instrument="LROC")]
    assert len({Query.from_filters(**q).key() for q in different}) == len(different)


@pytest.mark.usefixtures("corpus")
def test_equivalent_query_is_answered_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FED_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ARCHIVE_FED_CONFIG", str(tmp_path / "no-config.toml"))
    fed = build(tmp_path, seed=5)
    try:
        first = af.search(mission="LRO", target="Moon", bbox=(-40, -90, 40, 90), sources=fed.sources()[:2])
        asked = len(fed.ode.queries) + len(fed.registry.queries)
        again = af.search(mission="Lunar Reconnaissance Orbiter", target="LUNAR", bbox=(320, -90, 40, 90),
                          sources=fed.sources()[:2])
    finally:
        fed.server.close()
    assert [s.message for s in first.status] == ["", ""] and len(first) > 0
    assert [s.message for s in again.status] == ["cached", "cached"]
    assert len(fed.ode.queries) + len(fed.registry.queries) == asked        # no service was asked again
    assert sorted(r.uid for r in again.records()) == sorted(r.uid for r in first.records())
    assert len(list((tmp_path / "cache").glob("*.arrow"))) == 2             # one entry per source


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    import archive_fed as af
    from archive_fed.federated import cache
    folder, rows, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    answer = af.Catalog.from_records([af.ProductRecord(uid=f"w::{rows}-{i}", title="x" * 200, mission="lro")
                                      for i in range(rows)]).to_arrow()
    print("ready", flush=True)
    for _ in range(rounds):
        cache.write("shared" * 10 + "abcd", answer, directory=folder)
""")


def test_two_processes_sharing_the_cache_never_tear_an_entry(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(rows), "60"], env=env,
                                stdout=subprocess.PIPE, text=True) for rows in (40, 400)]
    try:
        for writer in writers:
            assert writer.stdout.readline().strip() == "ready"
        seen: set[int] = set()
        reads = 0
        began = time.monotonic()
        while any(w.poll() is None for w in writers) and time.monotonic() - began < 120:
            if not cache.entry_path("shared" * 10 + "abcd", tmp_path).exists():
                continue
            entry = cache.read("shared" * 10 + "abcd", directory=tmp_path)
            assert entry is not None, "a reader saw a torn cache entry"
            seen.add(entry.num_rows)
            reads += 1
    finally:
        for writer in writers:
            writer.wait(timeout=60)
    assert [w.returncode for w in writers] == [0, 0]
    assert reads > 10 and seen <= {40, 400} and seen
    assert [p.name for p in tmp_path.iterdir()] == ["shared" * 10 + "abcd.arrow"]  # no temporary file left
