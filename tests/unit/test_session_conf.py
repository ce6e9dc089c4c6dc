"""`temporary_conf`: a step's session settings never outlive the step (no Spark needed: a fake conf)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from biomedica_spark.lake.session import temporary_conf


class FakeConf:
    def __init__(self, settings: dict[str, str]) -> None:
        self.settings = dict(settings)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.settings.get(key, default)

    def set(self, key: str, value: str) -> None:
        self.settings[key] = value

    def unset(self, key: str) -> None:
        self.settings.pop(key, None)


class FakeSession:
    def __init__(self, settings: dict[str, str]) -> None:
        self.conf = FakeConf(settings)


def test_settings_hold_inside_the_block_and_are_put_back_or_unset_after() -> None:
    session = FakeSession({"a": "1"})
    with temporary_conf(cast(Any, session), {"a": "2", "b": "3"}):
        assert session.conf.settings == {"a": "2", "b": "3"}
    assert session.conf.settings == {"a": "1"}


def test_settings_are_put_back_when_the_step_fails() -> None:
    session = FakeSession({"a": "1"})
    with pytest.raises(RuntimeError, match="boom"), temporary_conf(cast(Any, session), {"a": "9"}):
        raise RuntimeError("boom")
    assert session.conf.settings == {"a": "1"}
