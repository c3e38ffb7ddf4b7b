"""Fixtures of the closedloop-console suite: the desk of console_world.py and the console on it with the
built-in sign-in, the page tests' shop of pages_world.py, and chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_world import CHEAP, PASSWORDS, SECRET, World, csrf_of, feedback, sign_in, with_stub
from pages_world import Shop, open_shop
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.testclient import TestClient

from closedloop import Desk, Place, Role, User
from closedloop.testing import FakeClock
from closedloop.testing.web import Ticker, chromium
from closedloop_console import LoginLimiter, create_app

# the helpers, importable from here too (the pages' tests began with them here); new code imports console_world
__all__ = ["CHEAP", "SECRET", "csrf_of", "sign_in"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = FakeClock()
    with Desk.open(f"sqlite:///{tmp_path}/c.db", clock=clock, load_entry_points=False) as desk:
        desk.add_place(Place(id="opera", name="Chez Nous Opéra"))
        desk.add_place(Place(id="gare", name="Chez Nous Gare"))
        desk.add_user(User(id="ana", name="Ana Roux", role=Role.AGENT, places={"opera"}))
        desk.add_user(User(id="bruno", name="Bruno Petit", role=Role.AGENT, places={"gare"}))
        opera = desk.ingest(feedback(1, "opera", clock)).id
        gare = desk.ingest(feedback(2, "gare", clock)).id
        yield World(desk, Ticker(), opera, gare)


@pytest.fixture
def app(world: World) -> Starlette:
    hashes = {user: CHEAP.hash(password) for user, password in PASSWORDS.items()}
    limiter = LoginLimiter(clock=world.ticker)
    return with_stub(create_app(world.desk, passwords=hashes, secret_key=SECRET, limiter=limiter))


@pytest.fixture
def client(app: Starlette) -> TestClient:
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    """The page tests' shop of pages_world.py."""
    with open_shop(tmp_path) as opened:
        yield opened


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium for a test module: starting it takes longer than most tests."""
    with chromium() as launched:
        yield launched
