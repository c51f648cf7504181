"""Values narrower than a byte: bit fields inside stored fields and n-bit packed samples.

* :func:`bit_field` — PDS4 ``Packed_Data_Fields``/``Field_Bit`` and PDS3 ``BIT_COLUMN``: bits
  ``start``... of each stored field, counted from the most significant bit of the field's first byte
  (bit 0 here; the labels count from 1), ``SignedBitString``/``MSB_INTEGER`` bit fields read as two's
  complement.
* :func:`unpack_samples` — PDS3 images of ``SAMPLE_BITS`` 1-63 that are not whole bytes (12-bit CCD
  counts, 10-bit, 4-bit...): samples follow each other without gaps, most significant bit first.
  12 bits has a fast path (three bytes → two samples).

>>> raw = np.array([[0b1011_0011, 0b0100_0000]], dtype=np.uint8)
>>> int(bit_field(raw, 0, 4)[0]), int(bit_field(raw, 4, 6)[0]), int(bit_field(raw, 0, 4, signed=True)[0])
(11, 13, -5)
>>> unpack_samples(bytes([0x12, 0x34, 0x56]), 12, 2).tolist()
[291, 1110]
"""
from __future__ import annotations

import numpy as np

from ..errors import ProductError


def smallest_dtype(bits: int, signed: bool) -> np.dtype:
    """The narrowest numpy integer type holding ``bits``-bit values (``bits`` ≤ 64)."""
    for size in (8, 16, 32, 64):
        if bits <= size:
            return np.dtype(f"{'i' if signed else 'u'}{size // 8}")
    raise ProductError(f"a {bits}-bit value does not fit a 64-bit integer")


def _signed(values: np.ndarray, bits: int) -> np.ndarray:
    """Unsigned ``bits``-bit integers (uint64) read as two's complement."""
    as_int = values.astype(np.int64)
    if bits == 64:
        return values.view(np.int64)
    return as_int - ((as_int >> (bits - 1)) & 1) * (1 << bits)


def bit_field(raw: np.ndarray, start: int, bits: int, signed: bool = False) -> np.ndarray:
    """Bits ``start`` .. ``start + bits - 1`` (0 = most significant bit of byte 0) of each stored field.

    ``raw`` holds the fields' bytes on its last axis (``uint8``, any leading shape); the result has the
    leading shape and the smallest integer dtype holding the values (signed: two's complement)."""
    raw = np.asarray(raw, dtype=np.uint8)
    size = raw.shape[-1] if raw.ndim else 0
    if bits < 1 or start < 0 or start + bits > 8 * size:
        raise ProductError(f"bits {start + 1}-{start + bits} lie outside a {size}-byte field")
    first, last = start // 8, (start + bits - 1) // 8
    span = last - first + 1
    if span > 8:
        raise ProductError(f"a {bits}-bit field starting at bit {start + 1} spans {span} bytes (at most 8)")
    word = np.zeros(raw.shape[:-1] + (8,), dtype=np.uint8)
    word[..., 8 - span:] = raw[..., first:last + 1]
    values = word.view(">u8")[..., 0].astype(np.uint64)
    shift = np.uint64(8 * (last + 1) - (start + bits))
    mask = np.uint64((1 << bits) - 1)
    values = (values >> shift) & mask
    if signed:
        return _signed(values, bits).astype(smallest_dtype(bits, True))
    return values.astype(smallest_dtype(bits, False))


def packed_bytes(count: int, bits: int) -> int:
    """Bytes ``count`` samples of ``bits`` bits occupy (the last byte padded)."""
    return (count * bits + 7) // 8


def unpack_samples(data: bytes | np.ndarray, bits: int, count: int, signed: bool = False) -> np.ndarray:
    """The first ``count`` samples of ``bits`` bits packed most significant bit first in ``data``."""
    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) \
        else np.asarray(data, dtype=np.uint8).ravel()
    if not 1 <= bits <= 57:
        raise ProductError(f"{bits}-bit packed samples are not supported (1-57 bits)")
    need = packed_bytes(count, bits)
    if buffer.size < need:
        raise ProductError(f"{count} samples of {bits} bits need {need} bytes, the data holds {buffer.size}")
    if bits == 12:
        values = _unpack12(buffer[:need], count)
    else:
        values = _unpack_general(buffer[:need], bits, count)
    if signed:
        return _signed(values.astype(np.uint64), bits).astype(smallest_dtype(bits, True))
    return values.astype(smallest_dtype(bits, False), copy=False)


def _unpack12(buffer: np.ndarray, count: int) -> np.ndarray:
    """Three bytes ``AB CD EF`` hold the samples ``ABC`` and ``DEF`` (worked in cache-sized blocks)."""
    triples = -(-count // 2)
    if buffer.size != 3 * triples:
        padded = np.zeros(3 * triples, dtype=np.uint8)
        padded[:buffer.size] = buffer
        buffer = padded
    b = buffer.reshape(triples, 3)
    out = np.empty((triples, 2), dtype=np.uint16)
    for start in range(0, triples, _BLOCK12):
        src, dst = b[start:start + _BLOCK12], out[start:start + _BLOCK12]
        first, second = dst[:, 0], dst[:, 1]
        first[...] = src[:, 0]
        first <<= 4
        first |= src[:, 1] >> 4
        second[...] = src[:, 1] & 0x0F
        second <<= 8
        second |= src[:, 2]
    return out.ravel()[:count]


#: Sample pairs unpacked per block in the 12-bit path (a few hundred kB: stays in cache).
_BLOCK12 = 1 << 16
#: Samples unpacked per block in the general path (each takes an 8-byte window).
_BLOCK = 1 << 20


def _unpack_general(buffer: np.ndarray, bits: int, count: int) -> np.ndarray:
    """Any width up to 57 bits: each sample's value is in the 8 bytes from the byte it starts in."""
    padded = np.zeros(buffer.size + 8, dtype=np.uint8)
    padded[:buffer.size] = buffer
    out = np.empty(count, dtype=np.uint64)
    window = np.arange(8)
    mask = np.uint64((1 << bits) - 1)
    for start in range(0, count, _BLOCK):
        position = np.arange(start, min(count, start + _BLOCK), dtype=np.int64) * bits
        words = padded[(position // 8)[:, None] + window].view(">u8")[:, 0].astype(np.uint64)
        shift = (64 - bits - position % 8).astype(np.uint64)
        out[start:start + position.size] = (words >> shift) & mask
    return out
