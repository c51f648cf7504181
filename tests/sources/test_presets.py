"""Agency presets: endpoints as configurable defaults, default filters and normalizer rules; the
file-tree presets pass the same conformance tests as the API sources, on replica volumes and bundles."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from archive_fed import sources
from archive_fed.sources.base import ProductRef
from archive_fed.sources.presets import CNSACLPDSSource, JAXADARTSSource
from archive_fed.testing.replica import change_label, change_name, make_pds3_volume, make_pds4_bundle, product_id
from archive_fed.testing.faults import FaultPlan
from archive_fed.testing.servers import ArchiveServer
from tests.sources.conformance import Served, SourceConformanceTests

DATASET = "SLN-L-TC-3-S-LEVEL2B0-V1.0"
PRESETS = {  # name: (generic source it specialises, default endpoint, needs a login)
    "jaxa-darts": ("pds3-volume", "https://data.darts.isas.jaxa.jp/pub/pds3/", False),
    "cnsa-clpds": ("pds4-bundle", "https://moon.bao.ac.cn/", True),
    "nasa-pds": ("pds-api", "https://pds.nasa.gov/api/search/1/", False),
    "esa-psa": ("epn-tap", "https://psa.esa.int/psa-tap/tap/", False),
    "isro-pradan": ("pds4-bundle", "https://pradan.issdc.gov.in/ch2/", True),
    "kari-kpds": ("pds4-bundle", "https://kpds.kari.re.kr/", False),
}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_endpoint_is_a_default_that_url_overrides(name: str) -> None:
    generic, endpoint, login = PRESETS[name]
    cls = sources.get(name)
    assert issubclass(cls, sources.get(generic))
    assert (cls.default_url, cls.needs_credentials) == (endpoint, login)
    assert sources.create(name).url == endpoint
    assert sources.create(name, "http://127.0.0.1:9/mirror/").url == "http://127.0.0.1:9/mirror/"


def test_darts_data_set_selects_its_directory() -> None:
    source = sources.create("jaxa-darts", data_set=DATASET)
    assert source.url == "https://data.darts.isas.jaxa.jp/pub/pds3/sln-l-tc-3-s-level2b0-v1.0/"


def test_api_presets_filter_the_moon() -> None:
    assert 'ref_lid_target eq "urn:nasa:pds:context:target:satellite.earth.moon"' in \
        sources.create("nasa-pds").params()["q"]
    assert "WHERE target_name = 'Moon'" in sources.create("esa-psa").query()
    assert "target_name" not in sources.create("epn-tap", "http://127.0.0.1:9/tap").query()


def test_change_names_fill_what_a_label_leaves_out() -> None:
    name = change_name(7)
    bare = change_label(7)
    for element in ("<instrument_id>LPR</instrument_id>", "<product_level>2B</product_level>",
                    "<name>CE4</name>", "<name>CE4Ro</name>"):
        bare = bare.replace(element, "")
    start, stop = bare.index("<Time_Coordinates>"), bare.index("</Time_Coordinates>")
    bare = bare[:start] + bare[stop + len("</Time_Coordinates>"):]
    bare = bare.replace("<processing_level>Calibrated</processing_level>", "")
    source = CNSACLPDSSource("http://127.0.0.1:9/ce4/")
    record = source.to_record(ProductRef(key=name + "L", url=f"http://127.0.0.1:9/ce4/{name}L"), bare.encode())
    assert (record.mission, record.agency, record.instrument) == ("change-4", "CNSA", "LPR")
    assert (record.processing_level, record.processing_level_native) == ("Calibrated", "2B")
    assert record.start_time.isoformat() == "2023-12-16T07:50:01+00:00"
    assert record.target == "Moon"


def test_darts_rule_fills_the_mission_of_labels_without_one() -> None:
    label = (b'PDS_VERSION_ID = PDS3\r\nPRODUCT_ID = "X1"\r\nDATA_SET_ID = "UNKNOWN-SET"\r\n'
             b'TARGET_NAME = MOON\r\nEND\r\n')
    record = JAXADARTSSource("http://127.0.0.1:9/v/").to_record(ProductRef("X1.LBL", "http://127.0.0.1:9/v/X1.LBL"), label)
    assert (record.mission, record.agency, record.archive) == ("kaguya", "JAXA", "jaxa-darts")


class TestJAXADARTS(SourceConformanceTests):
    """A Kaguya replica volume (INDEX.TAB + detached labels) as DARTS would serve it."""

    source = "jaxa-darts"
    paged = False
    malformed_is_fatal = False
    n = 6

    @contextmanager
    def serve(self, tmp_path: Any, n: int, *, fail_pages: tuple[int, ...] = (),
              malformed_pages: tuple[int, ...] = ()) -> Iterator[Served]:
        root = tmp_path / "darts" / DATASET.lower()
        if n:
            make_pds3_volume(root, n, broken=set(malformed_pages))
        else:
            (root / "DATA").mkdir(parents=True)
        plan = FaultPlan()
        for page in fail_pages:
            plan.on(f"*{product_id(page)}.LBL", "503", times=1)
        with ArchiveServer(tmp_path / "darts", faults=plan) as server:
            yield Served(server.url + "/", [f"{DATASET}/{product_id(i)}" for i in range(n)], server,
                         options={"data_set": DATASET})


class TestCNSACLPDS(SourceConformanceTests):
    """A Chang'e-4 LPR replica tree of ``.2BL`` labels with its collection inventory."""

    source = "cnsa-clpds"
    paged = False
    malformed_is_fatal = False
    n = 6

    @contextmanager
    def serve(self, tmp_path: Any, n: int, *, fail_pages: tuple[int, ...] = (),
              malformed_pages: tuple[int, ...] = ()) -> Iterator[Served]:
        root = make_pds4_bundle(tmp_path / "clpds", n)
        for page in malformed_pages:
            (root / "data_lpr" / (change_name(page) + "L")).write_text(change_label(page)[:700])
        plan = FaultPlan()
        for page in fail_pages:
            plan.on(f"*{change_name(page)}L", "503", times=1)
        with ArchiveServer(tmp_path, faults=plan) as server:
            yield Served(server.url + "/clpds/", [f"{change_name(i)}::1.0" for i in range(n)], server)
