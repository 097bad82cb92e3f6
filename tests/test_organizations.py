"""Cooperatives named on the site: the pure module on hand-made pages, on every page of the
replica (rendered in-process, in every markup), and in the built SQLite and Parquet files."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from test_history import T1, SiteArchive

from scoparchive.dataset import organizations as organizations_module
from scoparchive.dataset.build import REPO_METADATA_TEMPLATE, build
from scoparchive.dataset.fragments import page_fragments
from scoparchive.dataset.history import History
from scoparchive.dataset.organizations import (
    LEGAL_FORMS,
    MIN_MATCH_LENGTH,
    SOURCES,
    OrganizationFinder,
    find_organizations,
    normalized_name,
    organization_id,
)
from scoparchive.dataset.reuse import PagesState
from scoparchive.items import Article, Initiative, ParsedPage
from scoparchive.pages import extract
from scoparchive.profiles import DEFAULT_PROFILE
from scoparchive.replica.app import ReplicaApp
from scoparchive.replica.model import ReplicaSite
from scoparchive.replica.render import MARKUPS

BASE = "http://127.0.0.1:8000/"


def article(slug: str, body: str, *, title: str = "Un titre", lead: str | None = None,
            published: date | None = date(2020, 4, 4),
            items: tuple[Initiative, ...] = ()) -> tuple[str, ParsedPage]:
    """An article page; a roundup's body holds its items, as the page objects give it."""
    url = BASE + slug
    body = body or "\n\n".join(f"{i.heading_raw}\n\n{i.description}" for i in items)
    record = Article(url, title, published_date=published, lead=lead, body_text=body)
    page_type = "roundup" if items else "article"
    return url, ParsedPage(url, page_type, title, article=record, initiatives=list(items))


def item(position: int, name: str, codes: list[str], description: str) -> Initiative:
    heading = f"{name} ({' et '.join(codes)})"
    return Initiative(position, name, heading, departments=codes, description=description)


def organizations(*pages: tuple[str, ParsedPage]) -> dict:
    found, _ = find_organizations(pages)
    return {organization.id: organization for organization in found}


# --- the merge key ----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "key"), [
    ("La MedNum", "mednum"),
    ("la Scic MedNum", "mednum"),
    ("MedNum", "mednum"),
    ("Mell’Pop", "mell pop"),
    ("Mell'Pop", "mell pop"),
    ("Les Maçons parisiens", "macons parisiens"),
    ("Bâtisseurs d'Île-de-France", "batisseurs d ile de france"),
    ("L'association Gâtinais en transition", "gatinais en transition"),
    ("Cœur de Loire", "coeur de loire"),
    ("NAHé  Cosmétiques", "nahe cosmetiques"),
    ("EBS Le Relais Val de Seine", "ebs le relais val de seine"),
])
def test_the_merge_key_folds_articles_forms_accents_and_punctuation(name, key):
    assert normalized_name(name) == key


def test_the_id_is_a_slug_of_the_key():
    assert organization_id(normalized_name("Bâtisseurs d'Île-de-France")) \
        == "batisseurs-d-ile-de-france"


# --- headings ---------------------------------------------------------------------------------

def test_a_joint_heading_is_split_when_its_parts_stand_as_names():
    found = organizations(article("solidaires", "", items=(
        item(1, "Artefacts et CEFIM", ["45", "37"],
             "Une formation co-animée par le CEFIM et la CAE Artefacts."),
        item(2, "CEFIM", ["37"], "Le CEFIM imprime des masques."),
    )))
    assert set(found) == {"artefacts", "cefim"}
    assert found["cefim"].departments == ["37", "45"]  # every code of the joint heading
    assert found["artefacts"].departments == ["37", "45"]
    assert found["cefim"].mention_count == 1  # two items, one page


def test_a_part_named_alone_in_the_description_stands_as_a_name():
    found = organizations(article("a", "", items=(
        item(1, "Alpha et Beta", ["75", "92"], "Alpha prête ses locaux, Beta cuisine."),
    )))
    assert set(found) == {"alpha", "beta"}


