"""PDS3 products: real corpus labels next to synthesized data of exactly the declared layout, checked
against values computed by hand with numpy."""
from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

import archive_fed as af
from archive_fed.errors import ProductError
from archive_fed.products import ProductWarning
from tests.products.conftest import copy_label, lend_fmt, lend_rows, rng, write_attached


# ---- Kaguya TC 2B0: detached image, INVALID_VALUE list, scaling --------------------------------------
@pytest.fixture
def kaguya_tc(tmp_path):
    label = copy_label("kaguya/TC1S2B0_01_00811N526E0443_mini.lbl", tmp_path)
    raw = rng(1).integers(0, 32767, size=(3, 1744)).astype(">i2")
    raw[0, :4] = [-20000, -21000, -22000, -23000]
    raw[2, -1] = -23000
    raw.tofile(tmp_path / "TC1S2B0_01_00811N526E0443_mini.img")
    return label, raw


def test_kaguya_tc_detached_scaled_and_masked(kaguya_tc):
    label, raw = kaguya_tc
    ds = af.open_product(label)
    image = ds["IMAGE"]
    assert image.dims == ("line", "sample") and image.shape == (3, 1744)
    assert image.dtype == np.float32
    expected = raw.astype(np.float32) * np.float32(0.013)
    expected[np.isin(raw, [-20000, -21000, -22000, -23000])] = np.nan
    np.testing.assert_array_equal(image.values, expected)
    assert int(np.isnan(image.values).sum()) == 5
    assert image.attrs["units"] == "W / (micron sr m2)"
    assert image.attrs["units_label"] == "W/m**2/micron/sr"
    assert ds.attrs["product_id"] == "TC1S2B0_01_00811N526E0443"
    assert ds.attrs["label_url"] == str(label)
    assert ds.attrs["mission"] == "kaguya"


def test_kaguya_tc_raw_values_keep_packing_in_attrs(kaguya_tc):
    label, raw = kaguya_tc
    ds = af.open_product(label, mask_and_scale=False)
    image = ds["IMAGE"]
    assert image.dtype == np.int16
    np.testing.assert_array_equal(image.values, raw.astype(np.int16))
    assert image.attrs["scale_factor"] == 0.013
    assert list(image.attrs["missing_value"]) == [-20000, -21000, -22000, -23000]
    # the raw attrs are CF: xarray's own decoder gives the same values as mask_and_scale=True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import xarray as xr
        decoded = xr.decode_cf(ds)
    np.testing.assert_allclose(decoded["IMAGE"].values, af.open_product(label)["IMAGE"].values,
                               rtol=1e-6, equal_nan=True)


def test_product_record_opens_through_label_url(kaguya_tc):
    label, raw = kaguya_tc
    record = af.normalize(af.read_label(label))
    ds = af.open_product(record, mask_and_scale=False)
    np.testing.assert_array_equal(ds["IMAGE"].values[1], raw[1])


# ---- Kaguya MI-VIS: attached label, two bands ---------------------------------------------------------
def test_kaguya_mi_vis_attached_multiband(tmp_path):
    # The ISIS-cropped label's pointer (6587) predates USGS's rewrite of the label (6588 bytes): it is
    # moved just past END, same width, so the label bytes are followed by the data as in a real .img.
    label = copy_label("kaguya/MVA_2B2_01_04192S119E3572_vis_cropped.lbl", tmp_path, name="vis.lbl",
                       replace={"= 6587 <BYTES>": "= 6589 <BYTES>"})
    raw = rng(2).integers(-100, 30000, size=(2, 20, 962)).astype(">i2")
    raw[1, 19, 961] = -21000
    path = write_attached(label, tmp_path / "MVA_vis.img", {6588: raw.tobytes()})
    ds = af.open_product(path)
    image = ds["IMAGE"]
    assert image.dims == ("band", "line", "sample") and image.shape == (2, 20, 962)
    np.testing.assert_allclose(image.values[0], raw[0] * np.float32(0.013), rtol=1e-7)
    assert np.isnan(image.values[1, 19, 961])
    # 5 centre wavelengths for 2 bands in this cropped label: no wavelength coordinate is invented,
    # the label's list is kept in the attributes
    assert "wavelength" not in ds.coords
    assert image.attrs["center_filter_wavelength"] == [414.0, 749.0, 901.0, 950.0, 1001.0]
    assert image.attrs["center_filter_wavelength_units"] == "nm"


