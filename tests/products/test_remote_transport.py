"""Remote products read through the Transport: a login-only loopback archive (bearer token) that answers
503 once per file; ``open_product`` gets the credentials harvest uses and retries like harvest does."""
from __future__ import annotations

import pickle
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

import archive_fed as af
from archive_fed.errors import ArchiveFedError
from archive_fed.transport import Transport, TransportFileSystem

TOKEN = "s3cr3t-token-value"

PDS3_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 12
FILE_RECORDS = 5
^IMAGE = ("cube.img", 1)
PRODUCT_ID = "REMOTE_TEST_IMAGE"
INSTRUMENT_NAME = "TEST CAMERA"
TARGET_NAME = MOON
START_TIME = 2020-01-01T00:00:00
STOP_TIME = 2020-01-01T00:01:00
OBJECT = IMAGE
  LINES = 5
  LINE_SAMPLES = 6
  SAMPLE_TYPE = MSB_INTEGER
  SAMPLE_BITS = 16
END_OBJECT = IMAGE
END
"""

PDS4_LABEL = """<?xml version="1.0" encoding="UTF-8"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area>
    <logical_identifier>urn:nasa:pds:test_bundle:data:remote_image</logical_identifier>
    <version_id>1.0</version_id>
    <title>Remote test image</title>
    <information_model_version>1.21.0.0</information_model_version>
    <product_class>Product_Observational</product_class>
  </Identification_Area>
  <Observation_Area>
    <Time_Coordinates><start_date_time>2020-01-01T00:00:00Z</start_date_time>
      <stop_date_time>2020-01-01T00:01:00Z</stop_date_time></Time_Coordinates>
    <Target_Identification><name>Moon</name><type>Satellite</type></Target_Identification>
  </Observation_Area>
  <File_Area_Observational>
    <File><file_name>image.dat</file_name></File>
    <Array_2D_Image>
      <local_identifier>image</local_identifier>
      <offset unit="byte">0</offset>
      <axes>2</axes>
      <axis_index_order>Last Index Fastest</axis_index_order>
      <Element_Array><data_type>IEEE754LSBSingle</data_type></Element_Array>
      <Axis_Array><axis_name>Line</axis_name><elements>4</elements><sequence_number>1</sequence_number></Axis_Array>
      <Axis_Array><axis_name>Sample</axis_name><elements>3</elements><sequence_number>2</sequence_number></Axis_Array>
    </Array_2D_Image>
  </File_Area_Observational>
