"""The shared transport against a real loopback archive server with injected faults."""
from __future__ import annotations

import base64
import http.client
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from pathlib import Path

import fsspec
import pytest

from archive_fed.errors import FetchError
from archive_fed.transport import Transport, is_within, redact_url, url_join
from archive_fed.testing.faults import Fault, FaultPlan
from archive_fed.testing.servers import ArchiveServer

pytestmark = pytest.mark.timeout(60)

IMG = bytes(range(256)) * 20  # 5120 bytes
TXT = b"PDS_VERSION_ID = PDS3\r\nEND\r\n"
SECRET = "s3cr3t-Pw!"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "VOL"
    (root / "DATA" / "ORBIT_01").mkdir(parents=True)
    (root / "INDEX").mkdir()
    (root / "DATA" / "ORBIT_01" / "TC1S2B0_01.IMG").write_bytes(IMG)
    (root / "DATA" / "ORBIT_01" / "TC1S2B0_01.LBL").write_bytes(TXT)
    (root / "INDEX" / "INDEX.TAB").write_bytes(b"row\r\n" * 10)
    (tmp_path / "outside.txt").write_text("not for you")
    return root


def fast(**kw) -> Transport:
    """A transport with test-sized backoff and timeouts."""
    opts = dict(retries=3, backoff=0.01, backoff_max=0.5, timeout=(2, 2))
    opts.update(kw)
    return Transport(**opts)


IMG_PATH = "/DATA/ORBIT_01/TC1S2B0_01.IMG"


# ------------------------------------------------------------------ retries

def test_503_retried_then_succeeds(archive):
    with ArchiveServer(archive, faults=FaultPlan().on("*.IMG", "503", times=2)) as server:
        response = fast().get(server.url + IMG_PATH)
    assert response.status == 200 and response.content == IMG
    assert response.attempts == 3
    assert server.counts[IMG_PATH] == 3 and server.faults_injected == 2
    assert [s for _, _, s in server.requests] == [503, 503, 200]


def test_429_retry_after_seconds_is_honoured(archive):
    with ArchiveServer(archive, faults={IMG_PATH: Fault("429", retry_after=1)}) as server:
        start = time.monotonic()
        response = fast(backoff_max=5).get(server.url + IMG_PATH)
        elapsed = time.monotonic() - start
    assert response.attempts == 2 and response.content == IMG
    assert elapsed >= 1.0


def test_retry_after_http_date_is_honoured(archive):
    when = formatdate(time.time() + 2, usegmt=True)  # whole seconds: the wait is between 1 and 2 s
    with ArchiveServer(archive, faults={IMG_PATH: Fault("503", retry_after=when)}) as server:
        start = time.monotonic()
        response = fast(backoff_max=5).get(server.url + IMG_PATH)
        elapsed = time.monotonic() - start
    assert response.attempts == 2
    assert 0.9 <= elapsed < 4


def test_huge_retry_after_is_capped_at_backoff_max(archive):
    with ArchiveServer(archive, faults={IMG_PATH: Fault("429", retry_after=3600)}) as server:
        start = time.monotonic()
        response = fast(backoff_max=0.2).get(server.url + IMG_PATH)
    assert response.attempts == 2 and time.monotonic() - start < 3


@pytest.mark.parametrize("kind", ["reset", "reset_after_headers"])
def test_connection_reset_retried(archive, kind):
    with ArchiveServer(archive, faults={IMG_PATH: kind}) as server:
        response = fast().get(server.url + IMG_PATH)
    assert response.content == IMG and response.attempts == 2
    assert server.faults_injected == 1


def test_truncated_body_detected_and_retried(archive):
    with ArchiveServer(archive, faults={IMG_PATH: Fault("truncate", keep=0.3)}) as server:
        response = fast().get(server.url + IMG_PATH)
    assert response.content == IMG and response.attempts == 2


