"""Reference parity: products we write (label + data in the declared layout) read by ``open_product`` and
by ``pds4_tools.read`` (PDS4) or ``pdr.read`` (PDS3), values compared stored and masked + scaled.

Labels are generated from compact descriptions: every Table_Binary field type (binary, ASCII_* inside a
binary record), Table_Character, Table_Delimited, Array_1D...3D, scaling/offset on each stored type and
every Special_Constants element.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import archive_fed as af

pds4_tools = pytest.importorskip("pds4_tools")
from pds4_tools.reader.data_types import mask_special_constants  # noqa: E402

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area>
    <logical_identifier>urn:nasa:pds:parity:data:{name}</logical_identifier><version_id>1.0</version_id>
    <title>parity {name}</title><information_model_version>1.20.0.0</information_model_version>
    <product_class>Product_Observational</product_class>
  </Identification_Area>
  <File_Area_Observational>
    <File><file_name>{name}.dat</file_name></File>
{body}
  </File_Area_Observational>
</Product_Observational>
"""
RECORDS = 6
#: PDS4 binary data types → numpy dtypes.
BINARY = {"SignedByte": "i1", "UnsignedByte": "u1", "SignedMSB2": ">i2", "SignedLSB2": "<i2",
          "UnsignedMSB2": ">u2", "UnsignedLSB2": "<u2", "SignedMSB4": ">i4", "SignedLSB4": "<i4",
          "UnsignedMSB4": ">u4", "UnsignedLSB4": "<u4", "SignedMSB8": ">i8", "SignedLSB8": "<i8",
          "UnsignedMSB8": ">u8", "UnsignedLSB8": "<u8", "IEEE754MSBSingle": ">f4", "IEEE754LSBSingle": "<f4",
          "IEEE754MSBDouble": ">f8", "IEEE754LSBDouble": "<f8", "ComplexMSB8": ">c8", "ComplexLSB8": "<c8",
          "ComplexMSB16": ">c16", "ComplexLSB16": "<c16"}
#: Every Special_Constants child the Information Model defines (valid_* are data, the rest masked).
CONSTANTS = ["saturated_constant", "missing_constant", "error_constant", "invalid_constant",
             "unknown_constant", "not_applicable_constant", "high_instrument_saturation",
             "high_representation_saturation", "low_instrument_saturation", "low_representation_saturation"]


def special_xml(constants: dict[str, str]) -> str:
    if not constants:
        return ""
    return "<Special_Constants>" + "".join(f"<{k}>{v}</{k}>" for k, v in constants.items()) + \
        "</Special_Constants>"


def scaling_xml(scale: str | None, offset: str | None) -> str:
    return (f"<scaling_factor>{scale}</scaling_factor>" if scale else "") + \
        (f"<value_offset>{offset}</value_offset>" if offset else "")


def write(tmp_path, name: str, body: str, data: bytes):
    (tmp_path / f"{name}.dat").write_bytes(data)
    (tmp_path / f"{name}.xml").write_text(HEAD.format(name=name, body=body))
    return tmp_path / f"{name}.xml"


