"""The crawler of a union's site: discovers pages and yields what the page objects find.

The spider writes nothing: the archive middleware keeps every response, and the datasets are
built later from the archive alone.

Discovery reads robots.txt first, then the sitemaps it names (or /sitemap.xml), at most
MAX_SITEMAPS of them, and the pages as they come: the home page at once, each sitemap entry as
its sitemap is read, then their links. A recrawl decides from a page's sitemap lastmod whether to
fetch it again: a page the archive holds waits until the sitemaps are read, unless its lastmod
is known already (``middlewares/lastmod_wait.py``). A site with no sitemap is crawled through
its links alone.

Seeds (the home page, the sitemaps and their entries) have depth 0: DEPTH_LIMIT counts the
links followed from them.

One spider crawls one site or several (``sites.py``): each site's robots.txt, sitemaps and home
page are its seeds, the scope is the union of the sites', and each page is read with the
profile of the site serving it.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import scrapy
from protego import Protego
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap

from scoparchive.archive.model import HTML_TYPES
from scoparchive.crawling.middlewares.dropped import DroppedUrls
from scoparchive.crawling.middlewares.robots import ROBOTS_REQUEST
from scoparchive.crawling.sites import Sites
from scoparchive.pages import parse_page
from scoparchive.profiles import PROFILES, SiteProfile, profile_for_url
from scoparchive.urls import is_loopback

_HTML_TYPES = tuple(media_type.encode() for media_type in HTML_TYPES)
ARCHIVED_ASSET_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
#: In a request's meta: this request fetches a sitemap.
SITEMAP_REQUEST = "scoparchive_sitemap"
#: Sent (``crawler.signals``) once every sitemap requested has answered or failed: every lastmod
#: the crawl will know is known. A receiver returns how many requests it sent on that news.
sitemaps_read = object()

logger = logging.getLogger(__name__)


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, site_url: str | None = None, profile: str | None = None,
                 sites: list[str] | str | None = None, **kwargs):
        super().__init__(**kwargs)
        self._profile_name = profile
        self._site_url = site_url
        self._sites = sites.split() if isinstance(sites, str) else sites
        #: URL → lastmod, from the sitemaps; read by the recrawl middleware (``lastmod_of``).
        self.sitemap_lastmod: dict[str, str] = {}
        #: Where a distributed crawl shares the lastmods its workers read (``distributed.py``):
        #: an object with ``get(url)`` and ``put(url, lastmod)``, or None.
        self.shared_lastmods = None
        #: Where a distributed crawl keeps each host's delay for all its workers: an object
        #: with ``set_host_delay(netloc, seconds)``, or None.
        self.shared_delays = None
        self._sitemaps_requested: set[str] = set()
        self._pending_sitemaps = 0
        self._max_sitemaps = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.sites = spider._sites_to_crawl(crawler.settings)
        #: The first site: the one of a crawl of one site.
        spider.profile = spider.sites.first
        spider._set_default_delay(crawler.settings)
        spider._max_sitemaps = crawler.settings.getint("MAX_SITEMAPS")
        crawler.signals.connect(spider._give_up_stalled_sitemaps, signal=signals.spider_idle)
        crawler.signals.connect(spider._report_delay, signal=signals.spider_opened)
        return spider

    def _sites_to_crawl(self, settings) -> Sites:
        """`-a sites="NAME=URL …"`, the SITES setting (`scoparchive crawl`), `-a profile=NAME`
        with or without `-a site_url=URL`, or SITE_URL, or the SITE_PROFILE setting."""
        texts = self._sites or settings.getlist("SITES")
        if texts:
            return Sites.parse(texts)
        site_url = self._site_url or settings.get("SITE_URL")
        if self._profile_name:
            profile = PROFILES[self._profile_name]
            return Sites((profile.with_base_url(site_url) if site_url else profile,))
        if site_url:
            return Sites((profile_for_url(site_url),))
        return Sites((PROFILES[settings.get("SITE_PROFILE")],))

    def _set_default_delay(self, settings) -> None:
        """No delay between requests to sites on this machine (the replica), whichever way the
        crawl was started, `scrapy crawl` or `scoparchive crawl`: the settings' floor stays as
        soon as one site is elsewhere. At the spider's priority, so that `-s DOWNLOAD_DELAY=N`
        or `scoparchive crawl --delay N` still decide."""
        if all(is_loopback(site.base_url) for site in self.sites.profiles):
            settings.set("DOWNLOAD_DELAY", 0.0, priority="spider")
            if settings.getpriority("DOWNLOAD_DELAY") == SETTINGS_PRIORITIES["spider"]:
                self.logger.info("%s is on this machine: no delay between requests "
                                 "(-s DOWNLOAD_DELAY=N sets one)", self.sites.describe())

    def site_of(self, url: str) -> SiteProfile:
        """The site serving ``url``; the first for a URL out of every site (never crawled)."""
        return self.sites.site_of(url) or self.profile

    def lastmod_of(self, url: str) -> str | None:
        """The sitemap lastmod of ``url``, read by this process or, in a distributed crawl,
        by another worker."""
        lastmod = self.sitemap_lastmod.get(url)
        if lastmod is None and self.shared_lastmods is not None:
            lastmod = self.shared_lastmods.get(url)
        return lastmod

    def _report_delay(self, spider):
        self.crawler.stats.set_value("scoparchive/download_delay",
                                     self.crawler.settings.getfloat("DOWNLOAD_DELAY"))

    async def start(self):
        # The robots middleware reads its rules from this answer: robots.txt is fetched once.
        for site in self.sites.profiles:
            yield scrapy.Request(urljoin(site.base_url, "robots.txt"),
                                 callback=self.parse_robots, errback=self.robots_failed,
                                 priority=100, meta={ROBOTS_REQUEST: True})

    @property
    def sitemaps_pending(self) -> bool:
        """Whether a sitemap requested has not answered yet: lastmods may still come."""
        return self._pending_sitemaps > 0

    def parse_robots(self, response: Response):
        site = self.site_of(response.url)
        sitemaps = []
        if response.status == 200:
            # Decoded as Scrapy's RobotsTxtMiddleware decodes it, whatever the Content-Type.
            robots = Protego.parse(response.body.decode("utf-8", errors="ignore"))
            sitemaps = [urljoin(response.url, url.strip()) for url in robots.sitemaps]
            self._honour_crawl_delay(robots, response.url)
        yield from self._request_sitemaps(
            sitemaps or [urljoin(site.base_url, "sitemap.xml")], referrer=response.url
        )
        yield from self._follow(site.base_url, self.parse, seed=True)

    def _honour_crawl_delay(self, robots: Protego, robots_url: str) -> None:
        """A Crawl-delay longer than ours slows the crawl of that host down to it."""
        user_agent = self.crawler.settings.get("USER_AGENT")
        asked = robots.crawl_delay(user_agent)
        if not asked:
            return
        downloader = self.crawler.engine.downloader
        # The download slot of a host is its netloc (middlewares/host_concurrency.py).
        host = urlsplit(robots_url).netloc
        delay = max(float(asked), self.crawler.settings.getfloat("DOWNLOAD_DELAY"))
        self.crawler.stats.set_value("scoparchive/crawl_delay", delay)
        if self.shared_delays is not None:  # a distributed crawl: for every worker
            self.shared_delays.set_host_delay(host, delay)
            return
        # Slots are made afresh after a minute idle: the per-slot settings keep the delay.
        downloader.per_slot_settings.setdefault(host, {})["delay"] = delay
        if host in downloader.slots:
            downloader.slots[host].delay = max(downloader.slots[host].delay, delay)

    def robots_failed(self, failure):
        site = self.site_of(failure.request.url)
        yield from self._request_sitemaps([urljoin(site.base_url, "sitemap.xml")])
        yield from self._follow(site.base_url, self.parse, seed=True)

    def parse_sitemap(self, response: Response):
        nested = []
        if response.status == 200 and response.body:
            try:
                sitemap = Sitemap(self._sitemap_body(response))
            except Exception as error:  # a broken sitemap never stops discovery through links
                self.logger.warning("unreadable sitemap: %s (%s)", response.url, error)
                self.crawler.stats.inc_value("scoparchive/unreadable_sitemaps")
            else:
                site = self.site_of(response.url)
                for entry in sitemap:
                    url = self.sites.canonical(entry.get("loc", ""), site)
                    if url is None:
                        continue
                    if sitemap.type == "sitemapindex":
                        nested.append(url)
                        continue
                    if entry.get("lastmod"):
                        self.sitemap_lastmod[url] = entry["lastmod"]
                        if self.shared_lastmods is not None:
                            self.shared_lastmods.put(url, entry["lastmod"])
                    yield from self._follow(url, self.parse, referrer=response.url, seed=True)
        yield from self._request_sitemaps(nested, referrer=response.url)
        self._sitemap_answered()

    def _sitemap_body(self, response: Response) -> bytes:
        """The XML of a sitemap, also when it is a gzip file (``sitemap.xml.gz``, served as
        such rather than with a Content-Encoding), inflated within the payload bound."""
        if not gzip_magic_number(response):
            return response.body
        return gunzip(response.body, max_size=self.crawler.settings.getint("MAX_PAYLOAD_SIZE"))

    def sitemap_failed(self, failure):
        self._sitemap_answered()

    def _sitemap_answered(self) -> None:
        self._pending_sitemaps -= 1
        if self._pending_sitemaps == 0:
            self._tell_sitemaps_read()

    def _tell_sitemaps_read(self) -> int:
        """Every lastmod is known: the pages held for theirs may go. How many went."""
        answers = self.crawler.signals.send_catch_log(signal=sitemaps_read)
        return sum(sent for _, sent in answers if isinstance(sent, int))

    def parse(self, response: Response):
        if response.status != 200 or not _is_html(response):
            return
        page = parse_page(
            response.url,
            response.body,
            profile=self.site_of(response.url),
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
        )
        yield page
        for link in page.links:
            yield from self._follow(link.url, self.parse, referrer=response.url)
        for image in page.images:
            yield from self._follow(image.url, self.archive_only, referrer=response.url)

    def archive_only(self, response: Response):
        """Images and documents are archived by the middleware; there is nothing to parse."""
        return ()

    def _request_sitemaps(self, urls, referrer: str | None = None):
        for url in urls:
            for request in self._follow(url, self.parse_sitemap, referrer=referrer, seed=True):
                if request.url in self._sitemaps_requested:
                    continue
                if self._max_sitemaps > 0 and len(self._sitemaps_requested) >= self._max_sitemaps:
                    self._over_sitemap_limit(request.url, referrer)
                    continue
                self._sitemaps_requested.add(request.url)
                self._pending_sitemaps += 1
                request.meta[SITEMAP_REQUEST] = True
                yield request.replace(errback=self.sitemap_failed, priority=90)

    def _over_sitemap_limit(self, url: str, referrer: str | None) -> None:
        dropped = DroppedUrls.of(self.crawler)
        if not dropped.counts.get("sitemap-limit"):
            logger.warning(
                "plus de %d plans du site lus (MAX_SITEMAPS) : les suivants ne le sont pas, une "
                "chaîne sans fin ? (more than %d sitemaps read: the next ones are not, an "
                "endless chain?) ; -s MAX_SITEMAPS=N pour en lire plus (to read more); "
                "d'abord / first: %s", self._max_sitemaps, self._max_sitemaps, url)
        dropped.drop(url, "sitemap-limit", referrer=referrer, warn=False)

    def _give_up_stalled_sitemaps(self, spider):
        """A sitemap request dropped on the way (the scheduler's duplicate filter) never
        answers: once nothing else is left to do, no lastmod is coming any more."""
        if self._pending_sitemaps > 0:
            self._pending_sitemaps = 0
            if self._tell_sitemaps_read():
                raise DontCloseSpider

    def _follow(self, url: str, callback, referrer: str | None = None, *, seed: bool = False):
        """The request of a link (``seed``: of a page found otherwise, depth 0), if it is a
        web URL; one out of the site's scope is told, not requested."""
        found_on = self.site_of(referrer) if referrer else None
        canonical = self.sites.canonical(url, found_on)
        if canonical is None:
            return
        if not self.sites.in_scope(canonical):
            DroppedUrls.of(self.crawler).drop(canonical, "out-of-scope", referrer=referrer)
            return
        if callback == self.parse and canonical.lower().endswith(ARCHIVED_ASSET_SUFFIXES):
            callback = self.archive_only
        headers = {"Referer": referrer} if referrer else None
        yield scrapy.Request(canonical, callback=callback, headers=headers,
                             meta={"depth_reset": True} if seed else None)


def _is_html(response: Response) -> bool:
    content_type = response.headers.get("Content-Type", b"").lower()
    return not content_type or content_type.lower().startswith(_HTML_TYPES)
