"""The archive layer: WARC 1.1 files + CDXJ index + crawl log, the crawl's only output.

Writer for the crawl (fed by a downloader middleware), reader for the build and for recrawls.
Knows nothing of Scrapy.
"""

from .cdxj import read_index, update_index
from .crawllog import CrawlLog, read_crawl_log
from .model import (
    IDENTICAL_PAYLOAD_PROFILE,
    SERVER_NOT_MODIFIED_PROFILE,
    ArchiveError,
    Capture,
    CaptureRef,
    Headers,
    RunInfo,
)
from .payload import decode_payload, payload_digest
from .reader import ArchiveReader, iter_records, salvage_open_file
from .writer import FIDELITY_NOTE, ArchiveWriter

__all__ = [
    "FIDELITY_NOTE",
    "IDENTICAL_PAYLOAD_PROFILE",
    "SERVER_NOT_MODIFIED_PROFILE",
    "ArchiveError",
    "ArchiveReader",
    "ArchiveWriter",
    "Capture",
    "CaptureRef",
    "CrawlLog",
    "Headers",
    "RunInfo",
    "decode_payload",
    "iter_records",
    "payload_digest",
    "read_crawl_log",
    "read_index",
    "salvage_open_file",
    "update_index",
]
