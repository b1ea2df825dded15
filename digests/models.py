"""The shared language of the product: structured articles and what they contain.

Every layer speaks these models: sources produce raw :class:`Article` values, extraction fills
in their structure, the store persists them as JSON, templates render them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class QuoteKind(StrEnum):
    """Whether a quote is a whole stretch of speech or a few words woven into a sentence."""

    DIRECT = "direct"
    PARTIAL = "partial"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Quote(_Model):
    """Words a person or organisation said, as printed between quotation marks."""

    text: str = Field(description="The quoted words, without the quotation marks.")
    speaker: str | None = Field(default=None, description="Who said it, as fully named.")
    speaker_role: str | None = Field(
        default=None, description="Their role, e.g. 'Ukrainian negotiator'."
    )
    kind: QuoteKind = QuoteKind.DIRECT
    paragraph: int | None = Field(default=None, description="Index of the paragraph, from 0.")
    offset: int | None = Field(default=None, description="Character offset in the body.")


class Figure(_Model):
    """A quantity a reader would want at a glance, with what it counts."""

    text: str = Field(description="The figure as written, e.g. 'USD 2 billion'.")
    number: float | None = Field(default=None, description="Its value, scale applied.")
    unit: str | None = Field(default=None, description="Currency code, unit or '%'.")
    counts: str | None = Field(default=None, description="What it counts, e.g. 'Russian jets'.")
    sentence: str | None = Field(default=None, description="The sentence it came from.")


class DateRef(_Model):
    """A date mentioned in the article, resolved when the article says enough to do so."""

    text: str = Field(description="The date as written, e.g. 'May 16'.")
    date: dt.date | None = Field(default=None, description="The resolved calendar date.")
    granularity: str = Field(default="day", description="'day', 'week', 'month' or 'year'.")


class Article(_Model):
    """A news article with its extracted structure."""

    id: str = Field(description="Stable identifier: given by the source or derived from it.")
    title: str
    url: str | None = None
    source: str | None = None
    published_at: dt.datetime | None = None
    language: str = "en"
    body: str = ""
    summary: str = ""
    key_points: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    dates: list[DateRef] = Field(default_factory=list)
    topics: list[str] = Field(
        default_factory=list,
        description="Lower-case subject labels ('politics', 'sport'), then the names it is about.",
    )
    people: list[str] = Field(
        default_factory=list, description="People named, most mentioned first."
    )
    places: list[str] = Field(
        default_factory=list, description="Places named, most mentioned first."
    )
    organisations: list[str] = Field(
        default_factory=list, description="Organisations named, most mentioned first."
    )

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n") if p.strip()]

    def content_hash(self) -> str:
        """A fingerprint of everything a reader sees, so re-ingesting detects real changes."""
        payload = self.model_dump_json(exclude={"id"}).encode()
        return hashlib.sha256(payload).hexdigest()


def article_id_for(title: str, url: str | None = None) -> str:
    """Derive a stable id from the URL when there is one, else from the headline."""
    basis = url or " ".join(title.lower().split())
    return hashlib.sha1(basis.encode()).hexdigest()[:12]