def test_kaguya_mi_vis_detached_wavelength_coordinate(tmp_path):
    label = copy_label("kaguya/MVA_2B2_01_02329N002E0302_pds3.lbl", tmp_path)
    raw = rng(3).integers(0, 30000, size=(5, 960, 962)).astype(">i2")
    raw.tofile(tmp_path / "MVA_2B2_01_02329N002E0302.img")
    ds = af.open_product(label, mask_and_scale=False)
    assert list(ds["wavelength"].values) == [414.0, 749.0, 901.0, 950.0, 1001.0]
    assert ds["wavelength"].attrs["units"] == "nm"
    np.testing.assert_array_equal(ds["IMAGE"].sel(band=ds["wavelength"] == 950.0).values[0], raw[3])


# ---- Kaguya MI_MAP: attached, two objects of different shapes, map coordinates -----------------------
@pytest.fixture
def mi_map(tmp_path):
    label = copy_label("kaguya/MI_MAP_02_N65E328N64E329SC_cropped.lbl", tmp_path)
    image = rng(4).integers(0, 32767, size=(9, 5, 5)).astype(">i2")
    image[0, 0, 0] = -30000  # OUT_OF_IMAGE_BOUNDS_VALUE
    image[8, 4, 4] = -20000
    altitude = rng(5).normal(-2.0, 0.5, size=(2048, 2048)).astype(">f4")
    path = write_attached(label, tmp_path / "MI_MAP_02_N65E328N64E329SC.img",
                          {15768: image.tobytes(), 19799: altitude.tobytes()})
    return path, image, altitude


def test_kaguya_mi_map_two_objects(mi_map):
    path, image, altitude = mi_map
    ds = af.open_product(path)
    assert list(ds.data_vars) == ["GEOMETRIC_DATA_ALTITUDE", "IMAGE"]
    assert ds["IMAGE"].dims == ("band", "line", "sample")
    assert ds["GEOMETRIC_DATA_ALTITUDE"].dims == ("line_geometric_data_altitude",
                                                  "sample_geometric_data_altitude")
    np.testing.assert_array_equal(ds["GEOMETRIC_DATA_ALTITUDE"][100:110, 7].values, altitude[100:110, 7])
    assert ds["GEOMETRIC_DATA_ALTITUDE"].attrs["units"] == "km"
    expected = image.astype(np.float32) * np.float32(2e-5)
    expected[0, 0, 0] = expected[8, 4, 4] = np.nan
    np.testing.assert_array_equal(ds["IMAGE"].values, expected)
    assert ds["IMAGE"].attrs["units"] == "1" and ds["IMAGE"].attrs["units_label"] == "ND"
    assert list(ds["wavelength"].values) == [414.0, 749.0, 901.0, 950.0, 1001.0, 1000.0, 1049.0, 1248.0,
                                             1548.0]


def test_kaguya_mi_map_lat_lon(mi_map):
    path, _, _ = mi_map
    ds = af.open_product(path)
    # Simple Cylindrical, 2048 px/deg, first pixel on MAXIMUM_LATITUDE 65 / WESTERNMOST_LONGITUDE 328
    np.testing.assert_allclose(ds["lat"].values, 65.0 - np.arange(5) / 2048.0)
    np.testing.assert_allclose(ds["lon"].values, 328.0 + np.arange(5) / 2048.0)
    assert ds["lat"].dims == ("line",) and ds["lon"].dims == ("sample",)
    big_lat = ds["lat_geometric_data_altitude"].values
    assert big_lat.shape == (2048,)
    np.testing.assert_allclose([big_lat[0], big_lat[-1]], [65.0, 64.00048828], atol=1e-8)
    np.testing.assert_allclose(ds["lon_geometric_data_altitude"].values[-1], 328.99951172, atol=1e-8)


