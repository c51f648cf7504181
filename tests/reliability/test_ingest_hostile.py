"""Index ingest (``harvest --from-index``) against hostile and broken archives: index rows whose file leaves
the volume are refused row by row and reported, never written to the catalog nor fetched; an index whose
download is cut, truncated or served in short ranges ends in a clear error (or in the whole index), never
in half a catalog or half a state."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed.errors import ArchiveFedError, FetchError, LabelError
from archive_fed.testing import lroc_volume as lv
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer
from archive_fed.transport import Transport, is_within

pytestmark = pytest.mark.timeout(120)

N = 30


def transport(**kw) -> Transport:
    options = dict(timeout=(2, 1.0), retries=3, backoff=0.01, backoff_max=0.1, max_per_host=4)
    options.update(kw)
    return Transport(**options)


def hostile_specs(port: int, outside: Path) -> list[str]:
    """FILE_SPECIFICATION_NAME values (at most 50 characters, the column's width) leading out of the volume."""
    specs = ["../secret.IMG", "DATA/../../secret.IMG", "/etc/passwd", "/vol/../secret.IMG", "..", "DATA/..",
             "%2e%2e/secret.IMG", "DATA/%2E%2E/%2e%2e/secret.IMG", ".%2e/secret.IMG", "..%2fsecret.IMG",
             "DATA%2f..%2f..%2fsecret.IMG", "DATA\\..\\..\\secret.IMG", "DATA%5c..%5c..%5csecret.IMG",
             f"http://localhost:{port}/vol/x.IMG", f"//localhost:{port}/secret.IMG",
             f"http://127.0.0.1:{port}/other/s.IMG", "file:///etc/passwd", "C:/Windows/win.ini",
             f"{outside.as_uri()}/s.IMG"[:50]]
    assert all(len(s) <= 50 for s in specs)
    return specs


def plant(volume: Path, specs: list[str], first: int = 3) -> list[int]:
    """Overwrite FILE_SPECIFICATION_NAME of rows ``first``, ``first + 1``, … (1-based row numbers returned)."""
    table = volume / "INDEX" / "CUMINDEX.TAB"
    data = bytearray(table.read_bytes())
    columns, row_bytes = lv.layout()
    _, _, start, size = next(c for c in columns if c[0] == "FILE_SPECIFICATION_NAME")
    rows = []
    for k, spec in enumerate(specs):
        row = first + k
        offset = (row - 1) * row_bytes + start - 1
        data[offset:offset + size] = spec.ljust(size).encode()
        rows.append(row)
    table.write_bytes(bytes(data))
    return rows


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("over", ["http", "local"])
def test_index_rows_leaving_the_volume_are_refused_row_by_row(tmp_path, over):
    (tmp_path / "secret.IMG").write_text("secret")
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), N)
    catalog = tmp_path / "cat.zarr"
    with ArchiveServer(tmp_path) as server:
        specs = hostile_specs(server.port, tmp_path)
        rows = plant(volume, specs)
        root = server.url + "/vol/" if over == "http" else str(volume) + "/"
        before = files_under(tmp_path)
        report = af.harvest("pds3-volume", url=root, catalog=str(catalog), from_index=True, transport=transport())
        seen, port = [(r.headers.get("Host", ""), r.path) for r in server.received], server.port
    assert (report.found, report.new, report.failed) == (N, N - len(specs), len(specs))
    table = f"{root}INDEX/CUMINDEX.TAB"
    by_row = {int(f.message.split(":row ")[1].split(":")[0]): f.message for f in report.failures}
    assert sorted(by_row) == rows
    for row, spec in zip(rows, specs):
        shown = repr(spec.replace("\\", "/"))
        assert by_row[row].startswith(f"{table}:row {row}: file {shown} points outside the volume root"), by_row[row]
    kept = list(af.Catalog.open(str(catalog)).records())
    assert len(kept) == N - len(specs)
    assert all(is_within(root, r.label_url) and ".." not in r.label_url and "%" not in r.label_url
               for r in kept), [r.label_url for r in kept]
    # the ingest asks for the index and the volume description only, all inside /vol/ on this host
    assert all(host == f"127.0.0.1:{port}" and path.startswith("/vol/") for host, path in seen), seen
    assert not [p for _, p in seen if "secret" in p or "passwd" in p]
    written = files_under(tmp_path) - before
    assert written and all(str(p).startswith((str(catalog) + os.sep, str(catalog) + ".harvest" + os.sep))
                           for p in written), sorted(map(str, written))


def state_files(catalog: Path) -> set[str]:
    """What a committed ingest leaves: the catalog and the ingest state (not the download spool)."""
    harvest = Path(f"{catalog}.harvest")
    found = {p.name for p in harvest.rglob("*") if p.is_file() and "spool" not in p.parts} if harvest.exists() else set()
    return found - {"last-report.json", "lock"}  # the flock file stays (harvest/lock.py)


