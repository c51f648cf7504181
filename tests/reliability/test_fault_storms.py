"""Fault storms: a harvest through 5xx storms, 429 + Retry-After, resets, truncated bodies and stalled
connections, a full disk while the catalog or the harvest state is written, and ``kill -9`` at seeded
random points, ends with exactly the catalog a fault-free harvest gives (records compared field by field,
``harvested_at`` aside): no product lost, none duplicated, none changed.

One loopback archive (a PDS3 volume of 120 products, one broken label and one missing file that every
run must quarantine) serves every test; each test sets its own fault plan.
"""
from __future__ import annotations

import errno
import json
import os
import random
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
import xarray as xr

import archive_fed as af
from archive_fed.errors import CatalogError
from archive_fed.harvest import state as harvest_state
from archive_fed.transport import Transport
from archive_fed.testing.replica import make_pds3_volume, product_id
from tests.reliability.limits import PYTHON, ROOT, child_env
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer

pytestmark = pytest.mark.timeout(300)

N = 120
BROKEN, MISSING = {17}, {41}
BAD = len(BROKEN | MISSING)
KILL_SEEDS = list(range(1, 23))          # 22 kill -9 runs


def fast_transport(retries: int = 8, **kw) -> Transport:
    options = dict(timeout=(2, 1.0), retries=retries, backoff=0.02, backoff_max=1.5, max_per_host=8)
    options.update(kw)
    return Transport(**options)


def content(catalog: Path | str) -> list[dict]:
    """Every record as a dict without ``harvested_at``, sorted by uid (duplicates would show)."""
    records = [{k: v for k, v in r.to_dict().items() if k != "harvested_at"}
               for r in af.Catalog.open(str(catalog)).records()]
    return sorted(records, key=lambda r: r["uid"])


def leftovers(catalog: Path) -> list[str]:
    parts = [str(p) for p in Path(f"{catalog}.harvest").rglob("*") if "part-" in p.name or ".tmp-" in p.name]
    temporaries = [str(p) for p in catalog.parent.glob(catalog.name + ".*-*")]
    return parts + temporaries


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The served volume and the fault-free reference catalog's content."""
    root = tmp_path_factory.mktemp("storm-archive")
    make_pds3_volume(root / "vol", N, broken=BROKEN, missing=MISSING)
    with ArchiveServer(root) as server:
        catalog = root / "reference.zarr"
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(catalog),
                            transport=fast_transport(), progress=False)
        assert report.new == N - BAD and report.failed == BAD
        server.reference = content(catalog)
        server.url_vol = server.url + "/vol/"
        yield server


@pytest.fixture
def server(archive):
    archive.faults, archive.latency = None, 0.0
    archive.reset_stats()
    yield archive
    archive.faults, archive.latency = None, 0.0


def harvest(server, catalog: Path, **kw):
    kw.setdefault("transport", fast_transport())
    kw.setdefault("workers", 6)
    return af.harvest("pds3-volume", url=server.url_vol, catalog=str(catalog), progress=False, **kw)


# ------------------------------------------------------------------ network storms

def storm_5xx(seed: int) -> FaultPlan:
    """Most requests answer 500/502/503/504 at first (each rule fires at most once per path)."""
    plan = FaultPlan(seed=seed)
    for status in ("503", "502", "500", "504"):
        plan.randomly(0.45, status, times=1)
    return plan


def storm_mixed(seed: int) -> FaultPlan:
    """Every kind of fault at once, plus a 429 with Retry-After now and then."""
    return (FaultPlan(seed=seed)
            .randomly(0.2, "reset", times=1)
            .randomly(0.2, "truncate", times=1)
            .randomly(0.1, "reset_after_headers", times=1)
            .randomly(0.2, "503", times=1)
            .randomly(0.03, "429", retry_after=1, times=1)
            .randomly(0.03, "stall", seconds=2.5, times=1)
            .randomly(0.03, "stall_body", seconds=2.5, times=1)
            .every(7, "502", times=1))


