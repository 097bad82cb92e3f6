"""Publishing the datasets: `scoparchive serve`, Datasette over the current build.

- ``server``: Datasette on the build's database, run by uvicorn; it follows the ``out`` link and
  switches to each new build without a restart;
- ``plugin``: the Datasette plugin it registers: what one query may cost (time, size, memory),
  the SQL functions refused, the build's metadata, the links to archived pages and the diffs;
- ``replay``: pywb, started by the server, replaying the archived pages under ``/archive/``;
- ``search``: what people type turned into valid FTS5 queries, with French stems
  (``scoparchive.stemming``), for the canned queries, the table search and ``/-/search``;
- ``look``, ``charts`` and ``templates/``: the French pages (front page, citation, article
  pages read as articles, charts drawn as SVG on the server).

Nothing here imports the build (``scoparchive.dataset``) nor the crawl: a build folder is read as
files, and the server stays small.
"""

from scoparchive.publishing.server import NoBuild, serve

__all__ = ["NoBuild", "serve"]
