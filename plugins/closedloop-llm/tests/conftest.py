"""Fixtures of the closedloop-llm suite: a fake OpenAI server on loopback, and llm configured to reach it
through its own OpenAI-compatible model configuration, in a throwaway ``LLM_USER_PATH``.

Nothing here reaches the internet: every model the tests name is served by the fake, or by a closed port.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import KEYED_MODEL, MODEL, NOWHERE_MODEL, SAVED_KEY, open_desk
from fake_openai import FakeOpenAI

from closedloop import Desk


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    with server.running():
        yield server


@pytest.fixture(autouse=True)
def llm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeOpenAI) -> Path:
    """llm's user folder for this test: its models are the fake's, its key store holds one key."""
    home = tmp_path / "llm-home"
    home.mkdir()
    models = [
        {"model_id": MODEL, "model_name": "gpt-fake-1", "api_base": fake.url},
        {"model_id": KEYED_MODEL, "model_name": "gpt-fake-1", "api_base": fake.url, "api_key_name": "fakekey"},
        {"model_id": NOWHERE_MODEL, "model_name": "gpt-fake-1", "api_base": f"http://127.0.0.1:{closed_port()}/v1"},
    ]
    (home / "extra-openai-models.yaml").write_text(json.dumps(models))  # JSON is YAML too
    (home / "keys.json").write_text(json.dumps({"fakekey": SAVED_KEY}))
    monkeypatch.setenv("LLM_USER_PATH", str(home))
    for variable in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(variable.lower(), raising=False)
    return home


@pytest.fixture
def desk() -> Iterator[Desk]:
    with open_desk() as opened:
        yield opened
