"""Identifiers are free text: a PDS3 ``PRODUCT_ID`` or a PDS4 lid holding ``../`` or ``/`` is kept as it is
in the catalog, and no writer — the harvest state and its quarantine, the exports, downloads and their
quarantine — ever uses one as a path. Each writer runs on products with such ids; every file it writes
must lie inside its own output folder, and no file or folder may be named after the hostile segments."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed.testing.replica import make_pds3_volume, product_id

pytestmark = pytest.mark.timeout(120)

HOSTILE_IDS = ["../../../ESCAPED_A", "DIR/../../ESCAPED_B", "/tmp/ESCAPED_C", "..", "a/b/c/ESCAPED_D",
               "..\\..\\ESCAPED_E"]


def _hostile_volume(root: Path) -> Path:
    """A volume whose products carry hostile PRODUCT_IDs (and one broken label with one, quarantined)."""
    volume = make_pds3_volume(root, len(HOSTILE_IDS) + 1, broken={len(HOSTILE_IDS)})
    shutil.rmtree(volume / "INDEX")
    for i, hostile in enumerate(HOSTILE_IDS + ["../../ESCAPED_BROKEN"]):
        label = next((volume / "DATA").rglob(f"{product_id(i)}.LBL"))
        label.write_bytes(label.read_bytes().replace(f'"{product_id(i)}"'.encode(), f'"{hostile}"'.encode()))
        data = f"data of {i}".encode()
        (label.parent / f"{product_id(i)}.img").write_bytes(data)
    return volume


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _assert_confined(before: set[Path], after: set[Path], allowed: list[Path]) -> None:
    new = after - before
    outside = [p for p in new if not any(p == a or a in p.parents for a in allowed)]
    assert not outside, f"written outside the writers' folders: {sorted(map(str, outside))}"
    named = [p for p in new if "ESCAPED" in p.name and p.name.startswith(("ESCAPED", ".."))]
    assert not named, f"a file named after a hostile id segment: {sorted(map(str, named))}"


def test_identifiers_with_path_segments_never_become_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FED_REGISTRY", str(tmp_path / "work" / "registry.sqlite"))
    work = tmp_path / "work"
    volume = _hostile_volume(work / "vol")
    catalog_path = work / "out" / "cat.zarr"
    before = _files(tmp_path)
    # the harvest state (seen, journal, cursor) and its quarantine (the broken label's id)
    report = af.harvest("pds3-volume", url=str(volume), catalog=str(catalog_path), progress=False,
                        report=str(work / "out" / "report.json"))
    assert report.new == len(HOSTILE_IDS) and report.failed == 1
    catalog = af.Catalog.open(str(catalog_path))
    # ids are kept as they are in the catalog
    assert {r.product_id for r in catalog.records()} == set(HOSTILE_IDS)
    # exports
    catalog.to_stac(str(work / "out" / "stac"))
    catalog.to_csv(str(work / "out" / "cat.csv"))
    catalog.to_geoparquet(str(work / "out" / "cat.parquet"))
    catalog.to_epntap(str(work / "out" / "epn.xml"))
    # downloads, one of them quarantined (its MD5 does not match)
    records = list(catalog.records())
    records[0] = records[0].replace(md5=hashlib.md5(b"something else").hexdigest())
    result = af.Catalog.from_records(records)
    result.set_state("vol", {"url": str(volume) + "/"})
    download = result.download(str(work / "out" / "data"), progress=False)
    assert download.failed == 1 and "MD5" in download.failures[0].message
    assert download.downloaded == 2 * len(HOSTILE_IDS) - 1
    _assert_confined(before, _files(tmp_path), [volume, work / "out", work / "registry.sqlite"])
    stac_items = [p.name for p in (work / "out" / "stac").rglob("*.json")]
    assert len(stac_items) >= len(HOSTILE_IDS) and not [n for n in stac_items if n.startswith("..")]
    data = work / "out" / "data"
    quarantined = records[0].data_urls[0].replace("\\", "/").rsplit("/", 1)[-1]
    assert {p.name for p in (data / ".quarantine").rglob("*") if p.is_file()} == {quarantined}


def test_pds4_lid_with_path_segments_in_a_stac_export(tmp_path):
    records = [af.ProductRecord(uid=lid, lid=lid, product_id=lid, mission="LRO", instrument="LROC")
               for lid in ("urn:nasa:pds:x:../../../../ESCAPED_LID", "urn:nasa:pds:/tmp/ESCAPED_LID2")]
    before = _files(tmp_path)
    af.Catalog.from_records(records).to_stac(str(tmp_path / "stac"))
    _assert_confined(before, _files(tmp_path), [tmp_path / "stac"])
