"""Configuration: Hydra's compose API over `conf/`, with positional `key=value` overrides.

`@hydra.main` is deliberately not used: it rejects `--flag` argv, writes `outputs/` into the working
directory and calls `sys.exit`, none of which suits spark-submit, Databricks tasks or EMR steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

PACKAGE_CONF = Path(__file__).resolve().parent / "conf"


def conf_dir() -> Path:
    """`conf/` at the repository root is the source of truth; the wheel carries a copy as package data."""
    repo_conf = Path(__file__).resolve().parent.parent / "conf"
    return repo_conf if (repo_conf / "config.yaml").is_file() else PACKAGE_CONF


def load_config(overrides: Sequence[str] = ()) -> DictConfig:
    """Compose the config with `key=value` overrides; anything else is rejected with a clear message."""
    bad = [arg for arg in overrides if "=" not in arg]
    if bad:
        raise SystemExit(f"expected key=value overrides, got: {' '.join(bad)}")
    with initialize_config_dir(config_dir=str(conf_dir()), version_base=None):
        cfg = compose(config_name="config", overrides=list(overrides))
    OmegaConf.set_readonly(cfg, True)
    return cfg


def to_container(cfg: DictConfig) -> dict:
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
