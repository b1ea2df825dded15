"""Who is who in an article: people and organisations, their roles, and how later mentions
("Zelenskyy", "Ms Hewitt", "she") point back to them.

Names are found by shape, without a gazetteer: a run of capitalised words, with titles
("President", "Mr") and a leading nationality ("Ukrainian President ...") peeled off into the
role.  The first full mention of a person gives their full name and role; later mentions are
matched by surname, first name or acronym.  Each mention notes whether it is the subject of its
sentence, since "he said" nearly always means the last person the text made its subject, not
the last one it named.  Gender comes from titles ("Ms", "spokeswoman") or, failing that, from
the first "he" or "she" after a mention.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

__all__ = [
    "ORG_WORDS",
    "SPEECH_VERBS",
    "Cast",
    "Mention",
    "Person",
    "SpeakerRef",
    "build_cast",
    "parse_speaker",
]

_SPEECH_LEMMAS = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "say tell add ask explain warn insist argue claim state note write declare announce admit "
    "acknowledge reply respond remark comment continue urge call describe brand label term "
    "accuse suggest concede predict promise pledge vow stress emphasise emphasize maintain "
    "complain joke recall reveal confirm deny agree caution conclude observe believe think "
    "reckon hail praise condemn criticise criticize dismiss attack welcome tweet post answer "
    "boast confess insist dub lament blame demand assert contend estimate forecast forecasts "
    "predict reiterate report told"
).split()
_NOUN_TOO = {
    "comment", "call", "claim", "attack", "post", "report", "answer", "welcome", "demand",
    "estimate", "forecast", "note", "state", "term", "label", "brand", "joke", "vow", "pledge",
    "promise", "stress", "caution", "reply", "tweet", "praise", "boast", "blame", "hail",
    "remark", "dub", "continue", "respond", "confirm", "observe",
}
_IRREGULAR = {"say": ["said"], "tell": ["told"], "write": ["wrote", "written"],
              "think": ["thought"]}


def _forms(lemma: str) -> list[str]:
    if lemma.endswith("e"):
        past, ing = lemma + "d", lemma[:-1] + "ing"
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        past, ing = lemma[:-1] + "ied", lemma + "ing"
    else:
        past, ing = lemma + "ed", lemma + "ing"
    third = lemma[:-1] + "ies" if lemma.endswith("y") and lemma[-2] not in "aeiou" else (
        lemma + "es" if lemma.endswith(("s", "sh", "ch", "x")) else lemma + "s"
    )
    if lemma in _NOUN_TOO:
        # "Mr McConnell's comment was": as a noun the word reports no one speaking.
        return [third, ing, *_IRREGULAR.get(lemma, [past])]
    return [lemma, third, ing, *_IRREGULAR.get(lemma, [past])]


SPEECH_VERBS = "|".join(
    [
        *sorted({f for lemma in _SPEECH_LEMMAS for f in _forms(lemma)}, key=len, reverse=True),
        *["pointed out", "went on", "according to", "quoted as saying", "was quoted", "spoke of"],
    ]
)

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
    "analyst", "economist", "lawyer", "engineer", "official", "spokesperson", "chairperson",
    "founder", "boss", "star", "singer", "actor", "actress", "striker", "midfielder",
    "defender", "goalkeeper", "player", "veteran", "author", "writer", "director-general",
    "rt", "revd", "hon", "treasurer", "det", "insp", "supt", "ch", "pc", "dci",
    "constable", "sergeant", "superintendent", "cllr", "councillor",
}
# Forms of address: they tell a gender, not a role.
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "rt", "rev", "revd", "hon"}
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
    r"\b(?:(?:the|a|an|its|their|his|her)\s+)?(?:[\w.'’-]+\s+){0,3}(?:[\w'’]+-)?"
    r"(?:company|bishop|chancellor|judge|firm|group|bank|club|government|ministry|"
    r"department|spokesman|spokeswoman|spokesperson|official|officials|minister|judges|police|report|statement|agency|"
    r"organisation|organization|union|party|executive|board|team|council|committee|court|"
    r"campaigners|analysts|critics|experts|source|sources|airline|regulator|commission|"
    r"chairman|director|secretary|leader|manager|coach|president|lawyer|spokesmen|"
    r"economist|analyst|researchers|doctors|witnesses|residents|authorities|army|military|"
    r"diplomats?|aides?|advisers?|advisors?|insiders?|officers?|negotiators?|envoys?|"
    r"ambassadors?|observers?|activists?|protesters?|campaigners?|lawmakers?|legislators?|"
    r"prosecutors?|investigators?|scientists?|researcher|experts?|expert|spokespeople|"
    r"statement|foundation|charity|trust|institute|association|federation|watchdog|"
    r"regulators|administration|office|embassy|service|hospital|school|university|"
    r"spokesmen|representatives?|managers|directors|executives|ministers|person|people)\b"
    # "a spokeswoman for the brewery", "officials at the ministry": who they speak for.
    r"(?:\s+(?:for|of|at|from)\s+(?:the\s+|a\s+|an\s+)?[\w'’-]+(?:\s+of\s+[A-Z][\w'’-]*"
    r"|\s+[A-Z][\w'’-]*)*)?",
    re.IGNORECASE,
)
# A subject of speech that is a plain noun phrase: "the brewery", "a senior diplomat".
_GENERIC_NOMINAL = re.compile(
    r"(?i)^(?:the|a|an|one|two|three|several|some|many|its|their)\s+"
    r"(?:[a-z0-9][\w'’-]*\s+){0,2}[a-z0-9][\w'’-]*"
)

_NAME_TOKEN = (
    r"(?:(?:[A-Z]\.){2,}|(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Sen|Gov|Rep|Prof|Lt|Col|Capt|Rev)\.|[A-Z]\.|"
    r"[A-Z][\w\-]*(?:['’](?!s\b)[\w\-]+)*|"
    r"(?:de|van|von|der|den|bin|al|la|le|du|da|di|del|dos)(?=[ \t]+[A-Z]))"
)
# A possessive ends a name: "Russia's Arctic" is not one name.
NAME_RUN = re.compile(rf"\b{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN})*(?:['’]s\b|(?<=s)['’])?")
_NATIONALITY = re.compile(
    r"^(?:[A-Z][a-z]+(?:ian|ean|ese|ish|ic|i|an)|[A-Z]{2,3}|(?:[A-Z]\.){2,3})$"
)


@dataclass(slots=True)
class Person:
    """Someone (or some body) the article names."""

    name: str
    role: str | None = None
    gender: str | None = None
    first_offset: int = 0
    # True when the gender comes from a title ("Ms Okafor"), not from a nearby pronoun.
    titled: bool = False
    # True for a name written after "the" with no title: "the Da Vinci Code", "the Red Lion"
    # are things; people's names do not take the article.
    thing: bool = False
    # True for someone the article names by first name only, as a relative or friend.
    single: bool = False

    @property
    def is_person(self) -> bool:
        return self.single or (not self.thing and is_person_name(self.name))

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
    """A name word without a full stop or possessive: "Jones's" -> "Jones"."""
    return re.sub(r"['’]s?$", "", tok.rstrip("."))


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
    for j in range(len(tokens) - 3, i - 1, -1):
        # "Fed Chair Jerome Powell", "Bank Governor Mervyn King": an office named after its
        # institution; the last title word before a two-word name ends the title.
        if tokens[j].lower().rstrip(".") in TITLE_WORDS and not any(
            t.lower().rstrip(".") in TITLE_WORDS for t in tokens[j + 1 :]
        ):
            i = j + 1
            break
    return " ".join(tokens[start:i]), " ".join(tokens[i:])


def _role_of_title(title: str) -> str:
    return " ".join(t for t in title.split() if t.lower().rstrip(".") not in _HONORIFICS)


def _gender_of_title(title: str) -> str | None:
    words = {w.lower().rstrip(".") for w in title.split()}
    if words & _MALE_TITLES:
        return "m"
    if words & _FEMALE_TITLES:
        return "f"
    return None


_ROLE_STOP = re.compile(
    r"[,;:(“”\"‘!?]|[.!?]['’\"”)]*(?:\s|$)|\b(?:that|said|says|told|by|from|with|to|"
    r"and said|but|when|while|as|because|after|before|where|is|was|are|were|has|have|had|"
    r"in|on|at)\b",
    re.IGNORECASE,
)


def _role_before(text: str, title: str = "") -> str | None:
    """The role written just before a name, with the title the name run began with:
    'Ukrainian negotiator' in 'Ukrainian negotiator Sergiy Kyslytsya', 'local MP' in
    'local MP Sarah Lee' (``title`` 'MP')."""
    cut = 0
    for m in _ROLE_STOP.finditer(text):
        cut = m.end()
    words = text[cut:].split()[-8:]
    title = _role_of_title(title)
    while words and words[0].lower() in _FUNCTION_CAPS - {"the", "a", "an"}:
        words = words[1:]  # "Meanwhile Lib Dem leader ..."
    role = " ".join([*words, title] if title else words).strip(" -—–")
    if not role or role.lower() in {"the", "a", "an"}:
        return None
    # The head of "spokeswoman for women" is "spokeswoman".
    head = re.sub(r"\s+(?:for|of|at|to|on|in)\s+.*$", "", role.lower())
    if not _ROLE_HEAD.search(head):
        # "Despite enjoying Dan Brown": words before a name need not describe it.
        return title or None
    return re.sub(r"^(?:a|an)\s+", "", role)


# How a role phrase ends: an office, or a noun for someone who does something.
_ROLE_HEAD = re.compile(
    r"(?:^|[\s-])(?:ex|former)-|(?:er|or|ist|ant|ent|ian|man|woman|person|chief|head|model|"
    r"star|boss|aide|expert|official|member|candidate|judge|critic|host|guru|legend|mp|msp|"
    r"mep|ceo|secretary|minister|chancellor|president|general|leader|executive|director|"
    r"envoy|coach|captain|bishop|governor|mayor|senator|spokesperson|analyst|economist|"
    r"lawyer|chair|premier|king|queen|prince|princess|pope|adviser|advisor|actress|"
    r"negotiator|commissioner|ambassador)(?:['’]s)?$"
)


_APPOSITIVE = re.compile(
    r"^\s*,\s*+(?!who\b|which\b|whose\b|where\b|when\b|said\b|says\b|told\b|speaking\b|"
    r"adding\b|however\b)([^,;:“”\"()]{3,90}?)\s*(?:,|$|\.|;)"
)


def appositive_role(text_after_name: str) -> str | None:
    """An appositive role after a name: ', a member of the Ukrainian Parliament,'."""
    m = _APPOSITIVE.match(text_after_name)
    if not m:
        return None
    role = m.group(1).strip()
    if role.split()[0].lower() in _SPEECH_WORDS:
        return None  # ", told reporters": what they did, not who they are
    if re.fullmatch(r"[\d\s-]+", role):
        return None  # an age: "Mary Brown, 54, said"
    first = role.split()[0]
    proper = first[0].isupper() and first.lower() not in {"the", "a", "an"} | TITLE_WORDS
    if proper and not re.search(r"\b(?:of|at|for|to)\b", role):
        # ", Mr Smith," or ", London," is not a role.
        return None
    if re.search(r"\b(?:said|says|is|was|has|had|will|would)\b", role):
        return None
    return re.sub(r"^(?:a|an)\s+", "", role)


def _name_in(part: str) -> tuple[re.Match[str], str, str] | None:
    """The last name-like run in ``part``: (match, title, name).

    A run introduced by a preposition after a person's name is their affiliation, not the
    speaker: "Professor Amara Singh of the University of Leeds".
    """
    runs = [m for m in NAME_RUN.finditer(part) if _has_name_word(m.group(0))]
    found: list[tuple[re.Match[str], str, str]] = []
    for run in runs:
        if re.match(r" [a-z]", part[run.end() : run.end() + 2]) and not _AFFILIATION.match(
            part, run.end()
        ):
            continue  # used as a modifier: "a senior U.S. official", "Labour MPs"
        title, name = split_title(run.group(0))
        name = " ".join(_clean_token(t) for t in name.split())
        if name and not all(t.lower() in TITLE_WORDS for t in name.split()):
            found.append((run, title, name))
    if not found:
        return None
    for i, (run, _, _) in enumerate(found):
        between = part[found[i - 1][0].end() : run.start()] if i else ""
        if i and is_person_name(found[i - 1][2]) and _AFFILIATION.fullmatch(between):
            return found[i - 1]
    return found[-1]


# What joins a person's name to the body they belong to: " of the", " at", " from".
_AFFILIATION = re.compile(
    r"\s+(?:of|at|from|for|with|in)\s+(?:the\s+)?(?:[A-Z][\w'’.&-]*\s+|of\s+|and\s+|the\s+)*"
)


def _is_bare_name(part: str, run: re.Match[str]) -> bool:
    """Whether ``part`` is nothing but a (titled) name: 'the Rt Rev Dr Tom Wright'."""
    rest = (part[: run.start()] + part[run.end() :]).strip().lower()
    return rest in {"", "the", "a", "an"} and len(run.group(0).split()) >= 1


def parse_speaker(phrase: str, generic: bool = False) -> SpeakerRef:
    """Parse the subject of an attribution: 'chairman and chief executive Richard Parsons',
    'he', 'the company', 'Ms Hewitt', 'Kira Rudik, a member of the Ukrainian Parliament',
    'The Bishop of Durham, the Rt Rev Dr Tom Wright'.

    With ``generic``, the phrase is known to be who speaks (it stands right by the speech
    verb), so any plain noun phrase will do: 'the brewery', 'a senior diplomat familiar with'.
    """
    phrase = phrase.strip(" ,;:—–-\"“”'‘’")
    phrase = re.split(r",?\s+\b(?:who|which|whose)\b", phrase, maxsplit=1)[0]
    if not phrase:
        return SpeakerRef()
    low = phrase.lower()
    last = low.split()[-1]
    if last in PRONOUNS and len(low.split()) <= 2:
        return SpeakerRef(pronoun=last)
    parts = [p.strip() for p in phrase.split(",") if p.strip()][:3]
    found = [(i, _name_in(p)) for i, p in enumerate(parts)]
    named = [(i, f) for i, f in found if f is not None]
    if named:
        # A part that is only a name wins: the others are appositive roles.
        bare = [(i, f) for i, f in named if _is_bare_name(parts[i], f[0])]
        index, (run, title, name) = (bare or named)[0]
        part = parts[index]
        role = _role_before(part[: run.start()], title)
        others = [p for i, p in enumerate(parts) if i != index]
        if others and (role is None or index > 0):
            appos = appositive_role(", " + others[0] + ",") if index == 0 else others[0]
            if appos:
                role = re.sub(r"^(?:a|an)\s+", "", appos) if index == 0 else appos
        return SpeakerRef(name=name, role=role, title_gender=_gender_of_title(title))
    nominals = list(_NOMINAL.finditer(parts[0] if parts else phrase))
    if nominals:
        return SpeakerRef(nominal=nominals[-1].group(0).strip())
    if generic:
        head = re.split(r"\s+(?:familiar|close|with|who|that|in|on|at|for|from|after|told)\b",
                        parts[0] if parts else phrase, maxsplit=1)[0]
        m = _GENERIC_NOMINAL.fullmatch(head.strip())
        if m and not any(w in _NOT_NOMINAL for w in head.lower().split()[1:]):
            return SpeakerRef(nominal=head.strip())
    return SpeakerRef()


# Words that make a noun phrase something other than a source: "the report's findings" is
# handled above; "the decision", "the move", "the figures" are not voices.
_NOT_NOMINAL = {
    "decision", "move", "plan", "figures", "data", "news", "result", "results", "idea",
    "deal", "bill", "law", "proposal", "proposals", "changes", "change", "way", "fact",
    "time", "year", "day", "week", "it", "this", "that", "there", "was", "is", "has", "had",
    "be", "been", "were", "are", "will", "would", "not", "also",
}


def _has_name_word(run: str) -> bool:
    return any(t.lower().rstrip(".") not in _FUNCTION_CAPS for t in run.split())


@dataclass(frozen=True, slots=True)
class Mention:
    """Where a person is named outside quotation marks, and whether as a clause's subject."""

    offset: int
    person: Person
    subject: bool


