"""Retries that wait: exponential backoff, and a server's Retry-After honoured."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.response import response_status_message


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, after a pause: the server's Retry-After when it gives one, else an
    exponential backoff. A Retry-After longer than RETRY_AFTER_MAX gives up rather than retry
    sooner than the server asked."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")

    async def process_response(self, request: Request, response: Response):
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        pause = self._pause(request, response.headers.get("Retry-After"))
        if pause is None:
            self.crawler.stats.inc_value("scoparchive/retry_after_too_long")
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(pause)
        return retry

    async def process_exception(self, request: Request, exception: Exception):
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self._pause(request, None))
        return retry

    def _pause(self, request: Request, retry_after: bytes | None) -> float | None:
        attempt = request.meta.get("retry_times", 0)
        backoff = min(self.backoff_base * 2**attempt, self.backoff_max)
        asked = parse_retry_after(retry_after)
        if asked is not None and asked > self.retry_after_max:
            return None
        return max(backoff, asked or 0.0)


def parse_retry_after(value: bytes | None) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
