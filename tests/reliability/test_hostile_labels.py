"""Hostile labels: every one is refused with an ArchiveFedError naming the file (or, for a valid label
with hostile surroundings, read without touching them), fast, in bounded memory, without a traceback,
and without reading or printing anything outside the label.

Each case is measured in a forked child of one measuring process (``tests/reliability/measure.py``):
read_label + normalize, and the ``inspect`` command's entry point, each timed and with its peak RSS
growth. The real console command then runs once over every refused file (exit code, one error line
per file, no traceback, no secret) and once with ``--debug`` (the traceback appears).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.limits import MEMORY_LIMIT, PYTHON, ROOT, TIME_LIMIT, WALL_FACTOR, child_env
from archive_fed.testing.servers import ArchiveServer

pytestmark = pytest.mark.timeout(300)

SECRET = "TOPSECRET-7f3a9c-never-print-me"
NS = 'xmlns="http://pds.nasa.gov/pds4/pds/v1"'
MiB = 1024 * 1024


def _xml(body: str, *, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n', doctype: str = "") -> str:
    return (f"{prolog}{doctype}<Product_Observational {NS}><Identification_Area>"
            f"<logical_identifier>urn:nasa:pds:hostile:data:x</logical_identifier>"
            f"<version_id>1.0</version_id><title>{body}</title></Identification_Area>"
            f"</Product_Observational>\n")


def _utf16(text: str) -> bytes:
    """UTF-16LE without a BOM: starts with '<' like UTF-8 XML, so the XML reader gets it."""
    return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")


PDS3_HEAD = b'PDS_VERSION_ID = PDS3\r\nDATA_SET_ID = "HOSTILE"\r\nPRODUCT_ID = "X"\r\n'


def _pds3(body: bytes) -> bytes:
    return PDS3_HEAD + body + b"\r\nEND\r\n"


def _laughs() -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)]
    return _xml("&lol9;", doctype=f"<!DOCTYPE lolz [{''.join(entities)}]>\n")


def _quadratic() -> str:
    return _xml("&a;" * 20_000, doctype=f'<!DOCTYPE q [<!ENTITY a "{"B" * 100_000}">]>\n')


def build_cases(folder: Path, server_url: str) -> dict[str, tuple[Any, str]]:
    """name -> (a callable giving the file content, expectation "refuse" or "read"); None instead of
    the callable: a sparse file written by :func:`write_cases`."""
    secret_file = folder / "secret.txt"
    secret_url = secret_file.as_uri()
    rng = random.Random(20240615)
    xxe_file = _xml("&x;", doctype=f'<!DOCTYPE p [<!ENTITY x SYSTEM "{secret_url}">]>\n')
    xxe_http = _xml("&x;", doctype=f'<!DOCTYPE p [<!ENTITY x SYSTEM "{server_url}/xxe-entity">]>\n')
    dtd_http = _xml("t", doctype=f'<!DOCTYPE p SYSTEM "{server_url}/evil.dtd">\n')
    dtd_file = _xml("t", doctype='<!DOCTYPE p SYSTEM "secret.txt">\n')
    parameter = _xml("t", doctype=f'<!DOCTYPE p [<!ENTITY % x SYSTEM "{secret_url}"> %x;]>\n')
    xinclude = (f'<Product_Observational {NS} xmlns:xi="http://www.w3.org/2001/XInclude">'
                '<Identification_Area><logical_identifier>urn:nasa:pds:hostile:data:xi</logical_identifier>'
                f'<version_id>1.0</version_id><title><xi:include href="{secret_url}" parse="text"/></title>'
                '</Identification_Area></Product_Observational>')
    many = (f"<Product_Observational {NS}><Identification_Area><logical_identifier>urn:a:b"
            "</logical_identifier></Identification_Area><Observation_Area>").encode()
    return {
        # --- XML: bombs, external entities, DTDs, depth, size, encodings
        "xml-billion-laughs": (lambda: _laughs().encode(), "refuse"),
        "xml-billion-laughs-utf16": (lambda: _utf16(_laughs()), "refuse"),
        "xml-quadratic-blowup": (lambda: _quadratic().encode(), "refuse"),
        "xml-xxe-local-file": (lambda: xxe_file.encode(), "refuse"),
        "xml-xxe-local-file-utf16": (lambda: _utf16(xxe_file), "refuse"),
        "xml-xxe-loopback-url": (lambda: xxe_http.encode(), "refuse"),
        "xml-xxe-loopback-url-utf16": (lambda: _utf16(xxe_http), "refuse"),
        "xml-dtd-loopback-url": (lambda: dtd_http.encode(), "refuse"),
        "xml-dtd-loopback-url-utf16": (lambda: _utf16(dtd_http), "refuse"),
        "xml-dtd-relative-file-utf16": (lambda: _utf16(dtd_file), "refuse"),
        "xml-parameter-entity-utf16": (lambda: _utf16(parameter), "refuse"),
        "xml-xinclude-not-processed": (lambda: xinclude.encode(), "read"),
        "xml-deep-nesting": (lambda: _xml("<a>" * 100_000 + "</a>" * 100_000).encode(), "refuse"),
        "xml-15MiB-of-elements": (lambda: many + b"<a/>" * (15 * MiB // 4) + b"</Observation_Area>"
                                  b"</Product_Observational>", "refuse"),
        "xml-15MiB-of-attributes": (lambda: many[:-len(b"<Observation_Area>")] + b"<Observation_Area "
                                    + b" ".join(b'a%d="1"' % i for i in range(1_200_000))
                                    + b"/></Product_Observational>", "refuse"),
        "xml-20MB": (lambda: _xml("x" * (20 * MiB)).encode(), "refuse"),
        "xml-utf16-with-bom": (lambda: _xml("t").encode("utf-16"), "refuse"),
        "xml-latin1-bytes-in-utf8": (lambda: _xml("caf\xe9 \xb0").encode("latin-1"), "refuse"),
        "xml-truncated": (lambda: _xml("t").encode()[:150], "refuse"),
        # --- PDS3: size, unterminated tokens, structure, depth, density
        "pds3-20MB-string": (lambda: _pds3(b'X = "' + b"a" * (20 * MiB) + b'"'), "refuse"),
        "pds3-unterminated-string": (lambda: PDS3_HEAD + b'X = "' + b"a" * (20 * MiB), "refuse"),
        "pds3-unterminated-comment": (lambda: PDS3_HEAD + b"/* " + b"c" * (20 * MiB), "refuse"),
        "pds3-unclosed-objects": (lambda: _pds3(b"OBJECT = IMAGE\r\n" * 50), "refuse"),
        "pds3-deep-sequences": (lambda: _pds3(b"X = " + b"(" * 100_000 + b"1" + b")" * 100_000), "refuse"),
        "pds3-deep-objects": (lambda: _pds3(b"OBJECT = A\r\n" * 100_000 + b"END_OBJECT = A\r\n" * 100_000),
                              "refuse"),
        "pds3-10MB-unit-string": (lambda: _pds3(b"X = 1 <" + b"M" * 10_000_000 + b">"), "refuse"),
        "pds3-10MB-unit-after-a-line-break": (lambda: _pds3(b"X = 1\r\n<" + b"M" * 10_000_000 + b">"), "refuse"),
        "pds3-10MB-unit-in-a-sequence": (lambda: _pds3(b"X = (1 <" + b"M" * 10_000_000 + b">, 2)"), "refuse"),
        "pds3-15MiB-of-statements-with-units": (lambda: _pds3(b"A = 1 <m>\r\n" * (15 * MiB // 11)), "refuse"),
        "pds3-15MiB-sequence": (lambda: _pds3(b"X = (" + b"1," * (15 * MiB // 2) + b"1)"), "refuse"),
        "pds3-15MiB-nested-sequences": (lambda: _pds3(b"X = (" + b"(1,2)," * (15 * MiB // 6) + b"1)"),
                                        "refuse"),
        "pds3-15MiB-of-objects": (lambda: _pds3(b"OBJECT = A\r\nEND_OBJECT = A\r\n" * (15 * MiB // 28)),
                                  "refuse"),
        # the costliest labels the budgets still accept
        "pds3-49990-statements-with-units": (lambda: _pds3(b"A = 1 <m>\r\n" * 49_990), "read"),
        "pds3-24990-objects": (lambda: _pds3(b"OBJECT = A\r\nEND_OBJECT = A\r\n" * 24_990), "read"),
        "xml-199990-elements": (lambda: many + b"<a>1</a>" * 199_990 + b"</Observation_Area>"
                                b"</Product_Observational>", "read"),
        "pds3-no-end-then-200MB-zeros": (None, "refuse"),
        "pds3-attached-label-then-200MB-zeros": (None, "read"),
        # --- garbage
        "binary-garbage": (lambda: rng.randbytes(1 << 20), "refuse"),
        "binary-zeros": (lambda: bytes(1 << 20), "refuse"),
        "empty": (lambda: b"", "refuse"),
        "blank": (lambda: b" \r\n\t\r\n" * 1000, "refuse"),
    }


ATTACHED = (b"PDS_VERSION_ID = PDS3\r\nRECORD_TYPE = UNDEFINED\r\n"
            b"DATA_SET_ID = \"SLN-L-TC-3-S-LEVEL2B0-V1.0\"\r\nPRODUCT_ID = \"ZEROS\"\r\n"
            b"MISSION_NAME = SELENE\r\nINSTRUMENT_ID = TC1\r\nTARGET_NAME = MOON\r\n"
            b"START_TIME = 2008-01-01T00:00:00\r\n^IMAGE = 1024 <BYTES>\r\n")
BIG = 200 * 1000 * 1000


def write_cases(folder: Path, server_url: str) -> dict[str, tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secret.txt").write_text(SECRET + "\n")
    (folder / "evil.dtd").write_text(f'<!ENTITY leak "{SECRET}">\n')
    out = {}
    for name, (content, expect) in build_cases(folder, server_url).items():
        suffix = ".xml" if name.startswith("xml") else ".img" if "200MB" in name else ".lbl"
        path = folder / f"{name}{suffix}"
        if content is None:   # sparse: 200 MB of zeros after the label text, no disk used
            head = ATTACHED + (b"END\r\n" if "attached" in name else b"")
            with open(path, "wb") as stream:
                stream.write(head.ljust(1024, b" ") if "attached" in name else head)
                stream.truncate(BIG)
        else:
            path.write_bytes(content())
        out[name] = (path, expect)
    return out


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """Every case measured twice (read_label + normalize, and inspect's entry point) in a child."""
    folder = tmp_path_factory.mktemp("hostile")
    server_root = tmp_path_factory.mktemp("dtd-server")
    (server_root / "evil.dtd").write_text(f'<!ENTITY leak "{SECRET}">\n')
    (server_root / "xxe-entity").write_text(SECRET)
    with ArchiveServer(server_root) as server:
        cases = write_cases(folder, server.url)
        secret = folder / "secret.txt"
        os.utime(secret, (0, secret.stat().st_mtime))   # so any read of it moves its atime (relatime)
        jobs = [{"id": f"{name}|{call}", "call": call, "path": str(path)}
                for name, (path, _) in cases.items() for call in ("read_label", "inspect")]
        run = subprocess.run([PYTHON, "-m", "tests.reliability.measure", "--timeout", "60"],
                             input=json.dumps(jobs), capture_output=True, text=True, cwd=folder, check=False,
                             env=child_env(), timeout=1200)
        requests_received = server.requests
    assert run.returncode == 0, run.stderr[-3000:]
    results = {}
    for line in run.stdout.splitlines():
        result = json.loads(line)
        results[result["id"]] = result
    return {"cases": cases, "results": results, "server_requests": requests_received, "folder": folder,
            "secret_atime": secret.stat().st_atime}


CASE_NAMES = list(build_cases(Path("/nonexistent"), "http://127.0.0.1:9"))


def _describe(result: dict) -> str:
    keep = {k: v for k, v in result.items() if k not in ("stdout", "stderr", "record", "traceback")}
    return json.dumps(keep)[:1500] + ("\n" + result["traceback"] if "traceback" in result else "")


@pytest.mark.parametrize("name", CASE_NAMES)
def test_read_label_refuses_or_reads_within_bounds(measured, name):
    path, expect = measured["cases"][name]
    result = measured["results"][f"{name}|read_label"]
    assert result["outcome"] in ("refused", "read"), _describe(result)
    if expect == "refuse":
        assert result["outcome"] == "refused", _describe(result)
        assert result["is_archive_fed_error"]
        assert str(path) in result["message"] or path.name in result["message"], _describe(result)
    else:
        assert result["outcome"] == "read", _describe(result)
    assert result["cpu_seconds"] < TIME_LIMIT, _describe(result)
    assert result["seconds"] < TIME_LIMIT * WALL_FACTOR, _describe(result)
    if result["rss_growth"] is None:
        pytest.skip("peak RSS is not measurable here (no /proc/self/clear_refs)")
    assert result["rss_growth"] < MEMORY_LIMIT, _describe(result)
    assert SECRET not in json.dumps(result)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_inspect_entry_point_within_bounds_and_silent_about_the_outside(measured, name):
    path, expect = measured["cases"][name]
    result = measured["results"][f"{name}|inspect"]
    assert result["outcome"] == "exit", _describe(result)
    if expect == "refuse":
        assert result["code"] == 2
        lines = result["stderr"].splitlines()
        assert len(lines) == 1, result["stderr"][:500]
        assert lines[0].startswith((f"{path}:", f"{path.name}:")), lines[0][:500]
    assert "Traceback" not in result["stderr"]
    assert SECRET not in result["stdout"] + result["stderr"]
    assert result["cpu_seconds"] < TIME_LIMIT, _describe(result)
    assert result["seconds"] < TIME_LIMIT * WALL_FACTOR, _describe(result)
    if result["rss_growth"] is not None:
        assert result["rss_growth"] < MEMORY_LIMIT, _describe(result)


def test_attached_label_reads_only_the_label(measured):
    result = measured["results"]["pds3-attached-label-then-200MB-zeros|read_label"]
    assert result["outcome"] == "read" and result["format"] == "PDS3"
    assert 0 < result["label_bytes"] < 2048
    record = json.loads(result["record"])
    assert record["uid"] == "SLN-L-TC-3-S-LEVEL2B0-V1.0/ZEROS"


def test_nothing_outside_the_label_was_fetched(measured):
    assert measured["server_requests"] == []


def _atime_works(folder: Path) -> bool:
    probe = folder / "atime-probe"
    probe.write_text("x")
    os.utime(probe, (0, probe.stat().st_mtime))
    probe.read_text()
    return probe.stat().st_atime > 0


def test_no_file_outside_the_label_was_opened(measured):
    if not _atime_works(measured["folder"]):
        pytest.skip("this filesystem does not update access times (noatime)")
    assert measured["secret_atime"] == 0, "a reader opened secret.txt, which only hostile labels name"


def test_xinclude_is_never_processed(measured):
    result = measured["results"]["xml-xinclude-not-processed|read_label"]
    assert SECRET not in json.dumps(result)


def _console(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "archive_fed.cli", "inspect", *args], capture_output=True,
                          check=False, text=True, cwd=ROOT, env=child_env(), timeout=600)


def test_console_inspect_one_clean_line_per_refused_file(measured):
    refused = [str(path) for path, expect in measured["cases"].values() if expect == "refuse"]
    run = _console(*refused)
    assert run.returncode == 2, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == len(refused)
    for path, line in zip(refused, lines):
        assert line.startswith((f"{path}:", f"{os.path.basename(path)}:")), line[:300]
    assert SECRET not in run.stdout + run.stderr


def test_console_inspect_debug_shows_the_traceback(measured):
    path, _ = measured["cases"]["xml-xxe-local-file-utf16"]
    run = _console("--debug", str(path))
    assert run.returncode != 0
    assert "Traceback (most recent call last)" in run.stderr and "LabelError" in run.stderr
    assert SECRET not in run.stdout + run.stderr
    plain = _console(str(path))
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
