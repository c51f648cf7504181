"""Harvest on dask.distributed (LocalCluster, 2 worker processes): the same catalog as the local engine,
also when a worker is killed mid-harvest."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import archive_fed as af
from archive_fed.testing.replica import make_pds3_volume, make_pds4_bundle
from tests.harvest.test_harvest import fast_transport
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                       dashboard_address=None, host="127.0.0.1")
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def comparable(path):
    records = [r.to_dict() for r in af.Catalog.open(str(path)).records()]
    for record in records:
        record.pop("harvested_at")
    return sorted(records, key=lambda r: r["uid"])


@pytest.mark.parametrize("kind", ["pds3-volume", "pds4-bundle"])
def test_distributed_catalog_equals_local(tmp_path, client, kind):
    if kind == "pds3-volume":
        make_pds3_volume(tmp_path / "archive", 150, broken={3, 77})
    else:
        make_pds4_bundle(tmp_path / "archive", 60, missing_members=1)
    with ArchiveServer(tmp_path) as server:
        url = server.url + "/archive/"
        local = af.harvest(kind, url=url, catalog=str(tmp_path / "local.zarr"), transport=fast_transport(),
                           progress=False)
        remote = af.harvest(kind, url=url, catalog=str(tmp_path / "dask.zarr"), transport=fast_transport(),
                            progress=False, client=client, batch_size=25)
        rerun = af.harvest(kind, url=url, catalog=str(tmp_path / "dask.zarr"), transport=fast_transport(),
                           progress=False, client=client, batch_size=25)
    assert (remote.found, remote.new, remote.failed) == (local.found, local.new, local.failed)
    assert sorted(f.url for f in remote.failures) == sorted(f.url for f in local.failures)
    assert comparable(tmp_path / "dask.zarr") == comparable(tmp_path / "local.zarr")
    assert rerun.new == 0 and rerun.unchanged == local.new


def test_distributed_harvest_survives_a_killed_worker(tmp_path, client):
    make_pds3_volume(tmp_path / "archive", 200)
    plan = FaultPlan(seed=3).on("*.LBL", "stall", times=None, seconds=0.05)   # slow enough to kill mid-run
    reports = {}
    with ArchiveServer(tmp_path, faults=plan) as server:
        url = server.url + "/archive/"

        def run():
            reports["dask"] = af.harvest("pds3-volume", url=url, catalog=str(tmp_path / "dask.zarr"),
                                         transport=fast_transport(), progress=False, client=client,
                                         batch_size=20)

        thread = threading.Thread(target=run)
        thread.start()
        journal = tmp_path / "dask.zarr.harvest"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(journal.rglob("part-*.parquet")):
            time.sleep(0.05)
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]
        assert thread.is_alive(), "the harvest ended before a worker could be killed"
        os.kill(pids[victim], signal.SIGKILL)     # the nanny restarts it; its tasks are rerun
        thread.join(timeout=180)
        assert not thread.is_alive()
        server_faults = server.faults_injected
        local = af.harvest("pds3-volume", url=url, catalog=str(tmp_path / "local.zarr"),
                           transport=fast_transport(), progress=False)
    assert server_faults >= 200
    report = reports["dask"]
    assert report.new == 200 and report.failed == 0
    assert comparable(tmp_path / "dask.zarr") == comparable(tmp_path / "local.zarr")
    assert local.new == 200


def test_cli_scheduler_option(tmp_path, client, capsys):
    from archive_fed.cli import main

    make_pds3_volume(tmp_path / "archive", 30)
    address = client.scheduler.address
    code = main(["harvest", "pds3-volume", "--url", str(tmp_path / "archive"), "--catalog",
                 str(tmp_path / "cat.zarr"), "--scheduler", address, "--batch-size", "10", "--no-progress"])
    assert code == 0
    assert "found 30, new 30" in capsys.readouterr().out
