"""French departments, regions and communes: lookups over the shipped reference data.

The tables in ``scoparchive/data/`` come from INSEE's Code officiel géographique (via
``@etalab/decoupage-administratif``) and GeoNames; ``data/SOURCES.md`` gives versions and
licences, ``scripts/build_reference_data.py`` regenerates them. Files are read lazily, once per
process, and nothing here touches the network.

Place names resolve to a department only when the answer is certain: exact commune names
(compared without accents, case, hyphens or apostrophes, ``St``/``Ste`` read as
``Saint``/``Sainte``), never fuzzy matches, and ``None`` when communes of several departments
share the name. Short forms that are not commune names are not guessed in general: ``Ivry``
could be Ivry-sur-Seine (94) or Ivry-la-Bataille (27) and gives ``None``. Within a territory
(``within``, e.g. ``UNION_DEPARTMENTS`` for the union's pages) a short form resolves when it
names exactly one commune of that territory: there ``Ivry`` is Ivry-sur-Seine (94), see
``department_of_place``. ``Évry`` is withheld: the Essonne prefecture is now
Évry-Courcouronnes, and the only commune still named Évry is in Yonne.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from scoparchive.text.folding import fold_accents

__all__ = [
    "UNION_DEPARTMENTS",
    "Department",
    "department",
    "department_of_place",
    "department_of_postal_code",
    "departments",
    "departments_of_postal_code",
    "is_department_code",
    "regions",
]

# The union covers Île-de-France, Centre-Val de Loire and every overseas department and
# collectivity (the tests check this against the regions in departments.csv).
UNION_DEPARTMENTS: frozenset[str] = frozenset(
    {
        # Île-de-France
        "75", "77", "78", "91", "92", "93", "94", "95",
        # Centre-Val de Loire
        "18", "28", "36", "37", "41", "45",
        # overseas departments
        "971", "972", "973", "974", "976",
        # overseas collectivities (INSEE's table, incl. New Caledonia, TAAF, Clipperton)
        "975", "977", "978", "984", "986", "987", "988", "989",
    }
)  # fmt: skip

# Kinds in departments.csv.
KIND_DEPARTMENT = "departement"
KIND_OVERSEAS_DEPARTMENT = "departement_outre_mer"
KIND_OVERSEAS_COLLECTIVITY = "collectivite_outre_mer"


@dataclass(frozen=True)
class Department:
    """A department (or overseas collectivity) of the INSEE geographic code.

    ``latitude``/``longitude`` are those of the chef-lieu (prefecture). Collectivities have no
    region (``region_code``/``region_name`` are ``None``).
    """

    code: str
    name: str
    region_code: str | None
    region_name: str | None
    chef_lieu: str | None
    latitude: float | None
    longitude: float | None
    kind: str
    chef_lieu_insee: str | None = None

    @property
    def is_overseas(self) -> bool:
        return self.kind != KIND_DEPARTMENT


def _data_text(name: str) -> str:
    resource = resources.files("scoparchive").joinpath("data", name)
    raw = resource.read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_data_text(name))))


def _float_or_none(value: str) -> float | None:
    return float(value) if value else None


@cache
def _departments() -> dict[str, Department]:
    return {
        row["code"]: Department(
            code=row["code"],
            name=row["name"],
            region_code=row["region_code"] or None,
            region_name=row["region_name"] or None,
            chef_lieu=row["chef_lieu"] or None,
            latitude=_float_or_none(row["latitude"]),
            longitude=_float_or_none(row["longitude"]),
            kind=row["kind"],
            chef_lieu_insee=row["chef_lieu_insee"] or None,
        )
        for row in _rows("departments.csv")
    }


@cache
def _regions() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _rows("regions.csv")}


def load_tables() -> None:
    """Reads the reference tables now rather than at their first use: a build loads them once
    before it starts its parsing processes, which then share them."""
    _departments()
    _regions()
    _communes()


def departments() -> dict[str, Department]:
    """All departments and overseas collectivities, by code, in INSEE order (a fresh dict)."""
    return dict(_departments())


def regions() -> dict[str, str]:
    """Region code -> name (the 18 regions; collectivities are not regions)."""
    return dict(_regions())


def _canonical_code(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    # Only case is folded ("2a" -> "2A"); "1" is not "01": a bare digit in text is too often
    # something else to be read as a department.
    return code.strip().upper()


def department(code: str) -> Department | None:
    """The department with this exact code ("75", "2A" or "2a", "974"), else None."""
    canonical = _canonical_code(code)
    return _departments().get(canonical) if canonical else None


def is_department_code(code: str) -> bool:
    return department(code) is not None


# --- communes -------------------------------------------------------------------------------

# Types in communes.csv.gz. Current communes and municipal arrondissements are the names in use;
# former communes (deleguee, associee) only answer a name no current commune has.
_CURRENT_TYPES = frozenset({"commune", "arrondissement"})
_FORMER_TYPES = frozenset({"deleguee", "associee"})

_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}

# Words that join the parts of a commune name ("Ivry-sur-Seine"): a short form does not end on
# one ("Ivry sur" is no name of Ivry-sur-Seine).
_NAME_CONNECTORS = frozenset(
    {"sur", "sous", "en", "de", "du", "des", "la", "le", "les", "lez", "aux", "au", "et", "d", "l",
     "a", "saint", "sainte"}
)  # fmt: skip

# Names that exact matching would resolve wrongly: a well-known commune of that name was merged
# into another without leaving a former-commune record, so only a small homonym is left.
# "Évry" (91) became Évry-Courcouronnes in 2019; the remaining commune Évry is in Yonne (89).
_WITHHELD_NAMES = frozenset({"evry"})
_NOT_ASCII_WORD = re.compile(r"[^0-9a-z]+")


def place_key(name: str) -> str:
    """Comparison key for a place name: no accents, case, punctuation; St/Ste expanded.

    >>> place_key("L'Haÿ-les-Roses") == place_key("l hay les roses")
    True
    """
    words = _NOT_ASCII_WORD.sub(" ", fold_accents(name)).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


@dataclass(frozen=True)
class _CommuneIndex:
    departments_by_postal_code: dict[str, frozenset[str]]
    current_by_name: dict[str, frozenset[str]]
    former_by_name: dict[str, frozenset[str]]
    # Departments of each 3-digit postal prefix, for Corsican codes missing from the table.
    departments_by_prefix: dict[str, frozenset[str]]
    # Current communes (not arrondissements) sorted by name key, and their departments: the
    # communes whose name starts with given words are a run of it.
    commune_keys: tuple[str, ...]
    commune_departments: tuple[str, ...]


def _freeze(index: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(values) for key, values in index.items()}


@cache
def _communes() -> _CommuneIndex:
    by_postal_code: dict[str, set[str]] = {}
    by_prefix: dict[str, set[str]] = {}
    current: dict[str, set[str]] = {}
    former: dict[str, set[str]] = {}
    communes: list[tuple[str, str]] = []
    for row in _rows("communes.csv.gz"):
        dep = row["department"]
        if row["type"] in _CURRENT_TYPES:
            current.setdefault(place_key(row["name"]), set()).add(dep)
            # Postal codes of current communes only: those of arrondissements repeat them and
            # those of former communes are those of the commune that absorbed them.
            if row["type"] == "commune":
                communes.append((place_key(row["name"]), dep))
                for postal_code in row["postal_codes"].split():
                    by_postal_code.setdefault(postal_code, set()).add(dep)
                    by_prefix.setdefault(postal_code[:3], set()).add(dep)
        elif row["type"] in _FORMER_TYPES:
            former.setdefault(place_key(row["name"]), set()).add(dep)
    communes.sort()
    return _CommuneIndex(
        departments_by_postal_code=_freeze(by_postal_code),
        current_by_name=_freeze(current),
        former_by_name=_freeze(former),
        departments_by_prefix=_freeze(by_prefix),
        commune_keys=tuple(key for key, _ in communes),
        commune_departments=tuple(dep for _, dep in communes),
    )


def _clean_postal_code(postal_code: object) -> str | None:
    if not isinstance(postal_code, str):
        return None
    compact = re.sub(r"\s+", "", postal_code)  # "75 011" is seen in text
    return compact if re.fullmatch(r"\d{5}", compact) else None


def _department_by_prefix(postal_code: str) -> str | None:
    """La Poste's convention for codes not in the table (CEDEX, special codes)."""
    if postal_code.startswith(("97", "98")):
        code = postal_code[:3]  # 971xx -> 971; 980xx (Monaco) is no department
    elif postal_code.startswith("20"):
        # Corsica: 200xx/201xx are 2A, 202xx/206xx 2B; read it from the table's prefixes.
        found = _communes().departments_by_prefix.get(postal_code[:3], frozenset())
        return next(iter(found)) if len(found) == 1 else None
    else:
        code = postal_code[:2]
    return code if code in _departments() else None


