"""Federated search (``af.search``) under faults and hostile answers, against the four loopback query
services (ODE, PDS Registry API, EPN-TAP, PDAP) and a local catalog: the call always returns, with every
healthy source's hits and each faulty source's status set — never a raw exception, never a status message
naming anything but an :class:`~archive_fed.errors.ArchiveFedError`.
"""
from __future__ import annotations

import json
import subprocess
import time

import pytest

import archive_fed as af
from archive_fed import errors
from archive_fed.sources.records import RecordSource
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.federated import build
from tests.federated.test_search import _private_cache  # noqa: F401  (autouse: a cache of each test's own)

from .limits import PYTHON, ROOT, child_env

pytestmark = [pytest.mark.usefixtures("corpus"), pytest.mark.timeout(300)]

SERVICES = {"ode": "/live2/", "pds-api": "/api/search/1/products", "epn-tap": "/tap/sync",
            "pdap": "/pdap/metadata"}
#: the status message of a failed source begins with the name of the error's type: always one of ours
MiB = 1024 * 1024
TYPED = tuple(f"{name}: " for name, value in vars(errors).items()
              if isinstance(value, type) and issubclass(value, errors.ArchiveFedError))


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    """The services on one server (faults and routes are changed per test) and the fault-free answer."""
    fed = build(tmp_path_factory.mktemp("federation"))
    try:
        reference = af.search(sources=fed.sources(), refresh=True, timeout=60)
        assert [s.state for s in reference.status] == ["ok"] * 5
        yield fed, reference
    finally:
        fed.server.close(timeout=0.5)


@pytest.fixture
def fed(federation):
    served, reference = federation
    routes = dict(served.server.routes)
    yield served, reference
    served.server.faults = None
    served.server.routes.clear()
    served.server.routes.update(routes)


def uids(catalog) -> set[str]:
    return {r.uid for r in catalog.records()}


def without(reference, source: str) -> set[str]:
    """The reference hits some source other than ``source`` returned."""
    table = reference.sources_table()
    others = [c for c in table.columns if c not in ("uid", source)]
    return set(table.loc[table[others].any(axis=1), "uid"])


def status(hits) -> dict[str, af.federated.SourceStatus]:
    return {s.source: s for s in hits.status}


# ------------------------------------------------------------------------------------------ storms

@pytest.mark.parametrize("seed", [1, 2])
def test_fault_storm_on_every_service_gives_the_fault_free_answer(fed, seed):
    served, reference = fed
    plan = FaultPlan(seed=seed)
    for p, kind, opts in [(0.08, "reset", {}), (0.06, "truncate", {}), (0.05, "reset_after_headers", {}),
                          (0.06, "503", {}), (0.04, "502", {}), (0.04, "500", {}),
                          (0.04, "429", {"retry_after": 1}), (0.03, "stall", {"seconds": 1.5}),
                          (0.03, "stall_body", {"seconds": 1.5})]:
        plan.randomly(p, kind, **opts)
    served.server.faults = plan
    served.server.reset_stats()
    began = time.perf_counter()
    hits = af.search(sources=served.sources(timeout=(2, 1.0), retries=8, backoff=0.02, backoff_max=1.0),
                     refresh=True, timeout=120)
    took = time.perf_counter() - began
    faults = served.server.faults_injected
    print(f"seed {seed}: {faults} faults in {len(served.server.requests)} requests, {took:.1f} s")
    assert faults >= 10
    assert [s.state for s in hits.status] == ["ok"] * 5, [s.line() for s in hits.status]
    assert uids(hits) == uids(reference) and len(hits) == len(reference)
    assert [s.hits for s in hits.status] == [s.hits for s in reference.status]


@pytest.mark.parametrize("service, fault, opts, words", [
    ("ode", "reset", {}, "connection reset"),
    ("pds-api", "truncate", {}, "body truncated"),
    ("epn-tap", "reset_after_headers", {}, "body read failed"),
    ("pdap", "503", {}, "HTTP 503"),
    ("ode", "502", {}, "HTTP 502"),
    ("pds-api", "429", {"retry_after": 1}, "HTTP 429"),
    ("epn-tap", "stall_body", {"seconds": 3}, "read timed out"),
    ("pdap", "stall", {"seconds": 3}, "read timed out"),
])
def test_one_service_failing_for_good_is_its_error_status_and_the_rest_answers(fed, service, fault, opts, words):
    served, reference = fed
    served.server.faults = FaultPlan().on(SERVICES[service], fault, times=None, **opts)
    began = time.perf_counter()
    hits = af.search(sources=served.sources(timeout=(2, 1.0), retries=2, backoff=0.02, backoff_max=1.0),
                     refresh=True, timeout=30)
    took = time.perf_counter() - began
    states = status(hits)
    bad = states.pop(service)
    assert bad.state == "error" and bad.hits == 0, bad.line()
    assert bad.message.startswith("FetchError: ") and words in bad.message and "after 3 attempts" in bad.message, bad
    assert {s.state for s in states.values()} == {"ok"}
    assert uids(hits) == without(reference, service)
    if fault == "429":      # Retry-After is honoured between the three attempts
        assert bad.seconds >= 2.0, bad
    assert took < 25, took


