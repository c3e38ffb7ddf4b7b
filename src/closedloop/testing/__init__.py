"""Test support shipped with closedloop: a fake clock, a recording channel, the outbox, a review platform in
memory, pytest fixtures,
and the contract suites that third-party stores and channels run."""

from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock
from closedloop.testing.outbox import Outbox
from closedloop.testing.sources import PlatformInMemory

__all__ = ["FakeClock", "Outbox", "PlatformInMemory", "RecordingChannel"]