@pytest.mark.parametrize(("name", "description"), [
    ("Pain et Partage", "Pain et Partage livre du pain aux soignants."),
    ("Terre, Mer", "Terre, Mer ouvre une boutique."),
    ("Gâtinais en transition", "Gâtinais en transition fabrique des visières."),
    ("Dire le travail", "Le Travail de chacun compte pour Dire le travail."),
    ("Artisans du Val de Loire", "Artisans du Val de Loire ouvre une boutique."),
])
def test_a_heading_stays_whole_unless_its_parts_stand_alone(name, description):
    found = organizations(article("a", "", items=(item(1, name, ["45"], description),)))
    assert [organization.name for organization in found.values()] == [name]


def test_a_heading_starting_with_a_legal_form_gives_the_form():
    found = organizations(article("a", "", items=(
        item(1, "Scic Habitat Partagé", ["75"], "Des habitats pour personnes âgées."),)))
    assert found["habitat-partage"].name == "Habitat Partagé"
    assert found["habitat-partage"].legal_form == "Scic"


# --- legal-form mentions ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "name", "form"), [
    ("Depuis 2011, la Scop Atelier Lumen éclaire théâtres et musées.", "Atelier Lumen", "Scop"),
    ("Le groupement est piloté par la Scop Bâtisseurs d'Île-de-France (93).",
     "Bâtisseurs d'Île-de-France", "Scop"),
    ("Implantée à Chanteloup, la Scop EBS Le Relais Val de Seine emploie 165 salariés.",
     "EBS Le Relais Val de Seine", "Scop"),
    ("Sur huit hectares, la Scic Les Jardins de Beauce cultive des légumes.",
     "Les Jardins de Beauce", "Scic"),
    ("Nathalie Girard, cogérante de la CAE Coopaname, a été élue.", "Coopaname", "CAE"),
    ("Il travaille avec l’association Aurore.", "Aurore", "association"),
    ("Présidente : Nathalie Girard (CAE Coopaname, 75).", "Coopaname", "CAE"),
    ("Prix de l'innovation sociale : Scic Habitat Partagé (75)", "Habitat Partagé", "Scic"),
    ("Ils ont rejoint la coopérative Ouvrière Verrière en mai.", "Ouvrière Verrière", "other"),
])
def test_a_legal_form_mention_names_a_capitalised_name(text, name, form):
    (found,) = organizations(article("a", text)).values()
    assert (found.name, found.legal_form) == (name, form)
    assert found.legal_form_evidence == text
    assert found.legal_form_evidence_url == BASE + "a"


@pytest.mark.parametrize("text", [
    "Trente ans plus tard, la Scop emploie 22 personnes.",
    "Cette Scop d'Ajaccio fabrique des savons.",
    "La coopérative d'activité et d'emploi (CAE) attire des porteurs de projet.",
    "Une Scic, pourquoi ? Les Scop et Scic de la région ouvrent leurs portes.",
    "Le tribunal a tranché en faveur du projet Scop pour l'usine Duralex.",
    "Retrouvez la sélection sur la page Facebook de la Scop !",
    "L'Union régionale des Scop Ile-de-France publie son bilan.",
    "Le 14 novembre, soirée « Reprendre en Scop » à Paris.",
])
def test_a_legal_form_word_without_a_name_names_nothing(text):
    assert organizations(article("a", text)) == {}


def test_a_name_known_from_a_heading_beats_the_capitals_rule():
    found = organizations(article("a", "", items=(item(
        1, "Dire le travail", ["75"],
        "La Scic Dire le travail lance un appel à témoignages."),)))
    assert list(found) == ["dire-le-travail"]
    assert found["dire-le-travail"].legal_form == "Scic"
    assert found["dire-le-travail"].legal_form_evidence \
        == "La Scic Dire le travail lance un appel à témoignages."


# --- legal forms ------------------------------------------------------------------------------

