"""Channels: how messages leave a desk, and what authors of channels and connectors need beyond the types.

The built-in channels live in submodules (:mod:`closedloop.channels.email` sends over SMTP,
:mod:`closedloop.channels.phone` records calls). This package itself is the public home of the helpers a
channel or a review connector written outside closedloop may use; the types they work with
(``OutboundMessage``, ``SendResult``, ``ChannelLimits``, ...) come from :mod:`closedloop` itself.
"""

from closedloop.channels.retry_after import parse_retry_after

__all__ = ["parse_retry_after"]
