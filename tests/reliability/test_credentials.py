"""Credentials (netrc, ``ARCHIVE_FED_TOKEN_<HOST>``, ``user:password@`` in a URL) go only to their own
host, and never into logs, catalogs, harvest state, reports or the command's output.

One loopback server answers as two hosts: ``127.0.0.1`` and ``localhost``; it records the headers of
every request it receives, with the ``Host`` each was sent to.
"""
from __future__ import annotations

import base64
import logging
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import archive_fed as af
from archive_fed.errors import FetchError
from archive_fed.transport import Transport
from archive_fed.testing.replica import make_pds3_volume, pds3_label, product_id
from tests.reliability.limits import PYTHON, ROOT, child_env
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer

pytestmark = pytest.mark.timeout(120)

TOKEN = "tok-127-Zq8vW3x9"            # ARCHIVE_FED_TOKEN_127_0_0_1
NETRC_PASSWORD = "netrc-localhost-Pw7"  # ~/.netrc: machine localhost
URL_PASSWORD = "url-userinfo-Pw5"       # http://alice:…@127.0.0.1/…
SECRETS = (TOKEN, NETRC_PASSWORD, URL_PASSWORD,
           base64.b64encode(f"bob:{NETRC_PASSWORD}".encode()).decode(),
           base64.b64encode(f"alice:{URL_PASSWORD}".encode()).decode())


def fast_transport(**kw) -> Transport:
    options = dict(timeout=(2, 1.0), retries=2, backoff=0.01, backoff_max=0.2)
    options.update(kw)
    return Transport(**options)


@pytest.fixture
def credentials(tmp_path, monkeypatch) -> Path:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine localhost login bob password {NETRC_PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("ARCHIVE_FED_TOKEN_127_0_0_1", TOKEN)
    return netrc


def authorization_by_host(server: ArchiveServer) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for record in server.received:
        host = record.headers.get("Host", "").rsplit(":", 1)[0]
        out.setdefault(host, set()).add(record.headers.get("Authorization") or "")
    return out


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a credential appears in {where}"


def test_each_host_gets_its_own_credentials_only(tmp_path, credentials):
    make_pds3_volume(tmp_path / "vol", 2)
    basic = "Basic " + base64.b64encode(f"bob:{NETRC_PASSWORD}".encode()).decode()
    with ArchiveServer(tmp_path) as server:
        transport = fast_transport()
        transport.get(server.url_for("vol/INDEX/INDEX.LBL"))                      # 127.0.0.1: the token
        transport.get(server.url_for("vol/INDEX/INDEX.LBL", host="localhost"))   # localhost: netrc
        seen = authorization_by_host(server)
    assert seen == {"127.0.0.1": {f"Bearer {TOKEN}"}, "localhost": {basic}}


def test_credentials_do_not_follow_a_redirect_to_another_host(tmp_path, credentials, monkeypatch):
    monkeypatch.delenv("NETRC")                  # localhost has no credentials at all here
    make_pds3_volume(tmp_path / "vol", 3)
    moved = f"/vol/DATA/TC/000/{product_id(1)}.LBL"
    routes = {moved: lambda r: (302, {"Location": r.server.url_for("moved" + moved, host="localhost")}, b""),
              "/moved" + moved: (200, {}, pds3_label(1))}
    with ArchiveServer(tmp_path, routes=routes) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(allow_redirect_hosts=("localhost",)), progress=False)
        seen = authorization_by_host(server)
    assert report.new == 3
    assert seen == {"127.0.0.1": {f"Bearer {TOKEN}"}, "localhost": {""}}


