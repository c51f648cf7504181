"""Agency presets: the generic sources with each agency's endpoint, default filters and normalizer rules.

Every endpoint is a class attribute (``default_url``, shown by ``archive-fed sources``) that ``url=``
overrides; nothing else in the code names a host.

========== =============== ================================================== ==========
preset     protocol        default endpoint                                   access
========== =============== ================================================== ==========
jaxa-darts pds3-volume     https://data.darts.isas.jaxa.jp/pub/pds3/          open
cnsa-clpds pds4-bundle     https://moon.bao.ac.cn/                            login
nasa-pds   pds-api         https://pds.nasa.gov/api/search/1/                 open
esa-psa    epn-tap         https://psa.esa.int/psa-tap/tap/                   open
isro-pradan pds4-bundle    https://pradan.issdc.gov.in/ch2/                   login
kari-kpds  pds4-bundle     https://kpds.kari.re.kr/                           open
========== =============== ================================================== ==========

>>> from archive_fed import sources
>>> sources.get("nasa-pds").default_url
'https://pds.nasa.gov/api/search/1/'
"""
from __future__ import annotations

from typing import Any, ClassVar

from .. import missions
from ..labels.quirks.change import parse_product_name
from ..record import ProductRecord
from ..transport import url_join
from .base import ProductRef
from .epntap import EPNTAPSource
from .pds3_volume import PDS3VolumeSource
from .pds4_bundle import PDS4BundleSource
from .pds_api import PDSAPISource

__all__ = [
    "CNSACLPDSSource",
    "ESAPSASource",
    "ISROPRADANSource",
    "JAXADARTSSource",
    "KARIKPDSSource",
    "NASAPDSSource",
    "PresetRules",
]


class PresetRules:
    """Normalizer rules of a preset: record fields filled when the archive's labels leave them empty.

    Mixed into file-tree sources (the API presets build their records themselves)."""

    #: field → value used when the normalized label gives none (``mission`` also fills ``agency``)
    fill: ClassVar[dict[str, Any]] = {}

    def apply_rules(self, record: ProductRecord, ref: ProductRef) -> ProductRecord:
        changes = {field: value for field, value in self.fill.items() if getattr(record, field) in (None, [])}
        mission = changes.get("mission", record.mission)
        if record.agency is None and missions.agency(mission):
            changes["agency"] = missions.agency(mission)
        if "targets" in changes and record.target is None:
            changes["target"] = "Moon" if "Moon" in changes["targets"] else changes["targets"][0]
        return record.replace(**changes) if changes else record

    def to_record(self, ref: ProductRef, data: bytes) -> ProductRecord:
        record = super().to_record(ref, data)  # type: ignore[misc]
        return self.apply_rules(record, ref)


class JAXADARTSSource(PresetRules, PDS3VolumeSource):
    """Kaguya (SELENE) PDS3 data sets on the DARTS data server of ISAS/JAXA.

    The server holds one directory per data set, named by its ``DATA_SET_ID`` in lower case
    (``…/pub/pds3/sln-l-tc-3-s-level2b0-v1.0/``); ``data_set="SLN-L-TC-3-S-LEVEL2B0-V1.0"`` selects one
    under the default root, or give the volume's URL with ``url=``. A data set is split into sub-volumes
    (``<YYYYMMDD>/data/``, ``lonNNN/{data,index,catalog,browse}``) with their own index files: discovery
    reads each sub-volume's index and walks only those without one.
    """

    name = "jaxa-darts"
    endpoint_confirmed = False
    protocol = "PDS3 volumes (INDEX.TAB or directory walk) on the DARTS data server"
    description = "JAXA DARTS: Kaguya (SELENE) PDS3 data sets (give data_set= or a volume url)"
    default_url = "https://data.darts.isas.jaxa.jp/pub/pds3/"
    fill: ClassVar[dict[str, Any]] = {"mission": "kaguya", "targets": ["Moon"]}
    #: DARTS data sets are split into sub-volumes, each with its own index
    sub_volumes_default = True

    def __init__(self, url: str | None = None, **kw: Any) -> None:
        super().__init__(url, **kw)
        data_set = self.options.get("data_set")
        if data_set:
            self.url = url_join(self.url, str(data_set).strip().lower().strip("/") + "/")
            if not self.url.endswith("/"):
                self.url += "/"          # a local path joined loses its trailing slash


