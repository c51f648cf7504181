"""One atomic write (archive_fed.atomic): every file archive_fed writes whole goes through it, so a full
disk at the rename leaves each previous file whole, no temporary beside it, and a typed error."""
from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from archive_fed.atomic import atomic_write, atomic_write_text
from archive_fed.catalog import Catalog
from archive_fed.errors import ArchiveFedError, CatalogError, FetchError
from archive_fed.federated import cache
from archive_fed.harvest.ingest import IngestState
from archive_fed.harvest.report import HarvestReport
from archive_fed.harvest.state import HarvestState, Seen
from archive_fed.record import ProductRecord
from archive_fed.retrieval import DownloadReport
from archive_fed.retrieval.fetch import _write_meta

PACKAGE = Path(__file__).resolve().parents[1] / "archive_fed"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "sub" / "f.txt"        # the folder is created
    atomic_write_text(target, "one")
    assert target.read_text() == "one"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            Path(tmp).write_text("half")
            raise RuntimeError("the writer failed")
    assert target.read_text() == "one" and os.listdir(target.parent) == ["f.txt"]
    with atomic_write(target, temporary=str(tmp_path / "sub" / "f.txt.tmp")) as tmp:
        assert tmp.endswith("f.txt.tmp")
        Path(tmp).write_text("two")
    assert target.read_text() == "two" and os.listdir(target.parent) == ["f.txt"]


def test_os_errors_become_the_callers_typed_error(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")
    monkeypatch.setattr(os, "replace", _full_disk)
    with pytest.raises(FetchError, match="cannot write sidecar: No space left on device") as info:
        atomic_write_text(target, "new", error=FetchError, what="sidecar")
    assert info.value.path == str(target)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["f.txt"]


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _writers(tmp_path: Path) -> dict[str, tuple[Path, object]]:
    """Each file kind archive_fed writes whole: (its path, a function writing it again)."""
    catalog = Catalog.from_records([ProductRecord(uid="a", mission="lro", lon_min=1, lon_max=2, lat_min=3,
                                                  lat_max=4, start_time=NOW)])
    state = HarvestState(str(tmp_path / "c.zarr"), "src", "https://archive.example/")
    ingest = IngestState(str(tmp_path / "c.zarr"), "https://archive.example/INDEX.TAB")
    sidecar = str(tmp_path / "x.img.part.json")
    out = {
        "parquet": (tmp_path / "c.parquet", lambda: catalog.to_parquet(str(tmp_path / "c.parquet"))),
        "geoparquet": (tmp_path / "g.parquet", lambda: catalog.to_geoparquet(str(tmp_path / "g.parquet"))),
        "csv": (tmp_path / "c.csv", lambda: catalog.to_csv(str(tmp_path / "c.csv"))),
        "seen": (Path(state.seen_path), lambda: state.save_seen({"k": Seen("k", "a", etag="e")})),
        "cursor": (Path(state.cursor_path), lambda: state.save_cursor({"page": 2})),
        "harvest report": (tmp_path / "h.json", lambda: HarvestReport("src", "u", "c", NOW).write(
            str(tmp_path / "h.json"))),
        "download report": (tmp_path / "d.json", lambda: DownloadReport(str(tmp_path), NOW).write(
            str(tmp_path / "d.json"))),
        "download sidecar": (Path(sidecar), lambda: _write_meta(sidecar, {"url": "https://x/y"})),
        "ingest state": (Path(ingest.meta_path), lambda: ingest.commit({"etag": "e"}, np.zeros(0, np.int64))),
        "cache entry": (cache.entry_path("k" * 64, tmp_path / "cache"),
                        lambda: cache.write("k" * 64, catalog.to_arrow(), directory=tmp_path / "cache")),
    }
    return out


def test_every_writer_goes_through_atomic_write(tmp_path, monkeypatch):
    writers = _writers(tmp_path)
    before = {}
    for name, (path, write) in writers.items():
        write()
        assert path.exists(), name
        before[name] = path.read_bytes()
    listing = sorted(str(p) for p in tmp_path.rglob("*"))
    monkeypatch.setattr(os, "replace", _full_disk)   # the disk fills up at every rename
    for name, (path, write) in writers.items():
        if name == "cache entry":
            write()   # a cache that cannot be written is not an error of the search
        else:
            with pytest.raises(ArchiveFedError, match="No space left on device"):
                write()
        assert path.read_bytes() == before[name], name
    assert sorted(str(p) for p in tmp_path.rglob("*")) == listing     # no temporary left anywhere


def test_no_other_temporary_then_rename_in_the_package():
    """Only atomic.py renames a written temporary over a file; the other renames are the Zarr store's
    directory swap and a download's verified ``.part`` (which must outlive a crash to resume)."""
    allowed = {"atomic.py": None, "catalog/store.py": None, "retrieval/fetch.py": {"part", 'path + ".part"'}}
    found = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            call = re.search(r"os\.(?:replace|rename)\(([^,]+),", line)
            if not call or relative in allowed and (allowed[relative] is None or call.group(1) in allowed[relative]):
                continue
            found.append(f"{relative}:{number}: {line.strip()}")
    assert not found


def test_cursor_that_is_not_json_is_a_typed_error(tmp_path):
    state = HarvestState(str(tmp_path / "c.zarr"), "src", "https://archive.example/")
    with pytest.raises(CatalogError, match="cannot write harvest state"):
        state.save_cursor({"when": NOW})
    assert not os.path.exists(state.cursor_path)
    state.save_cursor({"page": 3})
    assert state.load_cursor() == {"page": 3} and json.loads(Path(state.cursor_path).read_text()) == {"page": 3}


def test_durable_writes_fsync_and_the_download_sidecar_does_not(tmp_path, monkeypatch):
    from archive_fed.atomic import atomic_write_text
    from archive_fed.retrieval import fetch

    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    atomic_write_text(tmp_path / "a.json", "{}")
    assert len(synced) == 1
    atomic_write_text(tmp_path / "b.json", "{}", durable=False)
    fetch._write_meta(str(tmp_path / "f.part.json"), {"url": "http://x/f"})  # noqa: SLF001
    assert len(synced) == 1
    assert json.loads((tmp_path / "b.json").read_text()) == {}
    assert fetch._read_meta(str(tmp_path / "f.part.json")) == {"url": "http://x/f"}  # noqa: SLF001
    (tmp_path / "f.part.json").write_text('{"url": "http://x/f", "si')   # torn by a power cut
    assert fetch._read_meta(str(tmp_path / "f.part.json")) == {}          # read as no state: start over  # noqa: SLF001
