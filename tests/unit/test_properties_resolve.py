"""Properties of member names and href resolution on any input: a member of the archive, not found, or
unsafe; never an exception, never a path that leaves the archive."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from biomedica_spark.archives.reader import normalise_member_path
from biomedica_spark.archives.resolve import MemberIndex, UnsafeHref, image_stem, resolve_graphic

FAST = settings(max_examples=200, deadline=None)

SEGMENTS = st.sampled_from(
    ["..", ".", "", "PMC1", "gr1", "gr1.jpg", "GR1.JPG", "fig.1.tif", "a b", "C:", "file:", "~", "\x00", "é"]
)
PATHISH = st.lists(SEGMENTS | st.text(max_size=6), max_size=6).map("/".join)
HREFS = st.one_of(
    PATHISH,
    st.text(max_size=40),
    st.tuples(
        st.sampled_from(["", "/", "\\", "file://", "info:doi/", "https://h/", "c:\\", "x:"]), PATHISH
    ).map("".join),
)


def _escapes(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\")) or ".." in parts


@FAST
@given(st.text(max_size=60) | PATHISH)
@example(":")
@example("1:")
@example("C:")
@example("./C:")
def test_normalised_member_paths_stay_inside_the_archive(raw: str) -> None:
    path = normalise_member_path(raw)
    if path is not None:
        assert not _escapes(path) and "\x00" not in path and "\\" not in path
        # A colon is an ordinary name character ("a:b", ":"); only a drive prefix ("C:") is unsafe.
        assert not path.startswith("/") and not re.match(r"[A-Za-z]:", path)
        assert normalise_member_path(path) == path  # normalising twice changes nothing


@FAST
@given(st.lists(PATHISH, max_size=8), HREFS, PATHISH)
def test_an_href_resolves_to_a_member_to_nothing_or_is_unsafe(
    members: list[str], href: str, article_member: str
) -> None:
    safe_members = [m for m in (normalise_member_path(p) for p in members) if m]
    resolved = resolve_graphic(href, article_member, MemberIndex(safe_members))
    assert resolved is None or isinstance(resolved, UnsafeHref) or resolved in safe_members
    if isinstance(resolved, str):
        assert not _escapes(resolved)
    if ".." in href.replace("\\", "/").split("/") and "://" not in href and not href.startswith("info:"):
        assert resolved is None or isinstance(resolved, UnsafeHref)


@FAST
@given(st.text(max_size=40))
def test_image_stem_never_raises_and_ranks_known_extensions(file_name: str) -> None:
    stem, rank = image_stem(file_name)
    assert isinstance(stem, str) and rank >= 0
    assert stem == file_name.lower() or file_name.lower().startswith(stem + ".")
