"""Index ingest (``harvest pds3-volume --from-index``) against loopback archives: index records equal label
records, label harvests upgrade them, incremental reruns, bad rows, contradictory labels, kill -9."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import archive_fed as af
from archive_fed.cli import main
from archive_fed.errors import LabelError
from archive_fed.labels import parse_label
from archive_fed.labels.index_pds4 import csv_index_layout, pds4_index_layout
from archive_fed.labels.index_table import index_layout, iter_index_chunks
from archive_fed.transport import Transport
from archive_fed.testing import lroc_volume as lv
from archive_fed.testing.servers import ArchiveServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "archive_fed" / "sample" / "pds3_volume"
CORPUS = Path("/work/shared/corpus/index")
#: Fields an LROC-style index row carries (everything but harvest bookkeeping and label-only fields).
INDEX_FIELDS = ("uid", "lid", "product_id", "mission", "agency", "instrument_host", "instrument", "targets",
                "target", "processing_level", "processing_level_native", "start_time", "stop_time",
                "lon_min", "lon_max", "lat_min", "lat_max", "label_format", "label_url", "data_urls", "archive")


def transport() -> Transport:
    return Transport(timeout=(2, 2.0), retries=3, backoff=0.02, backoff_max=0.5)


def records(path) -> dict[str, dict]:
    return {r.uid: r.to_dict() for r in af.Catalog.open(str(path)).records()}


def without_time(catalog: dict[str, dict]) -> dict[str, dict]:
    return {uid: {k: v for k, v in rec.items() if k != "harvested_at"} for uid, rec in catalog.items()}


def test_index_records_equal_label_records_and_label_harvest_upgrades(tmp_path):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), 40, labels=range(40))
    with ArchiveServer(volume) as server:
        report = af.harvest("pds3-volume", url=server.url, catalog=str(tmp_path / "idx.zarr"),
                            from_index=True, transport=transport())
        assert (report.found, report.new, report.failed) == (40, 40, 0)
        assert report.requests <= 4  # label, table, VOLDESC probes: none per product
        assert not [r for r in server.requests if r[1].endswith(".IMG")]
        label_report = af.harvest("pds3-volume", url=server.url, catalog=str(tmp_path / "lbl.zarr"),
                                  transport=transport())
        assert label_report.new == 40
        from_index, from_labels = records(tmp_path / "idx.zarr"), records(tmp_path / "lbl.zarr")
        assert from_index.keys() == from_labels.keys()
        for uid, rec in from_index.items():
            assert {k: rec[k] for k in INDEX_FIELDS} == {k: from_labels[uid][k] for k in INDEX_FIELDS}, uid
            assert rec["metadata_source"] == "index" and from_labels[uid]["metadata_source"] == "label"
        # a label harvest into the index-built catalog upgrades every record, whatever the times
        af.harvest("pds3-volume", url=server.url, catalog=str(tmp_path / "idx.zarr"), transport=transport())
        assert {r["metadata_source"] for r in records(tmp_path / "idx.zarr").values()} == {"label"}
        # and a later index ingest does not downgrade them
        shutil.rmtree(f"{tmp_path / 'idx.zarr'}.harvest")
        af.harvest("pds3-volume", url=server.url, catalog=str(tmp_path / "idx.zarr"), from_index=True,
                   transport=transport())
        assert {r["metadata_source"] for r in records(tmp_path / "idx.zarr").values()} == {"label"}


def test_sample_volume_index_records_agree_with_its_labels(tmp_path):
    report = af.harvest("pds3-volume", url=str(SAMPLE), catalog=str(tmp_path / "c.zarr"), from_index=True)
    assert (report.found, report.new, report.failed) == (8, 8, 0)
    labels = af.harvest("pds3-volume", url=str(SAMPLE), catalog=str(tmp_path / "l.zarr"))
    assert labels.new == 8
    from_index, from_labels = records(tmp_path / "c.zarr"), records(tmp_path / "l.zarr")
    assert from_index.keys() == from_labels.keys()
    compared: set[str] = set()
    for uid, rec in from_index.items():
        # every value the index gives equals the label's (the sample index has no footprints, hosts...)
        given = {k: v for k, v in rec.items() if v not in (None, []) and k not in ("harvested_at", "metadata_source")}
        assert given == {k: from_labels[uid][k] for k in given}, uid
        compared |= set(given)
    assert {"uid", "product_id", "mission", "instrument", "start_time", "label_url", "target"} <= compared


def test_unchanged_rerun_is_one_request_and_writes_nothing(tmp_path):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), 300)
    catalog = tmp_path / "c.zarr"
    with ArchiveServer(volume) as server:
        af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True, transport=transport())
        before = {p.name: p.stat().st_mtime_ns for p in catalog.iterdir()}
        seen = len(server.requests)
        report = af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True,
                            transport=transport())
        assert len(server.requests) - seen == 1 and server.requests[-1][2] == 304
        assert (report.found, report.unchanged, report.new, report.updated) == (300, 300, 0, 0)
        assert {p.name: p.stat().st_mtime_ns for p in catalog.iterdir()} == before


def test_grown_cumindex_processes_only_new_rows_and_reports_disappeared(tmp_path, monkeypatch):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), 500)
    catalog = str(tmp_path / "c.zarr")
    with ArchiveServer(volume) as server:
        af.harvest("pds3-volume", url=server.url, catalog=catalog, from_index=True, transport=transport())
        lv.write_volume(str(volume), 600, first=20)  # rows 0-19 gone, 500-619 new
        from archive_fed.labels import index_records

        processed = []
        real = index_records.index_batch
        monkeypatch.setattr(sys.modules["archive_fed.harvest.ingest"], "index_batch",
                            lambda table, *a, **k: processed.append(table.num_rows) or real(table, *a, **k))
        report = af.harvest("pds3-volume", url=server.url, catalog=catalog, from_index=True,
                            transport=transport())
    assert sum(processed) == 120
    assert (report.found, report.new, report.unchanged, report.updated) == (600, 120, 480, 0)
    assert report.cursor["disappeared_count"] == 20
    assert len(af.Catalog.open(catalog)) == 620  # reported, not deleted


def test_bad_row_is_quarantined_and_the_rest_lands(tmp_path):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), 50)
    table = volume / "INDEX" / "CUMINDEX.TAB"
    data = bytearray(table.read_bytes())
    _, row_bytes = lv.layout()
    start = [c for c in lv.layout()[0] if c[0] == "START_TIME"][0]
    offset = 6 * row_bytes + start[2] - 1
    data[offset:offset + 10] = b"2010-13-45"  # row 7: no such date
    table.write_bytes(bytes(data))
    report = af.harvest("pds3-volume", url=str(volume), catalog=str(tmp_path / "c.zarr"), from_index=True)
    assert (report.found, report.new, report.failed) == (50, 49, 1)
    message = report.failures[0].message
    assert message.startswith(f"{volume}/INDEX/CUMINDEX.TAB:row 7: START_TIME") and "not a time" in message
    assert report.exit_code == 1


@pytest.mark.parametrize("change, words", [
    (lambda label: label.replace("  ROWS = 50", "  ROWS = 51"), "ROWS = 51"),
    (lambda label: label.replace("START_BYTE = 2\r", "START_BYTE = 490\r"), "beyond ROW_BYTES"),
    (lambda label: label.replace("  ROW_BYTES = 498", "  ROW_BYTES = 497"), None),
])
def test_contradictory_index_label_is_a_clear_error(tmp_path, change, words):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), 50)
    label = volume / "INDEX" / "CUMINDEX.LBL"
    label.write_bytes(change(label.read_bytes().decode()).encode())
    with pytest.raises(LabelError) as error:
        af.harvest("pds3-volume", url=str(volume), catalog=str(tmp_path / "c.zarr"), from_index=True)
    assert "CUMINDEX" in str(error.value)
    if words:
        assert words in str(error.value)
    assert not (tmp_path / "c.zarr").exists()


def test_fixed_width_and_delimited_readers_agree_in_chunks():
    label = parse_label((SAMPLE / "INDEX" / "INDEX.LBL").read_bytes(), path="INDEX.LBL")
    data = (SAMPLE / "INDEX" / "INDEX.TAB").read_bytes()
    layout = index_layout(label, path="INDEX.TAB")
    chunks = list(iter_index_chunks(layout, io.BytesIO(data), size=len(data), chunk_bytes=500))
    assert [c.first_row for c in chunks] == [1, 3, 5, 7]
    fixed = [row for c in chunks for row in c.table.to_pylist()]
    # the same rows, LF-only and unaligned (a CSV export): read as quoted CSV
    loose = b"\n".join(b",".join(f.strip() for f in line.split(b",")) for line in data.splitlines()) + b"\n"
    delimited = [row for c in iter_index_chunks(layout, io.BytesIO(loose), size=len(loose)) for row in
                 c.table.to_pylist()]
    assert fixed == delimited and fixed[0]["PRODUCT_ID"] == "TC1S2B0_01_02731N153E0212"
    assert fixed[0]["PATH_NAME"] == "DATA/TC/2B0/20080520/"


@pytest.mark.skipif(not CORPUS.exists(), reason="corpus index labels absent")
def test_pds4_index_tables_from_the_corpus():
    layout = pds4_index_layout((CORPUS / "clementine_edr_index.xml").read_bytes(), path="edr_index.xml")
    assert layout.names == ["PDS4_PATH", "PDS4_PRODUCT_ID", "PDS3_PRODUCT_ID"] and layout.rows == 1893717
    dup = pds4_index_layout((CORPUS / "clementine_duplicate_edr_products.xml").read_bytes(), path="dup.xml")
    data = (CORPUS / "clementine_duplicate_edr_products.csv").read_bytes()
    chunks = list(iter_index_chunks(dup, io.BytesIO(data), size=len(data), chunk_bytes=1 << 16))
    rows = [r for c in chunks for r in c.table.to_pylist()]
    assert len(rows) == 6751  # the declared records, header skipped (its declared length is a byte long)
    assert rows[0] == {"DROPPED_PRODUCT": "eba0001a.018", "RETAINED_PRODUCT": "aba0001a.001"}
    m3 = (CORPUS / "m3_index.csv").read_bytes()
    table = next(iter_index_chunks(csv_index_layout(m3, path="m3_index.csv"), io.BytesIO(m3))).table
    assert table.column_names[:3] == ["BASENAME", "MINIMUM_LATITUDE", "MAXIMUM_LATITUDE"]
    assert table.column("START_TIME")[0].as_py() == "2008-11-18T22:26:04"


def test_lroc_cumindex_without_data_files_via_cli(tmp_path, capsys):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), 2000)
    with ArchiveServer(volume) as server:
        code = main(["harvest", "pds3-volume", "--url", server.url, "--catalog", str(tmp_path / "c.zarr"),
                     "--from-index", "--no-progress"])
    out = capsys.readouterr()
    assert code == 0
    report = af.Catalog.open(str(tmp_path / "c.zarr"))
    assert len(report) == 2000
    text = out.out + out.err
    assert "found 2000" in text and "new 2000" in text and "failed 0" in text
    assert len(report.search(mission="LRO", instrument="LROC")) == 2000


_KILLED = """
import importlib, sys, time
from archive_fed.catalog import bulk, store
ingest = importlib.import_module("archive_fed.harvest.ingest")
index_merge = importlib.import_module("archive_fed.harvest.index_merge")
from archive_fed.transport import Transport
ingest.PIECE_BYTES = 64 * 1024

