"""Quotations and who said them.

Three steps, each a small function: :func:`find_spans` pairs quotation marks in each paragraph
(curly or straight, a quote left open at a paragraph's end carrying on where the next paragraph
opens a mark again); :func:`_attribution` reads the words around a span for a speech verb and
its subject (before, after or between two parts of a quote); spans nobody is said to have
spoken and that read as titles or scare quotes are dropped.  Speakers are resolved through the
article's :class:`~digests.extract.speakers.Cast`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digests.extract.speakers import (
    SPEECH_VERBS,
    Cast,
    Person,
    SpeakerRef,
    build_cast,
    parse_speaker,
)
from digests.extract.text import Segment
from digests.models import Quote, QuoteKind

__all__ = ["QuoteSpan", "extract_quotes", "find_spans"]

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
_OPEN_DOUBLE = "“\""
_CLOSE_DOUBLE = "”\""


@dataclass(slots=True)
class QuoteSpan:
    """Text between a pair of quotation marks, with where it sits in the body.

    ``mark_start``/``mark_end`` include the marks; ``start`` is the offset of the first quoted
    character.  A quote carried over several paragraphs keeps the first paragraph's positions
    and joins the parts with a space.
    """

    text: str
    start: int
    mark_start: int
    mark_end: int
    paragraph: int
    end_paragraph: int
    double: bool = True


def _scan(para: Segment) -> tuple[list[QuoteSpan], QuoteSpan | None]:
    """Pair the marks of one paragraph; return closed spans and a span left open at its end."""
    text = para.text
    spans: list[QuoteSpan] = []
    open_at: int | None = None
    single_at: int | None = None
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if open_at is None and ch in _OPEN_DOUBLE and (ch == "“" or not prev.isalnum()):
            if single_at is not None:
                single_at = None
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
    """All quoted spans of the body, in order, multi-paragraph quotes joined."""
    out: list[QuoteSpan] = []
    carry: QuoteSpan | None = None
    for para in paras:
        spans, left_open = _scan(para)
        if carry is not None:
            starts_open = para.text[:1] in _OPEN_DOUBLE
            if spans and starts_open and spans[0].mark_start == para.start:
                first = spans.pop(0)
                carry.text = f"{carry.text} {first.text}"
                carry.mark_end = first.mark_end
                carry.end_paragraph = para.paragraph
                out.append(carry)
                carry = None
            elif starts_open and left_open is not None and left_open.mark_start == para.start:
                carry.text = f"{carry.text} {left_open.text}"
                carry.end_paragraph = para.paragraph
                left_open = None
            else:
                # An unmatched mark: keep what was quoted up to the paragraph's end.
                out.append(carry)
                carry = None
        out.extend(spans)
        if left_open is not None:
            if carry is not None:
                out.append(carry)
            carry = left_open
    if carry is not None:
        out.append(carry)
    return out


@dataclass(frozen=True, slots=True)
class _Attribution:
    ref: SpeakerRef
    verb: bool


def _sentence_bounds(sents: list[Segment], offset: int) -> Segment | None:
    for s in sents:
        if s.start <= offset < s.end:
            return s
    return None


_CLAUSE_BREAK = re.compile(
    r"\b(?:that|which|when|while|because|apart|although|if|though|suggesting|but)\b", re.I
)
# Verbs that may come before their subject: '," said the minister'.
_INVERTED = re.compile(
    r"said|says|added|adds|asked|asks|wrote|writes|explained|warned|continued|insisted|"
    r"argued|replied|remarked|concluded|declared|explained|noted|admitted|according to"
)


def _after_attribution(text: str) -> SpeakerRef | None:
    """Attribution after a closing mark: ', he said', ' said X', ', X told the BBC'."""
    text = text.lstrip(" ,")
    m = re.match(r"(?:[—–-]\s*)?([^.;:!?“”\"]{0,120}?)\s*\b(" + _SPEECH + r")\b", text, re.I)
    if m:
        subject = m.group(1).strip()
        if subject and len(subject.split()) <= 10 and not _CLAUSE_BREAK.search(subject):
            ref = parse_speaker(subject)
            if ref.name or ref.pronoun or ref.nominal:
                return ref
        if not subject and _INVERTED.fullmatch(m.group(2).lower()):
            # Inverted: '," said Moscow-based US lawyer Jamie Firestone, who ...'.
            rest = text[m.end() :]
            rest = re.sub(r"^\s*(?:on \w+|in a statement|in an interview)\s*,?", "", rest)
            if not re.match(r"\s*(?:that|it|this|so)\b", rest):
                ref = parse_speaker(re.split(r"[.;:!?“”\"]|\bwho\b|\bwhen\b", rest)[0])
                if ref.name or ref.pronoun or ref.nominal:
                    return ref
    acc = _ACCORDING.match(text)
    if acc:
        return parse_speaker(acc.group(1))
    return None


def _before_attribution(text: str) -> tuple[SpeakerRef | None, bool]:
    """Attribution before an opening mark: 'X told reporters that', 'X said:'.

    Returns the speaker (None when the verb's subject cannot be found) and whether a speech
    verb was seen at all.
    """
    verbs = list(_SPEECH_RE.finditer(text))
    acc = list(_ACCORDING.finditer(text))
    if acc:
        ref = parse_speaker(acc[-1].group(1))
        if ref.name or ref.nominal:
            return ref, True
    if not verbs:
        return None, False
    for verb in reversed(verbs):
        if verb.group(0).lower().endswith("ing"):
            # "..., stating:" or "adding that": the subject is the earlier verb's.
            continue
        subject = text[: verb.start()]
        stripped = subject.rstrip()
        if not stripped or stripped.endswith((" and", " but")):
            continue
        if stripped.endswith(",") and not _APPOSITIVE_END.search(stripped):
            continue
        ref = parse_speaker(_clause_tail(subject))
        if ref.name or ref.pronoun or ref.nominal:
            return ref, True
    # A verb whose subject opens the sentence: "Kira Rudik, a member..., said ..., stating:".
    ref = parse_speaker(_clause_tail(text[: verbs[0].start()]))
    return (ref if (ref.name or ref.pronoun or ref.nominal) else None), True


_APPOSITIVE_END = re.compile(
    r"[A-Z][\w'’-]*,\s*(?:(?!\b(?:said|says|was|is|were|are|has|had)\b)[^,.;:])+,$"
)


def _clause_tail(text: str) -> str:
    """The noun phrase right before a verb: drop earlier clauses, keep an appositive."""
    text = text.rstrip()
    appos = re.search(r"(?:^|[.;:!?]\s|,\s)([^,]+),\s*([^,]+),?\s*$", text)
    if appos and re.search(r"[A-Z]", appos.group(1)):
        head = appos.group(1)
        return f"{_last_clause(head)}, {appos.group(2)}"
    return _last_clause(text)


def _last_clause(text: str) -> str:
    parts = re.split(r"[.;:!?“”\"]\s*|,\s*|\b(?:that|and|but|while|as|after|when)\s+", text)
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
    ref = _after_attribution(after) if after.strip(" .") else None
    if ref is not None:
        return _Attribution(ref, True)
    ref, verb = _before_attribution(before)
    if ref is not None:
        return _Attribution(ref, True)
    if verb:
        return _Attribution(SpeakerRef(), True)
    return None


def _kind(span: QuoteSpan, body: str) -> QuoteKind:
    words = span.text.split()
    head = body[max(0, span.mark_start - 3) : span.mark_start].rstrip()
    starts_sentence = not head or head[-1] in ".:!?,—–-\n" or head.endswith(("\n",))
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


def _resolve(ref: SpeakerRef, cast: Cast, offset: int) -> tuple[str | None, str | None]:
    if ref.name:
        person = cast.lookup(ref.name)
        if person is not None:
            return person.name, person.role or ref.role
        return ref.name, ref.role
    if ref.pronoun:
        gender = {"he": "m", "she": "f"}.get(ref.pronoun)
        if gender:
            person = cast.nearest_before(offset, gender)
            if person is not None:
                return person.name, person.role
        return None, None
    if ref.nominal:
        person = cast.by_role(ref.nominal, offset)
        if person is not None:
            return person.name, person.role
        return ref.nominal, None
    return None, None


def extract_quotes(
    body: str, paras: list[Segment], sents: list[Segment]
) -> list[Quote]:
    """Every quotation in the body someone is presented as saying, with its speaker."""
    spans = find_spans(paras)
    cast = build_cast(body, [(s.mark_start, s.mark_end) for s in spans])
    quotes: list[Quote] = []
    last_speaker: tuple[str | None, str | None, int] | None = None
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
        if attribution is None:
            # Unattributed: keep only whole sentences of speech continuing an earlier quote.
            sentence_like = span.text[:1].isupper() and span.text.rstrip(",")[-1:] in ".!?"
            if (
                kind is QuoteKind.PARTIAL
                or not (sentence_like or words >= 6)
                or _is_title_like(span.text)
                or last_speaker is None
                or span.paragraph - last_speaker[2] > 1
            ):
                continue
            speaker, role = last_speaker[0], last_speaker[1]
        else:
            if _NAMING.search(lead) or (_is_title_like(span.text) and words <= 6):
                continue
            if not span.double and words < 3:
                continue
            speaker, role = _resolve(attribution.ref, cast, span.mark_start)
            if speaker is None and not attribution.ref.pronoun and attribution.ref.name is None:
                # A verb without a visible subject: the sentence's subject, else the last one.
                speaker, role = _sentence_subject(span, sents, body, cast, last_speaker)
            elif speaker is None and last_speaker is not None:
                speaker, role = last_speaker[0], last_speaker[1]
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
        last_speaker = (speaker, role, span.end_paragraph)
    return quotes


def _sentence_subject(
    span: QuoteSpan,
    sents: list[Segment],
    body: str,
    cast: Cast,
    last: tuple[str | None, str | None, int] | None,
) -> tuple[str | None, str | None]:
    sent = _sentence_bounds(sents, span.mark_start)
    if sent is not None:
        head = body[sent.start : span.mark_start]
        ref = parse_speaker(re.split(r"\b(?:" + _SPEECH + r")\b", head, maxsplit=1)[0])
        if ref.name or ref.pronoun:
            return _resolve(ref, cast, span.mark_start)
    if last is not None:
        return last[0], last[1]
    person: Person | None = cast.nearest_before(span.mark_start)
    return (person.name, person.role) if person else (None, None)
