"""The Datasette plugin of `scoparchive serve` (registered by ``server``): what one query may
cost, the SQL functions refused, the errors a visitor causes, and the metadata and connections
of the build being served.

Datasette's settings bound a query's time (``sql_time_limit_ms``) and its rows
(``max_returned_rows``); every connection gets the rest here, in ``prepare_connection``:

- no string, blob or row over ``MAX_VALUE_BYTES`` (SQLite's ``SQLITE_LIMIT_LENGTH``): SQLite
  refuses ``randomblob``, ``zeroblob``, ``printf`` or ``group_concat`` past it before allocating
  ("string or blob too big");
- SQLite's own memory, all connections together, under ``SQLITE_HARD_HEAP_BYTES``
  (``PRAGMA hard_heap_limit``, a limit of the whole process): a query needing more fails;
- the rows of one result under ``MAX_RESULT_BYTES`` once in Python: the heap limit does not see
  them, and a thousand rows of large values built in a few milliseconds each would otherwise
  fill the memory before the time limit;
- a deny-list of SQL functions (``DENIED_FUNCTIONS``) and tables (``DENIED_TABLES``), and the
  file column of ``pragma_database_list`` read as null: it would show where the database lies
  (``conn.set_authorizer``).

At worst a query holds SQLite's heap, as much again once Python has copied a row, and its
result: the tests' hostile queries leave the server's peak under 300 MB (``tests/test_serve.py``
allows 400).

``render_cell`` shows an ``archived_url`` as a link to the capture (``replay``) and an article
version's ``diff`` with its words struck out and added (``scoparchive.textdiff``).
``handle_exception`` answers a visitor's errors (4xx, SQLite out of its heap) without the
traceback Datasette prints for each; ``get_metadata`` serves the current build's metadata
(``set_metadata``); ``prepare_connection`` also keeps the connections to each database, for the
server to close those to a build it no longer serves (``take_connections``).
"""

from __future__ import annotations

import weakref

from datasette import Response, hookimpl
from datasette.utils import add_cors_headers, sqlite3
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup

from scoparchive.publishing.replay import archived_link, is_archived_url
from scoparchive.textdiff import diff_html

#: Longest string, blob or table row any query may read or make. The build reads pages up to
#: 32 MiB once decoded (``scoparchive.archive.payload``), and a page's text is shorter than its
#: HTML: no row it writes comes near.
MAX_VALUE_BYTES = 32 * 2**20
#: SQLite's memory, every connection of the process together (a few MB of page cache per
#: connection is what queries need); over the soft limit it gives its caches back first.
SQLITE_HARD_HEAP_BYTES = 128 * 2**20
SQLITE_SOFT_HEAP_BYTES = 64 * 2**20
#: Strings and blobs of one result, once Python holds them: as much as a CSV export
#: (``max_csv_mb``).
MAX_RESULT_BYTES = 50 * 2**20

#: SQL functions no query may call. ``fts3_tokenizer`` registers a tokenizer from a pointer (this
#: SQLite is built with SQLITE_ENABLE_FTS3_TOKENIZER); ``load_extension`` loads a library.
DENIED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension"})
#: Tables no query may read: ``sqlite_stmt`` lists the statements of the connection, those of
#: other people's queries included.
DENIED_TABLES = frozenset({"sqlite_stmt"})
#: Columns read as null: the database's absolute path.
HIDDEN_COLUMNS = frozenset({("pragma_database_list", "file")})

RESULT_TOO_LARGE = (f"résultat trop volumineux : plus de {MAX_RESULT_BYTES // 2**20} Mio de "
                    "textes et de blobs ; demandez moins de lignes ou de colonnes (result too "
                    f"large: over {MAX_RESULT_BYTES // 2**20} MiB of text and blobs; ask for "
                    "fewer rows or columns)")
OUT_OF_MEMORY = ("requête refusée : elle demande plus de mémoire que le serveur n'en accorde à "
                 "SQLite ; demandez moins de lignes ou de plus petites valeurs (query refused: "
                 "it needs more memory than the server allows SQLite; ask for fewer rows or "
                 "smaller values)")

