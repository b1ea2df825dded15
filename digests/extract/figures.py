"""Figures a reader wants at a glance: money, percentages, distances, durations and counts.

Each figure keeps the words as written, its value with the scale applied ("$1.13bn" is
1130000000), its unit (an ISO currency code, "%", "km", or a unit word such as "hours") and,
for counts, the noun phrase it counts ("40 Russian jets" counts "Russian jets").

Not figures: years and dates (they belong to :mod:`digests.extract.dates`), clock times,
ages, and numbering ("Article 5", "No 10", "World War II").
"""

from __future__ import annotations

import re

from digests.extract.text import Segment
from digests.models import Figure

__all__ = ["extract_figures"]

_SCALES = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "b": 1e9,
    "billion": 1e9, "tn": 1e12, "trillion": 1e12,
}
_CURRENCY_SYMBOLS = {
    "$": "USD", "us$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP", "€": "EUR", "eur": "EUR",
    "¥": "JPY", "jpy": "JPY", "a$": "AUD", "c$": "CAD", "hk$": "HKD", "rs": "INR", "₹": "INR",
    "chf": "CHF", "cny": "CNY", "rub": "RUB", "uah": "UAH",
}
_CURRENCY_WORDS = {
    "dollars": "USD", "dollar": "USD", "pounds": "GBP", "pound": "GBP", "sterling": "GBP",
    "euros": "EUR", "euro": "EUR", "yen": "JPY", "yuan": "CNY", "rupees": "INR",
    "roubles": "RUB", "rubles": "RUB", "hryvnias": "UAH", "francs": "CHF", "pence": "GBP",
    "p": "GBP",
}
_UNITS = {
    "km": "km", "kilometers": "km", "kilometres": "km", "kilometer": "km", "kilometre": "km",
    "miles": "miles", "mile": "miles", "m": "m", "metres": "m", "meters": "m", "metre": "m",
    "meter": "m", "kg": "kg", "kilograms": "kg", "kilogrammes": "kg", "tonnes": "tonnes",
    "tons": "tons", "barrels": "barrels", "mph": "mph", "km/h": "km/h", "hours": "hours",
    "hour": "hours", "minutes": "minutes", "minute": "minutes", "seconds": "seconds",
    "days": "days", "day": "days", "weeks": "weeks", "week": "weeks", "months": "months",
    "month": "months", "years": "years", "year": "years", "decades": "decades",
    "acres": "acres", "hectares": "hectares", "gw": "GW", "mw": "MW", "degrees": "degrees",
    "feet": "feet", "ft": "feet", "inches": "inches", "litres": "litres", "liters": "litres",
    "gallons": "gallons", "points": "points",
}
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "a hundred": 100, "a dozen": 12, "dozen": 12,
    "a thousand": 1000, "a million": 1e6, "a billion": 1e9, "one": 1, "a": 1, "an": 1,
    "half a": 0.5,
}
_VAGUE = {"hundreds": 100, "thousands": 1000, "millions": 1e6, "billions": 1e9, "dozens": 12,
          "tens of thousands": 1e4, "hundreds of thousands": 1e5}
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# Words that end the noun phrase a number counts.
_NP_STOP = {
    "the", "a", "an", "of", "in", "on", "at", "to", "from", "for", "by", "with", "and", "or",
    "that", "which", "who", "is", "are", "was", "were", "be", "been", "has", "have", "had",
    "will", "would", "could", "should", "can", "may", "might", "it", "its", "their", "his",
    "her", "this", "these", "those", "than", "as", "into", "over", "under", "after", "before",
    "since", "during", "while", "when", "per", "each", "up", "down", "more", "less", "but",
    "said", "says", "say", "ago", "earlier", "later", "year-on-year", "so", "last", "next",
    "about", "around", "across", "between", "against", "like", "through", "out", "off",
    "rose", "fell", "jumped", "dropped", "grew", "increased", "decreased", "rising", "falling",
    "too", "not", "only", "just", "also", "already", "still", "yet", "all", "both", "he",
    "she", "they", "we", "i", "you", "isn't", "aren't", "wasn't", "weren't", "there", "where",
    "then", "now", "because", "if", "though", "although", "some", "any", "no", "such", "own",
    "near", "within", "outside", "inside", "beyond", "toward", "towards", "among", "amid",
    "via", "without", "behind", "below", "above", "along", "upon", "onto", "despite", "until",
    "following", "including", "ends", "remains", "continues", "comes", "goes", "takes",
    "makes", "means", "died", "left", "lost", "won", "made", "took", "came", "went", "saw",
    "did", "does", "do", "get", "got", "gets", "being", "what", "whom", "whose", "again",
    "ever", "even", "instead", "today", "yesterday", "tomorrow",
}

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:bn|billion|mn|million|m|k|thousand|tn|trillion)"
_SYMBOL = r"(?:US\$|A\$|C\$|HK\$|\$|£|€|¥|₹|(?:USD|GBP|EUR|JPY|CHF|CNY|RUB|UAH|Rs)\.?\s?)"
_WORDNUM = "|".join(
    sorted((re.escape(w) for w in _WORD_NUMBERS if w not in {"a", "an", "one"}), key=len,
           reverse=True)
)

