"""The vectorised index-time parser equals the lenient label-time parser (``utc_time``) row by row."""
from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from archive_fed.labels.index_times import parse_times
from archive_fed.times import utc_time


def reference(texts: list[str]) -> np.ndarray:
    """The per-row reference: utc_time on each text (naive UTC, NaT when unreadable)."""
    out = []
    for text in texts:
        stamp = utc_time(text)
        out.append(np.datetime64(stamp.replace(tzinfo=None), "us") if stamp else np.datetime64("NaT", "us"))
    return np.array(out, dtype="datetime64[us]")


def generated(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        year = rng.choice([1899, 1900, 1969, 1970, 2000, 2008, 2009, 2010, 2012, 2100, 2200, 2201])
        if rng.random() < 0.5:
            date = f"{year}-{rng.choice([0, 1, 59, 60, 93, 365, 366, 367, 999]):03d}"
        else:
            month, day = rng.choice([0, 1, 2, 4, 9, 12, 13]), rng.choice([0, 1, 9, 28, 29, 30, 31, 32])
            date = f"{year}-{month:02d}-{day:02d}" if rng.random() < 0.9 else f"{year}-{month}-{day}"
        text = date
        if rng.random() < 0.8:
            hour, minute, second = rng.choice([0, 9, 23, 24]), rng.choice([0, 59, 60]), rng.choice([0, 59, 60])
            clock = rng.choice([f"{hour:02d}:{minute:02d}:{second:02d}", f"{hour:02d}:{minute:02d}",
                                f"{hour:02d}", f"{hour}:{minute:02d}:{second:02d}"])
            text += rng.choice("TTTt ") + clock
            if rng.random() < 0.6:
                text += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 12)))
        text += rng.choice(["", "", "", "Z", "z", " Z", "+02:00", "-0130", "ZZ", "x"])
        if rng.random() < 0.1:  # a random byte changed
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice("0123456789-T:. Zé") + text[i + 1:]
        texts.append(text)
    return texts + ["", "UNK", "N/A", "2010-01-01T00:00:00.000000000000000000000Z", "2010-093", "2010-093T",
                    "2012-366T23:59:59.999999", "2011-366T00:00:00", "2010-02-29", "2012-02-29T12:00:00"]


def test_parse_times_equals_utc_time_on_generated_texts():
    texts = generated(7, 20_000)
    values, bad = parse_times(pa.array(texts))
    expected = reference(texts)
    mismatched = [(t, v, e) for t, v, e in zip(texts, values, expected) if not (v == e or (np.isnat(v) and np.isnat(e)))]
    assert not mismatched[:10]
    assert np.array_equal(bad, np.isnat(expected))
    assert 1_000 < int((~bad).sum()) < len(texts)  # both paths exercised


def test_parse_times_on_chunked_null_and_sliced_arrays():
    texts = ["2010-093T12:00:00.123", None, "2010-04-03T12:00:00.123Z", "garbage"]
    chunked = pa.chunked_array([pa.array(texts[:2]), pa.array(texts[2:])])
    values, bad = parse_times(chunked)
    assert values[0] == values[2] == np.datetime64("2010-04-03T12:00:00.123")
    assert bad.tolist() == [False, True, False, True]
    sliced, _ = parse_times(pa.array(["x", "2010-04-03", "y"]).slice(1, 1))
    assert sliced.tolist() == [np.datetime64("2010-04-03T00:00:00", "us").item()]
