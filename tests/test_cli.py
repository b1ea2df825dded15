"""The content command line, run as a user runs it: ``python -m digests ...``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import database_url_for_run

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "corpus" / "seed" / "istanbul-talks.txt"
SAMPLES = ROOT / "digests" / "samples"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EDITIONS")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "digests", *args], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.skipif(not SEED.exists(), reason="../shared/corpus/seed is absent")
def test_extract_json_on_the_seed(tmp_path: Path) -> None:
    result = run("extract", str(SEED), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    speakers = {q["speaker"] for q in article["quotes"]}
    assert {"Sergiy Kyslytsya", "Kira Rudik", "Volodymyr Zelenskyy"} <= speakers
    assert any(f["number"] == 2_000_000_000 and f["unit"] == "USD" for f in article["figures"])


def test_extract_readable_report(tmp_path: Path) -> None:
    result = run("extract", str(SAMPLES / "harbour-bridge-reopens.txt"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Riverton's Harbour Bridge Reopens")
    assert "Elena Varga" in result.stdout


def test_extract_bad_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = run("extract", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: {bad}: invalid JSON: " + result.stderr.split(
        "invalid JSON: ", 1)[1].strip()
    assert "Traceback" not in result.stderr


def test_schema_describes_articles(tmp_path: Path) -> None:
    schema = json.loads(run("schema", cwd=tmp_path).stdout)
    assert schema["title"] == "Article"
    assert {"quotes", "figures", "dates", "summary"} <= set(schema["properties"])


def test_ingest_is_idempotent_and_render_prints_the_digest(tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url_for_run(tmp_path)}
    first = run("ingest", str(SAMPLES), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "3 added, 0 updated, 0 unchanged"
    again = run("ingest", str(SAMPLES), cwd=tmp_path, env=env)
    assert again.stdout.strip() == "0 added, 0 updated, 3 unchanged"

    changed = tmp_path / "changed"
    changed.mkdir()
    text = (SAMPLES / "solar-farm-approved.txt").read_text()
    (changed / "solar.txt").write_text(text.replace("400 construction jobs", "450 jobs"))
    (changed / "broken.yaml").write_text("title: [unclosed")
    result = run("ingest", str(changed), cwd=tmp_path, env=env)
    assert result.stdout.strip() == "0 added, 1 updated, 0 unchanged, 1 failed"
    assert "broken.yaml: invalid YAML" in result.stderr

    rendered = run("render", "--edition", "morning", cwd=tmp_path, env=env)
    assert rendered.returncode == 0, rendered.stderr
    assert "Harbour Bridge" in rendered.stdout and "<b>" in rendered.stdout
    missing = run("render", "--edition", "nightly", cwd=tmp_path, env=env)
    assert missing.returncode == 2 and "no edition 'nightly'" in missing.stderr


def test_render_with_empty_store_says_what_to_do(tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url_for_run(tmp_path)}
    result = run("render", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "ingest" in result.stderr
