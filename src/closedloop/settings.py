"""A desk's settings: everything ``Desk.open(url, **settings)`` accepts, with sensible defaults."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import attrs

from closedloop.domain.alerts import AlertRule
from closedloop.domain.errors import InvalidInput
from closedloop.domain.messages import RetryPolicy
from closedloop.ports import Clock


@attrs.frozen(kw_only=True)
class Settings:
    """Desk settings. Unknown names are refused, so a typo never passes silently."""

    business_name: str = ""
    reply_link_base: str = "http://localhost:8000/reply/"
    token_ttl: timedelta = timedelta(days=30)
    customer_service_email: str = ""
    file_link_template: str = ""
    default_region: str | None = None
    alert_rules: Sequence[AlertRule] | None = None
    plugins: Sequence[object] = ()
    blocked_plugins: Sequence[str] = ()
    load_entry_points: bool = True
    clock: Clock | None = None
    smtp: Any = None  # a closedloop.channels.email.SmtpSettings, or a dict of its fields
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    extra: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_keywords(cls, given: dict[str, Any]) -> Settings:
        known = {field.name for field in attrs.fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise InvalidInput(
                f"unknown desk setting(s): {', '.join(unknown)}; the settings are {', '.join(sorted(known))} "
                "(plugins read their own settings from extra={...})"
            )
        if not isinstance(given.get("extra", {}), dict):
            raise InvalidInput(f"extra must be a dict of plugin settings; got {given['extra']!r}")
        if "token_ttl" in given and not (
            isinstance(given["token_ttl"], timedelta) and given["token_ttl"] > timedelta(0)
        ):
            raise InvalidInput(f"token_ttl must be a positive timedelta; got {given['token_ttl']!r}")
        if "file_link_template" in given and given["file_link_template"] and "{id}" not in given["file_link_template"]:
            raise InvalidInput("file_link_template must contain {id}, e.g. 'https://app.example/files/{id}'")
        return cls(**given)
