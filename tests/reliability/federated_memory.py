"""What a federated search costs when one service answers an endless body: ``python -m
tests.reliability.federated_memory TMPDIR SERVICE GIGABYTES``.

Builds the loopback federation (:mod:`archive_fed.testing.federated`) with ``SERVICE``'s route replaced
by an answer of ``GIGABYTES`` GB, sent chunked (no ``Content-Length``: only a size cap on what is read
can stop it), in the same process; warms everything up with one ordinary search; resets the peak RSS
(``/proc/self/clear_refs``) and runs the search. Prints one JSON object: each source's state, hits and
message, the bytes the server sent, the seconds taken and the peak-RSS growth.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from tests.reliability.measure import _reset_peak, _status

MiB = 1024 * 1024
ROUTES = {"ode": "/live2/", "pds-api": "/api/search/1/products", "epn-tap": "/tap/sync", "pdap": "/pdap/metadata"}
HEADS = {"json": (b'{"summary": {"hits": 1}, "data": [{"id": "', "application/json"),
         "votable": (b'<?xml version="1.0"?><VOTABLE version="1.3"><RESOURCE type="results"><TABLE>'
                     b'<FIELD name="granule_uid" datatype="char" arraysize="*"/><DATA><TABLEDATA><TR><TD>',
                     "application/x-votable+xml")}
KIND = {"ode": "json", "pds-api": "json", "epn-tap": "votable", "pdap": "votable"}


class Endless:
    """A route answering ``total`` bytes: a plausible head, then filler, chunked."""

    def __init__(self, kind: str, total: int) -> None:
        self.head, self.type = HEADS[kind]
        self.total, self.sent = total, 0

    def __call__(self, request):
        def body():
            yield self.head
            self.sent += len(self.head)
            piece = b"x" * MiB
            while self.sent < self.total:
                self.sent += len(piece)
                yield piece
        return 200, {"Content-Type": self.type}, body()


def main() -> None:
    os.environ.setdefault("ARCHIVE_FED_CACHE", os.path.join(sys.argv[1], "cache"))
    os.environ.setdefault("ARCHIVE_FED_CONFIG", os.path.join(sys.argv[1], "no-config.toml"))
    import archive_fed as af
    from archive_fed.testing.federated import build

    tmp, service, gigabytes = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    fed = build(tmp)
    try:
        af.search(sources=fed.sources(), refresh=True, timeout=60)          # warm up
        endless = Endless(KIND[service], int(gigabytes * 1e9))
        fed.server.routes[ROUTES[service]] = endless
        before = _status("VmRSS") or 0
        _reset_peak()
        began = time.perf_counter()
        hits = af.search(sources=fed.sources(retries=1), refresh=True, timeout=120)
        took = time.perf_counter() - began
        peak = _status("VmHWM") or 0
    finally:
        fed.server.close(timeout=0.5)
    print(json.dumps({"status": [s.to_dict() for s in hits.status], "hits": len(hits), "sent": endless.sent,
                      "seconds": round(took, 2), "peak_growth": peak - before}))


if __name__ == "__main__":
    main()