def reference(label, no_scale: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pds4_tools.read(str(label), quiet=True, no_scale=no_scale)


def masked_floats(values, stored=None, field_meta=None) -> np.ndarray:
    """A pds4_tools result as floats, NaN where pds4_tools masks a special constant: arrays through
    ``as_masked()``; table fields (read unmasked) through pds4_tools' own ``mask_special_constants``
    applied to the ``stored`` values with the field's ``Special_Constants``."""
    if hasattr(values, "as_masked"):
        values = values.as_masked().data
    array = np.ma.asarray(values)
    if stored is not None and field_meta is not None and "Special_Constants" in field_meta:
        hit = np.ma.getmaskarray(mask_special_constants(np.asarray(stored), field_meta["Special_Constants"]))
        array = np.ma.masked_where(hit | np.ma.getmaskarray(array), array)
    kind = array.dtype.kind
    out = array.astype(np.complex128 if kind == "c" else np.float64)
    return np.ma.filled(out, np.nan)


def field_meta(structure, name: str) -> dict:
    return structure[name].meta_data


def assert_same(ours: np.ndarray, theirs: np.ndarray) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    if theirs.dtype.kind in "fc":
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_allclose(ours[~np.isnan(ours)], theirs[~np.isnan(theirs)], rtol=1e-15, atol=0)
    else:
        np.testing.assert_array_equal(ours, theirs)


# ---- Table_Binary: every binary field type, scaled and masked ---------------------------------------
def sample(dtype: np.dtype, n: int, seed: int) -> np.ndarray:
    generator = np.random.default_rng(seed)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return generator.integers(max(info.min, -1000), min(info.max, 1000), n, endpoint=True).astype(dtype)
    if dtype.kind == "c":
        return (generator.normal(size=n) + 1j * generator.normal(size=n)).astype(dtype)
    return generator.normal(scale=100, size=n).astype(dtype)


def binary_table(tmp_path, name: str, fields: list[tuple[str, str, str]], records: int = RECORDS):
    """One Table_Binary of ``fields`` (name, data_type, extra XML) packed back to back; returns the
    label path and the stored arrays."""
    dtypes = [np.dtype(BINARY[t]) for _, t, _ in fields]
    offsets = np.cumsum([0] + [d.itemsize for d in dtypes])
    record = np.zeros(records, dtype={"names": [f[0] for f in fields], "formats": dtypes,
                                      "offsets": list(offsets[:-1]), "itemsize": int(offsets[-1])})
    stored = {}
    for k, ((field, _, _), dtype) in enumerate(zip(fields, dtypes)):
        stored[field] = record[field] = sample(dtype, records, k)
    xml = "".join(f"<Field_Binary><name>{f}</name><field_location unit='byte'>{o + 1}</field_location>"
                  f"<data_type>{t}</data_type><field_length unit='byte'>{d.itemsize}</field_length>{extra}"
                  f"</Field_Binary>" for (f, t, extra), o, d in zip(fields, offsets, dtypes))
    body = (f"<Table_Binary><name>T</name><offset unit='byte'>0</offset><records>{records}</records>"
            f"<Record_Binary><fields>{len(fields)}</fields><groups>0</groups>"
            f"<record_length unit='byte'>{int(offsets[-1])}</record_length>{xml}</Record_Binary></Table_Binary>")
    return write(tmp_path, name, body, record.tobytes()), stored


SCALINGS = [(None, None), ("0.5", None), ("2", "10"), ("1e44", None), (None, "987654540100"),
            ("0.001", "-273.15")]


@pytest.mark.parametrize("scale, offset", SCALINGS)
def test_table_binary_every_type_scaled_and_masked(tmp_path, scale, offset):
    # complex fields unscaled here: pds4_tools cannot scale them (test_exact_scaling checks ours)
    fields = [(t, t, "" if t.startswith("Complex") else scaling_xml(scale, offset)) for t in BINARY]
    label, stored = binary_table(tmp_path, "types", fields)
    for data_type, dtype in BINARY.items():
        if np.dtype(dtype).kind in "iu":
            constant = str(int(stored[data_type][2]))
            fields[list(BINARY).index(data_type)] = (data_type, data_type, scaling_xml(scale, offset) +
                                                     special_xml({"missing_constant": constant}))
    label, stored = binary_table(tmp_path, "types", fields)
    ours_raw = af.open_product(label, mask_and_scale=False)
    ours = af.open_product(label)
    theirs_raw, theirs = reference(label, no_scale=True)[0], reference(label)[0]
    for data_type in BINARY:
        np.testing.assert_array_equal(ours_raw[data_type].values, stored[data_type])
        np.testing.assert_array_equal(ours_raw[data_type].values, np.asarray(theirs_raw[data_type]))
        values = ours[data_type].values
        assert np.isfinite(values[~np.isnan(values)]).all(), data_type    # 1e44 on int8 is no inf
        assert_same(values, masked_floats(theirs[data_type], theirs_raw[data_type],
                                          field_meta(theirs, data_type)))
        if np.dtype(BINARY[data_type]).kind in "iu":
            assert np.isnan(values[2])


def test_exact_scaling_on_small_integers(tmp_path):
    label, stored = binary_table(tmp_path, "exact", [
        ("huge", "SignedByte", scaling_xml("1e44", None)),
        ("offset", "SignedMSB2", scaling_xml(None, "987654540100")),
        ("plain", "SignedMSB2", scaling_xml("0.5", None)),
        ("sar", "ComplexLSB8", scaling_xml("0.5", "1"))])
    ds = af.open_product(label)
    assert ds["sar"].dtype == np.complex128
    np.testing.assert_array_equal(ds["sar"].values, stored["sar"].astype(np.complex128) * 0.5 + 1)
    np.testing.assert_array_equal(ds["huge"].values, stored["huge"].astype(np.float64) * 1e44)
    assert ds["offset"].dtype == np.float64
    assert ds["offset"].values.tolist() == [int(v) + 987654540100 for v in stored["offset"]]
    assert ds["plain"].dtype == np.float32          # float32 holds every 16-bit integer times 0.5


# ---- ASCII_* fields in binary, character and delimited records ---------------------------------------
ASCII_FIELDS = [  # name, data_type, width, texts of the records, extra XML
    ("count", "ASCII_Integer", 6, ["    12", "  -340", " 99999", "     0", "     7", "    -1"],
     scaling_xml("0.5", "3") + special_xml({"missing_constant": "99999", "valid_minimum": "-340"})),
    ("level", "ASCII_NonNegative_Integer", 5, ["    1", "   20", "  300", " 4000", "50000", "    6"], ""),
    ("real", "ASCII_Real", 12, ["  1.25E+02", " -3.5", "-9.9999E+03", "  0.0", "  10.5", "   1.0E-3"],
     special_xml({"invalid_constant": "-9.9999E+03"})),
    ("hex", "ASCII_Numeric_Base16", 4, ["00FF", "0010", "FFFF", "abcd", "0001", "7FFF"],
     special_xml({"missing_constant": "65535"})),
    ("octal", "ASCII_Numeric_Base8", 4, ["0017", "0777", "0000", "0001", "1234", "0007"], ""),
    ("binary", "ASCII_Numeric_Base2", 8, ["00000001", "11111111", "10101010", "00000000", "01111111",
                                          "00000010"], scaling_xml("2", None)),
    ("flag", "ASCII_Boolean", 5, ["true ", "false", "true ", "true ", "false", "false"], ""),
    ("name", "ASCII_String", 6, ["alpha ", "beta  ", "gamma ", "delta ", "eps   ", "zeta  "], ""),
]


def _ascii_record_xml(kind: str, fields: list, delimited: bool = False) -> str:
    xml, location = "", 1
    for name, data_type, width, _, extra in fields:
        where = "" if delimited else f"<field_location unit='byte'>{location}</field_location>"
        length = f"<maximum_field_length unit='byte'>{width}</maximum_field_length>" if delimited else \
            f"<field_length unit='byte'>{width}</field_length>"
        xml += f"<Field_{kind}><name>{name}</name>{where}<data_type>{data_type}</data_type>{length}{extra}" \
               f"</Field_{kind}>"
        location += width + (0 if kind == "Binary" else 1)
    return xml


def _compare_ascii(label) -> None:
    ours, ours_raw = af.open_product(label), af.open_product(label, mask_and_scale=False)
    theirs, theirs_raw = reference(label)[0], reference(label, no_scale=True)[0]
    for name, data_type, *_ in ASCII_FIELDS:
        if data_type == "ASCII_String":
            np.testing.assert_array_equal(ours[name].values, np.char.strip(np.asarray(theirs[name]).astype(str)))
            continue
        expected_raw = np.ma.getdata(np.asarray(theirs_raw[name]))
        np.testing.assert_array_equal(ours_raw[name].values, expected_raw)
        if data_type == "ASCII_Boolean":
            assert ours[name].dtype == bool
            np.testing.assert_array_equal(ours[name].values, np.asarray(theirs[name]))
            continue
        assert_same(ours[name].values, masked_floats(theirs[name], theirs_raw[name], field_meta(theirs, name)))


def test_ascii_fields_in_a_binary_table(tmp_path):
    rows = [b"".join(f[3][r].rjust(f[2]).encode() for f in ASCII_FIELDS) + b"\x00\x01" for r in range(RECORDS)]
    length = len(rows[0])
    body = (f"<Table_Binary><name>T</name><offset unit='byte'>0</offset><records>{RECORDS}</records>"
            f"<Record_Binary><fields>{len(ASCII_FIELDS) + 1}</fields><groups>0</groups>"
            f"<record_length unit='byte'>{length}</record_length>{_ascii_record_xml('Binary', ASCII_FIELDS)}"
            f"<Field_Binary><name>word</name><field_location unit='byte'>{length - 1}</field_location>"
            f"<data_type>UnsignedMSB2</data_type><field_length unit='byte'>2</field_length></Field_Binary>"
            f"</Record_Binary></Table_Binary>")
    label = write(tmp_path, "ascii_binary", body, b"".join(rows))
    _compare_ascii(label)
    ds = af.open_product(label)
    assert ds["count"].values.tolist()[:2] == [9.0, -167.0] and np.isnan(ds["count"].values[2])
    assert ds["real"].values[4] == 10.5 and ds["hex"].values[0] == 255 and ds["word"].values[0] == 1


def test_table_character_every_ascii_type(tmp_path):
    rows = [" ".join(f[3][r].rjust(f[2]) for f in ASCII_FIELDS) + " \r\n" for r in range(RECORDS)]
    body = (f"<Table_Character><name>T</name><offset unit='byte'>0</offset><records>{RECORDS}</records>"
            f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter><Record_Character>"
            f"<fields>{len(ASCII_FIELDS)}</fields><groups>0</groups><record_length unit='byte'>{len(rows[0])}"
            f"</record_length>{_ascii_record_xml('Character', ASCII_FIELDS)}</Record_Character></Table_Character>")
    _compare_ascii(write(tmp_path, "character", body, "".join(rows).encode()))


def test_table_delimited_every_ascii_type(tmp_path):
    rows = [",".join(f[3][r].strip() for f in ASCII_FIELDS) + "\r\n" for r in range(RECORDS)]
    body = (f"<Table_Delimited><name>T</name><offset unit='byte'>0</offset><records>{RECORDS}</records>"
            f"<record_delimiter>Carriage-Return Line-Feed</record_delimiter><field_delimiter>Comma"
            f"</field_delimiter><Record_Delimited><fields>{len(ASCII_FIELDS)}</fields><groups>0</groups>"
            f"{_ascii_record_xml('Delimited', ASCII_FIELDS, delimited=True)}</Record_Delimited></Table_Delimited>")
    label = write(tmp_path, "delimited", body, "".join(rows).encode())
    _compare_ascii(label)
    assert af.open_product(label)["flag"].values.tolist() == [True, False, True, True, False, False]


# ---- arrays: 1-3 dimensions, each stored type, every special constant ------------------------------
def _array_xml(tag: str, data_type: str, shape: tuple[int, ...], extra: str, constants: dict) -> str:
    axes = "".join(f"<Axis_Array><axis_name>{n}</axis_name><elements>{e}</elements>"
                   f"<sequence_number>{k + 1}</sequence_number></Axis_Array>"
                   for k, (n, e) in enumerate(zip(["Band", "Line", "Sample"][-len(shape):], shape)))
    return (f"<{tag}><name>data</name><offset unit='byte'>16</offset><axes>{len(shape)}</axes>"
            f"<axis_index_order>Last Index Fastest</axis_index_order><Element_Array><data_type>{data_type}"
            f"</data_type>{extra}</Element_Array>{axes}{special_xml(constants)}</{tag}>")


@pytest.mark.parametrize("data_type", [t for t in BINARY if not t.startswith("Complex")])
@pytest.mark.parametrize("tag, shape", [("Array_1D", (40,)), ("Array_2D_Image", (5, 8)),
                                        ("Array_3D_Spectrum", (2, 4, 5))])
def test_arrays_every_special_constant(tmp_path, data_type, tag, shape):
    dtype = np.dtype(BINARY[data_type])
    values = sample(dtype, int(np.prod(shape)), 3)
    flat = values.copy()
    constants = {}
    for k, element in enumerate(CONSTANTS + ["valid_minimum", "valid_maximum"]):
        constant = np.asarray(-(k + 2000) if dtype.kind in "if" else k + 2000).astype(dtype) \
            if dtype.itemsize > 1 else np.asarray(k + 100 if dtype.kind == "u" else -(k + 100)).astype(dtype)
        flat[k] = constant
        constants[element] = repr(constant.item())
    rest = flat[len(constants):]
    rest[np.isin(rest, flat[:len(constants)])] = 1            # no data value equals a constant by chance
    label = write(tmp_path, "array", _array_xml(tag, data_type, shape, scaling_xml("0.25", "-3"), constants),
                  bytes(16) + flat.reshape(shape).tobytes())
    ours, theirs = af.open_product(label)["data"].values, masked_floats(reference(label)[0])
    assert_same(ours, theirs)
    assert np.isnan(ours.ravel()[:len(CONSTANTS)]).all()                 # every constant is masked
    assert not np.isnan(ours.ravel()[len(CONSTANTS):]).any()              # valid_* are data
    raw = af.open_product(label, mask_and_scale=False)["data"].values
    np.testing.assert_array_equal(raw, np.asarray(reference(label, no_scale=True)[0].data))


def test_unexpected_special_constant_spelling_is_masked(tmp_path):
    label = write(tmp_path, "odd", _array_xml("Array_1D", "SignedMSB2", (4,), "", {"fill_constant": "-5"}),
                  bytes(16) + np.array([1, -5, 3, 4], ">i2").tobytes())
    assert np.isnan(af.open_product(label)["data"].values[1])


# ---- groups and uniformly sampled fields -------------------------------------------------------------
def test_nested_unnamed_groups_get_distinct_dimensions(tmp_path):
    inner = ("<Group_Field_Binary><repetitions>3</repetitions><fields>1</fields><groups>0</groups>"
             "<group_location unit='byte'>1</group_location><group_length unit='byte'>6</group_length>"
             "<Field_Binary><name>counts</name><field_location unit='byte'>1</field_location>"
             "<data_type>SignedMSB2</data_type><field_length unit='byte'>2</field_length></Field_Binary>"
             "</Group_Field_Binary>")
    outer = ("<Group_Field_Binary><repetitions>2</repetitions><fields>0</fields><groups>1</groups>"
             "<group_location unit='byte'>1</group_location><group_length unit='byte'>12</group_length>"
             f"{inner}</Group_Field_Binary>")
    stored = np.arange(RECORDS * 6, dtype=">i2").reshape(RECORDS, 2, 3)
    body = (f"<Table_Binary><name>T</name><offset unit='byte'>0</offset><records>{RECORDS}</records>"
            f"<Record_Binary><fields>0</fields><groups>1</groups><record_length unit='byte'>12</record_length>"
            f"{outer}</Record_Binary></Table_Binary>")
    label = write(tmp_path, "nested", body, stored.tobytes())
    counts = af.open_product(label)["counts"]
    assert counts.dims == ("record", "counts_index", "counts_index_2")
    np.testing.assert_array_equal(counts.values, stored)
    np.testing.assert_array_equal(counts.values, np.asarray(reference(label)[0]["counts"]))


@pytest.mark.parametrize("scale, first, interval, base", [
    ("Linear", "400", "2.5", ""), ("Logarithmic", "1", "2", ""), ("Exponential", "1", "10", "10")])
def test_uniformly_sampled_is_a_coordinate(tmp_path, scale, first, interval, base):
    expected = {"Linear": 400 + 2.5 * np.arange(RECORDS), "Logarithmic": 2.0 ** np.arange(RECORDS),
                "Exponential": np.log10(10 + 10 * np.arange(RECORDS))}[scale]
    sampled = (f"<Uniformly_Sampled><sampling_parameter_name>wavelength</sampling_parameter_name>"
               f"<sampling_parameter_interval>{interval}</sampling_parameter_interval>"
               f"<sampling_parameter_unit>nm</sampling_parameter_unit>"
               f"<first_sampling_parameter_value>{first}</first_sampling_parameter_value>"
               f"<last_sampling_parameter_value>{float(expected[-1])!r}</last_sampling_parameter_value>"
               f"<sampling_parameter_scale>{scale}</sampling_parameter_scale>"
               + (f"<sampling_parameter_base>{base}</sampling_parameter_base>" if base else "")
               + "</Uniformly_Sampled>")
    label, _ = binary_table(tmp_path, "sampled", [("flux", "IEEE754MSBSingle", "")])
    label.write_text(label.read_text().replace("<Record_Binary>", sampled + "<Record_Binary>"))
    ds = af.open_product(label)
    assert ds["wavelength"].dims == ("record",) and ds["wavelength"].attrs["units"] == "nm"
    np.testing.assert_allclose(ds["wavelength"].values, expected, rtol=1e-12)
    np.testing.assert_allclose(ds["wavelength"].values, np.asarray(reference(label)[0]["wavelength"]),
                               rtol=1e-12)


# ---- PDS3 against pdr ---------------------------------------------------------------------------------
PDS3_TYPES = [("MSB_INTEGER", 16, ">i2"), ("LSB_INTEGER", 32, "<i4"), ("MSB_UNSIGNED_INTEGER", 8, "u1"),
              ("LSB_UNSIGNED_INTEGER", 16, "<u2"), ("PC_REAL", 32, "<f4"), ("IEEE_REAL", 64, ">f8")]


@pytest.mark.parametrize("sample_type, bits, dtype", PDS3_TYPES)
@pytest.mark.parametrize("scale, offset", [(None, None), ("0.013", None), ("1.0E44", "987654540100")])
def test_pds3_image_against_pdr(tmp_path, sample_type, bits, dtype, scale, offset):
    pdr = pytest.importorskip("pdr")
    raw = sample(np.dtype(dtype), 12, 5).reshape(3, 4)
    raw[1, 1] = 0 if np.dtype(dtype).kind == "u" else -7
    (tmp_path / "p.img").write_bytes(raw.tobytes())
    packing = (f" SCALING_FACTOR = {scale}\n" if scale else "") + (f" OFFSET = {offset}\n" if offset else "")
    (tmp_path / "p.lbl").write_text(
        f'PDS_VERSION_ID = PDS3\n^IMAGE = "p.img"\nOBJECT = IMAGE\n LINES = 3\n LINE_SAMPLES = 4\n'
        f" SAMPLE_TYPE = {sample_type}\n SAMPLE_BITS = {bits}\n{packing}"
        f" MISSING_CONSTANT = {raw[1, 1]}\nEND_OBJECT = IMAGE\nEND\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = pdr.read(str(tmp_path / "p.lbl"))
        theirs_raw, theirs = np.asarray(data["IMAGE"]), data.get_scaled("IMAGE")
    ours_raw = af.open_product(tmp_path / "p.lbl", mask_and_scale=False)["IMAGE"].values
    np.testing.assert_array_equal(ours_raw, theirs_raw)
    ours = af.open_product(tmp_path / "p.lbl")["IMAGE"].values
    expected = np.ma.filled(np.ma.asarray(theirs).astype(np.float64), np.nan)
    expected[1, 1] = np.nan          # MISSING_CONSTANT is NaN in ours on every type
    np.testing.assert_allclose(ours, expected, rtol=1e-6 if dtype.endswith("f4") or scale == "0.013" else 1e-15)
    assert np.isfinite(ours[~np.isnan(ours)]).all()
