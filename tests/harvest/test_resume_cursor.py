"""An interrupted API paging resumes from its saved cursor: pages already journaled are not asked again."""
from __future__ import annotations

from typing import Any

import pytest

import archive_fed as af
from archive_fed.catalog import Catalog
from archive_fed.errors import ArchiveFedError
from archive_fed.testing.servers import ArchiveServer
from archive_fed.testing.api_services import PDSRegistry, registry_products
from archive_fed.testing.tap_services import EPNTAPService, smart1_granules

from .test_harvest import fast_transport

PAGE = 4


def _pds_api(products: list[dict[str, Any]], **faults: Any) -> tuple[PDSRegistry, dict[str, Any], str]:
    service = PDSRegistry(products, **faults)
    return service, service.routes(), "/api/search/1/"


def _epn_tap(rows: list[dict[str, Any]], **faults: Any) -> tuple[EPNTAPService, dict[str, Any], str]:
    service = EPNTAPService(rows, **faults)
    return service, service.routes(), "/tap"


CASES = {
    "pds-api": (lambda: registry_products(22, same_harvest_time=3), _pds_api, {"limit": PAGE, "state_key": "t"}, "id"),
    "epn-tap": (lambda: smart1_granules(22), _epn_tap, {"maxrec": PAGE, "target": "Moon", "schema": "psa", "state_key": "t"}, "granule_uid"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_interrupted_paging_resumes_from_its_cursor(tmp_path, name, request):
    if name == "pds-api":
        request.getfixturevalue("corpus")   # the registry's products are real corpus labels
    make, service_of, options, uid_key = CASES[name]
    items = make()
    catalog = str(tmp_path / "cat.zarr")
    # first run: page 4 is garbage, so discovery stops there with three pages journaled
    service, routes, path = service_of(items, malformed_pages=(4,))
    with ArchiveServer(routes=routes) as server:
        with pytest.raises(ArchiveFedError):
            af.harvest(name, url=server.url + path, catalog=catalog, transport=fast_transport(),
                       batch_size=2, workers=1, progress=False, **options)
    assert service.pages_served == 4
    # second run: the service answers every page; discovery starts again at page 3 at the latest
    service, routes, path = service_of(items)
    with ArchiveServer(routes=routes) as server:
        report = af.harvest(name, url=server.url + path, catalog=catalog, transport=fast_transport(),
                            batch_size=2, workers=1, progress=False, **options)
    pages = -(-len(items) // PAGE)
    assert report.exit_code == 0
    assert service.pages_served <= pages - 2          # pages 1-2 (journaled) are not requested again
    assert report.recovered >= 2 * PAGE
    uids = sorted(Catalog.open(catalog).to_pandas()["uid"])
    assert len(uids) == len(items) == len(set(uids))
    # a completed run leaves no resume cursor: the next run pages from the start again
    service, routes, path = service_of(items)
    with ArchiveServer(routes=routes) as server:
        again = af.harvest(name, url=server.url + path, catalog=catalog, transport=fast_transport(),
                           progress=False, **options)
    assert service.pages_served == pages and again.new == 0 and again.unchanged == len(items)
