"""One product, one uid: the same PDS3 product reported by ODE, the PDS Registry API, a PDS3 volume index
(and its label) and ESA PSA's EPN-TAP gets the same uid, so a federated search or a merged catalog keeps
it once (issue 15). The forms are each service's own: ODE ``Data_Set_Id`` + ``pdsid``, PSA
``DATA_SET_ID:DATA:PRODUCT_ID::version``, the index's quoted fixed-width ``DATA_SET_ID``/``PRODUCT_ID``."""
from __future__ import annotations

import os

import archive_fed as af
from archive_fed.harvest.ingest import ingest
from archive_fed.record import pds3_uid, pds4_uid
from archive_fed.sources.epntap import granule_record
from archive_fed.sources.ode import ode_record
from archive_fed.sources.pds_api import product_record
from archive_fed.sources.records import granule_identity, identity
from archive_fed.testing.api_services import ode_products, registry_products
from archive_fed.testing.lroc_volume import row_values, write_volume
from archive_fed.testing.tap_services import smart1_granules


def test_one_product_from_four_archives_has_one_uid(tmp_path, corpus):
    volume = tmp_path / "LROLRC_0001"
    write_volume(str(volume), 3, labels=[1])
    values = row_values(1)
    data_set, product = values["DATA_SET_ID"], values["PRODUCT_ID"]

    # a PDS3 index (quoted, blank-padded fixed-width fields) and the product's own label
    report = ingest(str(volume), str(tmp_path / "index.zarr"))
    assert report.failed == 0
    from_index = {r.product_id: r.uid for r in af.Catalog.open(str(tmp_path / "index.zarr")).records()}[product]
    from_label = af.normalize(af.read_label(os.path.join(volume, values["FILE_SPECIFICATION_NAME"]))).uid
    # ODE: its own field names, padded as a careless service might
    ode = ode_record({**ode_products(1)[0], "pdsid": f" {product} ", "Data_Set_Id": f"{data_set} "}).uid
    # ESA PSA: DATA_SET_ID:DATA:PRODUCT_ID::version
    psa = granule_record({**smart1_granules(1)[0], "granule_uid": f"{data_set}:DATA:{product}::1.0"}).uid
    # the registry serving a PDS3 product under its PDS3 identity (properties name DATA_SET_ID, PRODUCT_ID)
    registry = registry_products(1)[0]
    props = {**registry["properties"], "lidvid": [f"{data_set}/{product}::1.0"],
             "pds:Identification_Area.pds:logical_identifier": [f"{data_set}/{product}"],
             "pds3:Product.pds3:data_set_id": [data_set], "pds3:Product.pds3:product_id": [product]}
    pds_api = product_record({**registry, "properties": props}, base_url="http://registry.invalid/").uid

    assert {from_index, from_label, ode, psa, pds_api} == {f"{data_set}/{product}"}


def test_pds4_products_keep_their_lidvid_everywhere(corpus):
    lidvid = "urn:esa:psa:smart1_amie:data_raw:ami_ee3_050110_00001::1.0"
    assert granule_identity(lidvid)["uid"] == lidvid == pds4_uid("urn:esa:psa:smart1_amie:data_raw:ami_ee3_050110_00001",
                                                                  "1.0")
    assert identity(lid=lidvid)["uid"] == lidvid
    registry = registry_products(1)[0]
    assert product_record(registry, base_url="http://r.invalid/").uid == registry["id"]


def test_the_one_rule() -> None:
    assert pds3_uid('"LRO-L-LROC-2-EDR-V1.0"', "  M103595705LE ") == "LRO-L-LROC-2-EDR-V1.0/M103595705LE"
    assert pds3_uid(None, "M1") == "M1" and pds3_uid("DS", None) is None
    assert pds3_uid("MI-VIS_Level2B", "MVA_2B2_01_02329N002E0302") == "MI-VIS_Level2B/MVA_2B2_01_02329N002E0302"
    # a granule id in no known form is kept whole rather than guessed at
    assert granule_identity("obs-12")["uid"] == "obs-12"
