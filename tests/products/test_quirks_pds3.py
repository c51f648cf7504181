"""PDS3 mission quirks (``archive_fed/products/quirks/lro.py``, ``kaguya.py``): one product per quirk,
label and data written here to the shape the quirk's catalogue (pdr ``formats/``) documents (the corpus
holds no label of these products), values asserted; and the same bytes under another data set read as
the label says (the quirk is selected by the label's keywords, nowhere else)."""
from __future__ import annotations

import numpy as np
import pytest

import archive_fed as af
from archive_fed.errors import ProductError
from archive_fed.products import ProductWarning
from archive_fed.products.quirks.kaguya import LMAG_GRID, LMAG_SIGMA, LMAG_TS, RISE_TRAJ


def fixed_rows(spec, rows: list[list[str]], row_bytes: int, end: bytes = b"\r\n") -> bytes:
    """ASCII records of ``row_bytes`` (``end`` included): each value right-aligned in its field."""
    out = []
    for values in rows:
        line = bytearray(b" " * (row_bytes - len(end)))
        for (_, start, size, _, _), value in zip(spec, values):
            text = value.rjust(size).encode()
            assert len(text) == size, (value, size)
            line[start - 1:start - 1 + size] = text
        assert len(line) == row_bytes - len(end)
        out.append(bytes(line) + end)
    return b"".join(out)


def column_objects(rows) -> str:
    """COLUMN objects from ``(name, data type, start byte, bytes, extra keyword lines)`` rows."""
    return "".join(f" OBJECT = COLUMN\n  NAME = {n}\n  DATA_TYPE = {t}\n  START_BYTE = {s}\n  BYTES = {b}\n"
                   f"{extra} END_OBJECT = COLUMN\n" for n, t, s, b, extra in rows)


def head(keywords: str) -> str:
    return "PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\n" + keywords


# ---- LRO CRaTER -------------------------------------------------------------------------------------
CRATER = ('INSTRUMENT_ID = CRAT\nPRODUCT_TYPE = EDR\nDATA_SET_ID = "LRO-L-CRAT-2-EDR-RAWDATA-V1.0"\n'
          "RECORD_BYTES = 40\n")


def crater_product(tmp_path, keywords: str = CRATER):
    header = b"CRAT HEADER".ljust(64, b" ")
    rows = np.zeros(5, dtype=[("SCLK", ">u4"), ("FLAGS", ">u2"), ("ENERGY", ">u2")])
    rows["SCLK"] = 300000000 + np.arange(5)
    rows["FLAGS"] = [0xA000, 0x5001, 0xFFFF, 0x0000, 0x8003]
    rows["ENERGY"] = [10, 200, 3000, 40000, 65535]
    (tmp_path / "CRAT_EDR_SEC.DAT").write_bytes(header + rows.tobytes())
    (tmp_path / "crat.lbl").write_text(head(keywords) + (
        '^TABLE_0 = ("CRAT_EDR_SEC.DAT", 1)\n^TABLE_1 = ("CRAT_EDR_SEC.DAT", 3)\n'
        "OBJECT = TABLE_0\n INTERCHANGE_FORMAT = BINARY\n ROWS = 1\n ROW_BYTES = 64\n"
        " OBJECT = COLUMN\n  NAME = TEXT\n  DATA_TYPE = CHARACTER\n  START_BYTE = 1\n  BYTES = 64\n END_OBJECT = COLUMN\n"
        "END_OBJECT = TABLE_0\n"
        "OBJECT = TABLE_1\n INTERCHANGE_FORMAT = BINARY\n ROWS = 5\n ROW_BYTES = 8\n"
        " OBJECT = COLUMN\n  NAME = SCLK\n  DATA_TYPE = MSB_UNSIGNED_INTEGER\n  START_BYTE = 1\n  BYTES = 4\n"
        " END_OBJECT = COLUMN\n"
        " OBJECT = COLUMN\n  NAME = FLAGS\n  DATA_TYPE = BIT_STRING\n  START_BYTE = 5\n  BYTES = 2\n"
        "  OBJECT = BIT_COLUMN\n   NAME = MODE\n   BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER\n   START_BIT = 1\n"
        "   BITS = 2\n  END_OBJECT = BIT_COLUMN\n END_OBJECT = COLUMN\n"
        " OBJECT = COLUMN\n  NAME = ENERGY\n  DATA_TYPE = \"N/A\"\n  START_BYTE = 7\n  BYTES = 2\n"
        " END_OBJECT = COLUMN\nEND_OBJECT = TABLE_1\nEND\n"))
    return tmp_path / "crat.lbl", rows