def test_truncated_every_time_fails_with_attempts(archive):
    with ArchiveServer(archive, faults={IMG_PATH: Fault("truncate", times=None)}) as server:
        with pytest.raises(FetchError) as info:
            fast(retries=2).get(server.url + IMG_PATH)
    assert info.value.attempts == 3 and "truncated" in str(info.value)


@pytest.mark.parametrize("kind", ["stall", "stall_body"])
def test_stall_read_timeout_then_retry_succeeds(archive, kind):
    with ArchiveServer(archive, faults={IMG_PATH: Fault(kind, seconds=3)}) as server:
        start = time.monotonic()
        response = fast(timeout=(2, 0.3)).get(server.url + IMG_PATH)
        elapsed = time.monotonic() - start
    assert response.content == IMG and response.attempts == 2
    assert elapsed < 2.5


def test_permanent_500_gives_fetch_error_with_status_and_attempts(archive):
    with ArchiveServer(archive, faults={IMG_PATH: "500"}) as server:
        url = server.url + IMG_PATH
        with pytest.raises(FetchError) as info:
            fast(retries=3).get(url)
    error = info.value
    assert error.status == 500 and error.attempts == 4
    assert server.counts[IMG_PATH] == 4
    assert error.path == url and url in str(error)
    assert error.__cause__ is None


def test_404_fails_at_once(archive):
    with ArchiveServer(archive) as server:
        with pytest.raises(FetchError) as info:
            fast().get(server.url + "/DATA/MISSING.IMG")
    assert info.value.status == 404 and info.value.attempts == 1
    assert server.counts["/DATA/MISSING.IMG"] == 1


def test_connection_refused_retried_then_fetch_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as info:
        fast(retries=1).get(f"http://127.0.0.1:{port}/x")
    assert info.value.attempts == 2 and info.value.status is None
    assert "refused" in str(info.value)


def test_many_workers_through_random_faults(archive):
    """A harvest-shaped load: 40 fetches on 8 threads through seeded random faults all succeed."""
    plan = FaultPlan(seed=7).randomly(0.3, "503").every(9, "reset")
    with ArchiveServer(archive, faults=plan) as server:
        transport = fast(retries=8, max_per_host=3)
        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(lambda _: transport.get(server.url + IMG_PATH).content, range(40)))
    assert bodies == [IMG] * 40
    assert server.faults_injected > 0 and server.max_in_flight <= 3


# ------------------------------------------------------------------ conditional, range, head, json

def test_conditional_get_returns_not_modified(archive):
    with ArchiveServer(archive) as server:
        transport = fast()
        first = transport.get(server.url + IMG_PATH)
        assert first.etag and first.last_modified and not first.not_modified
        by_etag = transport.get(server.url + IMG_PATH, conditional={"etag": first.etag})
        by_date = transport.get(server.url + IMG_PATH, conditional={"last_modified": first.last_modified})
        (archive / IMG_PATH.lstrip("/")).write_bytes(b"changed")
        changed = transport.get(server.url + IMG_PATH, conditional={"etag": first.etag})
    assert by_etag.status == 304 and by_etag.not_modified and by_etag.content == b""
    assert by_date.not_modified
    assert changed.status == 200 and changed.content == b"changed" and changed.etag != first.etag


def test_range_head_and_listing(archive):
    with ArchiveServer(archive) as server:
        transport = fast()
        part = transport.get_range(server.url + IMG_PATH, 100, 200)
        tail = transport.get_range(server.url + IMG_PATH, 5000)
        past_end = transport.get_range(server.url + IMG_PATH, len(IMG), len(IMG) + 100)
        head = transport.head(server.url + IMG_PATH)
        listing = transport.get(server.url + "/DATA/ORBIT_01")  # 301 to the slash form, same host
    assert part.status == 206 and part.content == IMG[100:200]
    assert tail.content == IMG[5000:]
    assert past_end.status == 416 and past_end.content == b""
    assert transport.request_count == 6  # the listing took two requests (301, then 200)
    assert head.status == 200 and head.content == b"" and int(head.headers["Content-Length"]) == len(IMG)
    assert listing.url.endswith("/DATA/ORBIT_01/") and listing.attempts == 2
    assert '<a href="TC1S2B0_01.IMG">' in listing.text and '<a href="TC1S2B0_01.LBL">' in listing.text


