"""The hostile-input corpus: one landing-zone file per attack or breakage, built in memory by the tests.

Every case is an archive (or bare file) whose hostile part sits beside a good article, so a test can
check both halves of the contract: the hostile part becomes exactly the expected quarantine rows, and
everything else in the archive still becomes articles, figures and images. All of it is a few MB;
the gzip bomb is ~3 MB on disk and inflates to 3 GiB.
"""

from __future__ import annotations

import io
import random
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from biomedica_spark.quarantine import Reason, Stage
from biomedica_spark.samples.packing import link_member, pdf_blob, raw_member, tar_bytes, zip_bytes

MiB = 1 << 20
GiB = 1 << 30
BOMB_INFLATED_BYTES = 3 * GiB  # above the default 2 GiB per-member bound: both bomb guards fire

ExpectedRow = tuple[Stage, Reason, str | None]  # (stage, reason, member path) of one quarantine row


@dataclass(frozen=True)
class HostileCase:
    name: str
    file_name: str  # the landing-zone file
    data: bytes
    quarantine: tuple[ExpectedRow, ...]  # exactly these rows, in any order
    figures_with_image: dict[str, int] = field(default_factory=dict)  # article key -> figures with an image
    images: int = 0  # distinct images stored


def article_xml(pmcid: str, hrefs: tuple[str, ...] = ("gr1",), title: str = "A good article") -> str:
    figures = "".join(
        f'<fig id="F{n}"><label>Figure {n}</label><caption><p>Panel {n} of {pmcid}.</p></caption>'
        f'<graphic xlink:href="{href}"/></fig>'
        for n, href in enumerate(hrefs, start=1)
    )
    return (
        '<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article"><front>'
        f'<article-meta><article-id pub-id-type="pmc">{pmcid}</article-id>'
        f"<title-group><article-title>{title}</article-title></title-group></article-meta></front>"
        f"<body><p>Results are shown below.</p>{figures}</body></article>"
    )


def picture(seed: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A small picture unique to `seed` (distinct bytes, so every case stores its own images)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (255, 255, 255))
    for _ in range(12):
        x, y = rng.randrange(size[0] - 8), rng.randrange(size[1] - 8)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        image.paste(colour, (x, y, x + rng.randrange(4, 16), y + rng.randrange(4, 16)))
    return image


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def jpeg(seed: int) -> bytes:
    return encoded(picture(seed), "JPEG", quality=90)


# --- hostile payloads --------------------------------------------------------------------------------


def with_doctype(pmcid: str, internal_subset: str, title: str = "&xxe;") -> bytes:
    return (f"<!DOCTYPE article [{internal_subset}]>" + article_xml(pmcid, title=title)).encode()


def billion_laughs(pmcid: str) -> bytes:
    levels = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return with_doctype(pmcid, f'<!ENTITY lol0 "lol">{levels}', title="&lol9;")


def deeply_nested(pmcid: str, depth: int = 100_000) -> bytes:
    xml = article_xml(pmcid, hrefs=("gr9",))
    body = xml.index("<body>") + len("<body>")
    return (xml[:body] + "<sec>" * depth + "<p>deep</p>" + "</sec>" * depth + xml[body:]).encode()


