"""Bit fields and packed samples (``archive_fed/products/bits.py``) against values computed by hand.

pds4_tools does not read ``Packed_Data_Fields`` (its bit-field code is commented out), so PDS4 bit fields
are checked against the values the data was written from; the containing field itself is still compared
with pds4_tools. Data are packed here with Python integers (an encoder independent of the decoder).
"""
from __future__ import annotations

import numpy as np
import pytest

import archive_fed as af
from archive_fed.errors import ProductError
from archive_fed.products.bits import bit_field, unpack_samples
from tests.products.test_parity import HEAD, reference, special_xml


def pack(values: list[int], bits: int) -> bytes:
    """``values`` as one MSB-first bit stream of ``bits``-bit samples (two's complement for negatives)."""
    number = 0
    for value in values:
        number = (number << bits) | (value & ((1 << bits) - 1))
    total = len(values) * bits
    pad = (-total) % 8
    return (number << pad).to_bytes((total + pad) // 8, "big")


def test_literal_bytes():
    # 0xB3 0x40 = 1011 0011 0100 0000
    raw = np.array([[0xB3, 0x40], [0x00, 0x01]], dtype=np.uint8)
    assert bit_field(raw, 0, 4).tolist() == [0b1011, 0]
    assert bit_field(raw, 4, 6).tolist() == [0b001101, 0]
    assert bit_field(raw, 15, 1).tolist() == [0, 1]
    assert bit_field(raw, 0, 4, signed=True).tolist() == [-5, 0]
    assert bit_field(raw, 0, 16).dtype == np.uint16 and bit_field(raw, 0, 16).tolist() == [0xB340, 1]
    assert unpack_samples(bytes([0xAB, 0xCD, 0xEF]), 12, 2).tolist() == [0xABC, 0xDEF]
    assert unpack_samples(bytes([0xAB, 0xCD, 0xEF]), 4, 6).tolist() == [0xA, 0xB, 0xC, 0xD, 0xE, 0xF]


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5, 7, 10, 11, 12, 13, 14, 17, 24, 31, 33, 57])
@pytest.mark.parametrize("count", [1, 2, 7, 1001])
def test_unpack_samples_any_width(bits, count):
    generator = np.random.default_rng(bits * 1000 + count)
    values = [int(v) for v in generator.integers(0, 1 << bits, count, dtype=np.uint64)]
    unpacked = unpack_samples(pack(values, bits), bits, count)
    assert unpacked.tolist() == values
    assert unpacked.dtype.itemsize * 8 >= bits and unpacked.dtype.kind == "u"


@pytest.mark.parametrize("bits", [4, 10, 12, 16 + 3])
def test_unpack_signed(bits):
    values = [-(1 << (bits - 1)), -1, 0, 1, (1 << (bits - 1)) - 1, -3, 5]
    unpacked = unpack_samples(pack(values, bits), bits, len(values), signed=True)
    assert unpacked.tolist() == values and unpacked.dtype.kind == "i"


def test_bit_fields_at_every_offset_of_a_64_bit_field():
    generator = np.random.default_rng(3)
    words = [int(w) for w in generator.integers(0, 1 << 63, 50, dtype=np.uint64)]
    raw = np.frombuffer(b"".join(w.to_bytes(8, "big") for w in words), dtype=np.uint8).reshape(50, 8)
    for start in range(0, 64, 5):
        for width in (1, 3, 8, 13, 57 - start % 8):
            if start + width > 64:
                continue
            expected = [(w >> (64 - start - width)) & ((1 << width) - 1) for w in words]
            assert bit_field(raw, start, width).tolist() == expected, (start, width)
            signed = [e - (1 << width) if e >> (width - 1) else e for e in expected]
            assert bit_field(raw, start, width, signed=True).tolist() == signed, (start, width)


def test_out_of_range_is_a_product_error():
    raw = np.zeros((3, 2), dtype=np.uint8)
    with pytest.raises(ProductError, match="outside a 2-byte field"):
        bit_field(raw, 10, 7)
    with pytest.raises(ProductError, match="need 3 bytes"):
        unpack_samples(b"\x00\x00", 12, 2)


# ---- PDS4 Packed_Data_Fields -------------------------------------------------------------------------
#: name, data type, first bit (1-based), last bit, Special_Constants — inside a 4-byte field at byte 3
BIT_FIELDS = [("MODE", "UnsignedBitString", 1, 3, {}), ("GAIN", "SignedBitString", 4, 9, {}),
              ("FLAG", "UnsignedBitString", 10, 10, {}),
              ("TEMP", "SignedBitString", 11, 22, {"missing_constant": "-2048"}),
              ("SPARE", "UnsignedBitString", 23, 32, {"invalid_constant": "1023"})]


