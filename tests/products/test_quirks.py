"""Mission quirks of product data (``archive_fed/products/quirks``), each on a product we build to the
quirk's documented shape."""
from __future__ import annotations

import numpy as np
import pytest

import archive_fed as af
from archive_fed.errors import ProductError
from archive_fed.products import ProductWarning
from tests.products.test_parity import HEAD

# CE-4 LND TID 2A: the label's field locations are two bytes off the text (pdr formats/change.py)
TID_FIELDS = [("UTC", "ASCII_String", 1, 19), ("DOSE_RATE", "ASCII_Real", 21, 6), ("FLAG", "ASCII_Integer", 28, 2)]
TID_ROWS = ["2019-01-03T00:00:01   10.5  3", "2019-01-03T00:00:02  11.25  4", "2019-01-03T00:00:03    9.0 12"]


def _tid_product(tmp_path, name: str):
    fields = "".join(f"<Field_Character><name>{n}</name><field_location unit='byte'>{loc}</field_location>"
                     f"<data_type>{t}</data_type><field_length unit='byte'>{length}</field_length></Field_Character>"
                     for n, t, loc, length in TID_FIELDS)
    group = ("<Group_Field_Character><name>CHANNEL</name><repetitions>2</repetitions><fields>1</fields>"
             "<groups>0</groups><group_location unit='byte'>31</group_location><group_length unit='byte'>8"
             "</group_length><Field_Character><name>COUNTS</name><field_location unit='byte'>1</field_location>"
             "<data_type>ASCII_Integer</data_type><field_length unit='byte'>4</field_length></Field_Character>"
             "</Group_Field_Character>")
    rows = [row + f" {7 * k + 1} {7 * k + 2}" for k, row in enumerate(TID_ROWS)]
    width = 40                     # room for the declared group (bytes 31-38)
    body = (f"<Table_Character><name>TID</name><offset unit='byte'>0</offset><records>{len(rows)}</records>"
            f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character><fields>3</fields>"
            f"<groups>1</groups><record_length unit='byte'>{width + 2}</record_length>{fields}{group}"
            f"</Record_Character></Table_Character>")
    (tmp_path / f"{name}.2A").write_bytes("".join(r.ljust(width) + "\r\n" for r in rows).encode())
    (tmp_path / f"{name}.2AL").write_text(HEAD.format(name=name, body=body).replace(f"{name}.dat", f"{name}.2A"))
    return tmp_path / f"{name}.2AL"


def test_change4_lnd_table_read_by_whitespace(tmp_path):
    label = _tid_product(tmp_path, "CE4_GRAS_LND-TID_SCI_N_20190103000000_20190103235959_0001_A")
    with pytest.warns(ProductWarning, match="read by whitespace"):
        ds = af.open_product(label)
    assert ds["DOSE_RATE"].values.tolist() == [10.5, 11.25, 9.0]
    assert ds["FLAG"].values.tolist() == [3, 4, 12]
    assert ds["UTC"].values[1] == "2019-01-03T00:00:02"
    assert ds["COUNTS"].dims == ("record", "CHANNEL") and ds["COUNTS"].values.tolist() == [[1, 2], [8, 9],
                                                                                            [15, 16]]


def test_other_products_keep_field_locations(tmp_path):
    # the same bytes under a name the quirk does not select are read by position: the shifted text fails
    label = _tid_product(tmp_path, "OTHER_TID")
    with pytest.raises(ProductError, match="not a number"):
        af.open_product(label)


IMAGE = ("OBJECT = IMAGE\n LINES = 2\n LINE_SAMPLES = 4\n SAMPLE_TYPE = MSB_INTEGER\n SAMPLE_BITS = 16\n"
         "END_OBJECT = IMAGE\n")