@pytest.mark.parametrize("storm, seed", [(storm_5xx, 1), (storm_5xx, 2), (storm_mixed, 3), (storm_mixed, 4)])
def test_storm_ends_with_the_fault_free_catalog(server, tmp_path, storm, seed):
    server.faults = storm(seed)
    catalog = tmp_path / "cat.zarr"
    report = harvest(server, catalog)
    assert server.faults_injected >= 40, server.faults_injected
    assert report.failed == BAD, [f.message for f in report.failures]
    assert content(catalog) == server.reference
    assert not leftovers(catalog)
    print(f"{storm.__name__} seed {seed}: {server.faults_injected} faults injected, "
          f"{report.new} products, {report.seconds:.1f} s")


def test_persistent_outage_quarantines_then_the_rerun_completes(server, tmp_path):
    down = f"*{product_id(5)}.LBL"
    server.faults = FaultPlan(seed=5).on(down, "503", times=None).randomly(0.3, "reset", times=1)
    catalog = tmp_path / "cat.zarr"
    report = harvest(server, catalog, transport=fast_transport(retries=3))
    outage = [f for f in report.failures if f.url.endswith(f"{product_id(5)}.LBL")]
    assert report.failed == BAD + 1 and outage and outage[0].attempts == 4
    server.faults = None                                   # the outage ends
    rerun = harvest(server, catalog)
    assert rerun.new == 1 and rerun.failed == BAD
    assert content(catalog) == server.reference


def test_retry_after_is_honoured(server, tmp_path):
    server.faults = FaultPlan().on("/vol/INDEX/INDEX.TAB", "429", retry_after=1, times=1)
    clock = time.perf_counter()
    report = harvest(server, tmp_path / "cat.zarr")
    assert time.perf_counter() - clock >= 1.0               # waited as told before asking again
    assert server.counts["/vol/INDEX/INDEX.TAB"] == 2 and report.failed == BAD


# ------------------------------------------------------------------ full disk

def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_while_saving_the_catalog_keeps_the_previous_one(server, tmp_path, monkeypatch):
    catalog = tmp_path / "cat.zarr"
    first = [f"*{product_id(i)}.LBL" for i in range(60, N)]     # the first run sees half the archive
    plan = FaultPlan()
    for pattern in first:
        plan.on(pattern, "404", times=None)
    server.faults = plan
    harvest(server, catalog)
    before = content(catalog)
    assert 0 < len(before) < len(server.reference)
    server.faults = None
    original = xr.Dataset.to_zarr

    def write_then_fill_the_disk(self, *args, **kwargs):
        original(self, *args, **kwargs)          # the arrays are written...
        _enospc()                                # ...then the disk is full (the marker never is)

    monkeypatch.setattr(xr.Dataset, "to_zarr", write_then_fill_the_disk)
    with pytest.raises(CatalogError, match="No space left on device") as info:
        harvest(server, catalog)
    assert str(catalog) in str(info.value)
    assert content(catalog) == before                        # the previous catalog, whole
    assert not [p for p in leftovers(catalog) if "part-" not in p]   # no half-written store beside it
    monkeypatch.undo()
    rerun = harvest(server, catalog)
    assert rerun.recovered == len(server.reference) - len(before)   # kept in the journal, not refetched
    assert content(catalog) == server.reference and not leftovers(catalog)