def test_the_form_of_a_single_item_comes_from_its_unnamed_mentions():
    found = organizations(article("a", "", items=(
        item(1, "France Barter", ["75"], "Les dirigeants s'inscrivent, la Scop les accueille."),
        item(2, "Le Fil Solidaire", ["93"], "Atelier de couture, la Scic propose des sacs."),
        item(3, "Artisans du Val de Loire", ["45"], "Ils ont choisi la forme Scic."),
        item(4, "Brasserie des Coteaux", ["41"], "Des bières brassées par une Scop."),
        item(5, "Vanille de Lifou", ["988"], "Cette coopérative de producteurs vend sa vanille."),
        item(6, "Groupe Up", ["92"], "Le Groupe Up émet des chèques."),
    )))
    forms = {key: organization.legal_form for key, organization in found.items()}
    assert forms == {"france-barter": "Scop", "fil-solidaire": "Scic",
                     "artisans-du-val-de-loire": "Scic",
                     "brasserie-des-coteaux": "other",  # "une Scop" may be another one
                     "vanille-de-lifou": "other", "groupe-up": "other"}
    assert found["vanille-de-lifou"].legal_form_evidence.startswith("Cette coopérative")
    assert found["groupe-up"].legal_form_evidence is None


def test_an_association_heading_for_a_scic_stays_an_association():
    found = organizations(article("a", "", items=(item(
        1, "Mell'Pop", ["45"], "L'association Mell'Pop (incubée chez Alter'Incub en vue "
        "d'une transformation en Scic) fait revivre Melleroy."),)))
    assert found["mell-pop"].legal_form == "association"


def test_the_most_specific_evidence_wins():
    found = organizations(
        article("old", "La Scop Coopaname accueille des entrepreneurs.",
                published=date(2024, 1, 1)),
        article("new", "Nathalie Girard, de la CAE Coopaname, préside.",
                published=date(2019, 1, 1)),
        article("cooperative", "La coopérative Kafé Lontan torréfie.", published=date(2024, 1, 1)),
        article("roundup", "", published=date(2021, 1, 1), items=(
            item(1, "Kafé Lontan", ["974"], "La Scop réunionnaise torréfie du café."),
            item(2, "Jardins de Beauce", ["28"], "La Scop livre des paniers."),
        )),
        article("beauce", "La Scic Les Jardins de Beauce cultive.", published=date(2017, 1, 1)),
    )
    assert found["coopaname"].legal_form == "CAE"  # a CAE is a Scop (or a Scic)
    assert found["kafe-lontan"].legal_form == "Scop"  # a form over "coopérative"
    assert found["jardins-de-beauce"].legal_form == "Scic"  # named over unnamed
    assert found["jardins-de-beauce"].legal_form_evidence_url == BASE + "beauce"


def test_the_latest_of_two_equal_evidences_wins():
    found = organizations(
        article("before", "L'association Mell'Pop ouvre une épicerie.", published=date(2020, 1, 1)),
        article("after", "La Scic Mell'Pop fête ses deux ans.", published=date(2023, 1, 1)),
    )
    assert found["mell-pop"].legal_form == "Scic"


# --- names found again in running text ----------------------------------------------------------

def heading_and_text(name: str, text: str) -> dict:
    return organizations(
        article("roundup", "", items=(item(1, name, ["75"], "Une initiative."),)),
        article("later", text, published=date(2021, 1, 1)),
    )


@pytest.mark.parametrize(("name", "text", "mentioned"), [
    ("Plateau urbain", "Plateau Urbain gère les Grands Voisins.", True),
    ("Plateau urbain", "Un plateau urbain réaménagé.", False),  # lower case: a common phrase
    ("NAHé Cosmétiques", "La marque de Nahe Cosmetiques se vend bien.", True),  # no accents
    ("La MedNum", "Avec la MedNum, les médiateurs se forment.", True),
    ("Lumen", "Les Lumenvilles s'éclairent.", False),  # whole words only
    ("Envie de Lire", "Accueillie par la librairie Envie de Lire, la rencontre...", True),
    ("Ino", "Ino ouvre une boutique.", False),  # shorter than MIN_MATCH_LENGTH
])
def test_known_names_are_found_again_capitalised_whole_and_long_enough(name, text, mentioned):
    found = heading_and_text(name, text)
    (organization,) = found.values()
    assert organization.mention_count == (2 if mentioned else 1)


