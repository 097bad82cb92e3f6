"""The datasets: the archive replayed into typed records, with no network.

- ``archives``: several archives read as one, and the sites their runs crawled (registered
  before any parse: a loopback replica's pages are its site's);
- ``replay``: the archive's captures in capture order, each payload parsed once (in a pool of
  processes), into the site's history;
- ``history``: the pages' states and versions, a new version only when the content changes;
- ``cache``: the parse cache in the archive folder (in each archive's, for several), keyed by
  the parser version and the site profile;
- ``fragments``: the rows one parsed page gives, cached with its parse;
- ``records``: the rows of every table, from the history;
- ``organizations``: the cooperatives the site names, merged across pages;
- ``drift``: the alarms when extraction drifts between captures;
- ``build``: `scoparchive build`: the atomic build folder, the quality report, the writers;
- ``run_summary``: what a crawl run changed, for the report of `scoparchive crawl`;
- ``locate``: where the current build is, for the notebooks and scripts that read it.

Completeness (``scoparchive.pipelines.completeness``) is not here: the crawl counts it too, as an
item pipeline, and nothing the crawl loads is in this wing. Tables are written by
``scoparchive.writers``; nothing here imports the crawl (``scoparchive.crawling``).
"""
