"""``archive-fed demo``: harvest the embedded sample archive over a real loopback HTTP server.

The sample (a Kaguya/LRO PDS3 volume and a Chang'e-4/LRO/KPLO PDS4 bundle, see ``archive_fed/sample``) is
served by a threaded ``http.server`` on 127.0.0.1, so discovery, listings, conditional requests and the
whole transport run for real, into ``catalogs/demo.zarr`` under the current folder.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path
from typing import Iterator

from .harvest import harvest
from .harvest.report import HarvestReport


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


#: The demo archive's port when free, so reruns see the same URL and harvest incrementally.
DEMO_PORT = 47315


@contextlib.contextmanager
def serve_directory(root: Path, port: int = 0) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 for the duration of the block; yields the base URL. ``port`` is tried
    first; when it is taken, any free port is used."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="archive_fed-demo-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_demo(catalog: str = "catalogs/demo.zarr", *, workers: int = 4, progress: bool | None = None
             ) -> list[HarvestReport]:
    """Harvest the sample PDS3 volume and PDS4 bundle into ``catalog``; returns both reports."""
    from .sample import PDS3_VOLUME, PDS4_BUNDLE, SAMPLE_ROOT

    reports = []
    with serve_directory(SAMPLE_ROOT, DEMO_PORT) as base:
        for name, folder in (("pds3-volume", PDS3_VOLUME), ("pds4-bundle", PDS4_BUNDLE)):
            url = f"{base}{folder.relative_to(SAMPLE_ROOT).as_posix()}/"
            reports.append(harvest(name, url=url, catalog=catalog, workers=workers, progress=progress,
                                   state_key=f"archive_fed-sample:{folder.name}"))
    _point_at_local_copy(catalog, base, SAMPLE_ROOT)
    return reports


def _point_at_local_copy(catalog: str, base: str, root: Path) -> None:
    """The loopback server is gone once the demo ends: point the records' label and data URLs at the same
    files in the installed package, so ``open_product`` works on the demo catalog."""
    from .catalog import Catalog

    def local(url: str | None) -> str | None:
        if url and url.startswith(base):
            return str(root.joinpath(*url[len(base):].split("/")))
        return url

    current = Catalog.open(catalog)
    records = [r.replace(label_url=local(r.label_url), data_urls=[local(u) for u in r.data_urls])
               for r in current.records()]
    if all(r.label_url == c.label_url for r, c in zip(records, current.records())):
        return
    rewritten = Catalog.from_records(records)
    for key, value in current.state.items():
        rewritten.set_state(key, value)
    rewritten.save(catalog)
