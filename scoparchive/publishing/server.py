"""`scoparchive serve`: Datasette over the build that ``out`` points at, run by uvicorn in this
process, and switched to each new build without a restart.

A build (``scoparchive.dataset.build``) is a folder of its own, and ``out`` a symbolic link
swapped to the new folder in one rename; the build before it is kept, the older ones deleted.
The server reads the link once a second. When it names a new folder, the server reads that
build (its database, ``metadata.json``, the row counts) in a thread, then switches in one step
of the event loop: Datasette's database of that name becomes the new build's, with its
metadata and counts, and SQL runs in a new pool of threads. Requests already running finish on
the connections they hold; once the old pool's threads have ended, their connections to the old
build are closed, and it can be deleted. One line of the log says so.

Datasette opens the database through a link of its own in a temporary folder, which points at
``out/<name>.db``: each new connection opens the current build, and the path Datasette shows
(``/-/databases.json``) says nothing of where the datasets lie.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import os
import signal
import tempfile
import threading
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scoparchive.publishing.replay import Replay, replaying

#: Datasette's settings: pages of 50 rows, at most 1,000 rows and 3 s per query, CSV exports
#: cut at 50 MB, three queries at a time, no API tokens (the datasets are read-only and
#: public), long cells cut in tables. ``plugin`` bounds the rest: the size of values and results, SQLite's memory.
SETTINGS = {
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "sql_time_limit_ms": 3000,
    "max_csv_mb": 50,
    "num_sql_threads": 3,
    "allow_signed_tokens": False,
    # A long article's body cut to a few lines in tables, whole on its row page.
    "truncate_cells_html": 280,
}
#: Seconds between two readings of the ``out`` link.
POLL_SECONDS = 1.0

logger = logging.getLogger(__name__)


class NoBuild(Exception):
    """``out`` holds no build that can be served; the message says why."""


@dataclass(frozen=True)
class Build:
    """One build folder, read: its database, Datasette's metadata, and the figures Datasette
    would otherwise compute on the first request (row counts, hash, size: ``datasette
    inspect``'s)."""

    folder: Path
    database: Path
    metadata: dict
    inspect: dict

    @property
    def name(self) -> str:
        """Datasette's name of the database: the file's, without ``.db``."""
        return self.database.stem


def read_build(folder: Path) -> Build:
    """The build in ``folder`` (a build folder, not the link). Blocking: reads the database.
    The database is the folder's ``*.db``: a build writes one."""
    from datasette.utils import sqlite3

    databases = sorted(folder.glob("*.db")) if folder.is_dir() else []
    if not databases:
        raise NoBuild("no database")
    database = databases[0]
    metadata_file = folder / "metadata.json"
    try:
        metadata = (json.loads(metadata_file.read_text(encoding="utf-8"))
                    if metadata_file.is_file() else {})
        return Build(folder, database, metadata, _inspect(database))
    except (OSError, ValueError, sqlite3.Error) as error:
        raise NoBuild(f"cannot read {database.name} or metadata.json ({error})") from error


def _inspect(database: Path) -> dict:
    """What ``datasette inspect`` says of ``database``."""
    from datasette.inspect import inspect_hash
    from datasette.utils import escape_sqlite, sqlite3

    connection = sqlite3.connect(f"{database.as_uri()}?immutable=1", uri=True)
    try:
        names = [row[0] for row in
                 connection.execute("select name from sqlite_master where type = 'table'")]
        tables = {}
        for name in names:
            try:
                count = connection.execute(f"select count(*) from {escape_sqlite(name)}"
                                           ).fetchone()[0]
            except sqlite3.Error:
                count = None
            tables[name] = {"count": count}
    finally:
        connection.close()
    return {"hash": inspect_hash(database), "size": database.stat().st_size,
            "file": database.name, "tables": tables}


class BuildServer:
    """Datasette over the build that ``out_dir`` points at; ``links`` is an empty folder of its
    own, for the links Datasette opens the database through."""

    def __init__(self, out_dir: Path, links: Path):
        from datasette.app import Datasette

        from scoparchive.publishing import look, plugin, search

        _register(plugin)
        _register(look, "scoparchive-look")
        _register(search, "scoparchive-search")
        self.out = Path(os.path.abspath(out_dir))
        self.links = links
        self.build = read_build(self._target())
        self._refused: Path | None = None
        self._retiring: set[asyncio.Task] = set()
        self.datasette = Datasette(immutables=[str(self._link(self.build))],
                                   inspect_data={self.build.name: self.build.inspect},
                                   settings=SETTINGS, template_dir=str(look.TEMPLATES))
        plugin.set_metadata(self.datasette, self.build.metadata)

    def _target(self) -> Path:
        return Path(os.path.realpath(self.out))

    def _link(self, build: Build) -> Path:
        """The path Datasette opens the database by: a link to ``out/<name>.db``."""
        link = self.links / build.database.name
        if not link.is_symlink():
            link.symlink_to(self.out / build.database.name)
        return link

    async def follow(self, poll: float = POLL_SECONDS) -> None:
        """Switches to each new build, until cancelled."""
        while True:
            await asyncio.sleep(poll)
            await self.check()

    async def check(self) -> bool:
        """Switches to the build ``out`` points at if it is a new one; whether it did."""
        target = self._target()
        if target in (self.build.folder, self._refused):
            return False
        try:
            build = await asyncio.to_thread(read_build, target)
        except NoBuild as error:
            self._refused = target
            logger.warning("construction illisible, la précédente reste servie (unreadable "
                           "build, the previous one is still served): %s: %s", target, error)
            return False
        self._switch(build)
        return True

    def _switch(self, build: Build) -> None:
        """In one step of the event loop: no request sees half of it."""
        from datasette.database import Database

        from scoparchive.publishing import plugin

        datasette, previous = self.datasette, self.build
        # Datasette keeps one connection per thread and per database name
        # (datasette.database.Database.execute_fn): the threads of a new pool open the new
        # build; those of the old pool finish what they run, then end, and their connections
        # to the old build are closed (``_retire``).
        old_pool = datasette.executor
        old_connections = plugin.take_connections(datasette, previous.name)
        if old_pool is not None:  # None: SQL in the event loop (num_sql_threads 0)
            datasette.executor = ThreadPoolExecutor(
                max_workers=datasette.setting("num_sql_threads"))
        inspect_data = {name: data for name, data in (datasette.inspect_data or {}).items()
                        if name != previous.name}
        datasette.inspect_data = {**inspect_data, build.name: build.inspect}
        datasette.remove_database(previous.name)
        datasette.add_database(Database(datasette, path=str(self._link(build)),
                                        is_mutable=False), name=build.name)
        plugin.set_metadata(datasette, build.metadata)
        self.build, self._refused = build, None
        retiring = asyncio.create_task(_retire(old_pool, old_connections))
        self._retiring.add(retiring)
        retiring.add_done_callback(self._retiring.discard)
        logger.info("nouvelle construction servie (now serving the new build): %s",
                    build.folder.name)

    async def run(self, host: str, port: int, open_browser: bool = False,
                  replay: Replay | None = None) -> None:
        """Serves until stopped; the requests under ``/archive/`` go to ``replay``, started
        here, once the log says where its lines go."""
        import uvicorn

        await self.datasette.invoke_startup()
        app = self.datasette.app()
        config = uvicorn.Config(replay.mount(app) if replay else app, host=host, port=port,
                                log_level="info",
                                lifespan="on", log_config=_log_config())
        server = uvicorn.Server(config)
        if replay is not None:
            replay.start()
        logger.info("construction servie (serving the build): %s; la suivante le sera dès "
                    "qu'elle remplacera %s (the next one as soon as it replaces it)",
                    self.build.folder.name, self.out)
        tasks = [asyncio.create_task(self.follow())]
        if open_browser:
            tasks.append(asyncio.create_task(self._open_browser(server, host)))
        try:
            await server.serve()
        finally:
            for task in tasks:
                task.cancel()
            if replay is not None:
                await replay.aclose()

    async def _open_browser(self, server, host: str) -> None:
        from datasette.utils import initial_path_for_datasette

        while not server.started:
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        path = await initial_path_for_datasette(self.datasette)
        await asyncio.to_thread(webbrowser.open, f"http://{host}:{port}{path}")


async def _retire(pool: ThreadPoolExecutor | None, connections: list) -> None:
    """Closes ``connections`` once every thread of ``pool`` has ended: the requests running on
    the old build finish first. Without a pool, they go with the old database object."""
    if pool is None:
        return
    await asyncio.to_thread(pool.shutdown, wait=True)
    for connection in connections:
        connection.close()


def serve(out_dir: Path, host: str = "127.0.0.1", port: int = 8001,
          open_browser: bool = False, archive_dir: Path | None = None,
          wayback: Path | None = None) -> None:
    """Serves the build in ``out_dir`` until Ctrl-C (KeyboardInterrupt) or SIGTERM (stops as
    Ctrl-C does), and the archived pages of ``archive_dir`` under ``/archive/``, replayed by
    pywb (``wayback``: its command, found if None; see ``replay``). Raises NoBuild when
    ``out_dir`` holds no build."""
    with tempfile.TemporaryDirectory(prefix="scoparchive-serve-") as links, _sigterm_as_ctrl_c():
        server = BuildServer(out_dir, Path(links))
        with replaying(archive_dir, wayback) as replay:
            asyncio.run(server.run(host, port, open_browser, replay))


@contextlib.contextmanager
def _sigterm_as_ctrl_c():
    """uvicorn stops gracefully on SIGTERM, then sends it again: as KeyboardInterrupt, it
    unwinds the stack (the temporary links are removed) instead of killing the process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _register(plugin, name: str = "scoparchive") -> None:
    from datasette.plugins import pm

    if not pm.is_registered(plugin):
        pm.register(plugin, name=name)


def _log_config() -> dict:
    """uvicorn's logging, and this module's lines in it (INFO:, WARNING: on stderr)."""
    import uvicorn.config

    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["scoparchive.publishing"] = {"handlers": ["default"], "level": "INFO",
                                                   "propagate": False}
    return config
