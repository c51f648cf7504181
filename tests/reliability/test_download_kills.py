"""``kill -9`` during a download, at seeded moments, then a rerun: it ends exactly like a fault-free run.

Each seed downloads 8 products (16 files, 120 kB images fetched in 16 kB ranges) in a child process
killed with SIGKILL after a seeded number of requests; every third seed kills the first resume too.
After each kill no final name holds anything but the whole, right file (``.part`` files aside); the last
run in this process completes: every file byte-exact (0 lost), each URL registered once and no finished
file fetched again (0 duplicated), no ``.part`` left (0 partial), and each partly fetched file resumed
from the size of its ``.part``.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from archive_fed.catalog import Catalog
from archive_fed.retrieval import LocalCopies, fetch
from tests.reliability.limits import PYTHON, ROOT, child_env
from tests.retrieval.test_download import _archive, _catalog, _fast_transport
from archive_fed.testing.servers import ArchiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

KILL_SEEDS = list(range(1, 11))         # 10 kill -9 runs (and 4 more kills during the resume)
PRODUCTS = 8

CHILD = """
import sys
from archive_fed.catalog import Catalog
from archive_fed.retrieval import LocalCopies, fetch
from archive_fed.transport import Transport
fetch.CHUNK = 16 * 1024
catalog = Catalog.open(sys.argv[1])
catalog.download(sys.argv[2], workers=2, progress=False, registries=[LocalCopies(sys.argv[3])],
                 transport=Transport(retries=2, backoff=0.01, max_per_host=2))
"""


def _kill_after(server: ArchiveServer, args: list[str], requests: int) -> int | None:
    """Start a downloading child, SIGKILL it once the server saw ``requests`` more requests; the count
    of requests it had made (None when it finished first)."""
    before = len(server.requests)
    child = subprocess.Popen([PYTHON, "-c", CHILD, *args], cwd=ROOT, env=child_env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(server.requests) - before < requests and child.poll() is None:
        time.sleep(0.002)
    if child.poll() is not None:
        return None
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    return len(server.requests) - before


def _whole_or_absent(dest: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """The files under their final names; each must be whole and right (no partial file)."""
    finished = {}
    for relpath, data in files.items():
        target = dest / relpath
        if target.exists():
            assert target.read_bytes() == data, f"partial or wrong file under its final name: {relpath}"
            finished[relpath] = data
    return finished


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_kill_9_mid_download_resumes_exactly(tmp_path, seed, monkeypatch):
    monkeypatch.setattr(fetch, "CHUNK", 16 * 1024)
    rng = random.Random(seed)
    files = _archive(tmp_path / "srv", PRODUCTS)
    dest, registry = tmp_path / "d", tmp_path / "copies.sqlite"
    with ArchiveServer(tmp_path / "srv", latency=0.005) as server:
        catalog = _catalog(server, PRODUCTS)
        catalog.save(str(tmp_path / "cat.zarr"))
        args = [str(tmp_path / "cat.zarr"), str(dest), str(registry)]
        # a whole run takes 72 requests: the first kill always lands mid-download
        kills = [_kill_after(server, args, rng.randint(3, 60))]
        assert kills[0] is not None, "the child finished before it could be killed"
        _whole_or_absent(dest, files)
        if seed % 3 == 0:                       # a second kill, during the resume
            kills.append(_kill_after(server, args, rng.randint(2, 30)))
        finished = _whole_or_absent(dest, files)
        parts = {str(p.relative_to(dest)).removesuffix(".part"): p.stat().st_size
                 for p in dest.rglob("*.part") if p.stat().st_size}
        before = len(server.received)
        report = Catalog.open(str(tmp_path / "cat.zarr")).download(
            str(dest), transport=_fast_transport(), progress=False, registries=[LocalCopies(str(registry))])
        rerun = [r for r in server.received[before:] if r.method == "GET"]
    assert report.exit_code == 0, report.failures
    assert report.present + report.downloaded == len(files) == 2 * PRODUCTS
    # 0 lost: every file there, byte-exact
    for relpath, data in files.items():
        assert (dest / relpath).read_bytes() == data, relpath
    # 0 partial: nothing left half-written
    assert not list(dest.rglob("*.part")) and not list(dest.rglob("*.part.json"))
    assert not list(dest.rglob("*.tmp-*"))
    # 0 duplicated: finished files are not fetched again, every URL is registered once, at its path
    assert not [r.path for r in rerun if r.path.removeprefix("/VOL/") in finished]
    with sqlite3.connect(registry) as db:
        rows = db.execute("SELECT url, path FROM files").fetchall()
    assert len(rows) == len({url for url, _ in rows}) == len(files)
    assert {os.path.relpath(path, dest) for _, path in rows} == set(files)
    # a partly fetched file goes on from where it stopped; a .part the kill left whole (every byte in,
    # not yet renamed) is verified and renamed without a request
    for relpath, size in parts.items():
        fetched = [r for r in rerun if r.path == f"/VOL/{relpath}"]
        if not fetched:
            assert size == len(files[relpath]), (relpath, size, "a partial .part was not resumed")
            continue
        assert fetched[0].headers["Range"].startswith(f"bytes={size}-"), (relpath, fetched[0].headers["Range"])
    print(f"seed {seed}: killed after {kills} requests; {len(finished)} files finished, "
          f"{len(parts)} partly fetched; rerun fetched {report.downloaded} ({report.bytes:,} bytes), "
          f"0 lost, 0 duplicated, 0 partial")
