"""Department codes and roundup item headings: ``Artefacts et CEFIM (45 et 37)``.

The rule is pure (no reference data): the code lists are short and stable. Parentheses that hold a
town (``Envie de Lire (Ivry)``) give a place, never a code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_METROPOLITAN = {f"{number:02d}" for number in range(1, 96) if number != 20} | {"2A", "2B"}
_OVERSEAS = {"971", "972", "973", "974", "975", "976"}
#: Overseas collectivities with an INSEE code: Saint-Pierre-et-Miquelon (975), Saint-Barthélemy,
#: Saint-Martin, TAAF, Wallis-et-Futuna, Polynesia, New Caledonia, Clipperton.
_COLLECTIVITIES = {"975", "977", "978", "984", "986", "987", "988", "989"}
DEPARTMENT_CODES = frozenset(_METROPOLITAN | _OVERSEAS | _COLLECTIVITIES)

#: ``Name (inner)`` with the parentheses closing the line (a trailing colon or period is allowed).
_HEADING = re.compile(r"^(?P<name>[^()]{1,90}?)\s*\((?P<inner>[^()]{1,60})\)\s*[:.]?$")
_CODE_SEPARATORS = re.compile(r"(?:\s*(?:[,;/&+\-–—]|\bet\b|\band\b)\s*|\s+)", re.I)
_PLACE_SEPARATORS = re.compile(r"\s*(?:[,;/]|\s-\s|\bet\b)\s*", re.I)
_PLACE_WORD_SPLIT = re.compile(r"[\s\-]+")
_PLACE_CONNECTORS = frozenset(
    [
        "sur",
        "sous",
        "en",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "lès",
        "lez",
        "aux",
        "au",
        "et",
        "d",
        "l",
        "saint",
        "sainte",
    ]
)
#: Words that parentheses hold after a name without being a place: legal forms, acronyms.
_NOT_PLACES = frozenset(
    [
        "scop",
        "scic",
        "sa",
        "sas",
        "sarl",
        "sapo",
        "cae",
        "ess",
        "eurl",
        "sasu",
        "association",
        "coopérative",
        "cooperative",
        "ex",
        "anciennement",
        "nouveau",
        "nouvelle",
        "vidéo",
        "video",
        "photo",
        "photos",
        "pdf",
    ]
)
_MAX_NAME_WORDS = 10


def is_department_code(code: str) -> bool:
    return code.strip().upper() in DEPARTMENT_CODES


def parse_department_codes(text: str) -> list[str] | None:
    """``"45 et 37"``, ``"75, 92"``, ``"75-92"``, ``"75 / 92"`` → codes; None unless all are codes."""
    tokens = [token for token in _CODE_SEPARATORS.split(text.strip()) if token]
    codes = [token.upper() for token in tokens]
    if not codes or not all(code in DEPARTMENT_CODES for code in codes):
        return None
    return list(dict.fromkeys(codes))


def is_plausible_place(text: str) -> bool:
    """A town name: capitalised words, letters only, a few connectors (``Ivry-sur-Seine``)."""
    text = text.strip()
    if not 2 <= len(text) <= 40 or not text[0].isupper():
        return False
    words = [word for word in _PLACE_WORD_SPLIT.split(text.replace("’", "'")) if word]
    if len(words) > 6 or words[0].casefold() in _NOT_PLACES:
        return False
    for word in words:
        bare = word.split("'")[-1] if "'" in word else word
        if not bare.replace("'", "").isalpha():
            return False
        if bare.isupper() and len(bare) <= 4:  # SCOP, CAE, ESS: acronyms, not towns
            return False
        if not bare[0].isupper() and word.casefold().split("'")[0] not in _PLACE_CONNECTORS:
            return False
    return True


def parse_item_heading(text: str) -> tuple[str, list[str], str | None] | None:
    """``"Artefacts et CEFIM (45 et 37)"`` → ``("Artefacts et CEFIM", ["45", "37"], None)``.

    ``"Envie de Lire (Ivry)"`` → ``("Envie de Lire", [], "Ivry")``. None when the line is not an
    item heading: too long, no name, or parentheses holding neither codes nor a place.
    """
    if ")" not in text:  # most lines: spare the normalisation and the pattern
        return None
    match = _HEADING.match(" ".join(text.split()))
    if not match:
        return None
    name = match["name"].strip(" -–—:")
    if not name or not any(char.isalpha() for char in name):
        return None
    # "Prix de la création : Vélo Cargo (94)" is a subheading naming a prize, not a name.
    if len(name.split()) > _MAX_NAME_WORDS or name[-1] in ",;" or " : " in name:
        return None
    inner = match["inner"].strip()
    codes = parse_department_codes(inner)
    if codes:
        return name, codes, None
    return _codes_and_place(name, inner)


def _codes_and_place(name: str, inner: str) -> tuple[str, list[str], str | None] | None:
    """Mixed parentheses, ``(Ivry, 94)``: at most one place, the rest codes."""
    codes: list[str] = []
    place = None
    for part in _PLACE_SEPARATORS.split(inner):
        if not part:
            continue
        part_codes = parse_department_codes(part)
        if part_codes:
            codes.extend(part_codes)
        elif place is None and is_plausible_place(part):
            place = part
        else:
            return None
    if place is None:
        return None
    return name, codes, place


#: Where an item's departments come from (``initiatives.departments_source``): the codes its
#: heading states, the department of the town it names instead (derived), or both.
FROM_HEADING = "heading"
FROM_TOWN = "town"
FROM_HEADING_AND_TOWN = "heading+town"


def item_departments(codes: Sequence[str], town_department: str | None) -> list[str]:
    """Every department an item is in: the codes of its heading, then its town's department
    when the heading does not state it. ``Envie de Lire (Ivry)`` is in 94 as surely as
    ``CEFIM (37)`` is in 37: every count by department counts both (``initiatives``,
    ``organizations``)."""
    located = list(codes)
    if town_department and town_department not in located:
        located.append(town_department)
    return located


def departments_source(codes: Sequence[str], town_department: str | None) -> str | None:
    """``FROM_HEADING``, ``FROM_TOWN`` or ``FROM_HEADING_AND_TOWN``: which of ``item_departments``
    the heading states and which come from the town alone; None without any department."""
    derived = bool(town_department) and town_department not in codes
    if codes:
        return FROM_HEADING_AND_TOWN if derived else FROM_HEADING
    return FROM_TOWN if derived else None