def test_range_ignored_by_server_is_sliced_locally():
    with ArchiveServer(routes={"/blob": (200, {}, IMG)}) as server:
        part = fast().get_range(server.url + "/blob", 10, 20)
    assert part.status == 200 and part.content == IMG[10:20]


def test_get_json_passes_params_to_routes():
    def products(request):
        summary = {"q": request.param("q"), "limit": int(request.param("limit"))}
        return 200, {}, {"summary": summary, "data": []}

    with ArchiveServer(routes={"/api/search/1/products": products, "/html": (200, {}, "<html>")}) as server:
        transport = fast()
        answer = transport.get_json(server.url + "/api/search/1/products", params={"q": 'target eq "Moon"',
                                                                                   "limit": 5})
        with pytest.raises(FetchError, match="not JSON"):
            transport.get_json(server.url + "/html")
        accept = server.received[0].headers["Accept"]
    assert answer["summary"] == {"q": 'target eq "Moon"', "limit": 5}
    assert accept == "application/json"


# ------------------------------------------------------------------ size cap and redirects

def test_size_cap_from_content_length(archive):
    with ArchiveServer(archive) as server:
        with pytest.raises(FetchError, match="exceeds") as info:
            fast(max_bytes=1000).get(server.url + IMG_PATH)
    assert info.value.attempts == 1


def test_size_cap_while_streaming():
    endless = lambda request: (200, {}, (b"x" * 4096 for _ in range(100)))  # chunked, no length  # noqa: E731
    with ArchiveServer(routes={"/stream": endless}) as server:
        with pytest.raises(FetchError, match="exceeds"):
            fast(max_bytes=10_000).get(server.url + "/stream")
        assert fast().get(server.url + "/stream").content == b"x" * 409600


def _redirects():
    return {"/to-other": lambda r: (302, {"Location": r.server.url_for("DATA/ORBIT_01/TC1S2B0_01.LBL",
                                                                       host="localhost")}, b""),
            "/to-same": (302, {"Location": "/DATA/ORBIT_01/TC1S2B0_01.LBL"}, b"")}


def test_same_host_redirect_followed_cross_host_refused(archive):
    with ArchiveServer(archive, routes=_redirects()) as server:
        assert fast().get(server.url + "/to-same").content == TXT
        with pytest.raises(FetchError, match="another host") as info:
            fast().get(server.url + "/to-other")
        assert info.value.status == 302
        allowed = fast(allow_redirect_hosts=("localhost",)).get(server.url + "/to-other")
    assert allowed.content == TXT and allowed.url.startswith("http://localhost:")


# ------------------------------------------------------------------ credentials and headers

def test_netrc_credentials_go_to_their_host_only(archive, tmp_path, monkeypatch, caplog):
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text(f"machine 127.0.0.1 login alice password {SECRET}\n")
    netrc_file.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc_file))
    encoded = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    caplog.set_level(logging.DEBUG)
    faults = FaultPlan().on("/DATA/ORBIT_01/TC1S2B0_01.LBL", "503", times=1).on("/broken", "500")
    with ArchiveServer(archive, faults=faults, routes=_redirects()) as server:
        transport = fast(retries=1, allow_redirect_hosts=("localhost",))
        transport.get(server.url + "/to-other")
        with pytest.raises(FetchError) as info:
            transport.get(server.url + "/broken")
        seen = {(r.path, r.headers.get("Host", "").split(":")[0]): r.headers.get("Authorization")
                for r in server.received}
    assert seen[("/to-other", "127.0.0.1")] == f"Basic {encoded}"
    assert seen[("/DATA/ORBIT_01/TC1S2B0_01.LBL", "localhost")] is None  # the redirect target
    assert seen[("/broken", "127.0.0.1")] == f"Basic {encoded}"
    assert "retrying" in caplog.text  # the retry on localhost was logged ...
    for text in (caplog.text, str(info.value), repr(info.value), repr(transport)):
        assert SECRET not in text and encoded not in text  # ... but never a secret