# ---- LRO NAC EDR: record pointer ----------------------------------------------------------------------
def test_lro_nac_record_pointer(tmp_path):
    label = corpus_label = copy_label("lro/M103595705LE_pds3.lbl", tmp_path, name="nac.lbl")
    raw = rng(6).integers(0, 256, size=(400, 5064)).astype(np.uint8)
    # ^IMAGE = 2 with RECORD_BYTES = 5064: the image starts at byte 5064 of the file
    path = write_attached(corpus_label, tmp_path / "M103595705LE.IMG", {5064: raw.tobytes()}, pad_to=5064)
    del label
    ds = af.open_product(path)
    assert ds["IMAGE"].dtype == np.uint8  # 8-bit LSB_INTEGER read unsigned (0-255 counts)
    np.testing.assert_array_equal(ds["IMAGE"].values, raw)
    assert ds["IMAGE"].attrs["units"] == "RAW_INSTRUMENT_COUNT"


def test_line_prefix_and_suffix_bytes_are_skipped(tmp_path):
    # the NAC label with 16 prefix and 4 suffix bytes per line (as in LROC WAC/Clementine EDRs)
    label = copy_label("lro/M103595705LE_pds3.lbl", tmp_path, name="nac.lbl", replace={
        "RECORD_BYTES                       = 5064": "RECORD_BYTES                       = 5084",
        "LINES                          = 400": "LINES = 400\r\n    LINE_PREFIX_BYTES = 16\r\n"
                                                "    LINE_SUFFIX_BYTES = 4"})
    raw = rng(7).integers(0, 256, size=(400, 5084)).astype(np.uint8)
    path = write_attached(label, tmp_path / "nac.img", {5084: raw.tobytes()}, pad_to=5084)
    ds = af.open_product(path)
    np.testing.assert_array_equal(ds["IMAGE"].values, raw[:, 16:16 + 5064])


def test_pointer_inside_the_label_warns(tmp_path):
    label = copy_label("lro/nacl.lbl", tmp_path)
    path = write_attached(label, tmp_path / "nacl.img", {3650: bytes(10 * 5064)})
    with pytest.warns(ProductWarning, match="inside the label"):
        af.open_product(path)


# ---- M3 L1B: several files, line-interleaved, band names, an ASCII time table ------------------------
@pytest.fixture
def m3(tmp_path):
    label = copy_label("chandrayaan1/M3T20090630T083407_V03_L1B_cropped_pds3.lbl", tmp_path)
    rdn = rng(8).random((5, 3, 608)).astype("<f4")        # BIL on disk: line, band, sample
    loc = rng(9).random((5, 3, 608)).astype("<f8")
    obs = rng(10).random((5, 10, 608)).astype("<f4")
    rdn.tofile(tmp_path / "M3T20090630T083407_V03_RDN_cropped.IMG")
    loc.tofile(tmp_path / "m3t20090630t083407_v03_loc_cropped.img")   # lower case on disk
    obs.tofile(tmp_path / "M3T20090630T083407_V03_OBS_cropped.IMG")
    rows = [f"{i + 1:6d} 2009-06-30T08:34:{7 + i:02d}.{i:06d} 2009 {181.357 + i * 1e-5:16.12f}\r\n"
            for i in range(5)]
    assert all(len(r) == 57 for r in rows)
    (tmp_path / "M3T20090630T083407_V03_TIM_cropped.TAB").write_text("".join(rows), newline="")
    return label, rdn, loc, obs


