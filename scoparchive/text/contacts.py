"""Contacts written in page text: phones, e-mails (obfuscated too), web and postal addresses."""

from __future__ import annotations

import re
from functools import lru_cache

from scoparchive.items import Contact

_AT = r"\s*[\[\(\{]\s*(?:at|arobase|chez)\s*[\]\)\}]\s*"
_DOT = r"\s*[\[\(\{]\s*(?:dot|point)\s*[\]\)\}]\s*"
_EMAIL = re.compile(
    rf"[\w.+\-]+(?:@|{_AT})[\w\-]+(?:(?:\.|{_DOT})[\w\-]+)*(?:\.|{_DOT})[a-z]{{2,24}}\b", re.I
)
#: Cheap tests that spare the costly patterns most paragraphs, which hold no contact at all.
#: Each is implied by the pattern it guards, so a text that fails one holds no match.
_MAY_HOLD_EMAIL = re.compile(r"@|[\[\(\{]\s*(?:at|arobase|chez)\s*[\]\)\}]", re.I)
#: Five digits, single separators allowed: in every phone number (nine digits so written) and in
#: every postal code (five in a row), so one scan of the text serves both.
_MAY_HOLD_NUMBER = re.compile(r"\d(?:[ .\-\u00a0/]?\d){4}")
_DIGIT = re.compile(r"\d")
_MAY_HOLD_PHONE = re.compile(r"\d(?:[ .\-\u00a0/]?\d){8}")  # the nine digits of _PHONE
_MAY_HOLD_ADDRESS = re.compile(r"\d{5}")  # the postal code of _ADDRESS
_EMAIL_STRICT = re.compile(r"^[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,24}$", re.I)
_AT_SUB = re.compile(_AT, re.I)
_DOT_SUB = re.compile(_DOT, re.I)

#: Ten digits starting with 0 (or +33 / 0033 and nine digits), grouped any way: ``01 70 772 372``.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[ .\-\u00a0/]?\d){8}(?!\d)"
)
#: Overseas numbers parse under their own region (0262 is Réunion, not metropolitan France).
_PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM")

_WEB = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+[^\s<>\"'()\[\].,;:!?»]", re.I)

_STREET_TYPES = (
    "rue|avenue|av\\.|boulevard|bd|place|allée|allee|impasse|quai|chemin|route|cours|square|"
    "passage|villa|cité|cite|faubourg|rond-point|parvis|esplanade|sentier|promenade|voie|"
    "mail|résidence|residence|zone|za|zi|parc"
)
_ADDRESS = re.compile(
    r"(?P<street>(?:\b\d{1,4}(?:\s?(?:bis|ter))?\s*,?\s+)?\b(?:" + _STREET_TYPES + r")\b"
    r"[^\n\d]{1,60}?)\s*(?:,|\n|–|-)?\s*(?P<code>\b\d{5})\s+"
    r"(?P<town>[A-ZÀ-Ý][A-Za-zÀ-ÿ'’\-]*(?:[ \-][A-Za-zÀ-ÿ'’\-]+){0,4}?"
    r"(?:\s+cedex(?:\s+\d{1,2})?)?)"
    r"(?=\s*$|\s*[\n,.;)|–]|\s+-\s|\s+(?:t[ée]l|t\.|fax|e-?mail|mail|courriel|site)\b)",
    re.I | re.M,
)


def deobfuscate_email(text: str) -> str:
    """``name[at]scop.coop``, ``name (at) domain (dot) coop`` → ``name@scop.coop``."""
    return _DOT_SUB.sub(".", _AT_SUB.sub("@", text)).strip().lower()


@lru_cache(maxsize=4096)
def normalise_phone(raw: str) -> str | None:
    """A French phone number in any usual form → E.164 (``+33170772372``), None if invalid."""
    import phonenumbers  # imported on the first phone met: its metadata is slow to load

    for region in _PHONE_REGIONS:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def normalise_url(raw: str) -> str:
    return raw if "://" in raw else "http://" + raw


