"""PDS4 products: real corpus labels (with their real CSVs where the corpus has them, synthesized data
of the declared layout otherwise), checked against ``pds4_tools.read`` where it can read them and
against bytes decoded by hand with ``struct`` where it cannot (Chang'e-4 LPR)."""
from __future__ import annotations

import shutil
import struct
import warnings

import numpy as np
import pytest

import archive_fed as af
from archive_fed.products import ProductWarning
from tests.products.conftest import copy_label, corpus_file, lend_rows, rng

pds4_tools = pytest.importorskip("pds4_tools")


def pds4_read(label):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pds4_tools.read(str(label), quiet=True)


# ---- delimited tables with their real CSV files ------------------------------------------------------
def test_chandrayaan2_iirs_saturation_table(tmp_path):
    label = copy_label("chandrayaan2/ch2_iirs_cal_e1g2_saturations_radiance.xml", tmp_path)
    shutil.copyfile(corpus_file("chandrayaan2/ch2_iirs_cal_e1g2_saturations_radiance.csv"),
                    tmp_path / "ch2_iirs_cal_e1g2_saturations_radiance.csv")
    ds = af.open_product(label)
    reference = pds4_read(label)[0]
    assert list(ds.data_vars) == ["Band_Index", "Saturation", "Dynamic_Range"]
    assert ds.sizes["record"] == 256
    for name in ds.data_vars:
        np.testing.assert_array_equal(ds[name].values, reference[name])
    assert ds["Band_Index"].dtype.kind == "i"
    assert ds["Saturation"].attrs["units_label"] == "µW/cm**2/sr/µm"
    assert ds["Saturation"].attrs["units"] == "uW / (sr um cm2)"
    assert ds["Dynamic_Range"].attrs["units"] == "ct"
    assert ds.attrs["md5"] == "1ff7ed1dcde87f6b80da2cd9e7a68654"


def test_clps_pitms_aux_table_skips_its_header_by_offset(tmp_path):
    label = copy_label("clps/PITMS_RAW_AUX.xml", tmp_path)
    shutil.copyfile(corpus_file("clps/PITMS_RAW_AUX.csv"), tmp_path / "PITMS_RAW_AUX.csv")
    ds = af.open_product(label)
    reference = pds4_read(label)[0]
    assert len(ds.data_vars) == 19 and ds.sizes["record"] == 1
    assert ds["TIME"].values[0] == np.datetime64("2024-01-09T18:36:19")
    for name in ds.data_vars:
        if name == "TIME":
            assert reference[name][0] == "2024-01-09T18:36:19Z"
            continue
        np.testing.assert_array_equal(ds[name].values, reference[name])
    assert int(ds["OPERATING_FREQUENCY"][0]) == 592000
    assert float(ds["DAC_SCALING_INTERCEPT"][0]) == 886.992493


# ---- fixed-width character table with nested groups --------------------------------------------------
def _sws_record(generator) -> bytes:
    record = bytearray(b" " * 1378 + b"\r\n")
    record[0:21] = b"1975-124T00:00:01.234"
    record[22:23] = b"G"
    record[25:29] = f"{generator.integers(0, 9999):4d}".encode()
    record[30:32] = f"{generator.integers(0, 99):2d}".encode()
    record[33:34] = b"Q"
    for level in range(14):
        base = 34 + level * 64
        record[base + 3:base + 6] = f"{generator.integers(0, 999):3d}".encode()
        record[base + 7:base + 8] = b"ABCDEFGHIJKLMN"[level:level + 1]
        for cup in range(7):
            at = base + 8 + cup * 8
            record[at + 3:at + 6] = f"{generator.integers(0, 999):3d}".encode()
            record[at + 7:at + 8] = b"xyzuvwt"[cup:cup + 1]
    return bytes(record)


def test_apollo_sws_character_table_with_nested_groups(tmp_path):
    label = copy_label("apollo/a12_sws_1975124_l1_arcsav_yz_tab.xml", tmp_path)
    generator = rng(20)
    (tmp_path / "b.tab").write_bytes(b"".join(_sws_record(generator) for _ in range(3)))
    ds = af.open_product(label)
    reference = pds4_read(label)[0]
    assert ds["PosIonSumLev1to14"].dims == ("record", "PosIonLevels1to14_Group")
    assert ds["PosIonCups1to7"].dims == ("record", "PosIonLevels1to14_Group", "PosIonCups1to7_Group")
    assert ds["PosIonCups1to7"].shape == (3, 14, 7)
    for name in ("CycleNum", "SeqNum", "PosIonSumLev1to14", "PosIonCups1to7"):
        np.testing.assert_array_equal(ds[name].values, np.asarray(reference[name]))
    for name in ("EarthReceivedTime", "PosIonSumLev1to14_Flag", "PosIonCups1to7_Flag"):
        np.testing.assert_array_equal(ds[name].values, np.asarray(reference[name]).astype(str))
    assert ds["PosIonCups1to7_Flag"].values[0, 3, 2] == "z"
    assert ds["CycleNum"].attrs["units"] == "ms"