def bit_label(start_tag: str = "start_bit_location", stop_tag: str = "stop_bit_location") -> str:
    bit_xml = "".join(
        f"<Field_Bit><name>{n}</name><field_number>{k}</field_number><{start_tag}>{a}</{start_tag}>"
        f"<{stop_tag}>{b}</{stop_tag}><data_type>{t}</data_type>{special_xml(c)}</Field_Bit>"
        for k, (n, t, a, b, c) in enumerate(BIT_FIELDS, 1))
    return ("<Table_Binary><name>HK</name><offset unit='byte'>0</offset><records>{records}</records>"
            "<Record_Binary><fields>2</fields><groups>0</groups><record_length unit='byte'>6</record_length>"
            "<Field_Binary><name>COUNT</name><field_number>1</field_number><field_location unit='byte'>1"
            "</field_location><data_type>UnsignedMSB2</data_type><field_length unit='byte'>2</field_length>"
            "</Field_Binary><Field_Binary><name>STATUS</name><field_number>2</field_number>"
            "<field_location unit='byte'>3</field_location><data_type>UnsignedBitString</data_type>"
            "<field_length unit='byte'>4</field_length><Packed_Data_Fields><bit_fields>5</bit_fields>"
            f"{bit_xml}</Packed_Data_Fields></Field_Binary></Record_Binary></Table_Binary>")


def bit_rows(records: int) -> tuple[bytes, dict[str, list[int]]]:
    generator = np.random.default_rng(7)
    columns: dict[str, list[int]] = {}
    for name, data_type, first, last, _ in BIT_FIELDS:
        width = last - first + 1
        low, high = (-(1 << (width - 1)), 1 << (width - 1)) if data_type.startswith("Signed") else (0, 1 << width)
        columns[name] = [int(v) for v in generator.integers(low, high, records)]
    columns["TEMP"][2] = -2048
    columns["SPARE"][4] = 1023
    rows = []
    for r in range(records):
        word = 0
        for name, _, first, last, _ in BIT_FIELDS:
            width = last - first + 1
            word |= (columns[name][r] & ((1 << width) - 1)) << (32 - last)
        rows.append((1000 + r).to_bytes(2, "big") + word.to_bytes(4, "big"))
    return b"".join(rows), columns


@pytest.mark.parametrize("tags", [("start_bit_location", "stop_bit_location"), ("start_bit", "stop_bit")])
def test_pds4_packed_data_fields(tmp_path, tags):
    records = 9
    data, columns = bit_rows(records)
    (tmp_path / "hk.dat").write_bytes(data)
    (tmp_path / "hk.xml").write_text(HEAD.format(name="hk", body=bit_label(*tags).format(records=records)))
    stored = af.open_product(tmp_path / "hk.xml", mask_and_scale=False)
    for name, *_ in BIT_FIELDS:
        assert stored[name].values.tolist() == columns[name], name
        assert stored[name].dims == ("record",)
    assert stored["GAIN"].dtype == np.int8 and stored["TEMP"].dtype == np.int16
    assert stored["MODE"].dtype == np.uint8 and stored["SPARE"].dtype == np.uint16
    assert stored["TEMP"].attrs["start_bit"] == 11 and stored["TEMP"].attrs["stop_bit"] == 22
    masked = af.open_product(tmp_path / "hk.xml")
    temp, spare = masked["TEMP"].values, masked["SPARE"].values
    assert np.isnan(temp[2]) and np.isnan(spare[4])
    assert [v for k, v in enumerate(temp) if k != 2] == [v for k, v in enumerate(columns["TEMP"]) if k != 2]
    # the containing field and its neighbour are what pds4_tools reads
    table = reference(tmp_path / "hk.xml")[0]
    assert masked["COUNT"].values.tolist() == np.asarray(table["COUNT"]).tolist()
    status = [bytes(row) for row in stored["STATUS"].values.astype(np.uint8)]
    assert status == [bytes(v) if isinstance(v, bytes) else np.asarray(v).tobytes() for v in table["STATUS"]]


def test_pds4_bit_field_outside_its_field_names_the_field(tmp_path):
    body = bit_label().format(records=5).replace("<stop_bit_location>32<", "<stop_bit_location>33<")
    (tmp_path / "hk.dat").write_bytes(bit_rows(5)[0])
    (tmp_path / "hk.xml").write_text(HEAD.format(name="hk", body=body))
    with pytest.raises(ProductError, match="bit field SPARE"):
        af.open_product(tmp_path / "hk.xml")
