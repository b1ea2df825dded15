"""Figures a reader wants at a glance: money, percentages, distances, durations and counts.

Each figure keeps the words as written, its value with the scale applied ("$1.13bn" is
1130000000), its unit (an ISO currency code, "%", "km", or a unit word such as "hours") and,
for counts, the noun phrase it counts ("40 Russian jets" counts "Russian jets").

Not figures: years and dates (they belong to :mod:`digests.extract.dates`), clock times,
ages, and numbering ("Article 5", "No 10", "World War II").
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from digests.extract.text import Segment
from digests.models import Figure

__all__ = ["extract_figures"]

_SCALES = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "b": 1e9,
    "billion": 1e9, "tn": 1e12, "trillion": 1e12, "lakh": 1e5, "crore": 1e7, "cr": 1e7,
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
    "decade": "decades",
    "acres": "acres", "hectares": "hectares", "gw": "GW", "mw": "MW", "degrees": "degrees",
    "feet": "feet", "ft": "feet", "inches": "inches", "litres": "litres", "liters": "litres",
    "gallons": "gallons", "points": "points", "secs": "seconds", "sec": "seconds",
    "mins": "minutes", "hrs": "hours",
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
    "every", "other", "another", "stood", "gave", "found", "told", "became", "felt", "kept",
    "held", "brought", "began", "ran", "paid", "sold", "bought", "built", "spent", "sent",
    "met", "led", "live", "depend", "face", "need", "want", "think", "remain", "earn",
    "receive", "attend", "die", "believe", "expect", "agree", "work", "must", "shall",
    "here", "whether", "compared", "respectively", "apiece", "altogether",
}

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:bn|billion|mn|million|m|k|thousand|tn|trillion|lakh|crore|cr)"
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
_WORDED_COUNT = re.compile(
    rf"\b(?P<num>{_WORDNUM})(?:\s+(?P<scale>thousand|million|billion))?\s+(?=[A-Za-z])",
    re.IGNORECASE,
)
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
    if low in _WORD_NUMBERS:
        value = Decimal(str(_WORD_NUMBERS[low]))
    else:
        value = Decimal(num.replace(",", ""))
    if scale:
        # Decimal keeps "8.2bn" at 8200000000, not 8199999999.999999.
        value *= Decimal(str(int(_SCALES[scale.lower()])))
    return float(value)


# After a bare "100m", words that make it a distance run, swum or raced, not a million.
_RACE_WORDS = {
    "champion", "title", "final", "record", "gold", "silver", "bronze", "medal", "medallist",
    "world", "sprint", "sprinter", "race", "indoor", "run", "runner", "heat", "relay",
    "specialist", "event", "hurdles", "hurdler", "hurdlers", "victory", "win", "winner",
    "runners", "heats", "indoors", "freestyle", "butterfly", "backstroke", "breaststroke",
    "medley", "events", "finals", "titles", "races", "records", "medals",
}


def _bare_m(num: str, rest: str, sentence: str) -> str | None:
    """Read a bare '100m': 'metres', 'million', or None when the sentence cannot tell.

    '100m champion', '60m hurdles', 'cleared 4.88m' are distances; '2m people' and 'up from
    38m' beside euros are millions.
    """
    nxt = re.match(r"\s*([A-Za-z-]+)", rest)
    word = nxt.group(1).lower() if nxt else ""
    if word in _RACE_WORDS:
        return "metres"
    if _money_context(sentence):
        return "million"
    counts_something = word and word not in _NP_STOP and nxt is not None and (
        nxt.group(1)[0].islower()
    )
    if _race_context(sentence) and word not in _PEOPLE_COUNTED:
        return "metres"
    if counts_something:
        return "million"  # "2.5m homes"
    return None


# What millions usually count, even in a sentence about a race: "2.5m people watched".
_PEOPLE_COUNTED = {
    "people", "viewers", "users", "customers", "homes", "households", "subscribers",
    "voters", "visitors", "passengers", "jobs", "children", "adults", "workers", "fans",
    "residents", "tickets", "copies", "shares", "barrels", "tonnes", "pounds", "dollars",
}


_RACE_CONTEXT = re.compile(
    r"\b(?:seconds|secs|race|races|sprint|sprinter|ran|run|runner|hurdles|metres|athlete|"
    r"athletics|champion|indoor|indoors|track|medal|medals|olympic|olympics|swim|swimmer|"
    r"freestyle|relay|final|heat|jump|jumped|vault|vaulted|cleared|leap|throw|threw|javelin|"
    r"discus|hammer|shot|height|personal best|world best|record)\b",
    re.IGNORECASE,
)
_MONEY_CONTEXT = re.compile(r"[$£€¥]|\b(?:euros?|dollars?|pounds?|yen|USD|GBP|EUR)\b")


# Once per sentence, however many bare "m" figures it holds.
@functools.lru_cache(maxsize=64)
def _money_context(sentence: str) -> bool:
    return bool(_MONEY_CONTEXT.search(sentence))


@functools.lru_cache(maxsize=64)
def _race_context(sentence: str) -> bool:
    return bool(_RACE_CONTEXT.search(sentence))


# How far around a number its reading looks: enough for a unit or a noun phrase, and a bound
# that keeps a sentence of a hundred thousand numbers linear.
_AHEAD = 200
_BEHIND = 80


def _after(text: str, end: int) -> str:
    return text[end : end + _AHEAD]


def _before(text: str, start: int) -> str:
    return text[max(0, start - _BEHIND) : start]


def _noun_phrase(text: str, limit: int = 4) -> str | None:
    """The noun phrase at the start of ``text``: '40 Russian jets isn't random' -> 'Russian jets'.

    A conjunction joins two nouns ('drones and missiles') only when a noun follows it.
    """
    tokens = re.findall(r"[A-Za-z][\w'’-]*|[^\sA-Za-z]", text[:_AHEAD])
    words: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if not token[0].isalpha() or len(words) >= limit:
            break
        if low in {"and", "or"}:
            nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if not words or not following[:1].islower() or nxt in _NP_STOP or nxt in _VAGUE or (
                nxt in _WORD_NUMBERS
            ):
                break
            words.append(token)
            continue
        if low in _NP_STOP or low.endswith(("n't", "n’t")):
            break
        if token[0].isupper() and low.endswith("s") and len(low) > 3 and not (
            i + 1 < len(tokens) and tokens[i + 1][:1].isupper()
        ):
            # "2.2 million Ethiopians depend ...": a people's name ends the phrase.
            words.append(token)
            break
        if words and low.endswith("ing") and len(low) > 5:
            # "six young guys coming up": a participle starts what is said of them.
            break
        if words and low.endswith("ed") and not low.endswith("eed"):
            # "500 people arrested": a past tense after the noun ends the phrase.
            break
        words.append(token)
    return " ".join(words) or None


def _money_for(text: str, end: int) -> str | None:
    """What a sum pays for when a noun follows it: 'a $900m loan', '£3m flood defences'."""
    # "$900m (£479m) loan": the sum in brackets buys the same loan.
    rest = re.sub(r"^(?:\s*\([^)]*\)|[);])", "", _after(text, end))
    if not re.match(r" [a-z]", rest):
        return None
    phrase = _noun_phrase(rest, limit=3)
    if phrase is None:
        return None
    first = phrase.split()[0].lower()
    if (
        first in _MONEY_NOT_NOUNS
        or first in _CURRENCY_WORDS
        or first.endswith(("ed", "ing"))
        or "year" in first
    ):
        return None
    return phrase


# Words that follow a sum without being what it buys: "$5m a year", "£2bn more".
_MONEY_NOT_NOUNS = {"a", "more", "less", "higher", "lower", "last", "this", "next", "per",
                    "each", "annually", "apiece", "worth", "overall", "in", "plus"}


def _is_proper_name(phrase: str) -> bool:
    words = phrase.split()
    return all(w[0].isupper() for w in words) and not (
        len(words) == 1 and words[0].endswith("s")
    )


def _is_year(num: str, text: str, end: int) -> bool:
    if not re.fullmatch(r"(?:1[89]|20)\d\d", num):
        return False
    unit = re.match(r"\s*([a-z%]+)", _after(text, end))
    return not (unit and unit.group(1) in _UNITS and unit.group(1) not in {"m"})


class _Found:
    """The figures of one sentence so far, and the stretches of it already read."""

    def __init__(self, text: str) -> None:
        self.text = text
        # One byte per character, set where a reading has claimed it: checking a stretch costs
        # its length, however many figures the sentence holds.
        self._taken = bytearray(len(text))
        self._figures: list[tuple[int, Figure]] = []

    def free(self, start: int, end: int) -> bool:
        return self._taken.find(1, start, end) == -1

    def skip(self, start: int, end: int) -> None:
        """Claim a stretch that is no figure, so no later reading takes its parts."""
        self._taken[start:end] = b"\x01" * (end - start)

    def add(self, start: int, end: int, **fields: object) -> None:
        self.skip(start, end)
        self._figures.append((start, Figure(sentence=self.text, **fields)))  # type: ignore[arg-type]

    def figures(self) -> list[Figure]:
        return [f for _, f in sorted(self._figures, key=lambda item: item[0])]


def _money(found: _Found) -> None:
    text = found.text
    for m in _MONEY.finditer(text):
        sym = m.group("sym").strip().rstrip(".").lower()
        found.add(
            m.start(), m.end(), text=m.group(0).strip(),
            number=_value(m.group("num"), m.group("scale")),
            unit=_CURRENCY_SYMBOLS.get(sym, sym.upper()), counts=_money_for(text, m.end()),
        )
    for m in _MONEY_AFTER.finditer(text):
        if not found.free(m.start(), m.end()):
            continue
        cur = m.group("cur")
        number = _value(m.group("num"), m.group("scale"))
        if cur in {"p", "pence"}:
            number /= 100
        found.add(
            m.start(), m.end(), text=m.group(0), number=number,
            unit=_CURRENCY_WORDS.get(cur.lower(), cur.upper()), counts=_money_for(text, m.end()),
        )


def _percentages(found: _Found) -> None:
    text = found.text
    for m in _PERCENT.finditer(text):
        if not found.free(m.start(), m.end()):
            continue
        of = re.match(r"\s+of\s+(?:the\s+|its\s+|their\s+)?(.*)", _after(text, m.end()))
        found.add(
            m.start(), m.end(), text=m.group(0), number=_value(m.group("num")),
            unit="percentage points" if "point" in m.group("unit") else "%",
            counts=_noun_phrase(of.group(1)) if of else None,
        )


def _vague_counts(found: _Found) -> None:
    """'thousands of casualties': no number to give, but a reader wants the scale."""
    text = found.text
    for m in _VAGUE_RE.finditer(text):
        counts = _noun_phrase(_after(text, m.end()))
        if counts and found.free(m.start(), m.end()):
            found.add(m.start(), m.end() + len(counts), text=m.group("num"), counts=counts)


def _written_durations(found: _Found) -> None:
    """'two hours', 'a three-year deal', 'one-hour meeting'; not 'a year' nor ages."""
    text = found.text
    for m in _WORDED.finditer(text):
        if not found.free(m.start(), m.end()):
            continue
        num = m.group("num").lower()
        hyphenated = m.group("sep") == "-"
        if num in {"a", "an", "one"} and not hyphenated:
            continue  # "a year", "one day": phrases of time, not figures
        if _after(text, m.end()).startswith(("-old", " old")):
            found.skip(m.start(), m.end() + 4)  # "a three-year-old": an age
            continue
        word = m.group("unit").lower()
        found.add(
            m.start(), m.end(), text=m.group(0), number=_value(num, m.group("scale")),
            unit=_UNITS.get(word) or _UNITS.get(word + "s") or word,
            # "a three-year deal": the hyphenated figure qualifies the next noun.
            counts=_noun_phrase(_after(text, m.end()), limit=1) if hyphenated else None,
        )


def _numbers(found: _Found) -> None:
    """Numbers in digits: with a unit ('7,000 kilometers'), a scale ('2.5 million') or the
    noun phrase they count ('40 Russian jets'); years, dates, times, ages and numbering are
    left out."""
    text = found.text
    for m in _NUMBER.finditer(text):
        if not found.free(m.start(), m.end()):
            continue
        num, scale = m.group("num"), m.group("scale")
        rest = _after(text, m.end())
        if scale == "m" and m.group(0).endswith("m") and not m.group(0)[-2].isspace():
            reading = _bare_m(num, rest, text)
            if reading is None:
                continue
            if reading == "metres":
                found.add(m.start(), m.end(), text=m.group(0), number=_value(num), unit="m")
                continue
        before = _before(text, m.start())
        if scale is None and (_is_year(num, text, m.end()) or _names_number(before)):
            continue
        if _NOT_COUNT_AFTER.search(rest):
            continue
        unit_m = re.match(r"[- ]?([A-Za-z/]+)\b", rest)
        unit = None
        end = m.end()
        if unit_m and unit_m.group(1).lower() in _UNITS and not (
            unit_m.group(1) == "m" and scale is None and unit_m.group(0).startswith(" ")
        ):
            unit = _UNITS[unit_m.group(1).lower()]
            end += unit_m.end()
        counts = _noun_phrase(_after(text, end), limit=3 if unit else 4)
        if unit is None and counts is not None and _is_proper_name(counts):
            continue  # "10 Downing Street", "Channel 4 News": a number in a name
        if unit is None and counts is None and not scale:
            continue
        if unit and not (unit_m and unit_m.group(0).startswith("-")):
            counts = None  # "7,000 kilometers from ...": the unit is what it measures
        found.add(
            m.start(), end, text=text[m.start():end], number=_value(num, scale), unit=unit,
            counts=counts,
        )


def _written_counts(found: _Found) -> None:
    """'two warring nations', 'seven million Ethiopians'; not 'the two' of something known."""
    text = found.text
    for m in _WORDED_COUNT.finditer(text):
        if not found.free(m.start(), m.end()):
            continue
        counts = _noun_phrase(_after(text, m.end()), limit=3)
        before = _before(text, m.start())
        if not counts or _names_number(before) or re.search(
            r"\b(?:the|both|these|those|its|their|his|her|our|all)\s+$", before, re.I
        ):
            continue
        found.add(
            m.start(), m.end() + len(counts), text=m.group(0).strip(),
            number=_value(m.group("num"), m.group("scale")), counts=counts,
        )


# In order of precedence: a stretch read as money is not read again as a count.
_READERS = (_money, _percentages, _vague_counts, _written_durations, _numbers, _written_counts)


# Whether a sentence can hold a figure at all: most sentences cannot, and skipping them keeps
# extraction fast.  A set lookup per word is much cheaper than one regex with many branches.
_COUNT_WORDS = frozenset(
    w for phrase in (*_WORD_NUMBERS, *_VAGUE) for w in phrase.split() if w not in {"a", "an"}
) - {"one", "of"}
_LETTERS = re.compile(r"[a-z]+")
_DIGIT = re.compile(r"\d")
_HYPHENATED_ONE = re.compile(r"\b(?:a|an|one)-")


def _may_count(text: str) -> bool:
    if _DIGIT.search(text):
        return True
    low = text.lower()
    if "-" in low and _HYPHENATED_ONE.search(low):
        return True
    return not _COUNT_WORDS.isdisjoint(_LETTERS.findall(low))


def _figures_in(sentence: Segment) -> list[Figure]:
    if not _may_count(sentence.text):
        return []
    found = _Found(sentence.text)
    for read in _READERS:
        read(found)
    return found.figures()


def extract_figures(sents: list[Segment]) -> list[Figure]:
    """All figures of the body, in reading order."""
    return [f for s in sents for f in _figures_in(s)]
