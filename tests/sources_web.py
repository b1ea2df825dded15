"""A small web server on 127.0.0.1 for source tests, and the feeds and pages it serves.

Tests get a running one from the ``web`` fixture (``conftest.py``) and say what every path
answers (:meth:`Web.serve`): a body with headers, a status, or a list of answers given in turn
(a 500, then the feed). The server honours ``If-None-Match`` and ``If-Modified-Since`` like a
real one, records every request, and tracks how many requests were in flight at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from dataclasses import dataclass, field
from email.utils import format_datetime

from aiohttp import web


@dataclass
class Answer:
    """One answer: a status, a body and headers; ``delay`` seconds before answering."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class Web:
    """The server: ``url(path)`` to link to it, ``serve(path, ...)`` to say what it answers."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, *answers: Answer | str | bytes) -> None:
        """Answer ``path`` with ``answers`` in turn; the last one repeats."""
        self.routes[path] = [a if isinstance(a, Answer) else Answer(a) for a in answers]

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Seen(request.path, dict(request.headers)))
        answers = self.routes.get(request.path)
        if not answers:
            return web.Response(status=404, text="not found")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if answer.delay:
                await asyncio.sleep(answer.delay)
        finally:
            self.in_flight -= 1
        headers = dict(answer.headers)
        if answer.etag:
            headers["ETag"] = answer.etag
            if request.headers.get("If-None-Match") == answer.etag:
                return web.Response(status=304, headers=headers)
        if answer.last_modified:
            headers["Last-Modified"] = answer.last_modified
            if request.headers.get("If-Modified-Since") == answer.last_modified:
                return web.Response(status=304, headers=headers)
        body = answer.body.encode() if isinstance(answer.body, str) else answer.body
        headers["Content-Type"] = answer.content_type
        return web.Response(status=answer.status, body=body, headers=headers)


# -- what the server serves ---------------------------------------------------------------------

WIRE_PARAGRAPHS = [
    "The Harbour Bridge in Riverton reopened to traffic on Monday after a two-year repair that "
    "cost the city 48 million dollars, officials said at a ceremony attended by hundreds.",
    "Mayor Ana Lopez said “this bridge connects our families, our shops and our schools again” "
    "as the first buses crossed the river shortly after nine in the morning.",
    "Engineers replaced 1,200 tonnes of corroded steel and rebuilt both approach ramps, according "
    "to the city transport department, which managed the project with two contractors.",
    "Traffic planners expect about 40,000 vehicles a day to use the crossing again, easing "
    "congestion on the ring road that carried the diverted traffic during the works.",
    "Local business owners welcomed the reopening. “We lost a third of our customers while it was "
    "closed,” said Tom Baker, who runs a bakery near the northern ramp.",
]

OTHER_PARAGRAPHS = [
    "The county council approved a new solar farm on former farmland west of Millbrook on "
    "Tuesday, a project expected to power about 12,000 homes once it is finished next year.",
    "Council leader Priya Shah said the vote “puts the county on track for its climate targets” "
    "and promised that local residents would be offered shares in the project.",
    "Opponents argued that the panels would spoil views from the old mill trail, but the "
    "planning committee found that hedges and trees would screen most of the site.",
]


def page(title: str, paragraphs: list[str], *, published: str | None = None) -> str:
    """An article page as news sites make them: menus, scripts, the article, a footer."""
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)} | The Outlet</title>{meta}"
        "<script>var tracker = 'SCRIPT-SHOULD-NOT-APPEAR'; document.write(tracker);</script>"
        "<style>body { color: red }</style></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a> MENU-SHOULD-NOT-APPEAR</nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        "<footer>Copyright The Outlet. FOOTER-SHOULD-NOT-APPEAR</footer>"
        "<script>console.log('SCRIPT-SHOULD-NOT-APPEAR')</script></body></html>"
    )


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 document; each item's keys become its elements, verbatim."""
    entries = "".join(
        "<item>" + "".join(f"<{k}>{html.escape(v)}</{k}>" for k, v in item.items()) + "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>news</description>{entries}</channel></rss>"
    )


def atom(title: str, entries: list[dict[str, str]]) -> str:
    """An Atom 1.0 document with ``id``, ``title``, ``link``, ``updated`` and ``summary``."""
    body = "".join(
        "<entry>"
        f"<id>{html.escape(e['id'])}</id><title>{html.escape(e['title'])}</title>"
        f"<link rel=\"alternate\" href=\"{html.escape(e['link'])}\"/>"
        f"<updated>{e['updated']}</updated>"
        + (f"<summary>{html.escape(e['summary'])}</summary>" if "summary" in e else "")
        + "</entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(title)}</title><id>urn:test:feed</id>"
        f"<updated>2026-11-26T08:00:00Z</updated>{body}</feed>"
    )


def http_date(when: dt.datetime) -> str:
    return format_datetime(when.astimezone(dt.UTC), usegmt=True)


RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
