"""A PMC-OA fixture mirror on loopback, in both layouts, with fault injection.

- `build_mirror` writes a mirror folder from the real corpus (`../shared/corpus`): real JATS XML with a
  generated image for every figure href (named after the href), real OA packages, PMC Cloud JSON with
  MD5-stamped URLs, a legacy `oa_file_list.csv` (quoted citations with commas, empty PMIDs, a date
  without time).
- `MirrorHttpServer` serves that folder over HTTP (`http.server` in a thread), answers the S3 REST
  listing (`?list-type=2`) for the cloud layout, and injects faults on demand: slow responses,
  500/503/429, connection resets, truncated bodies, corrupted bodies (wrong MD5).
- `MotoS3` holds the cloud layout in moto's S3 server mode (`ThreadedMotoServer`).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import random
import socket
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image

from biomedica_spark.jats.articles import parse_xml

BUCKET = "pmc-oa-opendata"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif")
LICENCES = ("CC BY", "CC BY", "CC0", "CC BY-NC", "CC BY", "CC BY-NC-ND", "NO-CC CODE", "CC BY-SA")
REAL_PACKAGE_LICENCES = {"PMC7112410": "NO-CC CODE", "PMC7135076": "CC BY", "PMC7159286": "CC BY-NC"}


@dataclass
class MirrorArticle:
    pmcid: str
    xml: bytes
    media: dict[str, bytes]  # file name -> bytes (the figure images)
    license_code: str
    version: int = 1
    is_open_access: bool = True
    is_retracted: bool = False
    is_manuscript: bool = False


@dataclass
class Mirror:
    """The mirror folder: `cloud/` (bucket layout) and `legacy/` (file list + oa_package/)."""

    root: Path
    articles: dict[tuple[str, int], MirrorArticle] = field(default_factory=dict)
    legacy_rows: dict[str, tuple[str, str, str, str, str, str]] = field(default_factory=dict)

    @property
    def cloud(self) -> Path:
        return self.root / "cloud"

    @property
    def legacy(self) -> Path:
        return self.root / "legacy"

    # cloud layout -------------------------------------------------------------------------------
    def put_cloud(self, article: MirrorArticle) -> None:
        """Write one article version: XML, PDF, text, JSON, media, a supplement; and metadata/ copy."""
        self.articles[(article.pmcid, article.version)] = article
        vid = f"{article.pmcid}.{article.version}"
        folder = self.cloud / vid
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            f"{vid}.xml": article.xml,
            f"{vid}.txt": b"plain text of " + vid.encode(),
            f"{vid}.pdf": b"%PDF-1.4 fixture " + vid.encode(),
            f"{vid}_supp.docx": b"supplement of " + vid.encode(),
            **article.media,
        }
        for name, data in files.items():
            (folder / name).write_bytes(data)

        def url(name: str) -> str:
            return f"s3://{BUCKET}/{vid}/{name}?md5={hashlib.md5(files[name]).hexdigest()}"

        doc = {
            "pmcid": article.pmcid,
            "version": article.version,
            "pmid": None,
            "doi": None,
            "mid": None,
            "title": f"fixture {vid}",
            "citation": "Fixture J. 2026; 1:1",
            "is_pmc_openaccess": article.is_open_access,
            "is_manuscript": article.is_manuscript,
            "is_historical_ocr": False,
            "is_retracted": article.is_retracted,
            "license_code": article.license_code,
            "xml_url": url(f"{vid}.xml"),
            "text_url": url(f"{vid}.txt"),
            "pdf_url": url(f"{vid}.pdf"),
            "media_urls": [url(n) for n in sorted(article.media)] + [url(f"{vid}_supp.docx")],
        }
        data = json.dumps(doc, indent=1).encode()
        (folder / f"{vid}.json").write_bytes(data)
        (self.cloud / "metadata").mkdir(parents=True, exist_ok=True)
        (self.cloud / "metadata" / f"{vid}.json").write_bytes(data)

    def update_cloud_json(self, pmcid: str, version: int, **changes: Any) -> None:
        """Change flags of a published version (e.g. is_pmc_openaccess=False, is_retracted=True)."""
        article = self.articles[(pmcid, version)]
        for key, value in changes.items():
            setattr(article, key, value)
        time.sleep(0.01)  # a distinct mtime, so Last-Modified moves too
        self.put_cloud(article)

    # legacy layout ------------------------------------------------------------------------------
    def put_legacy(self, article: MirrorArticle, updated: str, package: bytes | None = None) -> str:
        """Write a package (`PMC<id>/` with the .nxml, jpg + gif thumbnails, a PDF) and its file list row."""
        digest = hashlib.sha1(article.pmcid.encode()).hexdigest()
        path = f"oa_package/{digest[:2]}/{digest[2:4]}/{article.pmcid}.tar.gz"
        if package is None:
            members = {
                f"{article.pmcid}/{article.pmcid}.nxml": article.xml,
                f"{article.pmcid}/x.pdf": b"%PDF",
            }
            for name, data in article.media.items():
                members[f"{article.pmcid}/{name}"] = data
                stem = name.rsplit(".", 1)[0]
                members[f"{article.pmcid}/{stem}.gif"] = _thumbnail(data)
            package = _tar_gz(members)
        target = self.legacy / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(package)
        pmid = "" if len(self.legacy_rows) % 3 == 0 else str(10_000_000 + len(self.legacy_rows))
        citation = f"Fixture J. 2026 Jan 2; {len(self.legacy_rows)}(1):1-9, suppl. A, B"
        self.legacy_rows[article.pmcid] = (path, citation, article.pmcid, updated, pmid, article.license_code)
        self.write_file_list()
        return path

    def drop_legacy(self, pmcid: str) -> None:
        """The article leaves the subset: its row goes from the file list."""
        del self.legacy_rows[pmcid]
        self.write_file_list()

    def write_file_list(self) -> None:
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        header = ["File", "Article Citation", "Accession ID", "Last Updated (YYYY-MM-DD HH:MM:SS)"]
        writer.writerow([*header, "PMID", "License"])
        for row in self.legacy_rows.values():
            writer.writerow(row)
        self.legacy.mkdir(parents=True, exist_ok=True)
        (self.legacy / "oa_file_list.csv").write_text(buffer.getvalue())


def fixture_articles(corpus_dir: Path, count: int, seed: int = 0) -> list[MirrorArticle]:
    """`count` real single-article XMLs with a PMCID and figures, each figure href paired with a generated
    JPEG named after it; licences cycle through LICENCES."""
    chosen: list[MirrorArticle] = []
    for path in sorted((corpus_dir / "nxml").iterdir()):
        if len(chosen) >= count:
            break
        data = path.read_bytes()
        parsed = parse_xml(data, path.name)
        if len(parsed.articles) != 1 or parsed.quarantine:
            continue
        article = parsed.articles[0]
        hrefs = [f.graphic_href for f in article.figures]
        if not article.pmcid or not hrefs or any(":" in h or "/" in h for h in hrefs):
            continue
        media = {_media_name(h): generated_jpeg(f"{seed}:{article.pmcid}:{h}") for h in hrefs}
        chosen.append(MirrorArticle(article.pmcid, data, media, LICENCES[len(chosen) % len(LICENCES)]))
    if len(chosen) < count:
        raise RuntimeError(f"the corpus holds only {len(chosen)} usable articles, {count} asked")
    return chosen


def build_mirror(corpus_dir: Path, root: Path, count: int = 12, seed: int = 0) -> Mirror:
    """Both layouts of `count` articles, plus the corpus's three real OA packages in the legacy one."""
    mirror = Mirror(root)
    for i, article in enumerate(fixture_articles(corpus_dir, count, seed)):
        mirror.put_cloud(article)
        updated = "2025-03-04" if i == 0 else f"2025-03-{1 + i % 27:02d} 10:11:12"  # one without time
        mirror.put_legacy(article, updated)
    for package in sorted((corpus_dir / "packages").glob("PMC*.tar.gz")):
        pmcid = package.name.split(".")[0]
        real = MirrorArticle(pmcid, b"", {}, REAL_PACKAGE_LICENCES.get(pmcid, "CC BY"))
        mirror.put_legacy(real, "2020-04-06 14:56:00", package.read_bytes())
    return mirror


