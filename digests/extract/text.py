"""Paragraphs and sentences of an article body, with their offsets in the body.

News copy defeats a naive "split on full stops": titles (``Mr.``), initials (``J. K.``),
dotted acronyms (``U.S.``), abbreviated months (``Jan. 5``), decimals and quotes that close a
sentence (``... win," she said.``).  :func:`sentences` knows these cases; everything else in the
extraction package works on the :class:`Segment` values it returns, so offsets stay true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Segment", "paragraphs", "sentences", "split_body"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the body: a paragraph or a sentence.

    ``start`` is the offset of the first character in the article body and ``paragraph`` the
    index of the paragraph it belongs to, counted like :attr:`Article.paragraphs`.
    """

    text: str
    start: int
    paragraph: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


# Abbreviations after which a full stop never ends a sentence: they precede a name or number.
_NEVER_FINAL = {
    "mr", "mrs", "ms", "dr", "prof", "st", "gen", "sen", "rep", "gov", "lt", "col", "capt",
    "sgt", "rev", "hon", "messrs", "mt", "ft", "no", "nos", "vs", "v", "cf", "approx", "fig",
    "e.g", "i.e", "gov't", "sr", "jr",
}
# Abbreviations that may also close a sentence ("... of Acme Inc. The firm ..."): split only
# when a typical sentence opener follows.
_MAYBE_FINAL = {
    "inc", "corp", "ltd", "co", "plc", "bros", "etc", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "a.m", "p.m",
}
_OPENERS = {
    "the", "a", "an", "it", "he", "she", "they", "we", "i", "you", "but", "and", "this", "that",
    "these", "those", "there", "in", "on", "at", "for", "his", "her", "their", "its", "our",
    "as", "after", "before", "while", "when", "if", "however", "meanwhile", "some", "many",
    "most", "mr", "mrs", "ms", "dr", "so", "yet", "still", "also", "then", "last", "earlier",
    "later", "one", "two", "three",
}

_BOUNDARY = re.compile(r"(?:[.!?]+|…)[\"”’')\]]*(?=\s+([\"“‘'(\[]?)(\S+))")
_WORD_BEFORE = re.compile(r"([\w.'’-]+)$")


def paragraphs(body: str) -> list[Segment]:
    """Split a body on newlines into stripped, non-empty paragraphs with their offsets."""
    out: list[Segment] = []
    pos = 0
    for line in body.split("\n"):
        stripped = line.strip()
        if stripped:
            out.append(Segment(stripped, pos + line.index(stripped), len(out)))
        pos += len(line) + 1
    return out


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    punct = match.group(0)
    nxt = match.group(2)
    first = nxt[0]
    if not (first.isupper() or first.isdigit()):
        return False
    if punct.rstrip("\"”’')]") != ".":
        # "?", "!" and ellipses end a sentence whenever a capital follows.
        return True
    before = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.start())
    if before is None:
        return True
    word = before.group(1).lower().rstrip(".")
    bare = word.lstrip("'’")
    next_word = re.sub(r"\W+$", "", nxt).lower()
    if bare in _NEVER_FINAL:
        return False
    if len(bare) == 1 and bare.isalpha() and before.group(1)[-1].isupper():
        # An initial: "J. K. Rowling".
        return False
    if bare in _MAYBE_FINAL or re.fullmatch(r"(?:[a-z]\.)+[a-z]", bare):
        # "Jan. 5", "U.S. forces" carry on; "in the U.S. The ..." ends.
        return next_word in _OPENERS
    return True


def sentences(text: str, start: int = 0, paragraph: int = 0) -> list[Segment]:
    """Split one paragraph into sentences.

    ``start`` is the paragraph's offset in the body, so the segments carry body offsets.
    """
    out: list[Segment] = []
    begin = 0
    for match in _BOUNDARY.finditer(text):
        if not _is_boundary(text, match):
            continue
        piece = text[begin : match.end()]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append(Segment(piece.strip(), start + begin + lead, paragraph))
        begin = match.end()
    rest = text[begin:]
    if rest.strip():
        lead = len(rest) - len(rest.lstrip())
        out.append(Segment(rest.strip(), start + begin + lead, paragraph))
    return out


def split_body(body: str) -> tuple[list[Segment], list[Segment]]:
    """Return the paragraphs of ``body`` and all of its sentences, in order."""
    paras = paragraphs(body)
    sents = [s for p in paras for s in sentences(p.text, p.start, p.paragraph)]
    return paras, sents
