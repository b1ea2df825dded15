"""Ingest throughput and clustering time.

1. End to end: 1,000 article pages listed in 4 RSS feeds, served by a local aiohttp server on
   127.0.0.1, go through the real source poller: feed and page fetch (httpx, 2 requests per
   host at most), main-text extraction (trafilatura), structured extraction
   (``digests.extract.extract_article``), the store (a fresh SQLite file, or ``--database-url``)
   and story assignment. Prints articles per second. Target: at least 100.
2. Clustering: 10,000 articles (a fifth of them near duplicates of others) sketched and
   clustered into stories in memory. Prints seconds. Target: under 10.

Each figure is the median of ``--runs`` runs (default 3)::

    .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --runs 5 --articles 1000 --cluster 10000
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp import web

from digests.cluster import cluster_articles, sketch_article
from digests.extract import extract_article
from digests.models import Article
from digests.sources.config import SourceSpec
from digests.sources.pages import Fetched, page_article
from digests.sources.poller import PollOptions, SourcePoller
from digests.store import Store

FEEDS = 4

# -- synthetic news ------------------------------------------------------------------------------

FIRST = ["Ana", "Tom", "Priya", "Olena", "Marcus", "Lena", "Kwame", "Sofia", "Jonas", "Mei"]
LAST = ["Lopez", "Baker", "Shah", "Kovalenko", "Reed", "Novak", "Mensah", "Rossi", "Berg", "Chen"]
ROLES = ["the mayor", "a council spokesperson", "the transport minister", "an economist",
         "the union leader", "a local shop owner", "the police chief", "a hospital director"]
PLACES = ["Riverton", "Millbrook", "Eastport", "Harlow", "Kingsbridge", "Westfield", "Ashford"]
SUBJECTS = ["bridge", "hospital", "rail line", "school", "budget", "harbour", "power plant",
            "housing plan", "water supply", "tram network", "library", "airport"]
VERBS = ["approved", "delayed", "reopened", "expanded", "cut", "reviewed", "announced", "rejected"]
COMMON = ["the", "of", "and", "to", "in", "a", "that", "for", "on", "with", "as", "was", "by",
          "said", "it", "from", "at", "its", "after", "would", "new", "more", "their", "over"]


def _vocabulary(seed: int = 3, size: int = 5000) -> list[str]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


VOCABULARY = _vocabulary()


def sentence(rng: random.Random) -> str:
    """A sentence of plausible shape: content words with the usual little words between."""
    words = [rng.choice(COMMON) if rng.random() < 0.4 else rng.choice(VOCABULARY)
             for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def synthetic_article(rng: random.Random, number: int) -> tuple[str, list[str]]:
    """A headline and about 350 words: a lead with figures, quotes with speakers and roles."""
    place, subject, verb = rng.choice(PLACES), rng.choice(SUBJECTS), rng.choice(VERBS)
    title = f"{place} {subject} plan {verb} after {rng.randint(2, 40)}-month review (#{number})"
    paragraphs = [
        f"The {place} council {verb} the {subject} plan on {rng.choice(['Monday', 'Tuesday'])}, "
        f"a project worth {rng.randint(5, 900)} million dollars that officials said would serve "
        f"about {rng.randint(2, 90) * 1000:,} people when it is finished in "
        f"{rng.randint(2027, 2031)}. " + sentence(rng)
    ]
    for index in range(5):
        text = " ".join(sentence(rng) for _ in range(2))
        if index in (1, 3):
            speaker = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            text = (f"“{sentence(rng)[:-1]},” said {speaker}, {rng.choice(ROLES)}. " + text)
        if index == 2:
            text += (f" The cost rose by {rng.randint(3, 45)} percent compared with the first "
                     f"estimate of {rng.randint(10, 500)} million dollars.")
        paragraphs.append(text)
    return title, paragraphs


def page_html(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<script>window.analytics = {id: 42};</script></head><body>"
        "<nav><a href='/'>Home</a> · <a href='/world'>World</a> · <a href='/sport'>Sport</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        "<aside>Most read: nothing you need.</aside><footer>© The Bench Times</footer>"
        "</body></html>"
    )


def rss(items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}</link>"
        f"<guid>{html.escape(u)}</guid><pubDate>Thu, 26 Nov 2026 08:00:00 GMT</pubDate></item>"
        for t, u in items
    )
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Bench</title><link>http://127.0.0.1/</link><description>x</description>"
            f"{entries}</channel></rss>")


class Site:
    """The pages and feeds of the end-to-end run, on 127.0.0.1."""

    def __init__(self, count: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.pages = {f"/a/{i}": synthetic_article(rng, i) for i in range(count)}
        self.rendered = {path: page_html(*item).encode() for path, item in self.pages.items()}
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}", self._feed)
        app.router.add_get("/a/{n}", self._page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _feed(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        paths = [p for i, p in enumerate(self.pages) if i % FEEDS == n]
        body = rss([(self.pages[p][0], self.url(p)) for p in paths])
        return web.Response(text=body, content_type="application/rss+xml")

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(body=self.rendered[request.path], content_type="text/html")


def serve_site(count: int, ports: multiprocessing.Queue[int]) -> None:
    """Run the site until terminated (the target of the server process)."""

    async def serve() -> None:
        site = Site(count)
        await site.start()
        ports.put(site.port)
        await asyncio.Event().wait()

    asyncio.run(serve())


async def end_to_end(
    site: Site, database_url: str | None, processes: int
) -> tuple[float, int, float]:
    """One full ingest of every page into an empty store.

    Returns wall seconds, articles stored, and CPU seconds this process used (all of the
    ingest's CPU when ``processes`` is 0; the outlets' server runs elsewhere).
    """
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        async with await Store.open(url) as store:
            specs = [SourceSpec(name=f"Bench {n}", kind="feed", location=site.url(f"/feed/{n}"))
                     for n in range(FEEDS)]
            poller = SourcePoller(store, specs, PollOptions(timeout=30, processes=processes))
            try:
                # A long-running worker starts its processes once; that is not ingest time.
                await poller.warm_up()
                started, cpu = time.perf_counter(), time.process_time()
                outcomes = await poller.poll_all()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            finally:
                await poller.aclose()
            failed = [str(o) for o in outcomes if not o.ok]
            if failed:
                raise SystemExit(f"bench sources failed: {failed}")
            stored = await store.count_articles()
            if database_url:
                await _empty(store)
    return elapsed, stored, cpu


async def _empty(store: Store) -> None:
    from sqlalchemy import text

    async with store.engine.begin() as connection:
        for table in ("article_stories", "source_items", "sources", "articles"):
            await connection.execute(text(f"DELETE FROM {table}"))


def stage_times(site: Site, sample: int = 200) -> dict[str, float]:
    """Milliseconds per article for the CPU stages, on a sample (for the breakdown only)."""
    paths = list(site.pages)[:sample]
    fetched = [Fetched(site.url(p), 200, site.rendered[p], "text/html") for p in paths]
    started = time.perf_counter()
    raw = [page_article(f, source="Bench") for f in fetched]
    text_ms = (time.perf_counter() - started) * 1000 / sample
    started = time.perf_counter()
    for article in raw:
        extract_article(article)
    extract_ms = (time.perf_counter() - started) * 1000 / sample
    return {"text extraction (trafilatura)": text_ms, "structured extraction": extract_ms}


# -- clustering --------------------------------------------------------------------------------

def clustering_corpus(count: int, seed: int = 11) -> list[Article]:
    """``count`` articles; every fifth one re-tells an earlier story with a new top and tail."""
    rng = random.Random(seed)
    articles: list[Article] = []
    for i in range(count):
        if i % 5 == 4 and articles:
            base = articles[rng.randrange(len(articles))]
            paragraphs = base.body.split("\n")
            body = "\n".join([f"{rng.choice(PLACES).upper()} (Wire) — " + paragraphs[0],
                              *paragraphs[1:], sentence(rng)])
            title = "Update: " + base.title
        else:
            title, paragraphs = synthetic_article(rng, i)
            body = "\n".join(paragraphs)
        articles.append(Article(id=f"c{i}", title=title, body=body, source=f"outlet-{i % 37}"))
    return articles


def clustering_time(articles: list[Article]) -> tuple[float, float, int]:
    """Wall and CPU seconds to sketch and cluster ``articles``, and how many stories."""
    started, cpu = time.perf_counter(), time.process_time()
    stories = cluster_articles(articles)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, cpu, len(set(stories.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--cluster", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2,
                        help="worker processes for reading and extraction (INGEST_PROCESSES)")
    parser.add_argument("--database-url", help="store into this database instead of SQLite "
                                               "(its articles and sources tables are emptied)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    cores = os.cpu_count() or 1
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    # Other work on the machine slows every figure; the load says how much to trust them.
    print(f"machine: {cores} cores, load average {load} before the runs")

    async def run_end_to_end() -> tuple[list[tuple[float, int, float]], float]:
        # The outlets' server runs in a process of its own, as real outlets are not in ours.
        context = multiprocessing.get_context("spawn")
        ports: multiprocessing.Queue[int] = context.Queue()
        server = context.Process(target=serve_site, args=(args.articles, ports), daemon=True)
        server.start()
        try:
            site = Site(0)
            site.port = ports.get(timeout=60)
            runs = [await end_to_end(site, args.database_url, args.processes)
                    for _ in range(args.runs)]
            # Once more in a single process, where process time is all of the ingest's CPU.
            _, stored, cpu = await end_to_end(site, args.database_url, 0)
            return runs, cpu * 1000 / stored
        finally:
            server.terminate()
            server.join(5)

    runs, cpu_ms = asyncio.run(run_end_to_end())
    rates = [stored / seconds for seconds, stored, _ in runs]
    stored = runs[0][1]
    print(f"end to end: {stored} articles (fetch + text + structure + store + stories), "
          f"{args.processes} worker process(es), {FEEDS} feeds on one host")
    print("  runs: " + ", ".join(f"{s:.2f} s ({r:.0f}/s)" for (s, _, _), r in zip(runs, rates,
                                                                                  strict=True)))
    median_rate = statistics.median(rates)
    verdict = "meets" if median_rate >= 100 else "MISSES"
    print(f"  median: {median_rate:.0f} articles/s ({verdict} the 100/s target)")
    print(f"  CPU: {cpu_ms:.1f} ms per article, all stages (measured in one process); "
          f"{cores} idle cores could ingest up to {cores * 1000 / cpu_ms:.0f}/s")
    for stage, ms in stage_times(Site(min(args.articles, 200))).items():
        print(f"  of which {stage}: {ms:.2f} ms/article")

    corpus = clustering_corpus(args.cluster)
    times, cpus = [], []
    for _ in range(args.runs):
        seconds, cpu, stories = clustering_time(corpus)
        times.append(seconds)
        cpus.append(cpu)
    sketch_only = time.perf_counter()
    for article in corpus[:1000]:
        sketch_article(article)
    sketch_ms = (time.perf_counter() - sketch_only) * 1000
    median = statistics.median(times)
    verdict = "meets" if median < 10 else "MISSES"
    print(f"clustering: {len(corpus)} articles into {stories} stories")
    print("  runs: " + ", ".join(f"{t:.2f} s (CPU {c:.2f} s)" for t, c in zip(times, cpus,
                                                                            strict=True)))
    print(f"  median: {median:.2f} s ({verdict} the 10 s target), CPU median "
          f"{statistics.median(cpus):.2f} s; sketching alone "
          f"{sketch_ms:.0f} ms per 1,000 articles")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: load average {load} after the runs")


if __name__ == "__main__":
    main()