@dataclass(slots=True)
class Cast:
    """The people and bodies named in an article, in order of first mention."""

    people: list[Person] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    # (offset, name, is subject) for names that are not people's: firms, bodies, places.
    bodies: list[tuple[int, str, bool]] = field(default_factory=list)
    text: str = ""
    _looked_up: dict[tuple[str, int], Person | None] = field(default_factory=dict, repr=False)

    def lookup(self, name: str) -> Person | None:
        """The person a written name refers to: exact, by surname, by first name, by acronym."""
        if not name:
            return None
        # Remembered until someone new joins the cast (the answer can only change then).
        key = (name, len(self.people))
        if key not in self._looked_up:
            self._looked_up[key] = self._lookup(name)
        return self._looked_up[key]

    def _lookup(self, name: str) -> Person | None:
        for p in self.people:
            if p.name == name:
                return p
        if len(name.split()) > 1:
            # Two full names are one person only when written alike: "European Low-fare
            # Airlines Association" is not the "International Air Transport Association".
            return None
        for p in self.people:
            if len(p.name.split()) > 1 and p.surname == name:
                return p
        if len(name.split()) == 1:
            for p in self.people:
                if p.name.split()[0] == name:
                    return p
            if name.isupper() and len(name) >= 2:
                for p in self.people:
                    initials = "".join(
                        w[0] for w in p.name.split() if w.lower() not in {"of", "the", "and"}
                    )
                    if initials == name:
                        return p
        return None

    def _index(self, offset: int) -> int:
        """How many mentions come before ``offset`` (mentions are kept in body order)."""
        return bisect.bisect_left(self.mentions, offset, key=lambda m: m.offset)

    def nearest_before(
        self, offset: int, gender: str | None = None, window: int = 800
    ) -> Person | None:
        """Who a pronoun at ``offset`` most likely means.

        Walking back from ``offset``: a person of the pronoun's known gender, or the subject of
        a clause whose gender is not known, whichever comes first within ``window``
        characters; else the latest person named at all whose gender does not contradict.
        """
        fallback: Person | None = None
        before = self.mentions[: self._index(offset)]
        for mention in reversed(before):
            person = mention.person
            if not person.is_person:
                continue
            if gender and person.gender and person.gender != gender:
                continue
            if offset - mention.offset > window:
                break
            if mention.subject or (gender and person.titled and person.gender == gender):
                return person
            if fallback is None:
                fallback = person
        if fallback is None:
            for mention in reversed(before):
                person = mention.person
                if person.is_person and not (
                    gender and person.gender and person.gender != gender
                ):
                    return person
        return fallback

    def subject_between(self, start: int, end: int, gender: str | None) -> Person | None:
        """The latest person named as a subject between two offsets, gender permitting."""
        for mention in reversed(self.mentions[self._index(start) : self._index(end)]):
            person = mention.person
            if not mention.subject:
                continue
            if not person.is_person:
                continue
            if gender and person.gender and person.gender != gender:
                continue
            return person
        return None

    def body_for(self, nominal: str, offset: int) -> str | None:
        """The organisation a bare 'the company' or 'the firm' stands for: the latest one
        named as a subject before ``offset``, else the one named most often."""
        m = _BARE_BODY.fullmatch(nominal.strip())
        if not m:
            return None
        noun = m.group(1).lower()
        # "the agency" is the latest body whose name says Agency; "the company" any firm.
        wanted = None if noun in _ANY_BODY else noun

        def fits(name: str) -> bool:
            return name.lower() not in _FUNCTION_CAPS and (
                wanted is None or wanted in name.lower().split()
            )

        for pos, name, subject in reversed(self.bodies):
            if pos < offset and subject and fits(name):
                return name
        counts: dict[str, int] = {}
        for _, name, _ in self.bodies:
            if fits(name):
                counts[name] = counts.get(name, 0) + 1
        return max(counts, key=lambda n: (counts[n], -list(counts).index(n))) if counts else None

    def by_role(self, nominal: str, offset: int) -> Person | None:
        """The person a role phrase refers to: 'the Bishop', 'the Tory co-chairman'."""
        core = re.split(r"\s+(?:for|of|at|from)\s+", nominal.lower(), maxsplit=1)[0]
        head = core.split()[-1].split("-")[-1]
        if head not in TITLE_WORDS and head not in {"bishop", "chancellor", "judge"}:
            return None
        for mention in reversed(self.mentions):
            role = (mention.person.role or "").lower()
            if mention.offset < offset and re.search(rf"\b{re.escape(head)}\b", role):
                return mention.person
        return None


