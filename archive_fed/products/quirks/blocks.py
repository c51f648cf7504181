"""Small builders for quirk modules that correct a PDS3 object description: a copy with keywords
replaced, columns retyped or dropped, or a table block written from the mission's format document.

The label's own block is never changed in place (it is the parsed label the caller holds)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...labels.base import Block


def identifier(label: Mapping[str, Any], key: str) -> str:
    """A label keyword as upper-case text ('' when absent)."""
    value = label.get(key)
    return str(getattr(value, "value", value) or "").strip().upper()


def replaced(block: Block, changes: Mapping[str, Any]) -> Block:
    """``block`` with the first value of each key of ``changes`` replaced (added when missing)."""
    items, done = [], set()
    for key, value in block.items_:
        upper = key.upper()
        if upper in changes and upper not in done and not isinstance(value, Block):
            items.append((key, changes[upper]))
            done.add(upper)
        else:
            items.append((key, value))
    items.extend((key, value) for key, value in changes.items() if key not in done)
    return Block(items, block.kind, block.line)


def columns_changed(block: Block, change: Callable[[Block], Block | None]) -> Block:
    """``block`` with each COLUMN replaced by ``change(column)`` (dropped when it returns None)."""
    items = []
    for key, value in block.items_:
        if isinstance(value, Block) and key.upper() == "COLUMN":
            value = change(value)
            if value is None:
                continue
        elif isinstance(value, Block) and key.upper() == "CONTAINER":
            value = columns_changed(value, change)
        items.append((key, value))
    return Block(items, block.kind, block.line)


def table_block(like: Block, keywords: Mapping[str, Any], columns: list[dict[str, Any]]) -> Block:
    """A TABLE object block (at ``like``'s label line) of ``keywords`` and COLUMN objects."""
    items: list[tuple[str, Any]] = list(keywords.items())
    items += [("COLUMN", Block(list(column.items()), "OBJECT", like.line)) for column in columns]
    return Block(items, "OBJECT", like.line)


def ascii_columns(spec: list[tuple[str, int, int, str, str | None]]) -> list[dict[str, Any]]:
    """COLUMN keyword sets from ``(name, start byte, bytes, data type, unit)`` rows."""
    out = []
    for name, start, size, data_type, unit in spec:
        column: dict[str, Any] = {"NAME": name, "START_BYTE": start, "BYTES": size, "DATA_TYPE": data_type}
        if unit:
            column["UNIT"] = unit
        out.append(column)
    return out
