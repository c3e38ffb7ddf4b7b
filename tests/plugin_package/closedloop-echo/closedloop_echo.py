"""A closedloop plugin for tests: an ``echo`` review-reply channel that writes to a JSON-lines file.

The file is ``settings.extra["echo_log"]``; every message sent and every conversation change becomes one line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import closedloop
from closedloop import ChannelLimits, MessageKind, OutboundMessage, SendResult

LOG_SETTING = "echo_log"


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


class EchoChannel:
    """Posts review replies nowhere: it writes them to its log file and reports them sent."""

    name = "echo"
    kinds = frozenset({MessageKind.REVIEW_REPLY})
    limits = ChannelLimits(max_chars=100)

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        for message in messages:
            _append(
                self.path,
                {
                    "event": "sent",
                    "message_id": message.id,
                    "conversation_id": message.conversation_id,
                    "kind": message.kind.value,
                    "external_id": message.external_id,
                    "sender_name": message.sender_name,
                    "body": message.body,
                },
            )
        return [SendResult(message_id=message.id, ok=True) for message in messages]


def _log_path(settings: closedloop.Settings) -> Path | None:
    path = settings.extra.get(LOG_SETTING)
    return Path(path) if path else None


@closedloop.hookimpl
def closedloop_register_channels(registry: closedloop.Registry, settings: closedloop.Settings) -> None:
    path = _log_path(settings)
    if path is not None:
        registry.add_channel(EchoChannel(path))


@closedloop.hookimpl
def closedloop_conversation_changed(desk: closedloop.Desk, changes: Sequence[closedloop.ConversationChange]) -> None:
    path = _log_path(desk.settings)
    if path is None:
        return
    for change in changes:
        _append(
            path,
            {
                "event": "changed",
                "conversation_id": change.conversation.id,
                "status": change.conversation.status.value,
                "added": [entry.kind.value for entry in change.added],
            },
        )