def find_contacts(text: str, *, context: str | None = None) -> list[Contact]:
    """Every contact in ``text``, in order of position.

    ``context`` is given to every contact found; by default each gets the line it sits on.
    """
    has_at, has_bracket, digits_from, may_hold_web = _contact_signs(text)
    # Where the first "@" or "[at]" is: every e-mail address holds one.
    first_at = -1
    if has_bracket:
        if sign := _MAY_HOLD_EMAIL.search(text):
            first_at = sign.start()
    elif has_at:
        first_at = text.find("@")
    if first_at < 0 and digits_from < 0 and not may_hold_web:  # most paragraphs
        return []
    found: list[tuple[int, Contact]] = []
    email_spans: list[tuple[int, int]] = []
    emails = _EMAIL.finditer(text, _email_scan_start(text, first_at)) if first_at >= 0 else ()
    for match in emails:
        value = deobfuscate_email(match[0])
        if _EMAIL_STRICT.match(value):
            email_spans.append(match.span())
            found.append(
                (match.start(), Contact("email", value, match[0], context or _line_at(text, match)))
            )
    # A run of five digits starts no later than a phone's or a postal code's: the scans for
    # those start there.
    phones = (
        _PHONE.finditer(text)
        if digits_from >= 0
        and ("0" in text or "+" in text)
        and _MAY_HOLD_PHONE.search(text, digits_from)
        else ()
    )
    for match in phones:
        value = normalise_phone(match[0])
        if value:
            found.append(
                (match.start(), Contact("phone", value, match[0], context or _line_at(text, match)))
            )
    webs = _WEB.finditer(text) if may_hold_web else ()
    for match in webs:
        if any(start <= match.start() < end for start, end in email_spans):
            continue
        raw = match[0]
        found.append(
            (
                match.start(),
                Contact("url", normalise_url(raw), raw, context or _line_at(text, match)),
            )
        )
    addresses = (
        _ADDRESS.finditer(text)
        if digits_from >= 0 and _MAY_HOLD_ADDRESS.search(text, digits_from)
        else ()
    )
    for match in addresses:
        value = f"{' '.join(match['street'].split())}, {match['code']} {match['town'].strip()}"
        found.append(
            (match.start(), Contact("address", value, match[0], context or _line_at(text, match)))
        )
    found.sort(key=lambda pair: pair[0])
    return [contact for _, contact in found]


def _email_scan_start(text: str, first_at: int) -> int:
    """Where _EMAIL can first match, given the first "@" or "[at]" sign of the text: at the
    start of the run of name characters in front of it (blanks before a bracket aside). An
    address ends its name at its own sign, and a sign or a blank ends a run, so no address
    starts before. The pattern tries and fails at every position before, each time
    backtracking over a word: on a long paragraph, most of its cost."""
    start = first_at
    if text[start] != "@":
        while start > 0 and text[start - 1].isspace():
            start -= 1
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.+-"):
        start -= 1
    return start


def _contact_signs(text: str) -> tuple[bool, bool, int, bool]:
    """What the cheap tests of ``find_contacts`` read: whether ``text`` holds "@", whether it
    holds one of ``[({`` (an obfuscated "[at]"), where its first run of five digits
    (``_MAY_HOLD_NUMBER``) starts (-1: none), whether it holds "://" or "www." in any case.

    Each is a scan of the text in C; a pattern that opens on a class of characters is tried at
    every position, so the search for five digits starts at the first digit, if any."""
    digit = _DIGIT.search(text)
    number = _MAY_HOLD_NUMBER.search(text, digit.start()) if digit else None
    return (
        "@" in text,
        "[" in text or "(" in text or "{" in text,
        number.start() if number else -1,
        "://" in text or (("w." in text or "W." in text) and "www." in text.lower()),
    )


def _line_at(text: str, match: re.Match) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = text[start : end if end >= 0 else len(text)].strip()
    return line if len(line) <= 300 else text[max(0, match.start() - 100) : match.end() + 100]
