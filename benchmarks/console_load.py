"""The agent console under load: 20 signed-in agents at once against a desk of 1,000,000 conversations on SQLite.

python benchmarks/console_load.py                          # 1,000,000 conversations, 20 agents, 30 s after 5 s
python benchmarks/console_load.py --think 1                # each agent reads for a second between pages
python benchmarks/console_load.py --conversations 20000 --seconds 5   # a quick look

The desk is built once, through the store's bulk insert, in --folder (kept between runs: a million conversations
take about ten minutes and 2.5 GB; the argon2 hashes of the agents' passwords are made once too). The console runs
as ``closedloop console`` runs it: one uvicorn process on loopback, with the built-in sign-in (argon2 runs at sign-in
only, never per request). The agents are threads of this process, each with its own httpx client, signed in through
the sign-in form; each loops over the inbox's first page, the next page, and the customer file of a row of it, for a
fixed time after a warm-up. They are scoped as teams are: 200 places in 10 groups of 20, two agents per group.
Without --think the agents never pause, so the figures are those of a saturated server (the latency is then about
the queue of 20 requests); with it they read each page for a while, as people do.

The baseline, measured in the same run before the load, asks the desk in this process for what the pages show:
``desk.inbox`` alone, then with ``desk.counts`` and the places the agent sees (all the inbox page asks), and
``desk.customer_file``; the gap to the HTTP figures is what HTTP, sessions and templates cost. The machine may be
shared, and the figures then move with the neighbours' work. Not part of ``run.py``: starting the server and
signing 20 agents in take longer than a small benchmark should.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import httpx
from feedback_data import feedback_items, place_ids

from closedloop import Desk, Place, PlaceGroup, Role, User
from closedloop.domain.alerts import Alert, AlertStatus
from closedloop.domain.conversation import Actor, ActorKind, Conversation, Interaction, InteractionKind, Status
from closedloop_console.passwords import hash_password

T = TypeVar("T")

PLACES = 200
GROUP = 20
BATCH = 5_000
PAGE = 50
TARGET_P95_MS = 100.0
AGENT = Actor(kind=ActorKind.USER, id="agent-00", name="Agent 00")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
FILE = re.compile(r'<a href="(/conversations/[^"]+)">')


def agent_ids(count: int) -> list[str]:
    return [f"agent-{number:02}" for number in range(count)]


def password_of(agent_id: str) -> str:
    return f"{agent_id}-load-test"


def conversations(count: int, places: list[str]) -> Iterator[list[Conversation]]:
    """The feedback of ``feedback_items`` as conversations: most new, some done or spam or on hold, an alert on
    every detractor, and a reply in the history of a third."""
    generator = random.Random(20)
    batch: list[Conversation] = []
    for number, feedback in enumerate(feedback_items(count, places)):
        draw = generator.random()
        status = Status.DONE if draw < 0.2 else Status.SPAM if draw < 0.21 else Status.NEW
        at = feedback.received_at
        history: tuple[Interaction, ...] = ()
        if generator.random() < 0.3:
            at += timedelta(hours=generator.randint(1, 48))
            history = (Interaction(kind=InteractionKind.NOTE, at=at, author=AGENT, body="Called back, all fine."),)
        detractor = feedback.ratings[0].value <= 6
        alert = Alert(raised_at=feedback.received_at, reasons=("detractor",), status=AlertStatus.TO_PROCESS)
        batch.append(
            Conversation(
                id=f"c{number:08}",
                feedback=feedback,
                status=status,
                created_at=feedback.received_at,
                last_updated_at=at,
                last_updated_by=AGENT.id,
                on_hold=generator.random() < 0.005,
                alert=alert if detractor else None,
                history=history,
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def build(folder: Path, count: int, agents: list[str]) -> tuple[str, Path]:
    """The desk's URL and the password file; each reused when a previous run made it complete."""
    path = folder / f"console-{count}.db"
    url = f"sqlite:///{path}"
    passwords = folder / f"console-passwords-{len(agents)}.toml"
    if not passwords.exists():
        lines = [f'"{agent}" = "{hash_password(password_of(agent))}"' for agent in agents]
        passwords.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if path.exists():
        with Desk.open(url, load_entry_points=False) as desk:
            with desk.store.transaction() as tx:
                complete = bool(tx.conversations.find([("survey", "", f"response-{count - 1:08}")]))
            known = all(_is_user(desk, agent) for agent in agents)
        if complete and known:
            return url, passwords
        path.unlink()
    began = time.perf_counter()
    places = place_ids(PLACES)
    with Desk.open(url, load_entry_points=False) as desk:
        for place_id in places:
            desk.add_place(Place(id=place_id, name=f"Restaurant {place_id[-4:]}"))
        teams = [places[start : start + GROUP] for start in range(0, PLACES, GROUP)]
        for number, team in enumerate(teams):
            desk.add_group(PlaceGroup(id=f"team-{number}", name=f"Team {number}", place_ids=team))
        desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN))
        for number, agent in enumerate(agents):
            desk.add_user(User(id=agent, name=f"Agent {number:02}", groups={f"team-{number % len(teams)}"}))
        for batch in conversations(count, places):
            with desk.store.transaction() as tx:
                tx.conversations.add(batch)
    print(f"  built {count:,} conversations in {time.perf_counter() - began:.0f} s")
    return url, passwords


