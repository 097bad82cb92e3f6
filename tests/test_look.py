"""What researchers see in `scoparchive serve`, in French: a front page saying what the data is,
where and when it was crawled, and how to cite it; titled tables and views; charts of the views
drawn offline; articles that read as articles. Against the real server over the replica's
build, the charts in a real headless Chromium."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import lxml.html
import pytest
from conftest import get_json
from datasette.filters import Filters
from datasette.utils import tilde_encode
from markupsafe import Markup

from scoparchive.publishing.look import (
    VIEW_CHARTS,
    article_html,
    french_date,
    french_error,
    french_human_description,
    french_lookup,
    inline_html,
)


def page(url: str) -> lxml.html.HtmlElement:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return lxml.html.fromstring(response.read().decode("utf-8"))


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def content_of(document) -> str:
    """The visible text of the page's content (the SQL editor's text left out)."""
    (content,) = document.xpath("//section[@class='content']")
    for editor in content.xpath(".//textarea | .//style | .//script"):
        editor.drop_tree()
    return text_of(content)


def last_crawl(built_replica) -> str:
    with sqlite3.connect(built_replica.database) as connection:
        (latest,) = connection.execute(
            "select max(coalesce(finished_at, started_at)) from crawl_runs").fetchone()
    return latest


def build_date(built_replica) -> str:
    metadata = json.loads((built_replica.out / "metadata.json").read_text(encoding="utf-8"))
    return metadata["plugins"]["scoparchive"]["build"]["built_at"]


def test_the_front_page_says_what_the_data_is_where_and_when_it_was_crawled_and_how_to_cite_it(
        built_replica, datasette_server):
    site = built_replica.replica.url
    crawled, built = french_date(last_crawl(built_replica)), french_date(build_date(built_replica))
    assert crawled and built and crawled[0].isdigit()
    name = built_replica.database.stem
    for path in ("/", f"/{name}"):
        document = page(datasette_server + path)
        text = content_of(document)
        assert "Le jeu de données" in text and "archive web" in text, path
        assert document.xpath("//dd[@class='about-site']/a/@href") == [site], path
        assert crawled in text_of(document.xpath("//dd[@class='about-last-crawl']")[0]), path
        assert built in text_of(document.xpath("//dd[@class='about-built']")[0]), path
        (citation,) = document.xpath("//p[@class='scoparchive-citation']")
        citation = text_of(citation)
        for part in ("Archive du site de l'Union régionale des Scop et Scic", site, crawled,
                     built, datasette_server):
            assert part in citation, (path, part, citation)
        # The source is the site the build crawled (the replica), in French.
        assert "Data source" not in text and "Source des données" in text, path
        assert urllib.parse.urlsplit(site).netloc in text, path
        assert "les-scop-idf.coop" not in document.xpath("string(//footer)"), path
        assert "`" not in text, f"{path}: raw Markdown in a description"


def test_tables_and_views_have_french_titles_and_folded_column_descriptions(
        built_replica, datasette_server):
    name = built_replica.database.stem
    database_page = content_of(page(f"{datasette_server}/{name}"))
    for title in ("Articles par année", "Initiatives par région", "Initiatives par département",
                  "Pages retirées du site", "Vues", "Coopératives", "Versions des articles"):
        assert title in database_page, title
    view = page(f"{datasette_server}/{name}/articles_by_year")
    assert text_of(view.xpath("//h1")[0]).startswith("Articles par année")
    articles = page(f"{datasette_server}/{name}/articles")
    assert text_of(articles.xpath("//h1")[0]) == "Articles"
    (folded,) = articles.xpath("//details[@class='column-descriptions']")
    assert "published_date" in folded.xpath("string(.//dl)")
    assert "Date de publication" in folded.xpath("string(.//dl)")
    assert "triées par published_date, décroissant" in content_of(articles)
    # Newest first, by default.
    dates = [row["published_date"] for row in get_json(
        f"{datasette_server}/{name}/articles.json?_shape=array&_size=max")]
    assert dates[:5] == sorted(filter(None, dates), reverse=True)[:5]


def test_an_article_reads_as_an_article(built_replica, datasette_server):
    with sqlite3.connect(built_replica.database) as connection:
        url, title, published, lead, markdown = connection.execute(
            "select url, title, published_date, lead, body_markdown from articles "
            "where body_markdown like '%### %' order by length(body_markdown) desc").fetchone()
    headings = [line.removeprefix("### ") for line in markdown.splitlines()
                if line.startswith("### ")]
    name = built_replica.database.stem
    document = page(f"{datasette_server}/{name}/articles/{tilde_encode(url)}")
    (article,) = document.xpath("//article[@class='scoparchive-article']")
    assert text_of(article.xpath(".//h1")[0]) == title
    assert french_date(published) in text_of(article.xpath(".//p[@class='dateline']")[0])
    assert text_of(article.xpath(".//p[@class='lead']")[0]) == " ".join(lead.split())
    assert [text_of(h3) for h3 in article.xpath(".//div[@class='body']/h3")] == headings
    assert "###" not in text_of(article)
    # Every column is still there, folded below.
    assert document.xpath("//details[@class='column-descriptions']//table")


def test_article_markdown_keeps_lists_and_links_and_escapes_html():
    html = article_html(
        "## Programme\n\n- accueil\n- ateliers\n\n"
        "Voir [la Confédération](https://www.les-scop.coop/) ou [ceci](javascript:alert(1)).\n\n"
        "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)> ![photo](https://x/y.jpg)")
    document = lxml.html.fromstring(f"<div>{html}</div>")
    assert [text_of(item) for item in document.xpath("//ul/li")] == ["accueil", "ateliers"]
    assert document.xpath("//h2/text()") == ["Programme"]
    # No javascript: link; an image is a link to it, not loaded from the site (offline).
    links = document.xpath("//a")
    assert [link.get("href") for link in links] == ["https://www.les-scop.coop/",
                                                     "https://x/y.jpg"]
    assert all("nofollow" in link.get("rel") for link in links)
    assert not document.xpath("//script | //img | //*[@onerror]")
    assert "<script>alert('x')</script>" in text_of(document)
    assert str(inline_html("`scoparchive build` <b>x</b>")) \
        == "<code>scoparchive build</code> &lt;b&gt;x&lt;/b&gt;"


@pytest.mark.parametrize(("value", "french"), [
    ("2020-04-01", "1er avril 2020"), ("2026-12-06T06:18:14.9Z", "6 décembre 2026"),
    ("not a date", "not a date"), (None, ""),
])
def test_dates_read_in_french(value, french):
    assert french_date(value) == french


@pytest.mark.slow
def test_charts_show_every_row_of_their_view_offline(built_replica, datasette_server, tmp_path):
    from test_browser import rendered_dom  # skips where Chromium is missing

    name = built_replica.database.stem
    database_page = lxml.html.fromstring(rendered_dom(f"{datasette_server}/{name}", tmp_path))
    view_page = lxml.html.fromstring(
        rendered_dom(f"{datasette_server}/{name}/initiatives_by_department", tmp_path))
    for document in (database_page, view_page):
        external = [source for source in document.xpath("//script/@src | //link/@href | //img/@src")
                    if urllib.parse.urlsplit(source).hostname not in (None, "127.0.0.1")]
        assert not external, f"loaded from elsewhere: {external}"
    shown = [(database_page, chart) for chart in VIEW_CHARTS]
    shown.append((view_page, next(c for c in VIEW_CHARTS if c.view == "initiatives_by_department")))
    for document, chart in shown:
        rows = get_json(f"{datasette_server}/{name}/{chart.view}.json?_shape=array&_size=max")
        assert rows, chart.view
        (svg,) = document.xpath(f"//*[local-name()='svg'][@id='chart-{chart.view.replace('_', '-')}']")
        assert svg.xpath("string(./*[local-name()='title'])") == chart.title
        assert str(rows[0][chart.value_column]) in svg.xpath("string(./*[local-name()='desc'])")
        bars = svg.xpath("./*[local-name()='g'][@class='bar']")
        assert [int(bar.get("data-value")) for bar in bars] \
            == [row[chart.value_column] for row in rows], chart.view
        widths = [float(bar.xpath("./*[local-name()='rect']/@width")[0]) for bar in bars]
        largest = max(row[chart.value_column] for row in rows)
        for bar, width in zip(bars, widths, strict=True):
            assert width == pytest.approx(max(widths) * int(bar.get("data-value")) / largest,
                                          abs=0.1), chart.view


# --- Datasette's own words, in French --------------------------------------------------------

def fetched(url: str) -> tuple[int, lxml.html.HtmlElement]:
    """Status and page, an error's too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, lxml.html.fromstring(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, lxml.html.fromstring(error.read().decode("utf-8"))