def test_crater_table_1_offset_and_bit_types(tmp_path):
    # ^TABLE_1 says record 3 of 40 bytes (byte 80); the table starts after the 64-byte header
    label, rows = crater_product(tmp_path)
    ds = af.open_product(label)
    assert ds["SCLK"].values.tolist() == rows["SCLK"].tolist()
    assert ds["FLAGS"].values.tolist() == rows["FLAGS"].tolist()
    assert ds["MODE"].values.tolist() == [2, 1, 3, 0, 2]
    assert ds["ENERGY"].values.tolist() == [10, 200, 3000, 40000, 65535]
    assert ds["TEXT"].values.tolist() == ["CRAT HEADER"]


def test_crater_layout_is_not_applied_to_other_instruments(tmp_path):
    label, _ = crater_product(tmp_path, CRATER.replace("CRAT\n", "OTHER\n").replace("RAWDATA", "OTHER"))
    with pytest.warns(ProductWarning, match="skipped: TABLE_1 "):   # record 3 of 40 bytes: past the end
        ds = af.open_product(label)
    assert "SCLK" not in ds and ds["TEXT"].values.tolist() == ["CRAT HEADER"]


# ---- LRO RSS WEA ------------------------------------------------------------------------------------
WEA_SPEC = [("TIME", 1, 19, "CHARACTER", None), ("RANGE", 21, 12, "ASCII_REAL", "km"),
            ("STATION", 34, 2, "ASCII_INTEGER", None)]


def test_rss_wea_row_bytes_off_by_one(tmp_path):
    rows = [[f"2009-07-01T00:0{k}:00", f"{384400.5 + k:.3f}", f"{k + 10}"] for k in range(4)]
    data = fixed_rows(WEA_SPEC, rows, 38)         # 36 characters + CR LF; the label says 37
    (tmp_path / "WEA.TAB").write_bytes(data)
    columns = column_objects([(n, t, s, b, "") for n, s, b, t, _ in WEA_SPEC])
    (tmp_path / "wea.lbl").write_text(head(
        'DATA_SET_ID = "LRO-L-RSS-1-TRACKING-V1.0"\nRECORD_BYTES = 37\n^WEAREC_TABLE = "WEA.TAB"\n'
        f"OBJECT = WEAREC_TABLE\n INTERCHANGE_FORMAT = ASCII\n ROWS = 4\n ROW_BYTES = 37\n{columns}"
        "END_OBJECT = WEAREC_TABLE\nEND\n"))
    ds = af.open_product(tmp_path / "wea.lbl")
    assert ds["RANGE"].values.tolist() == [384400.5, 384401.5, 384402.5, 384403.5]
    assert ds["STATION"].values.tolist() == [10, 11, 12, 13]
    assert ds["TIME"].values[3] == "2009-07-01T00:03:00"


# ---- LRO Mini-RF ------------------------------------------------------------------------------------
def test_mini_rf_global_s4_32ppd_size(tmp_path):
    lines, samples = 5760, 11520
    path = tmp_path / "GLOBAL_S4_32PPD.IMG"
    with open(path, "wb") as stream:      # sparse: only the pixels set here occupy disk
        stream.truncate(lines * samples * 4)
        for (line, sample), value in {(0, 1): 0.25, (5759, 11519): -1.5, (100, 7000): 3.0}.items():
            stream.seek((line * samples + sample) * 4)
            stream.write(np.float32(value).astype("<f4").tobytes())
    (tmp_path / "mosaic.lbl").write_text(head(
        'DATA_SET_ID = "LRO-L-MRFLRO-5-GLOBAL-MOSAIC-V1.0"\nPRODUCT_ID = "GLOBAL_S4_32PPD"\nRECORD_BYTES = 46080\n'
        '^IMAGE = "GLOBAL_S4_32PPD.IMG"\nOBJECT = IMAGE\n LINES = 11520\n LINE_SAMPLES = 23040\n'
        " SAMPLE_TYPE = PC_REAL\n SAMPLE_BITS = 32\nEND_OBJECT = IMAGE\nEND\n"))
    image = af.open_product(tmp_path / "mosaic.lbl")["IMAGE"]
    assert image.shape == (lines, samples)
    assert float(image[0, 1]) == 0.25 and float(image[5759, 11519]) == -1.5 and float(image[100, 7000]) == 3.0
    assert float(image[100, 6999]) == 0.0


