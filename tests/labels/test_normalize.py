"""Every corpus label normalizes, with the actual field values asserted file by file (SPEC §1)."""
from __future__ import annotations

import datetime as dt
import json
import math

import pytest

import archive_fed as af
from archive_fed.record import FIELDS
from tests.conftest import CORPUS, corpus_params


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


CE4_2B = "CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_0316_A.2B"
CE4_1 = "CE4_GRAS_LPR-1_SCI_N_20231216075001_20231217065500_0316_A.2B"

#: file -> expected field values (a subset of fields per file; every file is listed).
EXPECTED = {
    # ---- Kaguya (SELENE), PDS3 ------------------------------------------------------------------
    "kaguya/TC1S2B0_01_06691S820E0465_pds3.lbl": dict(
        uid="SLN-L-TC-3-S-LEVEL2B0-V1.0/TC1S2B0_01_06691S820E0465", vid="01",
        product_id="TC1S2B0_01_06691S820E0465", title="SELENE MOON TC 3 MONO LEVEL2B0 V1.0",
        mission="kaguya", agency="JAXA", instrument_host="SELENE MAIN ORBITER", instrument="TC1",
        targets=["Moon"], target="Moon", processing_level="Calibrated", processing_level_native="2B0",
        start_time=utc(2009, 4, 5, 20, 9, 53, 610804), stop_time=utc(2009, 4, 5, 20, 10, 23, 868304),
        lon_min=43.996992, lon_max=48.534829, lat_min=-82.797271, lat_max=-81.172073,
        label_format="PDS3", data_urls=["TC1S2B0_01_06691S820E0465.img"], file_size=None, md5=None),
    "kaguya/TC1S2B0_01_00811N526E0443_mini.lbl": dict(
        uid="SLN-L-TC-3-SP-SUPPORT-LEVEL2B0-V1.0/TC1S2B0_01_00811N526E0443", instrument="TC1",
        mission="kaguya", processing_level="Calibrated", processing_level_native="2B0",
        start_time=utc(2007, 12, 15, 0, 0, 10, 157100), lon_min=43.797102, lon_max=44.907878,
        lat_min=51.857042, lat_max=53.380049, data_urls=["TC1S2B0_01_00811N526E0443_mini.img"]),
    "kaguya/MVA_2B2_01_02329N002E0302_pds3.lbl": dict(
        uid="SLN-L-MI-3-VIS-LEVEL2B2-V1.0/MVA_2B2_01_02329N002E0302", instrument="MI-VIS",
        mission="kaguya", processing_level="Calibrated", processing_level_native="2B2",
        start_time=utc(2008, 4, 17, 0, 34, 47, 373598), lon_min=29.858614, lon_max=30.446215,
        lat_min=-0.072846, lat_max=0.570818, data_urls=["MVA_2B2_01_02329N002E0302.img"]),
    "kaguya/MVA_2B2_01_04192S119E3572_vis_cropped.lbl": dict(
        uid="MI-VIS_Level2B/MVA_2B2_01_04192S119E3572", instrument="MI-VIS", mission="kaguya",
        processing_level="Calibrated", processing_level_native="2B", lon_min=356.845818,
        lon_max=357.631899, lat_min=-12.190002, lat_max=-11.559854,
        data_urls=["MVA_2B2_01_04192S119E3572_vis_cropped.lbl"]),  # attached: the data follow the label
    "kaguya/MNA_2B2_01_04192S136E3573_nir_cropped.lbl": dict(
        uid="MI-NIR_Level2B/MNA_2B2_01_04192S136E3573", instrument="MI-NIR", mission="kaguya",
        processing_level="Calibrated", processing_level_native="2B",
        start_time=utc(2008, 9, 16, 20, 10, 30, 476297), lon_min=356.858241, lon_max=357.667916,
        lat_min=-13.964236, lat_max=-13.335394),
    "kaguya/MI_MAP_02_N65E328N64E329SC_cropped.lbl": dict(
        uid="MI_MAP/MI_MAP_02_N65E328N64E329SC", vid="02", instrument="MI", mission="kaguya",
        processing_level="Derived", processing_level_native="MAP", lon_min=328.0, lon_max=328.99951172,
        lat_min=64.00048828, lat_max=65.0),
    "kaguya/MIA_3C5_03_01351S791E0024SC_cropped.lbl": dict(
        uid="MI_L3C/MIA_3C5_03_01351S791E0024SC", vid="03", instrument="MI", mission="kaguya",
        processing_level="Derived", processing_level_native="L3C", lon_min=0.7578125,
        lon_max=3.89208984, lat_min=-79.40478516, lat_max=-78.81201172),
    "kaguya/3C5_label.pvl": dict(
        uid="MI_L3C/MIA_3C5_03_01351S791E0024SC", vid="3", mission="kaguya",
        processing_level="Derived", lon_min=0.7578125, lat_max=-78.81201172),
    "kaguya/TC_EVE_02_S09E000S12E003SC_kaguyaTC12bytesImage.lbl": dict(
        uid="TC_MAP/TC_EVE_02_S09E000S12E003SC", instrument="TC", mission="kaguya",
        processing_level="Derived", processing_level_native="MAP", lon_min=0.0, lon_max=2.99975586,
        lat_min=-11.99975586, lat_max=-9.0),
    "kaguya/bundle_kaguya_derived.xml": dict(
        uid="urn:nasa:pds:kaguya_grs_spectra::1.1", product_id="kaguya_grs_spectra", mission="kaguya",
        agency="JAXA", instrument="GRS", processing_level="Derived", label_format="PDS4",
        start_time=utc(2007, 12, 14, 4, 15, 35), stop_time=utc(2009, 5, 28, 7, 43, 22), lon_min=None),
    "kaguya/spectra_data_collection_inventory.xml": dict(
        uid="urn:nasa:pds:kaguya_grs_spectra:data_spectra::1.0", mission="kaguya", instrument="GRS",
        data_urls=["spectra_data_collection_inventory.csv"]),
    # ---- Chang'e-4, PDS4 (GRAS dialect) -------------------------------------------------------------
    "changee/CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_0316_A.2BL": dict(
        uid=f"{CE4_2B}::1.0", lid=CE4_2B, vid="1.0", product_id=CE4_2B, title="Chang'E 4(CE-4) mission",
        mission="change-4", agency="CNSA", instrument_host="CE4Ro", instrument="LPR", targets=["Moon"],
        target="Moon", processing_level="Calibrated", processing_level_native="2B",
        start_time=utc(2023, 12, 16, 7, 55, 54, 605000), stop_time=utc(2023, 12, 16, 8, 6, 40, 190000),
        lon_min=177.5991, lon_max=177.5991, lat_min=-45.4446, lat_max=-45.4446,
        data_urls=[CE4_2B], file_size=7966413, md5=None, label_format="PDS4"),
    "changee/CE4_GRAS_LPR-1_SCI_N_20231216075001_20231217065500_0316_A.2BL": dict(
        uid=f"{CE4_1}::1.0", mission="change-4", instrument="LPR", processing_level_native="2B",
        start_time=utc(2023, 12, 16, 7, 56, 0, 330000), lon_min=177.5991, lat_min=-45.4446,
        file_size=3321183, data_urls=[CE4_1]),
    # ---- LRO -------------------------------------------------------------------------------------
    "lro/M103595705LE_pds3.lbl": dict(
        uid="LRO-L-LROC-2-EDR-V1.0/M103595705LE", vid="v1.8", mission="lro", agency="NASA",
        instrument_host="LUNAR RECONNAISSANCE ORBITER", instrument="LROC", processing_level="Raw",
        processing_level_native="EDR", start_time=utc(2009, 7, 30, 12, 20, 38, 185000),
        md5=None, file_size=52225 * 5064,  # the IMAGE object's MD5_CHECKSUM is not the file's
        data_urls=["M103595705LE_pds3.lbl"], lon_min=None),
    "lro/nacl.lbl": dict(
        uid="LRO-L-LROC-2-EDR-V1.0/M114145549LE", mission="lro", instrument="LROC",
        processing_level="Raw", md5=None,
        start_time=utc(2009, 11, 29, 14, 51, 21, 968000)),
    "lro/wac0000a1c4_cropped.lbl": dict(
        uid="LRO-L-LROC-2-EDR-V1.0/M107638937CE", mission="lro", instrument="LROC", vid="v0.5",
        md5=None),
    "lro/observationImageLOriginalLabel.pvl": dict(
        uid="LRO-L-LROC-2-EDR-V1.0/M102128467LE", mission="lro", processing_level="Raw",
        md5=None, start_time=utc(2009, 7, 13, 12, 46, 40, 806000)),
    "lro/lend_rdr_dld_20240615.lbl": dict(
        uid="LRO-L-LEND-4/5-RDR-V1.0/LEND_RDR_DLD_20240615_DAT", vid="1.0", mission="lro",
        instrument="LEND", instrument_host="LUNAR RECONNAISSANCE ORBITER", processing_level="Derived",
        processing_level_native="RDR", start_time=utc(2024, 6, 15), stop_time=utc(2024, 6, 15, 23, 59, 59),
        data_urls=["LEND_RDR_DLD_20240615.DAT"], file_size=74898 * 239),
    "lro/lend_rdr_dld_20240615.xml": dict(
        uid="urn:nasa:pds:lro_lend:data_science_derived:lend_rdr_dld_20240615::1.0", mission="lro",
        instrument="LEND", processing_level="Derived", processing_level_native="RDR",
        start_time=utc(2024, 6, 15), stop_time=utc(2024, 6, 15, 23, 59, 59),
        data_urls=["lend_rdr_dld_20240615.dat", "lend_rdr_dld_20240615.lbl"]),
    "lro/M102600893LC_VALID.xml": dict(
        uid="urn:nasa:pds:lro-l-lroc-3-cdr:examples:nac.m102600893lc::2.0", product_id="nac.m102600893lc",
        mission="lro", instrument="LROC", instrument_host="LUNAR RECONNAISSANCE ORBITER",
        processing_level="Calibrated", processing_level_native="CDR",
        start_time=utc(2009, 7, 19, 0, 0, 26, 423000), stop_time=utc(2009, 7, 19, 0, 1, 17, 707000)),
    "lro/M102600893LE_VALID.xml": dict(
        mission="lro", instrument="LROC", processing_level="Partially Processed",
        processing_level_native="EDR"),
    "lro/M102601080CC_VALID.xml": dict(
        mission="lro", instrument="LROC", processing_level="Partially Processed",
        processing_level_native="CDR", start_time=utc(2009, 7, 19, 0, 3, 32, 538000)),
    "lro/M102601080CE_VALID.xml": dict(mission="lro", instrument="LROC", processing_level_native="EDR"),
    "lro/NAC_DTM_A12LMAS_VALID.xml": dict(
        mission="lro", instrument="LROC", processing_level="Derived", processing_level_native="RDR",
        instrument_host=None, start_time=utc(2017, 3, 10, 13, 57, 36)),
    "lro/AREA_Camelot_1radii.xml": dict(
        mission="lro", instrument="LROC", processing_level="Derived", start_time=None,
        instrument_host="Lunar Reconnaissance Orbiter", data_urls=["AREA_Camelot_1radii.csv"]),
    # ---- Chandrayaan-1 / -2 ------------------------------------------------------------------------
    "chandrayaan1/M3T20090630T083407_V03_L1B_cropped_pds3.lbl": dict(
        uid="CH1-ORB-L-M3-4-L1B-RADIANCE-V3.0/M3T20090630T083407_V03_RDN", mission="chandrayaan-1",
        agency="ISRO", instrument="M3", processing_level="Calibrated", processing_level_native="L1B",
        start_time=utc(2009, 6, 30, 8, 34, 7), stop_time=utc(2009, 6, 30, 8, 34, 36),
        data_urls=["M3T20090630T083407_V03_RDN_cropped.IMG", "M3T20090630T083407_V03_RDN.HDR",
                   "M3T20090630T083407_V03_LOC_cropped.IMG", "M3T20090630T083407_V03_LOC.HDR",
                   "M3T20090630T083407_V03_OBS_cropped.IMG", "M3T20090630T083407_V03_OBS.HDR",
                   "M3T20090630T083407_V03_TIM_cropped.TAB"]),
    "chandrayaan1/fsb_01500_rhk_xib_85s238_v1.lbl": dict(
        uid="CH1-ORB-L-MRFFR-1-PDR-V1.0/FSB_01500_RHK_XIB_85S238_V1", mission="chandrayaan-1",
        instrument="MRFFR", processing_level="Raw", processing_level_native="PDR",
        start_time=utc(2009, 3, 12, 14, 11, 25), data_urls=["FSB_01500_RHK_XIB_85S238_V1.CSV"],
        file_size=None),
    "chandrayaan1/m3g20081118_rdn_cal.xml": dict(
        uid="urn:nasa:pds:ch1_m3:document:m3g20081118_rdn_cal::1.0", mission="chandrayaan-1",
        instrument="M3", processing_level="Derived", start_time=utc(2008, 11, 18, 20, 23, 47)),
    "chandrayaan2/bundle_iir.xml": dict(
        uid="urn:isro:isda:ch2_cho.iir::1.0", mission="chandrayaan-2", agency="ISRO", instrument="IIRS",
        start_time=utc(2019, 12, 2), stop_time=utc(2024, 2, 13)),
    "chandrayaan2/ch2_iirs_cal_e1g2_lut_coeff.xml": dict(
        mission="chandrayaan-2", instrument="IIRS", md5="d4a46e697dea2e75bfa9d29cb6a1799a",
        file_size=1760220, data_urls=["ch2_iirs_cal_e1g2_lut_coeff.csv"]),
    "chandrayaan2/ch2_iirs_cal_e1g2_saturations_radiance.xml": dict(
        mission="chandrayaan-2", md5="1ff7ed1dcde87f6b80da2cd9e7a68654", file_size=6012,
        start_time=utc(2020, 12, 25)),
    "chandrayaan2/ch2_iirs_pds_dp_archive_sis.xml": dict(
        mission="chandrayaan-2", instrument="IIRS", targets=[], target=None, start_time=None),
    "chandrayaan2/ch2_sar_ncxs_20090107t163003745_d_sli_xx_fp_hh_pb1_19111.xml": dict(
        mission="chandrayaan-2", instrument="DFSAR", processing_level="Calibrated",
        md5="70f9aff5665e5bcc2efdb45f74f48bbc", file_size=276674, start_time=utc(2009, 1, 7)),
    "chandrayaan2/collection_calibration_inventory.xml": dict(
        uid="urn:isro:isda:ch2_cho.iir:calibration::1.0", mission="chandrayaan-2",
        start_time=utc(2020, 7, 20), stop_time=None, md5="935f7538c63a7cbee07c2646066dfc18"),
    "chandrayaan2/collection_document_inventory.xml": dict(mission="chandrayaan-2", file_size=73),
    "chandrayaan2/collection_miscellaneous_inventory.xml": dict(mission="chandrayaan-2", file_size=57),
    # ---- others ---------------------------------------------------------------------------------
    "apollo/a12_sws_1975124_l1_arcsav_yz_tab.xml": dict(
        mission="apollo-12", agency="NASA", instrument="SWS", instrument_host="Apollo 12 ALSEP",
        processing_level="Raw", start_time=utc(1975, 5, 3, 23, 59, 34, 892000), file_size=4140),
    "clps/PITMS_RAW_AUX.xml": dict(
        mission="clps", agency="NASA", instrument="PITMS", processing_level="Raw",
        start_time=utc(2024, 1, 9, 18, 36, 19), stop_time=utc(2024, 1, 15, 13, 24, 42)),
    "clps/bundle.xml": dict(uid="urn:nasa:pds:clps_to_2ab_pll.pitms::1.0", mission="clps"),
    "clps/collection.xml": dict(mission="clps", instrument="PITMS", processing_level="Raw"),
    "index/clementine_edr_index.xml": dict(
        uid="urn:nasa:pds:clementine:document:edr_index::1.0", mission="clementine", agency="NASA",
        instrument_host="CLEMENTINE 1", targets=["Moon"], processing_level="Derived"),
    "index/clementine_duplicate_edr_products.xml": dict(mission="clementine",
                                                        data_urls=["duplicate_edr_products.csv"]),
    "index/clementine_edr_metadata_index.xml": dict(mission="clementine",
                                                    start_time=utc(1994, 1, 27, 0, 20, 17, 417000)),
    "ladee/collection_uvs_data_raw.xml": dict(
        uid="urn:nasa:pds:ladee_uvs:raw::2.1", mission="ladee", agency="NASA", instrument="UVS",
        processing_level="Raw", start_time=utc(2013, 9, 14, 20, 10, 12, 493000)),
    "ladee/ladee_mission_bundle_SIP_4col_manifest_v1.0.xml": dict(mission="ladee", file_size=2418),
    "other/bmr1ls101.xml": dict(
        mission="relab-spectral-library", agency=None, targets=["LS-M1O-101"], target="LS-M1O-101",
        processing_level="Calibrated"),
}


