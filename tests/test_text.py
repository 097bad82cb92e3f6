"""Pure text helpers: dates, department codes and item headings, contacts, whitespace."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoparchive.text.contacts import deobfuscate_email, find_contacts, normalise_phone
from scoparchive.text.dates import date_from_legacy_url, find_french_date, parse_date_line
from scoparchive.text.departments import is_department_code, parse_item_heading
from scoparchive.text.normalise import clean_line, normalise_space


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("04 04 2020", date(2020, 4, 4)),
        ("08 12 2023", date(2023, 12, 8)),  # day first, never 12 August
        ("04 11 2024", date(2024, 11, 4)),
        ("4\u00a011\u00a02024", date(2024, 11, 4)),
        ("Publié le 15 01 2024", date(2024, 1, 15)),
        ("31 02 2020", None),
        ("04 04 2020 et plus", None),
        ("13h30 | Accueil", None),
    ],
)
def test_parse_date_line(line, expected):
    assert parse_date_line(line) == expected


def test_find_french_date():
    found = find_french_date("Communiqué de presse, 26 novembre 2014. Suite")
    assert found == (date(2014, 11, 26), "26 novembre 2014")
    assert find_french_date("le 1er décembre 2020")[0] == date(2020, 12, 1)
    assert find_french_date("Aucune date ici, ni 32 mai 2020") is None


def test_date_from_legacy_url():
    url = "https://les-scop-idf.coop/actualite-presse/communiques-de-presse/20141126,cp-ess.htm"
    assert date_from_legacy_url(url) == (date(2014, 11, 26), "20141126")
    assert date_from_legacy_url("https://les-scop-idf.coop/agenda/rencontre.htm") is None
    assert date_from_legacy_url("https://les-scop-idf.coop/20141399,x.htm") is None


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Artefacts et CEFIM (45 et 37)", ("Artefacts et CEFIM", ["45", "37"], None)),
        ("La cachette de Paris (75)", ("La cachette de Paris", ["75"], None)),
        ("Ô ptit vrac (37)", ("Ô ptit vrac", ["37"], None)),
        ("Coopaname (75, 92)", ("Coopaname", ["75", "92"], None)),
        ("Coopaname (75-92)", ("Coopaname", ["75", "92"], None)),
        ("Coopaname (75 / 92)", ("Coopaname", ["75", "92"], None)),
        ("Corsica Solidaire (2a)", ("Corsica Solidaire", ["2A"], None)),
        ("Ti Kaz Coop (974)", ("Ti Kaz Coop", ["974"], None)),
        ("Bati Pacifique (988)", ("Bati Pacifique", ["988"], None)),
        ("Envie de Lire (Ivry)", ("Envie de Lire", [], "Ivry")),
        ("Atelier (Ivry-sur-Seine)", ("Atelier", [], "Ivry-sur-Seine")),
        ("Atelier (Ivry, 94)", ("Atelier", ["94"], "Ivry")),
        ("Rapport annuel (2022)", None),
        ("Une Corse unie (20)", None),
        ("Réseau (99)", None),
        ("Le réseau (Scop)", None),
        ("Le CAE (CAE)", None),
        ("Voir le programme (voir ici)", None),
        ("Prix de la création : Vélo Cargo Services (94)", None),
        ("(75)", None),
        ("Une phrase bien trop longue pour être le nom d'une coopérative du réseau (75)", None),
    ],
)
def test_parse_item_heading(heading, expected):
    assert parse_item_heading(heading) == expected


def test_department_codes():
    valid = ["01", "19", "21", "2A", "2B", "75", "95", "971", "974", "976", "975", "977", "978",
             "984", "986", "987", "988", "989"]  # fmt: skip
    assert all(is_department_code(code) for code in valid)
    assert not any(is_department_code(code) for code in ["00", "20", "96", "970", "979", "985"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01 70 772 372", "+33170772372"),
        ("02.38.84.28.29", "+33238842829"),
        ("06 08 53 25 34", "+33608532534"),
        ("+33 1 44 64 18 70", "+33144641870"),
        ("0262 21 43 65", "+262262214365"),
        ("12 34", None),
    ],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected


def test_deobfuscate_email():
    assert deobfuscate_email("Jean.Dupont[at]scop.coop") == "jean.dupont@scop.coop"
    assert deobfuscate_email("presse (at) les-scop-idf (dot) coop") == "presse@les-scop-idf.coop"


def test_find_contacts_kinds_values_and_context():
    text = (
        "epiceriechezmell@gmail.com / 06 08 53 25 34 / 02 38 28 88 57\n"
        "Contact : mdupont[at]scop.coop, site www.francebarter.coop.\n"
        "Union régionale des Scop\n74 rue Léon Frot\n75011 Paris"
    )
    found = [(c.kind, c.value) for c in find_contacts(text)]
    assert found == [
        ("email", "epiceriechezmell@gmail.com"),
        ("phone", "+33608532534"),
        ("phone", "+33238288857"),
        ("email", "mdupont@scop.coop"),
        ("url", "http://www.francebarter.coop"),
        ("address", "74 rue Léon Frot, 75011 Paris"),
    ]
    first = find_contacts(text)[0]
    assert first.raw == "epiceriechezmell@gmail.com"
    assert first.context == "epiceriechezmell@gmail.com / 06 08 53 25 34 / 02 38 28 88 57"
    assert find_contacts("x", context="given")[0:] == []
    assert find_contacts("Tél 01 44 64 18 70", context="Standard")[0].context == "Standard"


def test_address_with_cedex_and_phone_after():
    text = "Siège : 8 bis, avenue de la République, 45000 Orléans Cedex 1 - Tél : 02 38 00 00 00"
    addresses = [c.value for c in find_contacts(text) if c.kind == "address"]
    assert addresses == ["8 bis, avenue de la République, 45000 Orléans Cedex 1"]


def test_normalise_spaces():
    assert clean_line("  souhaitez\u202f?\u00a0Oui\u200b  ") == "souhaitez ? Oui"
    assert normalise_space("a \n\n  b\u00a0 c \r\n") == "a\nb c"


# --- shortcuts of the hot predicates, against their definitions -------------------------------

DATE_ALPHABET = "0123456789 ./-PpUuBbLlIiÉéEeıAa\u00a0\u2009\t\n"


def _date_line_by_definition(text: str):
    """parse_date_line without its shortcuts: the pattern on the whitespace-collapsed text."""
    from scoparchive.text.dates import _DATE_LINE, _safe_date

    if len(text) > 40:
        return None
    match = _DATE_LINE.match(" ".join(text.split()))
    return _safe_date(int(match[3]), int(match[2]), int(match[1])) if match else None


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(DATE_ALPHABET), max_size=30)
       | st.sampled_from(["Publié le 04 04 2020", "publiée le 4.4.2020", "Le 04/04/2020",
                          "LE 1 1 2001", "pubLIÉE  le 31-12-1999", "Le 4 4 2020 "]))  # fmt: skip
def test_date_line_shortcut_keeps_the_definition(text):
    assert parse_date_line(text) == _date_line_by_definition(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("lLoOgG x-é\u00a0"), min_size=140, max_size=220),
       st.booleans())  # fmt: skip
def test_a_long_line_stands_alone_only_as_a_logo_line(line, bold):
    from scoparchive.pages.layout import is_boilerplate_line, is_item_heading, site_text
    from scoparchive.profiles import DEFAULT_PROFILE

    text = site_text(DEFAULT_PROFILE)
    by_definition = (
        (bold and len(line) <= 150)
        or parse_date_line(line) is not None
        or is_boilerplate_line(line)
        or (len(line) <= 120 and line.endswith((")", "):")) and is_item_heading(line))
        or text.is_header_line(line)
        or text.is_teaser_heading(line)
    )
    assert text.stands_alone(line, bold) == by_definition
    assert text.stands_alone("logo " + line[:40].strip() + "x" * 120, False) is False


PAGER_ALPHABET = "«‹<>›»[]0123456789١pPrReEvVnNxXtTsSſuUiIaAdDèéçcCmMgG….|  \u00a0lLoOàÀ'"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(PAGER_ALPHABET), max_size=24)
       | st.sampled_from(["« 1 2 [3] 4 »", "‹ précédent", "ſuivant", "  page 2", "١٢", "…",
                          "Lire plus...", "En savoir plus »", "Découvrir la suite →",
                          "VOIR PLUS", "lire la suite de l'article"]))  # fmt: skip
def test_pager_and_lire_plus_shortcuts_keep_their_definitions(text):
    from scoparchive.pages.layout import _LIRE_PLUS, _PAGER, is_lire_plus, is_pager

    assert is_pager(text) == (len(text) <= 80 and _PAGER.fullmatch(text) is not None)
    assert is_lire_plus(text) == (len(text) < 40 and bool(_LIRE_PLUS.match(text)))


EMAIL_ALPHABET = "ab.é_+-@ [](at){}ARObasechez\u00a0\tdot xy.fr\n,"


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(EMAIL_ALPHABET), max_size=40)
       | st.sampled_from(["écrire à a.b@scop.coop ou c@d.fr", "x @ y.fr, z@w.coop", "@@a@b.fr",
                          "contact [at] scop (dot) coop", "n°1 : a_b@c.fr",
                          "x (AT) y.fr", "a.b\u00a0{ chez } c.coop", "z  [arobase]  w.org"]))  # fmt: skip
def test_email_scan_start_keeps_every_match(text):
    from scoparchive.text.contacts import _EMAIL, _MAY_HOLD_EMAIL, _email_scan_start

    expected = [match.span() for match in _EMAIL.finditer(text)]
    sign = _MAY_HOLD_EMAIL.search(text)
    if sign is None:
        assert expected == []
        return
    start = _email_scan_start(text, sign.start())
    assert [match.span() for match in _EMAIL.finditer(text, start)] == expected


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("lLoOgGcCrédit:©phoPRIVE x-.\u00a0\n"), min_size=151,
               max_size=230))  # fmt: skip
def test_a_long_paragraph_can_only_be_a_logo_line(line):
    """What extract_body skips testing on a paragraph over 150 characters."""
    from scoparchive.pages.body import _LONG_LINE
    from scoparchive.pages.layout import (
        is_boilerplate_line,
        is_credit,
        is_logo_line,
        site_text,
    )
    from scoparchive.profiles import DEFAULT_PROFILE

    assert len(line) > _LONG_LINE
    assert is_boilerplate_line(line) == is_logo_line(line)
    assert not is_credit(line)
    assert not site_text(DEFAULT_PROFILE).is_header_line(line)
    assert parse_date_line(line) is None
