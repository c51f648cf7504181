"""``epn-tap`` (and ``esa-psa``) against a loopback TAP service answering ADQL on ``psa.epn_core`` (its only
table) with SMART-1 AMIE granules shaped as ESA PSA lists them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import archive_fed as af
from archive_fed import sources
from archive_fed.sources.epntap import granule_record, julian_to_utc, read_votable
from archive_fed.testing.servers import ArchiveServer
from tests.sources.conformance import Served, SourceConformanceTests
from archive_fed.testing.servers import fast_transport
from archive_fed.testing.tap_services import EPN_COLUMNS, EPNTAPService, julian_day, smart1_granules, votable


class TestEPNTAP(SourceConformanceTests):
    source = "epn-tap"

    @contextmanager
    def serve(self, tmp_path: Any, n: int, *, fail_pages: tuple[int, ...] = (),
              malformed_pages: tuple[int, ...] = (), rows: list | None = None, **kw: Any) -> Iterator[Served]:
        rows = smart1_granules(n) if rows is None else rows
        service = EPNTAPService(rows, fail_pages=fail_pages, malformed_pages=malformed_pages, **kw)
        with ArchiveServer(routes=service.routes()) as server:
            yield Served(server.url + "/tap", [granule_record(r).uid for r in rows], server, service,
                         {"maxrec": self.page_size, "target": "Moon", "schema": "psa"})

    def test_granules_become_records(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3) as served:
            self.harvest(served, tmp_path / "cat.zarr")
            query = served.service.queries[0]
        assert query["QUERY"] == "SELECT * FROM psa.epn_core WHERE target_name = 'Moon' ORDER BY granule_uid"
        assert (query["REQUEST"], query["LANG"], query["FORMAT"], query["MAXREC"]) == ("doQuery", "ADQL", "votable", "4")
        record = next(r for r in af.Catalog.open(str(tmp_path / "cat.zarr")).records() if r.uid.endswith("00001_00010"))
        # PSA's DATA_SET_ID:DATA:PRODUCT_ID::version is the PDS3 uid every PDS3 source gives
        assert (record.uid, record.vid, record.product_id, record.label_format) == (
            "S1-L-X-AMIE-2-EDR-V1.0/AMI_EE3_050110_00001_00010", "1.0", "AMI_EE3_050110_00001_00010", "PDS3")
        assert (record.mission, record.agency, record.instrument_host, record.instrument) == (
            "smart-1", "ESA", "SMART-1", "AMIE")
        assert (record.processing_level, record.processing_level_native, record.target) == ("Raw", "2", "Moon")
        assert record.start_time == dt.datetime(2005, 1, 10, 7, tzinfo=dt.timezone.utc)
        assert record.stop_time == dt.datetime(2005, 1, 10, 7, 0, 10, tzinfo=dt.timezone.utc)
        assert (record.lon_min, record.lon_max, record.lat_min, record.lat_max) == (23.0, 25.0, -61.0, -58.0)
        # access_url is the zip bundle; label_url (attached label) is the data file itself
        assert record.label_url.endswith("/DATA/AMI_EE3_050110_00001_00010.IMG")
        assert record.data_urls == [record.label_url] and "retrieval_type=PRODUCT" not in record.data_urls[0]

    def test_service_row_limit_below_maxrec_pages_on_overflow(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 10, row_limit=3) as served:
            report = self.harvest(served, tmp_path / "cat.zarr", maxrec=1000)
            pages = served.service.pages_served
        assert report.new == 10 and pages == 4        # 3 + 3 + 3 + 1, each short page flagged OVERFLOW

    def test_keyset_paging_asks_after_the_last_granule(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 9) as served:
            list(sources.create("epn-tap", served.url, transport=fast_transport(), maxrec=4, schema="psa").discover())
            queries = [q["QUERY"] for q in served.service.queries]
        ordered = sorted(r["granule_uid"] for r in served.service.rows)
        assert queries[1].endswith(f"WHERE granule_uid > '{ordered[3]}' ORDER BY granule_uid")
        assert queries[2].endswith(f"WHERE granule_uid > '{ordered[7]}' ORDER BY granule_uid")

    def test_since_filters_on_modification_date(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 9) as served:
            report = self.harvest(served, tmp_path / "cat.zarr", since="2019-06-05")
            assert "modification_date >= '2019-06-05T00:00:00'" in served.service.queries[0]["QUERY"]
        assert report.new == 5                       # modified 06-05 … 06-09

    def test_query_status_error_is_a_source_error_with_the_message(self, tmp_path: Any) -> None:
        with self.serve(tmp_path, 3) as served:
            source = sources.create("epn-tap", served.url, transport=fast_transport(), table="psa.nowhere")
            with pytest.raises(af.SourceError, match=r"HTTP 400\): Table 'psa.nowhere' does not exist"):
                list(source.discover())

    def test_psa_has_only_psa_epn_core(self, tmp_path: Any) -> None:
        # the generic source without a schema asks for epn_core: PSA answers 400 and the message is kept
        with self.serve(tmp_path, 3) as served:
            with pytest.raises(af.SourceError, match="Table 'epn_core' does not exist"):
                list(sources.create("epn-tap", served.url, transport=fast_transport()).discover())
            refs = list(sources.create("esa-psa", served.url, transport=fast_transport()).discover())
        assert len(refs) == 3 and sources.get("esa-psa").default_url == "https://psa.esa.int/psa-tap/tap/"

    def test_esa_psa_preset_asks_for_the_moon(self, tmp_path: Any) -> None:
        rows = smart1_granules(4) + [{**smart1_granules(1)[0], "granule_uid": "S1-L-X-AMIE-2-EDR-V1.0:DATA:STAR::1.0",
                                      "target_name": "Star"}]
        with self.serve(tmp_path, 0, rows=rows) as served:
            refs = list(sources.create("esa-psa", served.url, transport=fast_transport(),
                                       instrument_host="SMART-1").discover())
            query = served.service.queries[0]["QUERY"]
        assert "target_name = 'Moon' AND instrument_host_name = 'SMART-1'" in query
        assert len(refs) == 4

    def test_times_in_tdb_and_footprints_across_the_meridian(self) -> None:
        when = dt.datetime(2006, 9, 3, 5, 42, tzinfo=dt.timezone.utc)
        row = {**smart1_granules(1)[0], "time_min": julian_day(when), "time_scale": "TDB",
               "c1min": 355.0, "c1max": 5.0, "c2min": -1.0, "c2max": 1.0}
        record = granule_record(row)
        # TDB runs 65.18 s ahead of UTC in 2006
        assert abs((when - record.start_time).total_seconds() - 65.184) < 0.01
        assert (record.lon_min, record.lon_max) == (355.0, 5.0)
        assert julian_to_utc(None) is None

    def test_celestial_frames_give_no_footprint_and_urn_uids_split(self) -> None:
        row = {**smart1_granules(1)[0], "spatial_frame_type": "celestial",
               "granule_uid": "urn:esa:psa:smart1_amie:data_raw:ami_ee3::1.0", "target_name": "Moon#Earth"}
        record = granule_record(row)
        assert record.lon_min is None and record.lat_max is None
        assert (record.lid, record.vid, record.product_id, record.label_format) == (
            "urn:esa:psa:smart1_amie:data_raw:ami_ee3", "1.0", "ami_ee3", "PDS4")
        assert record.targets == ["Moon", "Earth"]

    def test_votable_reader(self) -> None:
        rows, status = read_votable(votable(EPN_COLUMNS[:3], [{"granule_uid": "a"}], trailing_status="OVERFLOW"), "u")
        assert rows == [{"granule_uid": "a", "granule_gid": None, "obs_id": None}] and status == "OVERFLOW"
        with pytest.raises(af.SourceError, match="not a VOTable"):
            read_votable(b"<html>gateway timeout</html>", "u")
        with pytest.raises(af.SourceError, match="no results table"):
            read_votable(b'<VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE/></VOTABLE>', "u")
