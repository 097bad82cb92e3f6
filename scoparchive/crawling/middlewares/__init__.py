"""Downloader middlewares, one concern each. Order (lower numbers see requests first and
responses last; the numbers are in ``scoparchive/crawling/settings.py``):

- 1    inflight.InFlightDownloaderMiddleware: a distributed crawl's request that failed with no
       response is done (off without Redis);
- 60   scope.ScopeMiddleware: no request leaves the sites, redirects included;
- 65   url_length.UrlLengthMiddleware: no URL over URLLENGTH_LIMIT characters;
- 70   repeated_segments.RepeatedSegmentsMiddleware: no path feeding on itself (``/a/a/a/a``);
- 75   query_variants.QueryVariantsMiddleware: at most MAX_QUERY_VARIANTS queries per path;
- 550  retry.BackoffRetryMiddleware: 5xx, 429 and timeouts retried after a pause, Retry-After
       honoured;
- 940  recrawl.RecrawlMiddleware: conditional requests, pages known unchanged served from the
       archive, 304 answers replaced by the archived copy so the spider still finds their links;
- 945  host_concurrency.HostConcurrencyMiddleware: at most CONCURRENT_REQUESTS_PER_DOMAIN
       requests in flight to a host, whatever the delay; one download slot per host (netloc);
       in a distributed crawl, the host's delay taken in turn with the other workers;
- 950  archive.ArchiveMiddleware: every exchange written as received, before anything is
       decompressed.

Spider middlewares, on the links and sitemap entries the spider yields:

- 900  depth.DepthMiddleware: Scrapy's DEPTH_LIMIT, each link dropped told;
- 10   lastmod_wait.LastmodWaitMiddleware: a known page waits for its sitemap lastmod;
- 5    inflight.InFlightSpiderMiddleware: a distributed crawl's request is done once what the
       spider yielded from its response is queued (off without Redis).

And an extension, dropped.DroppedUrls: every URL not requested (by the ones above, or the
spider: out of scope, past MAX_SITEMAPS) counted, written to the crawl log and warned about.

The recrawl and archive middlewares work on the crawl's session (``scoparchive.crawling.session``).
"""
