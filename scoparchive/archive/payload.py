"""Turn a stored HTTP payload into the entity body a parser wants (codings removed)."""

from __future__ import annotations

from io import BytesIO
from typing import ClassVar

from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.utils import Digester

from .model import Headers

_ALIASES = {"x-gzip": "gzip", "x-deflate": "deflate"}

#: The most bytes a payload is read as, once decompressed, at crawl and at build: past it, a
#: payload (a gzip bomb: a megabyte that inflates to a gigabyte) is archived but not read.
MAX_DECODED_PAYLOAD = 32 * 2**20
_BLOCK = 2**16


class BrotliDecompressor:
    """Google's Brotli (>= 1.1, what Scrapy needs) under the brotlipy API warcio calls.

    warcio 1.8 sets `unused_data` on the decompressor and calls `decompress()`, which only
    brotlipy has; with Brotli installed every `br` record makes warcio raise AttributeError
    (webrecorder/warcio#73). This adapter gives warcio what it expects.
    """

    def __init__(self) -> None:
        import brotli

        self._decompressor = brotli.Decompressor()
        self.unused_data = None

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.process(data)

    def flush(self) -> bytes:
        return b""


def _brotli_available() -> bool:
    try:
        import brotli
    except ImportError:
        return False
    return hasattr(brotli.Decompressor, "process")


class _Reader(BufferedReader):
    # Our own decompressor table, so warcio's process-wide one is left as it is.
    DECOMPRESSORS: ClassVar[dict] = {
        **BufferedReader.DECOMPRESSORS,
        **({"br": BrotliDecompressor} if _brotli_available() else {}),
    }


def install_warcio_brotli_compat() -> bool:
    """Make warcio itself (its `check` and `index` commands, pywb) read `br` payloads, by
    registering the adapter in warcio's decompressor table. Process-wide: for tools and
    tests, the reader does not need it. Returns whether it was installed."""
    if not _brotli_available():
        return False
    BufferedReader.DECOMPRESSORS["br"] = BrotliDecompressor
    return True


def payload_digest(payload: bytes) -> str:
    """`sha1:<base32>` of the payload as stored, the way warcio computes WARC-Payload-Digest."""
    digester = Digester("sha1")
    digester.update(payload)
    return str(digester)


class PayloadDecodeError(ValueError):
    pass


class PayloadTooLarge(PayloadDecodeError):
    """Longer than the bound once decoded: not read further."""


def decode_payload(raw: bytes, headers: Headers, max_size: int = MAX_DECODED_PAYLOAD) -> bytes:
    """Remove Transfer-Encoding: chunked (foreign WARCs) and every Content-Encoding, last first.

    Uses warcio's decompressors (gzip, deflate incl. raw deflate; br through an adapter).
    Raises PayloadDecodeError for an unsupported coding, bytes that do not decode, or a
    result longer than ``max_size`` bytes (read no further: memory stays bounded).
    """
    data = raw
    if any("chunked" in value.lower() for value in headers.get_all("Transfer-Encoding")):
        data = _read_all(ChunkedDataReader(BytesIO(data)), max_size)
    for coding in reversed(content_codings(headers)):
        data = _undo_coding(data, coding, max_size)
    return data


def content_codings(headers: Headers) -> list[str]:
    codings = []
    for value in headers.get_all("Content-Encoding"):
        for part in value.split(","):
            coding = _ALIASES.get(part.strip().lower(), part.strip().lower())
            if coding and coding != "identity":
                codings.append(coding)
    return codings


def _undo_coding(data: bytes, coding: str, max_size: int) -> bytes:
    if coding not in _Reader.DECOMPRESSORS:
        raise PayloadDecodeError(f"unsupported Content-Encoding {coding!r}")
    try:
        # warcio passes data through unchanged when the first block does not decompress
        # (a server that labels plain bytes gzip); later failures raise.
        return _read_all(_Reader(BytesIO(data), decomp_type=coding, read_all_members=True),
                         max_size)
    except PayloadDecodeError:
        raise
    except Exception as exc:
        raise PayloadDecodeError(f"cannot undo Content-Encoding {coding!r}: {exc}") from exc


def _read_all(reader: BufferedReader, max_size: int) -> bytes:
    """What ``reader`` gives, a block at a time, failing once past ``max_size``."""
    blocks, size = [], 0
    while block := reader.read(_BLOCK):
        size += len(block)
        if size > max_size:
            raise PayloadTooLarge(f"longer than {max_size:,} bytes once decoded: not read")
        blocks.append(block)
    return b"".join(blocks)
