"""The PDS3 label reader: ODL/PVL text to a :class:`PDS3Label` tree of :class:`~archive_fed.labels.base.Block`.

Compiled regexes scan the label text: one matches a whole common statement (``KEY = value [<unit>]``,
flat sequences included), a token regex feeds a small recursive-descent parser for everything else; all
use possessive quantifiers, so no catastrophic backtracking and time linear in the label size. Blocks are
built from lists. Reading stops at the ``END`` statement and never decodes or scans what follows it (the
binary data of attached labels).

Values agree with ``pvl.load`` (the reference in the tests) on real labels: ``int``, ``float``, radix
integers, ``str`` (quoted text has its line breaks and runs of blanks collapsed to one space and a hyphen
before a line break removed, as pvl does), ``datetime``/``time`` (UTC unless an offset is given),
``date``, ``list`` for ``( )``, ``frozenset`` for ``{ }``, ``None`` for an unquoted ``NULL``, ``True``/
``False`` for unquoted ``TRUE``/``FALSE``, ``nan``/``inf`` for unquoted ``NaN``/``INF``, and
``with_unit(value, unit)`` for ``value <unit>``. ``N/A``, ``UNK`` and symbols stay strings.

Deliberate differences from pvl (each pinned by a test in ``tests/labels/test_pds3.py``):

- date/time forms that pvl only accepts through dateutil (``2012-03-01T12``, week dates, ``YYYYMMDD``
  basic format, arbitrary date/time separators) are strings here, as the PDS3 standard does not allow
  them; fractions of a second beyond microseconds are truncated, the value staying UTC (pvl gives a naive
  datetime); a date with a zone offset is a string (pvl raises ``TypeError``);
- a keyword spelled like a number (``NAN = 1``) is accepted (pvl refuses it);
- bytes that are neither text nor blanks (NUL, other C0 controls, DEL) are refused everywhere in the
  label part (pvl accepts them inside quoted strings);
- a set holding a value with a unit keeps it as a hashable ``UnitValue`` (an astropy Quantity cannot be
  a set member); a set holding a sequence is an error (pvl raises ``TypeError``);
- a hyphen before a line break joins lines inside quoted strings, units and unquoted values only (pvl
  applies it to the whole text, comments and punctuation included);
- ``#`` comments (a pvl extension, not PDS3) end at CR as well as at LF; a leading UTF-8 BOM is skipped.

Examples
--------
>>> label = parse_pds3(b'PDS_VERSION_ID = PDS3\\nOBJECT = IMAGE\\n LINES = 10\\nEND_OBJECT = IMAGE\\nEND\\n')
>>> label["IMAGE"]["LINES"], label["IMAGE"].kind, label["IMAGE"].line, label.label_bytes
(10, 'OBJECT', 2, 72)
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import warnings
from typing import IO, Any

from archive_fed.errors import LabelError, LabelWarning
from archive_fed.labels.base import Block, Label, UnitValue, with_unit

__all__ = ["PDS3Label", "parse_pds3", "read_pds3", "looks_like_pds3", "MAX_LABEL_BYTES", "MAX_DEPTH",
           "MAX_VALUES"]

MAX_LABEL_BYTES = 16 * 1024 * 1024
"""Labels longer than this (without finding END) are refused."""
MAX_DEPTH = 100
"""Deepest nesting of sequences/sets, and of OBJECT/GROUP blocks."""
MAX_VALUES = 50_000
"""Most statements + sequence/set elements a label may hold (OBJECT/GROUP and their END_ lines count as
statements). Real labels hold a few thousand. The byte cap alone does not bound the cost: 15 MiB of
``A = 1 <m>`` took 20 s and 1.5 GB; with this budget the costliest label is refused in about 1 s."""

_FIRST_CHUNK = 64 * 1024
#: A chunk without this holds no END statement, so it is not parsed until more bytes are read (a label
#: longer than a chunk is parsed once, not once per chunk size)
_MAY_END = re.compile(rb"(?<![A-Za-z0-9_])[Ee][Nn][Dd](?![A-Za-z0-9_])")

# --- the scanner -----------------------------------------------------------------------------------------
_CTRL = r"\x00-\x08\x0e-\x1f\x7f"
_SKIP = r"(?:[ \t\r\n\v\f]++|/\*[^\x00]*?\*/|\#[^\r\n\x00]*+)*+"
_BARE_CHARS = rf"[^ \t\r\n\v\f&<>'{{}},\[\]=!#()%\";~|{_CTRL}]++"
BARE, PUNCT, DQ, SQ, UNIT, EOF, BAD = range(1, 8)
_TOKEN = re.compile(
    _SKIP + rf"""(?:
      ({_BARE_CHARS})
    | ([=(){{}},;])
    | "([^"{_CTRL}]*+)"
    | '([^'{_CTRL}]*+)'
    | <([^<>{_CTRL}]*+)>
    | (\Z)
    | (.)
    )""", re.X | re.S)
# One match for the common statement 'KEY = value [<unit>]', value a quoted string, a symbol/number, or a
# flat (or once nested) sequence/set of those; anything else, and every doubt, goes to the general path.
_FLAT = rf"""[^()"'{{}}\#/=;{_CTRL}]*+(?:(?:/(?!\*)|"[^"{_CTRL}]*+")[^()"'{{}}\#/=;{_CTRL}]*+)*+"""
_STATEMENT = re.compile(
    _SKIP + rf"""({_BARE_CHARS})[ \t]*+=[ \t]*+(?:
      "([^"{_CTRL}]*+)"
    | ({_BARE_CHARS})(?!\#)
    | ([({{])({_FLAT})([)}}])
    | \(((?:[ \t\r\n]*+\({_FLAT}\)[ \t\r\n]*+,)*+[ \t\r\n]*+\({_FLAT}\)[ \t\r\n]*+)\)
    )(?:[ \t]*+<([^<>{_CTRL}]*+)>)?""", re.X | re.S)
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER_LIST = re.compile(rf"[ \t\r\n]*+{_NUMBER}(?:[ \t\r\n]*+,[ \t\r\n]*+{_NUMBER})*+[ \t\r\n]*+")
_INNER = re.compile(r'\(([^()"]*+(?:"[^"]*+"[^()"]*+)*+)\)')
_QUOTE_OR_COMMA = re.compile(r'"[^"]*+"|,')
_BLANK_CHARS = " \t\r\n\v\f"
#: Longest unit text a label may give (``<W*M**-2*SR**-1*MICRON**-1>`` is 27; PDS3 units are short).
MAX_UNIT_CHARS = 256
_UNIT_AFTER = re.compile(_SKIP + rf"<([^<>{_CTRL}]*+)>", re.S)
_BARE_RUN = re.compile(_BARE_CHARS)
_BLANKS = re.compile(r"\s*+")
_RADIX_PREFIX = re.compile(r"[+-]?(?:1[0-6]|[2-9])")
_RADIX = re.compile(r"([+-]?)(1[0-6]|[2-9])#([+-]?)([0-9A-Fa-f]++)#")

# --- value decoding --------------------------------------------------------------------------------------
_NUM = re.compile(r"[+-]?(?:(\d++)|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)")
_DATETIME = re.compile(r"""
    (?:(\d{4})-(?:(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9])
                 |(36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])))?
    (?:(?(1)[Tt])(2[0-3]|[01]\d|\d):([0-5]\d|\d)(?::(6[01]|[0-5]\d|\d)(?:\.(\d++))?)?)?
    (?:([Zz])|([+-])(\d\d?)(?::?([0-5]\d))?)?""", re.X)
_SPECIAL_FLOATS = frozenset({"NAN", "INF", "INFINITY", "+NAN", "+INF", "+INFINITY",
                             "-NAN", "-INF", "-INFINITY"})
_STRUCTURE = frozenset({"END", "OBJECT", "BEGIN_OBJECT", "END_OBJECT", "GROUP", "BEGIN_GROUP",
                        "END_GROUP"})
_UTC = _dt.timezone.utc
_DASH_GLOBAL = re.compile(r"-[\n\r\f]\s*")               # pvl's OmniParser pre-pass
_DASH_ODL = re.compile(r"-[\n\r\v\f][ \t\n\r\v\f]*")      # pvl's ODL quoted-string rule
_WS_RUN = re.compile(r"[ \t\n\r\v\f]+")
_NEEDS_NORM = re.compile(r"[\t\n\r\v\f]|  |^ | $")


def _with_unit(value: Any, unit: str) -> Any:
    """``base.with_unit``, but a unit astropy parses and then cannot attach (e.g. the structured unit
    ``<(m, s)>``) gives a UnitValue instead of an astropy exception."""
    try:
        return with_unit(value, unit)
    except Exception:  # noqa: BLE001 - astropy raises assorted types here; the label itself is fine
        return UnitValue(value, unit)


def _text_value(s: str) -> str:
    """Quoted text as pvl gives it: hyphen continuations removed, blanks collapsed, ends stripped."""
    if _NEEDS_NORM.search(s) is None:
        return s
    if "-" in s:
        s = _DASH_ODL.sub("", _DASH_GLOBAL.sub("", s))
    return _WS_RUN.sub(" ", s).strip(" ")


def _datetime_value(tok: str) -> Any:
    m = _DATETIME.fullmatch(tok)
    if m is None:
        return tok
    year, month, day, doy, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    if hour is None and year is None or sign and hour is None:
        return tok                      # empty, or a date with a zone offset
    try:
        if year is not None:
            if doy is not None:
                date = _dt.date.fromordinal(_dt.date(int(year), 1, 1).toordinal() + int(doy) - 1)
            else:
                date = _dt.date(int(year), int(month), int(day))
            if hour is None:
                return date
        tz = _UTC
        if sign:
            delta = _dt.timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = _dt.timezone(-delta if sign == "-" else delta)
        micro = int(frac[:6].ljust(6, "0")) if frac else 0
        if year is None:
            return _dt.time(int(hour), int(minute), int(second or 0), micro, tzinfo=tz)
        return _dt.datetime(date.year, date.month, date.day, int(hour), int(minute), int(second or 0),
                            micro, tzinfo=tz)
    except (ValueError, OverflowError):
        return tok                      # leap second, 31 February, year 0, offset >= 24 h: text


def _bare_value(tok: str) -> Any:
    """The value of an unquoted token (number, date/time, NULL/TRUE/FALSE, or the symbol itself)."""
    first = tok[0]
    if first in "0123456789+-.":
        m = _NUM.fullmatch(tok)
        if m is not None:
            try:
                return int(tok) if m.group(1) is not None else float(tok)
            except ValueError:          # more digits than int() converts: pvl falls back to float
                return float(tok)
        if first.isdigit() and (":" in tok or "-" in tok):
            return _datetime_value(tok)
        if "_" in tok:
            for convert in (int, float):
                try:
                    return convert(tok)
                except ValueError:
                    pass
    upper = tok.upper()
    if upper == "NULL":
        return None
    if upper == "TRUE":
        return True
    if upper == "FALSE":
        return False
    if upper in _SPECIAL_FLOATS:
        return float(tok)
    return tok


_NO_FAST_VALUE = object()
_HAS_BLANK = re.compile(r"[ \t\r\n\v\f]").search


def _token_start(m: re.Match) -> int:
    """Where the token of a _TOKEN match starts (its quote or '<' included)."""
    kind = m.lastindex
    return m.start(kind) - (1 if kind in (DQ, SQ, UNIT) else 0)


class _Truncated(Exception):
    """The text ended inside the label; more bytes may complete it."""


class _EmptyValue(Exception):
    """A keyword's value is missing: a structure keyword (END, END_OBJECT...) follows the '='."""

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.pos = pos


class _Radix(int):
    """Marks an int read from a radix token (so it is never taken for a keyword)."""


# --- the parser ------------------------------------------------------------------------------------------
class _Parser:
    """Parses one label text; ``complete`` is False when the text may be a truncated prefix."""

    def __init__(self, text: str, path: str | None, lenient: bool, complete: bool) -> None:
        self.text = text
        self.path = path
        self.lenient = lenient
        self.complete = complete
        self._line_at = (0, 1)
        self.budget = MAX_VALUES

    def spend(self, cost: int, pos: int) -> None:
        """Count ``cost`` values against :data:`MAX_VALUES` (before building them, where possible)."""
        self.budget -= cost
        if self.budget < 0:
            raise self.error(f"label too complex: more than {MAX_VALUES} values (statements and "
                             "sequence/set elements)", pos)

    # -- positions and diagnostics
    def line(self, pos: int) -> int:
        """1-based line of ``pos`` (LF, CRLF or CR line ends); incremental for increasing ``pos``."""
        start, line = self._line_at
        if pos < start:
            start, line = 0, 1
        text = self.text
        line += text.count("\n", start, pos) + text.count("\r", start, pos) - text.count("\r\n", start, pos)
        self._line_at = (pos, line)
        return line

    def error(self, message: str, pos: int) -> LabelError:
        return LabelError(message, path=self.path, line=self.line(pos))

    def warn(self, message: str, pos: int) -> None:
        where = f"{self.path or '<label>'}:{self.line(pos)}"
        warnings.warn(f"{where}: {message}", LabelWarning, stacklevel=4)

    def eof(self, message: str, pos: int) -> Exception:
        """The error for running out of text: retry with more bytes unless the text is complete."""
        return self.error(message, pos) if self.complete else _Truncated()

    def bad(self, pos: int, what: str) -> Exception:
        """Explain a token the scanner could not match at ``pos``."""
        text, char = self.text, self.text[pos]
        if char in "\"'":
            close = text.find(char, pos + 1)
            if close < 0:
                return self.eof(f"unterminated quoted string starting at line {self.line(pos)}", pos)
            return self.binary(pos + 1, close, f"quoted string starting at line {self.line(pos)}")
        if char == "<":
            close = text.find(">", pos + 1)
            if close < 0:
                return self.eof(f"unterminated unit starting at line {self.line(pos)}", pos)
            return self.binary(pos + 1, close, f"unit starting at line {self.line(pos)}", "'<' inside")
        if char == "/":                 # a '/*' the skip pattern could not consume
            close = text.find("*/", pos + 2)
            if close < 0:
                return self.eof(f"unterminated comment starting at line {self.line(pos)}", pos)
            return self.binary(pos + 2, close, f"comment starting at line {self.line(pos)}")
        if char < " " or char == "\x7f":
            return self.binary(pos, pos + 1, "label text")
        return self.error(f"unexpected {char!r} {what}", pos)

    def binary(self, start: int, stop: int, where: str, other: str = "unexpected character") -> LabelError:
        m = re.compile(f"[{_CTRL}]").search(self.text, start, stop)
        if m is None:
            return self.error(f"{other} in {where}", start)
        return self.error(f"binary data (byte 0x{ord(m.group()):02x}) in {where}: not label text, "
                          f"or a label missing its END statement", m.start())

    # -- tokens
    def bare(self, m: re.Match) -> tuple[Any, int, int]:
        """An unquoted token from match ``m``: (text or _Radix, start, end).

        A hyphen before a line break joins the next line's text without the hyphen (as pvl does); the
        text may then be empty (a lone hyphen), which callers skip.
        """
        text = self.text
        piece = m.group(BARE)
        start, end = m.span(BARE)
        pieces: list[str] = []
        while True:
            if "/" in piece:
                cut = piece.find("/*")
                if cut == 0 and not pieces:
                    raise self.bad(start, "")
                if cut >= 0:
                    piece, end = piece[:cut], end - len(piece) + cut
                    break
            nxt = text[end:end + 1]
            if not pieces and nxt == "#" and _RADIX_PREFIX.fullmatch(piece):
                return self.radix(start)
            if not (piece.endswith("-") and nxt and nxt in "\n\r\f"):
                break
            pieces.append(piece[:-1])
            resume = _BLANKS.match(text, end).end()
            more = _BARE_RUN.match(text, resume)
            if more is None:
                piece, end = "", resume
                break
            piece, end = more.group(), more.end()
        if pieces:
            pieces.append(piece)
            piece = "".join(pieces)
        return piece, start, end

    def radix(self, start: int) -> tuple[_Radix, int, int]:
        m = _RADIX.match(self.text, start)
        if m is None or _BARE_RUN.match(self.text, m.end()) is not None:
            if m is None and self.text.find("#", start + 3) < 0:
                raise self.eof("unterminated radix integer", start)
            raise self.error("malformed radix integer (expected e.g. 16#FF#)", start)
        sign, base, sign2, digits = m.groups()
        if sign and sign2:
            raise self.error("radix integer with two signs", start)
        try:
            return _Radix(int((sign or sign2) + digits, int(base))), start, m.end()
        except ValueError:
            raise self.error(f"invalid digit for a base-{base} integer", start) from None

    # -- values
    def value(self, m: re.Match, depth: int, key: str, in_set: bool = False) -> tuple[Any, int]:
        """The value starting with token ``m`` (units included) and the position after it."""
        kind = m.lastindex
        while kind == BARE:
            tok, start, pos = self.bare(m)
            if tok != "":
                break
            m = _TOKEN.match(self.text, pos)       # only a continuation hyphen: the value follows
            kind = m.lastindex
        if kind == DQ or kind == SQ:
            value, pos = _text_value(m.group(kind)), m.end()
        elif kind == BARE:
            if isinstance(tok, _Radix):
                value = int(tok)
            elif tok.upper() in _STRUCTURE:
                raise _EmptyValue(start)
            else:
                value = _bare_value(tok)
        elif kind == PUNCT and m.group(PUNCT) in "({":
            value, pos = self.collection(m, depth + 1, key)
        elif kind == EOF:
            raise self.eof(f"expected a value for keyword {key}, found the end of the text", m.start(EOF))
        elif kind == BAD:
            raise self.bad(m.start(BAD), f"where a value of keyword {key} should be")
        else:
            start = _token_start(m)
            raise self.error(f"expected a value for keyword {key}, found {self.text[start]!r}", start)
        u = _UNIT_AFTER.match(self.text, pos)
        if u is not None:
            unit = self.unit(u.group(1), u.start(1))
            value = UnitValue(value, unit) if in_set else _with_unit(value, unit)
            pos = u.end()
        return value, pos

    def collection(self, m: re.Match, depth: int, key: str) -> tuple[Any, int]:
        """A sequence ``( )`` (a list) or a set ``{ }`` (a frozenset) opened by token ``m``."""
        opener = m.group(PUNCT)
        start = m.start(PUNCT)
        closer = ")" if opener == "(" else "}"
        if depth > MAX_DEPTH:
            raise self.error(f"sequences/sets nested deeper than {MAX_DEPTH}", start)
        is_set = opener == "{"
        items: list[Any] = []
        match, text = _TOKEN.match, self.text
        m = match(text, m.end())
        if m.lastindex == PUNCT and m.group(PUNCT) == closer:
            return (frozenset() if is_set else items), m.end()
        while True:
            try:
                item, pos = self.value(m, depth, key, is_set)
            except _EmptyValue as empty:
                raise self.error(f"expected a value in the {'set' if is_set else 'sequence'} of keyword "
                                 f"{key}, found a structure keyword", empty.pos) from None
            items.append(item)
            self.spend(1, pos)
            m = match(text, pos)
            sep = m.group(PUNCT) if m.lastindex == PUNCT else None
            if sep == ",":
                m = match(text, m.end())
            elif sep == closer:
                break
            elif m.lastindex == EOF:
                raise self.eof(f"unterminated {'set' if is_set else 'sequence'} of keyword {key} "
                               f"opened at line {self.line(start)}", start)
            else:
                found = _token_start(m)
                raise self.error(f"expected ',' or {closer!r} in the {'set' if is_set else 'sequence'} "
                                 f"of keyword {key} opened at line {self.line(start)}", found)
        if not is_set:
            return items, m.end()
        try:
            if not any(isinstance(item, list) for item in items):
                return frozenset(items), m.end()
        except TypeError:               # e.g. a sequence with a unit: unhashable
            pass
        raise self.error(f"a set may hold only simple values (keyword {key})", start)

    def fast_value(self, dq: str | None, bare: str | None, opener: str | None, flat: str | None,
                   closer: str | None, nested: str | None) -> Any:
        """The value of a statement matched by _STATEMENT, or _NO_FAST_VALUE to use the general path."""
        if dq is not None:
            return _text_value(dq)
        if bare is not None:
            if "/*" in bare or bare[-1] == "-" or bare.upper() in _STRUCTURE:
                return _NO_FAST_VALUE
            return _bare_value(bare)
        if flat is not None:
            if (opener == "(") != (closer == ")"):
                return _NO_FAST_VALUE
            return self.flat_items(flat, opener == "{")
        out = []
        for inner in _INNER.findall(nested):  # type: ignore[arg-type]
            items = self.flat_items(inner, False)
            if items is _NO_FAST_VALUE:
                return items
            out.append(items)
        return out

    def flat_items(self, content: str, is_set: bool) -> Any:
        """The items of a sequence/set without nesting or comments, or _NO_FAST_VALUE."""
        if not is_set and _NUMBER_LIST.fullmatch(content) is not None:
            try:    # int() and float() ignore the blanks around each number
                return [float(part) if "." in part or "e" in part or "E" in part else int(part)
                        for part in content.split(",")]
            except ValueError:      # an int too long for int(): let the general path decide
                return _NO_FAST_VALUE
        if '"' in content:
            parts, start = [], 0
            for m in _QUOTE_OR_COMMA.finditer(content):
                if m.group() == ",":
                    parts.append(content[start:m.start()])
                    start = m.end()
            parts.append(content[start:])
        else:
            parts = content.split(",")
        if len(parts) == 1 and not parts[0].strip(_BLANK_CHARS):
            return frozenset() if is_set else []
        items = []
        for part in parts:
            part = part.strip(_BLANK_CHARS)
            if not part:
                return _NO_FAST_VALUE
            if part[0] == '"':
                if part[-1] != '"' or len(part) < 2 or '"' in part[1:-1]:
                    return _NO_FAST_VALUE
                items.append(_text_value(part[1:-1]))
                continue
            unit = None
            if part[-1] == ">":
                cut = part.find("<")
                unit, part = part[cut + 1:-1], part[:cut].rstrip(_BLANK_CHARS)
                if cut < 0 or "<" in unit or ">" in unit or not part or len(unit) > MAX_UNIT_CHARS:
                    return _NO_FAST_VALUE   # a unit too long is refused by the general path, with its line
            if (part[-1] == "-" or "<" in part or ">" in part or '"' in part or "/*" in part
                    or _HAS_BLANK(part) is not None or part.upper() in _STRUCTURE):
                return _NO_FAST_VALUE
            value = _bare_value(part)
            if unit is not None:
                unit = self.unit(unit, 0)
                value = UnitValue(value, unit) if is_set else _with_unit(value, unit)
            items.append(value)
        return frozenset(items) if is_set else items

    def unit(self, text: str, pos: int) -> str:
        """A unit's text (blanks and line-joining hyphens dropped); a text longer than MAX_UNIT_CHARS is
        refused here, before it is copied, joined or handed to astropy."""
        if len(text) > MAX_UNIT_CHARS:
            raise self.error(f"unit text of {len(text):,} characters (the longest accepted is "
                             f"{MAX_UNIT_CHARS})", pos)
        unit = text.strip(_BLANK_CHARS)
        return _DASH_GLOBAL.sub("", unit) if "-" in unit else unit

    # -- statements
    def parse(self) -> tuple[list, int]:
        """Parse up to END: the root items and the offset just after the END line."""
        text, match = self.text, _TOKEN.match
        pos = 1 if text.startswith("\ufeff") else 3 if text.startswith("\xef\xbb\xbf") else 0  # a BOM
        items: list[tuple[str, Any]] = []
        stack: list[tuple[str, str, int, int, list]] = []   # (kind, name, line, pos, parent items)
        pending: tuple[list, int, int] | None = None       # last assignment whose value was a bare symbol
        delimited = True
        unit_due = False                                   # the last value may still take a unit
        statement = _STATEMENT.match
        while True:
            f = statement(text, pos)
            if f is not None:
                key, dq, bare, opener, flat, closer, nested, unit = f.groups()
                upper = key.upper()
                if (upper in _STRUCTURE and upper != "END" and bare is not None and unit is None
                        and "/" not in bare and bare[-1] != "-" and "/*" not in key
                        and bare.upper() not in _STRUCTURE):
                    # 'OBJECT = NAME' / 'END_OBJECT = NAME' on one line: the block opens or closes here
                    if upper.startswith("END_"):
                        items = self.pop(upper[4:], key, bare, f.start(1), stack, items)
                    else:
                        items = self.push(upper, bare, f.start(1), stack, items)
                    pos, pending, delimited, unit_due = f.end(), None, False, False
                    continue
                if upper not in _STRUCTURE and "/*" not in key and not _is_end(upper, key):
                    cost = 1 + (flat.count(",") + 1 if flat is not None else 0) + (
                        nested.count(",") + 1 if nested is not None else 0)
                    if cost > self.budget:
                        self.spend(cost, f.start(1))
                    value = self.fast_value(dq, bare, opener, flat, closer, nested)
                    if value is not _NO_FAST_VALUE:
                        self.budget -= cost
                        pending = None
                        if unit is not None:
                            value = _with_unit(value, self.unit(unit, f.start(8)))
                        elif bare is not None and type(value) is str:
                            pending = (items, len(items), f.start(1))
                        items.append((key, value))
                        pos, delimited, unit_due = f.end(), False, unit is None
                        continue
            m = match(text, pos)
            kind = m.lastindex
            if kind == BARE:
                key, kstart, pos = self.bare(m)
                if key == "":
                    continue
            elif kind == UNIT and unit_due:
                # the unit of the value just read by the fast path, after a line break or comment
                key, value = items[-1]
                items[-1] = (key, _with_unit(value, self.unit(m.group(UNIT), m.start(UNIT))))
                pos, pending, unit_due = m.end(), None, False
                continue
            elif kind == PUNCT and m.group(PUNCT) == ";" and not delimited:
                pos, delimited, unit_due = m.end(), True, False
                continue
            elif kind == PUNCT and m.group(PUNCT) == "=" and pending is not None:
                # 'A =' without a value, then 'B = 1': the symbol read as A's value was keyword B
                owner, index, kpos = pending
                key, kstart = owner[index][1], m.start(PUNCT)
                self.problem(f"keyword {owner[index][0]} has no value", kpos)
                owner[index] = (owner[index][0], "")
                pos = m.start(PUNCT)
            elif kind == EOF:
                if not self.complete:
                    raise _Truncated()
                self.problem("no END statement", m.start(EOF))
                return self.close_all(stack, items, m.start(EOF)), len(text)
            elif kind == BAD:
                raise self.bad(m.start(BAD), "where a keyword should be")
            else:
                start = _token_start(m)
                raise self.error(f"expected a keyword, found {text[start]!r}", start)
            if isinstance(key, _Radix):
                raise self.error("expected a keyword, found a number", kstart)
            pending, delimited, unit_due = None, False, False
            upper = key.upper()
            if upper in _STRUCTURE or _is_end(upper, key):
                if upper == "END" or _is_end(upper, key):
                    items = self.close_all(stack, items, kstart)
                    return items, _after_line(text, kstart + 3)
                if upper.startswith("END_"):
                    items, pos = self.close(upper[4:], key, kstart, pos, stack, items)
                else:
                    items, pos = self.open(upper, key, kstart, pos, stack, items)
                continue
            m = match(text, pos)
            if m.lastindex != PUNCT or m.group(PUNCT) != "=":
                if m.lastindex == EOF:
                    raise self.eof(f"expected '=' after keyword {key}", kstart)
                raise self.error(f"expected '=' after keyword {key}", kstart)
            m = match(text, m.end())
            try:
                value, pos = self.value(m, 0, key)
            except _EmptyValue as empty:
                self.problem(f"keyword {key} has no value", empty.pos)
                value, pos = "", empty.pos
            else:
                if m.lastindex == BARE and type(value) is str:
                    pending = (items, len(items), kstart)
            items.append((key, value))
            self.spend(1, kstart)

    def problem(self, message: str, pos: int) -> None:
        """A defect lenient mode tolerates: a warning when lenient, else a LabelError."""
        if not self.lenient:
            raise self.error(message, pos)
        self.warn(message, pos)

    def open(self, upper: str, key: str, kstart: int, pos: int, stack: list, items: list) -> tuple[list, int]:
        """OBJECT/GROUP/BEGIN_OBJECT/BEGIN_GROUP = NAME: push a new block."""
        text, match = self.text, _TOKEN.match
        m = match(text, pos)
        if m.lastindex != PUNCT or m.group(PUNCT) != "=":
            if m.lastindex == EOF:
                raise self.eof(f"expected '=' after {key}", m.start(EOF))
            raise self.error(f"expected '=' after {key}", _token_start(m))
        m = match(text, m.end())
        if m.lastindex != BARE:
            if m.lastindex == EOF:
                raise self.eof(f"expected a name after '{key} ='", m.start(EOF))
            raise self.error(f"expected a name after '{key} ='", _token_start(m))
        name, nstart, pos = self.bare(m)
        if isinstance(name, _Radix) or name == "" or name.upper() in _STRUCTURE:
            raise self.error(f"expected a name after '{key} =', found {text[nstart:pos]!r}", nstart)
        return self.push(upper, name, kstart, stack, items), pos

    def push(self, upper: str, name: str, kstart: int, stack: list, items: list) -> list:
        """Open block ``name`` (``upper`` its OBJECT/GROUP keyword): the new block's item list."""
        self.spend(1, kstart)
        if len(stack) >= MAX_DEPTH:
            raise self.error(f"OBJECT/GROUP blocks nested deeper than {MAX_DEPTH}", kstart)
        kind = "GROUP" if upper.endswith("GROUP") else "OBJECT"
        stack.append((kind, name, self.line(kstart), kstart, items))
        return []

    def close(self, kind: str, key: str, kstart: int, pos: int, stack: list, items: list) -> tuple[list, int]:
        """END_OBJECT/END_GROUP [= NAME]: pop the open block, checking kind and name."""
        text = self.text
        m = _TOKEN.match(text, pos)
        name = None
        if m.lastindex == PUNCT and m.group(PUNCT) == "=":
            m = _TOKEN.match(text, m.end())
            if m.lastindex != BARE:
                if m.lastindex == EOF:
                    raise self.eof(f"expected a name after '{key} ='", m.start(EOF))
                raise self.error(f"expected a name after '{key} ='", _token_start(m))
            name, _, pos = self.bare(m)
        return self.pop(kind, key, name, kstart, stack, items), pos

    def pop(self, kind: str, key: str, name: str | None, kstart: int, stack: list, items: list) -> list:
        """Close the open block (checking its kind and, when given, its name): the parent's item list."""
        self.spend(1, kstart)
        if not stack:
            self.problem(f"{key} without an open {kind}", kstart)
            return items
        open_kind, open_name, line, _, parent = stack[-1]
        if open_kind != kind:
            self.problem(f"{key} closes {open_kind} {open_name} opened at line {line}", kstart)
        elif name is not None and name != open_name:
            self.problem(f"{key} = {name} does not match {open_kind} = {open_name} opened at line {line}",
                         kstart)
        stack.pop()
        parent.append((open_name, Block(items, kind=open_kind, line=line)))
        return parent

    def close_all(self, stack: list, items: list, pos: int) -> list:
        """At END (or the end of the text): blocks still open are an error, or closed when lenient."""
        while stack:
            kind, name, line, _, parent = stack.pop()
            self.problem(f"{kind} {name} opened at line {line} is never closed", pos)
            parent.append((name, Block(items, kind=kind, line=line)))
            items = parent
        return items


def _is_end(upper: str, key: str) -> bool:
    """END run into binary data without a blank (``END\\xff\\xd8...``) also ends the label."""
    return upper[:3] == "END" and key[3:4] >= "\x80"


def _after_line(text: str, pos: int) -> int:
    """The offset after END at ``pos``: trailing blanks and one line end (CRLF, LF or CR) included."""
    n = len(text)
    while pos < n and text[pos] in " \t":
        pos += 1
    if text.startswith("\r\n", pos):
        return pos + 2
    if pos < n and text[pos] in "\r\n":
        return pos + 1
    return pos


# --- public API ------------------------------------------------------------------------------------------
class PDS3Label(Block, Label):
    """A parsed PDS3 label: the root :class:`Block` of the tree, plus ``format``, ``path``, ``label_bytes``.

    ``label_bytes`` is the size in bytes of the label text up to and including the ``END`` line (its
    trailing blanks and line end), i.e. where whatever follows an attached label begins.

    Examples
    --------
    >>> label = parse_pds3("OBJECT = IMAGE\\n  LINES = 2\\nEND_OBJECT\\nEND\\n")
    >>> label.format, label.to_dict()
    ('PDS3', {'IMAGE': {'LINES': 2}})
    """

    format = "PDS3"

    def __init__(self, items: list[tuple[str, Any]] | None = None, *, path: str | None = None,
                 label_bytes: int = 0) -> None:
        Block.__init__(self, items, kind="LABEL", line=1)
        Label.__init__(self, path)
        self.label_bytes = label_bytes

    def __repr__(self) -> str:
        return f"PDS3Label({self.path!r}, {len(self.items_)} items, label_bytes={self.label_bytes})"


def parse_pds3(data: bytes | bytearray | memoryview | str, *, path: str | None = None,
               lenient: bool = False) -> PDS3Label:
    """Parse PDS3 label text (a detached label, or the head of a file with an attached label).

    Parameters
    ----------
    data
        The label bytes (anything may follow the ``END`` statement: it is neither decoded nor scanned),
        or already decoded text.
    path
        Where the label came from, for error messages and ``label.path``.
    lenient
        Read what can be read from a defective label: a missing ``END``, an ``END_OBJECT`` whose name or
        kind does not match, a block never closed, a keyword without a value give a
        :class:`~archive_fed.errors.LabelWarning` instead of a :class:`~archive_fed.errors.LabelError`.
        Syntax errors are errors in both modes.

    Returns
    -------
    PDS3Label

    Raises
    ------
    LabelError
        For any input that is not a readable PDS3 label (never any other exception), with ``path`` and
        the 1-based ``line``.

    Examples
    --------
    >>> label = parse_pds3(b"^IMAGE = (\\"X.IMG\\", 12 <BYTES>)\\nSTART_TIME = 2012-061T00:00:00\\nEND\\n")
    >>> label["^IMAGE"], label["START_TIME"].isoformat()
    (['X.IMG', UnitValue(12, 'BYTES')], '2012-03-01T00:00:00+00:00')
    """
    if isinstance(data, str):
        text = data[:MAX_LABEL_BYTES]
        try:
            items, end = _parse_text(text, path, lenient, complete=len(data) <= MAX_LABEL_BYTES)
        except _Truncated:
            raise LabelError(f"no END statement in the first {MAX_LABEL_BYTES // 2**20} MiB",
                             path=path) from None
        return PDS3Label(items, path=path, label_bytes=len(text[:end].encode("utf-8", "surrogatepass")))
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise LabelError(f"expected bytes or str, got {type(data).__name__}", path=path)
    view = memoryview(data).cast("B") if isinstance(data, memoryview) else data
    size = _FIRST_CHUNK
    while True:
        head = bytes(view[:size])
        complete = size >= len(view)
        if not complete and size < MAX_LABEL_BYTES and not _MAY_END.search(head):
            size = min(size * 4, MAX_LABEL_BYTES)    # no END word yet: take more before parsing at all
            continue
        try:
            return _parse_bytes(head, path, lenient, complete)
        except _Truncated:
            if size >= MAX_LABEL_BYTES:
                raise LabelError(f"no END statement in the first {MAX_LABEL_BYTES // 2**20} MiB",
                                 path=path) from None
            size = min(size * 4, MAX_LABEL_BYTES)


def read_pds3(path_or_file: str | os.PathLike | IO[bytes], *, lenient: bool = False) -> PDS3Label:
    """Read the PDS3 label at the start of a local file (detached ``.LBL`` or attached-label image).

    The file is read in growing chunks until the ``END`` statement, so a 500 MB image with an attached
    label costs one 64 KiB read. Labels over 16 MiB are refused with a LabelError, as is a file that
    cannot be read.

    Examples
    --------
    >>> import io
    >>> read_pds3(io.BytesIO(b"PDS_VERSION_ID = PDS3\\r\\nEND\\r\\n" + bytes(10**6))).label_bytes
    28
    """
    if hasattr(path_or_file, "read"):
        name = getattr(path_or_file, "name", None)
        return _read_stream(path_or_file, name if isinstance(name, str) else None, lenient)  # type: ignore
    try:
        path = os.fspath(path_or_file)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        with open(path, "rb") as stream:
            return _read_stream(stream, path, lenient)
    except OSError as err:
        raise LabelError(f"cannot read label: {err.strerror or err}", path=str(path_or_file)) from None
    except TypeError as err:
        raise LabelError(f"not a path or file: {err}") from None


_SNIFF = re.compile(rb"""(?:\xef\xbb\xbf)?(?:[ \t\r\n\v\f]++|/\*(?:[^*]|\*(?!/))*+\*/)*+
    (?:(?:PDS_VERSION_ID|ODL_VERSION_ID|RECORD_TYPE|LABEL_REVISION_NOTE|SFDU_LABEL)[ \t]*+=
     |CCSD[0-9A-Z]|NJPL[0-9A-Z])""", re.X | re.I)


def looks_like_pds3(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) starts like a PDS3 label.

    True when, after blanks and ``/* */`` comments, it starts with ``PDS_VERSION_ID =``,
    ``ODL_VERSION_ID =``, ``RECORD_TYPE =``, ``LABEL_REVISION_NOTE =``, ``SFDU_LABEL =`` or an SFDU
    (``CCSD...``/``NJPL...``) label.

    Examples
    --------
    >>> looks_like_pds3(b"/* attached */\\nPDS_VERSION_ID = PDS3\\r\\n"), looks_like_pds3(b"<?xml")
    (True, False)
    """
    if isinstance(head, str):
        head = head.encode("latin-1", "replace")
    return _SNIFF.match(bytes(head[:MAX_LABEL_BYTES])) is not None


# --- plumbing --------------------------------------------------------------------------------------------
def _parse_text(text: str, path: str | None, lenient: bool, complete: bool) -> tuple[list, int]:
    """Root items and the END-line end offset; _Truncated when ``text`` may be a cut-off prefix."""
    parser = _Parser(text, path, lenient, complete)
    try:
        return parser.parse()
    except RecursionError:
        raise LabelError("label nested too deeply", path=path) from None


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
#: Chinese text: a word of two or more ideographs (Latin-1 accents misread as GB18030 give lone ones)
_CJK_WORD = re.compile(f"[{_CJK}]{{2,}}")
_NOT_CJK = re.compile(f"[^\x00-\x7f{_CJK}]")


def label_text(label: bytes, path: str | None = None) -> str | None:
    """Non-ASCII label bytes as text: UTF-8 where valid; GB18030 where the bytes decode as GB18030 and
    hold Chinese words (two CJK characters in a row) (CNSA Chang'e-1/2/3 PDS3 labels); else None — the Latin-1 reading stands, with a
    :class:`LabelWarning`.

    >>> label_text("TITLE = 嫦娥一号".encode("gb18030"))
    'TITLE = 嫦娥一号'
    """
    try:
        return label.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = label.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _CJK_WORD.search(text) and not _NOT_CJK.search(text):
        return text
    warnings.warn(f"{path or 'label'}: non-ASCII text is neither UTF-8 nor GB18030; read as Latin-1",
                  LabelWarning, stacklevel=4)
    return None


def _parse_bytes(head: bytes, path: str | None, lenient: bool, complete: bool) -> PDS3Label:
    """Parse label bytes decoded as Latin-1 (one char per byte, so offsets are byte offsets)."""
    items, end = _parse_text(head.decode("latin-1"), path, lenient, complete)
    label = head[:end]
    if not label.isascii():
        # PDS3 labels are ASCII; non-ASCII text is read as UTF-8 where valid (as pvl does), else as
        # GB18030 where it decodes and holds Chinese text (Chang'e-1/2/3 labels), else stays Latin-1
        text = label_text(label, path)
        if text is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LabelWarning)   # already warned about in the first pass
                items, _ = _parse_text(text, path, lenient, complete=True)
    return PDS3Label(items, path=path, label_bytes=end)


def _read_stream(stream: IO[bytes], path: str | None, lenient: bool) -> PDS3Label:
    buffer = bytearray()
    size = _FIRST_CHUNK
    while True:
        try:
            chunk = stream.read(size - len(buffer))
        except (OSError, ValueError) as err:     # ValueError: a closed file
            raise LabelError(f"cannot read label: {err}", path=path) from None
        if not isinstance(chunk, (bytes, bytearray)):
            raise LabelError("the file was not opened in binary mode", path=path)
        buffer += chunk
        complete = not chunk
        if len(buffer) >= size and size < MAX_LABEL_BYTES and not _MAY_END.search(buffer):
            size = min(size * 4, MAX_LABEL_BYTES)    # no END word yet: read on before parsing at all
            continue
        if len(buffer) >= size or complete:
            try:
                return _parse_bytes(bytes(buffer), path, lenient, complete)
            except _Truncated:
                if size >= MAX_LABEL_BYTES:
                    raise LabelError(f"no END statement in the first {MAX_LABEL_BYTES // 2**20} MiB",
                                     path=path) from None
                size = min(size * 4, MAX_LABEL_BYTES)
