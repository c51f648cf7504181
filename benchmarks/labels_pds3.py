"""PDS3 label parsing speed: labels/s of ``archive_fed.labels.pds3.read_pds3`` against pdr's parser
(``pdr.parselabel.pds3.read_pvl``) and ``pvl.load``, on every PDS3 label of the corpus, in the same run;
plus how many labels agree with pvl value for value.

Each reader parses the whole corpus repeatedly (about ``--seconds`` per round, at least one pass) and the
best of ``--rounds`` rounds is kept (time.perf_counter). Files are read from disk each time, as in use.

    python benchmarks/labels_pds3.py [--seconds 0.5] [--rounds 5]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pvl  # noqa: E402
import pvl.collections  # noqa: E402
from pdr.parselabel.pds3 import read_pvl  # noqa: E402

from archive_fed.labels.base import Block, UnitValue, parse_unit  # noqa: E402
from archive_fed.labels.pds3 import read_pds3  # noqa: E402

CORPUS = Path(os.environ.get("ARCHIVE_FED_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_labels() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() in {".lbl", ".pvl"})


def labels_per_second(read: Callable[[Path], Any], files: list[Path], seconds: float, rounds: int) -> float:
    """Best-of-``rounds`` throughput, each round as many whole-corpus passes as fit in ``seconds``."""
    start = time.perf_counter()
    for path in files:                     # warm-up, and how long one pass takes
        read(path)
    passes = max(1, round(seconds / max(time.perf_counter() - start, 1e-9)))
    best = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(passes):
            for path in files:
                read(path)
        best = min(best, (time.perf_counter() - start) / passes)
    return len(files) / best


def same_as_pvl(mine: Any, ref: Any) -> bool:
    """Our value equals pvl's: Blocks vs PVL objects, Quantities by value and unit, lists, sets, scalars."""
    if isinstance(mine, Block):
        if not isinstance(ref, pvl.collections.MutableMappingSequence):
            return False
        theirs = list(ref.items())
        return len(mine.items_) == len(theirs) and all(
            k1 == k2 and same_as_pvl(a, b) for (k1, a), (k2, b) in zip(mine.items_, theirs))
    if isinstance(ref, pvl.collections.Quantity):
        if isinstance(mine, UnitValue):
            return mine.unit == ref.units and same_as_pvl(mine.value, ref.value)
        unit = parse_unit(ref.units)
        return (hasattr(mine, "unit") and unit is not None and mine.unit == unit
                and math.isclose(mine.value, ref.value, rel_tol=1e-15))
    if isinstance(ref, list):
        return isinstance(mine, list) and len(mine) == len(ref) and all(map(same_as_pvl, mine, ref))
    if isinstance(ref, float) and math.isnan(ref):
        return isinstance(mine, float) and math.isnan(mine)
    return type(mine) is type(ref) and mine == ref and (
        not hasattr(ref, "utcoffset") or mine.utcoffset() == ref.utcoffset())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="time per round and reader")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per reader (best kept)")
    args = parser.parse_args()
    files = corpus_labels()
    if not files:
        print(f"no PDS3 labels under {CORPUS} (set ARCHIVE_FED_CORPUS)", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    readers: list[tuple[str, Callable[[Path], Any]]] = [
        ("archive_fed read_pds3", read_pds3),
        ("pdr read_pvl", lambda path: read_pvl(str(path))),
        ("pvl.load", lambda path: pvl.load(str(path))),
    ]
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} PDS3 labels, {size / 1024:.0f} KiB, best of {args.rounds} rounds")
    rates = {}
    for name, read in readers:
        rounds = args.rounds if name != "pvl.load" else max(1, min(args.rounds, 3))
        rates[name] = labels_per_second(read, files, args.seconds, rounds)
    ours = rates["archive_fed read_pds3"]
    print(f"{'reader':<24}{'labels/s':>10}{'MiB/s':>8}{'read_pds3 is':>16}")
    for name, rate in rates.items():
        speedup = "-" if rate == ours else f"{ours / rate:.1f}x faster"
        print(f"{name:<24}{rate:>10.0f}{rate * size / len(files) / 2**20:>8.2f}{speedup:>16}")
    agree = [path for path in files if same_as_pvl(read_pds3(path), pvl.load(str(path)))]
    print(f"value-by-value agreement with pvl: {len(agree)}/{len(files)} labels")
    for path in sorted(set(files) - set(agree)):
        print(f"  differs: {path.relative_to(CORPUS)}")
    return 0 if len(agree) == len(files) else 1


if __name__ == "__main__":
    sys.exit(main())
