"""Scrapy settings: polite by default against the real site.

``scrapy crawl site`` reads this module through scrapy.cfg; ``scoparchive crawl`` starts from it and
overrides what its options say. Both get the same defaults, and the same crawl session (an
extension): what depends on the site (no delay for a site on this machine) is decided by the
spider (``scoparchive/crawling/spider.py``).
"""

from scrapy.settings import default_settings as _scrapy_defaults

from scoparchive import __version__
from scoparchive.archive.payload import MAX_DECODED_PAYLOAD
from scoparchive.profiles import DEFAULT_PROFILE

BOT_NAME = "scoparchive"
SPIDER_MODULES = ["scoparchive.crawling.spider"]

USER_AGENT_TEMPLATE = "scoparchive/{version} (web archiving of the union's public site; +{contact})"
USER_AGENT = USER_AGENT_TEMPLATE.format(version=__version__, contact=DEFAULT_PROFILE.contact_url)
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0  # none on 127.0.0.1: the spider lowers it there, and only there
# The delay is a floor, never shortened: no random variation around it.
DOWNLOAD_DELAY_JITTER = 0
if not hasattr(_scrapy_defaults, "DOWNLOAD_DELAY_JITTER"):
    # A Scrapy older than DOWNLOAD_DELAY_JITTER, which deprecated this setting.
    RANDOMIZE_DOWNLOAD_DELAY = False
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
# No br: warcio and pywb cannot decode Brotli payloads with Google's module (warcio#73), and the
# archive must replay with the standard tools as they are.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "fr",
    "Accept-Encoding": "gzip, deflate",
}
TELNETCONSOLE_ENABLED = False
REDIRECT_ENABLED = True
# A 404 or 410 tells that a page left the site: the spider must see it to record the removal.
HTTPERROR_ALLOWED_CODES = [404, 410]
DEPTH_PRIORITY = 1  # breadth first: a crawl cut short has the important pages
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
LOG_LEVEL = "INFO"

# What one response may cost, whatever the server sends (crawling/middlewares/download_size.py):
# a download is cut after MAX_DOWNLOAD_SIZE bytes and archived so (WARC-Truncated: length); a
# payload that grows past MAX_PAYLOAD_SIZE once decompressed is archived as received, not read.
MAX_DOWNLOAD_SIZE = 32 * 2**20
MAX_PAYLOAD_SIZE = MAX_DECODED_PAYLOAD
DOWNLOAD_MAXSIZE = 0  # Scrapy's own bound drops a download whole: the two above replace it

# Pauses before a retry: exponential from the base, capped; a server's Retry-After is honoured
# up to RETRY_AFTER_MAX seconds, past which the request is given up.
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0

# Bounds that end a trap (a calendar, an endless pager, a relative link feeding on itself, an
# endless chain of sitemap indexes) and keep the real site whole; 0 lifts a bound. A URL not
# requested for one of them is counted (stats scoparchive/too_deep, /query_variants,
# /repeated_segments, /sitemaps_over_limit, /url_too_long, /out_of_scope), written to the crawl
# log ("dropped") and named in a warning line, the first DROPPED_URLS_WARNED of each kind.
DEPTH_LIMIT = 100  # links followed from a seed: the home page, a sitemap entry
MAX_QUERY_VARIANTS = 1000  # distinct query strings per path (?page=N, ?month=...)
MAX_REPEATED_SEGMENTS = 3  # /a/a/a is allowed, /a/a/a/a is not
MAX_SITEMAPS = 1000  # sitemap documents read per crawl, indexes included
URLLENGTH_LIMIT = 2083  # Scrapy's default, checked by our own middleware
DROPPED_URLS_WARNED = 10

# Recrawls (crawling/middlewares/recrawl.py): a page the sitemap says unchanged is not requested,
# unless its latest capture is older than REVALIDATE_AFTER_DAYS (then a conditional GET; a
# negative number: never); RECRAWL_FULL fetches every page again with plain GETs.
REVALIDATE_AFTER_DAYS = 30
RECRAWL_FULL = False

