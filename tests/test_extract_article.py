"""The extraction pipeline as the rest of the product calls it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from digests.extract import extract_article
from digests.models import Article

BODY = (
    "LONDON (Reuters) — Acme Corp cut 1,200 jobs on Monday after profits fell 40% to £80m.\n\n"
    'Chief executive Jo Baker said: "These are hard choices for a proud company."\n\n'
    "The firm said it would close two factories in the north by March 2026.\n\n"
    "Unions said the cuts were a blow to the region and called for talks with ministers.\n"
)


def _article(**extra: object) -> Article:
    return Article(id="a1", title="Acme cuts 1,200 jobs", body=BODY, **extra)


def test_fills_every_part_of_the_structure() -> None:
    out = extract_article(_article(published_at=dt.datetime(2025, 9, 24, 8, 0)))
    assert out.summary.startswith("Acme Corp cut 1,200 jobs")
    assert 3 <= len(out.key_points) <= 5
    (quote,) = out.quotes
    assert (quote.speaker, quote.speaker_role) == ("Jo Baker", "Chief executive")
    assert {(f.number, f.unit, f.counts) for f in out.figures} >= {
        (1200, None, "jobs"), (40, "%", None), (80_000_000, "GBP", None),
    }
    dates = {d.text: d.date for d in out.dates}
    assert dates["Monday"] == dt.date(2025, 9, 22)
    assert dates["March 2026"] == dt.date(2026, 3, 1)
    assert "Acme Corp" in out.topics


def test_returns_a_copy_and_is_deterministic() -> None:
    article = _article()
    first = extract_article(article)
    assert article.summary == "" and article.quotes == []
    assert extract_article(article) == first
    assert first.id == article.id and first.body == article.body


def test_empty_body() -> None:
    out = extract_article(Article(id="e", title="Nothing here"))
    assert (out.summary, out.key_points, out.quotes, out.figures, out.dates) == ("", [], [], [], [])


def test_people_places_organisations_and_subject_labels() -> None:
    out = extract_article(_article())
    assert out.people == ["Jo Baker"]
    assert "Acme Corp" in out.organisations
    assert "business" in out.topics
    assert all(t == t.lower() for t in out.topics if t in {"business", "economy"})


def test_cli_extract_prints_json_without_loading_the_server_stack(tmp_path: Path) -> None:
    """`python -m digests extract` is run once per article by scorers and scripts: it must
    not import the database, scheduler or settings machinery it does not use."""
    path = tmp_path / "story.txt"
    path.write_text("Acme cuts 1,200 jobs\n\n" + BODY, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "digests", "extract", str(path), "--json"],
        capture_output=True, text=True, check=True, timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    printed = json.loads(run.stdout)
    assert printed["quotes"][0]["speaker"] == "Jo Baker"
    assert "people" in printed and "topics" in printed
    imported = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines()}
    assert not imported & {"sqlalchemy", "apscheduler", "pydantic_settings", "telegram",
                           "alembic", "asyncpg", "aiosqlite"}
