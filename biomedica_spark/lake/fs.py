"""Small filesystem checks through fsspec (local, s3, dbfs, Volumes), for folders a job is pointed at."""

from __future__ import annotations


def require_folder(uri: str, config_key: str) -> None:
    """Stop with a clear message when a configured input folder is missing (a typo, an unmounted Volume)."""
    import fsspec

    fs, local = fsspec.core.url_to_fs(uri)
    if not fs.isdir(local):
        raise SystemExit(f"{config_key} does not exist or is not a folder: {uri}")
