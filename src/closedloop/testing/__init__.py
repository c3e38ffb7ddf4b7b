"""Test support shipped with closedloop: a fake clock, a recording channel, the outbox, pytest fixtures,
and the contract suites that third-party stores and channels run."""

from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock
from closedloop.testing.outbox import Outbox

__all__ = ["FakeClock", "Outbox", "RecordingChannel"]