def chrome_of(document) -> str:
    """The page's words besides its data: menu, forms, headings, links, buttons, options and
    tooltips (the rows, the SQL, the descriptions and an article's text left out)."""
    document = lxml.html.fromstring(lxml.html.tostring(document))
    for data in document.xpath("//table[contains(@class, 'rows-and-columns')]"
                               " | //textarea | //pre | //style | //script"
                               " | //details[@class='column-descriptions']"
                               " | //article[@class='scoparchive-article']"
                               " | //div[@class='metadata-description']"):
        data.drop_tree()
    words = [text_of(document.xpath("//body")[0])]
    # Not the title of the link to the SQL: the SQL itself.
    words += document.xpath("//input[@type='submit']/@value | //*/@aria-label | //option/text()"
                            " | //*[not(contains(@class, 'not-underlined'))]/@title"
                            " | //title/text()")
    return " ".join(" ".join(words).split())


#: Datasette 0.65's English words, each of a page of its (templates, table.js, plugins' menu).
ENGLISH = ("Apply", "descending", "Add column", "View and edit SQL", "This data as",
           "Advanced export", "Download file", "download file", "CSV options", "Export CSV",
           "Next page", "Suggested facets", "remove filter", "starts with", "ends with",
           "contains", "is not null", "is blank", "Custom SQL query", "Run SQL", "Format SQL",
           "Query parameters", "Edit SQL", "Download CSV", "returning", "0 results",
           "Search all tables", "Error 404", "not found:", "Sort ascending", "Sort descending",
           "Facet by this", "Hide this column", "Show all columns", "Show not-blank rows",
           "Type:", "Remove this filter", "rows where", "sorted by", "Log out", "(array)")