def departments_of_postal_code(postal_code: str) -> frozenset[str]:
    """Departments of the communes served by this postal code (empty if unknown).

    A few codes serve communes of two departments ("05110": 04 and 05).
    """
    clean = _clean_postal_code(postal_code)
    if clean is None:
        return frozenset()
    return _communes().departments_by_postal_code.get(clean, frozenset())


def department_of_postal_code(postal_code: str) -> str | None:
    """Department of a 5-digit postal code: "75011" -> "75", "20000" -> "2A", "97133" -> "977".

    Codes in the communes table give their commune's department; a code that serves communes of
    several departments gives None (the address alone does not say which). Codes missing from
    the table (CEDEX and other special codes) fall back to the prefix rules: two digits, three
    for overseas, and for Corsica the 3-digit prefix when the table ties it to one department.
    """
    clean = _clean_postal_code(postal_code)
    if clean is None:
        return None
    found = _communes().departments_by_postal_code.get(clean)
    if found is not None:
        return next(iter(found)) if len(found) == 1 else None
    return _department_by_prefix(clean)


def department_of_place(name: str, *, within: frozenset[str] | None = None) -> str | None:
    """Department of the commune a place name designates, when that is certain; else None.

    1. Exact names: the communes named so (current communes and the arrondissements of Paris,
       Lyon and Marseille; else former, merged communes). If they all lie in one department,
       that is the answer, whatever ``within`` says: "Paris" -> "75", "Ivry-la-Bataille" -> "27".
    2. Only with a territory ``within`` (a set of department codes), when step 1 found no
       department or several: the current communes of the territory that are named so, or whose
       name starts with the given words ("Ivry" -> Ivry-sur-Seine), must be exactly one, and give
       their department. "Ivry" within ``UNION_DEPARTMENTS`` -> "94" (Ivry-la-Bataille, 27, and
       Ivry-le-Temple, 60, lie outside); "Saint-Denis" -> None (Saint-Denis in 93 and in 974,
       Saint-Denis-en-Val in 45...). A name ending on a connector ("Ivry sur") is no short form.

    Without ``within`` a short form gives None ("Ivry": not a commune name), and so does a name
    shared by communes of several departments ("Saint Denis": 93 and 974).
    """
    if not isinstance(name, str):
        return None
    return _department_of_key(place_key(name), within)


@lru_cache(maxsize=4096)  # roundups name the same towns again and again
def _department_of_key(key: str, within: frozenset[str] | None) -> str | None:
    if not key or key in _WITHHELD_NAMES:
        return None
    index = _communes()
    found = index.current_by_name.get(key) or index.former_by_name.get(key)
    if found and len(found) == 1:
        return next(iter(found))
    if within is None or key.rsplit(" ", 1)[-1] in _NAME_CONNECTORS:
        return None
    in_territory = [dep for dep in _departments_of_communes_named(key) if dep in within]
    return in_territory[0] if len(in_territory) == 1 else None


def _departments_of_communes_named(key: str) -> list[str]:
    """The department of each current commune named ``key`` or ``key`` and more words."""
    index = _communes()
    keys, departments = index.commune_keys, index.commune_departments
    # Names that extend ``key`` by words ("ivry sur seine") sort right after it: a space sorts
    # before any letter or digit.
    position = bisect.bisect_left(keys, key)
    found = []
    while position < len(keys) and (keys[position] == key or keys[position].startswith(key + " ")):
        found.append(departments[position])
        position += 1
    return found
