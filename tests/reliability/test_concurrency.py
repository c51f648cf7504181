"""Concurrency: two harvests (or ingests) into one catalog — one is refused with a clear message and the
catalog stays intact; a federated search cache shared by several processes never holds a torn file."""
from __future__ import annotations

import json
import subprocess
import threading
import time

import pyarrow as pa
import pytest

import archive_fed as af
from archive_fed.errors import CatalogError
from archive_fed.federated import cache
from archive_fed.harvest.lock import HarvestLock
from archive_fed.testing.replica import make_pds3_volume
from archive_fed.testing.servers import ArchiveServer
from tests.reliability.limits import PYTHON, ROOT, child_env

pytestmark = pytest.mark.timeout(180)

N = 12


def test_a_second_lock_in_the_same_process_is_refused(tmp_path):
    """Two harvests in one process (threads, a notebook): the second is refused, never let in."""
    path = str(tmp_path / "cat.zarr.harvest" / "lock")
    with HarvestLock(path):
        with pytest.raises(CatalogError, match="another harvest"):
            with HarvestLock(path):
                pass
    with HarvestLock(path):     # released: taken again
        pass


def test_threads_racing_for_the_lock_one_wins(tmp_path):
    path = str(tmp_path / "cat.zarr.harvest" / "lock")
    guard = threading.Lock()
    for _ in range(20):
        state = {"inside": 0, "most": 0, "entered": 0, "refused": 0}
        start = threading.Barrier(6)

        def take(state: dict = state, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with HarvestLock(path):
                    with guard:
                        state["inside"] += 1
                        state["entered"] += 1
                        state["most"] = max(state["most"], state["inside"])
                    time.sleep(0.01)
                    with guard:
                        state["inside"] -= 1
            except CatalogError:
                with guard:
                    state["refused"] += 1

        threads = [threading.Thread(target=take) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert state["most"] == 1, f"{state['most']} holders at once"
        assert state["entered"] >= 1 and state["entered"] + state["refused"] == 6


def test_a_lock_held_by_a_killed_process_is_free(tmp_path):
    path = tmp_path / "cat.zarr.harvest" / "lock"
    holder = subprocess.Popen([PYTHON, "-c", "import sys, time\nfrom archive_fed.harvest.lock import HarvestLock\n"
                               "with HarvestLock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)",
                               str(path)], cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CatalogError, match=rf"another harvest \(pid {holder.pid}\)"):
            with HarvestLock(str(path)):
                pass
    finally:
        holder.kill()
        holder.wait()
    with HarvestLock(str(path)):     # its holder was killed: the lock is free, whatever the file says
        assert path.read_text() == str(__import__("os").getpid())


@pytest.mark.parametrize("command", ["harvest", "ingest"])
def test_two_harvests_into_one_catalog_one_is_refused_and_the_catalog_is_intact(tmp_path, command):
    make_pds3_volume(tmp_path / "vol", N)
    catalog = tmp_path / "cat.zarr"
    with ArchiveServer(tmp_path, latency=0.05) as server:   # slow enough that the runs overlap
        argv = ["harvest", "pds3-volume", "--url", server.url + "/vol/", "--catalog", str(catalog),
                "--no-progress", "--workers", "2"]
        if command == "ingest":
            argv.append("--from-index")
        runs = [subprocess.Popen([PYTHON, "-m", "archive_fed.cli", *argv], cwd=ROOT, env=child_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        outcomes = [(run.wait(timeout=150), run.stderr.read()) for run in runs]
    winners = [code for code, _ in outcomes if code == 0]
    refused = [err for code, err in outcomes if code != 0]
    assert len(winners) >= 1, outcomes
    for err in refused:
        assert "another harvest (pid" in err and "is writing this catalog" in err, err[-500:]
        assert "Traceback" not in err
    records = list(af.Catalog.open(str(catalog)).records())
    assert len(records) == N and len({r.uid for r in records}) == N


WRITER = """
import sys
import pyarrow as pa
from pathlib import Path
from archive_fed.federated import cache
directory, key, tag = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
schema = cache._schema()
for i in range(5000):               # until the reader has seen enough
    if (directory / "stop").exists():
        break
    rows = 200 + (tag * 97 + i * 13) % 400
    table = pa.table({f.name: pa.nulls(rows, f.type) for f in schema}, schema=schema)
    cache.write(key, table, directory)
"""


def test_a_search_cache_shared_by_processes_never_holds_a_torn_file(tmp_path):
    directory, key = tmp_path / "search-cache", "k" * 64
    directory.mkdir()
    writers = [subprocess.Popen([PYTHON, "-c", WRITER, str(directory), key, str(tag)], cwd=ROOT,
                                env=child_env()) for tag in range(3)]
    reads = torn = 0
    deadline = time.monotonic() + 60
    path = cache.entry_path(key, directory)
    try:
        while reads < 60 and time.monotonic() < deadline and any(w.poll() is None for w in writers):
            if not path.exists():
                time.sleep(0.005)
                continue
            table = cache.read(key, ttl=3600, directory=directory)
            reads += 1
            if table is None:
                try:      # read() hides errors: tell a torn file from a vanished one
                    pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
                except FileNotFoundError:
                    continue
                except pa.ArrowException:
                    torn += 1
    finally:
        (directory / "stop").touch()
        codes = [w.wait(timeout=60) for w in writers]
    assert codes == [0, 0, 0]
    assert reads >= 20 and torn == 0, (reads, torn)
    final = cache.read(key, ttl=3600, directory=directory)
    assert final is not None and 200 <= final.num_rows < 600
    assert sorted(p.name for p in directory.iterdir()) == [f"{key}.arrow", "stop"]   # no temporary left
    print(json.dumps({"reads": reads, "torn": torn, "seconds": round(time.monotonic() - deadline + 60, 1)}))
