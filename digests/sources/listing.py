"""``python -m digests sources``: the configured sources, how their polling stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from config import Settings
from digests.sources.config import SourceSpec, load_sources
from digests.sources.poller import PollOptions, PollOutcome, SourcePoller
from digests.store import SourceState, Store


def _when(value: dt.datetime | None) -> str:
    return "never" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def describe_sources(
    specs: Sequence[SourceSpec], states: Sequence[SourceState], default_interval: int
) -> str:
    """One block per source: where it is, when it was polled, its status and article count."""
    by_name = {state.name: state for state in states}
    lines: list[str] = []
    for spec in specs:
        state = by_name.pop(spec.name, None)
        lines.append(f"{spec.name} ({spec.kind.value}) {spec.shown_location}")
        interval = _every(spec.interval or default_interval)
        lines.append("  " + _status_line(state, f"every {interval}"))
        lines += _details(state)
    for state in by_name.values():
        # Polled once, since removed from the configuration: still worth knowing it exists.
        lines.append(f"{state.name} ({state.kind}) {state.location} — no longer configured")
        lines.append("  " + _status_line(state, "not polled any more"))
    return "\n".join(lines) if lines else "No sources configured (set SOURCES or SOURCES_FILE)."


def _status_line(state: SourceState | None, schedule: str) -> str:
    if state is None:
        return f"never polled · {schedule}"
    status = state.status
    if state.failures:
        status = f"failing ({state.failures} in a row), next try {_when(state.next_poll_at)}"
    count = f"{state.articles} article" + ("" if state.articles == 1 else "s")
    return f"last poll {_when(state.last_poll_at)} · {status} · {count} · {schedule}"


def _details(state: SourceState | None) -> list[str]:
    if state is None:
        return []
    out = []
    if state.last_error:
        out.append(f"  error: {state.last_error}")
    if state.skipped:
        out.append(f"  skipped last time: {state.skipped} (latest: {state.last_problem})")
    return out


async def sources_report(settings: Settings, *, poll: bool = False) -> tuple[str, list[str]]:
    """The listing, polling every source first when ``poll``; also each poll's outcome."""
    specs = load_sources(settings)
    options = PollOptions.from_settings(settings)
    async with await Store.open(settings.database_url_value) as store:
        outcomes: list[PollOutcome] = []
        if poll and specs:
            poller = SourcePoller(store, specs, options)
            try:
                outcomes = await poller.poll_all(force=True)
            finally:
                await poller.aclose()
        states = await store.source_states()
    return describe_sources(specs, states, options.interval), [str(o) for o in outcomes]
