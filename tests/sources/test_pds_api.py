"""``pds-api`` (and its ``nasa-pds`` preset) against a loopback PDS Registry Search API whose products are
built from the real LRO labels of the corpus and the sample archive's KPLO ShadowCam labels."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import archive_fed as af
from archive_fed import sources
from archive_fed.sources.pds_api import PDSAPISource, product_record, query_text
from archive_fed.testing.servers import ArchiveServer
from tests.sources.conformance import Served, SourceConformanceTests, catalog_uids
from archive_fed.testing.servers import fast_transport
from archive_fed.testing.api_services import LRO_LABELS, PDSRegistry, registry_products
from archive_fed.testing.corpus import CORPUS

pytestmark = pytest.mark.usefixtures("corpus")


def uids_of(products: list[dict[str, Any]]) -> list[str]:
    return [p["id"] for p in products]


class TestPDSAPI(SourceConformanceTests):
    source = "pds-api"

    @contextmanager
    def serve(self, tmp_path: Any, n: int, *, fail_pages: tuple[int, ...] = (),
              malformed_pages: tuple[int, ...] = (), **kw: Any) -> Iterator[Served]:
        products = registry_products(n, same_harvest_time=3, **kw)
        service = PDSRegistry(products, fail_pages=fail_pages, malformed_pages=malformed_pages)
        with ArchiveServer(routes=service.routes()) as server:
            yield Served(server.url + "/api/search/1/", uids_of(products), server, service,
                         {"limit": self.page_size})

    def test_properties_become_records_without_fetching_labels(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 6) as served:
            self.harvest(served, tmp_path / "cat.zarr")
            assert {path for _, path, _ in served.server.requests} == {"/api/search/1/products"}
        records = {r.uid: r for r in af.Catalog.open(str(tmp_path / "cat.zarr")).records()}
        cdr = records["urn:nasa:pds:lro-l-lroc-3-cdr:examples:nac.m102600893lc_0000::2.0"]
        assert (cdr.mission, cdr.agency, cdr.instrument, cdr.instrument_host) == (
            "lro", "NASA", "LROC", "LUNAR RECONNAISSANCE ORBITER")
        assert (cdr.target, cdr.processing_level, cdr.label_format, cdr.archive) == (
            "Moon", "Calibrated", "PDS4", "pds-api")
        assert cdr.start_time.isoformat() == "2009-07-19T00:00:00+00:00"
        assert cdr.label_url == "http://archive.invalid/lro/M102600893LC_VALID.xml"
        assert cdr.data_urls == ["http://archive.invalid/lro/No.Data"]
        lend = records["urn:nasa:pds:lro_lend:data_science_derived:lend_rdr_dld_20240615_0005::1.0"]
        assert (lend.instrument, lend.processing_level) == ("LEND", "Derived")
        assert lend.data_urls[0].endswith("/lro/lend_rdr_dld_20240615.dat")

    def test_footprints_and_file_facts_of_kplo_products(self, tmp_path: Any) -> None:
        products = registry_products(2, mission="kplo")
        record = product_record(products[0], base_url="http://registry.invalid/api/search/1/")
        assert (record.mission, record.agency, record.instrument) == ("kplo", "KARI", "SHADOWCAM")
        assert record.targets == ["Earth", "Moon"] and record.target == "Moon"
        assert (record.lon_min, record.lon_max, record.lat_min, record.lat_max) == (70.214, 84.937, -87.906, -86.812)
        assert (record.file_size, record.md5) == (6144, "b805ce9630235f3e5412767c76b761c8")

    def test_query_carries_target_time_and_since_filters(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 12) as served:
            source = sources.create("nasa-pds", served.url, transport=fast_transport(), limit=5,
                                    start="2009-07-25", stop="2009-08-05")
            refs = list(source.discover())
            q = served.service.queries[0]["q"]
        assert 'ref_lid_target eq "urn:nasa:pds:context:target:satellite.earth.moon"' in q
        assert 'pds:Time_Coordinates.pds:stop_date_time ge "2009-07-25T00:00:00Z"' in q
        # products every 3 days from 2009-07-19: 07-25, 07-28, 07-31, 08-03 overlap the interval
        assert [r.key.rsplit("_", 1)[-1] for r in refs] == ["0002::2.0", "0003::2.0", "0004::1.0", "0005::1.0"]

    def test_since_asks_the_registry_for_recent_harvests_only(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 9) as served:
            report = self.harvest(served, tmp_path / "cat.zarr", since="2023-05-26T05:53:26Z")
            assert 'ops:Harvest_Info.ops:harvest_date_time ge "2023-05-26T05:53:26Z"' in \
                served.service.queries[0]["q"]
        assert report.new == 3          # harvested at :24, :24, :24, :25 x3, :26 x3

    def test_search_after_sends_the_sort_values_of_the_last_product(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 9) as served:
            source = sources.create("pds-api", served.url, transport=fast_transport(), limit=4)
            refs = list(source.discover())
            queries = served.service.queries
        assert len(refs) == 9 and [q.get("search-after") for q in queries] == [
            None, f"2023-05-26T05:53:25.000000Z,{refs[3].key}", f"2023-05-26T05:53:26.000000Z,{refs[7].key}"]
        assert queries[0]["sort"] == "ops:Harvest_Info.ops:harvest_date_time,lidvid"
        cursor = source.cursor()
        assert cursor["complete"] and cursor["pages"] == 3 and cursor["hits"] == 9

    def test_interrupted_harvest_resumes_from_its_cursor(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 10) as served:
            source = sources.create("pds-api", served.url, transport=fast_transport(), limit=4)
            walk = source.discover()
            first = [next(walk) for _ in range(5)]       # stopped inside page 2
            state = source.cursor()
            assert not state["complete"] and state["search_after"]
            rest = list(sources.create("pds-api", served.url, transport=fast_transport(), limit=4)
                        .discover(state=state))
        # the cursor points after the last page fully read: page 2 is read again, nothing is skipped
        keys = [r.key for r in first[:4]] + [r.key for r in rest]
        assert sorted(keys) == sorted(served.uids) and len(keys) == len(set(keys)) == 10

    def test_start_paging_is_refused_it_was_removed_in_spec_1_4(self) -> None:
        # the strict registry ignores start (page 1 every time): the old paging="start" path would have
        # harvested page 1 again and again until max_pages
        with pytest.raises(af.SourceError, match="removed from the Search API in spec 1.4.0"):
            sources.create("pds-api", "http://127.0.0.1:9/api/search/1/", paging="start")

    def test_the_registry_answers_page_one_to_a_start_offset(self, tmp_path: Any) -> None:
        products = registry_products(9)
        service = PDSRegistry(products)
        with ArchiveServer(routes=service.routes()) as server:
            first = fast_transport().get_json(server.url + "/api/search/1/products", params={"limit": 4})
            again = fast_transport().get_json(server.url + "/api/search/1/products",
                                              params={"limit": 4, "start": 4})
        assert [p["id"] for p in again["data"]] == [p["id"] for p in first["data"]]

    def test_keywords_are_refused_the_server_does_not_implement_them(self, tmp_path: Any) -> None:
        with pytest.raises(af.SourceError, match="'keywords' is not implemented"):
            sources.create("pds-api", "http://127.0.0.1:9/api/search/1/", keywords="LROC")
        products = registry_products(6)
        with ArchiveServer(routes=PDSRegistry(products).routes()) as server:
            answer = fast_transport().get_json(server.url + "/api/search/1/products",
                                               params={"keywords": "no-such-word"})
        assert len(answer["data"]) == 6       # the strict fixture ignores keywords, as the registry does

    def test_two_top_level_clauses_are_a_400_whose_message_reaches_the_error(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3) as served:
            source = sources.create("pds-api", served.url, transport=fast_transport(), product_class=None,
                                    q='(lidvid eq "a") or (lidvid eq "b")')
            refs = list(source.discover())          # wrapped into one group: accepted
            assert refs == [] and served.service.queries[-1]["q"] == '((lidvid eq "a") or (lidvid eq "b"))'
            fetch = fast_transport().get_json
            with pytest.raises(af.FetchError, match="HTTP 400") as caught:
                fetch(served.url + "products", params={"q": '(lidvid eq "a") and (lidvid eq "b")'})
            assert "not valid" in str(caught.value) and "extraneous input 'and'" in str(caught.value)
            bad = sources.create("pds-api", served.url, transport=fast_transport(), product_class=None,
                                 q='lidvid eq unquoted')
            with pytest.raises(af.SourceError, match=r"refused the request \(HTTP 400\): .*not valid"):
                list(bad.discover())

    def test_a_double_quote_in_a_value_is_refused_before_sending(self) -> None:
        with pytest.raises(af.SourceError, match="double quote"):
            query_text(product_class='Product"Observational')

    def test_server_ignoring_search_after_is_caught(self, tmp_path: Any) -> None:
        products = registry_products(9)
        service = PDSRegistry(products, search_after=False)   # answers page 1 again and again
        with ArchiveServer(routes=service.routes()) as server:
            source = sources.create("pds-api", server.url + "/api/search/1/", transport=fast_transport(),
                                    limit=4, sort="pds:Identification_Area.pds:logical_identifier")
            with pytest.raises(af.SourceError, match="search-after did not advance"):
                list(source.discover())

    def test_restricted_fields_still_carry_what_records_need(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3) as served:
            source = sources.create("pds-api", served.url, transport=fast_transport(),
                                    fields="pds:Identification_Area.pds:title")
            refs = list(source.discover())
            asked = served.service.queries[0]["fields"].split(",")
        assert "lidvid" in asked and "ops:Data_File_Info.ops:file_ref" in asked
        assert refs[0].hints["record"].instrument == "LROC"

    def test_fetch_labels_lets_the_engine_normalize_the_labels(self, tmp_path: Any) -> None:
        (tmp_path / "lro").mkdir()
        for name in LRO_LABELS:
            shutil.copy(CORPUS / "lro" / name, tmp_path / "lro" / name)
        with ArchiveServer(tmp_path) as server:
            products = registry_products(len(LRO_LABELS), base_url=server.url)
            for product in products:   # the real labels, under their own LIDs
                props = product["properties"]
                lid = props["pds:Identification_Area.pds:logical_identifier"][0].rsplit("_", 1)[0]
                props["lidvid"] = [f"{lid}::{props['pds:Identification_Area.pds:version_id'][0]}"]
            service = PDSRegistry(products)
            server.routes.update(service.routes())
            report = af.harvest("pds-api", url=server.url + "/api/search/1/", catalog=str(tmp_path / "c.zarr"),
                                transport=fast_transport(), progress=False, fetch_labels=True)
            fetched = {path for _, path, _ in server.requests if path.startswith("/lro/")}
        assert report.new == len(LRO_LABELS) and fetched == {f"/lro/{name}" for name in LRO_LABELS}
        expected = sorted(af.normalize(af.read_label(CORPUS / "lro" / n)).uid for n in LRO_LABELS)
        assert catalog_uids(tmp_path / "c.zarr") == expected

    def test_a_product_without_identifier_is_quarantined(self, tmp_path: Any) -> None:
        products = registry_products(5)
        del products[2]["properties"]["lidvid"], products[2]["id"]
        del products[2]["properties"]["pds:Identification_Area.pds:logical_identifier"]
        service = PDSRegistry(products)
        with ArchiveServer(routes=service.routes()) as server:
            report = af.harvest("pds-api", url=server.url + "/api/search/1/", catalog=str(tmp_path / "c.zarr"),
                                transport=fast_transport(), progress=False)
        assert (report.new, report.failed, report.exit_code) == (4, 1, 1)
        assert report.failures[0].error == "SourceError" and "lidvid" in report.failures[0].message

    def test_direct_records_switch_hands_records_to_the_engine(self, tmp_path: Any) -> None:
        class Direct(PDSAPISource):
            direct_records = True

        with self.serve(tmp_path, 2) as served:
            refs = list(Direct(served.url, transport=fast_transport()).discover())
        assert all(ref.record is not None and "record" not in ref.hints for ref in refs)

    def test_unknown_target_is_refused_early(self) -> None:
        with pytest.raises(af.SourceError, match="unknown target"):
            sources.create("pds-api", "http://127.0.0.1:9/api/search/1/", target="Vulcan")

    def test_query_text(self) -> None:
        assert query_text(product_class=None) == ""
        assert query_text(product_class=None, q='(lidvid eq "x")') == '(lidvid eq "x")'
        assert query_text(q='(a eq "1") or (a eq "2")') == (
            '((product_class eq "Product_Observational") and ((a eq "1") or (a eq "2")))')
        assert query_text(target="Moon", product_class=None) == (
            '(ref_lid_target eq "urn:nasa:pds:context:target:satellite.earth.moon")')

    def test_a_service_label_url_to_a_local_file_is_refused(self, tmp_path: Any) -> None:
        products = registry_products(2)
        products[0]["properties"]["ops:Label_File_Info.ops:file_ref"] = ["file:///etc/passwd"]
        with ArchiveServer(routes=PDSRegistry(products).routes()) as server:
            report = af.harvest("pds-api", url=server.url + "/api/search/1/", catalog=str(tmp_path / "c.zarr"),
                                transport=fast_transport(), progress=False, fetch_labels=True)
        assert any("not http(s): refused" in f.message for f in report.failures)