def assert_in_french(words: str, *french: str, where: str) -> None:
    english = [word for word in ENGLISH if word in words]
    assert not english, f"{where}: still in English: {english}\n{words}"
    for expected in french:
        assert expected in words, f"{where}: {expected!r} missing\n{words}"


def test_a_filtered_table_page_speaks_french(built_replica, datasette_server):
    name = built_replica.database.stem
    url = (f"{datasette_server}/{name}/articles?title__contains=coop&word_count__gt=10"
           "&_facet=rubric&_sort_desc=published_date&_size=5")
    status, document = fetched(url)
    assert status == 200
    words = chrome_of(document)
    assert_in_french(words, "Appliquer", "Voir et modifier le SQL", "Ces données en",
                     "Exporter (export)", "télécharger le fichier", "Page suivante",
                     "Rechercher partout", "contient", "commence par", "est vide",
                     where="table page")
    (heading,) = document.xpath("//h3[contains(., 'ligne')]")
    assert text_of(heading).endswith(
        "où title contient « coop » et word_count > 10, triées par published_date, décroissant")
    assert document.xpath("//div[contains(@class, 'facet-info')]"), "no facet shown"
    # The operators are Datasette's keys still: the form filters as before.
    assert "contains" in document.xpath("//select[@name='_filter_op']/option/@value")
    _, organizations = fetched(f"{datasette_server}/{name}/organizations?_facet=legal_form")
    assert_in_french(chrome_of(organizations), "departments (par élément)",
                     "Retirer cette facette", where="organizations")
    menu = document.xpath("//details[@class='nav-menu']//a")
    assert [(link.get("href"), text_of(link)) for link in menu] \
        == [("/-/search", "Rechercher partout (search all tables)")]


