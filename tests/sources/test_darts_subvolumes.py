"""JAXA DARTS splits a data set into sub-volumes (``<YYYYMMDD>/data/``, ``lonNNN/{data,index,catalog,
browse}``), each with its own index: discovery reads each sub-volume's index (over HTTP listings and on a
local mirror) and walks only a sub-volume that has none, instead of walking everything."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed import sources
from archive_fed.testing.replica import make_pds3_volume, product_id
from archive_fed.testing.servers import ArchiveServer, fast_transport

DATA_SET = "sln-l-tc-3-s-level2b0-v1.0"


def darts_data_set(root: Path) -> Path:
    """Four sub-volumes of five products: two dated, one ``lon000`` with a lower-case index/ beside
    catalog/ and browse/, one dated without an index (its data/ tree must be walked)."""
    data_set = root / DATA_SET
    for number, name in enumerate(("20080101", "20080102", "lon000", "20080103")):
        volume = make_pds3_volume(data_set / name, 5, first=5 * number)
        if name == "lon000":
            (volume / "INDEX").rename(volume / "index")
            (volume / "catalog").mkdir()
            (volume / "catalog" / "catinfo.txt").write_text("catalog")
            (volume / "browse").mkdir()
            (volume / "browse" / "x.png").write_bytes(b"\x89PNG")
        if name == "20080103":
            shutil.rmtree(volume / "INDEX")
    (data_set / "document").mkdir()
    (data_set / "document" / "readme.lbl").write_text("not a product")
    return data_set


@pytest.mark.parametrize("served", ["http", "local"])
def test_each_sub_volume_index_is_used(tmp_path: Path, served: str) -> None:
    darts_data_set(tmp_path / "pub" / "pds3")
    expected = sorted(f"SLN-L-TC-3-S-LEVEL2B0-V1.0/{product_id(i)}" for i in range(20))
    catalog = str(tmp_path / "cat.zarr")
    with ArchiveServer(tmp_path) as server:
        url = f"{server.url}/pub/pds3/" if served == "http" else str(tmp_path / "pub" / "pds3")
        source = sources.create("jaxa-darts", url, transport=fast_transport(), data_set=DATA_SET.upper())
        report = af.harvest(source, catalog=catalog, progress=False)
        requested = [path for _, path, _ in server.requests]
    assert (report.new, report.failed) == (20, 0), [f.line() for f in report.failures]
    assert sorted(r.uid for r in af.Catalog.open(catalog).records()) == expected
    cursor = source.cursor()
    assert cursor["discovery"] == "sub-volume indexes" and cursor["sub_volumes"] == 4
    assert sorted(cursor["indexes"]) == ["20080101/INDEX/INDEX.TAB", "20080102/INDEX/INDEX.TAB",
                                         "lon000/index/INDEX.TAB"]
    assert cursor["walked"] == ["20080103/"]
    if served == "http":
        # no listing of the indexed sub-volumes' data trees, nor of catalog/ browse/ document/
        listed = [p for p in requested if p.endswith("/")]
        assert not any("/DATA/" in p for p in listed if "/20080103/" not in p)
        assert not any(p.rstrip("/").endswith(("catalog", "browse")) for p in listed)


def test_the_generic_volume_source_keeps_walking_unless_asked(tmp_path: Path) -> None:
    darts = darts_data_set(tmp_path)
    refs = list(sources.create("pds3-volume", str(darts)).discover())
    assert sources.create("pds3-volume", str(darts)).sub_volumes_default is False
    assert len({r.key for r in refs}) >= 20       # walked: every .lbl, the document too
    sub = sources.create("pds3-volume", str(darts), sub_volumes=True)
    assert len(list(sub.discover())) == 20 and sub.cursor()["discovery"] == "sub-volume indexes"
