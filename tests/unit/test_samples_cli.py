"""The generator's command line: key=value arguments, one summary line, usage errors exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from biomedica_spark.samples.cli import CliOptions, main, parse_args


def test_parses_key_value_arguments() -> None:
    options = parse_args(["out=demo/landing", "profile=realistic", "archives=40", "seed=7", "broken=false"])
    assert options == CliOptions(
        out=Path("demo/landing"), profile="realistic", archives=40, seed=7, broken=False
    )


@pytest.mark.parametrize(
    "argv", [[], ["archives=3"], ["out=x", "colour=red"], ["out=x", "broken=maybe"], ["out"]]
)
def test_bad_arguments_print_usage_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_writes_the_corpus_and_prints_one_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "landing"
    assert main([f"out={landing}", "archives=4", "seed=7"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wrote 4 archives") and "archives/s" in lines[0]
    assert (tmp_path / "landing.truth.json").is_file()
    assert any(landing.rglob("*.xml")) or any(landing.rglob("*.tar.gz"))