def _is_user(desk: Desk, user_id: str) -> bool:
    try:
        desk.user(user_id)
    except Exception:  # NotFound: a database of an older run, rebuilt
        return False
    return True


def percentiles(timings: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in ms."""
    if len(timings) < 2:
        return (timings[0], timings[0]) if timings else (float("nan"), float("nan"))
    return statistics.median(timings), statistics.quantiles(timings, n=100)[94]


def baseline(url: str, agents: list[str], runs: int) -> dict[str, list[float]]:
    """The inbox's first page alone, then with all the inbox page asks of the desk (counts, the places the agent
    sees), and a customer file, asked in this process: what the pages cost without HTTP and templates."""
    timings: dict[str, list[float]] = {"desk.inbox": [], "  + counts + places": [], "desk.customer_file": []}

    def timed(name: str, action: Callable[..., T], *arguments: object, **options: object) -> T:
        began = time.perf_counter()
        result = action(*arguments, **options)
        timings[name].append((time.perf_counter() - began) * 1000)
        return result

    def inbox_page(desk: Desk, agent: str) -> object:
        return desk.inbox(agent, limit=PAGE), desk.counts(agent), desk.places(agent)

    with Desk.open(url, load_entry_points=False) as desk:
        for run in range(runs + 5):
            agent = agents[run % len(agents)]
            page = timed("desk.inbox", desk.inbox, agent, limit=PAGE)
            timed("  + counts + places", inbox_page, desk, agent)
            timed("desk.customer_file", desk.customer_file, random.choice(page.items).id, by=agent)
            if run < 5:  # warm-up
                for kept in timings.values():
                    kept.clear()
    return timings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``closedloop console`` on loopback, as a user runs it, stopped when the block ends."""

    def __init__(self, url: str, passwords: Path, port: int) -> None:
        command = shutil.which("closedloop") or sys.executable
        arguments = [] if command != sys.executable else ["-m", "closedloop"]
        port = port or free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [command, *arguments, "console", "--url", url, "--passwords", str(passwords), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "CLOSEDLOOP_CONSOLE_SECRET_KEY": "load-test-" + "k" * 40},
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the console stopped at start (exit {self.process.returncode})")
            try:
                answered = httpx.get(f"{self.base}/sign-in", timeout=2).status_code == 200
                if answered and self.process.poll() is None:  # ours, not another server already on the port
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the console did not answer within 60 s")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