def test_m3_several_files(m3):
    label, rdn, loc, obs = m3
    ds = af.open_product(label)
    assert ds["RDN_IMAGE"].dims == ("band", "line", "sample")
    np.testing.assert_array_equal(ds["RDN_IMAGE"].values, rdn.transpose(1, 0, 2))
    np.testing.assert_array_equal(ds["LOC_IMAGE"].values, loc.transpose(1, 0, 2))
    np.testing.assert_array_equal(ds["OBS_IMAGE"].values, obs.transpose(1, 0, 2))
    assert ds["RDN_IMAGE"].attrs["units_label"] == "W/(m^2 um sr)"
    # LOC's bands are named, RDN's are not: they do not share a band dimension
    loc_band = ds["LOC_IMAGE"].dims[0]
    assert loc_band != "band"
    assert list(ds[ds["LOC_IMAGE"].dims[0]].coords[f"band_name_{loc_band[5:]}"].values) == \
        ["Longitude", "Latitude", "Radius"]
    assert ds["OBS_IMAGE"].sizes[ds["OBS_IMAGE"].dims[0]] == 10
    times = ds["UTC_TIME"].values
    assert times.dtype == np.dtype("datetime64[ns]")
    assert times[2] == np.datetime64("2009-06-30T08:34:09.000002")
    np.testing.assert_array_equal(ds["LINE_NUMBER"].values, [1, 2, 3, 4, 5])
    assert list(ds["YEAR"].values) == ["2009"] * 5      # CHARACTER column stays text
    assert ds["UTC_TIME"].dims == ("record",)


# ---- LRO LEND: binary TABLE described by a ^STRUCTURE format file -------------------------------------
def test_lend_binary_table_with_structure_file(tmp_path):
    label = copy_label("lro/lend_rdr_dld_20240615.lbl", tmp_path)
    (tmp_path / "LEND_RDR_DLD.FMT").write_text(lend_fmt(), newline="")
    table = lend_rows(74898)
    table.tofile(tmp_path / "LEND_RDR_DLD_20240615.DAT")
    ds = af.open_product(label)
    assert len(ds.data_vars) == 27
    assert ds["LRO_TIME"].dtype == np.uint64 and ds["LRO_TIME"].dims == ("record",)
    np.testing.assert_array_equal(ds["LRO_TIME"].values, table["LRO_TIME"])
    assert ds["UTC"].values[61] == "2024-06-15T00:00:01.000"
    np.testing.assert_array_equal(ds["LUNARCENTRIC_LATITUDE"].values, table["LUNARCENTRIC_LATITUDE"])
    assert ds["SHEN_COUNTS"].dims == ("record", "SHEN_COUNTS_item")
    np.testing.assert_array_equal(ds["SHEN_COUNTS"][1000:1003].values, table["SHEN_COUNTS"][1000:1003])
    assert np.isnan(ds["STN1_COUNTS"].values[3]) and ds["STN1_COUNTS"].attrs["units"] == "ct"
    raw = af.open_product(label, mask_and_scale=False)
    assert raw["STN1_COUNTS"].values[3] == -1.0
    # hand-decoded bytes of record 5
    blob = (tmp_path / "LEND_RDR_DLD_20240615.DAT").read_bytes()[5 * 239:6 * 239]
    assert struct.unpack(">Q", blob[0:8])[0] == int(ds["LRO_TIME"][5])
    assert struct.unpack(">f", blob[33:37])[0] == float(ds["LUNARCENTRIC_LATITUDE"][5])
    assert struct.unpack(">16f", blob[173:237]) == tuple(float(x) for x in ds["SHEN_COUNTS"][5].values)


def test_missing_structure_file_is_a_clear_error(tmp_path):
    label = copy_label("lro/lend_rdr_dld_20240615.lbl", tmp_path)
    (tmp_path / "LEND_RDR_DLD_20240615.DAT").write_bytes(b"")
    with pytest.raises(ProductError, match="LEND_RDR_DLD.FMT"):
        af.open_product(label)


# ---- Chandrayaan-1 Mini-RF: delimited SPREADSHEET ----------------------------------------------------
def test_mini_rf_spreadsheet_csv(tmp_path):
    label = copy_label("chandrayaan1/fsb_01500_rhk_xib_85s238_v1.lbl", tmp_path)
    rows = [("Record Sequence Count", str(i), "") if i % 9 == 0 else (f"MRF-Point-{i % 9}", f"{i * 0.5}", "V")
            for i in range(116)]
    text = "".join(f'"{a}",{b},"{c}"\r\n' for a, b, c in rows)
    (tmp_path / "fsb_01500_rhk_xib_85s238_v1.csv").write_text(text, newline="")  # lower case on disk
    ds = af.open_product(label)
    assert list(ds.data_vars) == ["POINT_NAME", "VALUE", "UNITS"]
    assert ds.sizes["record"] == 116
    assert ds["POINT_NAME"].values[9] == "Record Sequence Count"
    assert ds["VALUE"].values[10] == "5.0" and ds["UNITS"].values[10] == "V"


