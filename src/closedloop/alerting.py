"""The built-in source of alert rules: the desk's ``alert_rules`` setting, or the defaults."""

from __future__ import annotations

from closedloop.domain.alerts import default_rules
from closedloop.hookspecs import hookimpl
from closedloop.registry import Registry
from closedloop.settings import Settings


@hookimpl
def closedloop_register_alert_rules(registry: Registry, settings: Settings) -> None:
    rules = default_rules() if settings.alert_rules is None else settings.alert_rules
    for rule in rules:
        registry.add_alert_rule(rule)
