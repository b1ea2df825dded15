"""A folder of article files, watched by polling: new and changed files are read again.

A file is known by its path inside the folder and recognised as unchanged by its size and
modification time, so each poll reads only what is new. A bad file is reported once per version
(not on every poll) and skipped; the others are read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from digests.errors import SourceError
from digests.sources.files import SUFFIXES, LoadedArticle, load_file
from digests.store import SourceItem


@dataclass
class FolderScan:
    """What changed in a folder since the last poll."""

    loaded: list[tuple[str, LoadedArticle]] = field(default_factory=list)
    items: list[SourceItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def walk(folder: Path) -> Iterator[Path]:
    """Every regular file under ``folder`` in a stable order, hidden files and folders skipped
    (editors and sync tools keep their temporary files there)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def fingerprint(path: Path) -> str | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return f"{info.st_mtime_ns}:{info.st_size}"


def scan_folder(folder: Path, known: dict[str, SourceItem], *, max_bytes: int) -> FolderScan:
    """Read the files of ``folder`` that are new or changed since ``known`` saw them.

    Raises :class:`SourceError` only when the folder itself cannot be read.
    """
    if not folder.is_dir():
        raise SourceError(f"{folder}: no such folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise SourceError(f"{folder}: folder cannot be read")
    scan = FolderScan()
    for path in walk(folder):
        key = path.relative_to(folder).as_posix()
        stamp = fingerprint(path)
        if stamp is None:
            continue  # deleted while we looked
        seen = known.get(key)
        if seen is not None and seen.fingerprint == stamp:
            continue
        problem = _unsupported(path)
        loaded: list[LoadedArticle] = []
        if problem is None:
            try:
                loaded = load_file(path, max_bytes=max_bytes)
            except SourceError as exc:
                problem = str(exc)
        if problem is not None:
            scan.problems.append(problem)
            scan.items.append(SourceItem(key=key, fingerprint=stamp, problem=problem))
            continue
        scan.loaded.extend((key, item) for item in loaded)
        first = loaded[0].article.id if loaded else None
        scan.items.append(SourceItem(key=key, fingerprint=stamp, article_id=first))
    return scan


def _unsupported(path: Path) -> str | None:
    # Sizes are checked by load_file, which refuses a file over the limit before reading it.
    if path.suffix.lower() not in SUFFIXES:
        kind = path.suffix.lower() or "no extension"
        return f"{path}: not an article file ({kind}); use .txt, .md, .html, .json or .yaml"
    return None
