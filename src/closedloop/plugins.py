"""Builds the plugin manager of one desk: built-ins, entry points, the desk's own plugins, blocked names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pluggy

from closedloop import hookspecs
from closedloop.domain.errors import ClosedLoopError, InvalidInput
from closedloop.settings import Settings

if TYPE_CHECKING:
    import click

    from closedloop.desk import Desk
    from closedloop.domain.conversation import Conversation
    from closedloop.events import ConversationChange
    from closedloop.registry import Registry

ENTRY_POINT_GROUP = "closedloop"


class PluginRefused(ClosedLoopError):
    """A plugin implements a hook closedloop does not have, or with arguments the hook does not take."""


BUILTINS: tuple[str, ...] = (
    "closedloop.storage.memory",
    "closedloop.storage.sql",
    "closedloop.channels.phone",
    "closedloop.channels.email",
    "closedloop.alerting",
    "closedloop.analysis.offline",
    "closedloop.assistance.offline",
    "closedloop.commands.demo",
    "closedloop.commands.inbox",
    "closedloop.commands.show",
    "closedloop.commands.report",
    "closedloop.commands.worker",
    "closedloop.commands.sync",
    "closedloop.commands.analyze",
    "closedloop.commands.db",
    "closedloop.commands.qa",
    "closedloop.commands.privacy",
    "closedloop.commands.directory",
    "closedloop.files.commands",
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
        try:
            name = manager.get_canonical_name(plugin)
            if manager.is_blocked(name):
                continue
            if manager.is_registered(plugin):
                raise InvalidInput(f"plugin {name!r} was given twice in plugins=")
            manager.register(plugin)
        except (ClosedLoopError, pluggy.PluginValidationError):
            raise
        except Exception as error:  # an object of the caller's that fails even to be named or looked at
            raise PluginRefused(f"an object in plugins= cannot be used as a plugin ({type(error).__name__})") from None


def plugin_names(manager: pluggy.PluginManager) -> list[str]:
    """The names of the plugins a desk loaded, for diagnostics."""
    return sorted(name for name, plugin in manager.list_name_plugin() if plugin is not None)


class Hooks:
    """The hooks a desk calls, as typed methods over its plugin manager, so a use case cannot misspell a hook
    or its arguments and plugin authors' hooks are called one way only."""

    def __init__(self, manager: pluggy.PluginManager, desk: Desk | None) -> None:
        self.manager = manager
        self.desk = desk  # what event hooks are told made the change; None where no desk is open

    def register(self, registry: Registry, settings: Settings) -> None:
        """Run every registration hook, in the order later ones rely on: stores, then connectors (which are
        channels and sources too), channels, sources, assistants, analyzers and alert rules."""
        hook = self.manager.hook
        hook.closedloop_register_stores(registry=registry)
        hook.closedloop_register_connectors(registry=registry, settings=settings)
        hook.closedloop_register_channels(registry=registry, settings=settings)
        hook.closedloop_register_sources(registry=registry, settings=settings)
        hook.closedloop_register_assistants(registry=registry, settings=settings)
        hook.closedloop_register_analyzers(registry=registry, settings=settings)
        hook.closedloop_register_alert_rules(registry=registry, settings=settings)

    def add_commands(self, cli: click.Group) -> None:
        """Let the built-in command modules and every plugin add their commands to the command line."""
        self.manager.hook.closedloop_add_commands(cli=cli)

    def feedback_ingested(self, conversations: Sequence[Conversation]) -> None:
        if conversations:
            self.manager.hook.closedloop_feedback_ingested(desk=self.desk, conversations=list(conversations))

    def conversation_changed(self, changes: Sequence[ConversationChange]) -> None:
        if changes:
            self.manager.hook.closedloop_conversation_changed(desk=self.desk, changes=list(changes))
