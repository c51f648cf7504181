"""Hostile archives: index rows and listing links that point elsewhere, oversized answers, redirects to
other hosts, self-signed TLS. The harvester must never fetch or write outside the archive root and its
own catalog, never download more than a label's worth for a label, and never trust what it cannot
verify.

Two loopback host names stand for two hosts: the archive is served as ``127.0.0.1``, and the same
server reached as ``localhost`` is "another host" (every request logs its ``Host`` header).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed.errors import FetchError
from archive_fed.labels.remote import MAX_LABEL
from archive_fed.sources.pds3_volume import PDS3VolumeSource
from archive_fed.transport import Transport
from archive_fed.testing.replica import make_pds3_volume, make_pds4_bundle, pds3_label, product_id
from archive_fed.testing.servers import ArchiveServer

pytestmark = pytest.mark.timeout(120)

MiB = 1024 * 1024
SECRET_LABEL = pds3_label(999).replace("TC1S2B0_01_00999S820E0465", "SECRET_PRODUCT")


def fast_transport(**kw) -> Transport:
    options = dict(timeout=(2, 1.0), retries=2, backoff=0.01, backoff_max=0.2, max_per_host=4)
    options.update(kw)
    return Transport(**options)


def uids(catalog: Path) -> set[str]:
    return {r.uid for r in af.Catalog.open(str(catalog)).records()}


def hosts_and_paths(server: ArchiveServer) -> list[tuple[str, str]]:
    return [(r.headers.get("Host", ""), r.path) for r in server.received]


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def hostile_rows(port: int, outside: Path) -> list[str]:
    """Index rows (PATH_NAME/FILE_NAME) that all lead out of the volume ``/vol/``."""
    return ["../secret.LBL", "DATA/../../secret.LBL", "/secret.LBL", "/vol/../secret.LBL",
            "%2e%2e/secret.LBL", "DATA/%2E%2E/%2e%2e/secret.LBL", "DATA\\..\\..\\secret.LBL",
            f"http://localhost:{port}/vol/DATA/TC/000/{product_id(0)}.LBL",
            f"//localhost:{port}/vol/DATA/TC/000/secret.LBL",
            f"http://127.0.0.1:{port}/other/secret.LBL",
            f"{outside.as_uri()}/secret.LBL", "file:///etc/passwd.LBL"]


# ------------------------------------------------------------------ index rows and listing links

def test_index_rows_leaving_the_volume_are_never_fetched_over_http(tmp_path):
    n = 5
    (tmp_path / "secret.LBL").write_text(SECRET_LABEL)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secret.LBL").write_text(SECRET_LABEL)
    catalog = tmp_path / "cat.zarr"
    with ArchiveServer(tmp_path) as server:
        rows = hostile_rows(server.port, tmp_path)
        make_pds3_volume(tmp_path / "vol", n, extra_rows=rows)
        before = files_under(tmp_path)
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(catalog),
                            transport=fast_transport(), progress=False, workers=2)
        seen, port = hosts_and_paths(server), server.port
    assert {host for host, _ in seen} == {f"127.0.0.1:{port}"}
    assert all(path.startswith("/vol/") for _, path in seen), seen
    assert not [path for _, path in seen if "secret" in path.lower() or "passwd" in path]
    assert report.new == n and report.failed == len(rows)
    assert all("outside the volume" in f.message for f in report.failures)
    assert uids(catalog) == {f"{'SLN-L-TC-3-S-LEVEL2B0-V1.0'}/{product_id(i)}" for i in range(n)}
    written = files_under(tmp_path) - before
    assert all(str(p).startswith((str(catalog) + os.sep, str(catalog) + ".harvest" + os.sep))
               for p in written), sorted(map(str, written))


_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def test_index_rows_leaving_a_local_mirror_are_never_opened(tmp_path):
    global _OPENED
    n = 4
    (tmp_path / "secret.LBL").write_text(SECRET_LABEL)
    volume = make_pds3_volume(tmp_path / "vol", n, extra_rows=hostile_rows(9, tmp_path))
    catalog = tmp_path / "cat.zarr"
    before = files_under(tmp_path)
    _OPENED = []
    try:
        report = af.harvest("pds3-volume", url=str(volume), catalog=str(catalog), progress=False, workers=2)
    finally:
        opened, _OPENED = _OPENED, None
    mine = [os.path.abspath(p) for p in opened if os.path.abspath(p).startswith(str(tmp_path))]
    allowed = (str(volume) + os.sep, str(catalog))
    assert mine and all(p.startswith(allowed) for p in mine), [p for p in mine if not p.startswith(allowed)]
    assert report.new == n and report.failed == len(hostile_rows(9, tmp_path))
    written = files_under(tmp_path) - before
    assert all(str(p).startswith(str(catalog)) for p in written), sorted(map(str, written))


def test_listing_links_leaving_the_tree_are_never_followed(tmp_path):
    (tmp_path / "secret.LBL").write_text(SECRET_LABEL)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.LBL").write_text(SECRET_LABEL)
    volume = make_pds3_volume(tmp_path / "vol", 3)
    shutil.rmtree(volume / "INDEX")           # no index: the harvester walks DATA/ through listings

    def listing(request):
        port = request.server.port
        links = ["TC/", "../secret.LBL", "../../secret.LBL", "/secret.LBL", "%2e%2e/%2e%2e/secret.LBL",
                 "..%2f..%2fsecret.LBL", "..\\..\\secret.LBL", "TC/../../../secret.LBL",
                 f"http://localhost:{port}/vol/DATA/TC/", f"//localhost:{port}/vol/DATA/TC/000/",
                 f"http://127.0.0.1:{port}/outside/", f"{tmp_path.as_uri()}/secret.LBL",
                 "file:///etc/passwd", "javascript:alert(1)", "mailto:x@y", "?C=N;O=D", "./", "../DATA/"]
        return 200, {"Content-Type": "text/html"}, "".join(f'<a href="{link}">{link}</a>\n' for link in links)

    catalog = tmp_path / "cat.zarr"
    with ArchiveServer(tmp_path, routes={"/vol/DATA/": listing}) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(catalog),
                            transport=fast_transport(), progress=False, workers=2)
        seen, port = hosts_and_paths(server), server.port
    assert {host for host, _ in seen} == {f"127.0.0.1:{port}"}
    assert all(path.startswith("/vol/") for _, path in seen), seen
    assert not [path for _, path in seen if "secret" in path.lower() or "outside" in path]
    assert report.cursor["discovery"] == "walk" and report.new == 3 and report.failed == 0
    assert len(uids(catalog)) == 3


def test_bundle_inventory_outside_the_bundle_is_never_fetched(tmp_path):
    bundle = make_pds4_bundle(tmp_path / "bundle", 3)
    (tmp_path / "secret.csv").write_text("P,urn:secret::1.0\r\n")
    collection = bundle / "data_lpr" / "collection_data_lpr.xml"
    collection.write_text(collection.read_text().replace("collection_data_lpr_inventory.csv",
                                                         "../../secret.csv"))
    with ArchiveServer(tmp_path) as server:
        report = af.harvest("pds4-bundle", url=server.url + "/bundle/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(), progress=False)
        paths = [p for _, p in hosts_and_paths(server)]
    assert "/secret.csv" not in paths and all(p.startswith("/bundle/") for p in paths)
    assert report.new == 3 and any("inventory outside the bundle" in f.message for f in report.failures)


# ------------------------------------------------------------------ size caps


class _Stream:
    """A route answering ``size`` bytes, generated on the fly, counting what it actually sent."""

    def __init__(self, size: int, head: bytes = b"", honour_range: bool = False) -> None:
        self.size, self.head, self.honour_range = size, head, honour_range
        self.sent = 0
        self.lock = threading.Lock()

    def chunks(self, start: int, stop: int):
        chunk = bytes(MiB)
        position = start
        while position < stop:
            piece = chunk[:min(MiB, stop - position)]
            if position < len(self.head):
                piece = (self.head[position:] + piece)[:len(piece)]
            with self.lock:
                self.sent += len(piece)
            yield piece
            position += len(piece)

    def __call__(self, request):
        wanted = request.headers.get("Range")
        if self.honour_range and wanted:
            first, _, last = wanted.split("=", 1)[1].partition("-")
            start, stop = int(first), min(self.size, int(last) + 1)
            if start >= self.size:
                return 416, {}, b""
            return 206, {"Content-Range": f"bytes {start}-{stop - 1}/{self.size}"}, self.chunks(start, stop)
        return 200, {}, self.chunks(0, self.size)     # chunked: no Content-Length to refuse up front


def _volume_with(tmp_path: Path, names: list[str]) -> Path:
    return make_pds3_volume(tmp_path / "vol", 2, extra_rows=[f"DATA/BIG/{name}" for name in names])


def test_300MB_label_is_refused_without_being_downloaded(tmp_path):
    _volume_with(tmp_path, ["HUGE.LBL"])
    huge = _Stream(300 * 1000 * 1000)
    catalog = tmp_path / "cat.zarr"
    with ArchiveServer(tmp_path, routes={"/vol/DATA/BIG/HUGE.LBL": huge}) as server:
        clock = time.perf_counter()
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(catalog),
                            transport=fast_transport(), progress=False)
        seconds = time.perf_counter() - clock
    assert report.new == 2 and report.failed == 1
    failure = report.failures[0]
    assert failure.error == "FetchError" and "exceeds the limit" in failure.message
    # a label's worth (16 MiB) plus what the sockets buffered when the client hung up, per attempt
    print(f"300 MB label: {huge.sent:,} bytes sent before the client hung up, {seconds:.2f} s")
    assert huge.sent <= failure.attempts * (MAX_LABEL + 16 * MiB), huge.sent
    assert failure.attempts == 1 and seconds < 30


def test_300MB_index_label_is_refused_without_being_downloaded(tmp_path):
    make_pds3_volume(tmp_path / "vol", 3)
    huge = _Stream(300 * 1000 * 1000)
    with ArchiveServer(tmp_path, routes={"/vol/INDEX/INDEX.LBL": huge}) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(), progress=False)
    assert report.cursor["discovery"] == "walk" and report.new == 3      # found by walking DATA/
    assert huge.sent <= MAX_LABEL + 16 * MiB, huge.sent


def test_300MB_collection_label_is_refused_without_being_downloaded(tmp_path):
    make_pds4_bundle(tmp_path / "bundle", 3)
    huge = _Stream(300 * 1000 * 1000)
    with ArchiveServer(tmp_path, routes={"/bundle/data_lpr/collection_data_lpr.xml": huge}) as server:
        report = af.harvest("pds4-bundle", url=server.url + "/bundle/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(), progress=False)
    assert report.new == 3 and any("exceeds the limit" in f.message for f in report.failures)
    assert huge.sent <= 2 * (MAX_LABEL + 16 * MiB), huge.sent   # read as structure, then as a product


def test_declared_oversized_label_is_refused_before_reading(tmp_path):
    _volume_with(tmp_path, ["DECLARED.LBL"])
    routes = {"/vol/DATA/BIG/DECLARED.LBL": (200, {"Content-Length": str(100 * 1000 * 1000)}, b"")}
    with ArchiveServer(tmp_path, routes=routes) as server:
        clock = time.perf_counter()
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(retries=3), progress=False)
        seconds = time.perf_counter() - clock
    assert report.failed == 1 and "exceeds the limit" in report.failures[0].message
    assert report.failures[0].attempts == 1 and seconds < 10


def test_attached_label_from_a_server_ignoring_range_costs_only_the_label(tmp_path):
    _volume_with(tmp_path, ["ATTACHED.IMG"])
    head = pds3_label(7).replace(product_id(7), "ATTACHED").replace("\n", "\r\n").encode()
    image = _Stream(300 * 1000 * 1000, head=head, honour_range=False)
    with ArchiveServer(tmp_path, routes={"/vol/DATA/BIG/ATTACHED.IMG": image}) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(), progress=False)
    assert report.failed == 0 and report.new == 3, [f.message for f in report.failures]
    print(f"300 MB image, Range ignored: {image.sent:,} bytes sent")
    assert image.sent <= 64 * 1024 + 16 * MiB, image.sent


def test_attached_label_without_end_stops_at_the_label_cap(tmp_path):
    _volume_with(tmp_path, ["NOEND.IMG"])
    head = b"PDS_VERSION_ID = PDS3\r\n" + b"COMMENT = \"padding\"\r\n" * 10
    image = _Stream(300 * 1000 * 1000, head=head, honour_range=True)
    with ArchiveServer(tmp_path, routes={"/vol/DATA/BIG/NOEND.IMG": image}) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(), progress=False)
    assert report.failed == 1 and report.failures[0].error == "LabelError"
    print(f"300 MB image without END: {image.sent:,} bytes sent")
    assert image.sent <= MAX_LABEL + 4 * MiB, image.sent


# ------------------------------------------------------------------ redirects


def _redirecting(tmp_path: Path, target: str) -> dict:
    moved = f"/vol/DATA/TC/000/{product_id(1)}.LBL"

    def redirect(request):
        location = target.format(port=request.server.port, path=moved)
        return 302, {"Location": location}, b""

    return {moved: redirect, "/moved" + moved: lambda request: (200, {}, pds3_label(1))}


@pytest.mark.parametrize("target", ["http://localhost:{port}/moved{path}", "//localhost:{port}/moved{path}",
                                    "file:///etc/passwd", "ftp://127.0.0.1:{port}/x"])
def test_redirects_to_other_hosts_or_schemes_are_refused(tmp_path, target):
    make_pds3_volume(tmp_path / "vol", 3)
    with ArchiveServer(tmp_path, routes=_redirecting(tmp_path, target)) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(), progress=False)
        seen, port = hosts_and_paths(server), server.port
    assert report.new == 2 and report.failed == 1 and report.failures[0].error == "FetchError"
    assert "refused" in report.failures[0].message
    assert {host for host, _ in seen} == {f"127.0.0.1:{port}"}


def test_redirect_to_an_allowed_host_is_followed(tmp_path):
    make_pds3_volume(tmp_path / "vol", 3)
    routes = _redirecting(tmp_path, "http://localhost:{port}/moved{path}")
    with ArchiveServer(tmp_path, routes=routes) as server:
        report = af.harvest("pds3-volume", url=server.url + "/vol/", catalog=str(tmp_path / "c.zarr"),
                            transport=fast_transport(allow_redirect_hosts=("localhost",)), progress=False)
        seen, port = hosts_and_paths(server), server.port
    assert report.new == 3 and report.failed == 0
    assert (f"localhost:{port}", f"/moved/vol/DATA/TC/000/{product_id(1)}.LBL") in seen


# ------------------------------------------------------------------ TLS


def test_tls_verification_is_on_by_default(tmp_path):
    assert Transport().verify is True
    assert PDS3VolumeSource("https://example.invalid/VOL/").transport.verify is True


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor the openssl command is available")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        return cert, key
    import ipaddress

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(private.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, key


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'PDS_VERSION_ID = PDS3\r\nEND\r\n'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_self_signed_tls_server_is_refused(tmp_path):
    cert, key = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{server.server_address[1]}/LABEL.LBL"
    try:
        with pytest.raises(FetchError, match="TLS") as info:
            fast_transport().get(url)
        assert info.value.attempts == 1              # a bad certificate is not retried
        with pytest.raises(FetchError, match="TLS"):
            af.read_label(url)                      # the default transport verifies too
        trusted = fast_transport(verify=str(cert)).get(url)   # the same server, its certificate trusted
        assert trusted.content.startswith(b"PDS_VERSION_ID")
    finally:
        server.shutdown()
        server.server_close()
