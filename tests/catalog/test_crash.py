"""Crash safety: a process saving over a catalog is SIGKILLed mid-save; the store stays readable.

A helper process builds two catalogs once, then for each trial forks a child that saves one of them over
the target store; the helper SIGKILLs the child after a delay (or the child kills itself at a named step
of the protocol). After each kill, this test opens the target: it must hold the previous catalog or the
one being written, complete, and no leftovers may remain.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from archive_fed.catalog import Catalog
from archive_fed.record import FIELDS

pytestmark = [pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL"), pytest.mark.slow]

HELPER = textwrap.dedent(r"""
    import os, signal, sys, time
    from archive_fed.catalog import Catalog, store
    from archive_fed.testing.synthetic import synthetic_records

    target = sys.argv[1]
    # no zarr use in this process before forking: zarr's event-loop thread would not survive a fork
    catalogs = {"A": Catalog.from_records(synthetic_records(int(sys.argv[2]), seed=1)),
                "B": Catalog.from_records(synthetic_records(int(sys.argv[3]), seed=2))}
    print("ready", flush=True)
    for line in sys.stdin:
        name, path, mode, stage, delay = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                store.USE_RENAME_EXCHANGE = mode == "exchange"
                if stage != "-":
                    store.crash_hook = lambda step: step == stage and os.kill(os.getpid(), signal.SIGKILL)
                catalogs[name].save(path)
            finally:
                os._exit(0)
        t0 = time.perf_counter()
        if float(delay) >= 0:
            time.sleep(float(delay))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        print(f"{'killed' if killed else 'finished'} {time.perf_counter() - t0:.4f}", flush=True)
""")


def fingerprint(catalog: Catalog) -> str:
    """A hash of every value of every column (reads every chunk: a missing one raises)."""
    ds = catalog.to_xarray().load()
    digest = hashlib.sha1(str(len(catalog)).encode())
    for name in FIELDS:
        values = np.asarray(ds[name].values)
        if values.dtype.kind in "OUT" or values.dtype.kind not in "fiuMm":
            values = values.astype(object)
        digest.update(pd.util.hash_array(values).tobytes())
    return digest.hexdigest()


N_A, N_B = 20_000, 30_000  # large enough that a save takes a few hundred milliseconds


class Helper:
    def __init__(self, target: Path, n_a: int, n_b: int) -> None:
        self.target = target
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HELPER, str(target), str(n_a), str(n_b)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def save(self, name: str, path: Path | None = None, mode: str = "exchange", stage: str = "-",
             delay: float = -1.0) -> tuple[bool, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{name} {path or self.target} {mode} {stage} {delay}\n")
        self.proc.stdin.flush()
        outcome, elapsed = self.proc.stdout.readline().split()
        return outcome == "killed", float(elapsed)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def helper(tmp_path_factory):
    h = Helper(tmp_path_factory.mktemp("crash") / "work" / "lunar.zarr", N_A, N_B)
    yield h
    h.close()


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_sigkill_mid_save_leaves_old_or_new(helper, tmp_path):
    target = helper.target
    duration = {name: helper.save(name, tmp_path / f"ref-{name}.zarr")[1] for name in "AB"}
    fp = {name: fingerprint(Catalog.open(str(tmp_path / f"ref-{name}.zarr"))) for name in "AB"}
    assert helper.save("A")[0] is False
    assert fingerprint(Catalog.open(str(target))) == fp["A"]
    current = "A"
    outcomes = []
    # kills at spread-out moments: both swap protocols, writing the larger or the smaller catalog
    for i, fraction in enumerate((0.1, 0.5, 0.9, 1.2, 0.3, 0.7, 0.95, 1.1)):
        writing = "B" if current == "A" else "A"
        mode = "exchange" if i < 4 else "rename"
        killed, _ = helper.save(writing, mode=mode, delay=fraction * duration[writing])
        opened = fingerprint(Catalog.open(str(target)))
        assert opened in (fp[current], fp[writing]), f"corrupt catalog after a kill at {fraction}"
        assert siblings(target) == ["lunar.zarr"], "recovery left debris"
        if not killed:
            assert opened == fp[writing]
        outcomes.append((killed, opened == fp[writing]))
        current = writing if opened == fp[writing] else current
    print("outcomes (killed, new)", outcomes, "save took", duration)
    assert any(k for k, _ in outcomes), "no save was ever interrupted: the catalog is too small"


@pytest.mark.parametrize("mode, stage, survives", [
    ("exchange", "written", "old"), ("exchange", "exchanged", "new"),
    ("rename", "written", "old"), ("rename", "moved-aside", "new"), ("rename", "moved-in", "new"),
])
def test_sigkill_at_each_step(helper, tmp_path, mode, stage, survives):
    target = helper.target
    assert helper.save("A")[0] is False
    killed, _ = helper.save("B", mode=mode, stage=stage)
    assert killed
    assert len(siblings(target)) == 2  # something for recovery to do
    opened = Catalog.open(str(target))
    assert len(opened) == (N_A if survives == "old" else N_B)
    assert siblings(target) == ["lunar.zarr"]
    fingerprint(opened)  # every chunk readable