def test_canned_queries_and_sql_pages_speak_french(built_replica, datasette_server):
    name = built_replica.database.stem
    pages = {
        "canned query": f"{datasette_server}/{name}/initiatives_in_department?code=75",
        "SQL": f"{datasette_server}/{name}?" + urllib.parse.urlencode(
            {"sql": "select title from articles limit 3"}),
        "canned query, SQL hidden": f"{datasette_server}/{name}/articles_published_between?"
                                    "start=2000-01-01&end=2000-01-02&_hide_sql=1",
    }
    for where, url in pages.items():
        status, document = fetched(url)
        assert status == 200, where
        words = chrome_of(document)
        assert_in_french(words, "Exécuter (run SQL)", where=where)
    _, canned = fetched(pages["canned query"])
    assert_in_french(chrome_of(canned), "Paramètres de la requête", "Initiatives d'un département",
                     "Modifier le SQL", "Ces données en", "masquer le SQL", where="canned query")
    _, sql = fetched(pages["SQL"])
    assert "Requête SQL : 3 lignes" in chrome_of(sql)
    _, hidden = fetched(pages["canned query, SQL hidden"])
    assert_in_french(chrome_of(hidden), "voir le SQL", "Aucun résultat", where="SQL hidden")


def test_a_row_page_speaks_french(built_replica, datasette_server):
    name = built_replica.database.stem
    for table in ("articles", "initiatives", "organizations"):
        _, listed = fetched(f"{datasette_server}/{name}/{table}?_size=1")
        (row,) = listed.xpath("//td[contains(@class, 'type-pk')]/a/@href")
        status, document = fetched(datasette_server + row)
        assert status == 200, row
        assert_in_french(chrome_of(document), "Ces données en", "Rechercher partout", where=row)


@pytest.mark.parametrize(("path", "title", "message"), [
    ("/no/page/at/this/address", "Page introuvable (404)", "Aucune page à cette adresse"),
    ("/{name}/no_such_table", "Page introuvable (404)", "Table ou vue introuvable"),
    ("/{name}/articles/no-such-row", "Page introuvable (404)", "Ligne introuvable"),
    ("/no_such_database/articles", "Page introuvable (404)", "Base de données introuvable"),
    # Datasette answers 500 to a sort it cannot do.
    ("/{name}/articles?_sort=no_such_column", "Erreur (500)",
     "ne peut pas être triée par no_such_column"),
    # The views the full-text indexes read from are hidden (search.py).
    ("/{name}/articles_fts_source", "Accès refusé (403)", "Vous n'avez pas accès à cette table"),
])
def test_error_pages_speak_french(built_replica, datasette_server, path, title, message):
    status, document = fetched(datasette_server + path.format(name=built_replica.database.stem))
    assert status == int(title[-4:-1])
    words = chrome_of(document)
    assert_in_french(words, title, message, "Retour à l'accueil", where=path)
    assert "Error" not in words
    assert text_of(document.xpath("//h1")[0]) == title


def test_filters_and_errors_are_told_in_french():
    filters = Filters([("title__contains", "coop and co"), ("id__in", "1,2"),
                       ("rubric__isblank", "1")])
    english = filters.human_description_en(extra=['search matches "vélo"'])
    assert french_human_description(f"{english} sorted by date", filters, "vélo", "date") \
        == ("où la recherche trouve « vélo », title contient « coop and co », "
            "id parmi [« 1 », « 2 »] et rubric est vide, triées par date")
    # A clause it cannot tell again (here, a search in one column): its frame only.
    assert french_human_description('where search column "t" matches "x"', filters, "x") \
        == 'où search column "t" matches "x"'
    assert french_human_description("sorted by a b descending", filters, None, None, "a b") \
        == "triées par a b, décroissant"
    assert [french_lookup(display, key) for key, display, _ in filters.lookups()][:4] \
        == ["=", "≠", "contient", "se termine par"]
    assert french_lookup("near", "near") == "near"  # a plugin's filter: its own words
    assert french_error("no such column: x") == "no such column: x"  # SQLite's, as it is
    assert french_error("view-table").startswith("Accès refusé")
    too_long = french_error(Markup(
        '<p>SQL query took too long. The time limit is controlled by the\n<a href="https://docs.'
        'datasette.io/">sql_time_limit_ms</a>\nconfiguration option.</p>\n<textarea>select '
        '1</textarea>'))
    assert isinstance(too_long, Markup) and too_long.startswith("<p>Requête trop longue")
    assert '<a href="https://docs.datasette.io/">sql_time_limit_ms</a>' in too_long
    assert too_long.endswith("<textarea>select 1</textarea>")


