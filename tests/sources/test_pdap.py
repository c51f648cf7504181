"""``pdap`` against a loopback IPDA PDAP service serving Kaguya products modelled on corpus labels."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import archive_fed as af
from archive_fed import sources
from archive_fed.sources.pdap import pdap_record
from archive_fed.testing.servers import ArchiveServer
from tests.sources.conformance import Served, SourceConformanceTests
from archive_fed.testing.servers import fast_transport
from archive_fed.testing.tap_services import PDAPService, kaguya_pdap_products

pytestmark = pytest.mark.usefixtures("corpus")
TC = "SLN-L-TC-3-S-LEVEL2B0-V1.0"


def uid(row: dict[str, Any]) -> str:
    return f"{row['PRODUCT.DATA_SET_ID']}/{row['PRODUCT.PRODUCT_ID']}"


class TestPDAP(SourceConformanceTests):
    source = "pdap"

    @contextmanager
    def serve(self, tmp_path: Any, n: int, *, fail_pages: tuple[int, ...] = (),
              malformed_pages: tuple[int, ...] = (), rows: list | None = None, **options: Any) -> Iterator[Served]:
        rows = kaguya_pdap_products(n) if rows is None else rows
        # one data set, so that page numbers count product pages only
        rows = [{**r, "PRODUCT.DATA_SET_ID": TC} for r in rows] if not options.get("keep_data_sets") else rows
        service = PDAPService(rows, fail_pages=fail_pages, malformed_pages=malformed_pages,
                              other_targets=[("MEX-M-HRSC-3-RDR-V3.0", "MARS")])
        with ArchiveServer(routes=service.routes()) as server:
            yield Served(server.url + "/pdap", [uid(r) for r in rows], server, service,
                         {"page_size": self.page_size, "data_set_id": TC})

    def test_data_sets_are_listed_then_their_products_paged(self, tmp_path: Any) -> None:
        rows = kaguya_pdap_products(7)
        with self.serve(tmp_path, 0, rows=rows, keep_data_sets=True) as served:
            report = self.harvest(served, tmp_path / "cat.zarr", data_set_id=None)
            queries = served.service.queries
        assert queries[0]["RESOURCE_CLASS"] == "DATA_SET" and queries[0]["TARGET_NAME"] == "MOON"
        asked = [q.get("DATA_SET_ID") for q in queries if q["RESOURCE_CLASS"] == "PRODUCT"]
        assert sorted(set(asked)) == sorted({r["PRODUCT.DATA_SET_ID"] for r in rows})   # not the Mars one
        assert all(q["RETURN_TYPE"] == "VOTABLE" and q["PAGE_SIZE"] == "4" for q in queries)
        assert report.new == 7

    def test_qualified_columns_become_kaguya_records(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3) as served:
            self.harvest(served, tmp_path / "cat.zarr")
        record = next(r for r in af.Catalog.open(str(tmp_path / "cat.zarr")).records() if r.uid.endswith("0000"))
        assert record.uid == f"{TC}/TC1S2B0_01_06691S820E0000" and record.label_format == "PDS3"
        assert (record.mission, record.agency, record.instrument, record.instrument_host) == (
            "kaguya", "JAXA", "TC1", "SELENE MAIN ORBITER")
        assert (record.processing_level, record.processing_level_native, record.target) == ("Calibrated", "2B0", "Moon")
        assert (record.lon_min, record.lat_min) == (pytest.approx(43.996992), pytest.approx(-82.797271))
        assert record.start_time.isoformat().startswith("2009-04-05T20:09:53")
        assert record.label_url.endswith(".lbl") and record.data_urls[0].endswith(".img")

    def test_urn_product_ids_keep_their_version(self) -> None:
        row = {"PRODUCT.PRODUCT_ID": "urn:esa:psa:smart1_amie:data_raw:ami_x",
               "PRODUCT.DATA_ACCESS_REFERENCE": "https://psa/pdap/download?ID=urn:esa:psa:smart1_amie:data_raw:ami_x::2.0",
               "PRODUCT.INSTRUMENT_HOST_NAME": "SMART-1", "PRODUCT.TARGET_NAME": "MOON"}
        record = pdap_record(row)
        assert (record.uid, record.mission, record.label_format) == (
            "urn:esa:psa:smart1_amie:data_raw:ami_x::2.0", "smart-1", "PDS4")

    def test_error_status_is_a_source_error(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3) as served:
            source = sources.create("pdap", served.url, transport=fast_transport(), data_set_id=TC)
            served.service.malformed_pages = {1}
            with pytest.raises(af.SourceError, match="not a VOTable"):
                list(source.discover())

    def test_a_server_ignoring_page_number_is_a_clear_error(self, tmp_path: Any) -> None:
        rows = [{**r, "PRODUCT.DATA_SET_ID": TC} for r in kaguya_pdap_products(9)]
        service = PDAPService(rows, ignores_paging=True)
        with ArchiveServer(routes=service.routes()) as server:
            source = sources.create("pdap", server.url + "/pdap", transport=fast_transport(), page_size=4,
                                    data_set_id=TC, max_pages=50)
            with pytest.raises(af.SourceError, match="ignores PAGE_SIZE/PAGE_NUMBER paging"):
                list(source.discover())
            pages = service.pages_served
        assert pages == 2          # stopped at the first repeated page, not after max_pages
        with ArchiveServer(routes=PDAPService(rows, ignores_paging=True).routes()) as server:
            refs = list(sources.create("pdap", server.url + "/pdap", transport=fast_transport(), page_size=20,
                                       data_set_id=TC).discover())
        assert len(refs) == 9      # one page holding everything: fine

    def test_time_filters_are_sent_as_real_clients_write_them(self, tmp_path: Any) -> None:
        import datetime as dt

        rows = [{**r, "PRODUCT.DATA_SET_ID": TC} for r in kaguya_pdap_products(9)]
        begin = dt.datetime.fromisoformat(rows[2]["PRODUCT.START_TIME"]) - dt.timedelta(seconds=1)
        end = dt.datetime.fromisoformat(rows[5]["PRODUCT.STOP_TIME"]) + dt.timedelta(seconds=1)
        service = PDAPService(rows)
        with ArchiveServer(routes=service.routes()) as server:
            source = sources.create("pdap", server.url + "/pdap", transport=fast_transport(), data_set_id=TC,
                                    start=begin, stop=end)
            refs = list(source.discover())
            sent = [k for k in service.queries[0] if k.startswith(("START_TIME", "STOP_TIME"))]
        inside = [uid(r) for r in rows if dt.datetime.fromisoformat(r["PRODUCT.START_TIME"]) > begin
                  and dt.datetime.fromisoformat(r["PRODUCT.STOP_TIME"]) < end]
        assert sorted(r.key for r in refs) == sorted(inside) and 0 < len(inside) < len(rows)
        assert sorted(sent) == [f"START_TIME>{begin:%Y-%m-%d %H:%M:%S}.{begin.microsecond // 1000:03d}",
                                f"STOP_TIME<{end:%Y-%m-%d %H:%M:%S}.{end.microsecond // 1000:03d}"]