_BARE_BODY = re.compile(
    r"(?i)(?:the|its)\s+(?:[\w-]+\s+)?(company|firm|group|bank|club|airline|carrier|"
    r"retailer|maker|manufacturer|giant|operator|insurer|broadcaster|network|chain|"
    r"publisher|studio|label|business|team|organisation|organization|charity|union|party|"
    r"agency|ministry|department|commission|council|committee|court|regulator|authority|"
    r"watchdog|office|embassy|association|federation|institute|foundation|university)"
)
_ANY_BODY = {
    "company", "firm", "group", "business", "carrier", "retailer", "maker", "manufacturer",
    "giant", "operator", "insurer", "broadcaster", "chain", "publisher",
}

# After a name, words that show it is not the subject of what follows.
_NOT_SUBJECT_NEXT = {
    "of", "and", "or", "in", "on", "at", "to", "for", "with", "from", "by", "as", "than",
    "but", "which", "that", "after", "before", "when", "while", "if", "because", "into",
    "over", "about", "against",
}


_SPEECH_WORDS = frozenset(f for lemma in _SPEECH_LEMMAS for f in _forms(lemma))
_LAST_WORD = re.compile(r"([A-Za-z]+)\s+$")
_COMMA_VERB_AFTER = re.compile(rf"\s*,\s*(?:{SPEECH_VERBS}|who)\b")


