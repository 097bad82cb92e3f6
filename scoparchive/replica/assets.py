"""Bytes of the replica's files: small real images and a valid PDF, made on demand.

Pages link images under ``/sites/default/files/``; crawls fetch them, so they must be real
(a decoder must accept them) yet tiny, so that the package stays light.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
}


def content_type(name: str) -> str | None:
    return CONTENT_TYPES.get(Path(name).suffix.lower())


def asset_bytes(name: str) -> bytes:
    """The bytes served for a file name; the same name always gives the same bytes."""
    suffix = Path(name).suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        return _jpeg_for(name)
    if suffix == ".png":
        return _png(_colour_of(name))
    if suffix == ".pdf":
        return _pdf(Path(name).stem.replace("-", " "))
    raise ValueError(f"no asset for {name}")


def _colour_of(name: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(name.encode()).digest()
    return digest[0], digest[1], digest[2]


@functools.lru_cache(maxsize=8)
def _shipped_jpegs() -> tuple[bytes, ...]:
    return tuple(path.read_bytes() for path in sorted((STATIC_DIR / "img").glob("*.jpg")))


def _jpeg_for(name: str) -> bytes:
    jpegs = _shipped_jpegs()
    return jpegs[hashlib.sha256(name.encode()).digest()[0] % len(jpegs)]


@functools.lru_cache(maxsize=256)
def _png(rgb: tuple[int, int, int], width: int = 24, height: int = 16) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        payload = kind + data
        return struct.pack(">I", len(data)) + payload + struct.pack(">I", zlib.crc32(payload))

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@functools.lru_cache(maxsize=16)
def _pdf(title: str) -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table."""
    text = title.encode("latin-1", "replace").replace(b"(", b"").replace(b")", b"")
    stream = b"BT /F1 14 Tf 50 780 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\n"
    out += b"startxref\n" + str(xref_at).encode() + b"\n%%EOF\n"
    return bytes(out)
