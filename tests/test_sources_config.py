"""Source definitions (settings and files) and the ``python -m digests sources`` listing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import load_settings
from digests.sources.config import (
    SourceConfigError,
    SourceKind,
    load_sources,
    parse_interval,
    read_sources_file,
)


def test_yaml_file_with_relative_folder_and_durations(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {name: Herald, kind: feed, location: 'https://herald.example/rss', interval: 15m,"
        " topics: [local, transport]}\n"
        "  - {name: Inbox, kind: folder, location: inbox, topics: 'city, schools'}\n"
    )
    herald, inbox = read_sources_file(path)
    assert (herald.kind, herald.interval, herald.topics) == (
        SourceKind.FEED, 900, ["local", "transport"])
    assert herald.host == "herald.example"
    assert inbox.location == str(tmp_path / "inbox") and inbox.topics == ["city", "schools"]
    assert inbox.interval is None


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "City Hall"\nkind = "page"\n'
        'location = "https://city.example/news"\ninterval = 3600\n'
    )
    [spec] = read_sources_file(path)
    assert (spec.name, spec.kind, spec.interval) == ("City Hall", SourceKind.PAGE, 3600)


def test_settings_and_file_combine(tmp_path: Path) -> None:
    path = tmp_path / "more.json"
    path.write_text('[{"name": "Wire", "kind": "feed", "location": "http://wire.example/a"}]')
    settings = load_settings(
        _env_file=None, sources_file=str(path),
        sources='[{"name": "Inbox", "kind": "folder", "location": "/srv/articles"}]',
    )
    assert [s.name for s in load_sources(settings)] == ["Inbox", "Wire"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sources: [{name: X, kind: radio, location: y}]", "source 'X': kind: Input should be"),
        ("sources: [{name: X, kind: feed, location: ftp://x/y}]",
         "source 'X': a feed needs an http(s) URL, not 'ftp://x/y'"),
        ("sources: [{name: X, kind: feed, location: 'http://x', interval: soon}]",
         "source 'X': interval: 'soon' is not a duration"),
        ("sources: [{name: X, kind: feed, location: 'http://x', interval: 2s}]",
         "source 'X': interval: Input should be greater than or equal to 10"),
        ("sources: [{name: X, kind: feed, location: 'http://x', colour: red}]",
         "source 'X': colour: Extra inputs are not permitted"),
        ("sources: [{kind: feed, location: 'http://x'}]", "[0]: name: Field required"),
        ("sources: {name: X}", "expected a list of sources"),
        ("sources: [oops", "invalid YAML"),
        ("sources:\n - {name: A, kind: folder, location: a}\n - {name: a, kind: folder, "
         "location: b}", "source name 'a' is used twice"),
    ],
)
def test_bad_definitions_name_the_file_and_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(content)
    with pytest.raises(SourceConfigError) as info:
        load_sources(load_settings(_env_file=None, sources_file=str(path)))
    assert str(path) in str(info.value) or "used twice" in message
    assert message in str(info.value)


def test_sources_setting_must_be_a_json_list() -> None:
    from config import ConfigError

    with pytest.raises(ConfigError, match="SOURCES: is not valid JSON"):
        load_settings(_env_file=None, sources="[{")


def test_intervals() -> None:
    assert [parse_interval(v) for v in (90, "90", "30s", "15m", "2h", "1d", "1.5h")] == [
        90, 90, 30, 900, 7200, 86400, 5400]


def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "SOURCES", "SOURCES_FILE")}
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "digests", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_sources_command_lists_last_poll_status_and_counts(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Bridge Reopens\n\nThe bridge reopened on Monday.\n")
    (inbox / "b.json").write_text("{broken")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n"
        "  - {name: Inbox, kind: folder, location: inbox, interval: 5m}\n"
        "  - {name: Closed Port, kind: feed, location: 'http://127.0.0.1:9/rss.xml'}\n"
    )
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
           "SOURCES_FILE": "sources.yaml", "FETCH_TIMEOUT": "5",
           "INGEST_PROCESSES": "0"}

    before = run_cli("sources", cwd=tmp_path, env=env)
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines() == [
        f"Inbox (folder) {inbox}", "  never polled · every 5m",
        "Closed Port (feed) http://127.0.0.1:9/rss.xml", "  never polled · every 15m",
    ]

    polled = run_cli("sources", "--poll", cwd=tmp_path, env=env)
    assert polled.returncode == 0, polled.stderr
    lines = polled.stdout.splitlines()
    assert lines[1].startswith("  last poll ") and "· ok · 1 article · every 5m" in lines[1]
    assert lines[2].startswith("  skipped last time: 1 (latest: ")
    assert "b.json: invalid JSON" in lines[2]
    assert "· failing (1 in a row), next try" in lines[4] and "0 articles" in lines[4]
    assert lines[5].startswith("  error: http://127.0.0.1:9/rss.xml: ")
    assert "polled Inbox: 1 added, 0 updated, 1 skipped" in polled.stderr


def test_sources_command_reports_bad_definitions(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text("sources: [{name: X, kind: radio, location: y}]")
    result = run_cli("sources", cwd=tmp_path, env={
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        "SOURCES_FILE": "sources.yaml"})
    assert result.returncode == 1
    assert "configuration error: sources.yaml: source 'X': kind:" in result.stderr
    assert "Traceback" not in result.stderr
