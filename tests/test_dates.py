"""The date reader: every form the French web writes a date in, day first, never guessed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoparchive.text.dates import (
    date_from_legacy_url,
    find_date,
    find_french_date,
    find_published_date,
    parse_date_line,
    read_date,
    read_iso_date,
)

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]  # fmt: skip
SHORT_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                "nov.", "déc."]  # fmt: skip
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2049, 12, 31))


def numeric(day: date, separator: str) -> str:
    return f"{day.day:02d}{separator}{day.month:02d}{separator}{day.year}"


def in_words(day: date, *, short: bool = False, weekday: bool = False, year: bool = True) -> str:
    number = "1er" if day.day == 1 else str(day.day)
    month = (SHORT_MONTHS if short else MONTHS)[day.month - 1]
    text = f"{number} {month}" + (f" {day.year}" if year else "")
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


@given(DAYS, st.sampled_from([" ", "/", ".", "-"]))
def test_numeric_dates_are_read_day_first(day, separator):
    written = numeric(day, separator)
    assert read_date(written).value == day
    assert find_date(f"Mis en ligne {written}, à Paris").value == day


@given(DAYS)
def test_the_sites_date_line_is_read_day_first(day):
    assert parse_date_line(numeric(day, " ")) == day
    assert parse_date_line(f"Publié le {numeric(day, ' ')}") == day


@given(DAYS, st.booleans(), st.booleans(), st.sampled_from(["", "le ", "Publié le ", "Le ",
                                                          "Publiée le ", "Mis en ligne le "]))
def test_dates_in_words_are_read(day, short, weekday, prefix):
    written = prefix + in_words(day, short=short, weekday=weekday)
    assert read_date(written).value == day
    assert find_date(f"Texte. {written} — suite").value == day


@given(DAYS, st.sampled_from(["", "T09:30:00+02:00", "T23:30:00Z", " 14:05", "T00:00:00.000Z"]))
def test_iso_dates_keep_the_day_the_publisher_wrote(day, time):
    assert read_iso_date(day.isoformat() + time) == day
    assert read_date(day.isoformat() + time).value == day


@given(DAYS)
def test_a_day_of_twelve_or_less_is_never_read_as_a_month(day):
    # htmldate reads "04 11 2024" as 11 April: here it is the 4th of November, always.
    written = numeric(day, " ")
    assert read_date(written).value.month == day.month
    assert find_date(f"Réunion du {written}").value.day == day.day


@given(DAYS, DAYS)
def test_a_year_less_date_is_the_latest_such_day_up_to_the_capture(day, captured):
    found = read_date("le " + in_words(day, year=False), reference=captured)
    if found is None:  # 29 February, in no year around the capture
        assert (day.month, day.day) == (2, 29)
        return
    assert (found.value.month, found.value.day) == (day.month, day.day)
    # The latest such day not after the capture (a day of slack: a page dated tomorrow).
    assert found.value <= captured + timedelta(days=1)
    assert found.value > captured + timedelta(days=1) - timedelta(days=366)


def test_a_year_less_date_is_not_read_without_a_capture_date():
    assert read_date("le 4 avril") is None
    assert read_date("le 4 avril", reference=date(2021, 5, 2)).value == date(2021, 4, 4)
    assert read_date("le 4 avril", reference=date(2021, 3, 2)).value == date(2020, 4, 4)


@pytest.mark.parametrize(("text", "expected", "raw"), [
    ("Publié le 4 avril 2020 par Union régionale dans Actualités", date(2020, 4, 4),
     "4 avril 2020"),
    ("Publié le 24 09 2024", date(2024, 9, 24), "24 09 2024"),
    ("Mis à jour le 19 février 2020 | Publié le 12 avril 2017", date(2017, 4, 12),
     "12 avril 2017"),
    ("Posté le mardi 1er décembre 2020 à 14h30", date(2020, 12, 1), "mardi 1er décembre 2020"),
])  # fmt: skip
def test_a_byline_gives_its_publication_date_not_its_update(text, expected, raw):
    found = find_published_date(text)
    assert (found.value, found.raw) == (expected, raw)


@pytest.mark.parametrize("text", [
    "Mis à jour le 19 février 2020", "31 02 2020", "le 32 avril 2020", "13 13 2020",
    "2020-13-01", "Les dernières actualités", "Lire plus...", "1 300 emplois en 2020",
    "version 1.2.2020", "",
])  # fmt: skip
def test_what_is_not_a_publication_date_is_not_read(text):
    assert find_published_date(text) is None
    assert read_date(text) is None or text == "version 1.2.2020"


def test_a_date_line_is_the_whole_line():
    assert parse_date_line("04 04 2020") == date(2020, 4, 4)
    assert parse_date_line("Réunion le 04 04 2020") is None
    assert read_date("Réunion le 04 04 2020") is None
    assert find_date("Réunion le 04 04 2020").value == date(2020, 4, 4)


def test_written_out_dates_in_a_text():
    found = find_french_date("Communiqué de presse, 26 novembre 2014.")
    assert (found.value, found.raw) == (date(2014, 11, 26), "26 novembre 2014")
    assert find_french_date("le 4 avril") is None  # no year: not this reader's


def test_legacy_urls_give_their_date():
    found = date_from_legacy_url(
        "https://les-scop-idf.coop/actualite-presse/communiques-de-presse/20141126,bilan.htm")
    assert (found.value, found.raw) == (date(2014, 11, 26), "20141126")
    assert date_from_legacy_url("https://les-scop-idf.coop/20141332,x.htm") is None
    assert date_from_legacy_url("https://les-scop-idf.coop/2014/11/26/x") is None


@pytest.mark.parametrize("text", [
    "Le 17 juillet dernier, le Tribunal de Commerce d'Orléans a tranché.",
    "Le 4 avril, nous avons réuni les coopératives.",
    "Le 12 mars 2024 restera une date importante pour la Scop.",
])  # fmt: skip
def test_a_sentence_that_opens_on_a_date_is_no_byline(text):
    assert find_published_date(text, reference=date(2024, 11, 5)) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Le 12 mars 2024", date(2024, 3, 12)),
    ("Le 12/03/2024 à 14h30", date(2024, 3, 12)),
    ("Par Jean Dupont, le 12 mars 2024 | Actualités", date(2024, 3, 12)),
    ("Publié le 12 mars", date(2024, 3, 12)),  # announced: the year comes from the capture
])  # fmt: skip
def test_bylines_in_their_usual_forms(text, expected):
    assert find_published_date(text, reference=date(2024, 11, 5)).value == expected


def test_a_29_february_without_its_year_is_read_within_the_year_before_the_capture_only():
    assert read_date("le 29 février", reference=date(2000, 3, 1)).value == date(2000, 2, 29)
    assert read_date("le 29 février", reference=date(2001, 2, 27)).value == date(2000, 2, 29)
    assert read_date("le 29 février", reference=date(2001, 3, 1)) is None  # 367 days back
