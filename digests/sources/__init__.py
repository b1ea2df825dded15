"""Where articles come from: files and folders today (feeds and pages build on the same shape)."""

from digests.sources.files import (
    LoadedArticle,
    html_to_text,
    iter_article_files,
    load_file,
    split_plain_text,
)

__all__ = ["LoadedArticle", "html_to_text", "iter_article_files", "load_file", "split_plain_text"]
