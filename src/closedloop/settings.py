"""A desk's settings: everything ``Desk.open(url, **settings)`` accepts, with sensible defaults."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import attrs

from closedloop.contacts import ContactChecker
from closedloop.domain.alerts import AlertRule
from closedloop.domain.errors import InvalidInput
from closedloop.domain.messages import RetryPolicy
from closedloop.domain.privacy import RetentionPolicy
from closedloop.domain.text import shown, single_line
from closedloop.ports import Clock

#: A reply link lives at most this long: ten years, far past any survey's use, and far from the date limit.
LONGEST_TOKEN_TTL = timedelta(days=3653)
#: The shortest privacy key taken: shorter keys could be guessed.
MIN_KEY_LENGTH = 16


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
    # how long personal data is kept (desk.apply_retention): a closedloop.RetentionPolicy
    retention: RetentionPolicy = attrs.field(factory=RetentionPolicy)
    # the secret key of the hashes an erased review keeps; None: a random key the store keeps for the desk
    privacy_key: str | None = None
    # the offline analyzer's concepts: a closedloop.analysis.Taxonomy, a TOML file's path, or None for the default
    taxonomy: Any = None
    # whether bulk intake analyses its next batch in a second process while storing the current one (the same
    # findings, sooner); None: when this process may run on two cores or more
    analysis_process: bool | None = None
    # the offline assistant's wording: a folder of <language>.toml files overriding the built-in ones, or None
    draft_templates: Any = None
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
        for name in ("business_name", "reply_link_base", "customer_service_email", "file_link_template"):
            if name in given:
                single_line(given[name], name)  # these end up in email headers and links
        address = given.get("customer_service_email")
        if address and ContactChecker().email(address) is None:
            raise InvalidInput(f"customer_service_email is not a valid email address: {shown(address)}")
        if given.get("default_region") is not None:
            single_line(given["default_region"], "default_region")
        for name in ("plugins", "blocked_plugins"):
            if name in given and (isinstance(given[name], str | bytes) or not isinstance(given[name], Sequence)):
                raise InvalidInput(f"{name} must be a list; got {shown(given[name])}")
        if any(not isinstance(name, str) for name in given.get("blocked_plugins", ())):
            raise InvalidInput("blocked_plugins must list plugin names (texts)")
        for name in ("load_entry_points", "analysis_process"):
            if (
                name in given
                and not isinstance(given[name], bool)
                and not (name == "analysis_process" and given[name] is None)
            ):
                raise InvalidInput(f"{name} must be True or False; got {shown(given[name])}")
        if "retry" in given and not isinstance(given["retry"], RetryPolicy):
            raise InvalidInput(f"retry must be a closedloop.RetryPolicy; got {shown(given['retry'])}")
        if "retention" in given and not isinstance(given["retention"], RetentionPolicy):
            raise InvalidInput(f"retention must be a closedloop.RetentionPolicy; got {shown(given['retention'])}")
        key = given.get("privacy_key")
        if key is not None and (not isinstance(key, str) or len(key) < MIN_KEY_LENGTH):
            raise InvalidInput(
                f"privacy_key must be a secret text of at least {MIN_KEY_LENGTH} characters, e.g. "
                "secrets.token_hex(32), or None to let the desk make one"
            )
        if given.get("clock") is not None and not callable(getattr(given["clock"], "now", None)):
            raise InvalidInput(f"clock must have a now() method giving an aware datetime; got {shown(given['clock'])}")
        rules = given.get("alert_rules")
        if rules is not None and (isinstance(rules, str | bytes) or not isinstance(rules, Sequence)):
            raise InvalidInput(
                f"alert_rules must be a list of alert rules, or None for the defaults; got {shown(rules)}"
            )
        if not isinstance(given.get("extra", {}), dict):
            raise InvalidInput(f"extra must be a dict of plugin settings; got {shown(given['extra'])}")
        if "token_ttl" in given and not (
            isinstance(given["token_ttl"], timedelta) and timedelta(0) < given["token_ttl"] <= LONGEST_TOKEN_TTL
        ):
            raise InvalidInput(
                f"token_ttl must be a positive timedelta of at most {LONGEST_TOKEN_TTL.days} days; "
                f"got {shown(given['token_ttl'])}"
            )
        if "file_link_template" in given and given["file_link_template"] and "{id}" not in given["file_link_template"]:
            raise InvalidInput("file_link_template must contain {id}, e.g. 'https://app.example/files/{id}'")
        return cls(**given)
