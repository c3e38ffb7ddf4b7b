"""The inbox at growing sizes: first page plus counts for an agent scoped to a group of 20 places, and a
page 10,000 items deep, each the median of many runs on the same SQLite database."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from feedback_data import add_directory, feedback_items, place_ids

from closedloop import Desk

PLACES = 200
GROUP = 20
PAGE = 50
DEEP = 10_000


def build(path: Path, count: int) -> Desk:
    """A database of ``count`` conversations over 200 places; some on hold, done or spam. Reused if present."""
    url = f"sqlite:///{path}"
    if path.exists():
        desk = Desk.open(url, load_entry_points=False)
        if desk.counts("admin").inbox + desk.counts("admin").done + desk.counts("admin").spam == count:
            return desk
        desk.close()
        path.unlink()
    desk = Desk.open(url, load_entry_points=False)
    places = place_ids(PLACES)
    add_directory(desk, places, GROUP)
    report = desk.ingest_many(feedback_items(count, places), batch_size=1000)
    assert report.ingested == count, report
    first = desk.inbox("admin", limit=300).items
    for conversation in first[:100]:
        desk.hold(conversation.id, by="admin")
    for conversation in first[100:250]:
        desk.mark_done(conversation.id, by="admin")
    for conversation in first[250:300]:
        desk.mark_spam(conversation.id, by="admin")
    return desk


def median_ms(action: Callable[[], object], runs: int) -> float:
    for _ in range(5):
        action()
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def deep_cursor(desk: Desk) -> str | None:
    after = None
    for _ in range(DEEP // PAGE):
        after = desk.inbox("agent", limit=PAGE, after=after).next
    return after


def forget(desk: Desk) -> None:
    """Empty the store's cache of decoded conversations, so the next page decodes every document again."""
    cache = getattr(desk.store, "cache", None)
    if cache is not None:
        cache.entries.clear()


def measure(folder: Path, sizes: list[int], runs: int) -> dict[int, tuple[float, float, float, float]]:
    """For each size, medians in ms: first page + counts (warm and cold cache), the first page alone, and
    the page DEEP items down (both cold)."""
    results = {}
    for size in sizes:
        with build(folder / f"inbox-{size}.db", size) as desk:
            results[size] = measure_one(desk, runs)
    return results


def measure_one(desk: Desk, runs: int) -> tuple[float, float, float, float]:
    warm = median_ms(lambda: (desk.inbox("agent", limit=PAGE), desk.counts("agent")), runs)
    cold = median_ms(lambda: (forget(desk), desk.inbox("agent", limit=PAGE), desk.counts("agent")), runs)
    first = median_ms(lambda: (forget(desk), desk.inbox("agent", limit=PAGE)), runs)
    cursor = deep_cursor(desk)
    deep = float("nan")
    if cursor:
        deep = median_ms(lambda: (forget(desk), desk.inbox("agent", limit=PAGE, after=cursor)), runs)
    return warm, cold, first, deep


def main(folder: Path, sizes: list[int], runs: int) -> None:
    results = measure(folder, sizes, runs)
    print(f"inbox of an agent scoped to {GROUP} of {PLACES} places, SQLite, median of {runs} runs")
    print("  (warm: pages shown again find their conversations decoded; cold: every document is decoded)")
    header = f"{'page + counts':>16} {'cold':>10} {'page cold':>10} {f'{DEEP:,} deep cold':>16} {'deep/first':>11}"
    print(f"  {'conversations':>13} {header}")
    for size, (warm, cold, first, deep) in results.items():
        print(f"  {size:>13,} {warm:>13.2f} ms {cold:>7.2f} ms {first:>7.2f} ms {deep:>13.2f} ms {deep / first:>11.2f}")
    smallest, largest = min(results), max(results)
    for label, column in (("warm", 0), ("cold", 1)):
        ratio = results[largest][column] / results[smallest][column]
        print(f"  page + counts {label}, {largest:,} / {smallest:,}: {ratio:.2f}  (target at most 3, and under 15 ms)")
