"""How a desk gets its plugins: built-ins through the same hooks, the desk's own plugins, blocked names, and a
plugin manager per desk so that two desks never share plugins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

import closedloop
from closedloop import (
    ChannelUnavailable,
    Contact,
    Conversation,
    Desk,
    Feedback,
    InvalidInput,
    MessageKind,
    Place,
    Rating,
    RatingKind,
    Registry,
    Settings,
    Source,
    User,
)
from closedloop.testing import FakeClock, RecordingChannel

BUILTINS = ("closedloop.storage.memory", "closedloop.channels.phone", "closedloop.alerting")


def feedback(external_id: str = "s-1", **overrides: Any) -> Feedback:
    values: dict[str, Any] = {
        "source": Source.SURVEY,
        "external_id": external_id,
        "place_id": "paris",
        "received_at": datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        "contact": Contact(name="Claire Martin", email="claire@example.com", tel="+33 6 12 34 56 78"),
        "comments": "The soup was cold.",
    }
    values.update(overrides)
    return Feedback(**values)


def seeded(desk: Desk) -> Desk:
    desk.add_place(Place(id="paris", name="Paris Opera"))
    desk.add_user(User(id="ana", name="Ana Agent", places={"paris"}))
    return desk


class Events:
    """A plugin that records what the event hooks are told."""

    def __init__(self) -> None:
        self.ingested: list[list[str]] = []
        self.changed: list[str] = []

    @closedloop.hookimpl
    def closedloop_feedback_ingested(self, desk: Desk, conversations: Sequence[Conversation]) -> None:
        self.ingested.append([conversation.feedback.external_id for conversation in conversations])

    @closedloop.hookimpl
    def closedloop_conversation_changed(self, desk: Desk, changes: Sequence[closedloop.ConversationChange]) -> None:
        self.changed.extend(change.conversation.id for change in changes)


# -- one plugin manager per desk -------------------------------------------------------------------------------


def test_two_desks_with_different_plugins_do_not_share_them() -> None:
    email = RecordingChannel("email")
    events = Events()
    with Desk.open(plugins=[email]) as first, Desk.open(plugins=[events]) as second:
        assert first.plugins is not second.plugins
        assert first.plugins.is_registered(email) and not second.plugins.is_registered(email)
        assert second.plugins.is_registered(events) and not first.plugins.is_registered(events)

        assert first.channel("email") is email
        with pytest.raises(ChannelUnavailable):
            second.channel("email")

        conversation = seeded(first).ingest(feedback())
        first.note(conversation.id, by="ana", body="Calling her back.")
        assert events.ingested == [] and events.changed == []  # the second desk's plugin heard nothing

        other = seeded(second).ingest(feedback())
        assert events.ingested == [["s-1"]]
        assert other.id != conversation.id


def test_blocking_a_plugin_in_one_desk_leaves_the_next_desk_alone() -> None:
    with Desk.open(blocked_plugins=["closedloop.channels.phone"]) as blocked:
        assert "closedloop.channels.phone" not in blocked.plugin_names
    with Desk.open() as ordinary:
        assert "closedloop.channels.phone" in ordinary.plugin_names
        assert ordinary.channel("phone").name == "phone"


# -- built-ins are plugins like any other ----------------------------------------------------------------------


def test_builtins_are_registered_through_the_same_hooks() -> None:
    with Desk.open() as desk:
        assert set(BUILTINS) <= set(desk.plugin_names)
        hooks = desk.plugins.hook
        assert "closedloop.storage.memory" in [
            impl.plugin_name for impl in hooks.closedloop_register_stores.get_hookimpls()
        ]
        assert "closedloop.channels.phone" in [
            impl.plugin_name for impl in hooks.closedloop_register_channels.get_hookimpls()
        ]
        assert "closedloop.alerting" in [
            impl.plugin_name for impl in hooks.closedloop_register_alert_rules.get_hookimpls()
        ]
        assert "phone" in desk.registry.channels


def test_blocking_the_phone_builtin_makes_call_logging_unavailable() -> None:
    with Desk.open(blocked_plugins=["closedloop.channels.phone"]) as desk:
        assert "closedloop.channels.phone" not in desk.plugin_names
        conversation = seeded(desk).ingest(feedback())  # a valid tel: only the missing channel stops the call
        with pytest.raises(ChannelUnavailable, match="'phone'"):
            desk.log_call(conversation.id, by="ana", summary="Called, she was pleased.")
        assert desk.conversation(conversation.id, by="ana") == conversation


def test_blocking_the_alerting_builtin_raises_no_alerts() -> None:
    detractor = feedback(ratings=[Rating(key="nps", kind=RatingKind.NPS, value=1)])
    with Desk.open() as desk:
        assert seeded(desk).ingest(detractor).alert is not None
    with Desk.open(blocked_plugins=["closedloop.alerting"]) as desk:
        assert seeded(desk).ingest(detractor).alert is None


def test_blocking_the_memory_store_leaves_no_store_for_the_default_url() -> None:
    with pytest.raises(InvalidInput, match="memory://"):
        Desk.open(blocked_plugins=["closedloop.storage.memory"])


# -- the desk's own plugins --------------------------------------------------------------------------------------


def test_email_replies_need_a_plugin_channel_named_email() -> None:
    with Desk.open(clock=FakeClock()) as desk:
        conversation = seeded(desk).ingest(feedback())
        with pytest.raises(ChannelUnavailable, match="'email'"):
            desk.reply(conversation.id, by="ana", body="Sorry about the soup.")
        assert desk.conversation(conversation.id, by="ana") == conversation
        assert desk.outbox() == []


def test_a_plugin_channel_named_email_carries_the_replies() -> None:
    email = RecordingChannel("email")
    with Desk.open(clock=FakeClock(), plugins=[email]) as desk:
        conversation = seeded(desk).ingest(feedback())
        desk.reply(conversation.id, by="ana", body="Sorry about the soup.")
        assert desk.dispatch().sent == 1
        (sent,) = email.sent
        assert (sent.kind, sent.recipients, sent.body) == (
            MessageKind.CUSTOMER_REPLY,
            ("claire@example.com",),
            "Sorry about the soup.",
        )


def test_a_plugin_channel_replaces_the_builtin_of_the_same_name() -> None:
    telephony = RecordingChannel("phone", kinds=[])
    with Desk.open(plugins=[telephony]) as desk:
        assert desk.channel("phone") is telephony
        assert "closedloop.channels.phone" in desk.plugin_names  # still loaded, but asked after the plugin


def test_the_same_plugin_given_twice_is_refused() -> None:
    email = RecordingChannel("email")
    with pytest.raises(InvalidInput, match="twice"):
        Desk.open(plugins=[email, email])


# -- settings --------------------------------------------------------------------------------------------------


def test_an_unknown_setting_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="colour") as caught:
        Desk.open(colour="blue", business_name="Cafe")
    assert "business_name" in str(caught.value)  # the message lists the settings there are
    with pytest.raises(InvalidInput, match=r"blocked_plugin\b.*\bplugin\b"):
        Desk.open(blocked_plugin=["closedloop.alerting"], plugin=[])


def test_plugins_read_their_own_settings_from_extra() -> None:
    seen: list[dict[str, Any]] = []

    class Reader:
        @closedloop.hookimpl
        def closedloop_register_channels(self, registry: Registry, settings: Settings) -> None:
            seen.append(dict(settings.extra))

    with Desk.open(plugins=[Reader()], extra={"sms_api_key": "k-123"}) as desk:
        assert desk.settings.extra == {"sms_api_key": "k-123"}
    assert seen == [{"sms_api_key": "k-123"}]


# -- hook implementations are checked when the desk opens ------------------------------------------------------


def test_a_misspelled_hook_is_refused_when_the_desk_opens() -> None:
    class Misspelled:
        @closedloop.hookimpl
        def closedloop_register_chanels(self, registry: Registry, settings: Settings) -> None:
            raise AssertionError("never called")

    # a closedloop error, so an application catching ClosedLoopError at its edge sees it
    with pytest.raises(closedloop.PluginRefused, match="closedloop_register_chanels"):
        Desk.open(plugins=[Misspelled()])


def test_a_hook_with_an_argument_the_spec_does_not_have_is_refused() -> None:
    class WrongArgument:
        @closedloop.hookimpl
        def closedloop_register_channels(self, registry: Registry, setting: Settings) -> None:
            raise AssertionError("never called")

    with pytest.raises(closedloop.PluginRefused, match="setting"):
        Desk.open(plugins=[WrongArgument()])


# -- event hooks -------------------------------------------------------------------------------------------------


def test_feedback_ingested_is_called_once_per_new_conversation_and_never_for_duplicates() -> None:
    events = Events()
    with Desk.open(plugins=[events]) as desk:
        seeded(desk)
        first = desk.ingest(feedback("s-1"))
        second = desk.ingest(feedback("s-2"))
        assert events.ingested == [["s-1"], ["s-2"]]

        again = desk.ingest(feedback("s-1", comments="Sent twice by the survey tool."))
        assert again == first  # the stored conversation, unchanged
        assert events.ingested == [["s-1"], ["s-2"]]

        # the key is (source, platform, external_id): the same id from elsewhere is other feedback
        review = desk.ingest(feedback("s-1", source=Source.REVIEW, platform="google"))
        assert review.id not in (first.id, second.id)
        assert events.ingested == [["s-1"], ["s-2"], ["s-1"]]
        assert events.changed == []  # intake is not a change of an existing conversation


def test_conversation_changed_is_told_of_each_change_after_it_is_saved() -> None:
    stored: list[Conversation] = []

    class Watcher:
        @closedloop.hookimpl
        def closedloop_conversation_changed(self, desk: Desk, changes: Sequence[closedloop.ConversationChange]) -> None:
            stored.extend(desk.conversation(change.conversation.id, by="ana") for change in changes)

    with Desk.open(plugins=[Watcher()]) as desk:
        conversation = seeded(desk).ingest(feedback())
        noted = desk.note(conversation.id, by="ana", body="Calling her back.")
        assert stored == [noted]  # what the hook reads back is what was committed
        with pytest.raises(InvalidInput):
            desk.note(conversation.id, by="ana", body="  ")
        desk.mark_read(conversation.id, by="ana")  # nothing to read: no change, no event
        assert stored == [noted]
