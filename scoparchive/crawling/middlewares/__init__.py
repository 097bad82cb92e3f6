"""Downloader middlewares, one concern each. Order (lower numbers see requests first and
responses last; the numbers are in ``scoparchive/crawling/settings.py``):

- 60   scope.ScopeMiddleware: no request leaves the site, redirects included;
- 550  retry.BackoffRetryMiddleware: 5xx, 429 and timeouts retried after a pause, Retry-After
       honoured;
- 940  recrawl.RecrawlMiddleware: conditional requests, pages known unchanged served from the
       archive, 304 answers replaced by the archived copy so the spider still finds their links;
- 945  host_concurrency.HostConcurrencyMiddleware: at most CONCURRENT_REQUESTS_PER_DOMAIN
       requests in flight to a host, whatever the delay;
- 950  archive.ArchiveMiddleware: every exchange written as received, before anything is
       decompressed.

The recrawl and archive middlewares work on the crawl's session (``scoparchive.crawling.session``).
"""
