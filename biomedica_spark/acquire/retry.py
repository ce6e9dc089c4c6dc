"""Retries with exponential backoff and full jitter, and a token-bucket request-rate limiter.

Both take their clock, sleep and randomness as arguments, so their maths is tested without waiting.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class FetchError(Exception):
    """A failed request: `kind` is the ledger's error code, `retryable` says whether to try again."""

    def __init__(self, kind: str, detail: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after


def http_status_error(status: int, detail: str, retry_after: float | None = None) -> FetchError:
    """5xx, 429 (too many requests) and 408 are worth retrying; other 4xx are not."""
    if status == 429:
        return FetchError("http_429", detail, True, retry_after)
    if status == 503:
        return FetchError("http_503", detail, True, retry_after)
    if status >= 500 or status == 408:
        return FetchError(f"http_{status}", detail, True, retry_after)
    if status == 404:
        return FetchError("not_found", detail, False)
    return FetchError(f"http_{status}", detail, False)


@dataclass(frozen=True)
class Backoff:
    retries: int = 5  # attempts after the first
    base_s: float = 0.5
    max_s: float = 30.0

    def ceiling(self, retry: int) -> float:
        """Upper bound of the wait before retry number `retry` (0-based): base * 2^retry, capped."""
        return float(min(self.max_s, self.base_s * (2**retry)))

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Full jitter (uniform in [0, ceiling]) spreads retrying clients apart; a server's Retry-After
        is a floor, itself capped by max_s."""
        jittered = rng.uniform(0.0, self.ceiling(retry))
        if retry_after is not None:
            return max(jittered, min(float(retry_after), self.max_s))
        return jittered


def call_with_retries(
    call: Callable[[], T],
    backoff: Backoff,
    rng: random.Random,
    sleep: Callable[[float], None] = time.sleep,
    on_attempt: Callable[[], None] | None = None,
) -> tuple[T, int]:
    """Run `call` until it succeeds or fails for good; returns (result, attempts). The last FetchError is
    raised with an `attempts` attribute when retries run out or the error is not retryable."""
    attempt = 0
    while True:
        attempt += 1
        if on_attempt is not None:
            on_attempt()
        try:
            return call(), attempt
        except FetchError as exc:
            if not exc.retryable or attempt > backoff.retries:
                exc.attempts = attempt  # type: ignore[attr-defined]
                raise
            sleep(backoff.delay(attempt - 1, rng, exc.retry_after))


class RateLimiter:
    """Token bucket: at most `rate` acquisitions per second on average, bursts up to `burst`.

    Thread-safe: the threads of one Spark task share it. Waiting happens outside the lock.
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token, possibly borrowed from the future; returns how long to wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)


def per_task_rate(global_rate: float, tasks: int) -> float:
    """Each of `tasks` Spark tasks gets an equal share of the global request rate.

    Tasks cannot talk to each other (no shared state across executors), so the only bound that holds
    whatever the scheduler runs at once is a static split: if every task ran simultaneously they would
    together stay at `global_rate`. When fewer run at a time the job is slower than the limit, never faster.
    """
    if tasks < 1:
        raise ValueError("tasks must be at least 1")
    return global_rate / tasks