class CNSACLPDSSource(PresetRules, PDS4BundleSource):
    """Chang'e 1–6 products from the Lunar and Planetary Data Release System of NAOC/GRAS.

    CLPDS works by registration and orders — it is not a crawlable tree: give ``url=`` what an order
    delivers, a downloaded ``.zip`` (read in place) or the directory it was unpacked to (a mirror served
    over HTTP(S) with credentials for its host works too). Chang'e-4 on: PDS4-style ``.2BL``/``.2CL``/
    ``.01L`` labels; Chang'e-1/2/3 (producer ``BMYK``): PDS3 labels attached to ``.2B``/``.01``… files.

    Rule: mission, instrument, level and times missing from a label come from its GRAS product name
    (``CE4_GRAS_LPR-2B_SCI_N_<start>_<stop>_<seq>_A.2BL``).
    """

    name = "cnsa-clpds"
    reached = "order/bulk download"
    endpoint_confirmed = False
    protocol = "a downloaded order (.zip read in place, or its directory): Chang'e .2BL labels, CE1-3 attached PDS3"
    description = "CNSA Lunar and Planetary Data Release System: Chang'e 1-6 (give your downloaded order)"
    default_url = "https://moon.bao.ac.cn/"
    needs_credentials = True
    fill: ClassVar[dict[str, Any]] = {"targets": ["Moon"]}

    #: an order arrives as a download (a directory or .zip files), not as a crawlable tree
    open_zips = True

    def select_labels(self, files: list[str]) -> list[str]:
        """PDS4-style labels (``.2BL``…, Chang'e-4 on) and, for Chang'e-1/2/3, the data files carrying an
        attached PDS3 label (``CE3_BMYK_….2B``, ``….01``: a GRAS name with a level extension and no detached
        ``…L`` label beside it)."""
        labels = super().select_labels(files)
        present = {url.lower() for url in files}
        for url in files:
            name = url.replace("\\", "/").rsplit("/", 1)[-1]
            parsed = parse_product_name(name)
            if (parsed is not None and parsed.level and not name.upper().endswith("L")
                    and f"{url}L".lower() not in present and url not in labels):
                labels.append(url)
        return labels

    def apply_rules(self, record: ProductRecord, ref: ProductRef) -> ProductRecord:
        name = parse_product_name(ref.url.rsplit("/", 1)[-1]) or parse_product_name(record.lid or "")
        if name is not None:
            level = missions.pds4_level(name.mission, name.level) if name.level else None
            derived = {"mission": name.mission, "instrument": name.instrument,
                       "processing_level_native": name.level, "processing_level": level,
                       "start_time": name.start, "stop_time": name.stop}
            changes = {k: v for k, v in derived.items() if v is not None and getattr(record, k) is None}
            record = record.replace(**changes) if changes else record
        return super().apply_rules(record, ref)


class ISROPRADANSource(PresetRules, PDS4BundleSource):
    """Chandrayaan-2 PDS4 bundles (``urn:isro:isda:…``) from ISRO's PRADAN portal at ISSDC.

    PRADAN is a web application with a session login and zip/bulk downloads, not a crawlable tree: give
    ``url=`` the downloaded bulk zip (or the directory holding the downloaded zips), read in place.
    """

    #: what a user gets is a bulk download: .zip files are walked as directories
    open_zips = True

    name = "isro-pradan"
    reached = "order/bulk download"
    endpoint_confirmed = False
    protocol = "a bulk download (.zip files read in place, or their directory): PDS4 bundles"
    description = "ISRO PRADAN (ISSDC): Chandrayaan-2 PDS4 bundles (give your downloaded zips)"
    default_url = "https://pradan.issdc.gov.in/ch2/"
    needs_credentials = True
    fill: ClassVar[dict[str, Any]] = {"mission": "chandrayaan-2", "targets": ["Moon"]}


class KARIKPDSSource(PresetRules, PDS4BundleSource):
    """KPLO (Danuri) PDS4 bundles from the KARI Planetary Data System (KPDS)."""

    name = "kari-kpds"
    endpoint_confirmed = False   # the host did not resolve in a 2026 check
    protocol = "PDS4 bundle (bundle → collections → inventories) over HTTP(S)"
    description = "KARI KPDS: KPLO (Danuri) PDS4 bundles"
    default_url = "https://kpds.kari.re.kr/"
    fill: ClassVar[dict[str, Any]] = {"mission": "kplo", "targets": ["Moon"]}


class NASAPDSSource(PDSAPISource):
    """NASA PDS: the Registry Search API across every node, filtered to the Moon."""

    name = "nasa-pds"
    endpoint_confirmed = True    # NASA-PDS/pds-api docs/source/overview.rst; peppi's default
    protocol = "NASA PDS Registry Search API (search-after paging), target Moon"
    description = "NASA PDS: lunar PDS4 products (LRO, LADEE, GRAIL, KPLO ShadowCam...) from the registry"
    default_url = "https://pds.nasa.gov/api/search/1/"
    default_target = "Moon"


class ESAPSASource(EPNTAPSource):
    """ESA's Planetary Science Archive through its EPN-TAP service: lunar granules (SMART-1 AMIE, D-CIXS,
    SIR, XSM...). ``instrument_host="SMART-1"`` restricts to SMART-1."""

    name = "esa-psa"
    endpoint_confirmed = True    # planetarypy psa module (PSA_TAP_SYNC); psa.esa.int TAP+
    protocol = "EPN-TAP 2.0 (TAP sync, ADQL) at ESA PSA, target Moon"
    description = "ESA Planetary Science Archive: lunar granules (SMART-1) via EPN-TAP"
    default_url = "https://psa.esa.int/psa-tap/tap/"
    default_target = "Moon"
    default_schema = "psa"
