"""The desk's privacy key: what the hashes an erased review keeps are keyed with.

A desk configured with ``privacy_key`` uses it; otherwise the first erasure makes a random key and the store
keeps it, so every process on the same store hashes alike.
"""

from __future__ import annotations

import secrets

from closedloop.app.context import Context
from closedloop.ports import StoreTransaction

#: The marker the store keeps a generated key under.
KEY_MARKER = "privacy:key"


def privacy_key(ctx: Context, tx: StoreTransaction) -> bytes:
    """The configured key, else the store's, made now when there is none yet (in ``tx``)."""
    if ctx.settings.privacy_key is not None:
        return ctx.settings.privacy_key.encode("utf-8")
    stored = tx.markers.get(KEY_MARKER)
    if stored is None:
        stored = secrets.token_hex(32)
        tx.markers.put(KEY_MARKER, stored)
    return stored.encode("utf-8")
