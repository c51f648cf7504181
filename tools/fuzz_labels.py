#!/usr/bin/env python
"""Long-running fuzzing of the label readers: PDS3 (ODL), PDS4 (XML) and PDS3 index tables.

The contract under test: whatever the bytes, a reader returns a label (or rows) or raises an
:class:`archive_fed.errors.ArchiveFedError` subclass; nothing else escapes, nothing hangs. The same
holds for :func:`archive_fed.normalize` on any label a reader accepted.

Inputs are either raw fuzzer bytes or *grammar-aware mutations of real labels*: the seeds are the
corpus (``../shared/corpus`` or ``$ARCHIVE_FED_CORPUS``) plus the embedded sample archive, and the
mutations work on PDS3 lines and tokens, XML tags and text, and index-table rows and columns, so most
inputs stay close enough to a label to reach deep into the readers.

Usage
-----
With atheris (``pip install atheris``; not a dependency of archive_fed)::

    python tools/fuzz_labels.py -atheris_runs=1000000          # libFuzzer options pass through
    python tools/fuzz_labels.py -max_total_time=3600 -rss_limit_mb=2048 crashes/
    python tools/fuzz_labels.py crash-<sha1>                     # replay one crashing input

Without atheris, a seeded pure-Python loop over the same targets and mutators (what CI runs)::

    python tools/fuzz_labels.py --plain --iterations 100000 --seed 7

A failure prints the target, the input (repr, truncated) and the traceback, writes the input to
``fuzz-failure-<sha1>.bin`` and exits with status 1. ``--timeout`` (default 2 s) turns a slow input
into a failure too.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive_fed import normalize  # noqa: E402
from archive_fed.errors import ArchiveFedError, LabelWarning  # noqa: E402
from archive_fed.labels import parse_label  # noqa: E402
from archive_fed.labels.index_table import product_paths, read_index_table  # noqa: E402
from archive_fed.labels.pds3 import parse_pds3  # noqa: E402
from archive_fed.labels.pds4 import parse_pds4  # noqa: E402

CORPUS = Path(os.environ.get("ARCHIVE_FED_CORPUS", ROOT.parent / "shared" / "corpus"))
SAMPLE = ROOT / "archive_fed" / "sample"

# ---------------------------------------------------------------------------------------- seeds


def seeds(kind: str) -> list[bytes]:
    """Real labels to mutate: ``kind`` is ``"pds3"``, ``"pds4"`` or ``"index"`` (label + table joined
    by a NUL byte, see :func:`split_index`)."""
    suffixes = {"pds3": {".lbl", ".pvl"}, "pds4": {".xml", ".2bl", ".2cl"}}
    found: list[bytes] = []
    if kind == "index":
        for label in sorted(SAMPLE.rglob("INDEX.LBL")):
            found.append(label.read_bytes() + b"\x00" + label.with_suffix(".TAB").read_bytes())
        return found
    for folder in (CORPUS, SAMPLE):
        if folder.is_dir():
            found += [p.read_bytes() for p in sorted(folder.rglob("*")) if p.suffix.lower() in suffixes[kind]
                      and p.is_file() and p.stat().st_size < 1_000_000]
    return found


def split_index(data: bytes) -> tuple[bytes, bytes]:
    label, _, table = data.partition(b"\x00")
    return label, table


# ---------------------------------------------------------------------------------------- mutators

PDS3_TOKENS = [b"OBJECT = X", b"END_OBJECT", b"END_OBJECT = Y", b"GROUP = G", b"END_GROUP", b"END",
               b"END_", b"=", b"(", b")", b"{", b"}", b",", b'"', b"'", b"<", b">", b"<m>", b"/*", b"*/",
               b"#", b";", b"-\r\n", b"\r", b"\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b"16#FF#", b"2#102#",
               b"NULL", b"N/A", b"2008-366T24:00:00", b"1e999", b"-0", b"(((((", b")))))", b"^IMAGE",
               b"PDS_VERSION_ID = PDS3", b"\t", b" " * 40, b"\xc3\xa9", b"\xe2\x80"]
XML_TOKENS = [b"<!DOCTYPE x>", b'<!ENTITY x "y">', b"&x;", b"&amp;", b"&#0;", b"&#x1F600;", b"&#xD800;",
              b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<?pi x?>", b"<", b">", b"</", b"/>", b'"', b"'",
              b'unit="deg"', b'xmlns="urn:x"', b"\x00", b"\xff", b"\xc3", b"<a>", b"</a>", b"<a/>",
              b"<Identification_Area>", b"</Identification_Area>", b"<logical_identifier>",
              b"</logical_identifier>", b"<start_date_time>2008-13-45T99:99:99Z</start_date_time>",
              b'<west_bounding_coordinate unit="deg">999</west_bounding_coordinate>',
              b"<Target_Identification><name>Lunar</name></Target_Identification>"]
VALUES = [b"1", b"-1", b"0.5", b"1.0E308", b"1e-400", b"NaN", b"INF", b"\"\"", b"\"text\"", b"SYMBOL",
          b"2008-01-01T00:00:00", b"2008-001T00:00:00.123456789Z", b"9999-99-99", b"(1, 2)", b"{A, B}",
          b"(1 <m>, 2 <km>)", b"-91.5 <deg>", b"400.0 <deg>", b"\"MOON\"", b"LUNAR", b"N/A", b"UNK"]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def mutate_pds3(data: bytes, rng: random.Random) -> bytes:
    """One grammar-aware mutation of PDS3 label text: lines and tokens, not just bytes."""
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(10)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(j, lines[i])
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:                      # replace a statement's value
        key, eq, _ = lines[i].partition(b"=")
        if eq:
            lines[i] = key + b"= " + rng.choice(VALUES) + b"\r\n"
    elif op == 4:                      # insert a token inside a line
        cut = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:cut] + rng.choice(PDS3_TOKENS) + lines[i][cut:]
    elif op == 5:                      # rename what an END_OBJECT closes, or drop it
        ends = [k for k, line in enumerate(lines) if line.lstrip().upper().startswith(b"END_")]
        if ends:
            k = rng.choice(ends)
            lines[k] = b"END_OBJECT = WRONG\r\n" if rng.random() < 0.5 else b""
    elif op == 6:
        return b"".join(lines)[: rng.randrange(len(data) + 1)]
    elif op == 7:                      # nest: wrap a line in an OBJECT
        lines[i:i + 1] = [b"OBJECT = N\r\n", lines[i], b"END_OBJECT = N\r\n"]
    elif op == 8:                      # splice binary after END
        return b"".join(lines) + bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    else:
        blob = bytearray(b"".join(lines))
        if blob:
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        return bytes(blob)
    return b"".join(lines)


_TAG = re.compile(rb"<[^<>]*>")


def mutate_pds4(data: bytes, rng: random.Random) -> bytes:
    """One grammar-aware mutation of PDS4 XML: tags, text nodes, declarations, encodings."""
    tags = list(_TAG.finditer(data))
    op = rng.randrange(9)
    if tags and op == 0:               # drop a tag
        m = rng.choice(tags)
        return data[:m.start()] + data[m.end():]
    if tags and op == 1:               # duplicate a tag
        m = rng.choice(tags)
        return data[:m.end()] + m.group() + data[m.end():]
    if tags and op == 2:               # replace the text after a tag
        m = rng.choice(tags)
        end = data.find(b"<", m.end())
        end = len(data) if end < 0 else end
        return data[:m.end()] + rng.choice(VALUES + XML_TOKENS) + data[end:]
    if tags and op == 3:               # rename a closing tag
        closing = [m for m in tags if m.group().startswith(b"</")]
        if closing:
            m = rng.choice(closing)
            return data[:m.start()] + b"</Wrong_Name>" + data[m.end():]
    if op == 4:                        # insert a token anywhere
        cut = rng.randrange(len(data) + 1)
        return data[:cut] + rng.choice(XML_TOKENS) + data[cut:]
    if op == 5:
        return data[: rng.randrange(len(data) + 1)]
    if op == 6:                        # another encoding, declared or not
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        return text.encode(rng.choice(["utf-16-le", "utf-16", "utf-32", "latin-1"]), errors="replace")
    if tags and op == 7:               # move a subtree's start tag elsewhere
        m, n = rng.choice(tags), rng.choice(tags)
        without = data[:m.start()] + data[m.end():]
        cut = min(n.start(), len(without))
        return without[:cut] + m.group() + without[cut:]
    blob = bytearray(data)
    if blob:
        blob[rng.randrange(len(blob))] = rng.randrange(256)
    return bytes(blob)


def mutate_index(data: bytes, rng: random.Random) -> bytes:
    """A mutation of the index label (PDS3 mutator) or of the table (rows, fields, line ends)."""
    label, table = split_index(data)
    if rng.random() < 0.4:
        return mutate_pds3(label, rng) + b"\x00" + table
    rows = table.splitlines(keepends=True) or [b""]
    i = rng.randrange(len(rows))
    op = rng.randrange(7)
    if op == 0:
        del rows[i]
    elif op == 1:
        rows.insert(i, rows[i])
    elif op == 2:                      # break the quoting or the field count
        cut = rng.randrange(len(rows[i]) + 1)
        junk = rng.choice([b'"', b",", b'","', b"\r", b"\n", b"\x00", b"\xff"])
        rows[i] = rows[i][:cut] + junk + rows[i][cut:]
    elif op == 3:                      # a hostile path in the row
        hostile = rng.choice([b'"../../x.LBL"', b'"/etc/passwd"', b'"http://other/x.LBL"', b'"file:///x.LBL"'])
        rows[i] = re.sub(rb'"[^"]*\.LBL"', hostile, rows[i])
    elif op == 4:
        rows[i] = rows[i].rstrip(b"\r\n") + rng.choice([b"\n", b"\r", b"", b"\r\n\r\n"])
    elif op == 5:
        rows[i] = rows[i][: rng.randrange(len(rows[i]) + 1)]
    else:                              # columns beyond the row, negative or huge
        label = re.sub(rb"(START_BYTE|BYTES)\s*=\s*\d+", lambda m: m.group(1) + b" = " + rng.choice(
            [b"0", b"-5", b"99999999999999999999", b"1.5", b'"x"', b"1"]), label, count=1)
    return label + b"\x00" + b"".join(rows)


MUTATORS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "pds3": mutate_pds3, "pds4": mutate_pds4, "index": mutate_index}

# ---------------------------------------------------------------------------------------- targets


def target_pds3(data: bytes) -> None:
    for lenient in (False, True):
        try:
            label = parse_pds3(data, path="fuzz.lbl", lenient=lenient)
        except ArchiveFedError:
            continue
        label.to_dict()
        _normalize(label)


def target_pds4(data: bytes) -> None:
    try:
        label = parse_pds4(data, path="fuzz.xml")
    except ArchiveFedError:
        return
    label.to_dict()
    _normalize(label)


def target_sniffed(data: bytes) -> None:
    try:
        label = parse_label(data, path="fuzz")
    except ArchiveFedError:
        return
    _normalize(label)


def target_index(data: bytes) -> None:
    label_bytes, table = split_index(data)
    try:
        label = parse_pds3(label_bytes, path="INDEX.LBL", lenient=True)
        rows = read_index_table(label, table, path="INDEX.TAB")
    except ArchiveFedError:
        return
    product_paths(rows)


#: Failures already reported to their owners and tolerated until fixed, as (exception type, file,
#: function where raised). Each has a strict-xfail regression test in tests/reliability/test_fuzz.py,
#: which starts failing the day the fix lands: then delete the entry here and the marker there.
#: ``--strict`` (or STRICT = True) tolerates none.
KNOWN_ISSUES: set[tuple[str, str, str]] = set()  # (error class, file, function) tolerated while open
STRICT = False


def is_known(exc: BaseException) -> bool:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return not STRICT and (type(exc).__name__, Path(frame.filename).name, frame.name) in KNOWN_ISSUES


def _normalize(label) -> None:
    try:
        normalize(label).to_dict()
    except ArchiveFedError:
        pass
    except Exception as exc:
        if not is_known(exc):
            raise


TARGETS: dict[str, Callable[[bytes], None]] = {
    "pds3": target_pds3, "pds4": target_pds4, "sniffed": target_sniffed, "index": target_index}
SEED_KIND = {"pds3": "pds3", "pds4": "pds4", "sniffed": "pds3", "index": "index"}


class Slow(Exception):
    """An input took longer than the time bound."""


def run_one(target: str, data: bytes, timeout: float = 2.0) -> None:
    """Run one input through one target; raise :class:`Slow` past ``timeout`` seconds (SIGALRM)."""
    def expire(signum, frame):
        raise Slow(f"{target}: input not done after {timeout} s")

    use_alarm = hasattr(signal, "setitimer") and timeout > 0
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    clock = time.perf_counter()
    try:
        TARGETS[target](data)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if timeout > 0 and time.perf_counter() - clock > timeout:
        raise Slow(f"{target}: input took {time.perf_counter() - clock:.2f} s")


def make_input(rng: random.Random, pool: dict[str, list[bytes]], target: str) -> bytes:
    """A seed mutated 1-8 times (or, one time in ten, random bytes)."""
    kind = SEED_KIND[target]
    if rng.random() < 0.1 or not pool[kind]:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(512)))
    data = rng.choice(pool[kind])
    for _ in range(rng.randint(1, 8)):
        data = MUTATORS[kind](data, rng)
    return data


def _report(target: str, data: bytes, exc: BaseException) -> str:
    """Save the input, print it with the traceback; return a signature (where it failed, and how)."""
    digest = hashlib.sha1(data).hexdigest()
    out = Path(f"fuzz-failure-{digest}.bin")
    out.write_bytes(data)
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    signature = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno} ({target})"
    print(f"FAILURE {signature} on {len(data)} bytes, saved to {out}: {data[:300]!r}", file=sys.stderr)
    traceback.print_exception(exc)
    return signature


def run_plain(iterations: int, seed: int, timeout: float, targets: list[str],
              keep_going: bool = False) -> int:
    """The pure-Python loop: ``iterations`` inputs per target, reproducible from ``seed``. Stops at the
    first failure, or with ``keep_going`` reports each distinct failure once."""
    rng = random.Random(seed)
    pool = {kind: seeds(kind) for kind in ("pds3", "pds4", "index")}
    found: dict[str, int] = {}
    for target in targets:
        for _ in range(iterations):
            data = make_input(rng, pool, target)
            try:
                run_one(target, data, timeout)
            except Exception as exc:  # noqa: BLE001 - anything but ArchiveFedError escaping is the finding
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                key = f"{type(exc).__name__}:{frame.filename}:{frame.lineno}"
                if key not in found:
                    found[key] = 0
                    _report(target, data, exc)
                found[key] += 1
                if not keep_going:
                    return 1
    if found:
        print(f"{len(found)} distinct failures: {found}", file=sys.stderr)
        return 1
    print(f"{iterations} inputs x {len(targets)} targets: no failure", file=sys.stderr)
    return 0


def run_atheris(argv: list[str], timeout: float) -> None:
    import atheris

    pool = {kind: seeds(kind) for kind in ("pds3", "pds4", "index")}
    names = sorted(TARGETS)

    def one_input(raw: bytes) -> None:
        provider = atheris.FuzzedDataProvider(raw)
        target = names[provider.ConsumeIntInRange(0, len(names) - 1)]
        kind = SEED_KIND[target]
        if provider.ConsumeBool() and pool[kind]:   # a mutated seed, mutations drawn from the input
            rng = random.Random(provider.ConsumeInt(8))
            data = make_input(rng, pool, target)
        else:
            data = provider.ConsumeBytes(provider.remaining_bytes())
        run_one(target, data, timeout)

    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], add_help=True)
    parser.add_argument("--plain", action="store_true", help="the pure-Python loop, without atheris")
    parser.add_argument("--iterations", type=int, default=10_000, help="inputs per target (--plain)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds one input may take")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS),
                        help="targets to fuzz (--plain; default: all)")
    parser.add_argument("--keep-going", action="store_true", help="report every distinct failure (--plain)")
    parser.add_argument("--strict", action="store_true", help="tolerate no known issue either")
    options, rest = parser.parse_known_args(argv[1:])
    global STRICT
    STRICT = options.strict
    warnings.simplefilter("ignore", LabelWarning)     # lenient reads warn by design
    if options.plain:
        return run_plain(options.iterations, options.seed, options.timeout, options.target or sorted(TARGETS),
                         options.keep_going)
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed (pip install atheris); use --plain for the pure-Python loop",
              file=sys.stderr)
        return 2
    run_atheris([argv[0], *rest], options.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