# ---- Chang'e-4 LPR: byte-typed multi-byte fields, mixed byte orders ----------------------------------
LPR = "changee/CE4_GRAS_LPR-1_SCI_N_20231216075001_20231217065500_0316_A.2BL"


@pytest.fixture
def lpr(tmp_path):
    label = copy_label(LPR, tmp_path)
    records, length = 101, 32883
    data = bytearray(rng(21).integers(0, 256, size=records * length, dtype=np.uint8).tobytes())
    for r in range(records):   # plausible floats where the label says floats
        base = r * length
        struct.pack_into(">13f", data, base + 10, *(np.arange(13, dtype=np.float32) * 0.5 + r))
        struct.pack_into("<3H", data, base + 107, 4096 + r, r, 2 * r)
        struct.pack_into("<8192f", data, base + 114, *np.linspace(-1, 1, 8192, dtype=np.float32) * (r + 1))
    (tmp_path / "CE4_GRAS_LPR-1_SCI_N_20231216075001_20231217065500_0316_A.2B").write_bytes(data)
    return label, bytes(data)


def test_change4_lpr_byte_vectors_and_mixed_byte_orders(lpr):
    label, data = lpr
    with pytest.warns(ProductWarning, match="FRAME_IDENTIFICATION, TIME, DataParameter1, DataParameter2"):
        ds = af.open_product(label)
    assert ds["FRAME_IDENTIFICATION"].dims == ("record", "FRAME_IDENTIFICATION_byte")
    assert ds["DataParameter2"].shape == (101, 28) and ds["DataParameter2"].dtype == np.uint8
    assert ds["ECHO_DATA"].dims == ("record", "ECHO_DATA_index") and ds["ECHO_DATA"].shape == (101, 8192)
    length = 32883
    for r in (0, 57, 100):
        record = data[r * length:(r + 1) * length]
        assert bytes(ds["FRAME_IDENTIFICATION"][r].values) == record[0:4]
        assert bytes(ds["TIME"][r].values) == record[4:10]
        assert float(ds["VELOCITY"][r]) == struct.unpack(">f", record[10:14])[0]            # MSB float
        assert float(ds["REFERENCE_POINT_ATT_YAWING"][r]) == struct.unpack(">f", record[58:62])[0]
        assert int(ds["RADAR_WORKING_MODE"][r]) == record[73]
        assert int(ds["VALID_DATA_LENGTH"][r]) == struct.unpack("<H", record[107:109])[0]  # LSB int
        assert int(ds["CHANNEL_2_RECORD_COUNT"][r]) == 2 * r
        echo = struct.unpack("<8192f", record[114:114 + 32768])                              # LSB float
        np.testing.assert_array_equal(ds["ECHO_DATA"][r].values, np.array(echo, dtype=np.float32))
        assert int(ds["QUALITY_STATE"][r]) == record[32882]
    assert ds["VELOCITY"].attrs["units"] == "m / s"
    assert "units" not in ds["QUALITY_STATE"].attrs                                      # <unit>none</unit>


def test_change4_lpr_echo_slice_reads_only_that_slice(lpr):
    from tests.products.conftest import backend_array

    label, _ = lpr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProductWarning)
        ds = af.open_product(label)
    echo = ds["ECHO_DATA"]
    assert backend_array(echo).source.bytes_read == 0
    window = echo[10:12, 100:200].values
    assert window.shape == (2, 100)
    assert backend_array(echo).source.bytes_read == 2 * 100 * 4


# ---- binary table with groups: the LEND PDS4 twin ----------------------------------------------------
def test_lend_pds4_binary_table_against_pds4_tools(tmp_path):
    label = copy_label("lro/lend_rdr_dld_20240615.xml", tmp_path)
    lend_rows(1).tofile(tmp_path / "lend_rdr_dld_20240615.dat")
    ds = af.open_product(label)
    reference = pds4_read(label)[0]
    assert ds["SHEN_COUNTS"].dims == ("record", "SHEN_COUNTS_index")
    assert ds["SHEN_BCGD"].dims == ("record", "SHEN_BCGD_index")
    for full_name in reference.data.dtype.names:
        name = full_name.rsplit(", ", 1)[-1]     # pds4_tools calls group fields "GROUP_0, SHEN_BCGD"
        expected = np.asarray(reference[full_name])
        if expected.dtype.kind in "SU":
            expected = np.char.strip(expected.astype(str))
        np.testing.assert_array_equal(ds[name].values, expected, err_msg=name)
    assert ds["LRO_TIME"].dtype == np.uint64


