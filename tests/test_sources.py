"""Article files: every format reads into an Article, and a bad file says what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digests.errors import SourceError
from digests.sources import iter_article_files, load_file


def test_plain_text_first_line_is_headline(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("\n  Big News Today \n\nFirst paragraph\nwraps here.\n\nSecond one.\n")
    [loaded] = load_file(path)
    assert loaded.article.title == "Big News Today"
    assert loaded.article.paragraphs == ["First paragraph", "wraps here.", "Second one."]
    assert loaded.needs_extraction


def test_markdown_loses_its_markup(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Headline\n\nSome **bold** and a [link](http://x).\n\n- item\n")
    [loaded] = load_file(path)
    assert loaded.article.title == "Headline"
    assert loaded.article.paragraphs == ["Some bold and a link.", "item"]


def test_html_page_keeps_headline_and_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_text(
        "<html><head><title>Site | x</title><script>var a = '<p>no</p>';</script></head>"
        "<body><nav>Menu</nav><article><h1>Real &amp; True</h1><p>One &lt;b&gt;.</p>"
        "<p>Two.</p></article></body></html>"
    )
    [loaded] = load_file(path)
    assert loaded.article.title == "Real & True"
    assert loaded.article.paragraphs == ["One <b>.", "Two."]


def test_structured_record_is_taken_as_is(tmp_path: Path) -> None:
    record = {"title": "T", "body": "B.", "summary": "S.",
              "quotes": [{"text": "Q", "speaker": "X", "kind": "partial"}]}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(record))
    [loaded] = load_file(path)
    assert not loaded.needs_extraction
    assert loaded.article.summary == "S." and loaded.article.quotes[0].kind == "partial"


def test_yaml_list_of_raw_records_needs_extraction(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("- title: One\n  text: Body one.\n- title: Two\n  body: Body two.\n")
    loaded = load_file(path)
    assert [x.article.title for x in loaded] == ["One", "Two"]
    assert loaded[0].article.body == "Body one." and all(x.needs_extraction for x in loaded)
    assert loaded[0].article.id != loaded[1].article.id


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", "{not json", "invalid JSON"),
        ("bad.yaml", "a: [1", "invalid YAML"),
        ("list.json", "[1, 2]", "expected an article object"),
        ("notitle.json", '{"body": "x"}', "article has no title"),
        ("date.json", '{"title": "t", "published_at": "soon"}', "field published_at"),
        ("empty.txt", "\n\n  \n", "file is empty"),
    ],
)
def test_bad_files_name_the_file_and_problem(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SourceError) as info:
        load_file(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_binary_and_huge_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SourceError, match="binary file"):
        load_file(binary)
    latin1 = tmp_path / "latin.txt"
    latin1.write_bytes("Café société\n\nDéjà vu.".encode("latin-1"))
    with pytest.raises(SourceError, match="not UTF-8"):
        load_file(latin1)
    huge = tmp_path / "huge.txt"
    huge.write_text("T\n" + "x" * (6 * 1024 * 1024))
    with pytest.raises(SourceError, match="over the"):
        load_file(huge)


def test_folders_are_walked_in_order_skipping_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.txt", "1.json", "notes.pdf", "b/3.md"):
        (tmp_path / name).write_text("x")
    names = [p.relative_to(tmp_path).as_posix() for p in iter_article_files([tmp_path])]
    assert names == ["1.json", "b/2.txt", "b/3.md"]


def test_structured_article_round_trips_through_json() -> None:
    from digests.models import Article, DateRef, Figure, Quote

    article = Article(
        id="x", title="T", body="B", published_at="2026-11-20T09:00:00Z", summary="S.",
        quotes=[Quote(text="Q", speaker="A B", speaker_role="mayor", kind="partial")],
        figures=[Figure(text="USD 2 billion", number=2e9, unit="USD", counts="damage")],
        dates=[DateRef(text="May 16", date="2025-05-16")],
    )
    again = Article.model_validate_json(article.model_dump_json())
    assert again == article
    assert again.content_hash() == article.content_hash()