def png_claiming(width: int, height: int) -> bytes:
    """A structurally valid PNG (good CRCs) whose header claims `width` x `height` pixels."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            len(payload).to_bytes(4, "big") + kind + payload + zlib.crc32(kind + payload).to_bytes(4, "big")
        )

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(64)))
        + chunk(b"IEND", b"")
    )


def png_with_corrupt_chunk(seed: int) -> bytes:
    data = bytearray(encoded(picture(seed), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 8] ^= 0xFF  # a byte of compressed pixels: the chunk's CRC no longer matches
    return bytes(data)


def animated_gif(seed: int) -> bytes:
    frames = [picture(seed), picture(seed + 1)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def multipage_tiff(seed: int) -> bytes:
    pages = [picture(seed), picture(seed + 1, size=(32, 32))]
    return encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto showpage\n%%EOF\n"


def tar_gz_bomb(good: dict[str, bytes], bomb_name: str, inflated_bytes: int) -> bytes:
    """A tar.gz: the good members, then `inflated_bytes` zeros in one member.

    The zeros are deflated once per MiB with a full flush, which makes every MiB's output identical:
    the bomb costs one compression of a MiB and a CRC pass, not gigabytes of deflate work.
    """
    head = tar_bytes(good, compress=False)
    while head.endswith(bytes(tarfile.BLOCKSIZE)):  # the end-of-archive blocks and record padding
        head = head[: -tarfile.BLOCKSIZE]
    header = tarfile.TarInfo(bomb_name)
    header.size = inflated_bytes
    head += header.tobuf(tarfile.GNU_FORMAT)
    tail = bytes(-inflated_bytes % tarfile.BLOCKSIZE + 2 * tarfile.BLOCKSIZE)

    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts = [compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)]
    zeros = bytes(MiB)
    deflated_mib = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    parts.extend([deflated_mib] * (inflated_bytes // MiB))
    parts.append(compressor.compress(tail) + compressor.flush())
    crc = zlib.crc32(head)
    for _ in range(inflated_bytes // MiB):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(tail, crc)
    total = len(head) + inflated_bytes + len(tail)
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = crc.to_bytes(4, "little") + (total & 0xFFFFFFFF).to_bytes(4, "little")
    return gzip_header + b"".join(parts) + trailer


def special_member(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, b""


# --- the cases ---------------------------------------------------------------------------------------


def hostile_cases() -> list[HostileCase]:
    """Every case of issue 8's list, each with its exact expected outcome."""
    cases: list[HostileCase] = []

    def add(
        name: str,
        file_name: str,
        data: bytes,
        quarantine: tuple[ExpectedRow, ...],
        figures_with_image: dict[str, int] | None = None,
        images: int = 0,
    ) -> None:
        cases.append(HostileCase(name, file_name, data, quarantine, figures_with_image or {}, images))

    def pmc(n: int) -> str:
        return f"PMC{880_000 + n}"

    def good_members(n: int, **extra: bytes) -> dict[str, bytes]:
        """Folder `PMC<n>/` with a good article citing gr1 and its picture, plus `extra` members."""
        folder = pmc(n)
        members = {f"{folder}/main.nxml": article_xml(folder).encode(), f"{folder}/gr1.jpg": jpeg(n)}
        members.update({f"{folder}/{name}": data for name, data in extra.items()})
        return members

    def xml_case(
        n: int, name: str, evil: bytes, rows: tuple[ExpectedRow, ...], salvaged: dict[str, int] | None = None
    ) -> None:
        """A good article and a hostile second article file `evil.nxml` in one tar.gz; `salvaged`: the
        articles the hostile file still yields, with their figures that have an image."""
        data = tar_bytes(good_members(n, **{"evil.nxml": evil}), compress=True)
        figures = {pmc(n): 1, **(salvaged or {})}
        add(
            name, file_name=f"{name}.tar.gz", data=data, quarantine=rows, figures_with_image=figures, images=1
        )

    def evil_xml(n: int) -> str:
        return f"{pmc(n)}/evil.nxml"

    xml_case(
        1,
        "xxe_file",
        with_doctype("PMC1", '<!ENTITY xxe SYSTEM "file:///etc/passwd">'),
        ((Stage.XML, Reason.XML_FORBIDDEN, evil_xml(1)),),
    )
    xml_case(
        2,
        "xxe_network",
        with_doctype("PMC2", '<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">'),
        ((Stage.XML, Reason.XML_FORBIDDEN, evil_xml(2)),),
    )
    xml_case(3, "entity_expansion", billion_laughs("PMC3"), ((Stage.XML, Reason.XML_FORBIDDEN, evil_xml(3)),))
    xml_case(
        4,
        "doctype_internal_subset",
        with_doctype("PMC4", '<!ATTLIST graphic xlink:href CDATA "../../etc/passwd">', title="T"),
        ((Stage.XML, Reason.XML_FORBIDDEN, evil_xml(4)),),
    )
    # libxml2 stops at depth 256; the recovering parse salvages the article's front, not the figure.
    xml_case(
        5,
        "deeply_nested",
        deeply_nested("PMC5"),
        ((Stage.XML, Reason.XML_SYNTAX, evil_xml(5)),),
        salvaged={"PMC5": 0},
    )
    xml_case(
        6,
        "invalid_utf8",
        article_xml("PMC6", hrefs=("gr9",), title="caf\xe9").encode().replace(b"\xc3\xa9", b"\xe9\xff"),
        ((Stage.XML, Reason.XML_ENCODING, evil_xml(6)), (Stage.FIGURE, Reason.HREF_NOT_FOUND, evil_xml(6))),
        salvaged={"PMC6": 0},
    )
    xml_case(
        7,
        "utf16_xml",
        ('<?xml version="1.0" encoding="UTF-16"?>' + article_xml("PMC7", hrefs=("gr1",))).encode("utf-16"),
        (),
        salvaged={"PMC7": 1},  # its href resolves to the good picture beside it
    )
    xml_case(8, "zero_byte_member", b"", ((Stage.XML, Reason.EMPTY_FILE, evil_xml(8)),))

    add(
        "zero_byte_archive",
        file_name="zero_byte_archive.tar.gz",
        data=b"",
        quarantine=((Stage.ARCHIVE, Reason.EMPTY_FILE, None),),
    )

    rng = random.Random(9)
    intact = tar_bytes(good_members(9, **{"zz_supplement.pdf": pdf_blob(rng, 256 * 1024)}), compress=True)
    add(
        "truncated_gzip",
        file_name="truncated_gzip.tar.gz",
        data=intact[: len(intact) - 64 * 1024],  # cut inside the incompressible supplement, the last member
        quarantine=((Stage.ARCHIVE, Reason.CORRUPT_ARCHIVE, f"{pmc(9)}/zz_supplement.pdf"),),
        figures_with_image={pmc(9): 1},
        images=1,
    )
    add(
        "gzip_bomb",
        file_name="gzip_bomb.tar.gz",
        data=tar_gz_bomb(good_members(10), f"{pmc(10)}/zz_bomb.tif", BOMB_INFLATED_BYTES),
        quarantine=(
            (Stage.MEMBER, Reason.MEMBER_TOO_LARGE, f"{pmc(10)}/zz_bomb.tif"),
            (Stage.ARCHIVE, Reason.COMPRESSION_RATIO, None),
        ),
        figures_with_image={pmc(10): 1},
        images=1,
    )

    def tar_case(
        n: int, name: str, extra: list[tuple[tarfile.TarInfo, bytes]], rows: tuple[ExpectedRow, ...]
    ) -> None:
        data = tar_bytes(good_members(n), compress=True, extra=extra)
        add(
            name,
            file_name=f"{name}.tar.gz",
            data=data,
            quarantine=rows,
            figures_with_image={pmc(n): 1},
            images=1,
        )

    tar_case(
        11,
        "tar_dotdot_name",
        [
            raw_member("../../evil.nxml", article_xml("PMC11").encode()),
            raw_member(f"{pmc(11)}/../../x.jpg", jpeg(0)),
        ],
        (
            (Stage.MEMBER, Reason.UNSAFE_MEMBER_PATH, "../../evil.nxml"),
            (Stage.MEMBER, Reason.UNSAFE_MEMBER_PATH, f"{pmc(11)}/../../x.jpg"),
        ),
    )
    tar_case(
        12,
        "tar_absolute_name",
        [raw_member("/etc/cron.d/evil.nxml", article_xml("PMC12").encode())],
        ((Stage.MEMBER, Reason.UNSAFE_MEMBER_PATH, "/etc/cron.d/evil.nxml"),),
    )
    tar_case(
        13,
        "symlink_outside",
        [
            link_member(f"{pmc(13)}/passwd.nxml", "/etc/passwd"),
            link_member(f"{pmc(13)}/up.jpg", "../../../x"),
        ],
        (
            (Stage.MEMBER, Reason.LINK_MEMBER, f"{pmc(13)}/passwd.nxml"),
            (Stage.MEMBER, Reason.LINK_MEMBER, f"{pmc(13)}/up.jpg"),
        ),
    )
    tar_case(
        14,
        "hardlink_outside",
        [special_member(f"{pmc(14)}/shadow.nxml", tarfile.LNKTYPE, "../../etc/shadow")],
        ((Stage.MEMBER, Reason.LINK_MEMBER, f"{pmc(14)}/shadow.nxml"),),
    )
    tar_case(
        15,
        "device_files",
        [
            special_member(f"{pmc(15)}/zero.jpg", tarfile.CHRTYPE),
            special_member(f"{pmc(15)}/sda.nxml", tarfile.BLKTYPE),
            special_member(f"{pmc(15)}/pipe.nxml", tarfile.FIFOTYPE),
        ],
        (
            (Stage.MEMBER, Reason.SPECIAL_MEMBER, f"{pmc(15)}/zero.jpg"),
            (Stage.MEMBER, Reason.SPECIAL_MEMBER, f"{pmc(15)}/sda.nxml"),
            (Stage.MEMBER, Reason.SPECIAL_MEMBER, f"{pmc(15)}/pipe.nxml"),
        ),
    )
    # A second gr1.jpg after the first: the first is kept (the test checks which bytes were stored).
    tar_case(
        16,
        "duplicate_member",
        [raw_member(f"{pmc(16)}/gr1.jpg", jpeg(1016))],
        ((Stage.MEMBER, Reason.DUPLICATE_MEMBER, f"{pmc(16)}/gr1.jpg"),),
    )
    zip_members = good_members(17)
    zip_members["../../evil.nxml"] = article_xml("PMC17").encode()
    zip_members[f"{pmc(17)}/../../../x.jpg"] = jpeg(0)
    add(
        "zip_traversal",
        file_name="zip_traversal.zip",
        data=zip_bytes(zip_members),
        quarantine=(
            (Stage.MEMBER, Reason.UNSAFE_MEMBER_PATH, "../../evil.nxml"),
            (Stage.MEMBER, Reason.UNSAFE_MEMBER_PATH, f"{pmc(17)}/../../../x.jpg"),
        ),
        figures_with_image={pmc(17): 1},
        images=1,
    )

    def image_case(n: int, name: str, evil_name: str, evil: bytes, reason: Reason | None) -> None:
        """An article with two figures: gr1 (good) and gr2, the hostile image."""
        folder = pmc(n)
        members = {
            f"{folder}/main.nxml": article_xml(folder, hrefs=("gr1", "gr2")).encode(),
            f"{folder}/gr1.jpg": jpeg(n),
            f"{folder}/{evil_name}": evil,
        }
        rows = () if reason is None else ((Stage.IMAGE, reason, f"{folder}/{evil_name}"),)
        usable = 1 if reason is not None else 2
        data = tar_bytes(members, compress=True)
        add(
            name,
            file_name=f"{name}.tar.gz",
            data=data,
            quarantine=rows,
            figures_with_image={folder: usable},
            images=usable,
        )

    image_case(18, "pixel_bomb_header", "gr2.png", png_claiming(100_000, 100_000), Reason.IMAGE_TOO_LARGE)
    image_case(19, "truncated_jpeg", "gr2.jpg", jpeg(1019)[:-400], Reason.IMAGE_CORRUPT)
    image_case(20, "png_corrupt_chunk", "gr2.png", png_with_corrupt_chunk(20), Reason.IMAGE_CORRUPT)
    image_case(21, "animated_gif", "gr2.gif", animated_gif(21), None)  # the first frame is the figure
    image_case(22, "multipage_tiff", "gr2.tif", multipage_tiff(22), None)  # the first page is the figure
    image_case(23, "svg_named_jpg", "gr2.jpg", SVG, Reason.IMAGE_UNSUPPORTED)
    image_case(24, "eps_named_jpg", "gr2.jpg", EPS, Reason.IMAGE_UNSUPPORTED)

    folder = pmc(25)
    hrefs = ("gr1", "../../etc/passwd", "/etc/passwd", "file:///etc/passwd")
    members = {
        f"{folder}/main.nxml": article_xml(folder, hrefs=hrefs).encode(),
        f"{folder}/gr1.jpg": jpeg(25),
    }
    add(
        "href_outside_archive",
        file_name="href_outside_archive.tar.gz",
        data=tar_bytes(members, compress=True),
        quarantine=tuple((Stage.FIGURE, Reason.HREF_UNSAFE, f"{folder}/main.nxml") for _ in hrefs[1:]),
        figures_with_image={folder: 1},
        images=1,
    )
    return cases


def good_archives(count: int) -> list[tuple[str, bytes]]:
    """Plain good archives to sit beside the hostile ones: (file name, bytes)."""
    out = []
    for n in range(count):
        pmcid = f"PMC{890_000 + n}"
        members = {f"{pmcid}/main.nxml": article_xml(pmcid).encode(), f"{pmcid}/gr1.jpg": jpeg(5000 + n)}
        out.append((f"{pmcid}.tar.gz", tar_bytes(members, compress=True)))
    return out


def write_landing(root: Path, cases: list[HostileCase], good: list[tuple[str, bytes]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in [(case.file_name, case.data) for case in cases] + good:
        (root / name).write_bytes(data)
