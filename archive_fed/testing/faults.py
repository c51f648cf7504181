"""Deterministic fault injection for :class:`archive_fed.testing.servers.ArchiveServer`: a :class:`FaultPlan`
makes chosen requests fail the ways real archives fail.

Fault kinds: any HTTP status (``"503"``, ``429``, ``"500"``; ``retry_after=`` adds ``Retry-After``,
which 429 always carries), ``"reset"`` (RST before any byte of the answer), ``"reset_after_headers"``,
``"truncate"`` (full ``Content-Length``, part of the body, then close), ``"stall"`` (sleep ``seconds``
before answering) and ``"stall_body"`` (headers and half the body, then sleep). ``times`` counts per
distinct path (default 1; ``"500"`` defaults to forever; ``times=None`` is forever); ``every(n)``
counts the matching requests of that rule; ``randomly(p)`` draws from a ``random.Random(seed)``.
"""
from __future__ import annotations

import fnmatch
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = ["Fault", "FaultLike", "FaultPlan", "MAX_STALL"]

MAX_STALL = 30.0  # a stall never outlives this, whatever the test asks, so test runs end
_DEFAULT_TIMES = -1
_FAULT_KINDS = {"reset", "reset_after_headers", "truncate", "stall", "stall_body"}


# --------------------------------------------------------------------------- faults

@dataclass
class Fault:
    """One way to fail. ``kind`` is an HTTP status or one of reset/reset_after_headers/truncate/
    stall/stall_body; see the module docstring."""

    kind: Union[str, int]
    times: int | None = _DEFAULT_TIMES
    retry_after: Union[float, str, None] = None
    seconds: float = 2.0
    keep: float = 0.5

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        if not (self.kind in _FAULT_KINDS or (self.kind.isdigit() and len(self.kind) == 3)):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.times == _DEFAULT_TIMES:
            self.times = None if self.kind == "500" else 1
        if self.kind == "429" and self.retry_after is None:
            self.retry_after = 1
        self.seconds = min(float(self.seconds), MAX_STALL)

    @property
    def status(self) -> int | None:
        return int(self.kind) if self.kind.isdigit() else None


FaultLike = Union[Fault, str, int]


@dataclass
class _Rule:
    fault: Fault
    pattern: str = "*"
    every: int | None = None
    probability: float | None = None
    rng: random.Random | None = None
    matched: int = 0
    per_path: Counter = field(default_factory=Counter)

    def fires(self, path: str) -> bool:
        if not fnmatch.fnmatchcase(path, self.pattern):
            return False
        if self.fault.times is not None and self.per_path[path] >= self.fault.times:
            return False
        self.matched += 1
        if self.every and self.matched % self.every:
            return False
        if self.probability is not None and self.rng is not None and self.rng.random() >= self.probability:
            return False
        self.per_path[path] += 1
        return True


def _pattern(pattern: str) -> str:
    return pattern if pattern.startswith(("/", "*", "?", "[")) else "/" + pattern


def _as_fault(fault: FaultLike, opts: dict[str, Any]) -> Fault:
    if isinstance(fault, Fault):
        return fault
    return Fault(fault, **opts)


class FaultPlan:
    """Which requests fail and how: rules tried in order, the first that fires wins. Thread-safe and
    deterministic for a given request order (random rules use their own seeded generator)."""

    def __init__(self, rules: Mapping[str, FaultLike] | None = None, *, seed: int = 0) -> None:
        self.seed = seed
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        for pattern, fault in (rules or {}).items():
            self.on(pattern, fault)

    def on(self, pattern: str, fault: FaultLike, **opts: Any) -> FaultPlan:
        """Fail requests whose path matches the glob ``pattern`` (``*`` crosses ``/``)."""
        self._rules.append(_Rule(_as_fault(fault, opts), _pattern(pattern)))
        return self

    def every(self, n: int, fault: FaultLike, *, pattern: str = "*", **opts: Any) -> FaultPlan:
        """Fail every ``n``-th request matching ``pattern`` (the n-th, 2n-th, …)."""
        opts.setdefault("times", None)
        self._rules.append(_Rule(_as_fault(fault, opts), _pattern(pattern), every=n))
        return self

    def randomly(self, p: float, fault: FaultLike, *, pattern: str = "*", seed: int | None = None,
                 **opts: Any) -> FaultPlan:
        """Fail each matching request with probability ``p`` (seeded: the same run fails the same way)."""
        opts.setdefault("times", None)
        rng = random.Random(self.seed + len(self._rules) if seed is None else seed)
        self._rules.append(_Rule(_as_fault(fault, opts), _pattern(pattern), probability=p, rng=rng))
        return self

    def pick(self, path: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.fires(path):
                    return rule.fault
        return None
