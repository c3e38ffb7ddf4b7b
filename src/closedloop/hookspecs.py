"""The hook specifications: every way a plugin can extend closedloop.

Registration hooks receive a registry and add to it (``registry.add_channel(...)``); they run once, when a
desk opens. Event hooks run after a use case's transaction is committed. Every hook here is documented in
``docs/hooks.md``, and a test fails when one is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from closedloop.desk import Desk
    from closedloop.domain.conversation import Conversation
    from closedloop.events import ConversationChange
    from closedloop.registry import Registry
    from closedloop.settings import Settings

PROJECT = "closedloop"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def closedloop_register_stores(registry: Registry) -> None:
    """Register storage backends by URL scheme, when a desk opens and before its store is chosen.

    :param registry: call ``registry.add_store(scheme, factory)``; ``factory(url, settings)`` returns a store.
    """


@hookspec
def closedloop_register_connectors(registry: Registry, settings: Settings) -> None:
    """Register review-platform connectors when a desk opens, before channels and sources.

    :param registry: call ``registry.add_connector(connector)``; the one object becomes the platform's review
        source and the channel of its replies, so it can keep what the desk needs of the platform.
    :param settings: the desk's settings; a connector reads its own from ``settings.extra``.
    """


@hookspec
def closedloop_register_channels(registry: Registry, settings: Settings) -> None:
    """Register channels (email, a review platform's replies, ...) when a desk opens.

    :param registry: call ``registry.add_channel(channel)``; the first channel of a name wins, and plugins
        are asked before the built-ins, so a plugin can replace a built-in channel.
    :param settings: the desk's settings; plugin settings live in ``settings.extra``.
    """


@hookspec
def closedloop_register_sources(registry: Registry, settings: Settings) -> None:
    """Register review sources, which ``desk.sync(platform)`` reads reviews from, when a desk opens.

    :param registry: call ``registry.add_source(source)``; a connector that also posts the replies registers
        itself once with ``closedloop_register_connectors`` instead.
    :param settings: the desk's settings; plugin settings live in ``settings.extra``.
    """


@hookspec
def closedloop_register_assistants(registry: Registry, settings: Settings) -> None:
    """Register AI assistants that suggest a first draft or rephrase one, when a desk opens.

    :param registry: call ``registry.add_assistant(assistant)``.
    :param settings: the desk's settings.
    """


@hookspec
def closedloop_register_analyzers(registry: Registry, settings: Settings) -> None:
    """Register analyzers that find concepts and sentiment in comments, when a desk opens.

    :param registry: call ``registry.add_analyzer(analyzer)``; every analyzer runs at intake.
    :param settings: the desk's settings.
    """


@hookspec
def closedloop_register_alert_rules(registry: Registry, settings: Settings) -> None:
    """Register alert rules on top of the desk's own (its ``alert_rules`` setting or the defaults).

    :param registry: call ``registry.add_alert_rule(rule)``.
    :param settings: the desk's settings.
    """


@hookspec
def closedloop_feedback_ingested(desk: Desk, conversations: Sequence[Conversation]) -> None:
    """Called after newly ingested feedback is committed, with the conversations it opened.

    Duplicates that were skipped are not passed. An exception here does not undo the intake.

    :param desk: the desk that ingested the feedback.
    :param conversations: the new conversations, in intake order.
    """


@hookspec
def closedloop_conversation_changed(desk: Desk, changes: Sequence[ConversationChange]) -> None:
    """Called after a use case that changed conversations is committed.

    :param desk: the desk that made the change.
    :param changes: each changed conversation with the interactions the change appended.
    """


@hookspec
def closedloop_add_commands(cli: click.Group) -> None:
    """Add commands to the ``closedloop`` command line (``python -m closedloop``) when it starts.

    :param cli: the click group of the command line (``closedloop.cli.cli``); add a command with
        ``@cli.command()`` or ``cli.add_command(command)``. Take the database with ``closedloop.cli.url_option``
        and open it with ``closedloop.cli.open_desk``. A :class:`~closedloop.ClosedLoopError` the command raises
        is printed as one line saying what to fix, with exit status 2; what the command returns, if an int, is
        the exit status. A name another command already has is refused.
    """
