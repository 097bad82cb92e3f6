"""Every table of the datasets, declared once.

The Parquet schemas, the SQLite tables and their full-text indexes, ``datapackage.json`` and the
column descriptions that Datasette shows are all generated from the declarations below. Add a
column here and every output gains it; never declare a column anywhere else.

Renaming a column of the data contract (pages, articles, initiatives, crawl_runs, page_versions)
breaks the notebooks and the tools of others: add, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

SCHEMA_VERSION = "1.0.0"

#: Logical types, and how each one is stored in every output.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "list<string>": pa.list_(pa.string()),
}
#: SQLite has no date, list or boolean types: dates are ISO 8601 text, lists are JSON arrays.
SQLITE_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": int,
    "date": str,
    "datetime": str,
    "list<string>": str,
}
#: Table Schema (Data Package v2) types. A list of strings is a native Parquet list, which v2
#: would call ``list`` (or ``array``); but frictionless-py (5.21) reads Parquet through pandas,
#: which hands it numpy arrays that both types reject, so ``frictionless validate`` would fail
#: every row. ``any`` validates, and the field's ``scoparchive:type`` keeps the exact type.
FRICTIONLESS_TYPES: dict[str, str] = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "list<string>": "any",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    references: str | None = None  # "table.column"
    unit: str | None = None
    facet: bool = False  # offered as a facet in Datasette, and indexed in SQLite
    example: str | None = None

    def __post_init__(self):
        if self.type not in ARROW_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    #: Columns indexed for full-text search (FTS5, diacritics folded), in ``{name}_fts``; its
    #: column ``stemmed`` (``scoparchive.stemming.STEMS_COLUMN``) indexes their French
    #: stems too, so that singular and plural meet.
    full_text: tuple[str, ...] = ()
    #: The default sort in Datasette, newest first where it makes sense.
    sort_desc: str | None = None
    #: The default sort in Datasette, ascending (a column of distinct values: Datasette pages
    #: on past equal values by the primary key).
    sort: str | None = None
    label_column: str | None = None
    extra_indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    #: The column naming the page a row comes from, in the tables whose rows each come from one
    #: page's own history (its versions, its latest content): a build reuses the previous
    #: build's rows of a page whose history did not change. None: a table built whole.
    page_column: str | None = None

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def arrow_schema(self) -> pa.Schema:
        fields = [
            pa.field(
                column.name,
                ARROW_TYPES[column.type],
                nullable=not (column.required or column.name in self.primary_key),
                metadata={"description": column.description},
            )
            for column in self.columns
        ]
        return pa.schema(fields, metadata={"description": self.description})

    def sqlite_columns(self) -> dict[str, type]:
        return {column.name: SQLITE_TYPES[column.type] for column in self.columns}

    def foreign_keys(self) -> list[tuple[str, str, str]]:
        return [
            (column.name, *column.references.split("."))
            for column in self.columns
            if column.references
        ]

    def indexed_columns(self) -> list[tuple[str, ...]]:
        singles = [
            (column.name,)
            for column in self.columns
            if (column.facet or column.references) and (column.name,) != self.primary_key
        ]
        return singles + list(self.extra_indexes)


def _col(name, type_, description, **options) -> Column:
    return Column(name, type_, description, **options)


URL = "URL canonique de la page (hôte sans www, sans fragment ni paramètre de suivi)."


def _site(what: tuple[str, str], facet: bool = True) -> Column:
    """The column ``site``: the site (its profile's name, ``scoparchive.profiles``) of ``what``
    (in French, in English). Every table of a build of several sites (one union's, or the
    network's) has it, right after its key; a facet, and indexed, where researchers compare
    sites."""
    return _col("site", "string", f"Site d'union {what[0]}, par le nom de son profil "
                "(les-scop-idf, les-scop-ouest, scopoccitanie, les-cae) : la colonne qui sépare "
                "les unions dans une base du réseau. / The union's site "
                f"{what[1]}, named by its profile.", required=True, facet=facet,
                example="les-scop-idf")


def _archived_url(which: tuple[str, str]) -> Column:
    """The column archived_url, of the capture ``which`` names (in French, in English)."""
    return _col("archived_url", "string", f"La page telle qu'archivée, {which[0]}, rejouée "
                "hors ligne par pywb derrière `scoparchive serve` : une adresse relative à ce "
                "serveur, /archive/<date de la capture, 14 chiffres, UTC>/<URL>. / The page as "
                f"archived, {which[1]}, replayed offline by pywb behind `scoparchive serve`: "
                "an address relative to that server; url keeps the live one.",
                example="/archive/20261201093000/https://les-scop-idf.coop/page")


PAGES = Table(
    name="pages",
    title="Pages",
    description="Toutes les pages jamais archivées, une ligne par URL canonique, dans leur dernier "
    "état connu. Une page qui a quitté le site garde sa ligne, avec sa date de retrait "
    "(removed_at).",
    primary_key=("url",),
    sort_desc="last_seen",
    label_column="title",
    columns=(
        _col("url", "string", URL, required=True),
        _site(("de la page", "of the page")),
        _col("page_type", "string", "Type trouvé par le classifieur : home (accueil), listing "
             "(liste), article, roundup (recensement), press_listing (liste presse), programme, "
             "static (page fixe), legacy_article (article de l'ancien site) ou "
             "unknown (inconnu).", facet=True),
        _col("title", "string", "Titre de la page, tel que publié."),
        _col("http_status", "integer", "Statut HTTP de la dernière capture.", facet=True),
        _col("content_type", "string", "Type de média de la dernière capture (sans paramètres)."),
        _col("fetched_at", "datetime", "Heure de la dernière capture (UTC)."),
        _col("content_sha256", "string", "SHA-256 du dernier contenu reçu, décodé (hexadécimal)."),
        _col("content_fingerprint", "string", "SHA-256 du contenu propre de la page, extrait, sans "
             "le gabarit qui l'entoure : une nouvelle valeur signifie une nouvelle version."),
        _col("first_seen", "datetime", "Première capture de la page avec un contenu (UTC)."),
        _col("last_seen", "datetime", "Dernière capture qui a trouvé la page sur le site (UTC)."),
        _col("removed_at", "datetime", "Capture qui a trouvé la page disparue (404, 410 ou "
             "redirigée ailleurs) ; vide tant que la page est en ligne."),
        _col("redirect_to", "string", "Cible de la redirection, pour les pages redirigées."),
        _col("version_count", "integer", "Nombre de contenus distincts capturés pour la page."),
        _col("warc_record_id", "string", "WARC-Record-ID de la dernière capture."),
        _col("warc_file", "string", "Fichier WARC qui contient la dernière capture."),
        _archived_url(("sa dernière version (la capture qui l'a montrée la première)",
                       "its latest version (the capture that first showed it)")),
    ),
)

ARTICLES = Table(
    name="articles",
    page_column="url",
    title="Articles",
    description="Actualités, portraits, éditos, communiqués de presse et pages de recensement : la "
    "dernière version de chaque article.",
    primary_key=("url",),
    full_text=("title", "lead", "body_text"),
    sort_desc="published_date",
    label_column="title",
    columns=(
        _col("url", "string", URL, required=True, references="pages.url"),
        _site(("de l'article", "of the article")),
        _col("page_type", "string", "article, roundup (recensement), programme ou legacy_article "
             "(article de l'ancien site).", facet=True),
        _col("title", "string", "Titre, tel que publié."),
        _col("rubric", "string", "Rubrique au-dessus du titre, quand il y en a une.", facet=True),
        _col("published_date", "date", "Date de publication (ISO 8601), d'après la ligne de date "
             "JJ MM AAAA, une date en français dans le texte, ou la date d'une URL de l'ancien "
             "site."),
        _col("published_date_raw", "string", "La date telle qu'écrite sur la page ou dans l'URL.",
             example="04 04 2020"),
        _col("published_year", "integer", "Année de publication.", facet=True),
        _col("lead", "string", "Chapô (paragraphe d'introduction)."),
        _col("body_text", "string", "Texte du corps de l'article, sans en-tête, navigation, "
             "renvois vers d'autres articles, pied de page, noms d'images ni crédits."),
        _col("body_markdown", "string", "Le corps en Markdown, avec ses intertitres."),
        _col("word_count", "integer", "Mots de body_text.", unit="words"),
        _col("image_count", "integer", "Images du corps de l'article.", unit="images"),
        _col("initiative_count", "integer", "Initiatives listées, sur les pages de recensement.",
             unit="initiatives"),
        _col("extraction", "string", "Comment chaque champ a été trouvé (JSON : champ → méthode). "
             "D'abord les repères du site (selector, landmark, url), puis les métadonnées standard "
             "de la page (json-ld, microdata, opengraph, meta, time, heading, title-tag, "
             "structure), puis des bibliothèques (trafilatura, htmldate) ; un champ qu'aucune ne "
             "trouve reste vide."),
        _col("captured_at", "datetime", "Capture dont vient cette version (UTC)."),
        _archived_url(("cette version-ci (captured_at)", "this version (captured_at)")),
    ),
)

INITIATIVES = Table(
    name="initiatives",
    page_column="article_url",
    title="Initiatives",
    description="Initiatives de coopératives listées sur les pages de recensement (comme "
    "#ScopetScicSolidaires) : une ligne par initiative, d'après la dernière version de chaque "
    "page.",
    primary_key=("id",),
    full_text=("name", "description"),
    label_column="name",
    columns=(
        _col("id", "string", "Identifiant stable : l'URL de l'article et la position de "
             "l'initiative.",
             required=True),
        _site(("dont la page de recensement liste l'initiative",
               "whose roundup page lists the item")),
        _col("article_url", "string", "Page de recensement qui liste l'initiative.", required=True,
             references="articles.url"),
        _col("position", "integer", "Position de l'initiative sur la page, à "
             "partir de 1.", required=True),
        _col("name", "string", "Nom de la ou des coopératives, d'après le titre de l'initiative."),
        _col("heading_raw", "string", "Le titre de l'initiative tel qu'écrit.",
             example="Artefacts et CEFIM (45 et 37)"),
        _col("departments", "list<string>", "Codes de département écrits dans le titre, en texte "
             "(\"45\", \"2A\", \"974\") ; un tableau JSON dans SQLite. Une initiative qui nomme "
             "une ville à la place n'en a pas ici : comptez par all_departments."),
        _col("department", "string", "Le premier de all_departments : le premier code du titre, "
             "sinon le département de la ville. Le département de region, latitude et longitude.",
             facet=True, references="departments.code"),
        _col("region", "string", "Région du premier département (ou du département de la ville, "
             "pour une initiative qui nomme une ville). Pour compter par région : regions.",
             facet=True),
        _col("regions", "list<string>", "Les régions de tous ses départements (all_departments), "
             "chacune une fois : la colonne des comptes par région (facette, vue "
             "initiatives_by_region). / The regions of all its departments, each once: the "
             "column every count by region uses.", example='["Centre-Val de Loire"]'),
        _col("place", "string", "Ville donnée entre parenthèses à la place des codes de "
             "département.",
             example="Ivry"),
        _col("place_department", "string", "Département de cette ville, quand son nom est sans "
             "ambiguïté."),
        _col("all_departments", "list<string>", "Tous les départements de l'initiative : les "
             "codes du titre, puis le département de la ville quand le titre ne le donne pas "
             "(Envie de Lire (Ivry) → [\"94\"]). C'est la colonne des comptes par département "
             "(facette, vues, requêtes). / Every department of the item: the heading's codes, "
             "then the town's department when the heading does not state it. The column every "
             "count by department uses (facet, views, queries); a JSON array in SQLite.",
             example='["45", "37"]'),
        _col("departments_source", "string", "D'où viennent les départements : heading (codes "
             "écrits dans le titre), town (déduit de la ville : Ivry → 94), heading+town (les "
             "deux : la ville ajoute un département que le titre ne donne pas) ; vide sans "
             "département. / Where all_departments comes from: heading (codes stated), town "
             "(derived from the town alone), heading+town (the town adds one).", facet=True),
        _col("description", "string", "Texte de l'initiative."),
        _col("emails", "list<string>", "Adresses électroniques de l'initiative."),
        _col("phones", "list<string>", "Numéros de téléphone de l'initiative (E.164)."),
        _col("urls", "list<string>", "Adresses web de l'initiative."),
        _col("latitude", "number", "Latitude de la préfecture du premier département, ou du "
             "département de la ville (une position approchée, pour les cartes).", unit="degrees"),
        _col("longitude", "number", "Longitude de la préfecture du même département.",
             unit="degrees"),
        _col("published_date", "date", "Date de publication de la page de recensement."),
        _col("extraction_method", "string", "Comment l'initiative a été trouvée : landmark (un "
             "titre « Nom (75) » de la page de recensement) ou selector (sélecteur).", facet=True),
        _archived_url(("la dernière version de la page qui la liste",
                       "the latest version of the page listing it")),
        _col("sort_key", "string", "Ordre par défaut : date de la page, page, puis position "
             "sur quatre chiffres, pour que #2 vienne avant #10. / Default order: the roundups "
             "by date, each one's items in page order (the id sorts #1, #10, #2).",
             required=True, example="2020-04-04 https://les-scop-idf.coop/scopetscicsolidaires "
             "#0002"),
    ),
    sort="sort_key",
    extra_indexes=(("sort_key",),),
)

ORGANIZATIONS = Table(
    name="organizations",
    title="Coopératives",
    description="Coopératives et autres organisations nommées sur le site, d'après les titres des "
    "initiatives et le texte des articles (mentions de forme juridique comme « la Scic X », et "
    "noms déjà connus retrouvés), les variantes d'un nom réunies : une ligne par organisation.",
    primary_key=("id",),
    full_text=("name",),
    label_column="name",
    columns=(
        _col("id", "string", "Identifiant stable : normalized_name, des tirets à la place des "
             "espaces.",
             required=True, example="mednum"),
        _col("site", "string", "Le site d'union qui la nomme sur le plus de pages (le premier "
             "par ordre alphabétique à égalité) ; tous dans sites. Une organisation nommée par "
             "plusieurs unions est une seule ligne : ses noms sont réunis sur tout le réseau. / "
             "The union's site naming it on the most pages; every one in sites (an "
             "organisation is one row across the network).", required=True, facet=True,
             example="les-scop-idf"),
        _col("sites", "list<string>", "Tous les sites d'union qui la nomment, par ordre "
             "alphabétique ; un tableau JSON dans SQLite. / Every union's site naming it.",
             example='["les-scop-idf", "les-scop-ouest"]'),
        _col("name", "string", "Le nom le plus fréquent, tel qu'écrit dans les titres et les "
             "mentions de forme juridique (le premier en cas d'égalité).", example="La MedNum"),
        _col("normalized_name", "string", "Clé de regroupement : minuscules, sans accents, "
             "ponctuation remplacée par des espaces, sans article initial ni mots de forme "
             "juridique.", required=True,
             example="mednum"),
        _col("legal_form", "string", "Scop, Scic, CAE, association, ou other (autre) quand le "
             "texte ne le dit pas (ou dit seulement coopérative).", facet=True),
        _col("legal_form_evidence", "string", "Le texte qui donne la forme juridique.",
             example="La Scic MedNum, coopérative nationale des acteurs du numérique, ..."),
        _col("legal_form_evidence_url", "string", "Page qui contient ce texte.",
             references="pages.url"),
        _col("departments", "list<string>", "Codes de département des initiatives qui nomment "
             "l'organisation (tous les codes d'un titre qui en nomme plusieurs), comme "
             "initiatives.all_departments : le département déduit d'une ville compte ; un tableau "
             "JSON dans SQLite."),
        _col("first_mentioned", "date", "Plus ancienne date de publication d'une page qui la "
             "mentionne."),
        _col("mention_count", "integer", "Pages distinctes qui la mentionnent.", unit="pages"),
        _col("name_variants", "list<string>", "Toutes les formes du nom trouvées, la plus "
             "fréquente d'abord ; un tableau JSON dans SQLite."),
    ),
)

MENTIONS = Table(
    name="mentions",
    title="Mentions de coopératives",
    description="Les pages qui nomment une organisation : une ligne par organisation et par page.",
    primary_key=("organization_id", "page_url"),
    columns=(
        _col("organization_id", "string", "L'organisation.", required=True,
             references="organizations.id"),
        _col("page_url", "string", "La page qui la nomme.", required=True,
             references="pages.url"),
        _site(("de la page qui la nomme", "of the page naming it")),
        _col("source", "string", "La façon la plus sûre dont la page la nomme : heading (un titre "
             "d'initiative), legal_form (« la Scop X ») ou name_match (un nom connu dans le "
             "texte).",
             facet=True),
        _col("context", "string", "Le titre, ou la phrase (proposition) de la mention."),
    ),
)

CONTACTS = Table(
    name="contacts",
    page_column="page_url",
    title="Contacts",
    description="Adresses électroniques, numéros de téléphone, adresses web et adresses postales "
    "trouvés dans le texte de la dernière version de chaque page.",
    primary_key=("page_url", "kind", "value"),
    columns=(
        _col("page_url", "string", "Page où figure le contact.", required=True,
             references="pages.url"),
        _col("kind", "string", "email (adresse électronique), phone (téléphone), url ou address "
             "(adresse postale).", required=True, facet=True),
        _col("value", "string", "Valeur normalisée : adresse électronique en minuscules, téléphone "
             "E.164, URL absolue.",
             required=True),
        _site(("de la page", "of the page")),
        _col("raw", "string", "Telle qu'écrite sur la page.", example="02.38.84.28.29"),
        _col("context", "string", "La phrase qui l'entoure."),
    ),
)

IMAGES = Table(
    name="images",
    page_column="page_url",
    title="Images",
    description="Images de la dernière version de chaque page, avec leurs textes alternatifs et "
    "leurs crédits.",
    primary_key=("page_url", "position"),
    columns=(
        _col("page_url", "string", "Page qui montre l'image.", required=True,
             references="pages.url"),
        _col("position", "integer", "Position sur la page, à partir de 1.", required=True),
        _site(("de la page", "of the page"), facet=False),
        _col("url", "string", "URL absolue de l'image."),
        _col("alt", "string", "Texte alternatif."),
        _col("caption", "string", "Légende."),
        _col("credit", "string", "Crédit photo, sans le mot Crédits."),
    ),
)

LINKS = Table(
    name="links",
    page_column="page_url",
    title="Liens",
    description="Liens du corps de la dernière version de chaque article.",
    primary_key=("page_url", "position"),
    columns=(
        _col("page_url", "string", "Page qui contient le lien.", required=True,
             references="pages.url"),
        _col("position", "integer", "Position dans le corps, à partir de 1.", required=True),
        _site(("de la page", "of the page"), facet=False),
        _col("url", "string", "URL absolue de la cible."),
        _col("text", "string", "Texte du lien."),
        _col("internal", "boolean", "Si la cible est sur le même site.", facet=True),
    ),
)

DEPARTMENTS = Table(
    name="departments",
    title="Départements",
    description="Table de référence des départements français et des collectivités d'outre-mer "
    "(code officiel géographique de l'Insee), avec les coordonnées de leur préfecture. La même pour "
    "tous les sites : sa colonne site n'y dit pas d'où vient la ligne, mais quelle union du "
    "réseau couvre le département. / Reference data, the same for every site: its site column "
    "names the union covering the department.",
    primary_key=("code",),
    label_column="name",
    columns=(
        _col("code", "string", "Code Insee du département.", required=True, example="2A"),
        _col("site", "string", "Le site de l'union du réseau qui couvre le département, "
             "d'après les profils des sites (scoparchive/profiles.yaml) ; vide quand aucune ne le "
             "couvre. Une table de référence n'est d'aucun site : c'est la seule colonne site "
             "qui peut être vide. / The site of the network's union covering the department "
             "(the site profiles' departments); empty when none does.", facet=True,
             example="les-scop-ouest"),
        _col("name", "string", "Nom du département."),
        _col("region_code", "string", "Code Insee de la région."),
        _col("region_name", "string", "Nom de la région.", facet=True),
        _col("chef_lieu", "string", "Préfecture (chef-lieu)."),
        _col("latitude", "number", "Latitude de la préfecture.", unit="degrees"),
        _col("longitude", "number", "Longitude de la préfecture.", unit="degrees"),
        _col("kind", "string", "Département ou collectivité d'outre-mer.", facet=True),
        _col("in_union", "boolean", "Si l'union Île-de-France, Centre-Val de Loire, DOM-TOM "
             "(les-scop-idf) le couvre.", facet=True),
    ),
)

CRAWL_RUNS = Table(
    name="crawl_runs",
    title="Collectes (crawl runs)",
    description="Une ligne par collecte trouvée dans l'archive, avec ce qu'elle a vu changer. Les "
    "changements sont jugés sur le contenu extrait des pages, non sur leurs octets.",
    primary_key=("id",),
    sort_desc="started_at",
    columns=(
        _col("id", "string", "Identifiant de la collecte (aussi dans le warcinfo de chaque fichier "
             "WARC).",
             required=True),
        _col("site", "string", "Le premier site d'union de la collecte (celui de son "
             "--site-url, ou de ses pages pour un WARC écrit par un autre outil) ; tous dans "
             "sites. / The run's first union site; every one in sites.", required=True,
             facet=True, example="les-scop-idf"),
        _col("sites", "list<string>", "Tous les sites d'union de la collecte : ceux que son "
             "compte rendu (runs/<id>.json) nomme, sinon ceux de ses pages ; un tableau JSON "
             "dans SQLite. Les travailleurs d'une collecte répartie (même identifiant, une "
             "archive chacun) sont une seule collecte : leurs comptes s'additionnent. / Every "
             "site of the run; the workers of a distributed run (one id, an archive each) are "
             "one run, their counts added up.", example='["les-scop-idf", "les-scop-ouest"]'),
        _col("started_at", "datetime", "Début de la collecte (UTC)."),
        _col("finished_at", "datetime", "Dernière capture de la collecte (UTC)."),
        _col("pages_fetched", "integer", "Pages capturées par la collecte, chacune comptée une "
             "fois (réponses 304 comprises, erreurs du serveur non).", unit="pages"),
        _col("pages_new", "integer", "Pages vues pour la première fois.", unit="pages"),
        _col("pages_changed", "integer", "Pages dont le contenu a changé.", unit="pages"),
        _col("pages_unchanged", "integer", "Pages connues toujours en ligne et sans changement, "
             "téléchargées ou non demandées parce que le plan du site (sitemap) les datait d'avant "
             "la copie archivée.",
             unit="pages"),
        _col("pages_removed", "integer", "Pages trouvées disparues (404, 410, redirigées ailleurs) "
             "qui étaient en ligne avant la collecte.", unit="pages"),
        _col("errors", "integer", "Erreurs du serveur (5xx) reçues par la collecte, et ses "
             "requêtes restées sans réponse (les « errors » du rapport de "
             "collecte).", unit="requests"),
        _col("warc_files", "list<string>", "Fichiers WARC écrits par la collecte."),
        _col("status", "string", "Comment la collecte s'est terminée, d'après son compte rendu "
             "(runs/<id>.json) : finished (terminée) ; partial (allée au bout, avec des erreurs ou "
             "des parties non lues) ; failed (échouée, rien d'utilisable) ; interrupted "
             "(interrompue, à reprendre) ; running (en cours, ou tuée). Vide pour un WARC écrit "
             "par un autre outil."),
        _col("responses", "integer", "Réponses archivées par la collecte : pages, robots.txt, "
             "plans du site, fichiers et erreurs du serveur (les « responses received » du rapport "
             "de collecte).", unit="responses"),
    ),
)

PAGE_VERSIONS = Table(
    name="page_versions",
    page_column="url",
    title="Versions des pages",
    description="Une ligne par contenu distinct jamais capturé pour une URL : l'histoire du site.",
    primary_key=("url", "captured_at"),
    sort_desc="captured_at",
    columns=(
        _col("url", "string", URL, required=True, references="pages.url"),
        _col("captured_at", "datetime", "Capture qui a montré ce contenu la première (UTC).",
             required=True),
        _site(("de la page", "of the page")),
        _col("content_sha256", "string", "SHA-256 du contenu reçu par cette capture "
             "(hexadécimal)."),
        _col("content_fingerprint", "string", "SHA-256 du contenu extrait."),
        _col("run_id", "string", "Collecte de la capture.", references="crawl_runs.id",
             facet=True),
        _col("http_status", "integer", "Statut HTTP de la capture."),
        _col("page_type", "string", "Type trouvé par le classifieur.", facet=True),
        _col("title", "string", "Titre dans cette version."),
        _col("warc_record_id", "string", "WARC-Record-ID de la capture."),
        _col("warc_file", "string", "Fichier WARC qui contient la capture."),
        _col("warc_offset", "integer", "Position de l'enregistrement dans ce "
             "fichier.", unit="bytes"),
        _archived_url(("cette version-ci", "this version")),
    ),
)

ARTICLE_VERSIONS = Table(
    name="article_versions",
    page_column="url",
    title="Versions des articles",
    description="Toutes les versions de chaque article : ce qui a changé, et quand.",
    primary_key=("url", "captured_at"),
    sort_desc="captured_at",
    full_text=("title", "lead", "body_text"),
    columns=(
        _col("url", "string", URL, required=True, references="pages.url"),
        _col("captured_at", "datetime", "Capture qui a montré cette version la première (UTC).",
             required=True),
        _site(("de l'article", "of the article")),
        _col("title", "string", "Titre dans cette version."),
        _col("published_date", "date", "Date de publication dans cette version."),
        _col("lead", "string", "Chapô dans cette version."),
        _col("body_text", "string", "Texte du corps dans cette version."),
        _col("word_count", "integer", "Mots de body_text.", unit="words"),
        _col("content_fingerprint", "string", "SHA-256 du contenu extrait."),
        _archived_url(("cette version-ci", "this version")),
        _col("changed_fields", "list<string>", "Champs dont des mots ont changé depuis la "
             "version précédente (title, lead, body_text) ; vide pour la première version. / "
             "Fields whose words changed since the version before; empty for the first one; "
             "a JSON array in SQLite.", example='["lead"]'),
        _col("words_removed", "integer", "Mots retirés depuis la version précédente, titre, "
             "chapô et texte ; 0 pour la première version. / Words removed since the version "
             "before; 0 for the first one.", unit="words"),
        _col("words_added", "integer", "Mots ajoutés depuis la version précédente ; 0 pour la "
             "première version. / Words added since the version before; 0 for the first "
             "one.", unit="words"),
        _col("diff", "string", "Ce qui a changé depuis la version précédente, mot à mot : "
             "pour chaque modification, une ligne « @@ champ @@ », puis une ligne par suite de "
             "mots, marquée d'un espace (inchangés), d'un - (retirés) ou d'un + (ajoutés), "
             "comme `git diff --word-diff=porcelain`. Vide pour la première version, ou quand "
             "seuls la date ou les images ont changé. / What changed since the version "
             "before, word by word, in the manner of `git diff --word-diff=porcelain`; "
             "empty for the first version.",
             example="@@ chapô (lead) @@\n-Ancien\n+Nouveau\n chapeau"),
    ),
)

TABLES: tuple[Table, ...] = (
    PAGES,
    ARTICLES,
    INITIATIVES,
    ORGANIZATIONS,
    MENTIONS,
    CONTACTS,
    IMAGES,
    LINKS,
    DEPARTMENTS,
    CRAWL_RUNS,
    PAGE_VERSIONS,
    ARTICLE_VERSIONS,
)
TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}

#: Views that researchers want ready-made, created in SQLite beside the tables.
VIEWS: dict[str, str] = {
    "initiatives_by_department": """
        select d.code as department, d.name as department_name, d.region_name as region,
               count(distinct i.id) as initiatives, count(distinct i.article_url) as pages,
               count(distinct case when not exists (
                   select 1 from json_each(i.departments) h where h.value = j.value)
                   then i.id end) as initiatives_from_town
        from initiatives i, json_each(i.all_departments) j
        join departments d on d.code = j.value
        group by d.code order by initiatives desc, d.code""",
    "initiatives_by_region": """
        select d.region_name as region, count(distinct i.id) as initiatives
        from initiatives i, json_each(i.all_departments) j
        join departments d on d.code = j.value
        group by d.region_name order by initiatives desc""",
    # The network: the sites side by side (a build of one site has one row in each).
    "initiatives_by_region_and_site": """
        select d.region_name as region, i.site as site, count(distinct i.id) as initiatives,
               count(distinct i.article_url) as pages
        from initiatives i, json_each(i.all_departments) j
        join departments d on d.code = j.value
        group by d.region_name, i.site order by d.region_name, initiatives desc, i.site""",
    "sites_overview": """
        select p.site as site, count(*) as pages,
               sum(p.removed_at is null) as pages_online,
               (select count(*) from articles a where a.site = p.site) as articles,
               (select count(*) from initiatives i where i.site = p.site) as initiatives,
               min(p.first_seen) as first_seen, max(p.last_seen) as last_seen
        from pages p group by p.site order by p.site""",
    "articles_by_site_and_year": """
        select site, published_year as year, count(*) as articles, sum(word_count) as words
        from articles where published_year is not null
        group by site, published_year order by site, published_year""",
    "articles_by_year": """
        select published_year as year, count(*) as articles, sum(word_count) as words
        from articles where published_year is not null
        group by published_year order by published_year""",
    "removed_pages": """
        select url, title, page_type, first_seen, last_seen, removed_at, redirect_to
        from pages where removed_at is not null order by removed_at desc""",
}
