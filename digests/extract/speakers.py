"""Who is who in an article: people and organisations, their roles, and how later mentions
("Zelenskyy", "Ms Hewitt", "she") point back to them.

Names are found by shape, without a gazetteer: a run of capitalised words, with titles
("President", "Mr") and a leading nationality ("Ukrainian President ...") peeled off into the
role.  The first full mention of a person gives their full name and role; later mentions are
matched by surname.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Cast",
    "Person",
    "SpeakerRef",
    "build_cast",
    "parse_speaker",
]

# Words that are part of a title or office when capitalised before a name.
TITLE_WORDS = {
    "president", "vice", "prime", "minister", "secretary", "chancellor", "chairman",
    "chairwoman", "chair", "chief", "executive", "director", "general", "senator", "sen",
    "governor", "gov", "mayor", "judge", "justice", "coach", "manager", "captain", "professor",
    "prof", "dr", "mr", "mrs", "ms", "miss", "sir", "lord", "lady", "dame", "king", "queen",
    "prince", "princess", "pope", "bishop", "archbishop", "rev", "father", "foreign", "home",
    "defence", "defense", "trade", "industry", "health", "finance", "economy", "deputy",
    "former", "ex", "shadow", "leader", "spokesman", "spokeswoman", "commissioner",
    "ambassador", "envoy", "negotiator", "officer", "commander", "colonel", "lt", "sgt", "gen",
    "admiral", "ceo", "head", "editor", "inspector", "detective", "attorney", "representative",
    "rep", "congressman", "congresswoman", "mp", "msp", "mep", "speaker", "premier",
    "first", "state", "culture", "education", "environment", "transport", "interior",
    "sports", "work", "pensions", "business", "energy", "agriculture", "labour",
    "tory", "conservative", "democrat", "republican", "liberal", "lib", "dem", "party",
    "analyst", "economist", "lawyer", "engineer", "official", "spokesperson", "chairperson",
    "founder", "boss", "star", "singer", "actor", "actress", "striker", "midfielder",
    "defender", "goalkeeper", "player", "veteran", "author", "writer", "director-general",
}
_MALE_TITLES = {"mr", "sir", "lord", "king", "prince", "father", "spokesman", "chairman"}
_FEMALE_TITLES = {
    "mrs", "ms", "miss", "lady", "dame", "queen", "princess", "spokeswoman", "chairwoman",
}
# Capitalised words that open sentences or clauses and are never part of a name.
_FUNCTION_CAPS = {
    "the", "a", "an", "but", "and", "or", "in", "on", "at", "for", "from", "to", "of", "by",
    "with", "as", "after", "before", "while", "when", "if", "however", "meanwhile", "this",
    "that", "these", "those", "his", "her", "their", "its", "our", "it", "he", "she", "they",
    "we", "i", "you", "speaking", "according", "also", "yet", "so", "then", "now", "last",
    "earlier", "later", "both", "some", "many", "most", "there", "here", "what", "why", "how",
    "where", "who", "which", "instead", "still", "despite", "although", "though", "since",
    "until", "during", "under", "over", "writing", "asked", "told", "said", "says", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "today", "yesterday", "tomorrow", "mps", "not", "no", "yes", "all",
}
PRONOUNS = {"he": "m", "she": "f", "they": None, "it": None, "i": None, "we": None}
# Common nouns naming a group or an unnamed source: "the company said", "a spokeswoman said".
_NOMINAL = re.compile(
    r"\b(?:(?:the|a|an|its|their|his|her)\s+)?(?:[\w'’-]+\s+){0,3}"
    r"(?:company|firm|group|bank|club|government|ministry|department|spokesman|spokeswoman|"
    r"spokesperson|official|officials|minister|judges|police|report|statement|agency|"
    r"organisation|organization|union|party|executive|board|team|council|committee|court|"
    r"campaigners|analysts|critics|experts|source|sources|airline|regulator|commission|"
    r"chairman|director|secretary|leader|manager|coach|president|lawyer|spokesmen|"
    r"economist|analyst|researchers|doctors|witnesses|residents|authorities|army|military)\b",
    re.IGNORECASE,
)

_NAME_TOKEN = (
    r"(?:(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Sen|Gov|Rep|Prof|Lt|Col|Capt|Rev)\.|[A-Z]\.|"
    r"[A-Z][\w'’\-]*|(?:de|van|von|der|den|bin|al|la|le|du|da|di|del|dos)(?=[ \t]+[A-Z]))"
)
NAME_RUN = re.compile(rf"\b{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN})*")
_NATIONALITY = re.compile(r"^(?:[A-Z][a-z]+(?:ian|ean|ese|ish|ic|i|an)|[A-Z]{2,3})$")


@dataclass(slots=True)
class Person:
    """Someone (or some body) the article names."""

    name: str
    role: str | None = None
    gender: str | None = None
    first_offset: int = 0

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


@dataclass(frozen=True, slots=True)
class SpeakerRef:
    """A phrase naming who speaks, as parsed from an attribution."""

    name: str | None = None
    role: str | None = None
    pronoun: str | None = None
    nominal: str | None = None
    title_gender: str | None = None


def _clean_token(tok: str) -> str:
    return tok.rstrip(".").rstrip("'’s") if tok.endswith(("'s", "’s")) else tok.rstrip(".")


def split_title(run: str) -> tuple[str, str]:
    """Split a capitalised run into (title, name): 'Ukrainian President Volodymyr Zelenskyy'.

    The title keeps office words and a nationality that qualifies them; the name is what is
    left, possibly empty ("the Prime Minister").
    """
    tokens = run.split()
    i = 0
    while i < len(tokens) and tokens[i].lower().rstrip(".") in _FUNCTION_CAPS:
        i += 1
    start = i
    if len(tokens) - i >= 3 and re.search(r"(?:er|or|ist|ant|ent|man|woman)$", tokens[i]):
        # "Engineer Paul Dunn" opening a sentence: a role noun, capitalised by position.
        i += 1
    while i < len(tokens) - 1:
        low = tokens[i].lower().rstrip(".").split("-")[-1]
        qualifies = tokens[i + 1].lower().rstrip(".") in TITLE_WORDS
        if low in TITLE_WORDS or (_NATIONALITY.match(tokens[i]) and qualifies):
            i += 1
        else:
            break
    return " ".join(tokens[start:i]), " ".join(tokens[i:])


def _gender_of_title(title: str) -> str | None:
    words = {w.lower().rstrip(".") for w in title.split()}
    if words & _MALE_TITLES:
        return "m"
    if words & _FEMALE_TITLES:
        return "f"
    return None


_ROLE_STOP = re.compile(
    r"[,;:(“”\"‘!?]|\.(?:\s|$)|\b(?:that|said|says|told|by|from|with|to|and said|but|when|"
    r"while|as|because|after|before|where|is|was|are|were|has|have|had|in|on|at)\b",
    re.IGNORECASE,
)


def _role_before(text: str) -> str | None:
    """The role words written just before a name: 'Ukrainian negotiator' in
    'Ukrainian negotiator Sergiy Kyslytsya'."""
    cut = 0
    for m in _ROLE_STOP.finditer(text):
        cut = m.end()
    words = text[cut:].split()[-8:]
    role = " ".join(words).strip(" -—–")
    if not role or role.lower() in {"the", "a", "an"}:
        return None
    return re.sub(r"^(?:a|an)\s+", "", role)


_APPOSITIVE = re.compile(
    r"^\s*,\s*(?!who\b|which\b|whose\b|where\b|when\b|said\b|says\b|told\b|speaking\b|"
    r"adding\b|however\b)([^,;:“”\"()]{3,90}?)\s*(?:,|$|\.|;)"
)


def appositive_role(text_after_name: str) -> str | None:
    """An appositive role after a name: ', a member of the Ukrainian Parliament,'."""
    m = _APPOSITIVE.match(text_after_name)
    if not m:
        return None
    role = m.group(1).strip()
    first = role.split()[0]
    proper = first[0].isupper() and first.lower() not in {"the", "a", "an"} | TITLE_WORDS
    if proper and not re.search(r"\b(?:of|at|for|to)\b", role):
        # ", Mr Smith," or ", London," is not a role.
        return None
    if re.search(r"\b(?:said|says|is|was|has|had|will|would)\b", role):
        return None
    return re.sub(r"^(?:a|an)\s+", "", role)


def parse_speaker(phrase: str) -> SpeakerRef:
    """Parse the subject of an attribution: 'chairman and chief executive Richard Parsons',
    'he', 'the company', 'Ms Hewitt', 'Kira Rudik, a member of the Ukrainian Parliament'."""
    phrase = phrase.strip(" ,;:—–-\"“”'‘’")
    if not phrase:
        return SpeakerRef()
    low = phrase.lower()
    last = low.split()[-1]
    if last in PRONOUNS and len(low.split()) <= 2:
        return SpeakerRef(pronoun=last)
    # Cut a trailing appositive or relative clause: "Jamie Firestone, who is not connected".
    head, _, tail = phrase.partition(",")
    runs = [m for m in NAME_RUN.finditer(head) if _has_name_word(m.group(0))]
    if runs:
        run = runs[-1]
        title, name = split_title(run.group(0))
        name = " ".join(_clean_token(t) for t in name.split())
        if name and not all(t.lower() in TITLE_WORDS for t in name.split()):
            role_parts = [p for p in (_role_before(head[: run.start()]), title) if p]
            role = " ".join(role_parts) or None
            if tail:
                role = role or appositive_role("," + tail)
            return SpeakerRef(name=name, role=role, title_gender=_gender_of_title(title))
    nominals = list(_NOMINAL.finditer(head))
    if nominals:
        return SpeakerRef(nominal=nominals[-1].group(0).strip())
    return SpeakerRef()


def _has_name_word(run: str) -> bool:
    return any(t.lower().rstrip(".") not in _FUNCTION_CAPS for t in run.split())


@dataclass(slots=True)
class Cast:
    """The people and bodies named in an article, in order of first mention."""

    people: list[Person] = field(default_factory=list)
    # (offset, person) for every mention outside quotation marks, in order.
    mentions: list[tuple[int, Person]] = field(default_factory=list)

    def lookup(self, name: str) -> Person | None:
        """The person a written name refers to: exact, then by surname, then by first name."""
        if not name:
            return None
        for p in self.people:
            if p.name == name:
                return p
        last = name.split()[-1]
        for p in self.people:
            if len(p.name.split()) > 1 and p.surname == last:
                return p
        if len(name.split()) == 1:
            for p in self.people:
                if p.name.split()[0] == name:
                    return p
        return None

    def nearest_before(self, offset: int, gender: str | None = None) -> Person | None:
        """The most recently mentioned person before ``offset`` whose gender fits.

        A person known to have that gender wins over a nearer one whose gender is unknown.
        """
        fallback: Person | None = None
        for pos, person in reversed(self.mentions):
            if pos >= offset or len(person.name.split()) < 2:
                continue
            if gender is None or person.gender == gender:
                return person
            if person.gender is None and fallback is None:
                fallback = person
        return fallback


def build_cast(text: str, masked: list[tuple[int, int]], base: int = 0) -> Cast:
    """Find the people in ``text`` (the body), ignoring spans inside quotation marks.

    ``masked`` lists body offsets (start, end) of quoted text; ``base`` is added to offsets.
    """
    cast = Cast()
    by_name: dict[str, Person] = {}
    for m in NAME_RUN.finditer(text):
        pos = base + m.start()
        if any(a <= pos < b for a, b in masked):
            continue
        run = m.group(0)
        if not _has_name_word(run):
            continue
        title, name = split_title(run)
        tokens = [_clean_token(t) for t in name.split()]
        if not tokens or all(t.lower() in TITLE_WORDS for t in tokens):
            continue
        name = " ".join(tokens)
        person = by_name.get(name) or cast.lookup(name)
        if person is None:
            if len(tokens) < 2:
                continue
            role = " ".join(
                p for p in (_role_before(text[max(0, m.start() - 80) : m.start()]), title) if p
            ) or appositive_role(text[m.end() : m.end() + 120])
            person = Person(name=name, role=role or None, first_offset=pos)
            cast.people.append(person)
            by_name[name] = person
        if person.gender is None:
            person.gender = _gender_of_title(title) or _gender_of_title(person.role or "")
        cast.mentions.append((pos, person))
    _guess_genders(text, cast, base)
    return cast


# Subject pronouns only: "her" may as well be someone else's object ("showed her the ward").
_PRONOUN = re.compile(r"\b(he|she)\b", re.IGNORECASE)


def _guess_genders(text: str, cast: Cast, base: int) -> None:
    """Take the first personal pronoun after a mention, before any other person's mention."""
    for i, (pos, person) in enumerate(cast.mentions):
        if person.gender:
            continue
        end = cast.mentions[i + 1][0] if i + 1 < len(cast.mentions) else base + len(text)
        window = text[pos - base : min(end, pos + 300) - base]
        m = _PRONOUN.search(window)
        if m:
            person.gender = "m" if m.group(1).lower() == "he" else "f"