# ---- Kaguya LMAG and RISE ---------------------------------------------------------------------------
def lmag_product(tmp_path, data_set: str, spec, rows: list[list[str]], row_bytes: int, *,
                 object_name: str = "TABLE", pointer: str = "TABLE", declared_rows: int | None = None,
                 end: bytes = b"\r\n") -> object:
    (tmp_path / "t.tab").write_bytes(fixed_rows(spec, rows, row_bytes, end))
    rows_keyword = f" ROWS = {declared_rows}\n" if declared_rows is not None else ""
    # what the labels carry: a table object without columns (or with wrong ones)
    (tmp_path / "t.lbl").write_text(head(
        f'DATA_SET_ID = "{data_set}"\nRECORD_BYTES = {row_bytes}\n^{pointer} = "t.tab"\n'
        f"OBJECT = {object_name}\n INTERCHANGE_FORMAT = ASCII\n{rows_keyword} ROW_BYTES = 80\n COLUMNS = 1\n"
        f"END_OBJECT = {object_name}\nEND\n"))
    return tmp_path / "t.lbl"


def test_lmag_grid_table(tmp_path):
    generator = np.random.default_rng(1)
    values = np.round(generator.uniform(-50, 50, (64440, 8)), 2)
    rows = [[f"{-89.5 + (k // 360):.1f}", f"{0.5 + k % 360:.1f}", *(f"{v:.2f}" for v in values[k]), f"{k % 7}"]
            for k in range(64440)]
    ds = af.open_product(lmag_product(tmp_path, "SLN-L-LMAG-5-MA-GRID-V1.0", LMAG_GRID, rows, 96, declared_rows=3))
    assert ds.sizes["record"] == 64440
    assert ds["LATITUDE"].values[[0, 64439]].tolist() == [-89.5, 88.5]
    assert ds["LONGITUDE"].values[[0, 361]].tolist() == [0.5, 1.5]
    np.testing.assert_array_equal(np.stack([ds[n].values for n, *_ in LMAG_GRID[2:10]], axis=1), values)
    assert ds["A"].values[:8].tolist() == [0, 1, 2, 3, 4, 5, 6, 0]
    assert ds["X"].attrs["units"] == "nT" and ds["LATITUDE"].attrs["units"] == "deg"


def test_lmag_1d_sigma_table(tmp_path):
    rows = [["1738.0", "1700.0", "1.000E-04"], ["1700.0", "1500.0", "2.500E-03"]]
    ds = af.open_product(lmag_product(tmp_path, "SLN-L-LMAG-5-1D-SIGMA-ECS-V1.0", LMAG_SIGMA, rows, 32))
    assert ds["TOP_RADIUS"].values.tolist() == [1738.0, 1700.0]
    assert ds["ELECTRICAL_CONDUCTANCE"].values.tolist() == [1e-4, 2.5e-3]
    assert ds["ELECTRICAL_CONDUCTANCE"].attrs["units_label"] == "S/m"


def test_lmag_time_series_behind_a_table_pointer(tmp_path):
    rows = [[f"2008-01-01T00:00:{4 * k:02d}", *(f"{1750.0 + k:.1f}" for _ in range(3)),
             *(f"{1.25 * k:.2f}" for _ in range(3)), *(f"{-1800.5:.1f}" for _ in range(3)),
             *(f"{-0.5 * k:.2f}" for _ in range(3))] for k in range(6)]
    label = lmag_product(tmp_path, "SLN-L-LMAG-3-MAG-TS-V1.0", LMAG_TS, rows, 129, object_name="TIME_SERIES",
                         declared_rows=6)
    ds = af.open_product(label)
    assert ds["Bx1"].values.tolist() == [1.25 * k for k in range(6)]
    assert ds["Z2"].values.tolist() == [-1800.5] * 6 and ds["Z2"].attrs["units"] == "km"
    assert ds["TIME"].values.tolist()[5] == "2008-01-01T00:00:20"


