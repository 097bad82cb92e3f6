"""The crawler of a union's site: discovers pages and yields what the page objects find.

The spider writes nothing: the archive middleware keeps every response, and the datasets are
built later from the archive alone.
"""

from __future__ import annotations

from urllib.parse import urljoin

import scrapy
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from scoparchive.pages import parse_page
from scoparchive.profiles import PROFILES
from scoparchive.urls import canonical_url, in_scope

HTML_TYPES = (b"text/html", b"application/xhtml+xml")
ARCHIVED_ASSET_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, site_url: str | None = None, profile: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self._profile_name = profile
        self._site_url = site_url

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        profile = PROFILES[spider._profile_name or crawler.settings.get("SITE_PROFILE")]
        site_url = spider._site_url or crawler.settings.get("SITE_URL")
        spider.profile = profile.with_base_url(site_url) if site_url else profile
        return spider

    async def start(self):
        base = self.profile.base_url
        yield scrapy.Request(base, callback=self.parse, priority=10)
        yield scrapy.Request(urljoin(base, "robots.txt"), callback=self.parse_robots)
        yield scrapy.Request(urljoin(base, "sitemap.xml"), callback=self.parse_sitemap)

    def parse_robots(self, response: Response):
        for sitemap_url in sitemap_urls_from_robots(response.text, base_url=response.url):
            yield from self._follow(sitemap_url, self.parse_sitemap)

    def parse_sitemap(self, response: Response):
        if response.status != 200 or not response.body:
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # a broken sitemap is no reason to stop discovery through links
            self.logger.warning("unreadable sitemap: %s", response.url)
            return
        for entry in sitemap:
            callback = self.parse_sitemap if sitemap.type == "sitemapindex" else self.parse
            yield from self._follow(entry["loc"], callback)

    def parse(self, response: Response):
        if response.status != 200 or not _is_html(response):
            return
        page = parse_page(
            response.url,
            response.body,
            profile=self.profile,
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

    def _follow(self, url: str, callback, referrer: str | None = None):
        canonical = canonical_url(url, self.profile)
        if canonical is None or not in_scope(canonical, self.profile):
            return
        if callback is self.parse and canonical.lower().endswith(ARCHIVED_ASSET_SUFFIXES):
            callback = self.archive_only
        headers = {"Referer": referrer} if referrer else None
        yield scrapy.Request(canonical, callback=callback, headers=headers)


def _is_html(response: Response) -> bool:
    content_type = response.headers.get("Content-Type", b"").lower()
    return not content_type or content_type.startswith(HTML_TYPES)
