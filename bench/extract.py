"""Extraction quality, throughput, memory and CLI start-up, on the dev corpus.

1. Quality: every article of ``../shared/corpus/dev/articles.jsonl`` goes through the same path
   as ``python -m digests extract FILE --json`` (plain text split into headline and body, then
   :func:`digests.ingest.structure`), in process, and is scored with the matching functions of
   ``../shared/eval/score_extraction.py`` (imported from there at run time): quote precision,
   recall, F1, speaker accuracy, end-to-end F1; summary ROUGE-1/2 and reference-sentence
   precision beside Lead-3.  Targets: quote F1 >= 0.90, speaker accuracy >= 0.90, end-to-end
   F1 >= 0.82, summary above Lead-3 on ROUGE-2 and sentence precision.
2. Throughput: articles extracted per second, single process (median of ``--runs``, at least
   3).  Target: >= 300.
3. Peak memory: the tracemalloc peak of extracting the whole corpus once, and the process's
   maximum resident set size.
4. Start-up: wall time of ``python -m digests extract FILE --json`` on a short article (median
   of ``--starts``, at least 5).  Target: < 0.5 s.

::

    .venv/bin/python bench/extract.py
    .venv/bin/python bench/extract.py --runs 5 --starts 7
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

from digests.ingest import structure
from digests.models import Article
from digests.sources import LoadedArticle, split_plain_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GOLD = SHARED / "corpus" / "dev" / "articles.jsonl"
SCORER = SHARED / "eval" / "score_extraction.py"


def load_scorer() -> ModuleType:
    """The shared scorer as a module, read from ../shared at run time (never copied here)."""
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer from {SCORER}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_loaded(record: dict[str, Any]) -> LoadedArticle:
    """The article the CLI would read from the scorer's temporary file."""
    title, body = split_plain_text(record["title"] + "\n\n" + record["text"] + "\n")
    article = Article(id=record["id"], title=title, body=body)
    return LoadedArticle(article, True, Path(f"{record['id']}.txt"))


def extract_all(loaded: list[LoadedArticle]) -> list[Article]:
    return [structure(item) for item in loaded]


def quality(scorer: ModuleType, gold: list[dict[str, Any]], out: list[Article]) -> dict[str, Any]:
    """The scorer's figures, computed the scorer's way."""
    tp = fp = fn = right = 0
    r1 = r2 = sp = l1 = l2 = lsp = 0.0
    n_sum = 0
    for record, article in zip(gold, out, strict=True):
        predicted = [q.model_dump(mode="json") for q in article.quotes]
        if "quotes" in record:
            pairs = scorer.match(record["quotes"], predicted)
            tp += len(pairs)
            fp += len(predicted) - len(pairs)
            fn += len(record["quotes"]) - len(pairs)
            right += sum(
                1 for i, j in pairs
                if scorer.speaker_ok(record["quotes"][i].get("speaker", ""),
                                     predicted[j].get("speaker") or "")
            )
        if record.get("summary_sentences"):
            refs = record["summary_sentences"]
            ref = " ".join(refs)
            lead = " ".join(scorer.sentences(record["text"])[:3])
            r1 += scorer.rouge(article.summary, ref, 1)
            r2 += scorer.rouge(article.summary, ref, 2)
            sp += scorer.sent_precision(article.summary, refs)
            l1 += scorer.rouge(lead, ref, 1)
            l2 += scorer.rouge(lead, ref, 2)
            lsp += scorer.sent_precision(lead, refs)
            n_sum += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    speaker = right / tp if tp else 0.0
    n = max(n_sum, 1)
    return {
        "quotes": {"gold": tp + fn, "predicted": tp + fp, "precision": round(p, 3),
                   "recall": round(r, 3), "f1": round(f, 3), "speaker_accuracy": round(speaker, 3),
                   "end_to_end_f1": round(f * speaker, 3)},
        "summary": {"n": n_sum, "rouge1": round(r1 / n, 3), "rouge2": round(r2 / n, 3),
                    "ref_sentence_precision": round(sp / n, 3),
                    "lead3": {"rouge1": round(l1 / n, 3), "rouge2": round(l2 / n, 3),
                              "ref_sentence_precision": round(lsp / n, 3)}},
    }


def throughput(loaded: list[LoadedArticle], runs: int) -> float:
    """Median articles per second over ``runs`` passes of the whole corpus."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        extract_all(loaded)
        rates.append(len(loaded) / (time.perf_counter() - start))
    return statistics.median(rates)


def peak_memory(loaded: list[LoadedArticle]) -> float:
    """Peak traced allocation in MiB while extracting the corpus once."""
    tracemalloc.start()
    extract_all(loaded)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def startup(starts: int) -> float:
    """Median wall time of one ``python -m digests extract`` run on a short article."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "short.txt"
        path.write_text('Council backs plan\n\n"We agree," the mayor said on Monday.\n')
        times = []
        for _ in range(starts):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "digests", "extract", str(path), "--json"],
                           check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="throughput passes (at least 3)")
    parser.add_argument("--starts", type=int, default=5, help="CLI start-ups (at least 5)")
    args = parser.parse_args()
    if not GOLD.exists() or not SCORER.exists():
        raise SystemExit(f"the shared corpus and scorer are needed beside the repo: {SHARED}")
    scorer = load_scorer()
    gold = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    loaded = [as_loaded(record) for record in gold]
    report: dict[str, Any] = {"articles": len(gold)}
    report.update(quality(scorer, gold, extract_all(loaded)))
    report["articles_per_second"] = round(throughput(loaded, max(args.runs, 3)), 1)
    report["peak_traced_mib"] = round(peak_memory(loaded), 2)
    report["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["cli_startup_seconds"] = round(startup(max(args.starts, 5)), 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