def test_the_minimum_length_is_counted_in_letters():
    assert len(normalized_name("Ino")) < MIN_MATCH_LENGTH <= len("cefim")


def test_mentions_keep_the_strongest_source_of_each_page_and_its_context():
    pages = (
        article("roundup", "Plateau urbain (75)\nLa Scic Plateau Urbain gère un lieu.",
                published=date(2020, 4, 4),
                items=(item(1, "Plateau urbain", ["75"], "La Scic Plateau Urbain gère un lieu."),)),
        article("portrait", "Avant tout, la Scic Plateau Urbain ouvre des lieux. Plateau Urbain "
                "recrute.", published=date(2022, 1, 1)),
        article("agenda", "Une visite chez Plateau Urbain le 3 mai.", published=date(2019, 5, 1)),
    )
    found, mentions = find_organizations(pages)
    (organization,) = found
    assert [(m.page_url, m.source, m.context) for m in mentions] == [
        (BASE + "agenda", "name_match", "Une visite chez Plateau Urbain le 3 mai."),
        (BASE + "portrait", "legal_form", "Avant tout, la Scic Plateau Urbain ouvre des lieux."),
        (BASE + "roundup", "heading", "Plateau urbain (75)"),
    ]
    assert organization.mention_count == 3
    assert organization.first_mentioned == date(2019, 5, 1)
    assert organization.name == "Plateau Urbain"  # twice in legal-form mentions, once a heading
    assert organization.name_variants == ["Plateau Urbain", "Plateau urbain"]


def test_pages_without_an_article_and_undated_pages():
    listing = ParsedPage(BASE + "actualites", "listing", "Actualités")
    found = organizations(
        (listing.url, listing),
        article("qui-sommes-nous", "Présidente : Nathalie Girard (CAE Coopaname, 75).",
                published=None),
    )
    assert found["coopaname"].first_mentioned is None
    assert found["coopaname"].mention_count == 1


def test_long_contexts_are_cut_around_the_mention():
    text = ("Au cours d'une très longue journée " * 12 + "la Scop Atelier Lumen a présenté "
            + "ses travaux de mise en lumière des berges " * 12 + ".")
    (organization,) = organizations(article("a", text)).values()
    evidence = organization.legal_form_evidence
    assert evidence.startswith("…") and evidence.endswith("…")
    assert "la Scop Atelier Lumen a présenté" in evidence and len(evidence) <= 245


def test_the_result_does_not_depend_on_the_order_of_the_pages():
    pages = [
        article("a", "La Scop Atelier Lumen éclaire.", published=date(2016, 1, 1)),
        article("b", "Le 7 novembre, la Scop Atelier Lumen ouvre.", published=date(2019, 1, 1)),
        article("c", "", items=(item(1, "Artefacts et CEFIM", ["45", "37"], "Le CEFIM et la CAE "
                                     "Artefacts."), item(2, "CEFIM", ["37"], "Le CEFIM."))),
    ]
    assert find_organizations(pages) == find_organizations(reversed(pages))


def test_the_search_in_a_pool_of_processes_finds_what_it_finds_here(monkeypatch):
    pages = replica_pages("wordpress")
    here = OrganizationFinder()
    for url, page in pages:
        here.add(url, page)
    expected = here.finish()
    monkeypatch.setattr(organizations_module, "PAGES_PER_TASK", 3)  # many tasks, results interleaved
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        pooled = OrganizationFinder(mapper=pool.imap)
        for url, page in pages:
            pooled.add(url, page)
        assert pooled.finish() == expected
    assert expected[0] and expected[1]