class Agent(threading.Thread):
    """One signed-in agent looping over the inbox, its next page and a customer file until ``stop``."""

    def __init__(self, base: str, agent_id: str, think: float) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, timeout=30)
        self.agent_id, self.think = agent_id, think
        self.measure_from = self.stop = 0.0  # set by load() once every agent is signed in
        self.timings: dict[str, list[float]] = {"inbox": [], "next page": [], "customer file": []}
        self.errors: list[str] = []
        self.random = random.Random(agent_id)

    def sign_in(self) -> None:
        form = self.client.get("/sign-in")
        token = CSRF.search(form.text)
        fields = {"user": self.agent_id, "password": password_of(self.agent_id), "next": "/"}
        answer = self.client.post("/sign-in", data={**fields, "csrf_token": token.group(1) if token else ""})
        if answer.status_code != 303 or answer.headers.get("location", "").endswith("sign-in"):
            raise RuntimeError(f"{self.agent_id} could not sign in: {answer.status_code}")

    def get(self, name: str, path: str) -> str:
        began = time.perf_counter()
        answer = self.client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        if answer.status_code != 200:
            self.errors.append(f"{name} {path}: {answer.status_code}")
        elif time.monotonic() >= self.measure_from:
            self.timings[name].append(elapsed)
        if self.think:
            time.sleep(self.random.uniform(0.5, 1.5) * self.think)
        return answer.text

    def run(self) -> None:
        try:
            while time.monotonic() < self.stop:
                first = self.get("inbox", "/")
                following = NEXT.search(first)
                page = self.get("next page", following.group(1).replace("&amp;", "&")) if following else first
                files = FILE.findall(page)
                if files:
                    self.get("customer file", self.random.choice(files))
        except httpx.HTTPError as error:
            self.errors.append(f"{type(error).__name__}: {error}")
        finally:
            self.client.close()


def load(base: str, agents: list[str], warm_up: float, seconds: float, think: float) -> list[Agent]:
    """Every agent signed in first, then all at once for ``warm_up`` + ``seconds``, measured after the warm-up."""
    team = [Agent(base, agent, think) for agent in agents]
    for agent in team:
        agent.sign_in()
    start = time.monotonic()
    for agent in team:
        agent.measure_from, agent.stop = start + warm_up, start + warm_up + seconds
        agent.start()
    for agent in team:
        agent.join(timeout=warm_up + seconds + 60)
    return team


def report(name: str, timings: list[float], seconds: float | None = None) -> None:
    median, p95 = percentiles(timings)
    rate = f" {len(timings) / seconds:>7.1f}/s" if seconds else ""
    print(f"  {name:<26} {len(timings):>7,} {median:>9.1f} ms {p95:>9.1f} ms{rate}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load is measured")
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds of load before measuring")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds an agent reads each page (0: none)")
    parser.add_argument("--port", type=int, default=0, help="where the console listens (default: a free port)")
    parser.add_argument("--runs", type=int, default=200, help="runs of the in-process baseline")
    parser.add_argument(
        "--folder", type=Path, default=Path(tempfile.gettempdir()) / "closedloop-console-load", help="kept between runs"
    )
    arguments = parser.parse_args()
    arguments.folder.mkdir(parents=True, exist_ok=True)
    agents = agent_ids(arguments.agents)
    count = arguments.conversations
    print(f"agent console under load: {len(agents)} agents, each scoped to {GROUP} of {PLACES} places, on {count:,}")
    print(f"  conversations in SQLite ({arguments.folder}); one uvicorn process on loopback; shared machine")
    url, passwords = build(arguments.folder, count, agents)

    print(f"\n  baseline in-process, {arguments.runs} runs   {'n':>7} {'median':>12} {'95th':>12}")
    for name, timings in baseline(url, agents, arguments.runs).items():
        report(name, timings)

    with Server(url, passwords, arguments.port) as server:
        team = load(server.base, agents, arguments.warm_up, arguments.seconds, arguments.think)
    think = f", {arguments.think:g} s reading per page" if arguments.think else ", no pause between pages"
    print(f"\n  over HTTP, {arguments.seconds:g} s after {arguments.warm_up:g} s of warm-up{think}")
    print(f"  {'page':<26} {'n':>7} {'median':>12} {'95th':>12} {'rate':>9}")
    every: list[float] = []
    for name in ("inbox", "next page", "customer file"):
        timings = [value for agent in team for value in agent.timings[name]]
        every.extend(timings)
        report(name, timings, arguments.seconds)
    report("every page", every, arguments.seconds)
    errors = [error for agent in team for error in agent.errors]
    print(f"  errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    inbox_p95 = percentiles([value for agent in team for value in agent.timings["inbox"]])[1]
    verdict = "met" if inbox_p95 < TARGET_P95_MS else "missed"
    print(f"  inbox 95th percentile {inbox_p95:.1f} ms: target under {TARGET_P95_MS:.0f} ms {verdict}")


if __name__ == "__main__":
    main()
