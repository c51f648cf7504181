"""The harvest engine against real loopback archives: faults, incremental reruns, resume after kill -9,
hostile index rows, bundles with missing members, local mirrors, and the CLI's exit codes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed.cli import main
from archive_fed.errors import CatalogError
from archive_fed.harvest.lock import HarvestLock as _Lock
from archive_fed.transport import Transport
from archive_fed.testing.replica import change_name, make_pds3_volume, make_pds4_bundle, pds3_label, product_id
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer

ROOT = Path(__file__).resolve().parents[2]
DATASET = "SLN-L-TC-3-S-LEVEL2B0-V1.0"


def fast_transport(**kw) -> Transport:
    options = dict(timeout=(2, 1.0), retries=5, backoff=0.02, backoff_max=1.5, max_per_host=8)
    options.update(kw)
    return Transport(**options)


def uids(catalog_path) -> list[str]:
    return sorted(r.uid for r in af.Catalog.open(str(catalog_path)).records())


def expected_uids(n, skip=()):
    return sorted(f"{DATASET}/{product_id(i)}" for i in range(n) if i not in skip)


def product_gets(server, status=None):
    return [r for r in server.requests if r[0] == "GET" and r[1].endswith(".LBL") and "/INDEX/" not in r[1]
            and (status is None or r[2] == status)]


def test_faults_quarantine_bad_products_and_rerun_refetches_nothing(tmp_path):
    n, broken, missing = 60, {5, 17}, {23}
    make_pds3_volume(tmp_path / "vol", n, broken=broken, missing=missing)
    plan = (FaultPlan(seed=7)
            .on("/vol/INDEX/INDEX.TAB", "429", retry_after=1)
            .on(f"*{product_id(1)}.LBL", "503", times=2)
            .on(f"*{product_id(2)}.LBL", "reset", times=1)
            .on(f"*{product_id(3)}.LBL", "truncate", times=2)
            .on(f"*{product_id(4)}.LBL", "stall", times=1, seconds=3)
            .on(f"*{product_id(9)}.LBL", "500")          # permanently broken
            .every(11, "503", pattern="*.LBL"))
    catalog = tmp_path / "cat.zarr"
    report_path = tmp_path / "report.json"
    with ArchiveServer(tmp_path, faults=plan) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(catalog), workers=6,
                            transport=fast_transport(), report=str(report_path), progress=False)
        assert server.faults_injected >= 10
        bad = broken | missing | {9}
        assert report.found == n
        assert report.new == n - len(bad)
        assert report.failed == len(bad) and report.exit_code == 1
        assert uids(catalog) == expected_uids(n, bad)           # every good product exactly once
        failures = {f["url"].rsplit("/", 1)[-1]: f for f in json.loads(report_path.read_text())["failures"]}
        assert set(failures) == {f"{product_id(i)}.LBL" for i in bad}
        assert failures[f"{product_id(5)}.LBL"]["error"] == "LabelError"
        assert ":31: OBJECT IMAGE opened at line 24 is never closed" in failures[f"{product_id(5)}.LBL"]["message"]
        assert failures[f"{product_id(23)}.LBL"]["error"] == "FetchError"
        assert failures[f"{product_id(9)}.LBL"]["attempts"] == 6   # first try + 5 retries
        server.reset_stats()
        again = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(catalog), workers=6,
                           transport=fast_transport(), progress=False)
        assert (again.new, again.updated, again.unchanged) == (0, 0, n - len(bad))
        assert again.failed == len(bad)                         # retried, still bad, still reported
        refetched = {r[1].rsplit("/", 1)[-1] for r in product_gets(server, 200)}
        assert refetched == {f"{product_id(i)}.LBL" for i in broken}  # only failures are fetched again
        assert uids(catalog) == expected_uids(n, bad)


def test_incremental_rerun_sees_changes_and_new_products(tmp_path):
    volume = make_pds3_volume(tmp_path / "vol", 20)
    catalog = str(tmp_path / "cat.zarr")
    with ArchiveServer(tmp_path) as server:
        url = server.url + "/vol/"
        first = af.harvest("pds3-volume", url=url, catalog=catalog, transport=fast_transport(), progress=False)
        assert first.new == 20 and first.exit_code == 0
        make_pds3_volume(volume, 22)   # two more products, index rewritten (same bytes for the 20)
        changed = next(volume.rglob(f"{product_id(3)}.LBL"))
        changed.write_text(pds3_label(3, version="02").replace("\n", "\r\n"), newline="")
        os.utime(changed, (time.time() + 5, time.time() + 5))
        second = af.harvest("pds3-volume", url=url, catalog=catalog, transport=fast_transport(), progress=False)
    assert (second.new, second.updated, second.unchanged) == (2, 1, 19)
    cat = af.Catalog.open(catalog)
    assert len(cat) == 22
    assert {r.vid for r in cat.records() if r.product_id == product_id(3)} == {"02"}


def test_since_skips_products_created_before(tmp_path):
    make_pds3_volume(tmp_path / "vol", 5)
    catalog = str(tmp_path / "cat.zarr")
    report = af.harvest("pds3-volume", url=str(tmp_path / "vol"), catalog=catalog, since="2014-01-01",
                        progress=False)
    assert report.found == 0 and report.skipped == 5
    report = af.harvest("pds3-volume", url=str(tmp_path / "vol"), catalog=catalog, since="2012-01-01",
                        progress=False)
    assert report.new == 5


def test_hostile_index_rows_are_never_fetched(tmp_path):
    secret = tmp_path / "secret.LBL"
    secret.write_text(pds3_label(999))
    make_pds3_volume(tmp_path / "vol", 3, extra_rows=["../secret.LBL", "DATA/../../secret.LBL",
                                                      "/etc/passwd.LBL"])
    catalog = str(tmp_path / "cat.zarr")
    with ArchiveServer(tmp_path) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=catalog,
                            transport=fast_transport(), progress=False)
        assert not [r for r in server.requests if "secret" in r[1] or "passwd" in r[1]]
    assert report.new == 3 and report.failed == 3 and report.exit_code == 1
    assert all("outside the volume" in f.message for f in report.failures)
    assert product_id(999) not in {r.product_id for r in af.Catalog.open(catalog).records()}


def test_bundle_reports_missing_inventory_members(tmp_path):
    make_pds4_bundle(tmp_path / "bundle", 12, missing_members=2)
    catalog = str(tmp_path / "cat.zarr")
    with ArchiveServer(tmp_path) as server:
        report = af.harvest("pds4-bundle", url=server.url + "/bundle/", catalog=catalog,
                            transport=fast_transport(), progress=False)
    assert report.new == 12 and report.failed == 2
    assert sorted(f.url for f in report.failures) == [f"{change_name(i)}::1.0" for i in (12, 13)]
    cat = af.Catalog.open(catalog)
    assert len(cat.search(mission="Chang'E-4", level="2B")) == 12


def test_volume_without_index_is_walked(tmp_path):
    volume = make_pds3_volume(tmp_path / "vol", 7)
    shutil.rmtree(volume / "INDEX")
    catalog = str(tmp_path / "cat.zarr")
    with ArchiveServer(tmp_path) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=catalog,
                            transport=fast_transport(), progress=False)
    assert report.new == 7 and report.cursor["discovery"] == "walk"
    assert uids(catalog) == expected_uids(7)


def test_local_mirror_and_file_url(tmp_path):
    make_pds3_volume(tmp_path / "vol", 4)
    for url in (str(tmp_path / "vol"), f"file://{tmp_path / 'vol'}"):
        catalog = str(tmp_path / f"cat-{len(url)}.zarr")
        report = af.harvest("pds3-volume", url=url, catalog=catalog, progress=False)
        assert report.new == 4
        rerun = af.harvest("pds3-volume", url=url, catalog=catalog, progress=False)
        assert rerun.unchanged == 4 and rerun.bytes == 0


def test_one_harvest_per_catalog(tmp_path):
    lock = tmp_path / "cat.zarr.harvest" / "lock"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom archive_fed.harvest.lock import "
                               "HarvestLock\nwith HarvestLock(sys.argv[1]):\n    print('held', flush=True)\n"
                               "    time.sleep(30)", str(lock)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CatalogError, match="another harvest"):
            with _Lock(str(lock)):
                pass
    finally:
        holder.kill()
        holder.wait()
    with _Lock(str(lock)):  # the holder is gone: its lock went with it
        assert lock.read_text() == str(os.getpid())


KILLER = """
import sys
sys.path.insert(0, {root!r})
import archive_fed as af
from archive_fed.transport import Transport
af.harvest("pds3-volume", url=sys.argv[1], catalog=sys.argv[2], workers=4, batch_size=15, progress=False,
           transport=Transport(timeout=(2, 2), retries=3, backoff=0.02))