def test_texts_found_again_in_the_pages_state_give_what_texts_held_here_give(tmp_path):
    pages = [(url, page_fragments(url, page)["organizations"])
             for url, page in replica_pages("wordpress")]
    here = OrganizationFinder()
    for url, fragment in pages:
        here.add_fragment(url, fragment)
    expected = here.finish()
    state = PagesState(tmp_path / "pages-state.sqlite", "code", History(parse=None))
    asked: list[str] = []
    packed_texts = state.packed_texts
    state.packed_texts = lambda urls: (asked.extend(urls), packed_texts(urls))[1]
    stored = OrganizationFinder(texts=state)
    for url, fragment in pages:
        state.add(url, stored.add_fragment(url, fragment))
    assert stored.finish() == expected
    state.close()
    assert expected[0] and expected[1]
    articles = sorted(url for url, fragment in pages if fragment is not None)
    assert sorted(set(asked)) == articles and len(asked) == 2 * len(articles)  # once per search


# --- the replica ------------------------------------------------------------------------------

def replica_pages(markup: str) -> list[tuple[str, ParsedPage]]:
    site = ReplicaSite.load(clock=lambda: 1_700_000_000.0)
    app = ReplicaApp(site, markup, BASE)
    profile = DEFAULT_PROFILE.with_base_url(BASE)
    pages = []
    for path in site.html_paths():
        reply = app.handle(path)
        url = BASE.rstrip("/") + path
        pages.append((url, extract(url, reply.body, profile=profile,
                                   content_type=reply.content_type)))
    return pages


@pytest.fixture(scope="module")
def replica():
    found, mentions = find_organizations(replica_pages("drupal"))
    return {organization.id: organization for organization in found}, mentions


def test_replica_cefim_is_one_organisation_in_37_and_45(replica):
    found, mentions = replica
    cefim = [organization for organization in found.values() if "cefim" in organization.id]
    assert [organization.name for organization in cefim] == ["CEFIM"]
    assert cefim[0].departments == ["37", "45"]
    assert found["artefacts"].departments == ["37", "45"]
    assert [m.source for m in mentions if m.organization_id == "cefim"] == ["heading"]


@pytest.mark.parametrize(("id_", "form", "evidence"), [
    ("dire-le-travail", "Scic", "La Scic Dire le travail lance"),
    ("mednum", "Scic", "La Scic MedNum, coopérative nationale"),
    ("mell-pop", "association", "L'association Mell'Pop (incubée"),
    ("artefacts", "CAE", "la CAE Artefacts"),
    ("gatinais-en-transition", "association", "L’association Gâtinais en transition"),
    ("plateau-urbain", "Scic", "La Scic Plateau Urbain"),
    ("nahe-cosmetiques", "Scop", "La Scop NAHé Cosmétiques"),
    ("coopaname", "CAE", "la CAE Coopaname"),
    ("savonnerie-du-maquis", "Scop", "Cette Scop d'Ajaccio"),
    ("france-barter", "Scop", "la Scop les accueillera"),
    ("groupe-up", "other", None),
])
def test_replica_legal_forms(replica, id_, form, evidence):
    organization = replica[0][id_]
    assert organization.legal_form == form
    if evidence is None:
        assert organization.legal_form_evidence is None
    else:
        assert evidence in organization.legal_form_evidence


def test_replica_names_are_merged_and_never_split_inside(replica):
    found, _ = replica
    names = {organization.name for organization in found.values()}
    assert {"La MedNum", "Gâtinais en transition", "Dire le travail", "Plateau urbain",
            "Artisans du Val de Loire", "Les Ateliers du Grand Paris",
            "EBS Le Relais Val de Seine", "Les Jardins de Beauce"} <= names
    assert set(found["mednum"].name_variants) == {"La MedNum", "MedNum"}
    assert found["jardins-de-beauce"].departments == []  # no roundup item names it


def test_replica_no_organisation_is_named_after_a_common_word(replica):
    found, _ = replica
    common = {"scop", "scic", "cae", "cooperative", "association", "entreprise", "union",
              "union regionale", "region", "france", "paris", "etat", "reseau", "le", "la",
              "les", "ajaccio", "bonfinement"}
    for organization in found.values():
        assert organization.normalized_name not in common, organization
        assert organization.normalized_name.split()[0] not in {"d", "l", "de", "du", "des"}
        assert organization.name[0].isupper(), organization
        assert organization.legal_form in LEGAL_FORMS