</Product_Observational>
"""


class _LoginArchive(BaseHTTPRequestHandler):
    """Serves ``server.root``: 401 without the bearer token, 503 on the first GET of each file, Range."""

    def log_message(self, *args):  # keep test output clean
        pass

    def _serve(self, body: bool) -> None:
        server = self.server
        server.log.append((self.command, self.path, self.headers.get("Authorization"), self.headers.get("Range")))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Bearer realm="archive"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = Path(server.root) / self.path.lstrip("/")
        if not path.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with server.lock:
            first = self.path not in server.failed
            server.failed.add(self.path)
        if first:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = path.read_bytes()
        status, part = 200, data
        wanted = self.headers.get("Range")
        if wanted and wanted.startswith("bytes="):
            first_byte, _, last_byte = wanted[6:].partition("-")
            start = int(first_byte)
            stop = min(len(data), int(last_byte) + 1) if last_byte else len(data)
            status, part = 206, data[start:stop]
        self.send_response(status)
        self.send_header("Content-Length", str(len(part)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{len(data)}")
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if body:
            self.wfile.write(part)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._serve(True)

    def do_HEAD(self):  # noqa: N802
        self._serve(False)


@pytest.fixture
def login_archive(tmp_path):
    image3 = (np.arange(30, dtype=">i2") * 7 - 50).reshape(5, 6)
    (tmp_path / "cube.lbl").write_text(PDS3_LABEL)
    (tmp_path / "cube.img").write_bytes(image3.tobytes())
    image4 = np.linspace(-1, 1, 12, dtype="<f4").reshape(4, 3)
    (tmp_path / "image.xml").write_text(PDS4_LABEL)
    (tmp_path / "image.dat").write_bytes(image4.tobytes())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LoginArchive)
    server.root, server.log, server.failed, server.lock = str(tmp_path), [], set(), threading.Lock()
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def _fast() -> Transport:
    return Transport(retries=2, backoff=0.01, backoff_max=0.05)


@pytest.mark.parametrize("label", ["cube.lbl", "image.xml"])
def test_login_only_product_opens_with_the_env_token_and_retries_503(login_archive, monkeypatch, label):
    server, url, root = login_archive
    monkeypatch.setenv("ARCHIVE_FED_TOKEN_127_0_0_1", TOKEN)   # the variable harvest reads too
    remote = af.open_product(f"{url}/{label}", mask_and_scale=False, transport=_fast())
    local = af.open_product(str(root / label), mask_and_scale=False)
    assert list(remote.data_vars) == list(local.data_vars)
    for name in local.data_vars:
        np.testing.assert_array_equal(remote[name].values, local[name].values)
    statuses = [entry for entry in server.log if entry[2] == f"Bearer {TOKEN}"]
    assert statuses, "the token was never sent"
    data_name = "/cube.img" if label == "cube.lbl" else "/image.dat"
    data_gets = [e for e in server.log if e[0] == "GET" and e[1] == data_name]
    assert len(data_gets) >= 2 and any(e[3] for e in data_gets)   # a 503, then ranged reads that worked


def test_credentials_added_per_host_reach_product_reads(login_archive, monkeypatch):
    server, url, root = login_archive
    monkeypatch.delenv("ARCHIVE_FED_TOKEN_127_0_0_1", raising=False)
    transport = _fast()
    transport.add_credentials("127.0.0.1", TOKEN)                   # what sources do for user:pass@ URLs
    ds = af.open_product(f"{url}/cube.lbl", mask_and_scale=False, transport=transport)
    np.testing.assert_array_equal(ds["IMAGE"].values, af.open_product(str(root / "cube.lbl"),
                                                                      mask_and_scale=False)["IMAGE"].values)


def test_without_credentials_a_clean_typed_error(login_archive, monkeypatch, tmp_path):
    server, url, _ = login_archive
    monkeypatch.delenv("ARCHIVE_FED_TOKEN_127_0_0_1", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    with pytest.raises(ArchiveFedError) as caught:
        af.open_product(f"{url}/image.xml", transport=_fast())
    message = str(caught.value)
    assert "401" in message and TOKEN not in message and "Traceback" not in message


def test_data_read_without_credentials_is_a_product_error(login_archive, monkeypatch):
    server, url, _ = login_archive
    monkeypatch.setenv("ARCHIVE_FED_TOKEN_127_0_0_1", TOKEN)
    transport = _fast()
    ds = af.open_product(f"{url}/cube.lbl", transport=transport)
    transport._credentials.add("127.0.0.1", "wrong-token")  # the login expires between label and data
    with pytest.raises(af.ProductError) as caught:
        ds["IMAGE"].load()
    assert "401" in str(caught.value) and TOKEN not in str(caught.value)


def test_filesystem_reads_ranges_sizes_and_pickles(login_archive, monkeypatch):
    server, url, root = login_archive
    monkeypatch.setenv("ARCHIVE_FED_TOKEN_127_0_0_1", TOKEN)
    fs = pickle.loads(pickle.dumps(TransportFileSystem(_fast())))
    data = (root / "cube.img").read_bytes()
    assert fs.cat_file(f"{url}/cube.img", 4, 10) == data[4:10]
    assert fs.size(f"{url}/cube.img") == len(data)
    assert fs.exists(f"{url}/cube.img") and not fs.exists(f"{url}/nothing.img")
    assert fs.cat_ranges([f"{url}/cube.img"] * 2, [0, 20], [2, 30]) == [data[0:2], data[20:30]]
    with fs.open(f"{url}/cube.img", "rb") as f:
        f.seek(8)
        assert f.read(6) == data[8:14]
