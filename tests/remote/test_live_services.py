"""Smoke tests against the LIVE archives — never run in CI (the ``remote`` marker is deselected by
``setup.cfg``'s ``addopts``; tests otherwise run with sockets limited to loopback).

Run them by hand to check that the default endpoints and the parameters the adapters send still work::

    pytest -m remote --allow-hosts=<the hosts below> tests/remote -p no:cacheprovider -o addopts=""

Each test asks for a page or two, no more. ``ARCHIVE_FED_PDAP_URL`` names a PDAP service to check (no
default endpoint is confirmed); the login portals (CNSA CLPDS, ISRO PRADAN) are only checked to answer.
"""
from __future__ import annotations

import itertools
import os

import pytest

from archive_fed import sources
from archive_fed.transport import Transport

pytestmark = pytest.mark.remote


def first(source, n: int = 2) -> list:
    refs = list(itertools.islice(source.discover(), n))
    assert refs and not source.problems, source.problems
    return refs


def test_nasa_pds_registry_answers_the_one_group_query() -> None:
    source = sources.create("nasa-pds", limit=2, start="2010-01-01", stop="2010-02-01")
    refs = first(source)
    record = refs[0].hints["record"]
    assert record.uid.startswith("urn:") and record.target == "Moon"


def test_ode_lists_lunar_product_types_and_pages_from_offset_one() -> None:
    source = sources.create("ode", limit=2)
    sets = source.product_types()
    assert any(ihid == "LRO" for ihid, _, _ in sets)
    ihid, iid, pt = next(s for s in sets if s[0] == "LRO")
    refs = first(sources.create("ode", ihid=ihid, iid=iid, pt=pt, limit=2))
    assert all("/" in r.key or r.key.startswith("urn:") for r in refs)


def test_esa_psa_tap_has_psa_epn_core_with_lunar_granules() -> None:
    refs = first(sources.create("esa-psa", maxrec=2, max_pages=1))
    record = refs[0].hints["record"]
    assert record.target == "Moon" and record.uid


def test_pdap_service_given_by_the_user() -> None:
    url = os.environ.get("ARCHIVE_FED_PDAP_URL")
    if not url:
        pytest.skip("no PDAP endpoint is confirmed: set ARCHIVE_FED_PDAP_URL to check one")
    first(sources.create("pdap", url, page_size=2))


def test_jaxa_darts_lists_the_kaguya_data_sets() -> None:
    page = Transport(retries=2).get(sources.get("jaxa-darts").default_url or "").text
    assert "sln-l-" in page.lower()


@pytest.mark.parametrize("name", ["cnsa-clpds", "isro-pradan", "kari-kpds"])
def test_portal_answers(name: str) -> None:
    # order/bulk-download portals (and KARI's unconfirmed host): reachable at all — a user harvests the
    # downloaded order, not the portal
    response = Transport(retries=1).head(sources.get(name).default_url or "")
    assert response.status < 500
