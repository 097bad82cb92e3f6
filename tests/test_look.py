"""What researchers see in `scoparchive serve`, in French: a front page saying what the data is,
where and when it was crawled, and how to cite it; titled tables and views; charts of the views
drawn offline; articles that read as articles. Against the real server over the replica's
build, the charts in a real headless Chromium."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
import urllib.request

import lxml.html
import pytest
from conftest import get_json
from datasette.utils import tilde_encode

from scoparchive.publishing.look import VIEW_CHARTS, article_html, french_date, inline_html


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
