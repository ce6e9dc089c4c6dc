"""Generate a sample corpus: `python -m biomedica_spark.samples.cli out=DIR profile=small archives=40 seed=7`.

Arguments are key=value (like the jobs' Hydra overrides): out (required), profile (small | realistic),
archives, seed, broken, duplicates (true | false), workers. Prints one summary line.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

from biomedica_spark.samples.generator import generate_corpus
from biomedica_spark.samples.truth import truth_path

USAGE = (
    "usage: python -m biomedica_spark.samples.cli out=DIR [profile=small|realistic] [archives=50] "
    "[seed=0] [broken=true] [duplicates=true] [workers=N]"
)
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class CliOptions:
    out: Path
    profile: str = "small"
    archives: int = 50
    seed: int = 0
    broken: bool = True
    duplicates: bool = True
    workers: int | None = None


def parse_args(argv: list[str]) -> CliOptions:
    values: dict[str, str] = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or key not in {f.name for f in fields(CliOptions)}:
            raise ValueError(f"unexpected argument {arg!r}")
        values[key] = value
    if "out" not in values:
        raise ValueError("out=DIR is required")
    return CliOptions(
        out=Path(values["out"]),
        profile=values.get("profile", "small"),
        archives=int(values.get("archives", "50")),
        seed=int(values.get("seed", "0")),
        broken=_boolean("broken", values.get("broken", "true")),
        duplicates=_boolean("duplicates", values.get("duplicates", "true")),
        workers=int(values["workers"]) if "workers" in values else None,
    )


def _boolean(key: str, value: str) -> bool:
    if value.lower() not in _BOOLEANS:
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return _BOOLEANS[value.lower()]


def main(argv: list[str] | None = None) -> int:
    try:
        options = parse_args(sys.argv[1:] if argv is None else argv)
    except ValueError as error:
        print(f"{error}\n{USAGE}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    truth = generate_corpus(
        options.out,
        profile=options.profile,
        archives=options.archives,
        seed=options.seed,
        broken=options.broken,
        duplicates=options.duplicates,
        workers=options.workers,
    )
    seconds = max(time.perf_counter() - started, 1e-9)
    total_mb = sum(archive.size for archive in truth.archives) / 1e6
    regular = truth.archives_requested
    print(
        f"wrote {regular} archives + {len(truth.archives) - regular} broken inputs to {options.out} "
        f"({total_mb:.1f} MB, profile {truth.profile}, seed {truth.seed}) in {seconds:.1f} s: "
        f"{regular / seconds:.0f} archives/s, {total_mb / seconds:.1f} MB/s; "
        f"truth {truth_path(options.out.resolve())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
