"""Downloads whose URL redirects off its host (issue 19): refused and reported, never followed to a host
the user did not allow, nothing written for them; the other files of the run byte-exact."""
from __future__ import annotations

import pytest

from archive_fed.retrieval import fetch
from archive_fed.testing.servers import ArchiveServer
from archive_fed.transport import Transport
from tests.retrieval.test_download import _archive, _catalog

ELSEWHERE = {
    "DATA/P001.IMG": "http://localhost:{port}/elsewhere/P001.IMG",   # another host (same machine)
    "DATA/P002.IMG": "file:///etc/passwd",                            # another scheme
}


@pytest.fixture(autouse=True)
def _registry(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FED_REGISTRY", str(tmp_path / "user-registry.sqlite"))
    monkeypatch.setattr(fetch, "CHUNK", 32 * 1024)


def _routes(files: dict[str, bytes]) -> dict:
    def redirect(request):
        relpath = request.path.removeprefix("/VOL/")
        return 302, {"Location": ELSEWHERE[relpath].format(port=request.server.port)}, b""

    routes = {f"/VOL/{relpath}": redirect for relpath in ELSEWHERE}
    routes["/elsewhere/P001.IMG"] = lambda request: (200, {}, files["DATA/P001.IMG"])
    return routes


def _transport(**options) -> Transport:
    return Transport(retries=2, backoff=0.01, backoff_max=0.05, timeout=(2, 3), **options)


def test_download_redirected_off_its_host_is_refused_and_reported(tmp_path):
    files = _archive(tmp_path / "srv", 4)
    dest = tmp_path / "data"
    with ArchiveServer(tmp_path / "srv", routes=_routes(files)) as server:
        report = _catalog(server, 4).download(str(dest), transport=_transport(), progress=False)
        hosts = {r.headers.get("Host", "") for r in server.received}
        port = server.port
    assert report.exit_code == 1
    failed = {f.url.rsplit("/VOL/", 1)[-1]: f for f in report.failures}
    assert set(failed) == set(ELSEWHERE)
    for failure in failed.values():
        assert failure.error == "FetchError" and "refused" in failure.message, failure.message
    assert hosts == {f"127.0.0.1:{port}"}            # the redirect was never followed
    for relpath, data in files.items():
        target = dest / relpath
        if relpath in ELSEWHERE:
            assert not target.exists() and not target.with_name(target.name + ".part").exists()
        else:
            assert target.read_bytes() == data, relpath
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("passwd")) == []
    assert not list(dest.rglob("*.part")) and not list(dest.rglob("*.part.json"))


def test_download_redirect_to_an_allowed_host_is_followed_and_verified(tmp_path):
    files = _archive(tmp_path / "srv", 2)
    dest = tmp_path / "data"
    routes = _routes(files)
    del routes["/VOL/DATA/P002.IMG"]
    with ArchiveServer(tmp_path / "srv", routes=routes) as server:
        report = _catalog(server, 2).download(
            str(dest), transport=_transport(allow_redirect_hosts=("localhost",)), progress=False)
        seen = {(r.headers.get("Host", ""), r.path) for r in server.received}
        port = server.port
    assert report.exit_code == 0, report.failures
    assert (f"localhost:{port}", "/elsewhere/P001.IMG") in seen
    for relpath, data in files.items():
        assert (dest / relpath).read_bytes() == data, relpath
