"""Bulk intake from a file: ``desk.import_file`` of a JSON Lines survey export against raw ``sqlite3`` loading the
same file, parsing included on both sides.

The file holds realistic survey responses of about 1 KB each: an id, a time with its offset, the store, three
ratings, two review comments in English or French, the contact and a few columns of metadata, as a survey
tool exports them. It is cut into four parts, imported in turns (ours, raw, raw, ours, ...) so that a machine
that changes speed during the run slows both alike, into two databases that grow alike.

The raw side is what one would write by hand: read each line, ``json.loads`` it, and ``executemany`` a row per
response (its id, source, place, time and the line as its document) into ``cl_conversations`` of a database
made by closedloop's own migrations, so into a table with the same indexes, and the customer and comments as
typed into ``cl_search``, whose full-text index SQLite keeps (closedloop folds accents and picks distinct
words in Python first). A second raw loader, timed in the same turns, puts each batch's search rows in with
one statement reading them from a JSON array, as closedloop does: SQLite keeps its full-text index about
three times faster so than through a statement a row, which makes it the stronger baseline; the ratios
against both are printed. closedloop's side maps each row to
``Feedback``, checks it, opens its conversation (alert rules, inbox counts, the metrics' facts) and stores it.
The offline analyzer is blocked for the comparison, as in ``intake.py`` (``analysis.py`` measures it); the
desk as it comes, analyzer on, is timed on the first part. Peak memory is that of a separate process importing
the whole file.

    python benchmarks/import_file.py 1000000 /tmp/bench     # rows, and where the file and databases go
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedback_data import FIRST, LAST, nps, place_ids
from intake import peak_resident_megabytes
from review_text import review_comments

from closedloop import Desk, Place

PARTS = 4
ANALYZER = "closedloop.analysis.offline"
START = datetime(2026, 1, 1, tzinfo=UTC)
MAPPING = {
    "source": "survey",
    "platform": "formly",
    "external_id": "response_id",
    "received_at": "submitted_at",
    "place": "store",
    "ratings": {"nps": "nps", "csat": "csat", "cleanliness": "stars"},
    "comments": {"visit": "What did you think of your visit?", "improve": "What could we do better?"},
    "contact": {"name": "name", "email": "email", "phone": "phone", "locale": "language"},
}
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
)
RAW_INSERT = (
    "INSERT INTO cl_conversations (id, source, platform, external_id, place_id, folder, priority, updated_us, "
    "version, document) VALUES (?, 'survey', 'formly', ?, ?, 'inbox', ?, ?, 1, ?)"
)


#: What a hand-written loader that offers search would index: the customer and the comments, as typed (SQLite's
#: full-text index over ``cl_search``, made by closedloop's migrations, cuts and lowers them itself).
RAW_SEARCH_INSERT = "INSERT INTO cl_search (conversation_id, words) VALUES (?, ?)"
#: The same rows in one statement a batch, read from a JSON array of [id, words] pairs.
RAW_SEARCH_INSERT_AT_ONCE = (
    "INSERT INTO cl_search (conversation_id, words) SELECT value ->> 0, value ->> 1 FROM json_each(?)"
)
SEARCHED = ("name", "email", "phone", "visit", "improve")


def write_file(path: Path, count: int, places: list[str]) -> None:
    """``count`` responses as JSON Lines, about 1 KB each; kept when a file of that many rows is there."""
    marker = path.with_suffix(".count")
    if path.exists() and marker.exists() and marker.read_text() == str(count):
        return
    generator = random.Random(16)
    pool = review_comments(20_000, seed=16)
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            first, last = generator.choice(FIRST), generator.choice(LAST)
            language, visit = generator.choice(pool)
            improve = generator.choice([text for spoken, text in pool[:2_000] if spoken == language] or [visit])
            paris = START + timedelta(seconds=number * 7, hours=1)  # written as the tool's local time
            row_place = places[number % len(places)]
            row = {
                "response_id": f"R-{number:09}",
                "submitted_at": paris.replace(tzinfo=None).isoformat(timespec="seconds") + "+01:00",
                "store": row_place,
                "nps": nps(generator),
                "csat": generator.randint(1, 5),
                "cleanliness": generator.randint(1, 5),
                "visit": visit,
                "improve": improve,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{number}@example.com",
                "phone": f"+33 6 {generator.randint(10, 99)} {generator.randint(10, 99)} 00 {number % 100:02}",
                "language": language,
                "visit_reason": generator.choice(("lunch", "dinner", "takeaway", "brunch")),
                "first_visit": generator.choice(("yes", "no")),
                "segment": generator.choice(("gold", "silver", "new")),
                "order_id": f"ORD-{generator.randint(10**9, 10**10 - 1)}",
                "order_total": f"{generator.randint(800, 12000) / 100:.2f}",
                "channel": generator.choice(("email", "sms", "receipt-qr")),
                "device": generator.choice(("mobile", "desktop", "tablet")),
                "campaign": generator.choice(("spring-menu", "loyalty", "", "weekend")),
                "survey_version": "3.2",
                "user_agent": generator.choice(USER_AGENTS),
                "survey_url": f"https://survey.example.com/r/{number:09}?lang={language}&store={row_place}",
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    marker.write_text(str(count))


def split(path: Path, parts: int) -> list[Path]:
    """The file cut into ``parts`` files of whole lines."""
    lines = path.read_bytes().splitlines(keepends=True)
    size = -(-len(lines) // parts)
    pieces = []
    for number in range(parts):
        piece = path.with_name(f"{path.stem}-part{number}.jsonl")
        piece.write_bytes(b"".join(lines[number * size : (number + 1) * size]))
        pieces.append(piece)
    return pieces


def new_desk(path: Path, places: list[str], *, analyzer: bool = False) -> Desk:
    for old in path.parent.glob(f"{path.name}*"):
        old.unlink()
    desk = Desk.open(f"sqlite:///{path}", load_entry_points=False, blocked_plugins=[] if analyzer else [ANALYZER])
    for place_id in places:
        desk.add_place(Place(id=place_id, name=place_id))
    return desk


def raw_load(connection: sqlite3.Connection, path: Path, batch: int = 1_000, *, at_once: bool = False) -> int:
    """What a hand-written loader does: parse each line, insert a row per response, a transaction per batch;
    ``at_once``: the batch's search rows in one statement."""
    rows: list[tuple[object, ...]] = []
    searched: list[tuple[str, str]] = []
    count = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            response = json.loads(line)
            received = datetime.fromisoformat(response["submitted_at"])
            conversation_id = f"c-{response['response_id']}"
            rows.append((
                conversation_id, response["response_id"], response["store"],
                1 if response["nps"] <= 6 else 2, int(received.timestamp() * 1_000_000), line,
            ))  # fmt: skip
            searched.append((conversation_id, " ".join(str(response[field]) for field in SEARCHED)))
            if len(rows) == batch:
                count += _insert(connection, rows, searched, at_once)
                rows, searched = [], []
    return count + _insert(connection, rows, searched, at_once)


