"""One federated catalog from five archives on loopback — Kaguya (jaxa-darts, a PDS3 volume), Chang'e-4
(cnsa-clpds, ``.2BL`` labels), LRO and KPLO (nasa-pds, the Registry Search API) and SMART-1 (esa-psa,
EPN-TAP) — answered by one search with a bounding box and a time range."""
from __future__ import annotations

import datetime as dt

import pytest

import archive_fed as af
from archive_fed.testing.replica import change_name, make_pds3_volume, make_pds4_bundle, product_id
from archive_fed.testing.servers import ArchiveServer
from archive_fed.testing.servers import fast_transport
from archive_fed.testing.api_services import PDSRegistry, registry_products
from archive_fed.testing.tap_services import EPNTAPService, smart1_granules

pytestmark = pytest.mark.usefixtures("corpus")
UTC = dt.timezone.utc
INSIDE, OUTSIDE = (175.0, -20.0, 176.0, -19.0), (10.0, -20.0, 11.0, -19.0)   # (west, south, east, north)


def test_one_search_across_five_archives(tmp_path):
    make_pds3_volume(tmp_path / "darts" / "sln-l-tc-3-s-level2b0-v1.0", 30)   # Kaguya TC, 2008
    make_pds4_bundle(tmp_path / "clpds", 5)                                    # Chang'e-4 LPR at 177.5E 45.4S, 2019
    lro = registry_products(7, start=dt.datetime(2009, 7, 19, tzinfo=UTC), step=dt.timedelta(days=900),
                            bbox=lambda i: OUTSIDE if i % 2 else INSIDE)       # i=6 starts in 2024
    kplo = registry_products(2, mission="kplo", start=dt.datetime(2023, 6, 14, tzinfo=UTC),
                             step=dt.timedelta(days=300), bbox=lambda i: (180.0, -40.0, 181.0, -39.0),
                             harvested=dt.datetime(2024, 1, 5, tzinfo=UTC))   # i=1 starts in 2024
    smart1 = smart1_granules(6, bbox=lambda i: INSIDE if i in (1, 3) else ((355.0, -1.0, 5.0, 1.0) if i == 4
                                                                           else OUTSIDE))
    registry, tap = PDSRegistry(lro + kplo), EPNTAPService(smart1)
    catalog = str(tmp_path / "lunar.zarr")
    with ArchiveServer(tmp_path, routes={**registry.routes(), **tap.routes()}) as server:
        runs = [
            ("jaxa-darts", server.url + "/darts/", {"data_set": "SLN-L-TC-3-S-LEVEL2B0-V1.0"}),
            ("cnsa-clpds", server.url + "/clpds/", {}),
            ("nasa-pds", server.url + "/api/search/1/", {"limit": 4}),
            ("esa-psa", server.url + "/tap", {"maxrec": 4}),
        ]
        for name, url, options in runs:
            report = af.harvest(name, url=url, catalog=catalog, transport=fast_transport(), progress=False,
                                **options)
            assert report.failed == 0, (name, [f.line() for f in report.failures])

    cat = af.Catalog.open(catalog)
    assert len(cat) == 30 + 5 + 7 + 2 + 6
    assert {r.archive for r in cat.records()} == {"jaxa-darts", "cnsa-clpds", "nasa-pds", "esa-psa"}
    hits = cat.search(bbox=(170, -50, 190, 10), start="2005-01-01", stop="2023-12-31")
    expected = (
        [f"SLN-L-TC-3-S-LEVEL2B0-V1.0/{product_id(i)}" for i in (24, 25, 26)]
        + [f"{change_name(i)}::1.0" for i in range(5)]
        + [lro[i]["id"] for i in (0, 2, 4)]
        + [kplo[0]["id"]]
        + [f"S1-L-X-AMIE-2-EDR-V1.0/{smart1[i]['obs_id']}" for i in (1, 3)]   # PSA's granule ids, PDS3 uids
    )
    assert sorted(r.uid for r in hits.records()) == sorted(expected)
    missions = {r.uid: (r.mission, r.agency) for r in hits.records()}
    assert set(missions.values()) == {("kaguya", "JAXA"), ("change-4", "CNSA"), ("lro", "NASA"),
                                      ("kplo", "KARI"), ("smart-1", "ESA")}