def _is_subject(text: str, start: int, end: int, run: str, opens_sentence: bool) -> bool:
    """Whether the name at ``start:end`` is the subject of its clause.

    A possessive opening a sentence counts ("Mr Campbell's e-mail ... In it, he said"):
    what the sentence is about is that person.
    """
    if run.endswith(("'s", "’s", "'", "’")):
        return opens_sentence
    last_word = _LAST_WORD.search(text, max(0, start - 20), start)
    if last_word and last_word.group(1).lower() in _SPEECH_WORDS:
        return True  # inverted: '"...," said Mr Reed'
    after = text[end : end + 160]
    if _COMMA_VERB_AFTER.match(after):
        # The end of an appositive ("The Bishop, the Rt Rev Tom Wright, described ...") or
        # a relative clause on the subject ("Ms Robinson, who presents ...").
        return True
    appos = re.match(r"\s*,(?:[^,.;:“”\"]|\.(?!\s)){2,100},", after)
    if appos:
        after = after[appos.end() :]
    nxt = re.match(r"\s+([a-z][\w'’-]*)", after)
    return bool(nxt) and nxt.group(1) not in _NOT_SUBJECT_NEXT


_ROLE_AHEAD = re.compile(
    r"(?:^|[.!?]\s+|\n)((?:The|A|An)\s[^,.;:“”\"]{2,80}),\s*(?:the\s+)?$"
)