#: The metadata of the build each Datasette serves (``set_metadata``).
_metadata: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: The connections each Datasette opened to each database file, by name, since the server last
#: took them (``take_connections``).
_opened: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def set_metadata(datasette, metadata: dict) -> None:
    """Serve ``metadata`` as ``datasette``'s from now on (``get_metadata`` below)."""
    _metadata[datasette] = metadata


def take_connections(datasette, database: str) -> list:
    """The connections ``datasette`` opened to ``database`` since the last call: the server
    closes those to a build it no longer serves."""
    return _opened.get(datasette, {}).pop(database, [])


@hookimpl
def get_metadata(datasette, key, database, table):
    return _metadata.get(datasette)


@hookimpl
def prepare_connection(conn, database, datasette):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    # Process-wide, and each pragma only ever lowers the limit: the same on every connection.
    conn.execute(f"PRAGMA soft_heap_limit = {SQLITE_SOFT_HEAP_BYTES}")
    conn.execute(f"PRAGMA hard_heap_limit = {SQLITE_HARD_HEAP_BYTES}")
    conn.row_factory = _bounded_rows(conn.row_factory, MAX_RESULT_BYTES)
    conn.set_authorizer(_authorize)
    served = datasette.databases.get(database)
    if served is not None and not served.is_memory:
        _opened.setdefault(datasette, {}).setdefault(database, []).append(conn)


@hookimpl
def render_cell(value, column):
    """An ``archived_url`` as a link that opens the capture (Datasette links only absolute
    URLs); an article version's ``diff`` with its removed and added words marked."""
    if column == "archived_url" and is_archived_url(value):
        return Markup(archived_link(value))
    if column == "diff" and isinstance(value, str) and value.startswith("@@ "):
        return Markup(diff_html(value))
    return None


@hookimpl(wrapper=True)
def handle_exception(datasette, request, exception):
    """The errors a visitor's request causes (a query refused, interrupted or out of SQLite's
    heap, a page not found, a sort Datasette cannot do: the errors Datasette raises itself)
    answered as Datasette answers them, without the traceback with every frame's locals that
    its own handler prints for each, a thousand lines that hold the event loop for up to
    seconds. Errors nobody raised on purpose are left to it, traceback included."""
    responses = yield
    error = _visitor_error(exception)
    if error is None:
        return responses
    status, message, title, details = error

    async def respond():
        info = {**details, "ok": False, "error": message, "status": status, "title": title}
        headers = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        page = await datasette.render_template([f"{status}.html", "error.html"], info,
                                               request=request)
        return Response.html(page, status=status, headers=headers)

    return [respond]


def _visitor_error(exception) -> tuple[int, str, str | None, dict] | None:
    """Status, message, title and details of an error the request caused, else None."""
    if isinstance(exception, MemoryError):  # SQLite past hard_heap_limit
        return 400, OUT_OF_MEMORY, None, {}
    if isinstance(exception, Base400):
        return exception.status, exception.args[0] if exception.args else "", None, {}
    if isinstance(exception, DatasetteError):
        message = Markup(exception.message) if exception.message_is_html else exception.message
        return exception.status, message, exception.title, dict(exception.error_dict)
    return None


def _authorize(action, first, second, database, source):
    if action == sqlite3.SQLITE_FUNCTION and (second or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY  # "not authorized to use function: fts3_tokenizer"
    if action == sqlite3.SQLITE_READ:
        table = (first or "").lower()
        if table in DENIED_TABLES:
            return sqlite3.SQLITE_DENY
        if (table, (second or "").lower()) in HIDDEN_COLUMNS:
            return sqlite3.SQLITE_IGNORE  # read as null
    return sqlite3.SQLITE_OK


def _bounded_rows(row_factory, limit: int):
    """A row factory that makes the rows as ``row_factory`` does, and fails the query once the
    strings and blobs of its cursor's rows pass ``limit`` bytes. Datasette fetches every query
    with a cursor of its own."""
    seen: dict = {"cursor": None, "bytes": 0}

    def make_row(cursor, values):
        if seen["cursor"] is None or seen["cursor"]() is not cursor:
            seen["cursor"], seen["bytes"] = weakref.ref(cursor), 0
        seen["bytes"] += sum(len(value) for value in values if isinstance(value, str | bytes))
        if seen["bytes"] > limit:
            raise sqlite3.DataError(RESULT_TOO_LARGE)
        return row_factory(cursor, values) if row_factory is not None else values

    return make_row