def _insert(
    connection: sqlite3.Connection, rows: list[tuple[object, ...]], searched: list[tuple[str, str]], at_once: bool
) -> int:
    connection.execute("BEGIN")
    connection.executemany(RAW_INSERT, rows)
    if at_once:
        connection.execute(RAW_SEARCH_INSERT_AT_ONCE, (json.dumps(searched),))
    else:
        connection.executemany(RAW_SEARCH_INSERT, searched)
    connection.execute("COMMIT")
    return len(rows)


def raw_connection(path: Path, places: list[str]) -> sqlite3.Connection:
    """A database with closedloop's schema and indexes, opened with plain sqlite3 as the desk opens its own."""
    new_desk(path, places).close()
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def time_parts(folder: Path, parts: list[Path], places: list[str]) -> tuple[dict[str, float], int]:
    """Seconds ``import_file`` and the two raw loaders spend on every part, taking turns in a rotating order;
    and the rows imported."""
    desk = new_desk(folder / "import-desk.db", places)
    raws = {side: raw_connection(folder / f"import-{side}.db", places) for side in ("raw", "raw_at_once")}
    seconds = dict.fromkeys(("ours", *raws), 0.0)
    imported = 0
    for number, part in enumerate(parts):
        order = list(seconds)[number % 3 :] + list(seconds)[: number % 3]
        for side in order:
            began = time.perf_counter()
            if side == "ours":
                report = desk.import_file(part, mapping=MAPPING)
                seconds[side] += time.perf_counter() - began
                assert report.rejected == 0 and report.ingested > 0, report
                imported += report.ingested
            else:
                loaded = raw_load(raws[side], part, at_once=side == "raw_at_once")
                seconds[side] += time.perf_counter() - began
                assert loaded > 0
    desk.close()
    for connection in raws.values():
        connection.close()
    return seconds, imported


def with_analyzer(folder: Path, part: Path, places: list[str]) -> float:
    """Rows per second of the desk as it comes (the offline analyzer on) importing one part."""
    with new_desk(folder / "import-analysed.db", places, analyzer=True) as desk:
        began = time.perf_counter()
        report = desk.import_file(part, mapping=MAPPING)
        return report.ingested / (time.perf_counter() - began)


def peak_memory(path: Path, folder: Path) -> float:
    """Peak resident memory (MB) of a fresh process importing the whole file."""
    measured = subprocess.run(
        [sys.executable, __file__, "memory", str(path), str(folder)], capture_output=True, text=True, check=True
    )
    return float(measured.stdout)


def main(count: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    places = place_ids(200)
    source = folder / f"responses-{count}.jsonl"
    write_file(source, count, places)
    parts = split(source, PARTS)
    size = source.stat().st_size
    seconds, imported = time_parts(folder, parts, places)
    assert imported == count, (imported, count)
    analysed = with_analyzer(folder, parts[0], places)
    ours, raw, at_once = seconds["ours"], seconds["raw"], seconds["raw_at_once"]
    print(f"import of a {count:,}-row JSON Lines file ({size / count:,.0f} bytes a row) into SQLite, in {PARTS} "
          "parts taken in turn")  # fmt: skip
    print(f"  desk.import_file                    {count / ours:>9,.0f} rows/s  ({ours:.1f} s)")
    print(f"  raw json.loads + sqlite3            {count / raw:>9,.0f} rows/s  ({raw:.1f} s)")
    print(f"  raw, search rows in one statement   {count / at_once:>9,.0f} rows/s  ({at_once:.1f} s)")
    print(f"  ratio import_file / raw             {raw / ours:.2f}  (target at least 0.70, stretch 0.90)")
    print(f"  ratio import_file / raw, one statement  {at_once / ours:.2f}")
    print(f"  with the offline analyzer (the default), one part: {analysed:,.0f} rows/s")
    print(f"  peak memory of a process importing all {count:,} rows: {peak_memory(source, folder):.0f} MB  "
          "(target under 300 MB)")  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1] == "memory":
        file, where = Path(sys.argv[2]), Path(sys.argv[3])
        with new_desk(where / "import-memory.db", place_ids(200)) as measured_desk:
            measured_desk.import_file(file, mapping=MAPPING)
        print(f"{peak_resident_megabytes():.0f}")
    else:
        main(int(sys.argv[1]), Path(sys.argv[2]))