def test_env_token_and_url_userinfo(archive, monkeypatch):
    monkeypatch.setenv("ARCHIVE_FED_TOKEN_127_0_0_1", "tok-123")
    with ArchiveServer(archive) as server:
        fast().get(server.url + IMG_PATH)
        with pytest.raises(FetchError) as info:
            fast().get(f"http://bob:{SECRET}@127.0.0.1:{server.port}/nope?token=abc")
        auth = [r.headers.get("Authorization") for r in server.received]
    assert auth[0] == "Bearer tok-123"
    assert auth[1] == "Basic " + base64.b64encode(f"bob:{SECRET}".encode()).decode()
    assert SECRET not in str(info.value) and "abc" not in str(info.value)
    assert info.value.status == 404


def test_user_agent_and_explicit_credentials(archive):
    with ArchiveServer(archive) as server:
        fast(credentials={"localhost": "other-host-token"}).get(server.url + IMG_PATH)
        record = server.received[0]
    assert record.headers["User-Agent"].startswith("archive_fed/")
    assert "lunar data federation" in record.headers["User-Agent"]
    assert "Authorization" not in record.headers


def test_redact_url():
    assert redact_url(f"https://u:{SECRET}@h/p?api_key=k&x=1") == "https://h/p?api_key=***&x=1"


# ------------------------------------------------------------------ limits per host

def test_per_host_concurrency_limit(archive):
    with ArchiveServer(archive, latency=0.15) as server:
        limited = fast(max_per_host=2)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: limited.get(server.url + IMG_PATH), range(8)))
        assert server.max_in_flight == 2
        server.reset_stats()
        free = fast(max_per_host=8)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: free.get(server.url + IMG_PATH), range(8)))
        assert server.max_in_flight > 2  # the measurement itself works


def test_rate_limit_per_host(archive):
    with ArchiveServer(archive) as server:
        transport = fast(rate_per_host=20)
        start = time.monotonic()
        for _ in range(6):
            transport.get(server.url + IMG_PATH)
    assert time.monotonic() - start >= 5 / 20 * 0.95


# ------------------------------------------------------------------ local paths and fsspec

def test_fetch_bytes_local_file_url_and_fsspec(archive):
    path = archive / "DATA" / "ORBIT_01" / "TC1S2B0_01.LBL"
    transport = fast()
    assert transport.fetch_bytes(path) == TXT
    assert transport.fetch_bytes(str(path)) == TXT
    assert transport.fetch_bytes(path.as_uri()) == TXT
    with fsspec.open("memory://archive_fed_test/x.lbl", "wb") as f:
        f.write(TXT)
    assert transport.fetch_bytes("memory://archive_fed_test/x.lbl") == TXT
    with pytest.raises(FetchError, match="no such file"):
        transport.fetch_bytes(archive / "nope")
    with pytest.raises(FetchError, match="exceeds"):
        fast(max_bytes=10).fetch_bytes(path)


def test_fetch_bytes_http_goes_through_retries(archive):
    with ArchiveServer(archive, faults={IMG_PATH: "503"}) as server:  # "503": once
        assert fast().fetch_bytes(server.url + IMG_PATH) == IMG
        assert server.counts[IMG_PATH] == 2


def test_get_refuses_non_http():
    with pytest.raises(FetchError, match="not an http"):
        fast().get("ftp://example.org/x")


# ------------------------------------------------------------------ url helpers