@pytest.mark.parametrize("fault", ["truncate", "reset_after_headers", "stall_body"])
def test_index_download_cut_every_time_is_a_clear_error_and_writes_nothing(tmp_path, fault):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), N)
    catalog = tmp_path / "cat.zarr"
    plan = FaultPlan().on("/INDEX/CUMINDEX.TAB", fault, times=None, seconds=3)
    with ArchiveServer(volume, faults=plan) as server:
        with pytest.raises(FetchError) as caught:
            af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True,
                       transport=transport(retries=2))
        asked, url = server.counts["/INDEX/CUMINDEX.TAB"], server.url
    message = str(caught.value)
    assert message.startswith(f"{url}/INDEX/CUMINDEX.TAB: ") and "after 3 attempts" in message, message
    assert asked == 3
    assert not catalog.exists() and not list(tmp_path.glob("cat.zarr.tmp-*"))
    assert state_files(catalog) == set()      # no ingest.json, no row hashes: the next run starts afresh


def test_index_download_cut_then_served_keeps_the_old_catalog_until_the_whole_index_is_in(tmp_path):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), N)
    catalog = tmp_path / "cat.zarr"

    def committed() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in Path(f"{catalog}.harvest").rglob("*")
                if p.is_file() and "spool" not in p.parts and p.name != "last-report.json"}

    with ArchiveServer(volume) as server:
        first = af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True,
                           transport=transport())
        assert first.new == N
        old, old_state = {r.uid: r for r in af.Catalog.open(str(catalog)).records()}, committed()
        lv.write_volume(str(volume), N + 20)   # the index grew; its download is cut every time
        server.faults = FaultPlan().on("/INDEX/CUMINDEX.TAB", "truncate", times=None, keep=0.6)
        with pytest.raises(FetchError, match="truncated"):
            af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True,
                       transport=transport(retries=1))
        assert {r.uid: r for r in af.Catalog.open(str(catalog)).records()} == old
        assert committed() == old_state and not list(tmp_path.glob("cat.zarr.*-*"))
        server.faults = None                  # the faults are over: the rerun completes
        again = af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True,
                           transport=transport())
    assert (again.found, again.new, again.unchanged) == (N + 20, 20, N)


class ShortRanges:
    """A server that answers every Range request with at most ``piece`` bytes and an honest
    ``Content-Range`` (servers and CDNs may cap the size of a range)."""

    def __init__(self, path: Path, piece: int) -> None:
        self.data, self.piece, self.asked = path.read_bytes(), piece, 0

    def __call__(self, request):
        self.asked += 1
        wanted = request.headers.get("Range", "bytes=0-")
        first = int(wanted.split("=")[1].split("-")[0])
        if first >= len(self.data):
            return 416, {"Content-Range": f"bytes */{len(self.data)}"}, b""
        body = self.data[first:first + self.piece]
        return 206, {"Content-Range": f"bytes {first}-{first + len(body) - 1}/{len(self.data)}",
                     "Content-Type": "text/plain", "ETag": '"v1"'}, body


def test_index_served_in_short_ranges_is_read_whole(tmp_path):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), N)
    route = ShortRanges(volume / "INDEX" / "CUMINDEX.TAB", piece=1000)   # 15 kB in 1 kB pieces
    with ArchiveServer(volume, routes={"/INDEX/CUMINDEX.TAB": route}) as server:
        report = af.harvest("pds3-volume", url=server.url, catalog=str(tmp_path / "c.zarr"), from_index=True,
                            transport=transport())
    assert (report.found, report.new, report.failed) == (N, N, 0)
    assert route.asked >= len(route.data) // 1000


@pytest.mark.parametrize("cut, words", [(0.5, "not a whole number of ROW_BYTES"), (None, "ROWS = 30")])
def test_index_truncated_at_the_source_is_refused_and_writes_nothing(tmp_path, cut, words):
    volume = tmp_path / "vol"
    lv.write_volume(str(volume), N)
    table = volume / "INDEX" / "CUMINDEX.TAB"
    data = table.read_bytes()
    _, row_bytes = lv.layout()
    # cut inside the 20th row, or at a row boundary (then only the label's ROWS tells)
    table.write_bytes(data[:int(19.5 * row_bytes)] if cut else data[:19 * row_bytes])
    catalog = tmp_path / "cat.zarr"
    with ArchiveServer(volume) as server:
        with pytest.raises(LabelError) as caught:
            af.harvest("pds3-volume", url=server.url, catalog=str(catalog), from_index=True, transport=transport())
        url = server.url
    assert str(caught.value).startswith(f"{url}/INDEX/CUMINDEX.TAB") and words in str(caught.value)
    assert isinstance(caught.value, ArchiveFedError)
    assert not catalog.exists() and state_files(catalog) == set()
