"""Escapes from a local mirror through symbolic links: a link inside the tree that leads outside it is
refused, reported and skipped for every local open — labels (walked or indexed), index tables, data
files, downloads — and the rest of the run goes on. The inside-the-root test resolves real paths."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed.errors import ProductError
from archive_fed.harvest.ingest import ingest
from archive_fed.testing.replica import make_pds3_volume, pds3_label
from archive_fed.transport import is_within

pytestmark = pytest.mark.timeout(120)

SECRET_LABEL = pds3_label(999).replace("TC1S2B0_01_00999S820E0465", "SECRET_PRODUCT")


def uids(catalog: Path) -> set[str]:
    return {r.uid for r in af.Catalog.open(str(catalog)).records()}


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.LBL").write_text(SECRET_LABEL)
    (outside / "secret.IMG").write_bytes(b"SECRET BYTES " * 100)
    return outside


def test_is_within_resolves_symbolic_links(tmp_path):
    outside = _outside(tmp_path)
    (tmp_path / "vol").mkdir()
    os.symlink(outside / "secret.LBL", tmp_path / "vol" / "LINK.LBL")
    os.symlink(outside, tmp_path / "vol" / "DIR")
    root = str(tmp_path / "vol") + "/"
    assert not is_within(root, str(tmp_path / "vol" / "LINK.LBL"))
    assert not is_within(root, str(tmp_path / "vol" / "DIR" / "secret.LBL"))
    assert not is_within(root, (tmp_path / "vol" / "LINK.LBL").as_uri())
    (tmp_path / "vol" / "OK.LBL").write_text("x")
    os.symlink(tmp_path / "vol" / "OK.LBL", tmp_path / "vol" / "INSIDE.LBL")   # a link within the tree is fine
    assert is_within(root, str(tmp_path / "vol" / "OK.LBL"))
    assert is_within(root, str(tmp_path / "vol" / "INSIDE.LBL"))
    # a mirror reached through a link of its own is fine: both sides are resolved
    os.symlink(tmp_path / "vol", tmp_path / "alias")
    assert is_within(str(tmp_path / "alias") + "/", str(tmp_path / "alias" / "OK.LBL"))


def test_walked_symlink_to_an_outside_label_is_not_catalogued(tmp_path):
    outside = _outside(tmp_path)
    volume = make_pds3_volume(tmp_path / "vol", 3)
    shutil.rmtree(volume / "INDEX")   # discovery walks DATA/
    os.symlink(outside / "secret.LBL", volume / "DATA" / "TC" / "000" / "LINK.LBL")
    os.symlink(outside, volume / "DATA" / "TC" / "LINKED_DIR")
    catalog = tmp_path / "cat.zarr"
    report = af.harvest("pds3-volume", url=str(volume), catalog=str(catalog), progress=False, workers=2)
    assert "SECRET_PRODUCT" not in {u.rsplit("/", 1)[-1] for u in uids(catalog)}
    assert len(uids(catalog)) == 3 and report.new == 3
    assert report.failed == 1 and report.exit_code == 1
    assert report.failures[0].url.endswith("LINK.LBL") and "outside" in report.failures[0].message


def test_indexed_symlink_to_an_outside_label_is_not_catalogued(tmp_path):
    outside = _outside(tmp_path)
    volume = make_pds3_volume(tmp_path / "vol", 3, extra_rows=["DATA/TC/000/LINK.LBL"])
    os.symlink(outside / "secret.LBL", volume / "DATA" / "TC" / "000" / "LINK.LBL")
    catalog = tmp_path / "cat.zarr"
    report = af.harvest("pds3-volume", url=str(volume), catalog=str(catalog), progress=False, workers=2)
    assert len(uids(catalog)) == 3 and not [u for u in uids(catalog) if "SECRET" in u]
    assert report.failed == 1 and "LINK.LBL" in report.failures[0].line()


def test_symlinked_index_table_is_refused_and_the_tree_walked(tmp_path):
    outside = _outside(tmp_path)
    volume = make_pds3_volume(tmp_path / "vol", 3)
    shutil.move(volume / "INDEX" / "INDEX.TAB", outside / "INDEX.TAB")
    os.symlink(outside / "INDEX.TAB", volume / "INDEX" / "INDEX.TAB")
    catalog = tmp_path / "cat.zarr"
    report = af.harvest("pds3-volume", url=str(volume), catalog=str(catalog), progress=False, workers=2)
    assert report.cursor["discovery"] == "walk" and len(uids(catalog)) == 3
    assert any("INDEX.TAB" in f.line() and "outside" in f.message for f in report.failures)
    # the index ingest refuses it too
    with pytest.raises(af.errors.ArchiveFedError, match="outside"):
        ingest(str(volume), str(tmp_path / "ingested.zarr"))


def test_symlinked_index_label_is_refused(tmp_path):
    outside = _outside(tmp_path)
    volume = make_pds3_volume(tmp_path / "vol", 2)
    shutil.move(volume / "INDEX" / "INDEX.LBL", outside / "INDEX.LBL")
    os.symlink(outside / "INDEX.LBL", volume / "INDEX" / "INDEX.LBL")
    report = af.harvest("pds3-volume", url=str(volume), catalog=str(tmp_path / "cat.zarr"), progress=False)
    assert report.cursor["discovery"] == "walk"
    assert any("INDEX.LBL" in f.line() and "outside" in f.message for f in report.failures)


def _product_with_linked_data(tmp_path: Path) -> tuple[Path, Path]:
    outside = _outside(tmp_path)
    volume = make_pds3_volume(tmp_path / "vol", 2)
    label = next((volume / "DATA").rglob("*.LBL"))
    data_name = label.stem + ".img"
    os.symlink(outside / "secret.IMG", label.parent / data_name)
    for other in (volume / "DATA").rglob("*.LBL"):
        if other != label:
            (other.parent / (other.stem + ".img")).write_bytes(b"\0" * 1024)
    return volume, label


def test_data_file_linked_outside_the_label_folder_is_not_opened(tmp_path):
    _, label = _product_with_linked_data(tmp_path)
    with pytest.raises(ProductError, match="outside"):
        af.open_product(str(label))


def test_download_from_a_mirror_refuses_a_linked_data_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FED_REGISTRY", str(tmp_path / "registry.sqlite"))
    volume, label = _product_with_linked_data(tmp_path)
    catalog = tmp_path / "cat.zarr"
    af.harvest("pds3-volume", url=str(volume), catalog=str(catalog), progress=False)
    dest = tmp_path / "d"
    report = af.Catalog.open(str(catalog)).download(str(dest), progress=False)
    assert report.exit_code == 1
    assert [(f.error, f.url.rsplit("/", 1)[-1]) for f in report.failures] == [("UnsafePath", label.stem + ".img")]
    copied = [p for p in dest.rglob("*") if p.is_file()]
    assert all(b"SECRET BYTES" not in p.read_bytes() for p in copied)
    assert report.downloaded == 3   # two labels and the other product's data file
