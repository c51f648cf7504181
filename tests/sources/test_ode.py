"""``ode`` against a loopback ODE REST service whose products follow the corpus LROC PDS3 labels."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import archive_fed as af
from archive_fed import sources
from archive_fed.sources.ode import ode_record
from archive_fed.testing.servers import ArchiveServer
from tests.sources.conformance import Served, SourceConformanceTests
from archive_fed.testing.servers import fast_transport
from archive_fed.testing.api_services import ODEService, ode_products

pytestmark = pytest.mark.usefixtures("corpus")


def uid(product: dict[str, Any]) -> str:
    return f"{product['Data_Set_Id']}/{product.get('pdsid')}"


class TestODE(SourceConformanceTests):
    source = "ode"

    @contextmanager
    def serve(self, tmp_path: Any, n: int, *, fail_pages: tuple[int, ...] = (),
              malformed_pages: tuple[int, ...] = (), products: list | None = None) -> Iterator[Served]:
        products = ode_products(n) if products is None else products
        service = ODEService(products, fail_pages=fail_pages, malformed_pages=malformed_pages)
        with ArchiveServer(routes=service.routes()) as server:
            yield Served(server.url + "/live2/", [uid(p) for p in products], server, service,
                         {"limit": self.page_size})

    def test_records_follow_pds3_identity(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 5) as served:
            self.harvest(served, tmp_path / "cat.zarr")
            listing, query = served.service.queries[:2]
        assert (listing["query"], listing["odemetadb"], listing["output"]) == ("iipt", "moon", "JSON")
        assert (query["query"], query["target"], query["results"], query["output"]) == (
            "product", "moon", "fmp", "JSON")
        assert (query["ihid"], query["iid"], query["offset"]) == ("LRO", "LROC", "1")
        records = {r.uid: r for r in af.Catalog.open(str(tmp_path / "cat.zarr")).records()}
        edr = records[uid(ode_products(1)[0])]
        assert edr.uid == "LRO-L-LROC-2-EDR-V1.0/M103590000LE" and edr.label_format == "PDS3"
        assert (edr.mission, edr.agency, edr.instrument, edr.instrument_host) == ("lro", "NASA", "LROC", "LRO")
        assert (edr.processing_level, edr.processing_level_native, edr.target) == ("Raw", "EDR", "Moon")
        assert (edr.lon_min, edr.lon_max, edr.lat_min, edr.lat_max) == (0.0, 0.4, -60.0, -55.0)
        assert edr.data_urls == [edr.label_url[:-4] + ".IMG"]          # the browse image is not data
        assert edr.file_size == 258269 * 1024

    def test_a_single_product_comes_as_an_object(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 1) as served:
            refs = list(sources.create("ode", served.url, transport=fast_transport()).discover())
        assert [r.key for r in refs] == served.uids

    def test_filters_become_ode_parameters(self, tmp_path: Any) -> None:
        products = ode_products(8)
        with self.serve(tmp_path, 0, products=products) as served:
            source = sources.create("ode", served.url, transport=fast_transport(), ihid="LRO", iid="LROC",
                                    pt="EDRNAC4", bbox=(0, -60, 30, -40), start="2009-08-01", stop="2009-09-01")
            refs = list(source.discover())
            query = served.service.queries[0]      # all three given: no listing asked
        assert {k: query[k] for k in ("ihid", "iid", "pt", "westernlon", "minlat", "easternlon", "maxlat",
                                      "minobtime", "maxobtime")} == {
            "ihid": "LRO", "iid": "LROC", "pt": "EDRNAC4", "westernlon": "0.0", "minlat": "-60.0",
            "easternlon": "30.0", "maxlat": "-40.0", "minobtime": "2009-08-01T00:00:00",
            "maxobtime": "2009-09-01T00:00:00"}
        inside = [uid(p) for p in products if p["pt"] == "EDRNAC4" and float(p["Westernmost_longitude"]) <= 30
                  and float(p["Maximum_latitude"]) >= -60 and float(p["Minimum_latitude"]) <= -40]
        assert [r.key for r in refs] == inside and len(inside) >= 2

    def test_status_error_names_the_reason(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3, malformed_pages=(1,)) as served, \
                pytest.raises(af.SourceError, match="Invalid IIPT combination"):
            list(sources.create("ode", served.url, transport=fast_transport()).discover())

    def test_pds4_products_keep_lid_and_vid(self) -> None:
        product = {**ode_products(1)[0], "Product_lid": "urn:nasa:pds:lroc:data:m1035957le", "Product_version_id": "1.0"}
        record = ode_record(product)
        assert (record.uid, record.label_format, record.product_id) == (
            "urn:nasa:pds:lroc:data:m1035957le::1.0", "PDS4", product["pdsid"])

    def test_a_product_without_ids_is_quarantined(self, tmp_path: Any) -> None:
        products = ode_products(4)
        del products[1]["pdsid"]
        with self.serve(tmp_path, 0, products=products) as served:
            report = self.harvest(served, tmp_path / "cat.zarr")
        assert (report.new, report.failed) == (3, 1) and "pdsid" in report.failures[0].message

    def test_a_product_query_without_ihid_iid_pt_is_an_ode_error(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3) as served:
            answer = fast_transport().get_json(served.url, params={"query": "product", "target": "moon",
                                                                   "output": "JSON"})
        assert answer["ODEResults"]["Status"] == "ERROR"

    def test_product_types_come_from_odes_own_listing(self, tmp_path: Any) -> None:
        products = ode_products(9)
        empty = {"ODEMetaDB": "MOON", "IHID": "LRO", "IHName": "x", "IID": "LROC", "IName": "x", "PT": "EMPTYPT",
                 "PTName": "x", "DataSetId": "LRO-L-LROC-9-X-V1.0", "NumberProducts": "0"}
        mars = {**empty, "ODEMetaDB": "MARS", "IHID": "MRO", "IID": "HIRISE", "PT": "RDRV11", "NumberProducts": "9"}
        service = ODEService(products, extra_sets=[empty, mars])
        with ArchiveServer(routes=service.routes()) as server:
            source = sources.create("ode", server.url + "/live2/", transport=fast_transport(), limit=2)
            refs = list(source.discover())
            asked = [(q.get("ihid"), q.get("iid"), q.get("pt")) for q in service.queries if q["query"] == "product"]
            only_wac = list(sources.create("ode", server.url + "/live2/", transport=fast_transport(),
                                           pt="EDRWAC4").discover())
        assert sorted(r.key for r in refs) == sorted(uid(p) for p in products)
        assert set(asked) == {("LRO", "LROC", "EDRNAC4"), ("LRO", "LROC", "EDRWAC4")}   # no empty set, no Mars
        assert {r.key for r in only_wac} == {uid(p) for p in products if p["pt"] == "EDRWAC4"} and only_wac
        assert source.cursor()["complete"] and len(source.cursor()["sets"]) == 2

    def test_offsets_count_from_one_so_pages_do_not_overlap(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 9) as served:
            source = sources.create("ode", served.url, transport=fast_transport(), limit=2, ihid="LRO",
                                    iid="LROC", pt="EDRWAC4")
            keys = [r.key for r in source.discover()]
            offsets = [q["offset"] for q in served.service.queries]
        assert offsets == ["1", "3"] and len(keys) == len(set(keys)) == 3

    def test_the_label_file_is_not_a_data_file_and_pds4_labels_come_from_pds4labelurl(self) -> None:
        product = ode_products(1)[0]
        record = ode_record(product)
        assert [f["Type"] for f in product["Product_files"]["Product_file"]][:2] == ["Product", "Product"]
        assert record.data_urls == [record.label_url[:-4] + ".IMG"] and record.file_size == 258269 * 1024
        pds4 = {**product, "Product_lid": "urn:nasa:pds:lroc:data:m1035957le", "Product_version_id": "1.0",
                "PDS4LabelURL": "https://pds.lroc.asu.edu/data/m1035957le.xml"}
        assert ode_record(pds4).label_url == "https://pds.lroc.asu.edu/data/m1035957le.xml"
        attached = {**product, "Product_files": {"Product_file": {
            "Description": "PRODUCT DATA FILE WITH LABEL", "FileName": "X.IMG", "Type": "Product",
            "URL": "https://h/X.IMG", "KBytes": "2"}}}
        assert ode_record(attached).data_urls == ["https://h/X.IMG"]

    def test_an_interrupted_harvest_resumes_at_its_product_type_and_offset(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 9) as served:
            source = sources.create("ode", served.url, transport=fast_transport(), limit=2)
            walk = source.discover()
            first = [next(walk) for _ in range(3)]            # inside the first set's second page
            state = source.cursor()
            assert not state["complete"] and state["set"] == 0 and state["offset"] == 3
            rest = list(sources.create("ode", served.url, transport=fast_transport(), limit=2)
                        .discover(state=state))
            asked = [q for q in served.service.queries if q["query"] == "iipt"]
        keys = [r.key for r in first[:2]] + [r.key for r in rest]     # the page in progress is read again
        assert sorted(keys) == sorted(served.uids) and len(asked) == 1   # the listing is not asked again
