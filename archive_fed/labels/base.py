"""What every label reader returns: :class:`Label`, a read-only mapping with a ``format``.

PDS3 labels are trees of :class:`Block` (an ordered multi-mapping: keys as written, repeated keys kept),
PDS4 labels wrap an lxml element tree (see :mod:`archive_fed.labels.pds4`). Values with units are astropy
``Quantity`` objects where the unit parses, else :class:`UnitValue`; both expose ``.value`` and ``.unit``.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import Any

import astropy.units as u
import numpy as np

from .units import pds_unit


class UnitValue:
    """A value with a unit astropy does not know (``<BYTES>``, ``<degC>``, ``<pix/deg>``...)."""

    __slots__ = ("value", "unit")

    def __init__(self, value: Any, unit: str) -> None:
        self.value = value
        self.unit = unit

    def __repr__(self) -> str:
        return f"UnitValue({self.value!r}, {self.unit!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UnitValue):
            return self.value == other.value and self.unit == other.unit
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value, self.unit))




_INT64 = 2 ** 63


def parse_unit(text: str) -> Any:
    """An astropy unit for a PDS unit ``text`` (PDS unit words in any case, see
    :mod:`archive_fed.labels.units`), or None where it names no unit astropy knows."""
    return pds_unit(text)


def with_unit(value: Any, unit_text: str) -> Any:
    """``value`` with unit ``unit_text``: a Quantity where the unit parses (an integer stays an integer:
    ``300 <nm>`` is ``300 nm`` of dtype int64), else a UnitValue."""
    unit = pds_unit(unit_text)
    if unit is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return UnitValue(value, unit_text)
    try:
        if type(value) is int and -_INT64 <= value < _INT64:
            return u.Quantity(value, unit, dtype=np.int64)
        return u.Quantity(value, unit)
    except (TypeError, ValueError):  # e.g. structured units such as <(m, s)>
        return UnitValue(value, unit_text)


class Block(Mapping):
    """An ordered multi-mapping: one PDS3 label, OBJECT or GROUP.

    ``block[key]`` gives the first value of ``key`` (an exact match, else a case-insensitive one, so
    Kaguya's ``Object = IMAGE`` ... ``End_Object`` and ``START_TIME`` spellings read alike);
    :meth:`getall` gives every value of a repeated key. Nested OBJECT/GROUP values are Blocks with
    ``kind`` (``"OBJECT"``/``"GROUP"``) and ``line`` (1-based line of their start in the label).
    """

    __slots__ = ("items_", "kind", "line", "_index", "_folded")

    def __init__(self, items: list[tuple[str, Any]] | None = None, kind: str = "LABEL",
                 line: int | None = None) -> None:
        self.items_: list[tuple[str, Any]] = items if items is not None else []
        self.kind = kind
        self.line = line
        self._index: dict[str, Any] | None = None
        self._folded: dict[str, Any] | None = None

    def _build(self) -> None:
        index: dict[str, Any] = {}
        folded: dict[str, Any] = {}
        for key, value in self.items_:
            index.setdefault(key, value)
            folded.setdefault(key.upper(), value)
        self._index, self._folded = index, folded

    def __getitem__(self, key: str) -> Any:
        if self._index is None:
            self._build()
        assert self._index is not None and self._folded is not None
        try:
            return self._index[key]
        except KeyError:
            return self._folded[key.upper()]

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except (KeyError, AttributeError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for key, _ in self.items_:
            if key not in seen:
                seen.add(key)
                yield key

    def __len__(self) -> int:
        return len({key for key, _ in self.items_})

    def getall(self, key: str) -> list[Any]:
        """Every value of ``key`` (case-insensitive), in label order."""
        upper = key.upper()
        return [value for k, value in self.items_ if k == key or k.upper() == upper]

    def blocks(self, kind: str | None = None) -> Iterator[tuple[str, "Block"]]:
        """Nested OBJECT/GROUP blocks (of one ``kind`` if given) as (name, block), in order."""
        for key, value in self.items_:
            if isinstance(value, Block) and (kind is None or value.kind == kind.upper()):
                yield key, value

    def walk(self) -> Iterator[tuple[str, "Block"]]:
        """Every nested block, depth first."""
        for key, value in self.blocks():
            yield key, value
            yield from value.walk()

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dicts, keys as written, a repeated key a list (SPEC §2)."""
        out: dict[str, Any] = {}
        for key, value in self.items_:
            if isinstance(value, Block):
                value = value.to_dict()
            if key in out:
                previous = out[key]
                if isinstance(previous, _Repeated):
                    previous.append(value)
                else:
                    out[key] = _Repeated([previous, value])
            else:
                out[key] = value
        return {k: (list(v) if isinstance(v, _Repeated) else v) for k, v in out.items()}

    def __repr__(self) -> str:
        return f"Block({self.kind}, {len(self.items_)} items)"


class _Repeated(list):
    """Marks the list made for a repeated key (as opposed to a sequence value)."""


class Label(Mapping):
    """A parsed label: a read-only mapping plus ``format`` (``"PDS3"``/``"PDS4"``) and ``path``."""

    format: str = ""

    def __init__(self, path: str | None = None) -> None:
        self.path = path

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


def utc_datetime(value: _dt.datetime) -> _dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
