"""Article files on disk: structured JSON/YAML records, plain text, Markdown and HTML.

A structured record that already carries extracted fields (summary, quotes, figures...) is taken
as it is; every other file yields a raw article whose structure extraction fills in later.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from digests.errors import SourceError
from digests.models import Article, article_id_for

MAX_FILE_BYTES = 5 * 1024 * 1024
SUFFIXES = {".json", ".yaml", ".yml", ".txt", ".md", ".markdown", ".html", ".htm"}
_STRUCTURED_FIELDS = ("summary", "key_points", "quotes", "figures", "dates", "topics")


class LoadedArticle:
    """An article read from a file, and whether it still needs extraction."""

    __slots__ = ("article", "needs_extraction", "path")

    def __init__(self, article: Article, needs_extraction: bool, path: Path) -> None:
        self.article = article
        self.needs_extraction = needs_extraction
        self.path = path


def iter_article_files(paths: list[Path]) -> Iterator[Path]:
    """Yield article files from files and folders (recursively), in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES:
                    yield child
        else:
            yield path


def load_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> list[LoadedArticle]:
    """Read one article file; raise :class:`SourceError` naming the file if it is unusable.

    A file over ``max_bytes`` is refused before any of it is read.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    if size > max_bytes:
        raise SourceError(f"{path}: file is {size:,} bytes, over the {max_bytes:,} limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    if b"\x00" in data[:8192]:
        raise SourceError(f"{path}: binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _records(path, _parse(path, text, json.loads, "JSON"))
    if suffix in (".yaml", ".yml"):
        return _records(path, _parse(path, text, yaml.safe_load, "YAML"))
    if suffix in (".html", ".htm"):
        title, body = html_to_text(text)
        return [_raw(path, title, body)]
    title, body = split_plain_text(text, markdown=suffix in (".md", ".markdown"))
    return [_raw(path, title, body)]


def _parse(path: Path, text: str, parser: Any, kind: str) -> Any:
    try:
        return parser(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"{path}: invalid {kind}: {first}") from None


def _records(path: Path, data: Any) -> list[LoadedArticle]:
    items = data if isinstance(data, list) else [data]
    out = []
    for index, item in enumerate(items):
        where = f"{path}" if len(items) == 1 else f"{path}[{index}]"
        if not isinstance(item, dict):
            raise SourceError(f"{where}: expected an article object, got {type(item).__name__}")
        record = dict(item)
        if "body" not in record and isinstance(record.get("text"), str):
            record["body"] = record.pop("text")
        if not record.get("title"):
            raise SourceError(f"{where}: article has no title")
        record.setdefault("id", article_id_for(str(record["title"]), record.get("url")))
        record.setdefault("source", path.name)
        try:
            article = Article.model_validate(record)
        except ValidationError as exc:
            problem = exc.errors(include_input=False)[0]
            field = ".".join(str(p) for p in problem["loc"])
            raise SourceError(f"{where}: field {field}: {problem['msg']}") from None
        structured = any(record.get(name) for name in _STRUCTURED_FIELDS)
        article = article.model_copy(update={"body": normalise_body(article.body)})
        out.append(LoadedArticle(article, not structured, path))
    return out


def _raw(path: Path, title: str, body: str) -> LoadedArticle:
    if not title:
        raise SourceError(f"{path}: file is empty")
    article = Article(id=article_id_for(title), title=title, source=path.name, body=body)
    return LoadedArticle(article, True, path)


def normalise_body(text: str) -> str:
    """One paragraph per line: blank-line and single-newline paragraph styles both arrive so."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", text)]
    return "\n".join(p for p in paragraphs if p)


def split_plain_text(text: str, *, markdown: bool = False) -> tuple[str, str]:
    """First non-empty line is the headline; the rest are paragraphs."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return "", ""
    title, rest = lines[0].strip(), "\n".join(lines[1:])
    if markdown:
        title = title.lstrip("#").strip()
        rest = _strip_markdown(rest)
    return title, normalise_body(rest)


def _strip_markdown(text: str) -> str:
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return re.sub(r"^\s*[-*+]\s+", "", text, flags=re.M)


_DROP = re.compile(
    r"<(script|style|noscript|nav|header|footer|aside|form)\b.*?</\1\s*>", re.S | re.I
)
_BLOCK = re.compile(r"</?(p|div|br|h[1-6]|li|ul|ol|article|section|blockquote|tr)\b[^>]*>", re.I)


def html_to_text(page: str) -> tuple[str, str]:
    """A plain reading of an HTML page: its headline and its paragraphs."""
    heading = re.search(r"<h1\b[^>]*>(.*?)</h1\s*>", page, re.S | re.I)
    title_tag = re.search(r"<title\b[^>]*>(.*?)</title\s*>", page, re.S | re.I)
    raw_title = (heading or title_tag).group(1) if (heading or title_tag) else ""
    title = " ".join(html.unescape(re.sub(r"<[^>]+>", "", raw_title)).split())
    body = re.search(r"<(article|body)\b[^>]*>(.*)</\1\s*>", page, re.S | re.I)
    content = body.group(2) if body else page
    content = _DROP.sub(" ", content)
    if heading:
        content = content.replace(heading.group(0), "\n", 1)
    content = _BLOCK.sub("\n", content)
    content = html.unescape(re.sub(r"<[^>]+>", "", content))
    if not title:
        title, content = split_plain_text(content)
    return title, normalise_body(content)
