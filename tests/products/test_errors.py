"""No raw exception leaves ``open_product``: decoding errors are :class:`ProductError` naming the file and
the object, and a product with one unreadable object opens the rest with a :class:`ProductWarning`."""
from __future__ import annotations

import numpy as np
import pytest

import archive_fed as af
from archive_fed.errors import ProductError
from archive_fed.products import ProductWarning
from tests.products.test_parity import HEAD, _array_xml


def _pds4(tmp_path, body: str, data: bytes):
    (tmp_path / "e.dat").write_bytes(data)
    (tmp_path / "e.xml").write_text(HEAD.format(name="e", body=body))
    return tmp_path / "e.xml"


def test_one_unreadable_pds4_object_is_skipped_with_a_warning(tmp_path):
    good = _array_xml("Array_1D", "SignedMSB2", (4,), "", {})
    bad = _array_xml("Array_1D", "SignedMSB3", (4,), "", {}).replace("<name>data</name>", "<name>bad</name>")
    label = _pds4(tmp_path, good + bad, bytes(16) + np.arange(4, dtype=">i2").tobytes())
    with pytest.warns(ProductWarning, match=r"1 data objects skipped: Array_1D bad \(unsupported PDS4 data type"):
        ds = af.open_product(label)
    assert list(ds.data_vars) == ["data"] and ds["data"].values.tolist() == [0, 1, 2, 3]


def test_a_numpy_error_becomes_a_product_error_naming_file_and_object(tmp_path):
    # the field lies past the end of the record: numpy refuses the strided view of the buffer
    body = ("<Table_Character><name>T</name><offset unit='byte'>0</offset><records>2</records>"
            "<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character><fields>1</fields>"
            "<groups>0</groups><record_length unit='byte'>6</record_length><Field_Character><name>x</name>"
            "<field_location unit='byte'>40</field_location><data_type>ASCII_Integer</data_type>"
            "<field_length unit='byte'>4</field_length></Field_Character></Record_Character></Table_Character>")
    label = _pds4(tmp_path, body, b"  12\r\n  13\r\n")
    with pytest.raises(ProductError) as caught:
        af.open_product(label)
    assert caught.value.path == str(label) and caught.value.element == "Table_Character T"
    assert "e.xml" in str(caught.value)


def test_one_unreadable_pds3_object_is_skipped_with_a_warning(tmp_path):
    (tmp_path / "p.img").write_bytes(np.arange(8, dtype=">i2").tobytes() + b"1,2\r\n")
    (tmp_path / "p.lbl").write_text(
        'PDS_VERSION_ID = PDS3\n^IMAGE = ("p.img", 1 <BYTES>)\n^CAL_TABLE = ("p.img", 17 <BYTES>)\n'
        "OBJECT = IMAGE\n LINES = 2\n LINE_SAMPLES = 4\n SAMPLE_TYPE = MSB_INTEGER\n SAMPLE_BITS = 16\n"
        "END_OBJECT = IMAGE\nOBJECT = CAL_TABLE\n INTERCHANGE_FORMAT = BINARY\n ROWS = 1\n ROW_BYTES = 4\n"
        " COLUMNS = 1\n OBJECT = COLUMN\n  NAME = X\n  DATA_TYPE = MSB_INTEGER\n  START_BYTE = 1\n"
        "  BYTES = 3\n END_OBJECT = COLUMN\nEND_OBJECT = CAL_TABLE\nEND\n")
    with pytest.warns(ProductWarning, match="CAL_TABLE"):
        ds = af.open_product(tmp_path / "p.lbl")
    assert ds["IMAGE"].values.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