def generated_jpeg(seed: str, side: int = 96) -> bytes:
    """A small JPEG of random coloured blocks: distinct per seed, far apart under perceptual hashes."""
    rng = random.Random(seed)
    image = Image.new("RGB", (side, side))
    block = side // 8
    for x in range(8):
        for y in range(8):
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            image.paste(colour, (x * block, y * block, (x + 1) * block, (y + 1) * block))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _media_name(href: str) -> str:
    for ext in IMAGE_EXTENSIONS:
        if href.lower().endswith(ext):
            return href[: -len(ext)] + ".jpg"
    return href + ".jpg"


def _thumbnail(jpeg: bytes) -> bytes:
    image = Image.open(io.BytesIO(jpeg)).convert("RGB").resize((24, 24))
    out = io.BytesIO()
    image.save(out, "GIF")
    return out.getvalue()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# --- the HTTP server ----------------------------------------------------------------------------------
FAULT_KINDS = ("slow", "http_500", "http_503", "http_429", "reset", "truncated", "corrupt")


@dataclass
class Faults:
    """Which requests fail: a share `rate` of them (deterministic per `seed`), taking the `kinds` in
    turn; `always`: path suffix -> kind for requests that fail every time; `first`: path suffix ->
    kinds for the first requests of that path (then it succeeds)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    slow_s: float = 2.0
    always: dict[str, str] = field(default_factory=dict)
    first: dict[str, list[str]] = field(default_factory=dict)
    injected: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _drawn: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, path: str) -> str | None:
        with self._lock:
            kind = next((k for suffix, k in self.always.items() if path.endswith(suffix)), None)
            queued = next((q for suffix, q in self.first.items() if path.endswith(suffix) and q), None)
            if kind is None and queued:
                kind = queued.pop(0)
            if kind is None and self.rate > 0 and self._rng.random() < self.rate:
                kind = self.kinds[self._drawn % len(self.kinds)]  # every kind in turn
                self._drawn += 1
            if kind is not None:
                self.injected[kind] = self.injected.get(kind, 0) + 1
            return kind


class MirrorHttpServer:
    """Serves `root` on 127.0.0.1 (a random port) in a background thread."""

    def __init__(self, root: Path, faults: Faults | None = None) -> None:
        self.root = root
        self.faults = faults or Faults()
        self.requests = 0
        self.page_size = 50  # keys per listing page
        self.listing_pages = 0  # listing pages served
        self.latency_s = 0.0  # added to every response: a network round trip, for benchmarks
        self.request_times: list[float] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> MirrorHttpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        self.requests += 1
        self.request_times.append(time.monotonic())
        if self.latency_s:
            time.sleep(self.latency_s)
        parts = urllib.parse.urlsplit(handler.path)
        path = urllib.parse.unquote(parts.path)
        query = urllib.parse.parse_qs(parts.query)
        fault = self.faults.pick(path)
        if fault == "slow":
            time.sleep(self.faults.slow_s)
        elif fault in ("http_500", "http_503", "http_429"):
            self._send(handler, int(fault[-3:]), b"injected fault", {"Retry-After": "0"})
            return
        elif fault == "reset":
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            handler.close_connection = True
            handler.connection.close()
            return
        if "list-type" in query:
            data = self._listing(path, query)
            headers = {"Content-Type": "application/xml"}
        else:
            target = (self.root / path.lstrip("/")).resolve()
            if self.root.resolve() not in target.parents or not target.is_file():
                self._send(handler, 404, b"not found")
                return
            data = target.read_bytes()
            headers = {
                "ETag": f'"{hashlib.md5(data).hexdigest()}"',
                "Last-Modified": formatdate(target.stat().st_mtime, usegmt=True),
            }
        if fault == "truncated":
            self._send(handler, 200, data, headers, send=data[: len(data) // 2])
            handler.close_connection = True
            return
        if fault == "corrupt" and "list-type" not in query:  # a listing carries no checksum to catch it
            data = bytes([data[0] ^ 0xFF]) + data[1:] if data else data
        self._send(handler, 200, data, headers)

    def _listing(self, path: str, query: dict[str, list[str]]) -> bytes:
        """S3 ListObjectsV2 over the folder the request path names: at most `page_size` keys a page (fewer
        when `max-keys` asks), after `continuation-token` or else `start-after`."""
        base = (self.root / path.strip("/")).resolve()
        prefix = (query.get("prefix") or [""])[0]
        start = (query.get("continuation-token") or query.get("start-after") or [""])[0]
        size = min(self.page_size, int((query.get("max-keys") or ["1000"])[0]))
        keys = sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())
        keys = [k for k in keys if k.startswith(prefix) and k > start]
        page, more = keys[:size], len(keys) > size
        self.listing_pages += 1
        items = []
        for key in page:
            file = base / key
            data = file.read_bytes()
            modified = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(file.stat().st_mtime))
            items.append(
                f"<Contents><Key>{escape(key)}</Key><LastModified>{modified}</LastModified>"
                f"<ETag>&quot;{hashlib.md5(data).hexdigest()}&quot;</ETag><Size>{len(data)}</Size></Contents>"
            )
        token = f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>" if more else ""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{BUCKET}</Name><Prefix>{escape(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount>"
            f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>{token}"
            f"{''.join(items)}</ListBucketResult>"
        ).encode()

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        send: bytes | None = None,
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(body if send is None else send)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


# --- moto's S3 server ---------------------------------------------------------------------------------
class MotoS3:
    """moto's S3 in server mode on 127.0.0.1, holding the cloud layout of a mirror."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MotoS3:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        self.server.start()
        # moto keeps every server's buckets in one in-process backend: start each mirror from nothing, or
        # objects an earlier test uploaded (another version of an article) leak into this one.
        reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=30):
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def upload(self, folder: Path, bucket: str = BUCKET) -> None:
        """Mirror `folder` (a cloud layout) into the bucket; a public-read bucket policy, since the job
        reads unsigned like it does from the real bucket."""
        client = self.client()
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
            statement = {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
            policy = {"Version": "2012-10-17", "Statement": [statement]}
            client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                client.put_object(
                    Bucket=bucket, Key=path.relative_to(folder).as_posix(), Body=path.read_bytes()
                )
