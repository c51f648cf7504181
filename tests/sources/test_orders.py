"""CNSA CLPDS and ISRO PRADAN are not crawlable trees: what a user gets is a downloaded order or bulk zip.
Those are harvested in place (fsspec's zip filesystem, nothing unpacked) with the guarantees of any tree:
a rerun is incremental, a changed member is updated, a new member is new; Chang'e-1/2/3 products (PDS3
labels attached to ``CE3_BMYK_….2B`` / ``….01`` files) are found beside Chang'e-4 ``.2BL`` labels."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed.labels.quirks.change import parse_product_name
from archive_fed.sources.listing import walk
from archive_fed.testing.replica import change_name, make_pds4_bundle
from archive_fed.transport import Transport

CE1 = "CE1_BMYK_IIM_SCI_N_20080112003418_20080112004518_1042_A.2B"
CE3 = "CE3_BMYK_PCAML-C-001_SCI_N_20131224100000_20131224100500_0001_A.01"


def attached_pds3(name: str, start: str, stop: str, instrument: str) -> bytes:
    """A Chang'e-1/3 style product: a PDS3 label attached to the start of its data file."""
    label = "\r\n".join([
        "PDS_VERSION_ID = PDS3", "RECORD_TYPE = FIXED_LENGTH", "RECORD_BYTES = 512", "FILE_RECORDS = 3",
        "LABEL_RECORDS = 2", f'PRODUCT_ID = "{name.rsplit(".", 1)[0]}"', f'INSTRUMENT_ID = "{instrument}"',
        'TARGET_NAME = "MOON"', f"START_TIME = {start}", f"STOP_TIME = {stop}", "^IMAGE = 3",
        "OBJECT = IMAGE", "  LINES = 1", "  LINE_SAMPLES = 512", "  SAMPLE_TYPE = UNSIGNED_INTEGER",
        "  SAMPLE_BITS = 8", "END_OBJECT = IMAGE", "END", ""]).encode()
    return label.ljust(1024, b" ") + bytes(range(256)) * 2


def order_zip(path: Path, tree: Path, *, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(tree.rglob("*")):
            if file.is_file():
                archive.write(file, f"ORDER_0042/{file.relative_to(tree).as_posix()}")
        for name, data in (extra or {}).items():
            archive.writestr(f"ORDER_0042/{name}", data)
    return path


def chang_e_1_3() -> dict[str, bytes]:
    return {f"CE1/IIM/{CE1}": attached_pds3(CE1, "2008-01-12T00:34:18", "2008-01-12T00:45:18", "IIM"),
            f"CE3/PCAM/{CE3}": attached_pds3(CE3, "2013-12-24T10:00:00", "2013-12-24T10:05:00", "PCAML")}


def test_chang_e_1_2_3_names_follow_the_product_name_rules() -> None:
    ce1, ce3 = parse_product_name(CE1), parse_product_name(CE3)
    assert (ce1.mission, ce1.producer, ce1.instrument, ce1.level) == ("change-1", "BMYK", "IIM", "2B")
    assert (ce3.mission, ce3.instrument, ce3.channel, ce3.level) == ("change-3", "PCAML", "C-001", "01")
    assert parse_product_name("CE2_BMYK_CCD_SCI_N_20101102000000_20101102001000_0007_B.2C").mission == "change-2"


def test_a_downloaded_order_zip_is_harvested_in_place_and_incrementally(tmp_path: Path) -> None:
    tree = make_pds4_bundle(tmp_path / "tree", 4)
    order = order_zip(tmp_path / "order.zip", tree, extra=chang_e_1_3())
    catalog = str(tmp_path / "cat.zarr")
    first = af.harvest("cnsa-clpds", url=str(order), catalog=catalog, progress=False)
    assert (first.new, first.failed) == (6, 0), [f.line() for f in first.failures]
    records = {r.product_id: r for r in af.Catalog.open(catalog).records()}
    ce3 = records[CE3.rsplit(".", 1)[0]]
    assert (ce3.mission, ce3.agency, ce3.label_format, ce3.target) == ("change-3", "CNSA", "PDS3", "Moon")
    assert ce3.label_url == f"{order}/ORDER_0042/CE3/PCAM/{CE3}"      # a member path inside the zip
    assert records[CE1.rsplit(".", 1)[0]].start_time.year == 2008
    assert not list(tmp_path.glob("tree/**/*.2B")) and not (tmp_path / "ORDER_0042").exists()   # nothing unpacked

    again = af.harvest("cnsa-clpds", url=str(order), catalog=catalog, progress=False)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 6)

    # the order is downloaded again: one label changed, one product added
    label = tree / "data_lpr" / (change_name(1) + "L")
    label.write_text(label.read_text().replace("<title>Chang'E 4(CE-4) mission</title>", "<title>reissued</title>"))
    more = {**chang_e_1_3(), "CE1/IIM/" + CE1.replace("_1042_", "_1043_"):
            attached_pds3(CE1, "2008-01-13T00:00:00", "2008-01-13T00:10:00", "IIM")}
    order_zip(order, tree, extra=more)
    third = af.harvest("cnsa-clpds", url=str(order), catalog=catalog, progress=False)
    assert (third.new, third.updated, third.unchanged, third.failed) == (1, 1, 5, 0)


def test_bulk_download_zips_in_a_directory_are_walked_as_directories(tmp_path: Path) -> None:
    tree = make_pds4_bundle(tmp_path / "tree", 3)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    order_zip(downloads / "bulk_1.zip", tree)
    (downloads / "readme.txt").write_text("downloaded from PRADAN")
    found = list(walk(Transport(), str(downloads), zips=True))
    assert f"{downloads}/bulk_1.zip/ORDER_0042/data_lpr/{change_name(0)}L" in found
    assert str(downloads / "readme.txt") in found
    report = af.harvest("isro-pradan", url=str(downloads), catalog=str(tmp_path / "c.zarr"), progress=False)
    assert (report.new, report.failed) == (3, 0)
    # a plain tree walk leaves zip files alone
    assert all(".zip/" not in url for url in walk(Transport(), str(downloads)))


def test_a_member_outside_the_order_or_a_broken_zip_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(af.FetchError, match="not a readable zip"):
        list(walk(Transport(), str(bad)))
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.writestr("../escape.xml", "<x/>")
        archive.writestr("ok/a.xml", "<x/>")
    assert [u.rsplit(".zip/", 1)[1] for u in walk(Transport(), str(tmp_path / "evil.zip"))] == ["ok/a.xml"]
    with pytest.raises(af.FetchError, match="no such file"):
        Transport().fetch_bytes(str(tmp_path / "evil.zip" / "ok" / "missing.xml"))
