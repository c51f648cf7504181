"""Concurrency, second part: processes racing for the harvest lock never hold it together, and readers in
other processes see, at every instant of a harvest's commits, the old catalog or the new one — never a
mix. (One writer per catalog and the shared search cache: tests/reliability/test_concurrency.py.)
"""
from __future__ import annotations

import datetime as dt
import subprocess
import textwrap
import time

import pytest

import archive_fed as af
from archive_fed.errors import CatalogError
from archive_fed.testing.replica import product_id

from .limits import PYTHON, child_env

pytestmark = pytest.mark.timeout(300)

DATA_SET = "SLN-L-TC-3-S-LEVEL2B0-V1.0"


CONTENDER = textwrap.dedent("""
    import os, sys, time
    from archive_fed.errors import CatalogError
    from archive_fed.harvest.lock import HarvestLock
    path, log, start, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    while time.time() < start:
        pass
    taken = refused = 0
    for _ in range(rounds):
        try:
            with HarvestLock(path):
                os.write(fd, f"in {os.getpid()}\\n".encode())
                time.sleep(0.001)
                os.write(fd, f"out {os.getpid()}\\n".encode())
                taken += 1
        except CatalogError as exc:
            assert "another harvest" in str(exc), exc
            refused += 1
    print(taken, refused)
""")


def test_many_processes_racing_for_the_lock_never_hold_it_together(tmp_path):
    lock, log = tmp_path / "cat.zarr.harvest" / "lock", tmp_path / "log"
    start = time.time() + 2.0
    racers = [subprocess.Popen([PYTHON, "-c", CONTENDER, str(lock), str(log), str(start), "300"], env=child_env(),
                               stdout=subprocess.PIPE, text=True) for _ in range(6)]
    counts = [tuple(map(int, r.communicate(timeout=240)[0].split())) for r in racers]
    assert [r.returncode for r in racers] == [0] * 6
    holders, overlaps = 0, 0
    for line in log.read_text().splitlines():
        holders += 1 if line.startswith("in ") else -1
        overlaps += holders > 1
    taken = sum(t for t, _ in counts)
    print(f"6 processes x 300 tries: {taken} taken, {sum(r for _, r in counts)} refused, {overlaps} overlaps")
    assert overlaps == 0 and holders == 0 and taken >= 6


# ------------------------------------------------------------------ readers during a harvest's commits

WRITER = textwrap.dedent("""
    import os, sys, shutil
    from pathlib import Path
    import numpy as np
    import archive_fed as af
    from archive_fed.testing.replica import make_pds3_volume, pds3_label, product_id

    volume, catalog, generations = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])

    def publish(g):
        # generation g: products 0 .. 17 + 3 g, every label at PRODUCT_VERSION_ID g; files replaced atomically
        stage = volume.parent / f"stage-{g}"
        n = 17 + 3 * g
        make_pds3_volume(stage, n)
        for i in range(n):
            text = (pds3_label(i, version=f"{g:02d}")
                    .replace("LINES                            = 400", "LINES                            = 2")
                    .replace("LINE_SAMPLES                     = 3208", "LINE_SAMPLES                     = 4"))
            folder = stage / "DATA" / "TC" / "000"
            (folder / f"{product_id(i)}.LBL").write_text(text.replace("\\n", "\\r\\n"), newline="")
            (folder / f"{product_id(i)}.img").write_bytes(np.arange(8, dtype=">i2").tobytes())
        for path in sorted(stage.rglob("*")):
            target = volume / path.relative_to(stage)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                os.replace(path, target)
        shutil.rmtree(stage)

    for g in range(1, generations + 1):
        publish(g)
        report = af.harvest("pds3-volume", url=str(volume), catalog=catalog, progress=False, workers=2)
        assert report.failed == 0, [f.line() for f in report.failures]
        print(g, report.new, report.updated, flush=True)
""")


def expected(g: int) -> set[str]:
    return {f"{DATA_SET}/{product_id(i)}" for i in range(17 + 3 * g)}


def read_once(catalog: str, streamed: bool) -> tuple[int, str]:
    """One read of the whole catalog, a search and one product's data; the generation read and how."""
    cat = af.Catalog.open(catalog, chunks=8 if streamed else None)
    records = list(cat.records())
    versions = {r.vid for r in records}
    assert len(versions) == 1, f"a mix of generations: versions {sorted(versions)}"
    g = int(versions.pop())
    assert {r.uid for r in records} == expected(g), f"generation {g}: {len(records)} products"
    assert all(r.product_id and r.start_time and r.lon_min is not None for r in records)
    hits = cat.search(start="2008-01-01T00:00:00", stop="2008-01-01T01:00:00")
    hour = dt.datetime(2008, 1, 1, 1, tzinfo=dt.timezone.utc)
    assert {r.uid for r in hits.records()} == {r.uid for r in records if r.start_time <= hour}
    assert {r.vid for r in hits.records()} <= {f"{g:02d}"}
    record = records[g % len(records)]
    data = af.open_product(record)
    assert data["IMAGE"].shape == (2, 4) and data.attrs["uid"] == record.uid
    return g, "streamed" if streamed else "lazy"


def test_readers_see_the_old_or_the_new_catalog_during_commits(tmp_path):
    volume, catalog = tmp_path / "vol", tmp_path / "cat.zarr"
    volume.mkdir()
    generations = 12
    writer = subprocess.Popen([PYTHON, "-c", WRITER, str(volume), str(catalog), str(generations)], env=child_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict[int, int] = {}
    refused: list[str] = []
    reads = 0
    try:
        began = time.monotonic()
        while not catalog.exists() and writer.poll() is None and time.monotonic() - began < 120:
            time.sleep(0.01)
        while writer.poll() is None and time.monotonic() - began < 240:
            try:
                g, _ = read_once(str(catalog), streamed=bool(reads % 2))
            except CatalogError as exc:       # a lazy read that found its store replaced: refused, not mixed
                assert "replaced since this catalog was opened" in str(exc), exc
                refused.append(str(exc))
                continue
            finally:
                reads += 1
            seen[g] = seen.get(g, 0) + 1
    finally:
        out, err = writer.communicate(timeout=240)
    assert writer.returncode == 0, err[-3000:]
    assert len(out.splitlines()) == generations
    print(f"{reads} reads during {generations} commits: {sum(seen.values())} whole generations "
          f"({len(seen)} distinct), {len(refused)} refused as replaced")
    assert len(seen) >= generations // 2 and sum(seen.values()) >= 2 * generations
    g, _ = read_once(str(catalog), streamed=False)
    assert g == generations