_MONEY = re.compile(
    rf"(?<![\w$£€])(?P<sym>{_SYMBOL})\s?(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE})\b)?"
)
_MONEY_AFTER = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE}))?\s?"
    rf"(?P<cur>dollars|dollar|pounds|pound|euros|euro|yen|yuan|rupees|roubles|rubles|"
    rf"hryvnias|francs|pence|p|USD|GBP|EUR|JPY)\b"
)
_PERCENT = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM}|{_WORDNUM})\s?(?P<unit>%|per ?cent\b|percent\b|"
    rf"percentage points?\b)"
)
_NUMBER = re.compile(
    rf"(?<![\w.,$£€/:-])(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE})\b)?(?![\w%/:]|[.,]\d)"
)
_WORDED = re.compile(
    rf"\b(?P<num>{_WORDNUM}|a|an|one)(?:[- ](?P<scale>thousand|million|billion))?"
    rf"(?P<sep>[- ])(?P<unit>hours?|minutes?|days?|weeks?|months?|years?|decades?|miles?|"
    rf"kilometres?|kilometers?)\b",
    re.IGNORECASE,
)
_WORDED_COUNT = re.compile(rf"\b(?P<num>{_WORDNUM})\s+(?=[a-z])", re.IGNORECASE)
_VAGUE_RE = re.compile(
    r"\b(?P<num>tens of thousands|hundreds of thousands|hundreds|thousands|millions|billions|"
    r"dozens)\s+of\s+",
    re.IGNORECASE,
)
_NOT_COUNT_BEFORE = re.compile(
    rf"(?:\b(?:article|section|chapter|clause|no|number|page|paragraph|rule|level|grade|"
    rf"aged|age|room|flight|route|channel|version|round|stage|phase|world war|"
    rf"{_MONTHS})\.?\s*$)",
    re.IGNORECASE,
)
# A capitalised word right before a number usually names it ("Windows 95", "Formula 1"),
# unless it is an ordinary word that opens a sentence ("About 500 people").
_NAMED_NUMBER = re.compile(r"\b([A-Z][\w-]*)\s+$")
_OPENING_WORDS = {
    "about", "some", "nearly", "almost", "around", "over", "only", "just", "more", "fewer",
    "less", "the", "all", "but", "and", "in", "of", "at", "by", "with", "from", "another",
    "roughly", "approximately", "up", "under", "at least", "since", "for", "than", "its",
    "their", "his", "her", "our", "these", "those", "exactly", "when", "after",
}


def _names_number(before: str) -> bool:
    if _NOT_COUNT_BEFORE.search(before):
        return True
    m = _NAMED_NUMBER.search(before)
    return bool(m) and m.group(1).lower() not in _OPENING_WORDS
_NOT_COUNT_AFTER = re.compile(
    rf"^\s*(?:GMT|BST|am|pm|a\.m|p\.m|hrs|o'clock|BC|AD|{_MONTHS})\b|^-year-old|^\s*years? old|"
    r"^\s*(?:st|nd|rd|th)\b|^th\b",
    re.IGNORECASE,
)


def _value(num: str, scale: str | None = None) -> float:
    low = num.lower()
    value = _WORD_NUMBERS[low] if low in _WORD_NUMBERS else float(num.replace(",", ""))
    if scale:
        value *= _SCALES[scale.lower()]
    return float(value)


def _noun_phrase(text: str, limit: int = 4) -> str | None:
    """The noun phrase at the start of ``text``: '40 Russian jets isn't random' -> 'Russian jets'.

    A conjunction joins two nouns ('drones and missiles') only when a noun follows it.
    """
    tokens = re.findall(r"[A-Za-z][\w'’-]*|[^\sA-Za-z]", text)
    words: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if not token[0].isalpha() or len(words) >= limit:
            break
        if low in {"and", "or"}:
            nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
            if not words or not nxt[:1].isalpha() or nxt in _NP_STOP or nxt in _VAGUE or (
                nxt in _WORD_NUMBERS
            ):
                break
            words.append(token)
            continue
        if low in _NP_STOP or low.endswith(("n't", "n’t")):
            break
        if words and low.endswith("ed") and not low.endswith("eed"):
            # "500 people arrested": a past tense after the noun ends the phrase.
            break
        words.append(token)
    return " ".join(words) or None