def _check(record, expected, path):
    for field, value in expected.items():
        actual = getattr(record, field)
        if field == "data_urls":
            actual = [u.rsplit("/", 1)[-1] for u in actual]
        if isinstance(value, float):
            assert actual == pytest.approx(value, abs=1e-9), (path, field)
        else:
            assert actual == value, (path, field, actual)


@pytest.mark.parametrize("path", corpus_params(".lbl", ".pvl", ".xml", ".2bl", ".2cl"))
def test_corpus_label_normalizes_to_expected_values(path):
    relative = str(path.relative_to(CORPUS))
    assert relative in EXPECTED, f"add expectations for {relative}"
    record = af.normalize(af.read_label(path))
    _check(record, EXPECTED[relative], relative)
    # invariants that hold for every record
    assert record.label_url == str(path)
    assert record.archive == "local"
    assert record.label_format == ("PDS4" if path.suffix.lower() in (".xml", ".2bl") else "PDS3")
    assert all(u.startswith(str(path.parent)) for u in record.data_urls)
    for lo, la in ((record.lon_min, record.lat_min), (record.lon_max, record.lat_max)):
        assert (lo is None) == (la is None)
        if lo is not None:
            assert 0 <= lo <= 360 and -90 <= la <= 90 and not math.isnan(lo)
    if record.processing_level:
        assert record.processing_level in ("Telemetry", "Raw", "Partially Processed", "Calibrated",
                                           "Derived")
    assert json.loads(json.dumps(record.to_dict())) == record.to_dict()
    assert set(record.to_dict()) == set(FIELDS)
    assert af.ProductRecord.from_dict(record.to_dict()) == record


def test_every_expectation_has_a_corpus_file(corpus):
    missing = [name for name in EXPECTED if not (corpus / name).exists()]
    assert not missing