def test_retry_after_is_waited_for_and_then_the_answer_used(fed):
    served, reference = fed
    served.server.faults = FaultPlan().on(SERVICES["ode"], "429", retry_after=1, times=1)
    hits = af.search(sources=served.sources(timeout=(2, 1.0), retries=2, backoff=0.02, backoff_max=2.0)[:1],
                     refresh=True, timeout=30)
    ode = hits.status[0]
    assert ode.state == "ok" and ode.seconds >= 1.0, ode
    assert uids(hits) == set(reference.sources_table().query("ode")["uid"])


def test_stalled_service_past_the_deadline_is_a_timeout_and_the_call_returns(fed):
    served, reference = fed
    served.server.faults = FaultPlan().on(SERVICES["pds-api"], "stall", seconds=20, times=None)
    began = time.perf_counter()
    hits = af.search(sources=served.sources(timeout=(2, 15.0), retries=1), refresh=True, timeout=4)
    took = time.perf_counter() - began
    states = status(hits)
    assert states.pop("pds-api").state == "timeout" and {s.state for s in states.values()} == {"ok"}
    assert uids(hits) == without(reference, "pds-api")
    assert took < 5, took


# ------------------------------------------------------------------------------------- hostile answers

VOTABLE_HEAD = (b'<?xml version="1.0"?><VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
                b'<RESOURCE type="results"><TABLE>')
MALFORMED = {
    "json": [b"", b"not json {", b'{"summary": {"hits": 3}, "data": [', b"[]", b"null", b'"text"', b"5",
             b'{"data": 5}', b'{"data": [1, "x", null]}', b'{"summary": {"hits": 1}, "data": [{}]}',
             b'{"ODEResults": 5}',
             b'{"ODEResults": {"Status": "ERROR", "Error": "bad query"}}', b"<html><body>Service down</body></html>",
             b"\xff\xfe\x00garbage", b'{"a": ' * 50_000 + b"1" + b"}" * 50_000],
    "votable": [b"", b"<VOTABLE", b"<html><body>Service down</body></html>", b"{}", b"\x00\x01\x02",
                VOTABLE_HEAD + b'<FIELD name="x" datatype="int"/><DATA><TABLEDATA><TR><TD>notanint</TD></TR>'
                b"</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>",
                VOTABLE_HEAD + b'<FIELD name="x" datatype="int"/><DATA><TABLEDATA><TR><TD>1',
                b'<?xml version="1.0"?><VOTABLE version="1.3"><RESOURCE type="results"><INFO name="QUERY_STATUS" '
                b'value="ERROR">table not found</INFO></RESOURCE></VOTABLE>',
                b'<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]><VOTABLE>&x;</VOTABLE>',
                b"<a>" * 100_000],
}
KIND = {"ode": "json", "pds-api": "json", "epn-tap": "votable", "pdap": "votable"}


@pytest.mark.parametrize("service", list(SERVICES))
def test_malformed_answers_are_that_sources_typed_error(fed, service):
    served, reference = fed
    expected = without(reference, service)
    seen = []
    headers = {"Content-Type": "application/json" if KIND[service] == "json" else "application/x-votable+xml"}
    for number, body in enumerate(MALFORMED[KIND[service]]):
        served.server.routes[SERVICES[service]] = lambda request, body=body: (200, headers, body)
        hits = af.search(sources=served.sources(retries=1), refresh=True, timeout=30)
        states = status(hits)
        bad = states.pop(service)
        seen.append(bad.message[:90])
        assert bad.state in ("error", "partial"), (number, bad.line())
        if bad.state == "error":
            assert bad.message.startswith(TYPED), (number, bad.line())
        assert "passwd" not in bad.message and "root:" not in bad.message
        assert {s.state for s in states.values()} == {"ok"}, (number, [s.line() for s in hits.status])
        assert expected <= uids(hits) <= expected | uids(reference), number
    print(service, *seen, sep="\n  ")


@pytest.mark.parametrize("service", ["pds-api", "epn-tap"])
def test_2GB_answer_is_refused_at_the_answer_cap_with_memory_bounded(tmp_path, service):
    """One service answers 2 GB, chunked (no Content-Length to refuse it by); measured in a process of its
    own (tests/reliability/federated_memory.py) so the peak RSS is this search's alone."""
    done = subprocess.run([PYTHON, "-m", "tests.reliability.federated_memory", str(tmp_path), service, "2"],
                          capture_output=True, text=True, timeout=240, env=child_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(service, {k: v for k, v in result.items() if k != "status"})
    states = {s["source"]: s for s in result["status"]}
    bad = states.pop(service)
    cap = RecordSource.max_answer_default
    assert bad["state"] == "error" and bad["message"].startswith("FetchError: ")
    assert bad["message"].endswith(f"answer exceeds the limit of {cap} bytes"), bad["message"]
    assert {s["state"] for s in states.values()} == {"ok"}
    assert result["hits"] == sum(s["hits"] for s in states.values())
    assert result["sent"] < cap + 32 * MiB          # the cap, plus what sat in socket buffers: not 2 GB
    assert result["peak_growth"] < cap + 48 * MiB, result["peak_growth"] / MiB