def test_rise_trajectory_rows_from_the_file(tmp_path):
    rows = [[f"0801{k + 1:02d}", "1230", f"{12.5 + k:.5f}", *(f"{1.5e6 + k:.2f}" for _ in range(3)),
             *(f"{1.25 + k:.5f}" for _ in range(3)), f"{-45.25:.6f}", f"{100.5 + k:.6f}", f"{1.0e5 + k:.2f}"]
            for k in range(5)]
    # the last field ends at byte 132 of a 133-byte record: one line-feed ends each record
    label = lmag_product(tmp_path, "SLN-L-RISE-5-TRAJ-V1.0", RISE_TRAJ, rows, 133, end=b"\n")
    ds = af.open_product(label)
    assert ds.sizes["record"] == 5
    assert ds["DATE"].values.tolist() == [f"0801{k + 1:02d}" for k in range(5)]
    assert ds["GREENWICH_TIME_SS"].values.tolist() == [12.5 + k for k in range(5)]
    assert ds["VZ"].values.tolist() == [1.25 + k for k in range(5)] and ds["VZ"].attrs["units"] == "m / s"
    assert ds["LON"].values.tolist() == [100.5 + k for k in range(5)]


def test_other_data_sets_keep_their_table_description(tmp_path):
    label = lmag_product(tmp_path, "SLN-L-OTHER-V1.0", LMAG_SIGMA, [["1.0", "2.0", "3.0"]], 32, declared_rows=1)
    with pytest.raises(ProductError, match="no COLUMN definitions"):
        af.open_product(label)


# ---- Kaguya SP level 2B -----------------------------------------------------------------------------
def test_sp_2b_columns_past_row_bytes_are_dropped(tmp_path):
    rows = np.zeros(3, dtype=[("SCAN", ">u2"), ("TEMP", ">f4"), ("GAIN", ">i2")])
    rows["SCAN"], rows["TEMP"], rows["GAIN"] = [1, 2, 3], [20.5, 21.0, -3.25], [-1, 0, 1]
    (tmp_path / "SP_2B.sup").write_bytes(rows.tobytes())
    level2c_only = "".join(f" OBJECT = COLUMN\n  NAME = L2C_{k}\n  DATA_TYPE = IEEE_REAL\n  START_BYTE = {9 + 4 * k}\n"
                           "  BYTES = 4\n END_OBJECT = COLUMN\n" for k in range(4))
    (tmp_path / "sp.lbl").write_text(head(
        'DATA_SET_ID = "SLN-L-SP-3-LEVEL2B1-V2.0"\nRECORD_BYTES = 8\n^ANCILLARY_AND_SUPPLEMENT_DATA = "SP_2B.sup"\n'
        "OBJECT = ANCILLARY_AND_SUPPLEMENT_DATA\n INTERCHANGE_FORMAT = BINARY\n ROWS = 3\n ROW_BYTES = 8\n"
        " COLUMNS = 7\n"
        " OBJECT = COLUMN\n  NAME = SCAN\n  DATA_TYPE = MSB_UNSIGNED_INTEGER\n  START_BYTE = 1\n  BYTES = 2\n"
        " END_OBJECT = COLUMN\n OBJECT = COLUMN\n  NAME = TEMP\n  DATA_TYPE = IEEE_REAL\n  START_BYTE = 3\n"
        "  BYTES = 4\n END_OBJECT = COLUMN\n OBJECT = COLUMN\n  NAME = GAIN\n  DATA_TYPE = MSB_INTEGER\n"
        f"  START_BYTE = 7\n  BYTES = 2\n END_OBJECT = COLUMN\n{level2c_only}"
        "END_OBJECT = ANCILLARY_AND_SUPPLEMENT_DATA\nEND\n"))
    ds = af.open_product(tmp_path / "sp.lbl")
    assert sorted(ds.data_vars) == ["GAIN", "SCAN", "TEMP"]
    assert ds["TEMP"].values.tolist() == [20.5, 21.0, -3.25] and ds["GAIN"].values.tolist() == [-1, 0, 1]


