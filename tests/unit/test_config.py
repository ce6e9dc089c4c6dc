"""Configuration: Hydra compose with key=value overrides, the same files in the repo and the wheel."""

from __future__ import annotations

import pytest

from biomedica_spark import config


def test_overrides_apply_and_defaults_stay() -> None:
    cfg = config.load_config(["lake.root=/data/lake", "extract.batch_archives=5"])
    assert cfg.lake.root == "/data/lake"
    assert cfg.extract.batch_archives == 5
    assert cfg.landing.root == "data/landing"


def test_bracketed_values_need_quotes_and_work_quoted() -> None:
    assert config.load_config(["spark.master='local[4]'"]).spark.master == "local[4]"


def test_arguments_that_are_not_overrides_are_rejected_clearly() -> None:
    with pytest.raises(SystemExit, match="expected key=value overrides"):
        config.load_config(["--verbose"])


def test_unknown_keys_are_refused_rather_than_silently_ignored() -> None:
    with pytest.raises(Exception, match=r"lake\.roots"):
        config.load_config(["lake.roots=/typo"])


def test_the_package_conf_is_the_repository_conf_not_a_drifting_copy() -> None:
    # The wheel packs biomedica_spark/conf, a link to conf/ at the root: one source of truth.
    repo_conf = config.PACKAGE_CONF.parent.parent / "conf"
    assert config.PACKAGE_CONF.is_symlink()
    assert config.PACKAGE_CONF.resolve() == repo_conf.resolve()
    assert (config.PACKAGE_CONF / "config.yaml").is_file()