def announce(name, real):  # each step printed before it runs: the parent kills at a chosen one
    def step(*args, **kwargs):
        print(name, flush=True)
        time.sleep(0.05)
        return real(*args, **kwargs)
    return step

Transport.get_range = announce("download", Transport.get_range)
ingest.index_batch = announce("normalise", ingest.index_batch)
index_merge.PartitionSpill.append = announce("spill", index_merge.PartitionSpill.append)
bulk.CatalogWriter.append = announce("write", bulk.CatalogWriter.append)
store.crash_hook = lambda name: print(f"publish-{name}", flush=True) or time.sleep(0.05)
ingest.IngestState.commit = announce("commit", ingest.IngestState.commit)
ingest.ingest(sys.argv[1], sys.argv[2], transport=Transport(retries=1), chunk_bytes=40_000)
print("done", flush=True)
"""
#: (step, occurrence) to kill at, per seed: every stage of a run, into a new catalog and into an existing one
KILL_POINTS = [("download", 3), ("normalise", 2), ("write", 5), ("publish-written", 1), ("commit", 1),
               ("download", 9), ("normalise", 7), ("spill", 4), ("write", 2), ("publish-written", 1),
               ("write", 8), ("commit", 1)]


def _kill_at(process: subprocess.Popen, step: str, occurrence: int) -> list[str]:
    seen: list[str] = []
    for line in process.stdout:  # type: ignore[union-attr]
        seen.append(line.strip())
        if seen.count(step) == occurrence:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(len(KILL_POINTS)))
def test_kill_9_mid_ingest_then_rerun_equals_a_clean_ingest(tmp_path, seed):
    """kill -9 at a chosen step (download, normalise, spill, write, publish, commit) of an ingest into a new
    catalog (even seeds) or into an existing one (odd seeds: new products appended, or for 3, 7 and 11
    changed ones merged); the rerun equals a clean ingest."""
    volume = tmp_path / "vol"
    step, occurrence = KILL_POINTS[seed]
    merge = seed % 2 == 1 or step == "spill"
    lv.write_volume(str(volume), 1500, seed=seed)
    catalog = tmp_path / "c.zarr"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with ArchiveServer(volume) as server:
        if merge:
            af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True, transport=transport())
        # grown (new products appended to the catalog), and for seeds 3, 7, 11 every row changed too
        # (products updated: the partitioned merge)
        lv.write_volume(str(volume), 6000, seed=seed + 100 if seed in (3, 7, 11) else seed)
        process = subprocess.Popen([sys.executable, "-c", _KILLED, server.url, str(catalog)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        seen = _kill_at(process, step, occurrence)
        assert seen.count(step) == occurrence and "done" not in seen, seen  # killed where meant
        report = af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True,
                            transport=transport())
        assert report.failed == 0
        clean = tmp_path / "clean.zarr"
        af.harvest("pds3-volume", url=server.url, catalog=str(clean), from_index=True, transport=transport())
        again = af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True,
                           transport=transport())
    resumed, expected = without_time(records(catalog)), without_time(records(clean))
    assert len(resumed) == 6000 and resumed == expected  # nothing lost
    assert len(af.Catalog.open(str(catalog)).to_pandas()["uid"].unique()) == 6000  # nothing duplicated
    assert np.all(af.Catalog.open(str(catalog)).to_pandas()["metadata_source"] == "index")
    assert (again.found, again.unchanged, again.new) == (6000, 6000, 0)  # the state matches the catalog