# ---- LRO LAMP (FITS) --------------------------------------------------------------------------------
def lamp_product(tmp_path, data_set: str = "LRO-L-LAMP-3-RDR-V1.0"):
    from astropy.io import fits

    cube = (np.arange(2 * 3 * 4, dtype=">f4").reshape(2, 3, 4) - 5) / 4
    table = np.zeros(4, dtype=[("TIME", ">f8"), ("COUNT", ">i4")])
    table["TIME"], table["COUNT"] = [0.5, 1.5, 2.5, 3.5], [7, -8, 9, 100000]
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(table, name="Acquisition List"),
                         fits.ImageHDU(cube, name="Calibrated Histogram Mode Data"),
                         fits.BinTableHDU(np.zeros(0, dtype=table.dtype), name="LTS Data")])
    hdus[1].header["EXTNAME"], hdus[2].header["EXTNAME"] = "Acquisition List", "Calibrated Histogram Mode Data"
    hdus[3].header["EXTNAME"] = "LTS Data"
    hdus.writeto(tmp_path / "LAMP_ENG_0001_RDR.FIT")
    columns = column_objects([("TIME", "IEEE_REAL", 1, 8, ""), ("COUNT", "MSB_INTEGER", 9, 4, "")])
    # every pointer says byte 1: the objects are found by their FITS extension names
    (tmp_path / "lamp.lbl").write_text(head(
        f'DATA_SET_ID = "{data_set}"\nINSTRUMENT_ID = LAMP\nRECORD_BYTES = 2880\n'
        '^ACQUISITION_LIST_TABLE = ("LAMP_ENG_0001_RDR.FIT", 1 <BYTES>)\n'
        '^CAL_HISTOGRAM_FLUX_IMAGE = ("LAMP_ENG_0001_RDR.FIT", 1 <BYTES>)\n'
        '^CAL_HISTOGRAM_ERROR_IMAGE = ("LAMP_ENG_0001_RDR.FIT", 1 <BYTES>)\n'
        '^LTS_DATA_TABLE = ("LAMP_ENG_0001_RDR.FIT", 1 <BYTES>)\n'
        f"OBJECT = ACQUISITION_LIST_TABLE\n INTERCHANGE_FORMAT = BINARY\n ROWS = 4\n ROW_BYTES = 12\n{columns}"
        "END_OBJECT = ACQUISITION_LIST_TABLE\n"
        "OBJECT = CAL_HISTOGRAM_DATA_IMAGE\n LINES = 3\n LINE_SAMPLES = 4\n SAMPLE_TYPE = IEEE_REAL\n"
        " SAMPLE_BITS = 32\nEND_OBJECT = CAL_HISTOGRAM_DATA_IMAGE\n"
        f"OBJECT = LTS_DATA_TABLE\n INTERCHANGE_FORMAT = BINARY\n ROWS = 4\n ROW_BYTES = 12\n{columns}"
        "END_OBJECT = LTS_DATA_TABLE\nEND\n"))
    return tmp_path / "lamp.lbl", cube, table


def test_lamp_rdr_objects_found_by_fits_extension(tmp_path):
    label, cube, table = lamp_product(tmp_path)
    with pytest.warns(ProductWarning, match="LTS_DATA_TABLE .*'LTS Data' .*holds no data"):
        ds = af.open_product(label)
    assert ds["TIME"].values.tolist() == [0.5, 1.5, 2.5, 3.5] and ds["COUNT"].values.tolist() == [7, -8, 9, 100000]
    # several pointers, one object: each pointer is read with CAL_HISTOGRAM_DATA_IMAGE at the extension
    for name in ("CAL_HISTOGRAM_FLUX_IMAGE", "CAL_HISTOGRAM_ERROR_IMAGE"):
        np.testing.assert_array_equal(ds[name].values, cube[0])
    assert sorted(ds.data_vars) == ["CAL_HISTOGRAM_ERROR_IMAGE", "CAL_HISTOGRAM_FLUX_IMAGE", "COUNT", "TIME"]


def test_lamp_pointers_of_other_data_sets_are_taken_as_written(tmp_path):
    label, _, _ = lamp_product(tmp_path, data_set="LRO-L-OTHER-3-RDR-V1.0")
    with pytest.warns(ProductWarning):
        ds = af.open_product(label)
    assert "CAL_HISTOGRAM_FLUX_IMAGE" not in ds               # no object of its own
    assert ds["COUNT"].values.tolist() != [7, -8, 9, 100000]  # byte 1 is the FITS primary header


