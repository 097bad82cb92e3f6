"""Trap detection by path: a segment, or a group of up to three, repeated back to back more than
MAX_REPEATED_SEGMENTS times (``/a/a/a/a/``, ``/x/y/x/y/x/y/x/y``) is a relative link that feeds
on itself, as Heritrix's PathologicalPathDecideRule sees it. Such a URL is not requested, and is
told (``DroppedUrls``): stat ``scoparchive/repeated_segments``, a crawl log line, a warning.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached

from scoparchive.crawling.middlewares.dropped import DroppedUrls, referrer_of

#: The widest group of segments looked for (``/a/b/c/a/b/c/…`` is three).
GROUP_WIDTHS = 3


class RepeatedSegmentsMiddleware:
    def __init__(self, crawler):
        self.limit = crawler.settings.getint("MAX_REPEATED_SEGMENTS")
        if self.limit <= 0:
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        if repetitions(urlparse_cached(request).path) > self.limit:
            DroppedUrls.of(self.crawler).drop(request.url, "repeated-segments",
                                              referrer=referrer_of(request))
            raise IgnoreRequest(f"a path segment repeated more than {self.limit} times")
        return None


def repetitions(path: str) -> int:
    """How many times the most repeated segment, or group of up to GROUP_WIDTHS segments,
    follows itself in ``path``: 1 for ``/a/b``, 3 for ``/x/a/a/a/y``, 2 for ``/a/b/a/b``."""
    segments = path.split("/")[1:]
    most = 1
    for width in range(1, GROUP_WIDTHS + 1):
        # A run of `matching` segments each equal to the one `width` before it: the group
        # before the run, and one more per `width` segments of it.
        matching = 0
        for index in range(width, len(segments)):
            matching = matching + 1 if segments[index] == segments[index - width] else 0
            most = max(most, 1 + matching // width)
    return most