# ---- every SAMPLE_TYPE, band storage orders ----------------------------------------------------------
def _vax_f(values: np.ndarray) -> bytes:
    out = bytearray()
    for v in values.astype(np.float64).ravel():
        ieee = struct.unpack(">I", struct.pack(">f", float(v) * 4.0))[0] if v else 0
        out += struct.pack("<HH", ieee >> 16, ieee & 0xFFFF)
    return bytes(out)


@pytest.mark.parametrize("sample_type, bits, dtype", [
    ("MSB_INTEGER", 16, ">i2"), ("LSB_INTEGER", 16, "<i2"), ("MSB_UNSIGNED_INTEGER", 16, ">u2"),
    ("LSB_UNSIGNED_INTEGER", 32, "<u4"), ("UNSIGNED_INTEGER", 8, "u1"), ("PC_INTEGER", 32, "<i4"),
    ("SUN_INTEGER", 64, ">i8"), ("VAX_INTEGER", 16, "<i2"), ("IEEE_REAL", 32, ">f4"),
    ("IEEE_REAL", 64, ">f8"), ("PC_REAL", 32, "<f4"), ("PC_REAL", 64, "<f8"), ("MAC_REAL", 32, ">f4"),
    ("VAX_UNSIGNED_INTEGER", 32, "<u4"), ("VAX_REAL", 32, "vax"),
])
def test_sample_types(tmp_path, sample_type, bits, dtype):
    values = np.arange(-6, 6, dtype=np.float64).reshape(3, 4) * 3 + 1
    if dtype.lstrip("<>").startswith("u"):
        values = np.abs(values)
    data = _vax_f(values) if dtype == "vax" else values.astype(dtype).tobytes()
    (tmp_path / "x.img").write_bytes(data)
    (tmp_path / "x.lbl").write_text(
        f'PDS_VERSION_ID = PDS3\r\n^IMAGE = "X.IMG"\r\nOBJECT = IMAGE\r\n LINES = 3\r\n LINE_SAMPLES = 4\r\n'
        f" SAMPLE_TYPE = {sample_type}\r\n SAMPLE_BITS = {bits}\r\nEND_OBJECT = IMAGE\r\nEND\r\n")
    ds = af.open_product(tmp_path / "x.lbl")
    np.testing.assert_array_equal(ds["IMAGE"].values, values)
    assert ds["IMAGE"].dtype.isnative


@pytest.mark.parametrize("storage, order", [("BAND_SEQUENTIAL", (0, 1, 2)), ("LINE_INTERLEAVED", (1, 0, 2)),
                                            ("SAMPLE_INTERLEAVED", (1, 2, 0))])
def test_band_storage_types(tmp_path, storage, order):
    cube = np.arange(3 * 4 * 5, dtype=">u2").reshape(3, 4, 5)   # band, line, sample
    cube.transpose(order).tofile(tmp_path / "c.img")
    (tmp_path / "c.lbl").write_text(
        '^IMAGE = ("C.IMG", 1 <BYTES>)\nOBJECT = IMAGE\n BANDS = 3\n LINES = 4\n LINE_SAMPLES = 5\n'
        f" BAND_STORAGE_TYPE = {storage}\n SAMPLE_TYPE = MSB_UNSIGNED_INTEGER\n SAMPLE_BITS = 16\n"
        " CORE_NULL = 7\nEND_OBJECT = IMAGE\nEND\n")
    ds = af.open_product(tmp_path / "c.lbl")
    expected = cube.astype(np.float32)
    expected[cube == 7] = np.nan
    np.testing.assert_array_equal(ds["IMAGE"].values, expected)
    np.testing.assert_array_equal(ds["IMAGE"][:, 2, ::-2].values, expected[:, 2, ::-2])