# ---- SMART-1 SPEDE ----------------------------------------------------------------------------------
def spede_product(tmp_path, instrument: str = "SPEDE"):
    header = b"SPEDE PLASMA 40 TABLE\r\nDATE,JULIAN_DATE,BIAS,MEASUREMENT\r\n"
    rows = [b"2004-01-01T00:00:00,2453005.5,,1,2,3,,0.5,1.5,2.5\r\n",
            b"2004-01-01T00:00:40,2453005.50046,4,,5,6,,,3.5,-4.5,5.25\r\n"]
    (tmp_path / "SPEDE_REFDR_SW_PD_40_20040101.TAB").write_bytes(header + b"".join(rows))
    columns = column_objects([("DATE", "TIME", 1, 19, ""), ("JULIAN_DATE", "ASCII_REAL", 21, 13, ""),
                              ("BIAS", "ASCII_INTEGER", 35, 8, "  ITEMS = 3\n  ITEM_BYTES = 2\n"),
                              ("MEASUREMENT", "ASCII_REAL", 44, 14, "  ITEMS = 3\n  ITEM_BYTES = 4\n")])
    (tmp_path / "spede.lbl").write_text(head(
        f'INSTRUMENT_ID = {instrument}\nFILE_NAME = "SPEDE_REFDR_SW_PD_40_20040101.TAB"\nRECORD_BYTES = 60\n'
        f'^TABLE = ("SPEDE_REFDR_SW_PD_40_20040101.TAB", {len(header) + 1} <BYTES>)\n'
        f"OBJECT = TABLE\n INTERCHANGE_FORMAT = ASCII\n ROWS = 2\n ROW_BYTES = 60\n{columns}END_OBJECT = TABLE\nEND\n"))
    return tmp_path / "spede.lbl"


def test_spede_pd40_comma_runs_are_one_separator(tmp_path):
    ds = af.open_product(spede_product(tmp_path))
    assert ds["JULIAN_DATE"].values.tolist() == [2453005.5, 2453005.50046]
    assert ds["BIAS"].values.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert ds["MEASUREMENT"].values.tolist() == [[0.5, 1.5, 2.5], [3.5, -4.5, 5.25]]
    assert ds["DATE"].values[1] == np.datetime64("2004-01-01T00:00:40")


def test_other_instruments_tables_keep_their_byte_positions(tmp_path):
    with pytest.raises(ProductError, match="not a number: .*2453005.5,,1,"):
        af.open_product(spede_product(tmp_path, instrument="OTHER"))


# ---- Kaguya GRS nuclide maps ------------------------------------------------------------------------
def test_grs_nuclide_map_table_pointer_describes_a_spreadsheet(tmp_path):
    (tmp_path / "GRS_MAP.CSV").write_bytes(b"-89.5,0.5,12.25\r\n-89.5,1.5,13.5\r\n-88.5,0.5,-1\r\n")
    fields = "".join(f" OBJECT = FIELD\n  NAME = {n}\n  FIELD_NUMBER = {k}\n  DATA_TYPE = ASCII_REAL\n  BYTES = 8\n"
                     f"{extra} END_OBJECT = FIELD\n"
                     for k, (n, extra) in enumerate([("LAT", ""), ("LON", ""), ("K", "  MISSING_CONSTANT = -1\n")], 1))
    (tmp_path / "grs.lbl").write_text(head(
        'DATA_SET_ID = "SLN-L-GRS-5-NUCLIDE-MAP-V2.0"\nRECORD_BYTES = 17\n^TABLE = "GRS_MAP.CSV"\n'
        f"OBJECT = SPREADSHEET\n ROWS = 3\n FIELDS = 3\n FIELD_DELIMITER = COMMA\n{fields}END_OBJECT = SPREADSHEET\n"
        "END\n"))
    ds = af.open_product(tmp_path / "grs.lbl")
    assert ds["LAT"].values.tolist() == [-89.5, -89.5, -88.5]
    np.testing.assert_array_equal(ds["K"].values, [12.25, 13.5, np.nan])


def test_lamp_rdr_over_http(tmp_path):
    from archive_fed.testing.servers import ArchiveServer

    _, cube, table = lamp_product(tmp_path)
    with ArchiveServer(tmp_path) as server, pytest.warns(ProductWarning, match="holds no data"):
        ds = af.open_product(server.url + "/lamp.lbl").load()
    assert ds["COUNT"].values.tolist() == table["COUNT"].tolist()
    np.testing.assert_array_equal(ds["CAL_HISTOGRAM_FLUX_IMAGE"].values, cube[0])