def _role_ahead(before: str, after: str) -> str | None:
    """A role set before the name in commas: 'The Bishop of Durham, the Rt Rev Tom Wright,'."""
    m = _ROLE_AHEAD.search(before)
    if m and after.startswith(","):
        return m.group(1)
    return None


_ORG_WORDS = {
    "group", "association", "bank", "party", "commission", "council", "ministry", "office",
    "agency", "inc", "ltd", "plc", "corp", "company", "club", "united", "fc", "university",
    "news", "times", "echo", "journal", "post", "review", "institute", "foundation", "trust",
    "organisation", "organization", "union", "federation", "league", "committee", "court",
    "department", "government", "house", "street", "road", "square", "scotland", "england",
    "wales", "ireland", "britain", "america", "europe", "africa", "asia", "city", "county",
    "state", "states", "kingdom", "republic", "airlines", "airways", "motors", "records",
    "studios", "pictures", "network", "channel", "radio", "tv", "television", "programme",
    "awards", "award", "prize", "cup", "championship", "festival", "museum", "centre", "center",
    "hospital", "school", "college", "church", "war", "day", "year",
    "reserve", "administration", "authority", "service", "services", "police", "force",
    "army", "navy", "congress", "senate", "parliament", "assembly", "exchange", "market",
    "markets", "fund", "capital", "partners", "holdings", "media", "press", "industries",
    "systems", "technologies", "energy", "oil", "gas", "airline", "mobile", "motor",
    "international", "national", "federal", "central", "royal", "democrats", "republicans",
}


