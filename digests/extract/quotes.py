"""Quotations and who said them.

Three steps, each a small function: :func:`find_spans` pairs quotation marks in each paragraph
(curly or straight; a quote left open at a paragraph's end goes on where the next paragraph
opens a mark again, and a mark opening a new sentence inside an open quote starts a new one);
:func:`_attribution` reads the words around a span for a speech verb and its subject (before,
after or between two parts of a quote); spans nobody is said to have spoken and that read as
titles, names or scare quotes are dropped.  Speakers are resolved through the article's
:class:`~digests.extract.speakers.Cast`: full name and role from the first mention, later
mentions by surname, title ("the minister"), pronoun or organisation ("the company").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digests.extract.speakers import (
    NAME_RUN,
    SPEECH_VERBS,
    Cast,
    Person,
    SpeakerRef,
    build_cast,
    parse_speaker,
)
from digests.extract.text import Segment
from digests.models import Quote, QuoteKind

__all__ = ["QuoteSpan", "extract_quotes", "find_spans", "quotes_and_cast"]

_SPEECH = SPEECH_VERBS
_SPEECH_RE = re.compile(rf"\b(?:{_SPEECH})\b", re.IGNORECASE)
_ACCORDING = re.compile(r"\baccording to\s+([^,.;:“”\"]+)", re.IGNORECASE)
# Words that introduce a name or title rather than speech: 'a film called "Ray"'.
_NAMING = re.compile(
    r"(?:\b(?:called|named|dubbed|titled|entitled|nicknamed|so-called|known as|the word|"
    r"the words|the term|the phrase|the slogan|the film|the movie|the song|the album|the single|"
    r"the book|the novel|the show|the play|the series|the programme|the headline|the title|"
    r"marked|labelled|stamped|read|reading|reads)\s*(?:the\s+|a\s+)?|\bso\s+)$",
    re.IGNORECASE,
)
_MARKS = re.compile("[“”\"‘’']")
_OPEN_DOUBLE = "“\""
_CLOSE_DOUBLE = "”\""


@dataclass(slots=True)
class QuoteSpan:
    """Text between a pair of quotation marks, with where it sits in the body.

    ``mark_start``/``mark_end`` include the marks; ``start`` is the offset of the first quoted
    character.  ``continued`` marks the part of a quote carried over from the previous
    paragraph.
    """

    text: str
    start: int
    mark_start: int
    mark_end: int
    paragraph: int
    end_paragraph: int
    double: bool = True
    continued: bool = False


def _reopens(text: str, i: int) -> bool:
    """Whether the mark at ``i`` opens a quote although another is open."""
    ch = text[i]
    if ch == "“":
        return True
    if ch != '"' or i == 0 or not text[i - 1].isspace():
        return False
    nxt = text[i + 1] if i + 1 < len(text) else " "
    return nxt.isupper() and text[:i].rstrip()[-1:] in ".!?"


def _scan(para: Segment) -> tuple[list[QuoteSpan], QuoteSpan | None]:
    """Pair the marks of one paragraph; return closed spans and a span left open at its end."""
    text = para.text
    spans: list[QuoteSpan] = []
    open_at: int | None = None
    single_at: int | None = None
    for mark in _MARKS.finditer(text):
        i, ch = mark.start(), mark.group(0)
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if open_at is None and ch in _OPEN_DOUBLE and (ch == "“" or not prev.isalnum()):
            if single_at is not None:
                single_at = None
            open_at = i
        elif open_at is not None and _reopens(text, i):
            # A new quote opens while one is open: the open one ran to the end of its
            # sentence without a closing mark (a paragraph break lost in the copy).
            spans.append(_span(para, open_at, len(text[:i].rstrip()) + 1))
            open_at = i
        elif open_at is not None and ch in _CLOSE_DOUBLE:
            spans.append(_span(para, open_at, i + 1))
            open_at = None
        elif open_at is None and single_at is None and ch in "‘'":
            if (prev.isspace() or prev in "([—–-") and nxt.isalnum():
                single_at = i
        elif (
            open_at is None
            and single_at is not None
            and ch in "’'"
            and not nxt.isalnum()
            and not prev.isspace()
        ):
            spans.append(_span(para, single_at, i + 1, double=False))
            single_at = None
    left_open = None
    if open_at is not None:
        left_open = _span(para, open_at, len(text) + 1)
    return spans, left_open


def _span(para: Segment, a: int, b: int, double: bool = True) -> QuoteSpan:
    inner = para.text[a + 1 : b - 1]
    lead = len(inner) - len(inner.lstrip())
    return QuoteSpan(
        text=inner.strip(),
        start=para.start + a + 1 + lead,
        mark_start=para.start + a,
        mark_end=para.start + min(b, len(para.text)),
        paragraph=para.paragraph,
        end_paragraph=para.paragraph,
        double=double,
    )


def find_spans(paras: list[Segment]) -> list[QuoteSpan]:
    """All quoted spans of the body, in order.

    A quote left open at the end of a paragraph ends there; when the next paragraph opens
    with a mark, its first span is marked ``continued``: the same voice goes on speaking.
    Each paragraph's part stays its own quote, as the annotation guide counts them.
    """
    out: list[QuoteSpan] = []
    left_open_before = False
    for para in paras:
        spans, left_open = _scan(para)
        if left_open_before and para.text[:1] in _OPEN_DOUBLE:
            first = spans[0] if spans else left_open
            if first is not None and first.mark_start == para.start:
                first.continued = True
        out.extend(spans)
        if left_open is not None:
            out.append(left_open)
        left_open_before = left_open is not None
    return out


@dataclass(frozen=True, slots=True)
class _Attribution:
    ref: SpeakerRef
    verb: bool


def _sentence_bounds(sents: list[Segment], offset: int) -> Segment | None:
    """The sentence holding ``offset``, or the one before when it falls between two."""
    found = None
    for s in sents:
        if s.start > offset:
            break
        found = s
    return found


# Words that start a new clause: what follows a quote through them is no attribution.
_CLAUSE_BREAK = re.compile(
    r"\b(?:that|which|who|whom|whose|when|while|because|although|if|unless|though|but|"
    r"apart from|except|despite|unlike|including)\b"
    # a participle opening a clause: ", suggesting he", but not ", speaking at a rally,"
    r"|,\s*(?!speaking|writing|talking)[a-z]+ing\b",
    re.I,
)
# Verbs that may come before their subject: '," said the minister'.
_INVERTED = re.compile(
    r"said|says|added|adds|asked|asks|wrote|writes|explained|warned|continued|insisted|"
    r"argued|replied|remarked|concluded|declared|explained|noted|admitted|according to"
)


_AFTER = re.compile(r"(?:[—–-]\s*)?([^.;:!?“”\"]{0,120}?)\s*\b(" + _SPEECH + r")\b", re.I)
_SPEECH_SPLIT = re.compile(r"\b(?:" + _SPEECH + r")\b")


def _after_attribution(text: str) -> SpeakerRef | None:
    """Attribution after a closing mark: ', he said', ' said X', ', X told the BBC'."""
    text = text.lstrip(" ,")
    m = _AFTER.match(text)
    if m:
        subject = m.group(1).strip()
        if subject and len(subject.split()) <= 10 and not _CLAUSE_BREAK.search(subject):
            ref = parse_speaker(subject, generic=True)
            if ref.name or ref.pronoun or ref.nominal:
                return ref
        if not subject and _INVERTED.fullmatch(m.group(2).lower()):
            # Inverted: '," said Moscow-based US lawyer Jamie Firestone, who ...'.
            rest = text[m.end() :]
            rest = re.sub(r"^\s*(?:on \w+|in a statement|in an interview)\s*,?", "", rest)
            if not re.match(r"\s*(?:that|it|this|so)\b", rest):
                ref = parse_speaker(
                    re.split(r"[.;:!?“”\"]|\bwho\b|\bwhen\b", rest)[0], generic=True
                )
                if ref.name or ref.pronoun or ref.nominal:
                    return ref
    acc = _ACCORDING.match(text)
    if acc:
        return parse_speaker(acc.group(1), generic=True)
    return None


_AUXILIARY_END = re.compile(
    r"(?:\s+(?:had|has|have|was|is|were|are|would|will|also|later|then|earlier|once|"
    r"previously|recently|repeatedly|has also|had also|publicly|today|yesterday))+\s*$"
)
_ASIDE_END = re.compile(
    r",\s*(?:speaking|writing|talking|asked|interviewed|quoted)\b[^,]*,\s*$", re.IGNORECASE
)
_RELATIVE = re.compile(r"^(.*?[A-Za-z]),\s*(?:who|which)\b.*,\s*$", re.DOTALL)


def _before_attribution(text: str) -> tuple[SpeakerRef | None, bool]:
    """Attribution before an opening mark: 'X told reporters that', 'X said:'.

    Returns the speaker (None when the verb's subject cannot be found) and whether a speech
    verb was seen at all.
    """
    verbs = list(_SPEECH_RE.finditer(text))
    acc = list(_ACCORDING.finditer(text))
    if acc:
        ref = parse_speaker(acc[-1].group(1), generic=True)
        if ref.name or ref.nominal:
            return ref, True
    if not verbs:
        return None, False
    for verb in reversed(verbs):
        if verb.group(0).lower().endswith("ing"):
            # "..., stating:" or "adding that": the subject is the earlier verb's.
            continue
        subject = _AUXILIARY_END.sub("", text[: verb.start()])
        # Right before its verb, a plain noun phrase is the speaker ("the brewery said");
        # after an auxiliary it may be a passive's object ("the plan was welcomed").
        adjacent = subject == text[: verb.start()]
        # "A senior official, speaking on condition of anonymity, said": the aside goes.
        subject = _ASIDE_END.sub(" ", subject)
        # "the International Air Transport Association (IATA), which has attacked":
        # the relative pronoun stands for the noun phrase before it.
        subject = re.sub(r",?\s*\b(?:who|which)\s*$", "", subject)
        relative = _RELATIVE.match(subject)
        if relative:
            # "Mr Balls, who stepped down ..., had suggested": the relative clause goes.
            subject = relative.group(1)
        stripped = subject.rstrip()
        if not stripped or stripped.endswith((" and", " but")):
            continue
        if stripped.endswith(",") and not _APPOSITIVE_END.search(stripped):
            continue
        ref = parse_speaker(_clause_tail(subject))
        if not (ref.name or ref.pronoun or ref.nominal):
            # "The brewery that owns the pub said": the noun phrase before the relative.
            head = _SUBJECT_BEFORE_RELATIVE.search(subject)
            ref = parse_speaker(head.group(1) if head else _clause_tail(subject),
                                generic=adjacent)
        if ref.name or ref.pronoun or ref.nominal:
            return ref, True
    # A verb whose subject opens the sentence: "Kira Rudik, a member..., said ..., stating:".
    ref = parse_speaker(_clause_tail(text[: verbs[0].start()]))
    return (ref if (ref.name or ref.pronoun or ref.nominal) else None), True


_SUBJECT_BEFORE_RELATIVE = re.compile(
    r"(?:^|[.;:!?]\s+)((?:The|A|An)\s+[a-z][\w'’-]*(?:\s+[a-z][\w'’-]*)?)\s+"
    r"(?:that|which|who)\b[^,.;:!?“”\"]*$"
)
_APPOSITIVE_END = re.compile(
    r"[A-Z][\w'’-]*,\s*(?:(?!\b(?:said|says|was|is|were|are|has|had)\b)[^,.;:])+,$"
)


def _clause_tail(text: str) -> str:
    """The noun phrase right before a verb: drop earlier clauses, keep an appositive."""
    text = text.rstrip()
    appos = re.search(r"(?:^|[.;:!?]\s|,\s)([^,]+),\s*([^,]+),\s*$", text)
    if appos and re.search(r"[A-Z]", appos.group(1)):
        head = appos.group(1)
        return f"{_last_clause(head)}, {appos.group(2)}"
    return _last_clause(text)


def _last_clause(text: str) -> str:
    parts = re.split(
        r"(?<![A-Z])[.;:!?]\s+|[“”\"]\s*|,\s*|\b(?:that|and|but|while|as|after|when)\s+", text
    )
    return parts[-1] if parts else text


def _attribution(
    span: QuoteSpan, sents: list[Segment], body: str, prev_close: int, next_open: int
) -> _Attribution | None:
    first = _sentence_bounds(sents, span.mark_start)
    last = _sentence_bounds(sents, max(span.mark_end - 1, span.mark_start))
    if first is None or last is None:
        return None
    before = body[max(first.start, prev_close) : span.mark_start]
    stop = min(last.end, next_open) if next_open > span.mark_end else last.end
    after = body[span.mark_end : stop]
    # Speech is attributed after its closing mark only where the quote ends its clause:
    # '"...win," he said', '"done", according to X' - not '"good" relations with X, who'.
    closes_clause = span.text.endswith((",", "?", "!", ".")) or after.lstrip().startswith(
        (",", "—", "–", "-")
    )
    ref = _after_attribution(after) if after.strip(" .") and closes_clause else None
    if ref is not None:
        return _Attribution(ref, True)
    ref, verb = _before_attribution(before)
    if ref is None and not before.strip():
        # 'The company said in a statement:' closing the sentence or paragraph before.
        previous = _sentence_bounds(sents, first.start - 1) if first.start else None
        if previous is not None and previous is not first and previous.text.endswith(":"):
            ref, verb = _before_attribution(previous.text)
    if ref is not None:
        return _Attribution(ref, True)
    if verb:
        return _Attribution(SpeakerRef(), True)
    return None


def _kind(span: QuoteSpan, body: str) -> QuoteKind:
    words = span.text.split()
    head = body[max(0, span.mark_start - 4) : span.mark_start].rstrip(" \t\"”’'")
    starts_sentence = not head or head[-1] in ".:!?,—–-\n"
    if span.text[:1].islower() and not starts_sentence and len(words) < 8:
        return QuoteKind.PARTIAL
    if len(words) < 4 and not starts_sentence:
        return QuoteKind.PARTIAL
    return QuoteKind.DIRECT


def _is_title_like(text: str) -> bool:
    words = re.findall(r"[A-Za-z][\w'’-]*", text)
    if not words or len(words) > 8:
        return False
    small = {"of", "the", "a", "an", "and", "in", "on", "to", "for", "at", "with", "or"}
    return all(w[0].isupper() or w in small for w in words) and len(words) >= 2


@dataclass(frozen=True, slots=True)
class _Voice:
    """The speaker of the latest quote, for quotes that carry on without naming anyone."""

    speaker: str | None
    role: str | None
    paragraph: int
    offset: int


def _resolve(
    ref: SpeakerRef, cast: Cast, offset: int, last: _Voice | None = None
) -> tuple[str | None, str | None]:
    if ref.name:
        person = cast.lookup(ref.name)
        if person is not None:
            return person.name, person.role or ref.role
        return ref.name, ref.role
    if ref.pronoun:
        gender = {"he": "m", "she": "f"}.get(ref.pronoun)
        if not gender:
            return (last.speaker, last.role) if last else (None, None)
        # "he said" after a run of quotes is the same voice, unless the text has since made
        # someone else the subject.
        if last is not None and last.speaker:
            previous = cast.lookup(last.speaker)
            fits = previous is None or previous.gender in (None, gender)
            since = cast.subject_between(last.offset, offset, gender)
            if since is not None and since is not previous:
                return since.name, since.role
            if fits and since in (None, previous):
                return last.speaker, last.role
        person = cast.nearest_before(offset, gender)
        if person is not None:
            return person.name, person.role
        return None, None
    if ref.nominal:
        body = cast.body_for(ref.nominal, offset)
        if body is not None:
            return body, None
        person = cast.by_role(ref.nominal, offset)
        if person is None and (
            _DEFINITE_TITLE.match(ref.nominal) or _DEFINITE_PERSON.match(ref.nominal)
        ):
            # "the minister told delegates": the office-holder the article is following.
            person = cast.nearest_before(offset)
        if person is not None:
            return person.name, person.role
        return ref.nominal, None
    return None, None


# "the 29-year-old nurse said", "the mother of two added": a description of someone the
# article has already named, as opposed to "a nurse" (someone new) or "the hospital" (a body).
_DEFINITE_PERSON = re.compile(
    r"(?i)the\s+(?:[\w'’-]+\s+){0,2}(?:\d+-year-old|[\w'’-]*(?:er|or|ist|ian|man|woman)|"
    r"nurse|wife|husband|son|girl|boy|student|pupil|chef|victim|widow|child|mum|dad|"
    r"grandmother|grandfather|pensioner|actress|star|boss|veteran|singer)"
    r"(?:\s+of\s+(?:two|three|four|five|\w+))?$"
)
_DEFINITE_TITLE = re.compile(
    r"(?i)the\s+(?:[\w-]+\s+){0,2}(?:minister|secretary|chancellor|president|premier|"
    r"bishop|mayor|governor|senator|leader|chairman|chairwoman|co-chairman|chief executive|"
    r"prime minister|first minister)$"
)


def extract_quotes(
    body: str, paras: list[Segment], sents: list[Segment]
) -> list[Quote]:
    """Every quotation in the body someone is presented as saying, with its speaker."""
    return quotes_and_cast(body, paras, sents)[0]


def quotes_and_cast(
    body: str, paras: list[Segment], sents: list[Segment]
) -> tuple[list[Quote], Cast]:
    """:func:`extract_quotes`, with the :class:`Cast` of people and bodies it was read with
    (names outside quotation marks), for topics to reuse."""
    spans = find_spans(paras)
    cast = build_cast(
        body, [(s.mark_start, s.mark_end) for s in spans], sentence_starts=[s.start for s in sents]
    )
    quotes: list[Quote] = []
    last: _Voice | None = None
    last_sentence: int | None = None
    for i, span in enumerate(spans):
        if not span.text or not re.search(r"\w", span.text):
            continue
        prev_close = spans[i - 1].mark_end if i and spans[i - 1].paragraph == span.paragraph else 0
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        next_open = nxt.mark_start if nxt and nxt.paragraph == span.end_paragraph else -1
        attribution = _attribution(span, sents, body, prev_close, next_open)
        lead = body[max(0, span.mark_start - 40) : span.mark_start]
        kind = _kind(span, body)
        words = len(span.text.split())
        sentence = _sentence_bounds(sents, span.mark_start)
        sentence_start = sentence.start if sentence else None
        if _NAMING.search(lead):
            continue
        if attribution is None:
            if last is None or not _continues(
                span, kind, words, last, sentence_start, last_sentence
            ):
                continue
            speaker, role = last.speaker, last.role
            since = cast.subject_between(last.offset, span.mark_start, None)
            if since is not None and since.name != speaker and not span.continued:
                # Someone else has been made the subject since: "X said that ... . "Quote."".
                speaker, role = since.name, since.role
        else:
            if (_is_title_like(span.text) and words <= 6) or (not span.double and words < 3):
                continue
            speaker, role = _resolve(attribution.ref, cast, span.mark_start, last)
            if speaker is None and not attribution.ref.pronoun and attribution.ref.name is None:
                # A verb without a visible subject: the sentence's subject, else the last one.
                speaker, role = _sentence_subject(span, sents, body, cast, last)
            elif speaker is None and last is not None:
                speaker, role = last.speaker, last.role
        text = span.text.rstrip().rstrip(",").rstrip()
        quotes.append(
            Quote(
                text=text,
                speaker=speaker,
                speaker_role=role,
                kind=kind,
                paragraph=span.paragraph,
                offset=span.start,
            )
        )
        last = _Voice(speaker, role, span.end_paragraph, span.mark_end)
        last_sentence = sentence_start
    return quotes, cast


def _continues(
    span: QuoteSpan,
    kind: QuoteKind,
    words: int,
    last: _Voice,
    sentence_start: int | None,
    last_sentence: int | None,
) -> bool:
    """Whether a quote with no attribution of its own goes on in the last speaker's voice.

    So it does when it carries on from the previous paragraph, when it shares a sentence with
    the last quote ('an "increasingly high priority" and a "shared goal"'), or when it is a
    whole sentence of speech right after the last quote.  Anything else is a title, a term or
    a scare quote.
    """
    if span.continued:
        return True
    if sentence_start is not None and sentence_start == last_sentence:
        return True
    sentence_like = span.text[:1].isupper() and span.text.rstrip(",")[-1:] in ".!?"
    return (
        kind is QuoteKind.DIRECT
        and (sentence_like or words >= 6)
        and not _is_title_like(span.text)
        and span.paragraph - last.paragraph <= 1
    )


def _sentence_subject(
    span: QuoteSpan,
    sents: list[Segment],
    body: str,
    cast: Cast,
    last: _Voice | None,
) -> tuple[str | None, str | None]:
    sent = _sentence_bounds(sents, span.mark_start)
    if sent is not None:
        head = body[sent.start : span.mark_start]
        ref = parse_speaker(_SPEECH_SPLIT.split(head, maxsplit=1)[0])
        opening = NAME_RUN.match(head)
        if not (ref.name or ref.pronoun) and opening:
            # "Mr Whitfield hit back, saying ...": the name opening the sentence speaks.
            ref = parse_speaker(opening.group(0))
        if ref.name or ref.pronoun:
            return _resolve(ref, cast, span.mark_start, last)
    if last is not None:
        return last.speaker, last.role
    person: Person | None = cast.nearest_before(span.mark_start)
    return (person.name, person.role) if person else (None, None)
