"""robots.txt, read once per host and obeyed as RFC 9309 says.

Scrapy's RobotsTxtMiddleware reads any answer as rules (a 503 page allows everything) and a host
it cannot reach as having none, and it fetches robots.txt again beside the spider's own request.
Here the answer decides (RFC 9309, 2.3.1): a 2xx gives its rules; a 4xx means there are none;
a 5xx, or no answer at all, means nothing may be fetched. The spider's own request for
robots.txt (``ROBOTS_REQUEST`` in its meta) is the one read; a host the spider did not ask
about has its robots.txt fetched here, once.

In a distributed crawl (``crawling/distributed.py``) robots.txt is fetched once for all the
workers: the first that needs a host's claims it in Redis, fetches and archives it, and shares
the answer; the others wait for that answer and read it there.
"""

from __future__ import annotations

import asyncio

from protego import Protego
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from scoparchive.crawling.distributed import DistributedCrawl
from scoparchive.crawling.middlewares.recrawl import ARCHIVED_FLAG

#: In a request's meta: this request fetches robots.txt, and its answer sets the host's rules.
ROBOTS_REQUEST = "scoparchive_robots"
#: A response's flag: the answer another worker of a distributed crawl received, not this one's.
SHARED_FLAG = "robots-shared"
_DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


class RobotsMiddleware:
    def __init__(self, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent = (crawler.settings.get("ROBOTSTXT_USER_AGENT")
                           or crawler.settings.get("USER_AGENT"))
        self._rules: dict[str, Protego] = {}
        #: Hosts whose robots.txt is under way, and the requests waiting for it (one Deferred
        #: each: a Deferred awaited gives its result to its first reader only).
        self._waiting: dict[str, list[Deferred]] = {}
        self.distributed = DistributedCrawl.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider=None):
        if request.meta.get(ROBOTS_REQUEST):
            netloc = urlparse_cached(request).netloc
            if self.distributed is not None and netloc not in self._waiting:
                shared = await self._shared_answer(netloc)
                if shared is not None:
                    return self._shared_response(request, shared)
            if netloc not in self._rules:
                self._waiting.setdefault(netloc, [])
            return None
        if request.meta.get("dont_obey_robotstxt"):
            return None
        rules = await self._rules_for(request)
        if not rules.can_fetch(request.url, self.user_agent):
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"forbidden by robots.txt: {request.url}")
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        if request.meta.get(ROBOTS_REQUEST) and SHARED_FLAG not in response.flags:
            text = _text_of(response)
            self._learn(request, _rules_of(response.status, text), response.status)
            self._publish(request, response.status, text)
        return response

    def process_exception(self, request: Request, exception: Exception, spider=None):
        if request.meta.get(ROBOTS_REQUEST):
            self._learn(request, Protego.parse(_DISALLOW_ALL), type(exception).__name__)
            self._publish(request, None, type(exception).__name__)
        return None

    async def _rules_for(self, request: Request) -> Protego:
        parts = urlparse_cached(request)
        netloc = parts.netloc
        if netloc not in self._rules and netloc not in self._waiting:
            self._waiting[netloc] = []  # before the download: the host's other requests wait
            shared = await self._shared_answer(netloc) if self.distributed else None
            if shared is not None:
                self._learn_shared(netloc, parts.scheme, shared)
                return self._rules[netloc]
            robots = Request(f"{parts.scheme}://{netloc}/robots.txt", priority=1000,
                             meta={ROBOTS_REQUEST: True}, callback=NO_CALLBACK)
            try:
                await self.crawler.engine.download_async(robots)
            except Exception:  # told to process_exception, unless it failed before the chain
                self._learn(robots, Protego.parse(_DISALLOW_ALL), "no answer")
        if netloc in self._rules:
            return self._rules[netloc]
        answer: Deferred = Deferred()
        self._waiting[netloc].append(answer)
        return await maybe_deferred_to_future(answer)

    def _learn(self, request: Request, rules: Protego, answer: int | str) -> None:
        netloc = urlparse_cached(request).netloc
        if netloc in self._rules:
            return  # a host's rules are set once
        self._rules[netloc] = rules
        self.crawler.stats.inc_value("robotstxt/request_count")
        if not (isinstance(answer, int) and answer < 500):
            self.crawler.stats.set_value("scoparchive/robots_unavailable", request.url)
            self.crawler.stats.set_value("scoparchive/robots_answer", answer)
        for waiting in self._waiting.pop(netloc, []):
            waiting.callback(rules)


    # -- a distributed crawl ------------------------------------------------------------------

    async def _shared_answer(self, netloc: str) -> dict | None:
        """The host's robots.txt answer another worker received, waited for while another
        fetches it; None when this worker is the one to fetch it."""
        while True:
            answer = self.distributed.robots_answer(netloc)
            if answer is not None:
                return answer
            if self.distributed.claim_robots(netloc):
                return None
            await asyncio.sleep(0.1)

    def _shared_response(self, request: Request, answer: dict) -> Response:
        """The spider's robots.txt request answered from another worker's answer: read by the
        spider (its sitemaps, its seeds), not archived again."""
        if answer["status"] is None:
            raise IgnoreRequest(f"robots.txt unreachable: {answer['text']}")
        parts = urlparse_cached(request)
        self._learn_shared(parts.netloc, parts.scheme, answer)
        return TextResponse(request.url, status=answer["status"], request=request,
                            body=answer["text"].encode(), encoding="utf-8",
                            flags=[ARCHIVED_FLAG, SHARED_FLAG])

    def _learn_shared(self, netloc: str, scheme: str, answer: dict) -> None:
        status = answer["status"]
        rules = (_rules_of(status, answer["text"]) if status is not None
                 else Protego.parse(_DISALLOW_ALL))
        self._learn(Request(f"{scheme}://{netloc}/robots.txt"), rules,
                    status if status is not None else answer["text"])

    def _publish(self, request: Request, status: int | None, text: str) -> None:
        if self.distributed is not None:
            self.distributed.publish_robots(urlparse_cached(request).netloc, status, text)


def _text_of(response: Response) -> str:
    # Decoded as Scrapy's RobotsTxtMiddleware decodes it, whatever the Content-Type says.
    return response.body.decode("utf-8", errors="ignore")


def _rules_of(status: int, text: str) -> Protego:
    if 200 <= status < 300:
        return Protego.parse(text)
    if status < 500:
        return Protego.parse("")  # unavailable (3xx left unfollowed, 4xx): no rules
    return Protego.parse(_DISALLOW_ALL)
