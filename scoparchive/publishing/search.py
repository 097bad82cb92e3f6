"""French full-text search that takes what people type, and never fails (registered by
``server``, beside ``plugin``).

``fts_query`` turns typed text into a valid FTS5 query: words are matched whole, accents
folded (the index's tokenizer folds them), and by their French stem too (the ``stemmed`` column
of every index, ``scoparchive.stemming``), so that ``coopératives`` finds ``coopérative``.
What it understands:

- apostrophes and hyphens join words into one phrase (``Mell'Pop``, ``scop-idf``,
  ``Val-de-Loire``), and a leading French elision goes (``l'économie`` → ``économie``);
- quotes (``"…"``, ``«…»``, ``“…”``) for the exact words of a phrase, without stems;
- ``*`` after a word for a prefix (``coop*``);
- ``OR`` (or ``OU``) between two words for either; words are otherwise all required.

Everything else is a space: no input is an FTS5 syntax error.

The hooks give it to every search: ``fts_query(:q)`` in SQL (the canned queries), and in place
of Datasette's ``escape_fts``, which its table search (``?_search=``) applies to what people
type; the search across tables (``/-/search``, linked from Datasette's menu) is this module's
own page, over the tables people search (``SEARCH_ALL``), not the version tables. The views
the indexes read their text from (``{table}_fts_source``) are hidden: they repeat the tables.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass

from datasette import Forbidden, hookimpl
from datasette.utils import path_from_row_pks, sqlite3
from markupsafe import Markup, escape

from scoparchive.stemming import SOURCE_VIEW_SUFFIX, STEMS_COLUMN, WORD, stem_word

#: The query that matches nothing: nothing to search for in what was typed.
MATCH_NOTHING = '""'
#: Words that French elides before a vowel (``l'``, ``qu'``): dropped at the head of a word.
ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu",
                      "puisqu", "quoiqu", "presqu"})
_QUOTES = "\"«»“”„‟"
_APOSTROPHES = "'’ʼ‘`´"
#: A quoted phrase (its closing quote may be missing), maybe a prefix; or a run of anything but
#: spaces and quotes.
_PIECE = re.compile(rf"[{_QUOTES}](?P<quoted>[^{_QUOTES}]*)[{_QUOTES}]?(?P<star>\*?)"
                    rf"|(?P<chunk>[^\s{_QUOTES}]+)")
_OR = frozenset({"OR", "OU"})


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    prefix: bool = False  # the last word is a prefix
    exact: bool = False  # quoted: these words, not their stems

    def fts(self, stems: bool) -> str:
        phrase = '"' + " ".join(self.words) + '"'
        if self.prefix:
            return phrase + "*"
        if not stems:
            return phrase
        if self.exact:
            return f"- {STEMS_COLUMN} : {phrase}"
        stemmed = tuple(stem_word(word) for word in self.words)
        if stemmed == tuple(word.lower() for word in self.words):
            return phrase
        return f'({phrase} OR {STEMS_COLUMN} : "{" ".join(stemmed)}")'


def fts_query(text, stems: bool = True) -> str:
    """A valid FTS5 query for what a person typed (module docstring). ``stems``: whether the
    index has the stems column (a build from before it has not)."""
    if text is None:
        return MATCH_NOTHING
    groups: list[list[str]] = []  # joined by AND, each one's phrases by OR
    either = False
    for piece in _PIECE.finditer(unicodedata.normalize("NFC", str(text))):
        if piece["chunk"] in _OR:
            either = bool(groups)
            continue
        for phrase in _phrases(piece):
            if either:
                groups[-1].append(phrase.fts(stems))
                either = False
            else:
                groups.append([phrase.fts(stems)])
    if not groups:
        return MATCH_NOTHING
    return " AND ".join(group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")"
                        for group in groups)


def _phrases(piece: re.Match) -> list[_Phrase]:
    if piece["chunk"] is None:
        words = tuple(WORD.findall(piece["quoted"]))
        return [_Phrase(words, prefix=bool(piece["star"]), exact=True)] if words else []
    phrases = []
    parts = re.split(r"(\*+)", piece["chunk"])  # text, stars, text, stars...
    for position in range(0, len(parts), 2):
        words = _without_elision(parts[position])
        if words:
            phrases.append(_Phrase(words, prefix=position + 1 < len(parts)))
    return phrases


def _without_elision(text: str) -> tuple[str, ...]:
    """The words of ``text``, without the elided article or pronoun that heads it."""
    found = list(WORD.finditer(text))
    while (len(found) > 1 and found[0].group().lower() in ELISIONS
           and any(char in _APOSTROPHES for char in text[found[0].end():found[1].start()])):
        found.pop(0)
    return tuple(match.group() for match in found)


def register_search_functions(conn: sqlite3.Connection) -> None:
    """``fts_query(text)`` on ``conn``, and Datasette's ``escape_fts`` replaced by it."""
    query = functools.partial(fts_query, stems=_indexes_stems(conn))
    conn.create_function("fts_query", 1, query, deterministic=True)
    conn.create_function("escape_fts", 1, query, deterministic=True)