def _is_year(num: str, text: str, end: int) -> bool:
    if not re.fullmatch(r"(?:1[89]|20)\d\d", num):
        return False
    unit = re.match(r"\s*([a-z%]+)", text[end:])
    return not (unit and unit.group(1) in _UNITS and unit.group(1) not in {"m"})


def _figures_in(sentence: Segment) -> list[Figure]:
    text = sentence.text
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Figure]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    def add(a: int, b: int, figure: Figure) -> None:
        taken.append((a, b))
        found.append((a, figure))

    for m in _MONEY.finditer(text):
        sym = m.group("sym").strip().rstrip(".").lower()
        add(m.start(), m.end(), Figure(
            text=m.group(0).strip(), number=_value(m.group("num"), m.group("scale")),
            unit=_CURRENCY_SYMBOLS.get(sym, sym.upper()), sentence=text,
        ))
    for m in _MONEY_AFTER.finditer(text):
        if not free(m.start(), m.end()):
            continue
        cur = m.group("cur")
        number = _value(m.group("num"), m.group("scale"))
        if cur in {"p", "pence"}:
            number /= 100
        add(m.start(), m.end(), Figure(
            text=m.group(0), number=number,
            unit=_CURRENCY_WORDS.get(cur.lower(), cur.upper()), sentence=text,
        ))
    for m in _PERCENT.finditer(text):
        if not free(m.start(), m.end()):
            continue
        counts = None
        of = re.match(r"\s+of\s+(?:the\s+|its\s+|their\s+)?(.*)", text[m.end():])
        if of:
            counts = _noun_phrase(of.group(1))
        unit = "percentage points" if "point" in m.group("unit") else "%"
        add(m.start(), m.end(), Figure(
            text=m.group(0), number=_value(m.group("num")), unit=unit, counts=counts,
            sentence=text,
        ))
    for m in _VAGUE_RE.finditer(text):
        counts = _noun_phrase(text[m.end():])
        if counts and free(m.start(), m.end()):
            add(m.start(), m.end() + len(counts), Figure(
                text=m.group("num"), number=None, counts=counts, sentence=text,
            ))
    for m in _WORDED.finditer(text):
        if not free(m.start(), m.end()):
            continue
        num = m.group("num").lower()
        if num in {"a", "an", "one"} and m.group("sep") == " ":
            # "a year", "one day" are phrases of time, not figures.
            continue
        if text[m.end():].startswith(("-old", " old")):
            continue  # an age
        unit = _UNITS[m.group("unit").lower()]
        # "a three-year deal": the hyphenated figure qualifies the next noun.
        counts = _noun_phrase(text[m.end():], limit=1) if m.group("sep") == "-" else None
        add(m.start(), m.end(), Figure(
            text=m.group(0), number=_value(num, m.group("scale")), unit=unit, counts=counts,
            sentence=text,
        ))
    for m in _NUMBER.finditer(text):
        if not free(m.start(), m.end()):
            continue
        num, scale = m.group("num"), m.group("scale")
        if scale is None and _is_year(num, text, m.end()):
            continue
        if _names_number(text[: m.start()]) and not scale:
            continue
        if _NOT_COUNT_AFTER.search(text[m.end():]):
            continue
        rest = text[m.end():]
        unit_m = re.match(r"[- ]?([A-Za-z/]+)\b", rest)
        unit = None
        end = m.end()
        if unit_m and unit_m.group(1).lower() in _UNITS and not (
            unit_m.group(1) == "m" and scale is None and unit_m.group(0).startswith(" ")
        ):
            unit = _UNITS[unit_m.group(1).lower()]
            end += unit_m.end()
        if unit is None and scale == "m":
            scale = "m"
        counts = _noun_phrase(text[end:], limit=3 if unit else 4)
        if unit is None and counts is None:
            continue
        if unit and not (unit_m and unit_m.group(0).startswith("-")):
            counts = None if counts is None or len(counts.split()) > 3 else counts
        if unit and unit_m and not unit_m.group(0).startswith("-"):
            counts = None
        add(m.start(), end, Figure(
            text=text[m.start():end], number=_value(num, scale), unit=unit, counts=counts,
            sentence=text,
        ))
    for m in _WORDED_COUNT.finditer(text):
        if not free(m.start(), m.end()):
            continue
        counts = _noun_phrase(text[m.end():], limit=3)
        if not counts or _names_number(text[: m.start()]) or re.search(
            r"\b(?:the|both|these|those|its|their|his|her|our|all)\s+$", text[: m.start()], re.I
        ):
            continue
        add(m.start(), m.end() + len(counts), Figure(
            text=m.group("num"), number=_value(m.group("num")),
            counts=counts, sentence=text,
        ))
    found.sort(key=lambda item: item[0])
    return [f for _, f in found]


def extract_figures(sents: list[Segment]) -> list[Figure]:
    """All figures of the body, in reading order."""
    return [f for s in sents for f in _figures_in(s)]
