"""Backoff schedule and the token-bucket rate limiter, with a fake clock (nothing waits)."""

from __future__ import annotations

import random

import pytest

from biomedica_spark.acquire.retry import (
    Backoff,
    FetchError,
    RateLimiter,
    call_with_retries,
    http_status_error,
    per_task_rate,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_backoff_ceiling_doubles_and_caps() -> None:
    backoff = Backoff(retries=6, base_s=0.5, max_s=5.0)
    assert [backoff.ceiling(i) for i in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_full_jitter_stays_under_the_ceiling_and_spreads() -> None:
    backoff = Backoff(retries=5, base_s=1.0, max_s=30.0)
    rng = random.Random(1)
    delays = [backoff.delay(3, rng) for _ in range(2000)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    assert 3.5 < sum(delays) / len(delays) < 4.5  # uniform on [0, 8]


def test_retry_after_is_a_floor_capped_by_max() -> None:
    backoff = Backoff(retries=3, base_s=0.1, max_s=2.0)
    assert backoff.delay(0, random.Random(0), retry_after=1.5) == 1.5
    assert backoff.delay(0, random.Random(0), retry_after=60) == 2.0


def test_retries_until_success_counting_attempts() -> None:
    clock = FakeClock()
    outcomes = [FetchError("http_503", "x", True), FetchError("timeout", "x", True), b"ok"]

    def call() -> bytes:
        result = outcomes.pop(0)
        if isinstance(result, FetchError):
            raise result
        return result

    result, attempts = call_with_retries(call, Backoff(5, 1.0, 10.0), random.Random(0), clock.sleep)
    assert (result, attempts) == (b"ok", 3)
    assert len(clock.slept) == 2 and clock.slept[0] <= 1.0 and clock.slept[1] <= 2.0


def test_gives_up_after_the_last_retry_and_at_once_when_not_retryable() -> None:
    clock = FakeClock()

    def always_500() -> bytes:
        raise http_status_error(500, "boom")

    with pytest.raises(FetchError) as caught:
        call_with_retries(always_500, Backoff(3, 0.1, 1.0), random.Random(0), clock.sleep)
    assert caught.value.kind == "http_500" and caught.value.attempts == 4  # type: ignore[attr-defined]

    def gone() -> bytes:
        raise http_status_error(404, "nope")

    with pytest.raises(FetchError) as caught:
        call_with_retries(gone, Backoff(3, 0.1, 1.0), random.Random(0), clock.sleep)
    assert caught.value.kind == "not_found" and caught.value.attempts == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [(429, "http_429", True), (503, "http_503", True), (500, "http_500", True), (408, "http_408", True),
     (404, "not_found", False), (403, "http_403", False)],
)  # fmt: skip
def test_status_classification(status: int, kind: str, retryable: bool) -> None:
    error = http_status_error(status, "x")
    assert (error.kind, error.retryable) == (kind, retryable)


def test_rate_limiter_holds_the_rate_after_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=10, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(103):
        limiter.acquire()
    # 3 tokens of burst are free; the next 100 take 1/10 s each.
    assert clock.now == pytest.approx(10.0)


def test_rate_limiter_refills_while_idle_but_never_beyond_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2, burst=2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.acquire()
    clock.now += 100.0  # a long pause refills only up to the burst
    assert limiter.reserve() == 0 and limiter.reserve() == 0
    assert limiter.reserve() == pytest.approx(0.5)


def test_the_global_rate_is_split_among_tasks() -> None:
    assert per_task_rate(20, 8) == 2.5
    with pytest.raises(ValueError):
        per_task_rate(20, 0)
