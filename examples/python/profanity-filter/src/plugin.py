"""Profanity filter: a chat-message filter that masks listed words.

A filter (`@plugin.filter_chat_message`, permission "chat.filter") answers
`filter.modify(...)` with the changed message, or `filter.pass_()` when there
is nothing to change. Words match whole and ignoring case, so "Damn!" becomes
"****!" while "hello" stays as it is (upstream's list: damn, hell, crap).
"""

import re
from typing import Optional

from owncast_plugin import ChatMessage, filter, plugin

WORDS = frozenset({"damn", "hell", "crap"})

# Runs of letters and digits in any script.
WORD = re.compile(r"[^\W_]+")


def mask(body: str) -> Optional[str]:
    """The body with every listed word replaced by asterisks, or None when nothing matched."""
    changed = False

    def replace(m: "re.Match[str]") -> str:
        nonlocal changed
        if m.group(0).lower() not in WORDS:
            return m.group(0)
        changed = True
        return "*" * len(m.group(0))

    out = WORD.sub(replace, body)
    return out if changed else None


@plugin.filter_chat_message
def clean(msg: ChatMessage):
    masked = mask(msg.body)
    return filter.pass_() if masked is None else filter.modify({**msg.raw, "body": masked})