@pytest.mark.parametrize("url, inside", [
    ("https://h/VOL/DATA/X.IMG", True),
    ("https://h/VOL", True),
    ("https://h:443/VOL/DATA/", True),
    ("https://h/VOL/../etc/passwd", False),
    ("https://h/VOL/DATA/%2e%2e/%2E%2E/x", False),
    ("https://h/VOL/DATA\\..\\..\\x", False),
    ("https://h/VOL2/X.IMG", False),
    ("https://other/VOL/X.IMG", False),
    ("https://h@other/VOL/X.IMG", False),
    ("https://h:8443/VOL/X.IMG", False),
    ("http://h/VOL/X.IMG", False),
    ("/etc/passwd", False),
    ("/VOL/X.IMG", False),
    ("file:///VOL/X.IMG", False),
])
def test_is_within_http_root(url, inside):
    assert is_within("https://h/VOL/", url) is inside


def test_is_within_local_root(tmp_path):
    root = tmp_path / "VOL"
    assert is_within(str(root), str(root / "DATA" / "X.IMG"))
    assert is_within(str(root), (root / "DATA" / "X.IMG").as_uri())
    assert not is_within(str(root), str(root / ".." / "outside.txt"))
    assert not is_within(str(root), str(tmp_path / "VOL2" / "X.IMG"))
    assert not is_within(str(root), "/etc/passwd")
    assert not is_within(root.as_uri(), "file:///etc/passwd")
    assert not is_within(str(root), "https://h" + str(root / "X.IMG"))


def test_url_join():
    assert url_join("https://h/VOL/INDEX/INDEX.LBL", "INDEX.TAB") == "https://h/VOL/INDEX/INDEX.TAB"
    assert url_join("https://h/VOL/", "DATA/X.IMG") == "https://h/VOL/DATA/X.IMG"
    assert url_join("s3://b/VOL/INDEX/INDEX.LBL", "../DATA/X.IMG") == "s3://b/VOL/DATA/X.IMG"
    assert url_join("/data/VOL/INDEX/INDEX.LBL", "INDEX.TAB") == "/data/VOL/INDEX/INDEX.TAB"
    assert url_join("https://h/VOL/", "file:///etc/passwd") == "file:///etc/passwd"  # is_within rejects it


# ------------------------------------------------------------------ the server itself

@pytest.mark.parametrize("raw_path", ["/../outside.txt", "/%2e%2e/outside.txt",
                                      "/DATA/..%2F..%2Foutside.txt"])
def test_server_refuses_paths_escaping_root(archive, raw_path):
    with ArchiveServer(archive) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("GET", raw_path)
        answer = connection.getresponse()
        body = answer.read()
        connection.close()
    assert answer.status in (403, 404) and b"not for you" not in body


def test_fault_plan_is_deterministic():
    def run():
        plan = FaultPlan(seed=3).randomly(0.5, "503")
        return [plan.pick(f"/p{i}") is not None for i in range(50)]

    first = run()
    assert first == run() and 10 < sum(first) < 40
    plan = FaultPlan().every(3, "reset")
    assert [plan.pick("/x") is not None for _ in range(6)] == [False, False, True] * 2


def test_server_leaves_no_threads_behind(archive):
    before = {t.ident for t in threading.enumerate()}
    server = ArchiveServer(archive, faults={IMG_PATH: Fault("stall", seconds=20)}).start()
    with pytest.raises(FetchError):
        fast(retries=0, timeout=(1, 0.2)).get(server.url + IMG_PATH)  # leaves a stalled handler
    fast().get(server.url + "/DATA/ORBIT_01/TC1S2B0_01.LBL")  # leaves an idle keep-alive connection
    start = time.monotonic()
    server.close()
    leftover = [t for t in threading.enumerate()
                if t.ident not in before and t.name.startswith("ArchiveServer")]
    assert not leftover and time.monotonic() - start < 1
