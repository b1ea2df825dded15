"""Where articles come from: article files and folders, RSS/Atom feeds and web pages.

:mod:`.files` reads one article file; :mod:`.config` defines sources; :mod:`.folder`,
:mod:`.feeds` and :mod:`.pages` read each kind; :mod:`.pipeline` runs one poll of a source
(collect, read, extract, store) and :mod:`.poller` schedules polls; :mod:`.listing` serves
``python -m digests sources``.
"""

from digests.sources.files import (
    LoadedArticle,
    html_to_text,
    iter_article_files,
    load_file,
    split_plain_text,
)

__all__ = ["LoadedArticle", "html_to_text", "iter_article_files", "load_file", "split_plain_text"]
