"""One model reached through llm, called with a deadline, its failures turned into closedloop errors.

The deadline is set twice. Models whose llm plugin builds an OpenAI client (OpenAI and every OpenAI-compatible
server configured in llm's ``extra-openai-models.yaml``) get the timeout on that client, without retries, so
the request itself is abandoned. Every model is also called in a worker thread the caller stops waiting for
once the timeout (and a second of grace) has passed, since other plugins' clients cannot all be told.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import llm

from closedloop import ClosedLoopError, InvalidInput, NotConfigured
from closedloop_llm.failures import explained, timed_out
from closedloop_llm.settings import LlmSettings

#: How much longer than its timeout a call may take before the caller stops waiting for it.
GRACE_SECONDS = 1.0


class _Outcome:
    """What the worker thread hands back: the answer or the error."""

    def __init__(self, text: str | None = None, error: BaseException | None = None) -> None:
        self.text = text
        self.error = error


def resolve(model_id: str) -> llm.Model:
    """The llm model of that id or alias; refused when the desk opens if llm does not know it."""
    try:
        return llm.get_model(model_id)
    except llm.UnknownModelError as error:
        raise InvalidInput(
            f"extra['llm']['model'] is {model_id!r}, which llm does not know; 'llm models' lists the models "
            "it has (a provider's models come with its llm plugin, e.g. 'llm install llm-ollama')"
        ) from error
    except Exception as error:  # a broken llm configuration file or plugin
        raise NotConfigured(
            f"llm could not load its models to find {model_id!r}: {type(error).__name__}: {error}; "
            "check llm's configuration (e.g. 'llm models' shows the same problem)"
        ) from error


def _bound_client(model: llm.Model, timeout: float) -> None:
    """Give the OpenAI client llm builds for this model our timeout and no retries of its own."""
    build = getattr(model, "get_client", None)
    if not callable(build):
        return

    def bounded(key: Any, *, async_: bool = False) -> Any:
        client = build(key, async_=async_)
        with_options = getattr(client, "with_options", None)
        return with_options(timeout=timeout, max_retries=0) if callable(with_options) else client

    vars(model)["get_client"] = bounded  # this instance only: llm.get_model builds a new one per call


class Provider:
    """Calls one llm model; every failure comes out as ``failure`` (AssistantFailed or AnalysisFailed)."""

    def __init__(self, settings: LlmSettings) -> None:
        self.model = resolve(settings.model)
        self.timeout = settings.timeout
        self.key = settings.key
        _bound_client(self.model, settings.timeout)

    @property
    def model_id(self) -> str:
        return str(self.model.model_id)

    @property
    def address(self) -> str:
        """Where an OpenAI-compatible model is served, for error messages; empty for the others."""
        base = getattr(self.model, "api_base", None)
        return base if isinstance(base, str) else ""

    def _options(self, json_answer: bool) -> dict[str, Any]:
        fields = getattr(self.model.Options, "model_fields", {})
        return {"json_object": True} if json_answer and "json_object" in fields else {}

    def _call(self, prompt: str, system: str, json_answer: bool) -> str:
        response = self.model.prompt(
            prompt, system=system, stream=False, key=self.key, options=self._options(json_answer)
        )
        return response.text()

    def complete(self, prompt: str, *, system: str, failure: type[ClosedLoopError], json_answer: bool = False) -> str:
        """The model's answer to ``prompt`` under ``system``; ``json_answer`` asks for JSON where supported."""
        outcome = _within(self.timeout + GRACE_SECONDS, lambda: self._call(prompt, system, json_answer))
        if outcome is None:
            raise failure(timed_out(self.model_id, self.timeout))
        if outcome.error is not None:
            message = explained(outcome.error, model_id=self.model_id, timeout=self.timeout, address=self.address)
            raise failure(message) from outcome.error
        text = outcome.text or ""
        if not text.strip():
            raise failure(f"the model {self.model_id!r} gave an empty answer; try again, or choose another model")
        return text


def _within(seconds: float, work: Callable[[], str]) -> _Outcome | None:
    """``work``'s outcome, or None when it takes longer than ``seconds`` (the thread is then left to end)."""
    outcomes: queue.Queue[_Outcome] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            outcomes.put(_Outcome(text=work()))
        except BaseException as error:  # handed to the caller, who explains it
            outcomes.put(_Outcome(error=error))

    threading.Thread(target=run, name="closedloop-llm call", daemon=True).start()
    try:
        return outcomes.get(timeout=seconds)
    except queue.Empty:
        return None