@pytest.mark.parametrize(("id_", "pages", "first"), [
    ("jardins-de-beauce", 5, date(2017, 9, 21)),
    ("coopaname", 3, date(2019, 6, 20)),
    ("atelier-lumen", 3, date(2016, 11, 17)),
    ("kafe-lontan", 2, date(2018, 12, 13)),  # the prize article, before the roundup
    ("envie-de-lire", 2, date(2021, 12, 9)),
    ("cefim", 1, date(2020, 4, 4)),
    ("mednum", 1, date(2020, 4, 4)),
])
def test_replica_mention_counts(replica, id_, pages, first):
    found, mentions = replica
    assert found[id_].mention_count == pages
    assert sum(1 for mention in mentions if mention.organization_id == id_) == pages
    assert found[id_].first_mentioned == first


def test_replica_counts_and_integrity(replica):
    found, mentions = replica
    assert len(found) == 35 and len(mentions) == 54
    assert {mention.organization_id for mention in mentions} == set(found)
    assert all(mention.source in SOURCES for mention in mentions)
    for organization in found.values():
        assert organization.id == organization_id(organization.normalized_name)
        assert organization.mention_count == sum(
            1 for mention in mentions if mention.organization_id == organization.id)


def test_replica_organisations_do_not_depend_on_the_markup(replica):
    expected = find_organizations(replica_pages("drupal"))
    for markup in MARKUPS:
        assert find_organizations(replica_pages(markup)) == expected, markup


# --- the built datasets -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("organizations")
    SiteArchive(base / "archive").run("run-1", T1)
    return build(base / "archive", base / "out")


def test_sqlite_holds_the_organisations_and_their_mentions(built):
    with sqlite3.connect(built.database) as db:
        db.row_factory = sqlite3.Row
        cefim = db.execute("select * from organizations where id = 'cefim'").fetchone()
        assert json.loads(cefim["departments"]) == ["37", "45"]
        assert (cefim["legal_form"], cefim["first_mentioned"]) == ("other", "2020-04-04")
        forms = dict(db.execute("select id, legal_form from organizations"))
        assert forms["mednum"] == forms["dire-le-travail"] == "Scic"
        assert forms["mell-pop"] == "association" and forms["artefacts"] == "CAE"
        assert db.execute("select count(*) from mentions").fetchone()[0] \
            == db.execute("select sum(mention_count) from organizations").fetchone()[0]
        assert db.execute("pragma foreign_key_check").fetchall() == []
        (found,) = db.execute("select o.id from organizations_fts f join organizations o "
                              "on o.rowid = f.rowid where organizations_fts match 'gatinais'"
                              ).fetchone()
        assert found == "gatinais-en-transition"


def test_the_cooperative_canned_queries_answer(built):
    template = yaml.safe_load(REPO_METADATA_TEMPLATE.read_text(encoding="utf-8"))
    queries = template["database"]["queries"]
    with sqlite3.connect(built.database) as db:
        most = db.execute(queries["cooperatives_mentioned_most"]["sql"]).fetchall()
        in_37 = db.execute(queries["cooperatives_in_department"]["sql"], {"code": "37"})
        assert most[0][0] == "Les Jardins de Beauce"
        assert {row[0] for row in in_37} >= {"CEFIM", "Artefacts", "Freebulle"}


def test_parquet_holds_the_organisations_with_their_types(built):
    organizations = pq.read_table(built.out_dir / "parquet" / "organizations.parquet")
    assert organizations.schema.field("departments").type == pa.list_(pa.string())
    assert organizations.schema.field("first_mentioned").type == pa.date32()
    rows = {row["id"]: row for row in organizations.to_pylist()}
    assert rows["cefim"]["departments"] == ["37", "45"]
    assert rows["mednum"]["legal_form"] == "Scic"
    mentions = pq.read_table(built.out_dir / "parquet" / "mentions.parquet")
    assert mentions.num_rows == sum(row["mention_count"] for row in rows.values())
    assert set(mentions.column("organization_id").to_pylist()) == set(rows)
