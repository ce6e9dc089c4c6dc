"""Contact sheets: one PNG grid per k-means cluster, sample images with the first words of their captions,
so an expert can label the whole cluster at a glance."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from PIL import Image, ImageDraw

from biomedica_spark.annotate.descriptor import reduced_picture
from biomedica_spark.quarantine import QuarantineItem

CAPTION_WORDS = 12
_CAPTION_LINES = 3
_LINE_HEIGHT = 12
_PAD = 6
_HEADER = 22


def caption_snippet(caption: str | None, words: int = CAPTION_WORDS) -> str:
    parts = (caption or "").split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


def render_contact_sheet(
    title: str, samples: Sequence[tuple[bytes | None, str | None]], columns: int = 4, thumb: int = 160
) -> bytes:
    """A PNG grid of `samples` (image bytes, caption); unreadable images show as a labelled grey tile."""
    if columns < 1 or thumb < 16:
        raise ValueError(f"need columns >= 1 and thumb >= 16, got {columns}, {thumb}")
    rows = max(1, -(-len(samples) // columns))
    cell_w, cell_h = thumb + 2 * _PAD, thumb + 2 * _PAD + _CAPTION_LINES * _LINE_HEIGHT
    sheet = Image.new("RGB", (columns * cell_w, _HEADER + rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((_PAD, 5), title, fill=(0, 0, 0))
    chars_per_line = max(8, thumb // 6)
    for index, (data, caption) in enumerate(samples):
        x = (index % columns) * cell_w + _PAD
        y = _HEADER + (index // columns) * cell_h + _PAD
        picture = reduced_picture(data, side=thumb) if data else None
        if picture is None or isinstance(picture, QuarantineItem):
            draw.rectangle([x, y, x + thumb, y + thumb], fill=(200, 200, 200))
            draw.text((x + 4, y + thumb // 2), "unreadable image", fill=(90, 0, 0))
        else:
            picture.thumbnail((thumb, thumb))
            sheet.paste(picture, (x + (thumb - picture.width) // 2, y + (thumb - picture.height) // 2))
        lines = textwrap.wrap(caption_snippet(caption), chars_per_line)[:_CAPTION_LINES]
        for line_number, line in enumerate(lines):
            draw.text((x, y + thumb + 2 + line_number * _LINE_HEIGHT), line, fill=(40, 40, 40))
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=True)
    return out.getvalue()


def sheet_file_name(cluster_label_id: int) -> str:
    return f"cluster_{cluster_label_id:05d}.png"
