"""Departments that add up: an item of "(45 et 37)" is in 37 as in 45, an item naming a town
("Envie de Lire (Ivry)") is in that town's department, and every count of the initiatives of a
department gives the same answer: the default facet, a filter, the views, the canned queries,
the organisations. Checked on the rules, then through the real Datasette over the replica's
build."""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter, defaultdict
from datetime import date

from conftest import get_json

from scoparchive import geo
from scoparchive.dataset.fragments import initiative_rows
from scoparchive.dataset.organizations import find_organizations
from scoparchive.items import Article, Initiative, ParsedPage
from scoparchive.text.departments import (
    FROM_HEADING,
    FROM_HEADING_AND_TOWN,
    FROM_TOWN,
    departments_source,
    item_departments,
    parse_item_heading,
)

ARTEFACTS = "Artefacts et CEFIM (45 et 37)"
IVRY = "Envie de Lire (Ivry)"
ILE_DE_FRANCE = "Île-de-France"
#: Lists in SQLite are JSON text, which Datasette gives as it is.
LIST_COLUMNS = {"departments", "all_departments", "regions"}


# --- the rule ---------------------------------------------------------------------------------

def test_a_town_adds_its_department_after_the_codes_of_the_heading():
    assert (item_departments(["45", "37"], None), departments_source(["45", "37"], None)) \
        == (["45", "37"], FROM_HEADING)
    assert (item_departments([], "94"), departments_source([], "94")) == (["94"], FROM_TOWN)
    assert (item_departments(["75"], "94"), departments_source(["75"], "94")) \
        == (["75", "94"], FROM_HEADING_AND_TOWN)
    # The town's department stated in the heading too: stated, not derived.
    assert (item_departments(["94"], "94"), departments_source(["94"], "94")) \
        == (["94"], FROM_HEADING)
    assert (item_departments([], None), departments_source([], None)) == ([], None)


def test_initiatives_and_organisations_take_the_same_departments():
    """A heading with a town and a code: the initiative's row and the organisation it names are
    in both departments."""
    name, codes, place = parse_item_heading("Envie de Lire (Ivry, 75)")
    town_department = geo.department_of_place(place, within=geo.UNION_DEPARTMENTS)
    assert (codes, town_department) == (["75"], "94")
    url = "http://127.0.0.1:8000/roundup"
    item = Initiative(1, name, "Envie de Lire (Ivry, 75)", departments=codes, place=place,
                      place_department=town_department,
                      description="La librairie Envie de Lire ouvre ses portes.")
    page = ParsedPage(url, "roundup", "Roundup", article=Article(
        url, "Roundup", published_date=date(2021, 12, 9), body_text=item.description),
        initiatives=[item])
    (row,) = initiative_rows(url, page)
    assert (row["departments"], row["all_departments"], row["departments_source"]) \
        == (["75"], ["75", "94"], FROM_HEADING_AND_TOWN)
    organisations, _ = find_organizations([(url, page)])
    assert {o.id: o.departments for o in organisations} == {"envie-de-lire": ["75", "94"]}


# --- through Datasette ------------------------------------------------------------------------

class Api:
    def __init__(self, base: str, database: str):
        self.base = f"{base}/{database}"

    def get(self, path: str, **params) -> dict | list:
        query = urllib.parse.urlencode(params)
        return get_json(f"{self.base}/{path}{'?' + query if query else ''}")

    def rows(self, path: str, **params) -> list[dict]:
        """The rows, their JSON arrays (lists of department codes) as lists."""
        rows = self.get(path, _shape="array", _size="max", **params)
        for row in rows:
            for column in LIST_COLUMNS & row.keys():
                row[column] = json.loads(row[column])
        return rows


