"""Figure graphic href -> archive member.

Rules (DESIGN.md, "Extraction rules that matter"; PMC-FACTS.md, "Package contents and hrefs"):
- Match by stem, whatever extension the href or the member carries; only known image extensions are
  stripped to get a stem (`journal.pone.0046493.g001` keeps its dots), case-insensitively.
- Prefer the full-size raster: jpg > jpeg > png > tif > tiff > gif > other image types > a member whose
  name matches the href exactly with no image extension. So `gr1_lrg` and `gr1_lrg.gif` both give
  `gr1_lrg.jpg` when it exists (the gif is PMC's thumbnail), and eLife's `elife-05-19405-fig1` gives its tif.
- Look where the href points first (the article's folder joined with the href's folder), then in the
  article's folder, then below it, then anywhere; within a place the best extension, then the shortest
  path wins. Location beats extension: in a multi-article archive every article has its own `gr1_lrg`.
- A scheme or `info:doi/` prefix is dropped and the last path segment kept. An href that would escape
  (`..`, an absolute path, a drive letter, `file:`) is UnsafeHref and is never looked up.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from biomedica_spark.quarantine import Reason

IMAGE_EXTENSION_RANK = {
    "jpg": 0,
    "jpeg": 1,
    "png": 2,
    "tif": 3,
    "tiff": 4,
    "gif": 5,
    "bmp": 6,
    "webp": 7,
    "svg": 8,
    "eps": 9,
}
_NO_IMAGE_EXTENSION = len(IMAGE_EXTENSION_RANK)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class UnsafeHref:
    """An href that would leave the archive: quarantine it with `reason`, never resolve it."""

    href: str
    detail: str
    reason: Reason = Reason.HREF_UNSAFE


Resolution = str | None | UnsafeHref  # member path; None: no member matches (Reason.HREF_NOT_FOUND)


def image_stem(file_name: str) -> tuple[str, int]:
    """(lower-cased stem, extension rank): only a known image extension is stripped."""
    lowered = file_name.lower()
    stem, dot, extension = lowered.rpartition(".")
    if dot and stem and extension in IMAGE_EXTENSION_RANK:
        return stem, IMAGE_EXTENSION_RANK[extension]
    return lowered, _NO_IMAGE_EXTENSION


@dataclass(frozen=True)
class _Candidate:
    path: str
    folder: str  # lower-cased
    rank: int


class MemberIndex:
    """Stem -> members, built once per archive: an href resolves with dict lookups (same-stem members
    are scanned only when neither the pointed folder nor the article's folder holds the stem)."""

    def __init__(self, members: Iterable[str]) -> None:
        self._by_stem: dict[str, list[_Candidate]] = {}
        self._best_in_folder: dict[tuple[str, str], _Candidate] = {}
        for path in members:
            folder, _, file_name = path.rpartition("/")
            stem, rank = image_stem(file_name)
            candidate = _Candidate(path, folder.lower(), rank)
            self._by_stem.setdefault(stem, []).append(candidate)
            key = (candidate.folder, stem)
            best = self._best_in_folder.get(key)
            if best is None or _preference(candidate) < _preference(best):
                self._best_in_folder[key] = candidate

    def resolve(self, href: str, article_member: str) -> Resolution:
        """The member an article's graphic href names; `article_member` is the article XML's path."""
        parsed = _parse_href(href)
        if parsed is None or isinstance(parsed, UnsafeHref):
            return parsed
        href_folder, file_name = parsed
        stem, _ = image_stem(file_name)
        article_folder = posixpath.dirname(article_member).lower()
        pointed_folder = (
            posixpath.join(article_folder, href_folder.lower()) if href_folder else article_folder
        )
        for folder in (pointed_folder, article_folder):
            found = self._best_in_folder.get((folder, stem))
            if found is not None:
                return found.path
        candidates = self._by_stem.get(stem)
        if not candidates:
            return None
        subtree = article_folder + "/" if article_folder else ""
        return min(candidates, key=lambda c: (not c.folder.startswith(subtree), *_preference(c))).path


def resolve_graphic(href: str, article_member: str, members: Sequence[str] | MemberIndex) -> Resolution:
    """Resolve one href; pass a MemberIndex (built once per archive) when resolving many."""
    index = members if isinstance(members, MemberIndex) else MemberIndex(members)
    return index.resolve(href, article_member)


def _preference(candidate: _Candidate) -> tuple[int, int, str]:
    return candidate.rank, len(candidate.path), candidate.path


def _parse_href(href: str) -> tuple[str, str] | UnsafeHref | None:
    """(folder, file name) the href points at, relative to the article; None when it names nothing."""
    text = href.strip().replace("\\", "/")
    if not text:
        return None
    if "\x00" in text:
        return UnsafeHref(href, "NUL byte")
    scheme = _SCHEME.match(text)
    if scheme:
        name = scheme.group(1).lower()
        if len(name) == 1:
            return UnsafeHref(href, "drive letter")
        if name == "file":
            return UnsafeHref(href, "file: URL")
        # info:doi/10.1371/journal.pone.0046493.g001, https://host/path/fig1.jpg: the last segment names it.
        location = re.split(r"[?#]", text[scheme.end() :], maxsplit=1)[0]
        file_name = location.rstrip("/").rpartition("/")[2]
        return ("", file_name) if file_name else None
    if text.startswith("/"):
        return UnsafeHref(href, "absolute path")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        return UnsafeHref(href, "'..' in path")
    if not parts:
        return None
    return "/".join(parts[:-1]), parts[-1]
