"""Item pipelines: small, one concern each, usable by Scrapy during a crawl and by the build."""