# "her husband, Graham,", "his daughter Amy": a relative introduced by first name.
_KIN_BEFORE = re.compile(
    r"(?i)\b(?:his|her|their|my|our)\s+(?:\w+\s+)?(?P<kin>husband|wife|son|daughter|mother|"
    r"father|brother|sister|partner|boyfriend|girlfriend|friend|neighbour|neighbor|"
    r"grandson|granddaughter|grandmother|grandfather|mum|dad)\s*,?\s*$"
)
_KIN_GENDER = {
    "husband": "m", "son": "m", "father": "m", "brother": "m", "boyfriend": "m",
    "grandson": "m", "grandfather": "m", "dad": "m", "wife": "f", "daughter": "f",
    "mother": "f", "sister": "f", "girlfriend": "f", "granddaughter": "f",
    "grandmother": "f", "mum": "f",
}


#: Words that make a capitalised name an organisation's (or a place's) rather than a person's.
ORG_WORDS = frozenset(_ORG_WORDS)


def is_person_name(name: str) -> bool:
    """Whether a name looks like a person's: two to four words, none an organisation word
    or an acronym."""
    tokens = name.split()
    if not 2 <= len(tokens) <= 4:
        return False
    return not any(
        t.lower() in _ORG_WORDS or (t.isupper() and len(t) > 1) or t.lower() in {"of", "the"}
        for t in tokens
    )