def chromium_evaluate(url: str, expression: str, tmp_path) -> object:
    """What ``expression`` (JavaScript, a promise awaited) gives in the page at ``url`` once it
    has loaded, in a real headless Chromium driven through its DevTools pipe."""
    import os
    import select
    import subprocess
    import time

    from test_browser import CHROMIUM  # skips where Chromium is missing

    to_chromium, from_chromium = os.pipe(), os.pipe()
    # Chromium reads the pipe's calls on its fd 3 and answers on 4 (bash: sh reads no fd over 9).
    command = f'exec "$0" "$@" 3<&{to_chromium[0]} 4>&{from_chromium[1]}'
    process = subprocess.Popen(
        ["bash", "-c", command, CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'chromium-devtools'}",
         "--remote-debugging-pipe", "about:blank"],
        pass_fds=(to_chromium[0], from_chromium[1]), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.close(to_chromium[0])
    os.close(from_chromium[1])
    buffer, calls, deadline = b"", iter(range(1, 1000)), time.monotonic() + 60

    def message() -> dict:
        nonlocal buffer
        while b"\0" not in buffer:
            ready, _, _ = select.select([from_chromium[0]], [], [], deadline - time.monotonic())
            chunk = os.read(from_chromium[0], 65536) if ready else b""
            assert chunk, "Chromium said nothing in time"
            buffer += chunk
        line, buffer = buffer.split(b"\0", 1)
        return json.loads(line)

    def call(method: str, session: str | None = None, **params) -> dict:
        number = next(calls)
        os.write(to_chromium[1], json.dumps(
            {"id": number, "method": method, "params": params,
             **({"sessionId": session} if session else {})}).encode() + b"\0")
        while True:
            answer = message()
            if answer.get("id") == number:
                assert "error" not in answer, answer
                return answer["result"]

    try:
        target = call("Target.createTarget", url="about:blank")["targetId"]
        session = call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        call("Page.enable", session)
        call("Page.navigate", session, url=url)
        while message().get("method") != "Page.loadEventFired":
            pass
        result = call("Runtime.evaluate", session, expression=expression, awaitPromise=True,
                      returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")
    finally:
        os.close(to_chromium[1])
        os.close(from_chromium[0])
        process.terminate()
        process.wait(timeout=10)


#: Opens the column menu of a column that cannot be null (else the first), as a click does.
OPEN_COLUMN_MENU = """(async () => {
    const icons = Array.from(document.querySelectorAll(".rows-and-columns th .dropdown-menu-icon"));
    const icon = icons.find((i) => i.closest("th").dataset.columnNotNull == "1") || icons[0];
    icon.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const menu = document.querySelector(".dropdown-menu .dropdown-sort-asc").closest(".dropdown-menu");
    return {menu: menu.innerText, type: menu.querySelector(".dropdown-column-type").innerText,
            shown: menu.style.display};
})()"""


@pytest.mark.slow
def test_the_column_menu_speaks_french(built_replica, datasette_server, tmp_path):
    from test_browser import rendered_dom  # skips where Chromium is missing

    name = built_replica.database.stem
    url = f"{datasette_server}/{name}/articles?_nocol=lead&rubric__notblank=1"
    document = lxml.html.fromstring(rendered_dom(url, tmp_path))
    (menu,) = [found.getparent().getparent().getparent()
               for found in document.xpath("//a[@class='dropdown-sort-asc']")]
    assert [text_of(link) for link in menu.xpath(".//a")] == [
        "Trier par ordre croissant", "Trier par ordre décroissant", "Facette sur cette colonne",
        "Masquer cette colonne", "Afficher toutes les colonnes",
        "Seulement les lignes où elle n'est pas vide"]
    assert document.xpath("//div[@class='filter-row']/a/@aria-label")[:1] == ["Retirer ce filtre"]
    assert_in_french(chrome_of(document), "Retirer ce filtre", where="rendered table page")
    # The column's type, which table.js writes when the menu opens.
    opened = chromium_evaluate(url, OPEN_COLUMN_MENU, tmp_path)
    assert opened["shown"] == "block"
    assert opened["type"].startswith("Type de données : "), opened
    assert opened["type"].endswith(", toujours renseignée (NOT NULL)"), opened
    assert_in_french(opened["menu"], "Trier par ordre", where="opened column menu")