"""


@pytest.mark.parametrize("parts_before_kill", [1, 4])
def test_kill_9_mid_harvest_then_resume_loses_and_duplicates_nothing(tmp_path, parts_before_kill):
    n = 300
    make_pds3_volume(tmp_path / "vol", n, broken={11})
    catalog = tmp_path / "cat.zarr"
    plan = FaultPlan(seed=1).on("*.LBL", "stall", times=None, seconds=0.03)   # a slow archive
    script = tmp_path / "harvest.py"
    script.write_text(KILLER.format(root=str(ROOT)))
    with ArchiveServer(tmp_path, faults=plan) as server:
        url = server.url + "/vol/"
        process = subprocess.Popen([sys.executable, str(script), url, str(catalog)])
        deadline = time.monotonic() + 120
        parts: list = []
        while time.monotonic() < deadline and process.poll() is None:  # kill once batches are committed
            parts = list((tmp_path / "cat.zarr.harvest").rglob("part-*.parquet"))
            if len(parts) >= parts_before_kill:
                break
            time.sleep(0.01)
        assert len(parts) >= parts_before_kill and process.poll() is None, "killed too late to test resume"
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL
        server.reset_stats()
        resumed = af.harvest("pds3-volume", url=url, catalog=str(catalog), workers=4,
                             transport=fast_transport(), progress=False)
        refetched = {r[1] for r in product_gets(server, 200)}
    assert resumed.recovered >= 15
    assert resumed.recovered + resumed.new == n - 1 and resumed.failed == 1
    assert len(refetched) == resumed.new + 1      # the committed products were not fetched again
    assert uids(catalog) == expected_uids(n, {11})  # no loss, no duplicates
    assert not list((tmp_path / "cat.zarr.harvest").rglob("part-*.parquet"))


def test_cli_harvest_exit_codes_and_stderr(tmp_path, capsys):
    make_pds3_volume(tmp_path / "vol", 6, broken={2})
    catalog = str(tmp_path / "cat.zarr")
    code = main(["harvest", "pds3-volume", "--url", str(tmp_path / "vol"), "--catalog", catalog,
                 "--workers", "2", "--report", str(tmp_path / "r.json"), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"{product_id(2)}.LBL:" in err and "Traceback" not in err
    assert "found 6, new 5" in out
    assert json.loads((tmp_path / "r.json").read_text())["exit_code"] == 1
    assert main(["harvest", "no-such-source", "--url", "x", "--catalog", catalog]) == 2
    assert "unknown source" in capsys.readouterr().err
    assert main(["harvest", "pds3-volume", "--catalog", catalog]) == 2   # no url: nothing can be done


class _InMemorySource(af.sources.Source):
    """A third-party-style source delivering ready records (the engine's direct path)."""

    name = "in-memory"
    protocol = "test"
    description = "records from a list"

    def discover(self, *, since=None, state=None):
        from archive_fed.sources.base import ProductRef

        for record in self.options["records"]:
            yield ProductRef(key=record.uid, url=f"mem://{record.uid}", record=record)


def test_sources_may_deliver_records_directly(tmp_path):
    records = [af.ProductRecord(uid=f"DS/P{i}", lid=f"DS/P{i}", product_id=f"P{i}", mission="kaguya",
                                lon_min=i, lon_max=i + 1, lat_min=0, lat_max=1) for i in range(5)]
    catalog = str(tmp_path / "cat.zarr")
    first = af.harvest(_InMemorySource("mem://", records=records), catalog=catalog, progress=False)
    assert (first.new, first.failed) == (5, 0)
    again = af.harvest(_InMemorySource("mem://", records=records), catalog=catalog, progress=False)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    changed = [r.replace(title="new title") if r.uid == "DS/P2" else r for r in records]
    third = af.harvest(_InMemorySource("mem://", records=changed), catalog=catalog, progress=False)
    assert (third.new, third.updated, third.unchanged) == (0, 1, 4)
    stored = {r.uid: r for r in af.Catalog.open(catalog).records()}
    assert stored["DS/P2"].title == "new title" and stored["DS/P2"].archive == "in-memory"
    assert all(r.harvested_at is not None for r in stored.values())