def _indexes_stems(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "select 1 from sqlite_master where type = 'table' and sql like ? limit 1",
        (f'%VIRTUAL TABLE%USING FTS5%"{STEMS_COLUMN}"%',)).fetchone() is not None


# --- Datasette ----------------------------------------------------------------------------------

@hookimpl(trylast=True)  # after Datasette's own, whose escape_fts this replaces
def prepare_connection(conn):
    register_search_functions(conn)


@hookimpl
def permission_allowed(action, resource):
    if (action == "view-table" and isinstance(resource, tuple | list) and len(resource) == 2
            and str(resource[1]).endswith(SOURCE_VIEW_SUFFIX)):
        return False
    return None


@hookimpl(tryfirst=True)  # before datasette-search-all's page at the same address
def register_routes():
    return [(r"/-/search$", search_all)]


#: The link to the search across tables in Datasette's menu, on every page. datasette-search-all
#: offers its own only where Datasette finds a table's full-text index by itself, which it does
#: not here (the indexes read their text from views); look.menu_links keeps one link.
MENU_LINK_LABEL = "Rechercher partout (search all tables)"


@hookimpl
def menu_links(datasette, request):
    if request is None:
        return None
    return [{"href": datasette.urls.path("/-/search"), "label": MENU_LINK_LABEL}]


@dataclass(frozen=True)
class Searched:
    """A table the search across tables looks in: its heading, and the columns of its rows'
    name and date."""

    table: str
    title: str
    label: str
    date: str


SEARCH_ALL = (
    Searched("articles", "Articles", "title", "published_date"),
    Searched("initiatives", "Initiatives", "name", "published_date"),
    Searched("organizations", "Coopératives et organisations", "name", "first_mentioned"),
)
#: Rows shown per table; the table's own search page has them all.
ROWS_SHOWN = 5
_MARK_START, _MARK_END = "\x02", "\x03"

SEARCH_FAILED = ("recherche impossible dans cette table (search failed in this table): {}")

