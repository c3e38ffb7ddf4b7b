"""A provider that fails, is slow, refuses or answers nothing gives a closedloop error that says what to do,
never the client library's own exception."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llm
import pytest
from builders import KEYED_MODEL, MODEL, NOWHERE_MODEL, SAVED_KEY, request
from fake_openai import Failure, FakeOpenAI

from closedloop import AssistantFailed
from closedloop_llm import LlmAssistant, LlmSettings


def failure_of(assistant: LlmAssistant) -> AssistantFailed:
    with pytest.raises(AssistantFailed) as raised:
        assistant.suggest(request())
    assert type(raised.value) is AssistantFailed
    return raised.value


def test_a_model_slower_than_the_timeout_fails_once_it_has_passed(fake: FakeOpenAI) -> None:
    fake.delay = 10
    assistant = LlmAssistant(LlmSettings(model=MODEL, timeout=0.5))

    started = time.monotonic()
    error = failure_of(assistant)

    assert time.monotonic() - started < 3
    assert str(error) == (
        "the model 'fake-gpt' did not answer within 0.5 seconds; try again, or allow it longer with "
        "extra['llm']['timeout']"
    )


def test_the_timeout_is_given_to_the_client_which_does_not_retry(fake: FakeOpenAI) -> None:
    LlmAssistant(LlmSettings(model=MODEL, timeout=7)).suggest(request())

    headers = fake.requests[-1].headers
    assert float(headers["x-stainless-read-timeout"]) == 7  # the OpenAI client says what it waits
    assert headers["x-stainless-retry-count"] == "0"


def test_a_rate_limit_says_so_and_to_retry_later(fake: FakeOpenAI) -> None:
    fake.failures.append(Failure(429, "Rate limit reached for requests", headers={"Retry-After": "20"}))

    error = failure_of(LlmAssistant(LlmSettings(model=MODEL)))

    assert "rate limiting requests (HTTP 429) (the provider asks to wait 20 seconds); retry later" in str(error)
    assert len(fake.requests) == 1  # not retried behind the agent's back


def test_a_refused_key_names_the_key_and_how_to_set_it(fake: FakeOpenAI) -> None:
    fake.api_key = "sk-the-right-one"

    error = failure_of(LlmAssistant(LlmSettings(model=KEYED_MODEL)))

    assert "refused the API key (HTTP 401)" in str(error)
    assert "llm keys set" in str(error)


def test_the_key_saved_in_llm_is_sent(fake: FakeOpenAI) -> None:
    fake.api_key = SAVED_KEY

    LlmAssistant(LlmSettings(model=KEYED_MODEL)).suggest(request())

    assert fake.requests[-1].headers["authorization"] == f"Bearer {SAVED_KEY}"


def test_the_key_of_the_settings_wins(fake: FakeOpenAI) -> None:
    fake.api_key = "sk-from-settings"

    LlmAssistant(LlmSettings(model=KEYED_MODEL, key="sk-from-settings")).suggest(request())

    assert fake.requests[-1].headers["authorization"] == "Bearer sk-from-settings"


def test_a_missing_key_says_how_to_set_one(llm_home: Path, fake: FakeOpenAI) -> None:
    (llm_home / "keys.json").write_text("{}")

    error = failure_of(LlmAssistant(LlmSettings(model=KEYED_MODEL)))

    assert "needs an API key" in str(error) and "llm keys set fakekey" in str(error)
    assert fake.requests == []


def test_a_provider_that_cannot_be_reached_says_where() -> None:
    error = failure_of(LlmAssistant(LlmSettings(model=NOWHERE_MODEL, timeout=5)))

    assert "cannot reach the provider of 'fake-nowhere' at http://127.0.0.1:" in str(error)
    assert "connection refused" in str(error)


@pytest.mark.parametrize("answer", ["", "  \n", None])
def test_an_empty_answer_is_refused(fake: FakeOpenAI, answer: str | None) -> None:
    fake.answer = lambda _: answer

    error = failure_of(LlmAssistant(LlmSettings(model=MODEL)))

    assert str(error) == "the model 'fake-gpt' gave an empty answer; try again, or choose another model"


def test_a_server_error_is_reported_with_the_providers_words(fake: FakeOpenAI) -> None:
    fake.failures.append(Failure(500, "The server had an error while processing your request."))

    error = failure_of(LlmAssistant(LlmSettings(model=MODEL)))

    assert "failed (HTTP 500)" in str(error) and "The server had an error" in str(error)
    assert "try again later" in str(error)


def test_rephrase_fails_as_clearly(fake: FakeOpenAI) -> None:
    fake.failures.append(Failure(429, "Rate limit reached"))

    with pytest.raises(AssistantFailed, match="HTTP 429"):
        LlmAssistant(LlmSettings(model=MODEL)).rephrase("thanks", tone="formal", language="en")


class OtherProvider(llm.Model):
    """A model of another llm plugin, with a client closedloop-llm cannot give a timeout to."""

    model_id = "other-provider"
    delay = 0.0
    error: Exception | None = None

    def execute(self, prompt: Any, stream: bool, response: Any, conversation: Any) -> Iterator[str]:
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        yield "Hello from elsewhere."


class OtherPlugin:
    @llm.hookimpl
    def register_models(self, register: Any) -> None:
        register(OtherProvider())


class StatusError(Exception):
    """What another provider's client raises for an HTTP error: it carries the status code."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@pytest.fixture
def other(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[OtherProvider]]:
    llm.get_models_with_aliases()  # llm loads its plugins once; ours goes beside them
    llm.plugins.pm.register(OtherPlugin(), name="closedloop-llm-tests")
    try:
        yield OtherProvider
    finally:
        llm.plugins.pm.unregister(name="closedloop-llm-tests")
        OtherProvider.delay, OtherProvider.error = 0.0, None


def test_any_llm_plugins_model_drafts(other: type[OtherProvider]) -> None:
    draft = LlmAssistant(LlmSettings(model="other-provider")).suggest(request())

    assert (draft.text, draft.model) == ("Hello from elsewhere.", "other-provider")


def test_a_slow_model_of_another_plugin_is_given_up_on_too(other: type[OtherProvider]) -> None:
    other.delay = 5
    assistant = LlmAssistant(LlmSettings(model="other-provider", timeout=0.3))

    started = time.monotonic()
    error = failure_of(assistant)

    assert time.monotonic() - started < 3
    assert "did not answer within 0.3 seconds" in str(error)


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (StatusError("overloaded", 429), "rate limiting requests (HTTP 429)"),
        (StatusError("invalid x-api-key", 401), "refused the API key (HTTP 401)"),
        (TimeoutError("read timed out"), "did not answer within 30 seconds"),
        (ConnectionRefusedError(111, "Connection refused"), "cannot reach the provider of 'other-provider'"),
        (llm.ModelError("the model is loading"), "the model 'other-provider' failed: the model is loading"),
        (RuntimeError("bad state"), "the model 'other-provider' failed: RuntimeError: bad state"),
    ],
)
def test_another_plugins_errors_are_read_alike(other: type[OtherProvider], raised: Exception, said: str) -> None:
    other.error = raised

    error = failure_of(LlmAssistant(LlmSettings(model="other-provider")))

    assert said in str(error)
    assert error.__cause__ is raised
