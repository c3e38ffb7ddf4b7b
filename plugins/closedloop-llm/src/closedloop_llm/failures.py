"""What went wrong with a call to a model, in words an agent or admin can act on.

Providers reach llm through different client libraries (OpenAI's, Anthropic's, Ollama's, plain HTTP), so an
error is read by what it carries (a status code, a timeout or connection error somewhere in its chain) rather
than by its class, and the same message comes out whichever provider failed.
"""

from __future__ import annotations

from collections.abc import Iterator

from llm.errors import ModelError, NeedsKeyException

LONGEST_DETAIL = 300


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it, and so on (each once: a chain may loop)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status(error: BaseException) -> int | None:
    for item in _chain(error):
        for holder in (item, getattr(item, "response", None)):
            status = getattr(holder, "status_code", None)
            if isinstance(status, int) and not isinstance(status, bool):
                return status
    return None


def _retry_after(error: BaseException) -> str:
    for item in _chain(error):
        headers = getattr(getattr(item, "response", None), "headers", None)
        value = headers.get("retry-after") if headers is not None and hasattr(headers, "get") else None
        if isinstance(value, str) and value.strip().isdigit():
            return f" (the provider asks to wait {int(value)} seconds)"
    return ""


def _timed_out(error: BaseException) -> bool:
    return any(isinstance(item, TimeoutError) or "timeout" in type(item).__name__.lower() for item in _chain(error))


def _unreachable(error: BaseException) -> bool:
    return any(isinstance(item, ConnectionError) or "connect" in type(item).__name__.lower() for item in _chain(error))


def _detail(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= LONGEST_DETAIL else text[: LONGEST_DETAIL - 1] + "…"


def timed_out(model_id: str, timeout: float) -> str:
    return (
        f"the model {model_id!r} did not answer within {timeout:g} seconds; try again, or allow it longer "
        "with extra['llm']['timeout']"
    )


def explained(error: BaseException, *, model_id: str, timeout: float, address: str) -> str:
    """Why the call to ``model_id`` failed, and what to do about it."""
    where = f" at {address}" if address else ""
    if isinstance(error, NeedsKeyException):
        return f"the model {model_id!r} needs an API key: {_detail(error)}, or give extra['llm']['key']"
    status = _status(error)
    if status == 429:
        return (
            f"the provider of {model_id!r} is rate limiting requests (HTTP 429){_retry_after(error)}; "
            "retry later, or check the account's quota"
        )
    if status in (401, 403):
        return (
            f"the provider of {model_id!r} refused the API key (HTTP {status}); set a valid one with "
            "'llm keys set <name>' or extra['llm']['key']"
        )
    if status == 404:
        return f"the provider{where} does not know the model {model_id!r} (HTTP 404): {_detail(error)}"
    if status is not None and status >= 500:
        return f"the provider of {model_id!r} failed (HTTP {status}): {_detail(error)}; try again later"
    if status is not None:
        return f"the provider of {model_id!r} refused the request (HTTP {status}): {_detail(error)}"
    if _timed_out(error):
        return timed_out(model_id, timeout)
    if _unreachable(error):
        return (
            f"cannot reach the provider of {model_id!r}{where} (connection refused or lost); check that it is "
            "running and reachable, then try again"
        )
    if isinstance(error, ModelError):
        return f"the model {model_id!r} failed: {_detail(error)}"
    return f"the model {model_id!r} failed: {type(error).__name__}: {_detail(error)}"
