"""Builds the plugin manager of one desk: built-ins, entry points, the desk's own plugins, blocked names."""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from closedloop import hookspecs
from closedloop.domain.errors import ClosedLoopError, InvalidInput
from closedloop.settings import Settings

ENTRY_POINT_GROUP = "closedloop"


class PluginRefused(ClosedLoopError):
    """A plugin implements a hook closedloop does not have, or with arguments the hook does not take."""


BUILTINS: tuple[str, ...] = (
    "closedloop.storage.memory",
    "closedloop.storage.sql",
    "closedloop.channels.phone",
    "closedloop.channels.email",
    "closedloop.alerting",
)


def make_plugin_manager(settings: Settings) -> pluggy.PluginManager:
    """A fresh manager per desk, never a module global, so two desks can load different plugins.

    Registration order decides precedence: pluggy calls the last registered first, so the desk's own
    ``plugins`` are asked before entry-point plugins, and those before the built-ins.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in settings.blocked_plugins:
        manager.set_blocked(name)
    try:
        for module_name in BUILTINS:
            if not manager.is_blocked(module_name):
                manager.register(__import__(module_name, fromlist=["_"]), name=module_name)
        if settings.load_entry_points:
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        _register_given(manager, settings.plugins)
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginRefused(
            f"a plugin cannot be used: {error}; check the hook names and arguments in docs/hooks.md"
        ) from error
    return manager


def _register_given(manager: pluggy.PluginManager, plugins: Iterable[object]) -> None:
    for plugin in plugins:
        name = manager.get_canonical_name(plugin)
        if manager.is_blocked(name):
            continue
        if manager.is_registered(plugin):
            raise InvalidInput(f"plugin {name!r} was given twice in plugins=")
        manager.register(plugin)


def plugin_names(manager: pluggy.PluginManager) -> list[str]:
    """The names of the plugins a desk loaded, for diagnostics."""
    return sorted(name for name, plugin in manager.list_name_plugin() if plugin is not None)
