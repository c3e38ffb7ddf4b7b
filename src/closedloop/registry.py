"""What plugins register into, one registry per desk."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from closedloop.domain.alerts import AlertRule
from closedloop.domain.errors import ChannelUnavailable, InvalidInput, NotConfigured
from closedloop.ports import Analyzer, Assistant, Channel, Clock, Connector, ReviewSource, Store
from closedloop.settings import Settings

StoreFactory = Callable[[str, Settings], Store]


class Registry:
    """Collects the stores, channels, assistants, analyzers and alert rules that plugins provide.

    For names that must be unique (store schemes, channels, assistants) the first registration wins:
    plugins are asked before the built-ins, so they can replace them. ``clock`` is the desk's (``None``: real
    time), handed to each connector registered with a ``clock`` of ``None``.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock
        self.stores: dict[str, StoreFactory] = {}
        self.channels: dict[str, Channel] = {}
        self.assistants: dict[str, Assistant] = {}
        self.analyzers: list[Analyzer] = []
        self.alert_rules: list[AlertRule] = []
        self.sources: dict[str, ReviewSource] = {}

    def add_store(self, scheme: str, factory: StoreFactory) -> None:
        self.stores.setdefault(scheme, factory)

    def add_source(self, source: ReviewSource) -> None:
        """A review platform to sync from, by its platform name; the first registration wins."""
        if not isinstance(source, ReviewSource):
            raise InvalidInput(f"{source!r} is not a review source: it needs platform and reviews(since=...)")
        self.sources.setdefault(source.platform, source)

    def source(self, platform: str) -> ReviewSource:
        try:
            return self.sources[platform]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise NotConfigured(
                f"no review source for platform {platform!r} (sources: {known}); install and configure its "
                "connector plugin"
            ) from None

    def add_connector(self, connector: Connector) -> None:
        """A review platform's connector, registered as the platform's source and as the channel of its replies."""
        roles = (
            ("a review source (platform, reviews(since=...))", ReviewSource),
            ("a channel (name, kinds, limits, send(messages))", Channel),
        )
        if missing := [role for role, kind in roles if not isinstance(connector, kind)]:
            raise InvalidInput(f"{connector!r} is not a connector: it is not {' nor '.join(missing)}")
        if connector.name != connector.platform:
            raise InvalidInput(
                f"the connector for {connector.platform!r} is named {connector.name!r}; review replies go to the "
                "channel named after the platform, so its name must be its platform"
            )
        if self.clock is not None and getattr(connector, "clock", False) is None:
            # so a connector reads a Retry-After date on the desk's time without its author passing it on; a
            # frozen one keeps real time
            with contextlib.suppress(AttributeError):
                setattr(connector, "clock", self.clock)  # noqa: B010 - an attribute the Connector protocol lacks
        self.add_source(connector)
        self.add_channel(connector)

    def add_channel(self, channel: Channel) -> None:
        if not isinstance(channel, Channel):
            raise InvalidInput(f"{channel!r} is not a channel: it needs name, kinds, limits and send(messages)")
        self.channels.setdefault(channel.name, channel)

    def add_assistant(self, assistant: Assistant) -> None:
        if not isinstance(assistant, Assistant):
            raise InvalidInput(f"{assistant!r} is not an assistant: it needs name, suggest() and rephrase()")
        self.assistants.setdefault(assistant.name, assistant)

    def add_analyzer(self, analyzer: Analyzer) -> None:
        if not isinstance(analyzer, Analyzer):
            raise InvalidInput(f"{analyzer!r} is not an analyzer: it needs name and analyze(texts)")
        self.analyzers.append(analyzer)

    def add_alert_rule(self, rule: AlertRule) -> None:
        if not isinstance(rule, AlertRule):
            raise InvalidInput(f"{rule!r} is not an alert rule: it needs name and check(feedback)")
        self.alert_rules.append(rule)

    def channel(self, name: str) -> Channel:
        try:
            return self.channels[name]
        except KeyError:
            known = ", ".join(sorted(self.channels)) or "none"
            raise ChannelUnavailable(
                f"no channel named {name!r} is registered (registered: {known}); install or register a "
                "plugin that adds it through closedloop_register_channels, or, for a review platform, through "
                "closedloop_register_connectors"
            ) from None

    def store_for(self, url: str, settings: Settings) -> Store:
        scheme = url.split(":", 1)[0].split("+", 1)[0]
        if scheme not in self.stores:
            known = ", ".join(f"{name}://" for name in sorted(self.stores))
            raise InvalidInput(f"no store handles {url!r}; the known schemes are {known}")
        return self.stores[scheme](url, settings)