def test_url_userinfo_goes_to_its_host_only(tmp_path, credentials):
    make_pds3_volume(tmp_path / "vol", 1)
    routes = {"/hop": lambda r: (302, {"Location": r.server.url_for("vol/INDEX/INDEX.LBL", host="localhost")},
                                 b"")}
    basic_url = "Basic " + base64.b64encode(f"alice:{URL_PASSWORD}".encode()).decode()
    basic_netrc = "Basic " + base64.b64encode(f"bob:{NETRC_PASSWORD}".encode()).decode()
    with ArchiveServer(tmp_path, routes=routes) as server:
        transport = fast_transport(allow_redirect_hosts=("localhost",))
        transport.get(f"http://alice:{URL_PASSWORD}@127.0.0.1:{server.port}/hop")
        seen = authorization_by_host(server)
    assert seen == {"127.0.0.1": {basic_url}, "localhost": {basic_netrc}}


def test_credentials_never_logged(tmp_path, credentials, caplog, capsys):
    make_pds3_volume(tmp_path / "vol", 6, missing={4})
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "archive_fed"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    faults = FaultPlan().on(f"*{product_id(1)}.LBL", "503", times=2).on(f"*{product_id(2)}.LBL", "500")
    with ArchiveServer(tmp_path, faults=faults) as server:
        transport = fast_transport()
        af.harvest("pds3-volume", url=f"http://alice:{URL_PASSWORD}@127.0.0.1:{server.port}/vol/",
                   catalog=str(tmp_path / "a.zarr"), transport=transport, progress=False)
        af.harvest("pds3-volume", url=server.url_for("vol/", host="localhost"),
                   catalog=str(tmp_path / "b.zarr"), transport=transport, progress=False)
        with pytest.raises(FetchError) as info:
            transport.get(f"http://alice:{URL_PASSWORD}@127.0.0.1:{server.port}/nothing-here")
        assert {h for auths in authorization_by_host(server).values() for h in auths} - {""}, \
            "no request carried credentials: the test would prove nothing"
    assert "urllib3" in {record.name.split(".")[0] for record in caplog.records}
    text = caplog.text + "\n".join(repr(record.args) for record in caplog.records)
    assert_no_secret(text, "the log")
    assert_no_secret(str(info.value) + repr(info.value) + repr(transport), "an error or a repr")
    captured = capsys.readouterr()
    assert_no_secret(captured.out + captured.err, "stdout/stderr")


def test_credentials_never_written_by_a_harvest(tmp_path, credentials):
    make_pds3_volume(tmp_path / "vol", 8, broken={3}, missing={5})
    catalog, report = tmp_path / "out" / "cat.zarr", tmp_path / "out" / "report.json"
    env = child_env(NETRC=str(credentials), ARCHIVE_FED_TOKEN_127_0_0_1=TOKEN,
                    ARCHIVE_FED_TOKEN_LOCALHOST=TOKEN + "-localhost")
    faults = FaultPlan().on(f"*{product_id(1)}.LBL", "503", times=1)
    outputs = []
    with ArchiveServer(tmp_path, faults=faults) as server:
        for url in (f"http://alice:{URL_PASSWORD}@127.0.0.1:{server.port}/vol/",
                    server.url_for("vol/", host="localhost"), server.url + "/vol/"):
            run = subprocess.run([PYTHON, "-m", "archive_fed.cli", "harvest", "pds3-volume", "--url", url,
                                  "--catalog", str(catalog), "--report", str(report), "--workers", "2",
                                  "--no-progress", "-vv"],
                                 capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)
            assert run.returncode == 1, run.stderr[-2000:]     # the broken and the missing product
            outputs.append(run.stdout + run.stderr)
        sent = {h for auths in authorization_by_host(server).values() for h in auths}
        port = server.port
    assert f"Bearer {TOKEN}" in sent and any(h.startswith("Basic ") for h in sent)
    assert "DEBUG" in outputs[0]               # -vv: every debug log line went to stderr
    for number, output in enumerate(outputs):
        assert_no_secret(output, f"the output of run {number + 1}")
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert report in written and any(p.name == "seen.parquet" for p in written)
    assert any(p.parent.name == "cat.zarr" or "cat.zarr" in p.parts for p in written)
    for path in written:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"a credential is written in {path.relative_to(tmp_path)}"
    for folder in (tmp_path / "out").rglob("*"):
        assert_no_secret(folder.name, "a file name")
    # compressed content too: the catalog's columns and attributes, the state tables
    opened = af.Catalog.open(str(catalog))
    assert_no_secret(opened.to_pandas().to_csv() + repr(opened.attrs), "the catalog")
    for path in written:
        if path.suffix == ".parquet":
            assert_no_secret(pq.read_table(path).to_pandas().to_csv(), str(path.relative_to(tmp_path)))
    assert {r.label_url.split("//", 1)[1].split("/", 1)[0] for r in af.Catalog.open(str(catalog)).records()} \
        <= {f"127.0.0.1:{port}", f"localhost:{port}"}


