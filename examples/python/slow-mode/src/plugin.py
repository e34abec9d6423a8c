"""Slow mode: a filter that drops, with its state in the key-value store.

A user's message is dropped when their last accepted message is less than
2 s older, by the messages' own timestamps (deterministic, and what tests can
control). Dropped messages do not restart the wait. Key `last:<user id>`
(permission "storage.kv") holds the time of the last accepted message, so the
wait survives a reload of the plugin.
"""

from datetime import datetime

from owncast_plugin import filter, owncast, plugin

MIN_GAP_MS = 2000


def millis(timestamp: str):
    """RFC 3339 as milliseconds since the epoch, or None."""
    try:
        return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)
    except (ValueError, AttributeError):
        return None


@plugin.filter_chat_message
def slow_mode(msg):
    user = msg.user
    user_id = (user.id if user else None) or "anonymous"
    at = millis(msg.timestamp)
    if at is None:
        return filter.pass_()
    key = f"last:{user_id}"
    last = owncast.kv.get(key)
    if last is not None and last.lstrip("-").isdigit():
        gap = at - int(last)
        if 0 <= gap < MIN_GAP_MS:
            name = (user.display_name if user else None) or user_id
            return filter.drop(f"slow-mode: {name} must wait {MIN_GAP_MS}ms between messages")
    owncast.kv.set(key, str(at))
    return filter.pass_()