# ---- arrays ------------------------------------------------------------------------------------------
def test_chandrayaan2_sar_complex_image_against_pds4_tools(tmp_path):
    label = copy_label("chandrayaan2/ch2_sar_ncxs_20090107t163003745_d_sli_xx_fp_hh_pb1_19111.xml", tmp_path)
    generator = rng(22)
    image = (generator.normal(size=(50, 676)) + 1j * generator.normal(size=(50, 676))).astype("<c8")
    (tmp_path / "ch2_sar_ncxs_20090107t163003745_d_sli_xx_fp_hh_pb1_19111.tiff").write_bytes(
        bytes(4386) + image.tobytes())
    ds = af.open_product(label)
    array = ds["Array_2D_Image"]
    assert array.dims == ("line", "sample") and array.dtype == np.complex64
    np.testing.assert_array_equal(array.values, image)
    np.testing.assert_array_equal(array.values, pds4_read(label)[0].data)


ARRAY_LABEL = """<?xml version="1.0" encoding="UTF-8"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area>
    <logical_identifier>urn:nasa:pds:test_bundle:data:cube_{tag}</logical_identifier>
    <version_id>1.0</version_id>
    <title>Synthetic spectral cube</title>
    <information_model_version>1.21.0.0</information_model_version>
    <product_class>Product_Observational</product_class>
  </Identification_Area>
  <Observation_Area>
    <Time_Coordinates><start_date_time>2020-01-01T00:00:00Z</start_date_time>
      <stop_date_time>2020-01-01T00:01:00Z</stop_date_time></Time_Coordinates>
    <Investigation_Area><name>Lunar Reconnaissance Orbiter</name><type>Mission</type></Investigation_Area>
    <Observing_System><Observing_System_Component><name>LRO</name><type>Host</type>
      </Observing_System_Component></Observing_System>
    <Target_Identification><name>Moon</name><type>Satellite</type></Target_Identification>
  </Observation_Area>
  <File_Area_Observational>
    <File><file_name>cube_{tag}.dat</file_name></File>
    <Array_3D_Spectrum>
      <name>radiance</name>
      <offset unit="byte">{offset}</offset>
      <axes>3</axes>
      <axis_index_order>Last Index Fastest</axis_index_order>
      <Element_Array>
        <data_type>{data_type}</data_type>
        <unit>W/m**2/sr/nm</unit>
        <scaling_factor>0.5</scaling_factor>
        <value_offset>10</value_offset>
      </Element_Array>
      <Axis_Array><axis_name>Band</axis_name><elements>4</elements><sequence_number>1</sequence_number></Axis_Array>
      <Axis_Array><axis_name>Line</axis_name><elements>6</elements><sequence_number>2</sequence_number></Axis_Array>
      <Axis_Array><axis_name>Sample</axis_name><elements>7</elements><sequence_number>3</sequence_number></Axis_Array>
      <Special_Constants>
        <missing_constant>{missing}</missing_constant>
        <saturated_constant>{saturated}</saturated_constant>
      </Special_Constants>
    </Array_3D_Spectrum>
    <Array_2D_Image>
      <local_identifier>quality</local_identifier>
      <offset unit="byte">{offset2}</offset>
      <axes>2</axes>
      <axis_index_order>Last Index Fastest</axis_index_order>
      <Element_Array><data_type>UnsignedByte</data_type></Element_Array>
      <Axis_Array><axis_name>Line</axis_name><elements>6</elements><sequence_number>1</sequence_number></Axis_Array>
      <Axis_Array><axis_name>Sample</axis_name><elements>7</elements><sequence_number>2</sequence_number></Axis_Array>
    </Array_2D_Image>
  </File_Area_Observational>
</Product_Observational>
"""


