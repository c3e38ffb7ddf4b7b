"""A local stand-in for OpenAI's chat-completions API: real HTTP on 127.0.0.1, in a thread.

It reads requests and writes answers in the shapes OpenAI documents (``POST /v1/chat/completions`` with
``model`` and ``messages``; a ``chat.completion`` object with ``choices`` and ``usage``; errors as
``{"error": {"message", "type", "param", "code"}}``), records every request, and can be told to fail, to be
slow, or to answer with something else. llm reaches it as an OpenAI-compatible model with this ``api_base``.

By default it writes a short reply in the language the prompt asks for ("Write in French.") and repeats every
personal-data placeholder it was sent, so a test sees them restored.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LANGUAGE_ASKED = re.compile(r"Write in (\w+)")
PLACEHOLDERS = re.compile(r"\[(?:EMAIL|PHONE)_\d+\]|\[SURNAME\]")
GREETINGS = {
    "French": "Bonjour, merci beaucoup pour votre retour. Nous sommes désolés pour l'attente.",
    "English": "Hello, thank you very much for your feedback. We are sorry about the wait.",
    "German": "Hallo, vielen Dank für Ihre Rückmeldung.",
}
ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
}


@dataclass
class Recorded:
    """One request as it reached the server."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    def messages(self, role: str) -> list[str]:
        return [str(message.get("content")) for message in self.body.get("messages", []) if message["role"] == role]

    @property
    def system(self) -> str:
        return "\n".join(self.messages("system"))

    @property
    def prompt(self) -> str:
        return "\n".join(self.messages("user"))

    @property
    def everything(self) -> str:
        """All the text that left for the provider."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class Failure:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def openai_error(status: int, message: str) -> dict[str, Any]:
    kind, code = ERROR_TYPES.get(status, ("api_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def completion(model: str, content: str | None) -> dict[str, Any]:
    """A ``chat.completion`` object as the API returns it for a non-streamed request."""
    return {
        "id": f"chatcmpl-fake{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def writer(request: Recorded) -> str:
    """The default answer: a greeting in the asked language, then each placeholder sent, as a model would."""
    asked = LANGUAGE_ASKED.findall(request.prompt) or LANGUAGE_ASKED.findall(request.system) or ["English"]
    greeting = GREETINGS.get(asked[-1], GREETINGS["English"])
    kept = list(dict.fromkeys(PLACEHOLDERS.findall(request.prompt)))
    return greeting + ("\n" + " ".join(kept) if kept else "")


class FakeOpenAI:
    """Answers chat completions with ``answer(request)``; ``failures`` are used first, one per request;
    ``delay`` seconds pass before each answer; ``api_key``, when set, is the only bearer token accepted."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.answer: Callable[[Recorded], str | None] = writer
        self.failures: list[Failure] = []
        self.delay = 0.0
        self.api_key: str | None = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        """The ``api_base`` of llm's model configuration."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        self.thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            self.server.shutdown()
            self.server.server_close()

    def respond(self, recorded: Recorded) -> tuple[int, dict[str, str], Any]:
        if recorded.method != "POST" or recorded.path != "/v1/chat/completions":
            return 404, {}, openai_error(404, f"Invalid URL ({recorded.method} {recorded.path})")
        if self.api_key is not None and recorded.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {}, openai_error(401, "Incorrect API key provided: sk-wr***ng.")
        body = recorded.body
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return 400, {}, openai_error(400, "you must provide a model parameter")
        messages = body.get("messages")
        if not isinstance(messages, list) or not all(
            isinstance(item, dict) and item.get("role") in ("system", "user", "assistant") for item in messages
        ):
            return 400, {}, openai_error(400, "messages must be a list of role and content objects")
        if body.get("stream"):
            return 400, {}, openai_error(400, "this fake answers without streaming only")
        with self.lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            return failure.status, failure.headers, openai_error(failure.status, failure.message)
        if self.delay and self.stopping.wait(self.delay):
            return 503, {}, openai_error(500, "stopping")
        return 200, {}, completion(body["model"], self.answer(recorded))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = None
                recorded = Recorded(
                    method=self.command,
                    path=self.path,
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=body,
                )
                with fake.lock:
                    fake.requests.append(recorded)
                status, headers, answer = fake.respond(recorded)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

            do_POST = _serve
            do_GET = _serve

        return Handler
