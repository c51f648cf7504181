"""PDS3 objects beyond plain images, on products written here in the labels' own dialects: QUBE /
SPECTRAL_QUBE in each axis order (against pdr), suffix planes, packed 12/10/4-bit and signed samples
(against values packed by hand: pdr reads whole-byte samples only), binary tables, BIT_COLUMN and ASCII
tables against pdr, stored and masked + scaled."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import archive_fed as af
from archive_fed.errors import ProductError
from tests.products.test_parity_bits import pack

pdr = pytest.importorskip("pdr")


def pdr_read(label, name: str, scaled: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = pdr.read(str(label))
        return data.get_scaled(name) if scaled else data[name]


def as_floats(values) -> np.ndarray:
    return np.ma.filled(np.ma.asarray(values).astype(np.float64), np.nan)


# ---- QUBE ---------------------------------------------------------------------------------------------
#: storage order (fastest axis first) → BAND_STORAGE_TYPE words
ORDERS = {("SAMPLE", "LINE", "BAND"): "BAND_SEQUENTIAL", ("SAMPLE", "BAND", "LINE"): "LINE_INTERLEAVED",
          ("BAND", "SAMPLE", "LINE"): "SAMPLE_INTERLEAVED"}
CENTRES = (0.75, 0.95, 1.25)


def write_qube(tmp_path, axes: tuple[str, ...], suffix: dict[str, int] | None = None, *,
               kind: str = "QUBE", item_type: str = "MSB_INTEGER", dtype: str = ">i2",
               packing: str = " CORE_BASE = 1.5\n CORE_MULTIPLIER = 0.5\n") -> tuple[object, np.ndarray]:
    """A qube of 3 bands x 4 lines x 5 samples in ``axes`` order; each suffix item holds -999."""
    suffix = suffix or {}
    core = np.arange(60, dtype=np.int64).reshape(3, 4, 5) * 3 - 40       # (band, line, sample)
    core[1, 2, 3] = -32768
    sizes = {"BAND": 3, "LINE": 4, "SAMPLE": 5}
    position = {"BAND": 0, "LINE": 1, "SAMPLE": 2}
    stored_core = core.transpose([position[a] for a in reversed(axes)])   # slowest axis first
    full = np.full([sizes[a] + suffix.get(a, 0) for a in reversed(axes)], -999, dtype=dtype)
    full[tuple(slice(0, sizes[a]) for a in reversed(axes))] = stored_core
    (tmp_path / "q.qub").write_bytes(full.tobytes())
    suffix_keys = ""
    if suffix:
        suffix_keys = f" SUFFIX_ITEMS = ({', '.join(str(suffix.get(a, 0)) for a in axes)})\n" + "".join(
            f" {a}_SUFFIX_ITEM_BYTES = {np.dtype(dtype).itemsize}\n" for a in suffix)
    (tmp_path / "q.lbl").write_text(
        f'PDS_VERSION_ID = PDS3\n^{kind} = "q.qub"\nOBJECT = {kind}\n AXES = 3\n'
        f" AXIS_NAME = ({', '.join(axes)})\n CORE_ITEMS = ({', '.join(str(sizes[a]) for a in axes)})\n"
        f" CORE_ITEM_BYTES = {np.dtype(dtype).itemsize}\n CORE_ITEM_TYPE = {item_type}\n{packing}"
        f" CORE_NULL = -32768\n CORE_NAME = RADIANCE\n CORE_UNIT = \"W/M**2/SR/MICRON\"\n{suffix_keys}"
        f" GROUP = BAND_BIN\n  BAND_BIN_CENTER = {CENTRES}\n  BAND_BIN_UNIT = MICROMETER\n"
        f" END_GROUP = BAND_BIN\nEND_OBJECT = {kind}\nEND\n")
    return tmp_path / "q.lbl", core


@pytest.mark.parametrize("axes", list(ORDERS))
@pytest.mark.parametrize("suffix", [{}, {"BAND": 1}, {"SAMPLE": 2}], ids=["core", "backplane", "sideplane"])
def test_qube_against_pdr(tmp_path, axes, suffix):
    label, core = write_qube(tmp_path, axes, suffix)
    stored = af.open_product(label, mask_and_scale=False)["QUBE"]
    assert stored.dims == ("band", "line", "sample") and stored.shape == (3, 4, 5)
    np.testing.assert_array_equal(stored.values, core)
    theirs = np.asarray(pdr_read(label, "QUBE"))       # pdr: (band, line, sample) too
    np.testing.assert_array_equal(stored.values, theirs)
    ours = af.open_product(label)["QUBE"]
    # pdr's get_scaled applies SCALING_FACTOR/OFFSET only: CORE_BASE + CORE_MULTIPLIER x pdr's values
    expected = 1.5 + 0.5 * theirs.astype(np.float64)
    expected[1, 2, 3] = np.nan                       # CORE_NULL: NaN in ours
    np.testing.assert_array_equal(ours.values, expected)
    assert ours["wavelength"].values.tolist() == list(CENTRES)
    assert ours["wavelength"].attrs["units"] == "micron"
    assert ours.attrs["long_name"] == "RADIANCE" and ours.attrs["units_label"] == "W/M**2/SR/MICRON"


def test_spectral_qube_vax_core(tmp_path):
    # SPECTRAL_QUBE with little-endian integers: same object, another name and byte order
    label, core = write_qube(tmp_path, ("SAMPLE", "LINE", "BAND"), {"BAND": 2}, kind="SPECTRAL_QUBE",
                             item_type="LSB_INTEGER", dtype="<i2", packing="")
    ds = af.open_product(label)
    expected = core.astype(np.float64)
    expected[1, 2, 3] = np.nan
    np.testing.assert_array_equal(ds["SPECTRAL_QUBE"].values, expected)
    np.testing.assert_array_equal(np.asarray(pdr_read(label, "SPECTRAL_QUBE")), core)


def test_qube_suffix_on_two_axes(tmp_path):
    # pdr refuses suffix planes on more than one axis; the layout is the same rule applied twice
    label, core = write_qube(tmp_path, ("SAMPLE", "LINE", "BAND"), {"SAMPLE": 1, "LINE": 2, "BAND": 1})
    stored = af.open_product(label, mask_and_scale=False)["QUBE"]
    np.testing.assert_array_equal(stored.values, core)
    assert stored.attrs["suffix_items"] == [1, 2, 1]


def test_qube_without_band_axis_is_a_product_error(tmp_path):
    label, _ = write_qube(tmp_path, ("SAMPLE", "LINE", "BAND"))
    label.write_text(label.read_text().replace("(SAMPLE, LINE, BAND)", "(SAMPLE, LINE, TIME)"))
    with pytest.raises(ProductError, match="AXIS_NAME"):
        af.open_product(label)


# ---- packed samples -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bits, sample_type, samples, prefix", [
    (12, "MSB_UNSIGNED_INTEGER", 6, 0), (12, "UNSIGNED_INTEGER", 5, 3), (10, "MSB_UNSIGNED_INTEGER", 7, 0),
    (4, "MSB_UNSIGNED_INTEGER", 9, 2), (12, "MSB_INTEGER", 6, 0), (10, "INTEGER", 5, 1)])
def test_packed_image(tmp_path, bits, sample_type, samples, prefix):
    lines = 4
    signed = "UNSIGNED" not in sample_type
    generator = np.random.default_rng(bits + samples)
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    values = generator.integers(low + 1, high, (lines, samples))
    values[2, 1] = low
    # each line starts on a byte boundary, after its prefix bytes
    data = b"".join(b"P" * prefix + pack([int(v) for v in row], bits) for row in values)
    (tmp_path / "p.img").write_bytes(data)
    (tmp_path / "p.lbl").write_text(
        f'PDS_VERSION_ID = PDS3\n^IMAGE = "p.img"\nOBJECT = IMAGE\n LINES = {lines}\n LINE_SAMPLES = {samples}\n'
        f" SAMPLE_TYPE = {sample_type}\n SAMPLE_BITS = {bits}\n LINE_PREFIX_BYTES = {prefix}\n"
        f" SCALING_FACTOR = 0.25\n OFFSET = -3\n MISSING_CONSTANT = {low}\nEND_OBJECT = IMAGE\nEND\n")
    stored = af.open_product(tmp_path / "p.lbl", mask_and_scale=False)["IMAGE"]
    assert stored.dims == ("line", "sample") and stored.values.tolist() == values.tolist()
    assert stored.dtype.kind == ("i" if signed else "u") and stored.attrs["sample_bits"] == bits
    scaled = af.open_product(tmp_path / "p.lbl")["IMAGE"].values
    expected = values * 0.25 - 3
    expected[2, 1] = np.nan
    np.testing.assert_array_equal(scaled, expected)


def test_packed_bands(tmp_path):
    values = np.arange(2 * 3 * 4).reshape(2, 3, 4) * 150 % 4096
    (tmp_path / "p.img").write_bytes(pack([int(v) for v in values.ravel()], 12))
    (tmp_path / "p.lbl").write_text(
        'PDS_VERSION_ID = PDS3\n^IMAGE = "p.img"\nOBJECT = IMAGE\n LINES = 3\n LINE_SAMPLES = 4\n BANDS = 2\n'
        " SAMPLE_TYPE = MSB_UNSIGNED_INTEGER\n SAMPLE_BITS = 12\n BAND_STORAGE_TYPE = BAND_SEQUENTIAL\n"
        " CENTER_FILTER_WAVELENGTH = (415, 750) <nm>\nEND_OBJECT = IMAGE\nEND\n")
    ds = af.open_product(tmp_path / "p.lbl")
    assert ds["IMAGE"].dims == ("band", "line", "sample")
    assert ds["IMAGE"].values.tolist() == values.tolist() and ds["wavelength"].values.tolist() == [415, 750]


def test_packed_truncated_and_unsupported_are_product_errors(tmp_path):
    (tmp_path / "p.img").write_bytes(b"\x00" * 5)
    head = 'PDS_VERSION_ID = PDS3\n^IMAGE = "p.img"\nOBJECT = IMAGE\n LINES = 2\n LINE_SAMPLES = 4\n'
    (tmp_path / "p.lbl").write_text(head + " SAMPLE_TYPE = MSB_UNSIGNED_INTEGER\n SAMPLE_BITS = 12\n"
                                    "END_OBJECT = IMAGE\nEND\n")
    with pytest.raises(ProductError, match="need 12 bytes"):
        af.open_product(tmp_path / "p.lbl")
    (tmp_path / "p.lbl").write_text(head + " SAMPLE_TYPE = IEEE_REAL\n SAMPLE_BITS = 12\nEND_OBJECT = IMAGE\nEND\n")
    with pytest.raises(ProductError, match="not supported"):
        af.open_product(tmp_path / "p.lbl")


# ---- tables -------------------------------------------------------------------------------------------
BINARY_COLUMNS = [  # name, DATA_TYPE, numpy dtype, extra keywords
    ("TIME", "MSB_UNSIGNED_INTEGER", ">u4", ""), ("COUNTS", "MSB_INTEGER", ">i2", " MISSING_CONSTANT = -1\n"),
    ("TEMP", "LSB_INTEGER", "<i2", " SCALING_FACTOR = 0.01\n OFFSET = 273.15\n"),
    ("FLUX", "IEEE_REAL", ">f8", ""), ("GAIN", "PC_REAL", "<f4", ""), ("LSBU", "LSB_UNSIGNED_INTEGER", "<u2", ""),
    ("NAME", "CHARACTER", "S6", ""), ("STATUS", "MSB_BIT_STRING", ">u2", ""),
]


def binary_table(rows: int) -> np.ndarray:
    dtype = np.dtype([(n, d) for n, _, d, _ in BINARY_COLUMNS] + [("SPECTRUM", ">i2", (3,))])
    generator = np.random.default_rng(5)
    table = np.zeros(rows, dtype=dtype)
    for name, _, kind, _ in BINARY_COLUMNS:
        if kind.startswith("S"):
            table[name] = [f"ROW{r:03d}".encode()[:6] for r in range(rows)]
        elif np.dtype(kind).kind == "f":
            table[name] = generator.normal(0, 1e3, rows)
        else:
            info = np.iinfo(np.dtype(kind))
            table[name] = generator.integers(max(info.min, -30000), min(info.max, 60000), rows)
    table["COUNTS"][2] = -1
    table["SPECTRUM"] = generator.integers(-500, 500, (rows, 3))
    return table


def table_label(rows: int, row_bytes: int, columns: str) -> str:
    return (f'PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = {row_bytes}\n^TABLE = "t.dat"\n'
            f"OBJECT = TABLE\n INTERCHANGE_FORMAT = BINARY\n ROWS = {rows}\n ROW_BYTES = {row_bytes}\n"
            f"{columns}END_OBJECT = TABLE\nEND\n")


def binary_columns(table: np.ndarray, bit_columns: str = "") -> str:
    out = []
    for name, data_type, _, extra in BINARY_COLUMNS:
        start = table.dtype.fields[name][1] + 1
        bits = bit_columns if name == "STATUS" else ""
        out.append(f" OBJECT = COLUMN\n  NAME = {name}\n  DATA_TYPE = {data_type}\n  START_BYTE = {start}\n"
                   f"  BYTES = {table.dtype[name].itemsize}\n{extra}{bits} END_OBJECT = COLUMN\n")
    start = table.dtype.fields["SPECTRUM"][1] + 1
    out.append(f" OBJECT = COLUMN\n  NAME = SPECTRUM\n  DATA_TYPE = MSB_INTEGER\n  START_BYTE = {start}\n"
               "  BYTES = 6\n  ITEMS = 3\n  ITEM_BYTES = 2\n END_OBJECT = COLUMN\n")
    return "".join(out)


def test_binary_table_against_pdr(tmp_path):
    table = binary_table(7)
    (tmp_path / "t.dat").write_bytes(table.tobytes())
    (tmp_path / "t.lbl").write_text(table_label(7, table.dtype.itemsize, binary_columns(table)))
    stored = af.open_product(tmp_path / "t.lbl", mask_and_scale=False)
    ours = af.open_product(tmp_path / "t.lbl")
    theirs = pdr_read(tmp_path / "t.lbl", "TABLE")
    for name, _, kind, _ in BINARY_COLUMNS:
        if kind.startswith("S"):
            assert ours[name].values.tolist() == [s.decode().strip() for s in theirs[name]]
            continue
        if name == "STATUS":                    # pdr: bit strings as bytes
            assert stored[name].values.tolist() == [int.from_bytes(v, "big") for v in theirs[name]]
            continue
        expected = theirs[name].to_numpy().astype(np.float64)   # pdr's tables come scaled
        if name == "TEMP":
            np.testing.assert_array_equal(stored[name].values, table[name])
        else:
            np.testing.assert_array_equal(stored[name].values, theirs[name].to_numpy(), err_msg=name)
        if name == "COUNTS":
            expected[2] = np.nan
        np.testing.assert_allclose(ours[name].values.astype(np.float64), expected, rtol=1e-15, err_msg=name)
    spectrum = np.stack([theirs[f"SPECTRUM_{k}"].to_numpy() for k in range(3)], axis=1)
    np.testing.assert_array_equal(stored["SPECTRUM"].values, spectrum)


BIT_COLUMNS = [("MODE", "MSB_UNSIGNED_INTEGER", 1, 3, ""), ("SIGN", "MSB_INTEGER", 4, 5, ""),
               ("FLAG", "BOOLEAN", 9, 1, ""), ("LEVEL", "UNSIGNED_INTEGER", 10, 7, " SCALING_FACTOR = 2\n")]


def test_bit_columns_against_pdr(tmp_path):
    table = binary_table(6)
    bits = "".join(f"  OBJECT = BIT_COLUMN\n   NAME = {n}\n   BIT_DATA_TYPE = {t}\n   START_BIT = {s}\n"
                   f"   BITS = {b}\n{extra}  END_OBJECT = BIT_COLUMN\n" for n, t, s, b, extra in BIT_COLUMNS)
    (tmp_path / "t.dat").write_bytes(table.tobytes())
    (tmp_path / "t.lbl").write_text(table_label(6, table.dtype.itemsize, binary_columns(table, bits)))
    stored = af.open_product(tmp_path / "t.lbl", mask_and_scale=False)
    ours = af.open_product(tmp_path / "t.lbl")
    words = [int(w) for w in table["STATUS"]]
    theirs = pdr_read(tmp_path / "t.lbl", "TABLE")["STATUS"]      # pdr: one bit string per bit column
    for k, (name, data_type, start, width, _) in enumerate(BIT_COLUMNS):
        expected = [(w >> (16 - start - width + 1)) & ((1 << width) - 1) for w in words]
        assert [int(row[k], 2) for row in theirs] == expected, name
        if data_type == "MSB_INTEGER":
            expected = [e - (1 << width) if e >> (width - 1) else e for e in expected]
        assert stored[name].values.tolist() == expected, name
    assert ours["LEVEL"].values.tolist() == [2 * v for v in stored["LEVEL"].values.tolist()]
    assert stored["LEVEL"].attrs["start_bit"] == 10 and stored["STATUS"].values.tolist() == words


def test_lsb_bit_column_counts_from_the_most_significant_byte(tmp_path):
    rows = np.array([0x8001, 0x4002, 0x0003], dtype="<u2")
    (tmp_path / "t.dat").write_bytes(rows.tobytes())
    (tmp_path / "t.lbl").write_text(table_label(3, 2, (
        " OBJECT = COLUMN\n  NAME = W\n  DATA_TYPE = LSB_BIT_STRING\n  START_BYTE = 1\n  BYTES = 2\n"
        "  OBJECT = BIT_COLUMN\n   NAME = TOP\n   BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER\n   START_BIT = 1\n"
        "   BITS = 2\n  END_OBJECT = BIT_COLUMN\n  OBJECT = BIT_COLUMN\n   NAME = LOW\n"
        "   BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER\n   START_BIT = 15\n   BITS = 2\n  END_OBJECT = BIT_COLUMN\n"
        " END_OBJECT = COLUMN\n")))
    ds = af.open_product(tmp_path / "t.lbl")
    assert ds["TOP"].values.tolist() == [2, 1, 0] and ds["LOW"].values.tolist() == [1, 2, 3]
    theirs = pdr_read(tmp_path / "t.lbl", "TABLE")["W"]
    assert [int(row[0], 2) for row in theirs] == [2, 1, 0] and [int(row[1], 2) for row in theirs] == [1, 2, 3]


ASCII_FIELDS = [("UTC", "TIME", 23, ""), ("N", "ASCII_INTEGER", 3, ""), ("X", "ASCII_REAL", 10, ""),
                ("CODE", "CHARACTER", 2, ""), ("Y", "ASCII_REAL", 6, " MISSING_CONSTANT = -99.0\n SCALING_FACTOR = 10\n")]
ASCII_ROWS = [("2009-06-30T08:34:07.123", "12", "-3.25E+01", "AB", "0.5"),
              ("2009-06-30T08:34:08.000", "-7", "1.5", "CD", "-99.0"),
              ("2009-06-30T08:34:09.500", "0", "2.0", "EF", "7.25")]


def test_ascii_table_against_pdr(tmp_path):
    # fields right-aligned in their widths, separated by ", " (1-based START_BYTE computed from the widths)
    starts, position = [], 1
    for _, _, width, _ in ASCII_FIELDS:
        starts.append(position)
        position += width + 2
    lines = [", ".join(v.rjust(f[2]) for v, f in zip(row, ASCII_FIELDS)) for row in ASCII_ROWS]
    width = len(lines[0])
    (tmp_path / "t.tab").write_bytes("".join(r + "\r\n" for r in lines).encode())
    body = "".join(f" OBJECT = COLUMN\n  NAME = {n}\n  DATA_TYPE = {t}\n  START_BYTE = {s}\n  BYTES = {b}\n{extra}"
                   " END_OBJECT = COLUMN\n" for (n, t, b, extra), s in zip(ASCII_FIELDS, starts))
    (tmp_path / "t.lbl").write_text(
        f'PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = {width + 2}\n^TABLE = "t.tab"\n'
        f"OBJECT = TABLE\n INTERCHANGE_FORMAT = ASCII\n ROWS = 3\n ROW_BYTES = {width + 2}\n{body}"
        "END_OBJECT = TABLE\nEND\n")
    ours = af.open_product(tmp_path / "t.lbl")
    stored = af.open_product(tmp_path / "t.lbl", mask_and_scale=False)
    theirs = pdr_read(tmp_path / "t.lbl", "TABLE")
    assert stored["N"].values.tolist() == theirs["N"].tolist() == [12, -7, 0]
    assert stored["X"].values.tolist() == theirs["X"].tolist() == [-32.5, 1.5, 2.0]
    assert ours["CODE"].values.tolist() == [str(v).strip() for v in theirs["CODE"]]
    assert stored["Y"].values.tolist() == [0.5, -99.0, 7.25]
    # pdr's tables come scaled, the missing constant scaled with the rest (-990): NaN in ours
    assert theirs["Y"].tolist() == [5.0, -990.0, 72.5]
    np.testing.assert_array_equal(ours["Y"].values, [5.0, np.nan, 72.5])
    assert str(ours["UTC"].values[2]).startswith("2009-06-30T08:34:09.5")


@pytest.mark.parametrize("axes", list(ORDERS))
def test_qube_suffix_planes_beside_the_core(tmp_path, axes):
    # storage slowest axis first; every item distinct, so each plane is checked where it lies
    sizes, suffix = {"BAND": 3, "LINE": 4, "SAMPLE": 5}, {"BAND": 2, "SAMPLE": 1}
    storage = [sizes[a] + suffix.get(a, 0) for a in reversed(axes)]
    full = np.arange(int(np.prod(storage)), dtype=">i4").reshape(storage)
    (tmp_path / "q.qub").write_bytes(full.tobytes())
    (tmp_path / "q.lbl").write_text(
        'PDS_VERSION_ID = PDS3\n^QUBE = "q.qub"\nOBJECT = QUBE\n AXES = 3\n'
        f" AXIS_NAME = ({', '.join(axes)})\n CORE_ITEMS = ({', '.join(str(sizes[a]) for a in axes)})\n"
        " CORE_ITEM_BYTES = 4\n CORE_ITEM_TYPE = MSB_INTEGER\n"
        f" SUFFIX_ITEMS = ({', '.join(str(suffix.get(a, 0)) for a in axes)})\n BAND_SUFFIX_ITEM_BYTES = 4\n"
        " SAMPLE_SUFFIX_ITEM_BYTES = 4\n BAND_SUFFIX_NAME = (LATITUDE, LONGITUDE)\n BAND_SUFFIX_MULTIPLIER = 0.5\n"
        "END_OBJECT = QUBE\nEND\n")
    to_bls = [list(reversed(axes)).index(a) for a in ("BAND", "LINE", "SAMPLE")]
    cube = full.transpose(to_bls)                   # (band, line, sample) with the suffix rows/columns
    ds = af.open_product(tmp_path / "q.lbl")
    np.testing.assert_array_equal(ds["QUBE"].values, cube[:3, :4, :5])
    np.testing.assert_array_equal(ds["QUBE_band_suffix"].values, cube[3:5, :4, :5] * 0.5)
    assert ds["QUBE_band_suffix"].dims == ("band_suffix", "line", "sample")
    assert ds["band_suffix_name"].values.tolist() == ["LATITUDE", "LONGITUDE"]
    np.testing.assert_array_equal(ds["QUBE_sample_suffix"].values, cube[:3, :4, 5:6])


def test_bit_columns_inside_a_container(tmp_path):
    # each row: two repetitions of a 1-byte flag word; bits 1-3 and 4-8 of each
    words = np.array([[0b101_00011, 0b010_11111], [0b111_00000, 0b000_00001]], dtype="u1")
    (tmp_path / "t.dat").write_bytes(words.tobytes())
    (tmp_path / "t.lbl").write_text(table_label(2, 2, (
        " OBJECT = CONTAINER\n  NAME = CHANNEL\n  START_BYTE = 1\n  BYTES = 1\n  REPETITIONS = 2\n"
        "  OBJECT = COLUMN\n   NAME = FLAGS\n   DATA_TYPE = MSB_BIT_STRING\n   START_BYTE = 1\n   BYTES = 1\n"
        "   OBJECT = BIT_COLUMN\n    NAME = HIGH\n    BIT_DATA_TYPE = MSB_UNSIGNED_INTEGER\n    START_BIT = 1\n"
        "    BITS = 3\n   END_OBJECT = BIT_COLUMN\n   OBJECT = BIT_COLUMN\n    NAME = LOW\n"
        "    BIT_DATA_TYPE = MSB_INTEGER\n    START_BIT = 4\n    BITS = 5\n   END_OBJECT = BIT_COLUMN\n"
        "  END_OBJECT = COLUMN\n END_OBJECT = CONTAINER\n")))
    ds = af.open_product(tmp_path / "t.lbl")
    assert ds["HIGH"].dims == ("record", "CHANNEL") and ds["HIGH"].values.tolist() == [[5, 2], [7, 0]]
    assert ds["LOW"].values.tolist() == [[3, -1], [0, 1]]