def test_every_count_of_a_department_gives_the_same_answer(built_replica, datasette_server):
    api = Api(datasette_server, built_replica.database.stem)
    initiatives = api.rows("initiatives.json")
    in_department: dict[str, set[str]] = defaultdict(set)
    for row in initiatives:
        for code in row["all_departments"]:
            in_department[code].add(row["id"])
    # The default facet: no _facet in the request.
    table = api.get("initiatives.json", _size=0, _facet_size="max")
    facet = table["facet_results"]["all_departments"]
    assert facet["type"] == "array" and not facet["truncated"]
    facet_counts = {result["value"]: result["count"] for result in facet["results"]}
    by_department = {row["department"]: row for row in api.rows("initiatives_by_department.json")}
    organisations = api.rows("organizations.json")
    organisation_codes = {code for o in organisations for code in o["departments"]}

    codes = set(in_department) | set(facet_counts) | set(by_department) | organisation_codes
    assert {"37", "45", "94"} <= codes
    for code in sorted(codes):
        expected = len(in_department[code])
        filtered = api.get("initiatives.json", all_departments__arraycontains=code, _size=0,
                           _nofacet=1)["filtered_table_rows_count"]
        canned = api.rows("initiatives_in_department.json", code=code)
        counts = {"facet": facet_counts.get(code, 0), "arraycontains": filtered,
                  "initiatives_by_department": by_department[code]["initiatives"],
                  "initiatives_in_department": len(canned)}
        assert counts == dict.fromkeys(counts, expected), code
        # The organisations a heading places there are those of the canned query, and only
        # departments holding initiatives hold organisations.
        named = {o["name"] for o in api.rows("organizations.json",
                                             departments__arraycontains=code)}
        assert named and named == {row["name"] for row in api.rows(
            "cooperatives_in_department.json", code=code)}, code

    # A region counts the initiatives with at least one of its departments, once each.
    region_of = {row["code"]: row["region_name"] for row in api.rows("departments.json")}
    in_region = Counter(region for row in initiatives
                        for region in {region_of[code] for code in row["all_departments"]})
    assert {row["region"]: row["initiatives"]
            for row in api.rows("initiatives_by_region.json")} == in_region
    # So does the default facet by region, and each initiative's regions.
    facet = table["facet_results"]["regions"]
    assert facet["type"] == "array" and not facet["truncated"]
    named = {region: count for region, count in in_region.items() if region}
    assert {result["value"]: result["count"] for result in facet["results"]} == named
    for row in initiatives:
        assert set(row["regions"]) == {region_of[code] for code in row["all_departments"]
                                       if region_of[code]}, row["id"]


def test_an_item_of_two_departments_counts_in_each(built_replica, datasette_server):
    api = Api(datasette_server, built_replica.database.stem)
    (artefacts,) = api.rows("initiatives.json", heading_raw=ARTEFACTS,
                            article_url__endswith="/scopetscicsolidaires")
    assert (artefacts["departments"], artefacts["all_departments"],
            artefacts["departments_source"]) == (["45", "37"], ["45", "37"], FROM_HEADING)
    for code in ("45", "37"):
        found = api.rows("initiatives.json", all_departments__arraycontains=code)
        assert artefacts["id"] in {row["id"] for row in found}, code
        canned = api.rows("initiatives_in_department.json", code=code)
        assert "Artefacts et CEFIM" in {row["name"] for row in canned}, code
        cooperatives = {row["name"] for row in api.rows("cooperatives_in_department.json",
                                                        code=code)}
        assert {"Artefacts", "CEFIM"} <= cooperatives, code


def test_an_item_naming_a_town_counts_in_its_department(built_replica, datasette_server):
    api = Api(datasette_server, built_replica.database.stem)
    (ivry,) = api.rows("initiatives.json", heading_raw=IVRY)
    (val_de_marne,) = api.rows("departments.json", code="94")
    assert (ivry["departments"], ivry["place"], ivry["place_department"]) == ([], "Ivry", "94")
    assert (ivry["all_departments"], ivry["departments_source"], ivry["department"]) \
        == (["94"], FROM_TOWN, "94")
    # On the map and in its region, at its department's prefecture, as before.
    assert (ivry["region"], ivry["latitude"], ivry["longitude"]) \
        == (ILE_DE_FRANCE, val_de_marne["latitude"], val_de_marne["longitude"])

    facet = api.get("initiatives.json", _size=0)["facet_results"]["all_departments"]
    assert {r["value"]: r["count"] for r in facet["results"]}.get("94") == 1
    (in_94,) = api.rows("initiatives.json", all_departments__arraycontains="94")
    assert in_94["id"] == ivry["id"]
    (view,) = api.rows("initiatives_by_department.json", department="94")
    assert (view["initiatives"], view["initiatives_from_town"]) == (1, 1)
    (canned,) = api.rows("initiatives_in_department.json", code="94")
    assert (canned["name"], canned["departments_source"]) == ("Envie de Lire", FROM_TOWN)
    (organisation,) = api.rows("organizations.json", departments__arraycontains="94")
    assert organisation["name"] == "Envie de Lire"
    assert ILE_DE_FRANCE in {row["region"] for row in api.rows("initiatives_by_region.json")}


def test_initiatives_come_in_page_order_by_default_across_pages_of_results(
        built_replica, datasette_server):
    """#1, #2 … #10, not #1, #10, #11 … #2; and paging on (Datasette's ``next``) neither skips
    nor repeats an item."""
    api = Api(datasette_server, built_replica.database.stem)
    seen = []
    page = api.get("initiatives.json", _shape="objects", _size=4, _nofacet=1)
    while True:
        seen.extend(page["rows"])
        if not page["next_url"]:
            break
        page = get_json(page["next_url"])
    everything = api.rows("initiatives.json")
    assert len(seen) == len(everything) > 20
    order = [(row["published_date"], row["article_url"], row["position"]) for row in seen]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert [row["id"] for row in seen] == [row["id"] for row in everything]
    positions = defaultdict(list)
    for row in seen:
        positions[row["article_url"]].append(row["position"])
    assert all(found == list(range(1, len(found) + 1)) for found in positions.values())