@pytest.mark.parametrize("keywords, side", [
    ('DATA_SET_ID = "SLN-L-PACE-3-PBF1-V3.0"', "TIME_SERIES"),
    ('DATA_SET_ID = "SLN-L-GRS-3-ENG-SPECTRUM-V1.0"', "TABLE"),
    ('DATA_SET_ID = "SLN-L-SP-3-SPECTRUM-V2.0"', "L2D_RESULT_ARRAY"),
    ('SPACECRAFT_NAME = CE1\nPRODUCT_ID = "CE1_BMYK_IIM_SCI_N_20081122025300_20081122035107_2845_A"',
     "IMAGE_PREFIX"),
    ('PRODUCT_ID = "CE3_BMYK_VNIS-CC_SCI_N_20131223131406_20131223131406_0001_A"', "CAL_TARGET_DATA"),
])
def test_side_objects_are_skipped_with_a_warning(tmp_path, keywords, side):
    image = np.arange(8, dtype=">i2").reshape(2, 4)
    (tmp_path / "p.img").write_bytes(image.tobytes() + b"\x00" * 64)
    # the side object's description is what its products carry: not enough to read it (no columns)
    (tmp_path / "p.lbl").write_text(
        f'PDS_VERSION_ID = PDS3\n{keywords}\n^IMAGE = ("p.img", 1 <BYTES>)\n^{side} = ("p.img", 17 <BYTES>)\n'
        f"{IMAGE}OBJECT = {side}\n INTERCHANGE_FORMAT = BINARY\n ROWS = 4\n ROW_BYTES = 16\n"
        f"END_OBJECT = {side}\nEND\n")
    with pytest.warns(ProductWarning, match=f"object {side} skipped: "):
        ds = af.open_product(tmp_path / "p.lbl")
    assert list(ds.data_vars) == ["IMAGE"]
    np.testing.assert_array_equal(ds["IMAGE"].values, image)


def test_clementine_bsr_quoted_pointer(tmp_path):
    # ^TABLE written as one quoted string "(file, record)"; records of RECORD_BYTES = 8
    rows = np.array([(k, k * 0.5) for k in range(4)], dtype=[("N", ">i4"), ("V", ">f4")])
    (tmp_path / "BSR_RDR_DATA.DAT").write_bytes(b"H" * 16 + rows.tobytes())
    (tmp_path / "bsr.lbl").write_text(
        'PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 8\n^TABLE = "(BSR_RDR_DATA.DAT, 3)"\n'
        "OBJECT = TABLE\n INTERCHANGE_FORMAT = BINARY\n ROWS = 4\n ROW_BYTES = 8\n COLUMNS = 2\n"
        " OBJECT = COLUMN\n  NAME = N\n  DATA_TYPE = MSB_INTEGER\n  START_BYTE = 1\n  BYTES = 4\n END_OBJECT = COLUMN\n"
        " OBJECT = COLUMN\n  NAME = V\n  DATA_TYPE = IEEE_REAL\n  START_BYTE = 5\n  BYTES = 4\n END_OBJECT = COLUMN\n"
        "END_OBJECT = TABLE\nEND\n")
    ds = af.open_product(tmp_path / "bsr.lbl")
    assert ds["N"].values.tolist() == [0, 1, 2, 3] and ds["V"].values.tolist() == [0.0, 0.5, 1.0, 1.5]


def test_chandrayaan2_class_table_is_fits_extension_1(tmp_path):
    from astropy.io import fits

    rows = np.zeros(5, dtype=[("TIME", ">f8"), ("CHANNEL", ">i2"), ("COUNTS", ">i4")])
    rows["TIME"], rows["CHANNEL"], rows["COUNTS"] = np.arange(5) * 8.0, [1, 2, 3, 4, 5], [10, -20, 30, 40, 2 ** 30]
    name = "ch2_cla_l1_20210901T000000000_20210901T000800000"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(rows)]).writeto(tmp_path / f"{name}.fits")
    fields = "".join(f"<Field_Binary><name>{n}</name><field_location unit='byte'>{loc}</field_location>"
                     f"<data_type>{t}</data_type><field_length unit='byte'>{size}</field_length></Field_Binary>"
                     for n, loc, t, size in [("TIME", 1, "IEEE754MSBDouble", 8), ("CHANNEL", 9, "SignedMSB2", 2),
                                             ("COUNTS", 11, "SignedMSB4", 4)])
    # the label's offset is the extension's header (2880), not its data (5760)
    body = (f"<Table_Binary><name>data</name><offset unit='byte'>2880</offset><records>5</records><Record_Binary>"
            f"<fields>3</fields><groups>0</groups><record_length unit='byte'>14</record_length>{fields}"
            "</Record_Binary></Table_Binary>")
    (tmp_path / f"{name}.xml").write_text(HEAD.format(name=name, body=body).replace(f"{name}.dat", f"{name}.fits"))
    with pytest.warns(ProductWarning, match="FITS extension 1"):
        ds = af.open_product(tmp_path / f"{name}.xml")
    with fits.open(tmp_path / f"{name}.fits") as hdus:
        for column in ("TIME", "CHANNEL", "COUNTS"):
            assert ds[column].values.tolist() == hdus[1].data[column].tolist(), column
