"""Stored element types of PDS3 and PDS4 and their decoding: numpy dtypes, VAX floats, text numbers, units.

>>> pds3_element("MSB_INTEGER", 16).stored.str, pds4_element("IEEE754LSBSingle", 4).stored.str
('>i2', '<f4')
>>> decode_vax(np.array([0x4080, 0], dtype="<u2").view("<u4"), "vax_f")  # 1.0 as a VAX F-float
array([1.], dtype=float32)
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ..errors import ProductError
from ..labels.base import parse_unit
from .layout import Element

# ---- PDS3 ---------------------------------------------------------------------------------------------
_PDS3_ORDER = {  # SAMPLE_TYPE / DATA_TYPE words → (byte order, kind); kind i/u/f/c/vax/text/bits
    "MSB_INTEGER": (">", "i"), "INTEGER": (">", "i"), "SUN_INTEGER": (">", "i"), "MAC_INTEGER": (">", "i"),
    "LSB_INTEGER": ("<", "i"), "PC_INTEGER": ("<", "i"), "VAX_INTEGER": ("<", "i"),
    "MSB_UNSIGNED_INTEGER": (">", "u"), "UNSIGNED_INTEGER": (">", "u"), "SUN_UNSIGNED_INTEGER": (">", "u"),
    "MAC_UNSIGNED_INTEGER": (">", "u"), "LSB_UNSIGNED_INTEGER": ("<", "u"),
    "PC_UNSIGNED_INTEGER": ("<", "u"), "VAX_UNSIGNED_INTEGER": ("<", "u"),
    "IEEE_REAL": (">", "f"), "REAL": (">", "f"), "FLOAT": (">", "f"), "SUN_REAL": (">", "f"),
    "MAC_REAL": (">", "f"), "PC_REAL": ("<", "f"),
    "IEEE_COMPLEX": (">", "c"), "COMPLEX": (">", "c"), "SUN_COMPLEX": (">", "c"), "MAC_COMPLEX": (">", "c"),
    "PC_COMPLEX": ("<", "c"),
    "VAX_REAL": ("<", "vax"), "VAX_DOUBLE": ("<", "vax_d"), "VAXG_REAL": ("<", "vax_g"),
    "MSB_BIT_STRING": (">", "u"), "LSB_BIT_STRING": ("<", "u"), "VAX_BIT_STRING": ("<", "u"),
    "BIT_STRING": (">", "u"), "BOOLEAN": (">", "u"),
    "CHARACTER": ("|", "text"), "ASCII_REAL": ("|", "text"), "ASCII_INTEGER": ("|", "text"),
    "ASCII_COMPLEX": ("|", "text"), "TIME": ("|", "text"), "DATE": ("|", "text"),
    "ASCII_CHARACTER": ("|", "text"),
}
#: PDS3 DATA_TYPE values of ASCII columns, and how to read them.
PDS3_TEXT_KINDS = {"ASCII_REAL": "real", "ASCII_INTEGER": "integer", "REAL": "real", "INTEGER": "integer",
                   "FLOAT": "real", "TIME": "time", "DATE": "time", "CHARACTER": "string",
                   "ASCII_CHARACTER": "string", "BOOLEAN": "integer", "ASCII_COMPLEX": "string",
                   "UNSIGNED_INTEGER": "integer", "ASCII_UNSIGNED_INTEGER": "integer", "N/A": "string"}


def _normal_type(text: str) -> str:
    return re.sub(r"[\s-]+", "_", str(text).strip().upper())


def pds3_element(sample_type: str, bits: int, *, where: str | None = None, path: str | None = None,
                 small_ints_unsigned: bool = True) -> Element:
    """The :class:`Element` of a PDS3 ``SAMPLE_TYPE``/``DATA_TYPE`` of ``bits`` bits.

    8-bit integers are read unsigned whatever the sign word says (``LSB_INTEGER`` 8-bit LROC EDR pixels
    are 0-255 counts; GDAL and ISIS do the same) unless ``small_ints_unsigned`` is False.
    """
    name = _normal_type(sample_type)
    if name not in _PDS3_ORDER:
        raise ProductError(f"unsupported PDS3 data type {sample_type!r}", path=path, element=where)
    order, kind = _PDS3_ORDER[name]
    if kind == "text":
        return Element(np.dtype(f"S{max(bits // 8, 1)}"), "text")
    if bits % 8:
        raise ProductError(f"{bits}-bit packed samples are not supported", path=path, element=where)
    size = bits // 8
    if kind == "vax":
        codec = {4: "vax_f", 8: "vax_d"}.get(size)
        if codec is None:
            raise ProductError(f"{bits}-bit VAX_REAL is not supported", path=path, element=where)
        return Element(np.dtype(f"<u{size}"), codec)
    if kind in ("vax_d", "vax_g"):
        if size != 8:
            raise ProductError(f"{bits}-bit {name} is not supported", path=path, element=where)
        return Element(np.dtype("<u8"), kind)
    if kind == "i" and size == 1 and small_ints_unsigned:
        kind = "u"
    if kind == "u" and size not in (1, 2, 4, 8):
        return Element(np.dtype("u1"), "bytes") if size else Element(np.dtype("u1"))
    try:
        dtype = np.dtype(f"{order if size > 1 else '|'}{kind}{size}")
    except TypeError:
        raise ProductError(f"{bits}-bit {name} is not supported", path=path, element=where) from None
    return Element(dtype)


def pds3_integer_sign(data_type: str, *, where: str | None = None, path: str | None = None) -> bool:
    """Whether an integer PDS3 ``SAMPLE_TYPE``/``BIT_DATA_TYPE`` of packed samples or bit columns is
    signed (``MSB_INTEGER``, ``INTEGER``); unsigned for ``UNSIGNED_INTEGER``, ``BOOLEAN``, bit strings.
    Other types (floats, LSB integers, whose bit order in a packed stream no standard fixes) are refused."""
    name = _normal_type(data_type)
    order, kind = _PDS3_ORDER.get(name, ("", ""))
    if kind not in ("i", "u") or (order == "<" and "BIT_STRING" not in name):
        raise ProductError(f"packed or bit samples of type {data_type!r} are not supported", path=path,
                           element=where)
    return kind == "i"


# ---- PDS4 ---------------------------------------------------------------------------------------------
_PDS4_BINARY = re.compile(r"^(Signed|Unsigned)(MSB|LSB)([248])$|^(Signed|Unsigned)Byte$|"
                          r"^IEEE754(MSB|LSB)(Single|Double)$|^Complex(MSB|LSB)(8|16)$")


def pds4_element(data_type: str, length: int | None = None, *, where: str | None = None,
                 path: str | None = None) -> Element:
    """The :class:`Element` of a PDS4 binary ``data_type`` (``SignedMSB2``, ``IEEE754LSBDouble``,
    ``ComplexMSB16``, ``UnsignedByte``...); ASCII/UTF8 types give a ``text`` element of ``length`` bytes;
    bit strings give opaque bytes."""
    match = _PDS4_BINARY.match(data_type.strip())
    if match:
        sign, order, size, byte_sign, f_order, f_size, c_order, c_size = match.groups()
        if byte_sign:
            return Element(np.dtype("i1" if byte_sign == "Signed" else "u1"))
        if sign:
            return Element(np.dtype(f"{'>' if order == 'MSB' else '<'}{'i' if sign == 'Signed' else 'u'}{size}"))
        if f_order:
            return Element(np.dtype(f"{'>' if f_order == 'MSB' else '<'}f{4 if f_size == 'Single' else 8}"))
        return Element(np.dtype(f"{'>' if c_order == 'MSB' else '<'}c{c_size}"))
    if data_type.startswith(("ASCII_", "UTF8_")):
        return Element(np.dtype(f"S{max(length or 1, 1)}"), "text")
    if data_type.endswith("BitString"):
        return Element(np.dtype("u1"), "bytes")
    raise ProductError(f"unsupported PDS4 data type {data_type!r}", path=path, element=where)


def pds4_text_kind(data_type: str) -> str:
    """How a PDS4 character/delimited field is read: ``integer``, ``real``, ``boolean``, ``base2``...
    ``base16``, ``time`` or ``string``."""
    if data_type in ("ASCII_Integer", "ASCII_NonNegative_Integer"):
        return "integer"
    if data_type == "ASCII_Boolean":
        return "boolean"
    if data_type == "ASCII_Real":
        return "real"
    if data_type.startswith(("ASCII_Date", "ASCII_Time")):
        return "time"
    if data_type.startswith("ASCII_Numeric_Base"):
        return "base" + data_type.rsplit("Base", 1)[1]
    return "string"


# ---- decoding -----------------------------------------------------------------------------------------
def decode_vax(raw: np.ndarray, codec: str) -> np.ndarray:
    """VAX F (32-bit), D or G (64-bit) floats → IEEE. ``raw`` is the element viewed as ``<u4``/``<u8``
    (little-endian 16-bit words, most significant word first)."""
    raw = np.asarray(raw)
    if codec == "vax_f":
        words = raw.astype(np.uint32)
        bits = ((words & 0xFFFF) << 16) | (words >> 16)
        sign = np.where(bits >> 31, -1.0, 1.0)
        exponent = ((bits >> 23) & 0xFF).astype(np.int64)
        fraction = (bits & 0x7FFFFF) | 0x800000
        value = sign * np.ldexp(fraction.astype(np.float64), exponent - 128 - 24)
        value = np.where(exponent == 0, np.where(sign < 0, np.nan, 0.0), value)
        return value.astype(np.float32)
    words = raw.astype(np.uint64)
    swapped = ((words & np.uint64(0xFFFF)) << np.uint64(48)) | (((words >> np.uint64(16)) & np.uint64(0xFFFF))
                                                                << np.uint64(32)) \
        | (((words >> np.uint64(32)) & np.uint64(0xFFFF)) << np.uint64(16)) | (words >> np.uint64(48))
    sign = np.where(swapped >> np.uint64(63), -1.0, 1.0)
    if codec == "vax_d":
        exp_bits, frac_bits, bias = 8, 55, 128
    else:
        exp_bits, frac_bits, bias = 11, 52, 1024
    exponent = ((swapped >> np.uint64(frac_bits)) & np.uint64((1 << exp_bits) - 1)).astype(np.int64)
    fraction = (swapped & np.uint64((1 << frac_bits) - 1)) | np.uint64(1 << frac_bits)
    # split the 56/53-bit mantissa so float64 conversion keeps every bit that fits
    high = (fraction >> np.uint64(24)).astype(np.float64)
    low = (fraction & np.uint64(0xFFFFFF)).astype(np.float64)
    value = sign * (np.ldexp(high, exponent - bias - frac_bits - 1 + 24) + np.ldexp(low, exponent - bias
                                                                                    - frac_bits - 1))
    return np.where(exponent == 0, np.where(sign < 0, np.nan, 0.0), value)


def decode(raw: np.ndarray, element: Element) -> np.ndarray:
    """Stored elements (as viewed with ``element.stored``) → values in native byte order.

    ``raw`` may be a read-only view of a memory map (copied here) or a writeable array the byte source
    made for this read (returned as is when already native and contiguous)."""
    if element.codec in ("native", "bytes"):
        if raw.dtype.isnative:
            if raw.flags.writeable and raw.flags.c_contiguous:
                return raw          # a private buffer the byte source filled for us: no copy
            return np.array(raw, copy=True, order="C")
        return raw.astype(raw.dtype.newbyteorder("="), order="C")
    if element.codec.startswith("vax"):
        return decode_vax(raw, element.codec)
    if element.codec == "text":
        return text_strings(raw)
    raise ProductError(f"unknown codec {element.codec!r}")


def text_strings(raw: np.ndarray) -> np.ndarray:
    """Fixed-width byte strings → stripped ``str`` (UTF-8, Latin-1 where not valid UTF-8)."""
    stripped = np.char.strip(np.asarray(raw))
    try:
        return np.char.decode(stripped, "utf-8")
    except UnicodeDecodeError:
        return np.char.decode(stripped, "latin-1")


_BLANKS = {"", "NULL", "N/A", "UNK", "NAN", "-"}


def parse_numbers(strings: np.ndarray, kind: str) -> np.ndarray:
    """Text numbers → int64 (``integer``; float64 with NaN if any is blank) or float64 (``real``).

    Fortran ``D`` exponents are read; blank and ``NULL``-like texts become NaN.
    """
    strings = np.asarray(strings, dtype=str)
    flat = np.char.strip(strings.ravel())
    if kind.startswith("base"):
        base = int(kind[4:])
        try:
            numbers = [int(s, base) if s.upper() not in _BLANKS else None for s in flat]
        except ValueError:
            bad = next(s for s in flat if not _is_base(s, base))
            raise ProductError(f"not a base-{base} number: {bad!r}") from None
        if any(n is None for n in numbers):   # blanks: NaN, as in decimal columns
            return np.array([math.nan if n is None else n for n in numbers],
                            dtype=np.float64).reshape(strings.shape)
        return np.array(numbers, dtype=np.int64).reshape(strings.shape)
    if kind == "integer":
        try:
            return flat.astype(np.int64).reshape(strings.shape)
        except (ValueError, OverflowError):
            pass
    try:
        return flat.astype(np.float64).reshape(strings.shape)
    except ValueError:
        pass
    out = np.empty(flat.shape, dtype=np.float64)
    for i, text in enumerate(flat):
        try:
            out[i] = float(text.replace("D", "E").replace("d", "e"))
        except ValueError:
            if text.upper() not in _BLANKS:
                raise ProductError(f"not a number: {text!r}") from None
            out[i] = math.nan
    return out.reshape(strings.shape)


def _is_base(text: str, base: int) -> bool:
    try:
        int(text, base)
    except ValueError:
        return text.upper() in _BLANKS
    return True


def parse_times(strings: np.ndarray) -> np.ndarray:
    """Text times → ``datetime64[ns]`` (UTC, naive) where every non-blank value parses; else the strings."""
    import pandas as pd

    from ..labels.values import utc_time

    strings = np.asarray(strings, dtype=str)
    flat = np.char.strip(strings.ravel())
    try:
        parsed = pd.to_datetime(pd.Series(flat), utc=True, format="ISO8601")
        return parsed.dt.tz_localize(None).to_numpy("datetime64[ns]").reshape(strings.shape)
    except (ValueError, TypeError):
        pass
    out = np.empty(flat.shape, dtype="datetime64[ns]")
    for i, text in enumerate(flat):
        if text.upper() in _BLANKS:
            out[i] = np.datetime64("NaT")
            continue
        value = utc_time(text)
        if value is None:
            return strings
        out[i] = np.datetime64(value.replace(tzinfo=None), "ns")
    return out.reshape(strings.shape)


def parse_text_column(strings: np.ndarray, kind: str) -> np.ndarray:
    """Decode one text column by ``kind`` (``integer``/``real``/``base16``.../``time``/``string``)."""
    if kind == "string":
        return np.char.strip(np.asarray(strings, dtype=str))
    if kind == "time":
        return parse_times(strings)
    if kind == "boolean":
        return parse_booleans(strings)
    return parse_numbers(strings, kind)


_TRUE, _FALSE = {"true", "1", "t"}, {"false", "0", "f"}


def parse_booleans(strings: np.ndarray) -> np.ndarray:
    """PDS4 ``ASCII_Boolean`` texts (``true``/``false``, ``1``/``0``, any case) → ``bool``."""
    strings = np.asarray(strings, dtype=str)
    lowered = np.char.lower(np.char.strip(strings))
    known = np.isin(lowered, list(_TRUE | _FALSE))
    if not known.all():
        raise ProductError(f"not a boolean: {str(lowered[~known].ravel()[0])!r}")
    return np.isin(lowered, list(_TRUE))


# ---- units --------------------------------------------------------------------------------------------
_DIMENSIONLESS = {"ND", "DIMENSIONLESS", "UNITLESS", "1", "RATIO"}
_NO_UNIT = {"N/A", "NONE", "NULL", "UNK", "", "NA"}

def unit_attrs(text: Any) -> dict[str, str]:
    """``{"units": ..., "units_label": ...}`` for a label unit: ``units`` is astropy's generic spelling
    where astropy parses it (``W/m**2/micron/sr`` → ``W / (micron sr m2)``), ``"1"`` for ``ND``, else
    the label text; ``units_label`` always keeps the label text. Nothing for ``none``/``N/A``."""
    if text is None:
        return {}
    label_text = " ".join(str(text).split())
    upper = label_text.upper()
    if upper in _NO_UNIT:
        return {}
    if upper in _DIMENSIONLESS:
        return {"units": "1", "units_label": label_text}
    unit = parse_unit("deg_C" if upper in ("DEGC", "CELSIUS") else label_text)
    units = unit.to_string() if unit is not None else label_text
    return {"units": units or "1", "units_label": label_text}


def in_integer_domain(value: Any, value_dtype: np.dtype) -> Any:
    """A special constant as a value of integer type ``value_dtype``; None when no stored value can equal
    it (a fraction, or out of range). Values of other types are returned as they are."""
    if value_dtype.kind not in "iu":
        return value
    if isinstance(value, float) and not value.is_integer():
        return None
    info = np.iinfo(value_dtype)
    return int(value) if info.min <= int(value) <= info.max else None