def test_full_disk_while_writing_the_journal(server, tmp_path, monkeypatch):
    catalog = tmp_path / "cat.zarr"
    original = harvest_state.pq.write_table
    calls = {"n": 0}

    def fill_the_disk_on_the_third_part(table, where, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            with open(where, "wb") as partial:           # a partial file, as a full disk leaves
                partial.write(b"PAR1")
            _enospc()
        return original(table, where, *args, **kwargs)

    monkeypatch.setattr(harvest_state.pq, "write_table", fill_the_disk_on_the_third_part)
    with pytest.raises(CatalogError, match="No space left on device"):
        harvest(server, catalog, batch_size=20, workers=2)
    assert not os.path.exists(catalog)                       # nothing committed, nothing broken
    monkeypatch.undo()
    rerun = harvest(server, catalog)
    assert rerun.recovered == 40 and rerun.failed == BAD      # the two complete parts were kept
    assert content(catalog) == server.reference and not leftovers(catalog)
    assert not list(Path(f"{catalog}.harvest").rglob("*.tmp-*"))


def test_a_writer_killed_mid_part_leaves_nothing_after_the_resume(server, tmp_path):
    """What a SIGKILL during a journal write leaves (a temporary part, a temporary seen table) is
    cleaned up by the next complete run; the random kills below hit this only now and then."""
    catalog = tmp_path / "cat.zarr"
    harvest(server, catalog)
    state = harvest_state.HarvestState(str(catalog), "pds3-volume", server.url_vol)
    Path(state.journal, "part-00000009-99999-deadbeef.parquet.tmp-99999-0badf00d").write_bytes(b"PAR1")
    Path(state.root, "seen.parquet.tmp-99999-0badf00d").write_bytes(b"PAR1")
    rerun = harvest(server, catalog)
    assert rerun.unchanged == N - BAD and content(catalog) == server.reference
    assert not leftovers(catalog) and not list(Path(state.root).rglob("*.tmp-*"))


# ------------------------------------------------------------------ kill -9

HARVESTER = """
import sys, time
import archive_fed as af
from archive_fed.transport import Transport
print("ready", flush=True)
start = time.perf_counter()
af.harvest("pds3-volume", url=sys.argv[1], catalog=sys.argv[2], workers=4, batch_size=int(sys.argv[3]),
           progress=False, transport=Transport(timeout=(2, 2), retries=3, backoff=0.02))
print(f"done {time.perf_counter() - start:.3f}", flush=True)
"""


def _start(server, catalog: Path, batch: int) -> subprocess.Popen:
    process = subprocess.Popen([PYTHON, "-c", HARVESTER, server.url_vol, str(catalog), str(batch)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                               env=child_env())
    ready, _, _ = select.select([process.stdout], [], [], 60)
    assert ready and process.stdout.readline().strip() == "ready"
    return process


@pytest.fixture(scope="module")
def harvest_seconds(archive, tmp_path_factory):
    """How long the harvester takes from 'ready' to the end, unharmed (kill delays are drawn in it)."""
    archive.faults, archive.latency = None, 0.005
    process = _start(archive, tmp_path_factory.mktemp("calibrate") / "cat.zarr", 15)
    line = process.stdout.readline()
    process.wait(60)
    archive.latency = 0.0
    assert line.startswith("done"), line
    return float(line.split()[1])


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_kill_9_at_a_random_point_then_resume(server, tmp_path, seed, harvest_seconds):
    rng = random.Random(seed)
    server.latency = 0.005
    catalog = tmp_path / "cat.zarr"
    batch = rng.choice([5, 10, 15, 30])
    kills = 2 if rng.random() < 0.3 else 1                   # some runs are killed again while resuming
    for _ in range(kills):
        process = _start(server, catalog, batch)
        time.sleep(rng.uniform(0.0, 1.1 * harvest_seconds))
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        if catalog.exists() or list(catalog.parent.glob(catalog.name + ".old-*")):
            content(catalog)                                 # whatever the moment, the catalog opens
    resumed = harvest(server, catalog)
    assert resumed.failed == BAD
    assert content(catalog) == server.reference
    assert not leftovers(catalog)
    _KILL_LOG.append({"seed": seed, "kills": kills, "batch": batch, "recovered": resumed.recovered,
                      "new": resumed.new, "unchanged": resumed.unchanged})


_KILL_LOG: list[dict] = []


def test_kill_runs_landed_mid_run():
    """Most seeded delays land after some batches were committed: the journal was resumed. (Where
    each run was killed is printed: ``-s`` shows it.)"""
    if len(_KILL_LOG) < len(KILL_SEEDS):
        pytest.skip("the kill runs did not all run in this session")
    print(json.dumps(_KILL_LOG))
    assert sum(run["recovered"] > 0 for run in _KILL_LOG) >= len(KILL_SEEDS) // 3