EXTENSIONS = {
    "scoparchive.crawling.session.CrawlSession": 0,
    "scoparchive.crawling.middlewares.dropped.DroppedUrls": 1,
    # Off without REDIS_URL: a crawl of one process.
    "scoparchive.crawling.distributed.DistributedCrawl": 2,
}
SPIDER_MIDDLEWARES = {
    # Links too deep are told, not only dropped; too long ones are checked by the downloader
    # middleware below, on every request.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scoparchive.crawling.middlewares.depth.DepthMiddleware": 900,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    # Last on the way out: known pages wait for their sitemap lastmod.
    "scoparchive.crawling.middlewares.lastmod_wait.LastmodWaitMiddleware": 10,
    # A distributed crawl's request is done once all the above is queued (off without Redis).
    "scoparchive.crawling.middlewares.inflight.InFlightSpiderMiddleware": 5,
}
DOWNLOADER_MIDDLEWARES = {
    # A distributed crawl's request that failed with no response is done (off without Redis).
    "scoparchive.crawling.middlewares.inflight.InFlightDownloaderMiddleware": 1,
    # Scope is checked on every request, redirects included, before anything is sent.
    "scoparchive.crawling.middlewares.scope.ScopeMiddleware": 60,
    # Then the URLs that are traps or cannot be asked, before robots.txt is even read.
    "scoparchive.crawling.middlewares.url_length.UrlLengthMiddleware": 65,
    "scoparchive.crawling.middlewares.repeated_segments.RepeatedSegmentsMiddleware": 70,
    "scoparchive.crawling.middlewares.query_variants.QueryVariantsMiddleware": 75,
    # robots.txt read once per host, a 5xx or no answer forbidding everything (RFC 9309).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scoparchive.crawling.middlewares.robots.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scoparchive.crawling.middlewares.retry.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "scoparchive.crawling.middlewares.download_size.PayloadSizeMiddleware": 590,
    "scoparchive.crawling.middlewares.download_size.DownloadSizeMiddleware": 955,
    "scoparchive.crawling.middlewares.recrawl.RecrawlMiddleware": 940,
    "scoparchive.crawling.middlewares.host_concurrency.HostConcurrencyMiddleware": 945,
    # Above HttpCompressionMiddleware (590) and RedirectMiddleware (600), so that the archive keeps
    # every response as received: still compressed, redirects and errors included.
    "scoparchive.crawling.middlewares.archive.ArchiveMiddleware": 950,
}
ITEM_PIPELINES = {
    "scoparchive.pipelines.completeness.CompletenessPipeline": 800,
}

# Where the archive goes; ``scoparchive crawl --archive`` sets it.
ARCHIVE_DIR = "archive"
ARCHIVE_MAX_FILE_SIZE = 100 * 2**20
# `scoparchive crawl --resume`: finish the archive's interrupted run instead of starting one.
CRAWL_RESUME = False
ARCHIVE_OPERATOR = DEFAULT_PROFILE.contact_url
SITE_PROFILE = DEFAULT_PROFILE.name
# The sites of a crawl of several (``scoparchive crawl --site-url A --site-url B``, or
# `scrapy crawl site -s SITES="NAME=URL NAME=URL"`), as --site-url takes them; empty: SITE_URL,
# else SITE_PROFILE.
SITES: list[str] = []

# A distributed crawl (crawling/distributed.py): `scoparchive crawl --redis URL` sets REDIS_URL,
# the crawl id, the run and the worker, and the scrapy-redis scheduler. A worker silent for
# REDIS_WORKER_TIMEOUT seconds is taken for dead (its requests in flight go back to the queue);
# an idle worker looks at the shared queue every REDIS_POLL_INTERVAL seconds.
REDIS_URL = None
REDIS_WORKER_TIMEOUT = 30.0
REDIS_POLL_INTERVAL = 0.5
# A response archived is kept in Redis until the spider has done with it, so that another worker
# goes on from it if this one dies meanwhile; a larger one would be downloaded again.
REDIS_MAX_REPLAYED_SIZE = 16 * 2**20
