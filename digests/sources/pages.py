"""Fetching web pages politely, and reading their main text.

:class:`Fetcher` wraps one :class:`httpx.AsyncClient`: a clear User-Agent, timeouts, a byte
limit enforced while streaming (a huge page is cut off, not downloaded), conditional requests
with ETag and Last-Modified, and at most ``per_host`` requests in flight to any one host.
:func:`page_article` turns a fetched HTML page into a raw article with trafilatura.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import importlib.util
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import trafilatura

from config.settings import redact_url
from digests.errors import SourceError
from digests.models import Article, article_id_for
from digests.sources.files import html_to_text, normalise_body

# httpcore runs ``import sniffio`` on every request; when sniffio is not installed, each of those
# failed imports searches the whole of sys.path again (about a millisecond a request). A None
# entry in sys.modules is Python's documented way to record that a module is absent.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

#: Content types read as text; anything else (images, PDFs, archives) is refused by name.
_TEXT_TYPES = ("text/", "application/xhtml", "application/xml", "application/rss",
               "application/atom", "application/rdf", "application/json", "application/feed")


class FetchError(SourceError):
    """A URL could not be fetched; the message names the URL and the reason.

    ``transient`` errors (timeouts, lost connections, 5xx answers) are worth retrying soon;
    the others (404, a page too big, an image) will give the same answer next time.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response worth reading (200) or the news that nothing changed (304)."""

    url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """An HTTP client for sources: polite, bounded, and clear about what went wrong."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        per_host: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.per_host = per_host
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
            max_redirects=5,
            transport=transport,
            # Sources are operator-chosen URLs; proxies come from the environment as usual.
            trust_env=True,
        )
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.per_host)
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    ) -> Fetched:
        """GET ``url``, conditionally when validators are given; raise :class:`FetchError`.

        The body is read in chunks and abandoned as soon as it passes ``max_bytes``.
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        parts = urlsplit(url)
        host = parts.hostname or ""
        shown = redact_url(url)  # a password in a source URL never reaches a message
        auth: httpx.BasicAuth | None = None
        if parts.username is not None or parts.password is not None:
            # Credentials travel as a header, so the URL httpx logs carries none.
            auth = httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))
            netloc = parts.netloc.rsplit("@", 1)[1]
            url = urlunsplit(parts._replace(netloc=netloc))
        async with self._hosts[host]:
            try:
                # One deadline for the whole fetch: httpx's own timeouts are per read, so a
                # server dripping bytes slowly could otherwise hold the slot for ever.
                async with asyncio.timeout(self.timeout):
                    return await self._get(url, shown, headers, max_bytes, auth)
            except (httpx.TimeoutException, TimeoutError):
                raise FetchError(f"{shown}: timed out after {self.timeout:g} s",
                                 transient=True) from None
            except httpx.TooManyRedirects:
                raise FetchError(f"{shown}: too many redirects") from None
            except httpx.InvalidURL:
                raise FetchError(f"{shown}: invalid URL") from None
            except httpx.HTTPError as exc:
                reason = (str(exc) or type(exc).__name__).replace(url, shown)
                raise FetchError(f"{shown}: {reason}", transient=True) from None

    async def _get(
        self,
        url: str,
        shown: str,
        headers: dict[str, str],
        max_bytes: int,
        auth: httpx.BasicAuth | None,
    ) -> Fetched:
        request_auth: Any = auth if auth is not None else httpx.USE_CLIENT_DEFAULT
        async with self._client.stream("GET", url, headers=headers, auth=request_auth) as response:
            if response.status_code == 304:
                return Fetched(url, 304, etag=response.headers.get("ETag") or headers.get(
                    "If-None-Match"), last_modified=headers.get("If-Modified-Since"))
            if response.status_code >= 400:
                raise FetchError(
                    f"{shown}: HTTP {response.status_code} {response.reason_phrase}",
                    transient=response.status_code >= 500 or response.status_code == 429,
                )
            if response.status_code != 200:
                raise FetchError(f"{shown}: unexpected HTTP {response.status_code}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type and not content_type.startswith(_TEXT_TYPES):
                raise FetchError(f"{shown}: not a text document ({content_type})")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{shown}: {int(declared):,} bytes, over the {max_bytes:,} limit")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{shown}: more than the {max_bytes:,} byte limit")
                chunks.append(chunk)
            content = b"".join(chunks)
            if b"\x00" in content[:4096]:
                raise FetchError(f"{shown}: binary content, not text")
            return Fetched(
                url=str(response.url),
                status=200,
                content=content,
                content_type=content_type,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                encoding=response.charset_encoding,
            )


# -- reading a page ---------------------------------------------------------------------------

_META = re.compile(
    r"<meta\s+[^>]*?(?:property|name|itemprop)\s*=\s*[\"']([^\"']+)[\"'][^>]*?"
    r"content\s*=\s*[\"']([^\"']*)[\"']",
    re.I | re.S,
)
_TIME = re.compile(r"<time\b[^>]*\bdatetime\s*=\s*[\"']([^\"']+)[\"']", re.I)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def decode_page(content: bytes, content_type_charset: str | None = None) -> str:
    """Page bytes as text: the declared charset, else UTF-8, else Latin-1 (never fails)."""
    for encoding in filter(None, (content_type_charset, _meta_charset(content), "utf-8")):
        try:
            return content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return content.decode("latin-1")


def _meta_charset(content: bytes) -> str | None:
    found = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", content[:4096], re.I)
    return found.group(1).decode("ascii") if found else None


def _clean(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def page_metadata(page: str) -> tuple[str, dt.datetime | None]:
    """A page's headline and publication time, from its meta tags, ``<h1>`` or ``<title>``.

    Cheap on purpose: trafilatura's own metadata pass costs more than the text extraction.
    """
    head = page[:200_000]
    meta = {name.lower(): value for name, value in _META.findall(head)}
    title = _clean(meta.get("og:title", ""))
    if not title:
        found = _H1.search(head) or _TITLE.search(head)
        title = _clean(found.group(1)) if found else ""
    published = None
    for candidate in (meta.get("article:published_time"), meta.get("datepublished"),
                      meta.get("date"), *(_TIME.findall(head)[:1])):
        published = parse_when(candidate)
        if published is not None:
            break
    return title, published


def parse_when(value: str | None) -> dt.datetime | None:
    """An ISO 8601 or RFC 2822 time as aware UTC, or ``None`` if it is not one."""
    if not value:
        return None
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def main_text(page: str, url: str | None = None) -> str:
    """The article text of an HTML page, one paragraph per line, scripts and menus gone."""
    text = trafilatura.extract(
        page, url=url, fast=True, include_comments=False, include_tables=False,
        deduplicate=False,
    )
    if not text:
        # Trafilatura declines very short pages; the plain reading still finds their text.
        return html_to_text(page)[1]
    return normalise_body(text)


def page_article(
    fetched: Fetched,
    *,
    source: str,
    title: str | None = None,
    published_at: dt.datetime | None = None,
    url: str | None = None,
) -> Article:
    """A raw article (structure not yet extracted) from a fetched HTML page.

    ``title`` and ``published_at`` from a feed entry win over what the page says about itself.
    """
    where = url or fetched.url
    page = decode_page(fetched.content, fetched.encoding)
    page_title, page_published = page_metadata(page)
    body = main_text(page, where)
    headline = " ".join((title or page_title).split())
    if not headline:
        raise SourceError(f"{where}: page has no headline")
    first, _, rest = body.partition("\n")
    if first.strip().casefold() in (headline.casefold(), page_title.casefold()):
        body = rest  # the page's own <h1>, already the headline
    if not body:
        raise SourceError(f"{where}: no article text found on the page")
    return Article(
        id=article_id_for(headline, where),
        title=headline,
        url=where,
        source=source,
        published_at=published_at or page_published,
        body=body,
    )
