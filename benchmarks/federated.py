"""Federated search latency: loopback ODE, PDS API, EPN-TAP and PDAP services with 200 ms injected latency
per request, ~5 pages each. Prints each single source alone (the baselines), the fan-out over all four
(overhead over the slowest single source; target < 10 %) and a cached re-run (target < 50 ms).

    python benchmarks/federated.py        (needs the corpus: ARCHIVE_FED_CORPUS)
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import archive_fed as af  # noqa: E402
from archive_fed.testing.federated import build  # noqa: E402
from archive_fed.testing.servers import fast_transport  # noqa: E402


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    os.environ["ARCHIVE_FED_CACHE"] = str(tmp / "cache")
    fed = build(tmp, latency=0.2)
    url = fed.server.url
    try:
        def sources():
            return [af.sources.create("ode", url + "/live2/", transport=fast_transport(), limit=8),
                    af.sources.create("pds-api", url + "/api/search/1/", transport=fast_transport(), limit=8,
                                      target="Moon"),
                    af.sources.create("epn-tap", url + "/tap", transport=fast_transport(), maxrec=7),
                    af.sources.create("pdap", url + "/pdap", transport=fast_transport(), page_size=5)]
        rows = []
        for source in sources():
            began = time.perf_counter()
            hits = af.search(sources=[source], refresh=True, timeout=60)
            rows.append((source.name, time.perf_counter() - began, len(hits)))
        began = time.perf_counter()
        hits = af.search(sources=sources(), refresh=True, timeout=60)
        fan = time.perf_counter() - began
        began = time.perf_counter()
        again = af.search(sources=sources(), timeout=60)
        cached = time.perf_counter() - began
    finally:
        fed.server.close()
    slowest = max(r[1] for r in rows)
    print(f"{'run':<24}{'seconds':>10}{'hits':>8}")
    for name, seconds, n in rows:
        print(f"{'single ' + name:<24}{seconds:>10.3f}{n:>8}")
    print(f"{'fan-out (4 sources)':<24}{fan:>10.3f}{len(hits):>8}")
    print(f"{'cached re-run':<24}{cached:>10.3f}{len(again):>8}")
    print(f"fan-out overhead over the slowest single source: {100 * (fan - slowest) / slowest:+.1f} % (target < 10 %)")
    print(f"cached re-run: {1000 * cached:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