def test_url_credentials_survive_pickling_for_workers(tmp_path):
    import pickle

    make_pds3_volume(tmp_path / "vol", 1)
    with ArchiveServer(tmp_path) as server:
        source = af.sources.create("pds3-volume", f"http://alice:{URL_PASSWORD}@127.0.0.1:{server.port}/vol/",
                                   transport=fast_transport(credentials=False))
        assert_no_secret(source.url + repr(source), "the source URL")
        clone = pickle.loads(pickle.dumps(source.transport))      # what a dask worker rebuilds
        clone.get(source.url + "INDEX/INDEX.LBL")
        seen = authorization_by_host(server)
    assert seen == {"127.0.0.1": {"Basic " + base64.b64encode(f"alice:{URL_PASSWORD}".encode()).decode()}}


QUERY_TOKEN = "query-token-Hx4pL2"       # http://127.0.0.1/…?token=…


def test_query_token_in_a_source_url_goes_to_its_host_only_and_is_never_kept(tmp_path, caplog):
    """``?token=`` in a source URL: stripped from the URL that records, reports and the harvest state keep,
    sent as a query parameter to its own host only (not across a redirect to another host), never logged."""
    make_pds3_volume(tmp_path / "vol", 4)
    moved = f"/vol/DATA/TC/000/{product_id(1)}.LBL"
    routes = {moved: lambda r: (302, {"Location": r.server.url_for("moved" + moved, host="localhost")}, b""),
              "/moved" + moved: (200, {}, pds3_label(1))}
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "archive_fed"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    catalog, report = tmp_path / "out" / "cat.zarr", tmp_path / "out" / "report.json"
    with ArchiveServer(tmp_path, routes=routes) as server:
        url = f"{server.url}/vol/?token={QUERY_TOKEN}"
        first = af.harvest("pds3-volume", url=url, catalog=str(catalog), report=str(report), progress=False,
                           transport=fast_transport(allow_redirect_hosts=("localhost",)))
        again = af.harvest("pds3-volume", url=url, catalog=str(catalog), progress=False,
                           transport=fast_transport(allow_redirect_hosts=("localhost",)))
        queries = [(r.headers.get("Host", "").rsplit(":", 1)[0], r.query) for r in server.received]
        root = f"{server.url}/vol/"
    assert first.new == 4 and first.failed == 0
    assert again.unchanged == 4 and again.new == 0     # the same archive: the state keys on the clean URL
    assert {q for host, q in queries if host == "127.0.0.1"} == {f"token={QUERY_TOKEN}"}
    assert {q for host, q in queries if host == "localhost"} == {""}
    assert first.url == root
    assert QUERY_TOKEN not in caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert report in written and any(p.name == "seen.parquet" for p in written)
    for path in written:
        assert QUERY_TOKEN.encode() not in path.read_bytes(), f"the token is written in {path}"
        if path.suffix == ".parquet":
            assert QUERY_TOKEN not in pq.read_table(path).to_pandas().to_csv(), path
    opened = af.Catalog.open(str(catalog))
    assert QUERY_TOKEN not in opened.to_pandas().to_csv() + repr(opened.attrs) + repr(opened.state)
