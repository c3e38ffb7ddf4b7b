"""desk.search on a big SQLite desk: a rare word (one customer's email or phone), a name, common words, and a
short prefix, for the admin (every place) and for an agent of a group of 20 places; then what the scrub after an
erasure costs, which merges the whole full-text index.

python benchmarks/search.py sqlite:////tmp/closedloop-console-load/console-1000000.db

Run it on the load test's desk (``console_load.py`` builds it: 1,000,000 conversations over 200 places, the
agents ``agent-NN`` in groups of 20), upgraded first if it is older (``python -m closedloop db upgrade URL``).
``--erase`` also erases one customer and times the scrub: it changes the desk, so run it on a copy. Each figure
is the median and 95th percentile of many runs; the machine may be shared.
"""

from __future__ import annotations

import argparse
import statistics
import time

from closedloop import Desk

RUNS = 30
#: Common words of the load test's comments and names; the rare ones are taken from a customer of the desk.
COMMON = [
    ("a name (common)", "claire martin"),
    ("a common word", "dessert"),
    ("two common words", "dessert coffee"),
    ("a short prefix", "de"),
    ("nothing matches", "zzzzqx"),
]


def timed(runs: int, action: object, *arguments: object, **options: object) -> tuple[float, float, int]:
    """Median and 95th percentile in ms, and how many the page held."""
    timings, size = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        size = len(action(*arguments, **options))  # type: ignore[operator]
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--agent", default="agent-00", help="a scoped user of the desk")
    parser.add_argument("--erase", action="store_true", help="erase one customer and time the scrub (a copy!)")
    arguments = parser.parse_args()
    with Desk.open(arguments.url, load_entry_points=False) as desk:
        total = sum(desk.counts("admin").folders.values())
        print(f"desk.search on {total:,} conversations, first page of 50, {arguments.runs} runs each")
        customer = desk.inbox("admin", limit=500).items[-1].feedback.contact  # one the agent may not see
        email = customer.email
        rare = [
            ("one customer's email", email),
            ("email, first letters", email.split("@")[0][:-2]),
            ("one customer's phone", customer.tel),
        ]
        print(f"  {'search':<24} {'user':<9} {'median':>9} {'p95':>9} {'rows':>5}")
        for name, text in rare + COMMON:
            for user in ("admin", arguments.agent):
                median, p95, size = timed(arguments.runs, desk.search, user, text)
                print(f"  {name:<24} {user:<9} {median:>7.1f} ms {p95:>6.1f} ms {size:>5}")
        page = desk.search("admin", "dessert")
        median, p95, size = timed(arguments.runs, desk.search, "admin", "dessert", after=page.next)
        print(f"  {'a common word, page 2':<24} {'admin':<9} {median:>7.1f} ms {p95:>6.1f} ms {size:>5}")
        if arguments.erase:
            began = time.perf_counter()
            report = desk.erase_customer(by="admin", email=email, reason="benchmark")
            print(
                f"  erasing {report.conversations} conversation(s), scrub included: {time.perf_counter() - began:.1f} s"
            )
            print(f"  found after the erasure: {len(desk.search('admin', email))}")


if __name__ == "__main__":
    main()