def test_radix_null_of_a_float_image_is_a_bit_pattern(tmp_path):
    values = np.array([[1.5, -3.4028227e38], [2.0, 3.0]], dtype="<f4")   # 16#FF7FFFFB# is ISIS Null
    values.view("<u4")[0, 1] = 0xFF7FFFFB
    values.tofile(tmp_path / "n.img")
    (tmp_path / "n.lbl").write_text(
        '^IMAGE = "n.img"\nOBJECT = IMAGE\n LINES = 2\n LINE_SAMPLES = 2\n SAMPLE_TYPE = PC_REAL\n'
        " SAMPLE_BITS = 32\n CORE_NULL = 16#FF7FFFFB#\nEND_OBJECT = IMAGE\nEND\n")
    image = af.open_product(tmp_path / "n.lbl")["IMAGE"].values
    assert np.isnan(image[0, 1]) and image[0, 0] == 1.5 and image.dtype == np.float32


def test_unsupported_sample_bits_is_a_product_error(tmp_path):
    (tmp_path / "p.img").write_bytes(bytes(12))
    (tmp_path / "p.lbl").write_text('^IMAGE = "p.img"\nOBJECT = IMAGE\n LINES = 2\n LINE_SAMPLES = 4\n'
                                    " SAMPLE_TYPE = PC_REAL\n SAMPLE_BITS = 12\n"
                                    "END_OBJECT = IMAGE\nEND\n")
    with pytest.raises(ProductError, match="packed or bit samples of type 'PC_REAL'"):
        af.open_product(tmp_path / "p.lbl")


def test_truncated_data_file_is_a_product_error_on_read(kaguya_tc):
    label, _ = kaguya_tc
    image_path = label.parent / "TC1S2B0_01_00811N526E0443_mini.img"
    image_path.write_bytes(image_path.read_bytes()[:1000])
    ds = af.open_product(label)
    with pytest.raises(ProductError, match="needs"):
        ds["IMAGE"].load()


# ---- ASCII SERIES with a CONTAINER and missing constants ---------------------------------------------
def test_ascii_series_with_container(tmp_path):
    (tmp_path / "s.lbl").write_text(
        "PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 32\n^SERIES = (\"S.TAB\", 2)\n"
        "OBJECT = SERIES\n INTERCHANGE_FORMAT = ASCII\n ROWS = 3\n ROW_BYTES = 32\n COLUMNS = 2\n"
        " OBJECT = COLUMN\n  NAME = \"UTC TIME\"\n  DATA_TYPE = TIME\n  START_BYTE = 1\n  BYTES = 23\n END_OBJECT\n"
        " OBJECT = CONTAINER\n  NAME = SENSOR\n  START_BYTE = 25\n  BYTES = 3\n  REPETITIONS = 2\n"
        "  OBJECT = COLUMN\n   NAME = COUNT\n   DATA_TYPE = ASCII_INTEGER\n   START_BYTE = 2\n   BYTES = 2\n"
        "   MISSING_CONSTANT = 99\n   UNIT = COUNTS\n  END_OBJECT = COLUMN\n END_OBJECT = CONTAINER\n"
        "END_OBJECT = SERIES\nEND\n")
    rows = [f"2010-001T00:00:0{i}.000".ljust(23) + f"  {10 + i:2d} 99" for i in range(3)]
    assert all(len(r) == 30 for r in rows)
    (tmp_path / "s.tab").write_text("#" * 30 + "\r\n" + "".join(r + "\r\n" for r in rows), newline="")
    ds = af.open_product(tmp_path / "s.lbl")
    assert ds["COUNT"].dims == ("record", "SENSOR")
    np.testing.assert_array_equal(ds["COUNT"].values, [[10, np.nan], [11, np.nan], [12, np.nan]])
    assert ds["UTC_TIME"].values[2] == np.datetime64("2010-01-01T00:00:02")
    raw = af.open_product(tmp_path / "s.lbl", mask_and_scale=False)
    assert raw["COUNT"].dtype == np.int64 and raw["COUNT"].attrs["missing_value"] == 99
