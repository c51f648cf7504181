"""Download throughput: ``Catalog.download`` (ranged, verified, atomic, registered) against a plain parallel
``requests`` loop (stream to file, no checks) in the same run, on loopback, the server in its own process.

    python benchmarks/download.py [--files 32] [--mb 16] [--workers 8] [--repeat 5]

Two baselines: the plain loop as it is (the bar for ``verify=False``, which checks sizes only), and the
same loop hashing each block with ``hashlib.md5`` as it goes (the bar for ``verify=True``, which checks the
labels' MD5: on a machine where MD5 runs near the loopback copy speed the hash is most of the cost, for any
client). Clients run interleaved, best of ``--repeat``, so a noisy neighbour slows them all alike.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from archive_fed.catalog import Catalog  # noqa: E402
from archive_fed.record import ProductRecord  # noqa: E402
from archive_fed.retrieval import LocalCopies  # noqa: E402
from archive_fed.transport import Transport  # noqa: E402

# A small range-capable static file server (http.server has no Range support), sendfile for the body.
SERVER = r'''
import os, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
root = sys.argv[1]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_HEAD(self): self.serve(False)
    def do_GET(self): self.serve(True)
    def serve(self, body):
        path = os.path.join(root, self.path.lstrip("/"))
        size = os.path.getsize(path)
        first, last, status = 0, size - 1, 200
        m = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if m:
            first, status = int(m.group(1)), 206
            last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        self.send_response(status)
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("ETag", '"%d"' % size)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, size))
        self.end_headers()
        if body:
            with open(path, "rb") as f:
                os.sendfile(self.wfile.fileno(), f.fileno(), first, last - first + 1)
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
print("http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
'''


def plain(urls: list[str], dest: Path, workers: int, md5: bool = False) -> float:
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=workers))

    def get(url: str) -> None:
        digest = hashlib.md5()
        with session.get(url, stream=True, timeout=30) as answer, \
                open(dest / url.rsplit("/", 1)[-1], "wb") as out:
            for block in answer.iter_content(1024 * 1024):
                out.write(block)
                if md5:
                    digest.update(block)

    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(get, urls))
    return time.perf_counter() - began


def ours(catalog: Catalog, dest: Path, workers: int, verify: bool, registry: Path) -> float:
    began = time.perf_counter()
    report = catalog.download(str(dest), include=("data",), workers=workers, verify=verify, progress=False,
                              transport=Transport(max_per_host=workers),
                              registries=[LocalCopies(str(registry))])
    seconds = time.perf_counter() - began
    assert report.exit_code == 0 and report.downloaded == len(catalog), report.summary()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=32)
    parser.add_argument("--mb", type=int, default=16)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archive_fed-download-"))
    try:
        served = work / "srv" / "DATA"
        served.mkdir(parents=True)
        records = []
        for i in range(args.files):
            data = os.urandom(args.mb * 1024 * 1024)
            (served / f"F{i:03d}.IMG").write_bytes(data)
            records.append(dict(uid=f"DS/F{i:03d}", md5=hashlib.md5(data).hexdigest(), file_size=len(data),
                                name=f"F{i:03d}.IMG"))
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(work / "srv")], stdout=subprocess.PIPE,
                                  text=True)
        base = server.stdout.readline().strip()
        try:
            catalog = Catalog.from_records([
                ProductRecord(uid=r["uid"], label_url=f"{base}/DATA/{r['name']}.LBL", data_urls=[r["name"]],
                              md5=r["md5"], file_size=r["file_size"]) for r in records])
            catalog.set_state("bench", {"url": f"{base}/"})
            urls = [f"{base}/DATA/{r['name']}" for r in records]
            total = args.files * args.mb * 1024 * 1024
            rows = []
            for attempt in range(args.repeat):
                for name, run in (("plain requests (no checks)", lambda d: plain(urls, d, args.workers)),
                                  ("plain requests + md5", lambda d: plain(urls, d, args.workers, True)),
                                  ("archive_fed, verify=True", lambda d: ours(catalog, d, args.workers, True,
                                                                               work / "r.sqlite")),
                                  ("archive_fed, verify=False", lambda d: ours(catalog, d, args.workers, False,
                                                                                work / "r.sqlite"))):
                    dest = work / f"out-{attempt}-{len(rows)}"
                    dest.mkdir()
                    rows.append((name, run(dest)))
                    shutil.rmtree(dest)
            best = {}
            for name, seconds in rows:
                best[name] = min(seconds, best.get(name, float("inf")))
            baseline, hashed = best["plain requests (no checks)"], best["plain requests + md5"]
            print(f"{args.files} files x {args.mb} MB = {total / 1e6:,.0f} MB, {args.workers} workers, "
                  f"best of {args.repeat}")
            print(f"{'client':<30} {'seconds':>8} {'MB/s':>8} {'vs plain':>9} {'vs plain+md5':>13}")
            for name, seconds in best.items():
                print(f"{name:<30} {seconds:8.2f} {total / seconds / 1e6:8.0f} {baseline / seconds:8.0%} "
                      f"{hashed / seconds:12.0%}")
        finally:
            server.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
