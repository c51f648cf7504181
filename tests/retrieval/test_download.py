"""Downloading search hits: byte-exact under faults, verified, resumable after kill -9, never outside dest."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

import archive_fed as af
from archive_fed.catalog import Catalog
from archive_fed.cli import main
from archive_fed.retrieval import LocalCopies, fetch
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer

ROOT = Path(__file__).resolve().parents[2]
LINES, SAMPLES = 300, 200   # 120,000 bytes of >i2 per image: several ranged requests with a small CHUNK


def _label(product: str, md5: str) -> str:
    return "\r\n".join([
        "PDS_VERSION_ID = PDS3", "RECORD_TYPE = FIXED_LENGTH", f"RECORD_BYTES = {SAMPLES * 2}",
        f"FILE_RECORDS = {LINES}", f'^IMAGE = "{product}.IMG"', 'DATA_SET_ID = "LRO-L-TEST-2-EDR-V1.0"',
        f'PRODUCT_ID = "{product}"', 'MISSION_NAME = "LUNAR RECONNAISSANCE ORBITER"', 'TARGET_NAME = MOON',
        'INSTRUMENT_ID = "LROC"', "START_TIME = 2010-01-01T00:00:00", f'MD5_CHECKSUM = "{md5}"',
        "OBJECT = IMAGE", f"  LINES = {LINES}", f"  LINE_SAMPLES = {SAMPLES}", "  SAMPLE_TYPE = MSB_INTEGER",
        "  SAMPLE_BITS = 16", "END_OBJECT = IMAGE", "END", ""])


def _archive(root: Path, n: int, *, wrong_md5: str | None = None, first: int = 0) -> dict[str, bytes]:
    """A volume of ``n`` detached-label images (P<first>...) under ``root/VOL/DATA``; {relpath: bytes}."""
    files: dict[str, bytes] = {}
    data_dir = root / "VOL" / "DATA"
    data_dir.mkdir(parents=True)
    for i in range(first, first + n):
        product = f"P{i:03d}"
        image = (np.arange(LINES * SAMPLES, dtype=">i2") * (i + 1)).tobytes()
        md5 = hashlib.md5(image).hexdigest() if product != wrong_md5 else "0" * 32
        label = _label(product, md5).encode()
        (data_dir / f"{product}.IMG").write_bytes(image)
        (data_dir / f"{product}.LBL").write_bytes(label)
        files[f"DATA/{product}.IMG"], files[f"DATA/{product}.LBL"] = image, label
    return files


def _catalog(server: ArchiveServer, n: int) -> Catalog:
    records = [af.normalize(af.read_label(f"{server.url}/VOL/DATA/P{i:03d}.LBL"), archive="pds3-volume")
               for i in range(n)]
    catalog = Catalog.from_records(records)
    catalog.set_state("pds3-volume-test", {"source": "pds3-volume", "url": f"{server.url}/VOL/"})
    return catalog


@pytest.fixture(autouse=True)
def _registry(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FED_REGISTRY", str(tmp_path / "user-registry.sqlite"))
    monkeypatch.setattr(fetch, "CHUNK", 32 * 1024)


def _fast_transport():
    from archive_fed.transport import Transport
    return Transport(retries=6, backoff=0.01, backoff_max=0.05, timeout=(2, 3), max_per_host=8)


def test_faults_every_good_file_byte_exact_bad_md5_reported(tmp_path):
    files = _archive(tmp_path / "srv", 8, wrong_md5="P005")
    plan = (FaultPlan(seed=3)
            .on("/VOL/DATA/P001.IMG", "503", times=2)
            .on("/VOL/DATA/P002.IMG", "reset", times=2)
            .on("/VOL/DATA/P003.IMG", "truncate", times=2)
            .on("/VOL/DATA/P004.LBL", "429", retry_after=0, times=1)
            .randomly(0.1, "reset_after_headers", pattern="/VOL/DATA/*"))
    with ArchiveServer(tmp_path / "srv", faults=plan) as server:
        catalog = _catalog(server, 8)
        dest = tmp_path / "data"
        report = catalog.download(str(dest), transport=_fast_transport(), progress=False)
        assert report.exit_code == 1
        assert [f.url.rsplit("/", 1)[-1] for f in report.failures] == ["P005.IMG"]
        assert "MD5 mismatch" in report.failures[0].message
        gets = [p for m, p, _ in server.requests if m == "GET" and p.endswith("P005.IMG")]
        assert len(gets) >= 2   # fetched once more after the mismatch, then quarantined
    for relpath, data in files.items():
        target = dest / relpath
        if relpath == "DATA/P005.IMG":
            assert not target.exists()   # never under its final name
            assert (dest / ".quarantine" / relpath).read_bytes() == data
        else:
            assert target.read_bytes() == data, relpath
    assert report.downloaded == 15 and report.present == 0
    assert not list(dest.rglob("*.part")) and not list(dest.rglob("*.part.json"))


def test_two_servers_one_ignoring_range_all_faults_good_files_byte_exact(tmp_path):
    """The Must-show run: resets, truncated bodies, 503 and one wrong MD5 on one server, a second server
    that ignores Range (and truncates too): every good file byte-exact, the bad one reported, exit 1."""
    files = _archive(tmp_path / "srv", 6, wrong_md5="P004")
    other = _archive(tmp_path / "srv2", 3, first=10)

    def whole(request):   # ignores Range: always 200 and the whole file
        return 200, {"Content-Type": "application/octet-stream"}, (tmp_path / "srv2" / request.path[1:]).read_bytes()

    plan = (FaultPlan(seed=5).on("/VOL/DATA/P000.IMG", "reset", times=2)
            .on("/VOL/DATA/P001.IMG", "truncate", times=3).on("/VOL/DATA/P002.IMG", "503", times=2)
            .on("/VOL/DATA/P003.IMG", "reset_after_headers", times=1))
    ignoring = FaultPlan(seed=6).on("/VOL/DATA/P011.IMG", "truncate", times=2).on("/VOL/DATA/P012.IMG", "503")
    with ArchiveServer(tmp_path / "srv", faults=plan) as server, \
            ArchiveServer(tmp_path / "srv2", faults=ignoring, routes={"/VOL/DATA/*.IMG": whole}) as second:
        records = [af.normalize(af.read_label(f"{url}/VOL/DATA/P{i:03d}.LBL"), archive="pds3-volume")
                   for url, ids in ((server.url, range(6)), (second.url, range(10, 13))) for i in ids]
        catalog = Catalog.from_records(records)
        catalog.set_state("a", {"url": f"{server.url}/VOL/"})
        dest = tmp_path / "data"
        report = catalog.download(str(dest), transport=_fast_transport(), progress=False)
        ranged = [r.headers.get("Range") for r in second.received if r.path.endswith(".IMG")]
        assert all(ranged) and second.faults_injected == 3 and server.faults_injected == 8
        host, bad = f"127.0.0.1_{second.port}", f"{server.url}/VOL/DATA/P004.IMG"
    assert report.exit_code == 1
    assert [f.url for f in report.failures] == [bad]
    assert "MD5 mismatch" in report.failures[0].message
    assert (report.downloaded, report.present, report.failed) == (6 * 2 - 1 + 3 * 2, 0, 1)
    assert not (dest / "DATA" / "P004.IMG").exists()
    assert (dest / ".quarantine" / "DATA" / "P004.IMG").read_bytes() == files["DATA/P004.IMG"]
    for relpath, data in files.items():
        if relpath != "DATA/P004.IMG":
            assert (dest / relpath).read_bytes() == data, relpath
    for relpath, data in other.items():
        assert (dest / host / "VOL" / relpath).read_bytes() == data, relpath
    assert not list(dest.rglob("*.part")) and not list(dest.rglob("*.part.json"))


def test_server_ignoring_range_is_read_whole_once(tmp_path):
    files = _archive(tmp_path / "srv", 2)

    def whole(request):   # a server that ignores Range: always 200 and the whole file
        return 200, {"Content-Type": "application/octet-stream"}, (tmp_path / "srv" / request.path[1:]).read_bytes()

    with ArchiveServer(tmp_path / "srv", routes={"/VOL/DATA/*": whole}) as server:
        catalog = _catalog(server, 2)
        before = len(server.requests)
        report = catalog.download(str(tmp_path / "d"), transport=_fast_transport(), progress=False)
        assert report.exit_code == 0, report.failures
        gets = [p for m, p, _ in server.requests[before:] if m == "GET"]
        # the first ranged request's 200 answer is the whole file: one GET per file, never one per chunk
        assert sorted(gets) == sorted(f"/VOL/{relpath}" for relpath in files)
    for relpath, data in files.items():
        assert (tmp_path / "d" / relpath).read_bytes() == data


def test_rerun_fetches_nothing_and_open_product_reads_the_local_copy(tmp_path):
    files = _archive(tmp_path / "srv", 3)
    with ArchiveServer(tmp_path / "srv") as server:
        catalog = _catalog(server, 3)
        remote = af.open_product(catalog.record(1)).load()
        assert remote.attrs["label_url"].startswith(server.url)
        first = catalog.download(str(tmp_path / "d"), transport=_fast_transport(), progress=False)
        assert (first.downloaded, first.failed) == (6, 0)
        before = len(server.requests)
        second = catalog.download(str(tmp_path / "d"), transport=_fast_transport(), progress=False)
        assert (second.downloaded, second.present, second.bytes) == (0, 6, 0)
        assert len(server.requests) == before   # md5 / label sizes: no request at all
        base = server.url
    # the server is gone: the record still opens, from the downloaded copy
    local = af.open_product(catalog.record(1))
    assert local.attrs["label_url"] == str(tmp_path / "d" / "DATA" / "P001.LBL")
    np.testing.assert_array_equal(local["IMAGE"].values, remote["IMAGE"].values)
    expected = np.frombuffer(files["DATA/P001.IMG"], dtype=">i2").reshape(LINES, SAMPLES)
    np.testing.assert_array_equal(local["IMAGE"].values, expected)
    assert dict(LocalCopies()) == {
        f"{base}/VOL/DATA/P{i:03d}.{ext}": str(tmp_path / "d" / "DATA" / f"P{i:03d}.{ext}")
        for i in range(3) for ext in ("IMG", "LBL")}


def test_paths_never_leave_dest(tmp_path):
    _archive(tmp_path / "srv", 1)
    outside = tmp_path / "outside"
    outside.mkdir()
    with ArchiveServer(tmp_path / "srv") as server:
        record = af.normalize(af.read_label(f"{server.url}/VOL/DATA/P000.LBL"))
        escaping = record.replace(uid="X/../../Y", data_urls=["../../../../outside/evil.IMG"])
        dest = tmp_path / "d"
        (dest / "DATA").mkdir(parents=True)
        os.symlink(outside, dest / "DATA" / "linked")
        linked = record.replace(uid="L", label_url=f"{server.url}/VOL/DATA/linked/P000.LBL", data_urls=[])
        catalog = Catalog.from_records([escaping, linked])
        catalog.set_state("k", {"url": f"{server.url}/VOL/"})
        report = catalog.download(str(dest), transport=_fast_transport(), progress=False)
    assert report.exit_code == 1
    kinds = sorted(f.error for f in report.failures)
    assert kinds == ["UnsafePath", "UnsafePath"]
    assert list(outside.iterdir()) == []
    assert (dest / "DATA" / "P000.LBL").exists()   # the escaping record's good label still landed


def test_dry_run_and_cli(tmp_path, capsys):
    files = _archive(tmp_path / "srv", 4)
    with ArchiveServer(tmp_path / "srv") as server:
        catalog = _catalog(server, 4)
        catalog.save(str(tmp_path / "cat.zarr"))
        code = main(["download", "--catalog", str(tmp_path / "cat.zarr"), "--to", str(tmp_path / "d"),
                     "--dry-run", "--no-progress"])
        out = capsys.readouterr().out
        assert code == 0
        assert f"8 files, {sum(len(v) for v in files.values()):,} bytes" in out
        assert not (tmp_path / "d").exists()
        code = main(["download", "--catalog", str(tmp_path / "cat.zarr"), "--to", str(tmp_path / "d"),
                     "--include", "data", "--no-progress", "--report", str(tmp_path / "r.json")])
        assert code == 0
        report = json.loads((tmp_path / "r.json").read_text())
        assert (report["downloaded"], report["failed"], report["exit_code"]) == (4, 0, 0)
        assert sorted(p.name for p in (tmp_path / "d" / "DATA").iterdir()) == [f"P{i:03d}.IMG" for i in range(4)]
        assert (tmp_path / "cat.zarr.files.sqlite").exists()   # the registry beside the catalog
        assert main(["download", "--catalog", str(tmp_path / "cat.zarr"), "--to", str(tmp_path / "d"),
                     "--include", "nothing"]) == 2
