"""Measure what reading one label costs, in isolation: ``python -m tests.reliability.measure``.

Reads a JSON list of ``{"id", "call", "path"}`` on stdin; ``call`` is ``"read_label"`` (read_label then
normalize, what ``inspect`` does) or ``"inspect"`` (``archive_fed.cli.main(["inspect", path])``, the
console script's entry point, with its output captured). The process imports archive_fed and warms
every lazy import up once, then runs each case in a forked child, so one case's memory never hides
another's: the child resets its peak RSS (``/proc/self/clear_refs``), runs the case, and reports the
outcome, the seconds taken (wall clock and CPU) and the growth of its peak RSS over its RSS at the
start. A case that runs longer than ``--timeout`` seconds is killed and reported as ``"hang"``. One
JSON object per line on stdout.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import select
import signal
import sys
import time
import traceback


def _status(field: str) -> int | None:
    """A ``/proc/self/status`` field in bytes (VmRSS, VmHWM), or None off Linux."""
    try:
        with open("/proc/self/status") as stream:
            for line in stream:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as stream:
            stream.write("5")     # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def _warm_up() -> None:
    """Import and exercise every lazily loaded piece once, so cases time the reading only."""
    import tempfile

    import archive_fed as af
    from archive_fed import cli

    pds3 = (b'PDS_VERSION_ID = PDS3\nDATA_SET_ID = "D"\nPRODUCT_ID = "P"\nTARGET_NAME = MOON\n'
            b'START_TIME = 2008-01-01T00:00:00\nX = (1 <m>, 2 <km>, 3 <deg>)\nY = 4 <BYTES>\nEND\n')
    pds4 = (b'<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1"><Identification_Area>'
            b'<logical_identifier>urn:nasa:pds:a:b:c</logical_identifier><version_id>1.0</version_id>'
            b'<title>t</title></Identification_Area><Observation_Area><Time_Coordinates>'
            b'<start_date_time>2008-01-01T00:00:00Z</start_date_time></Time_Coordinates>'
            b'<Target_Identification><name>Moon</name></Target_Identification></Observation_Area>'
            b'</Product_Observational>')
    with tempfile.TemporaryDirectory() as folder:
        for name, data in (("w.lbl", pds3), ("w.xml", pds4), ("bad.lbl", b"\x00\x01garbage")):
            path = os.path.join(folder, name)
            with open(path, "wb") as stream:
                stream.write(data)
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                cli.main(["inspect", path])
                cli.main(["inspect", "--json", path])
            try:
                af.normalize(af.read_label(path)).to_dict()
            except Exception:  # noqa: BLE001, S110 - warming up only
                pass


def _run(call: str, path: str) -> dict:
    import archive_fed as af
    from archive_fed import cli
    from archive_fed.errors import ArchiveFedError

    if call == "inspect":
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["inspect", path])
        return {"outcome": "exit", "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
    try:
        label = af.read_label(path)
    except ArchiveFedError as exc:
        return {"outcome": "refused", "stage": "read", "error": type(exc).__name__, "message": str(exc),
                "is_archive_fed_error": True}
    result = {"outcome": "read", "format": label.format,
              "label_bytes": getattr(label, "label_bytes", None)}
    try:
        result["record"] = json.dumps(af.normalize(label).to_dict())
    except ArchiveFedError as exc:
        result.update(stage="normalize", error=type(exc).__name__, message=str(exc))
    return result


def _child(call: str, path: str, out_fd: int) -> None:
    exact = _reset_peak()
    start_rss = _status("VmRSS")
    clock, cpu = time.perf_counter(), time.process_time()
    try:
        result = _run(call, path)
    except BaseException as exc:  # noqa: BLE001 - what escaped is the finding
        result = {"outcome": "escaped", "error": type(exc).__name__, "message": str(exc)[:2000],
                  "traceback": traceback.format_exc()[-4000:]}
    result["seconds"] = time.perf_counter() - clock
    result["cpu_seconds"] = time.process_time() - cpu
    peak = _status("VmHWM")
    result["rss_growth"] = peak - start_rss if exact and peak is not None and start_rss else None
    os.write(out_fd, json.dumps(result).encode())
    os.close(out_fd)


def measure(case: dict, timeout: float) -> dict:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run one case, report, vanish
        os.close(read_fd)
        try:
            _child(case["call"], case["path"], write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([read_fd], [], [], max(0.0, left))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_fd)
            return {"outcome": "hang", "seconds": timeout, "rss_growth": None}
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return {"outcome": "died", "status": status, "seconds": None, "rss_growth": None}
    return json.loads(b"".join(chunks))


def main() -> int:
    timeout = float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 30.0
    cases = json.load(sys.stdin)
    _warm_up()
    for case in cases:
        result = measure(case, timeout)
        result["id"] = case["id"]
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