_TEMPLATE = """{% extends "base.html" %}
{% block title %}Rechercher{% if q %} : {{ q }}{% endif %}{% endblock %}
{% block content %}
<h1>Rechercher dans les articles, les initiatives et les coopératives</h1>
<form class="core" action="{{ urls.path('/-/search') }}" method="get">
  <p><input type="search" name="q" value="{{ q }}" id="search-all-q" aria-label="Rechercher">
  <input type="submit" value="Rechercher"></p>
</form>
<p>Les accents et les majuscules ne comptent pas, ni le pluriel : <em>cooperatives</em> trouve
<em>coopérative</em>. Entre guillemets, les mots exacts d'une expression
(<code>"économie sociale"</code>) ; <code>coop*</code> pour les mots qui commencent par
<em>coop</em> ; <code>OR</code> entre deux mots pour l'un ou l'autre.<br>
<small>Accents, case and plural are ignored; quotes for an exact phrase, <code>*</code> for a
prefix, <code>OR</code> for either word.</small></p>
{% for section in sections %}
  <h2><a href="{{ section.all_url }}">{{ section.title }}</a> :
    {{ section.found }} résultat{% if section.found != 1 %}s{% endif %}</h2>
  {% if section.error %}<p class="message-error">{{ section.error }}</p>{% endif %}
  {% if section.rows %}
  <div style="overflow: auto"><table class="rows-and-columns">
    <thead><tr><th>Nom</th><th>Date</th><th>Extrait</th></tr></thead>
    <tbody>
    {% for row in section.rows %}
      <tr><td><a href="{{ row.url }}">{{ row.label or "(sans titre)" }}</a></td>
        <td>{{ row.date or "" }}</td><td>{{ row.snippet }}</td></tr>
    {% endfor %}
    </tbody>
  </table></div>
  {% if section.found > section.rows|length %}
    <p><a href="{{ section.all_url }}">Voir les {{ section.found }} résultats</a></p>
  {% endif %}
  {% endif %}
{% endfor %}
{% endblock %}
"""


@functools.lru_cache(maxsize=4)
def _template(env):
    return env.from_string(_TEMPLATE)


async def search_all(datasette, request):
    from datasette import Response

    q = request.args.get("q") or ""
    sections = []
    if q.strip():
        for name, database in datasette.databases.items():
            if database.is_memory:
                continue
            tables = set(await database.table_names())
            for searched in SEARCH_ALL:
                if {searched.table, f"{searched.table}_fts"} <= tables and \
                        await _may_view(datasette, request, name, searched.table):
                    sections.append(await _search_table(datasette, database, searched, q))
    page = await datasette.render_template(
        _template(datasette.jinja_env), {"q": q, "sections": sections}, request=request)
    return Response.html(page)


async def _may_view(datasette, request, database: str, table: str) -> bool:
    try:
        await datasette.ensure_permissions(request.actor, [
            ("view-table", (database, table)), ("view-database", database), "view-instance"])
    except Forbidden:
        return False
    return True


async def _search_table(datasette, database, searched: Searched, q: str) -> dict:
    table, fts = searched.table, f"{searched.table}_fts"
    keys = await database.primary_keys(table)
    sql = (f'select t.rowid as rowid, {"".join(f"t.[{key}], " for key in keys)}'
           f"t.[{searched.label}] as label, t.[{searched.date}] as date, "
           f"snippet([{fts}], -1, :start, :end, '…', 16) as snippet "
           f"from [{fts}] join [{table}] t on t.rowid = [{fts}].rowid "
           f"where [{fts}] match fts_query(:q) order by [{fts}].rank limit {ROWS_SHOWN}")
    count = f"select count(*) from [{fts}] where [{fts}] match fts_query(:q)"
    section = {"title": searched.title, "found": 0, "rows": [], "error": None,
               "all_url": datasette.urls.table(database.name, table) + "?"
               + urllib.parse.urlencode({"_search": q})}
    try:
        results = await database.execute(sql, {"q": q, "start": _MARK_START, "end": _MARK_END})
        section["found"] = (await database.execute(count, {"q": q})).single_value()
    except Exception as error:  # the time limit, SQLite's heap: the other tables still answer
        section["error"] = SEARCH_FAILED.format(error)
        return section
    for row in results.rows:
        section["rows"].append({
            "label": row["label"], "date": row["date"], "snippet": _marked(row["snippet"]),
            "url": datasette.urls.row(database.name, table,
                                      path_from_row_pks(row, keys, use_rowid=not keys))})
    return section


def _marked(snippet: str | None) -> Markup:
    """The snippet as HTML, its matched words in ``<mark>``."""
    return Markup(str(escape(snippet or "")).replace(_MARK_START, "<mark>")
                  .replace(_MARK_END, "</mark>"))