@pytest.mark.parametrize("data_type, dtype, missing, saturated", [
    ("SignedMSB2", ">i2", "-32768", "32767"), ("UnsignedLSB4", "<u4", "0", "4294967295"),
    ("IEEE754MSBDouble", ">f8", "-1.0E32", "1.0E32"), ("IEEE754LSBSingle", "<f4", "-3.4028226550889045e+38",
                                                          "0x7F7FFFFB"),
])
def test_pds4_arrays_against_pds4_tools(tmp_path, data_type, dtype, missing, saturated):
    tag = data_type.lower()
    offset, offset2 = 512, 512 + 4 * 6 * 7 * np.dtype(dtype).itemsize
    (tmp_path / f"cube_{tag}.xml").write_text(ARRAY_LABEL.format(
        tag=tag, offset=offset, offset2=offset2, data_type=data_type, missing=missing, saturated=saturated))
    cube = rng(23).integers(1, 200, size=(4, 6, 7)).astype(dtype)
    if dtype.endswith("f4"):
        cube.view("<u4")[1, 2, 3] = 0x7F7FFFFB
        cube[0, 0, 0] = np.float32(-3.4028226550889045e+38)
    else:
        cube[0, 0, 0] = np.asarray(float(missing)).astype(dtype)
        cube[1, 2, 3] = np.asarray(float(saturated)).astype(dtype)
    quality = rng(24).integers(0, 256, size=(6, 7)).astype(np.uint8)
    (tmp_path / f"cube_{tag}.dat").write_bytes(bytes(offset) + cube.tobytes() + quality.tobytes())
    ds = af.open_product(tmp_path / f"cube_{tag}.xml")
    radiance = ds["radiance"]
    assert radiance.dims == ("band", "line", "sample")
    assert radiance.attrs["units_label"] == "W/m**2/sr/nm"
    reference = pds4_read(tmp_path / f"cube_{tag}.xml")
    # pds4_tools scales every value but leaves special constants unscaled and unmasked: mask them here
    expected = np.asarray(reference[0].data, dtype=np.float64).copy()
    expected[0, 0, 0] = expected[1, 2, 3] = np.nan
    np.testing.assert_allclose(radiance.values, expected, rtol=1e-6, equal_nan=True)
    assert np.isnan(radiance.values[0, 0, 0]) and np.isnan(radiance.values[1, 2, 3])
    assert np.isnan(radiance.values).sum() == 2
    np.testing.assert_array_equal(ds["quality"].values, reference[1].data)
    raw = af.open_product(tmp_path / f"cube_{tag}.xml", mask_and_scale=False)["radiance"]
    assert raw.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(raw.values, cube)
    assert raw.attrs["scale_factor"] == 0.5 and raw.attrs["add_offset"] == 10.0


def test_first_index_fastest_arrays(tmp_path):
    text = ARRAY_LABEL.format(tag="fif", offset=0, offset2=4 * 6 * 7 * 2, data_type="SignedLSB2",
                              missing="-1", saturated="-2")
    (tmp_path / "cube_fif.xml").write_text(text.replace("Last Index Fastest", "First Index Fastest", 1))
    cube = np.arange(4 * 6 * 7, dtype="<i2").reshape(4, 6, 7)
    (tmp_path / "cube_fif.dat").write_bytes(cube.T.tobytes() + bytes(42))   # band varies fastest on disk
    values = af.open_product(tmp_path / "cube_fif.xml", mask_and_scale=False)["radiance"].values
    np.testing.assert_array_equal(values, cube)


def test_collection_inventory_is_a_delimited_table(tmp_path):
    label = copy_label("kaguya/spectra_data_collection_inventory.xml", tmp_path)
    shutil.copyfile(corpus_file("kaguya/spectra_data_collection_inventory.csv"),
                    tmp_path / "spectra_data_collection_inventory.csv")
    ds = af.open_product(label)
    reference = pds4_read(label)[0]
    assert list(ds.data_vars) == ["Member_Status", "LIDVID_LID"]    # the field is named "Member Status"
    for name, field in (("Member_Status", "Member Status"), ("LIDVID_LID", "LIDVID_LID")):
        np.testing.assert_array_equal(ds[name].values, np.asarray(reference[field]).astype(str))


def test_delimited_groups(tmp_path):
    text = (corpus_file("chandrayaan2/ch2_iirs_cal_e1g2_saturations_radiance.xml").read_text()
            .replace("<fields>3</fields>", "<fields>1</fields>").replace("<groups>0</groups>", "<groups>1</groups>"))
    start, stop = text.index("<Field_Delimited>\n                    <name>Saturation"), text.index(
        "</Record_Delimited>")
    group = ("<Group_Field_Delimited><name>gain</name><repetitions>2</repetitions><fields>2</fields>"
             "<groups>0</groups>" + text[start:stop] + "</Group_Field_Delimited>\n")
    (tmp_path / "g.xml").write_text(text[:start] + group + text[stop:])
    (tmp_path / "ch2_iirs_cal_e1g2_saturations_radiance.csv").write_text(
        "".join(f"{i},{i}.5,{i + 100},{i}.25,{i + 200}\r\n" for i in range(256)), newline="")
    ds = af.open_product(tmp_path / "g.xml")
    reference = pds4_read(tmp_path / "g.xml")[0]
    assert ds["Saturation"].dims == ("record", "gain") and ds["Saturation"].shape == (256, 2)
    np.testing.assert_array_equal(ds["Saturation"].values[3], [3.5, 3.25])
    np.testing.assert_array_equal(ds["Dynamic_Range"].values, np.asarray(reference["gain, Dynamic_Range"]))
