"""Limits per host: a bounded number of requests in flight and an optional token-bucket rate.

Examples
--------
>>> limiter = HostLimiter(max_concurrent=2, rate=None)
>>> with limiter.slot("host:443"):
...     pass
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["TokenBucket", "HostLimiter"]


class TokenBucket:
    """``rate`` requests per second with bursts of ``capacity``; a reservation, so waits are fair."""

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate) - 1
            self.stamp = now
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            time.sleep(wait)


class HostLimiter:
    def __init__(self, max_concurrent: int, rate: float | None) -> None:
        self.max_concurrent, self.rate = max_concurrent, rate
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._semaphores.setdefault(host, threading.BoundedSemaphore(self.max_concurrent))
            bucket = self._buckets.setdefault(host, TokenBucket(self.rate)) if self.rate else None
        with semaphore:
            if bucket is not None:
                bucket.take()
            yield