def build_cast(
    text: str,
    masked: list[tuple[int, int]],
    base: int = 0,
    sentence_starts: list[int] | None = None,
) -> Cast:
    """Find the people in ``text`` (the body), ignoring spans inside quotation marks.

    ``masked`` lists body offsets (start, end) of quoted text; ``base`` is added to offsets.
    With ``sentence_starts`` (body offsets), only the first person named in a sentence can be
    its subject: later ones sit in reported speech or objects ("said that Mr Brown would").
    """
    cast = Cast(text=text)
    masked = sorted(masked)
    mask_starts = [a for a, _ in masked]
    by_name: dict[str, Person] = {}
    starts = sentence_starts or [base]
    seen_sentences: set[int] = set()
    for m in NAME_RUN.finditer(text):
        pos = base + m.start()
        inside = bisect.bisect_right(mask_starts, pos) - 1
        if inside >= 0 and pos < masked[inside][1]:
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
        if person is None or not person.is_person:
            opens = not re.search(r"[a-z]", text[max(0, m.start() - 3) : m.start()])
            cast.bodies.append(
                (pos, name, _is_subject(text, m.start(), m.end(), run, opens))
            )
        kin = _KIN_BEFORE.search(text, max(0, m.start() - 40), m.start()) if (
            person is None and len(tokens) == 1
        ) else None
        if person is None:
            if len(tokens) < 2 and kin is None:
                continue
            role = (
                _role_before(text[max(0, m.start() - 80) : m.start()], title)
                or appositive_role(text[m.end() : m.end() + 120])
                or _role_ahead(
                    text[max(0, m.start() - 100) : m.start()], text[m.end() : m.end() + 2]
                )
            )
            definite = not title and (
                run.split()[0].lower() == "the"
                or re.search(r"\bthe\s+$", text[max(0, m.start() - 5) : m.start()], re.I)
            )
            person = Person(name=name, role=role or None, first_offset=pos,
                            thing=bool(definite))
            if kin is not None:
                # "Her husband, Graham, ...": a first name alone, made a person by the text.
                person.single = True
                person.role = person.role or kin.group(0).strip(" ,")
                person.gender = _KIN_GENDER.get(kin.group("kin").lower())
                person.titled = person.gender is not None
            cast.people.append(person)
            by_name[name] = person
        if person.gender is None:
            person.gender = _gender_of_title(title) or _gender_of_title(person.role or "")
            person.titled = person.gender is not None
        sentence = bisect.bisect_right(starts, pos) - 1
        # Only the last stretch before the name matters; a bound keeps a sentence that never
        # ends (text without punctuation) from making this quadratic.
        lead = text[max(starts[sentence] - base, m.start() - 300) : m.start()] if (
            sentence >= 0
        ) else ""
        opens = not re.search(r"[a-z]", lead)
        # "He says Tony Blair was ...": a pronoun already holds the subject's place.
        after_pronoun = re.search(r"\b(?:he|she|they|we|i)\b", lead, re.IGNORECASE)
        subject = (
            _is_subject(text, m.start(), m.end(), run, opens)
            and (sentence not in seen_sentences or sentence_starts is None)
            and not after_pronoun
        )
        if person.is_person:
            seen_sentences.add(sentence)
        cast.mentions.append(Mention(pos, person, subject))
    _guess_genders(text, cast, base)
    return cast


# Subject pronouns only: "her" may as well be someone else's object ("showed her the ward").
_PRONOUN = re.compile(r"\b(he|she)\b", re.IGNORECASE)


def _guess_genders(text: str, cast: Cast, base: int) -> None:
    """Take the first subject pronoun after a mention, before any other person's mention."""
    for i, mention in enumerate(cast.mentions):
        person = mention.person
        if person.gender or len(person.name.split()) < 2:
            continue
        pos = mention.offset
        end = cast.mentions[i + 1].offset if i + 1 < len(cast.mentions) else base + len(text)
        window = text[pos - base : min(end, pos + 300) - base]
        m = _PRONOUN.search(window)
        if m:
            person.gender = "m" if m.group(1).lower() == "he" else "f"
