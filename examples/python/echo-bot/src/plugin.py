"""Echo bot: answers every chat message with "<name> said: <body>".

A notification handler (`@plugin.on_chat_message`) and `owncast.chat.send`
(permission "chat.send"), which speaks as the manifest's bot. The bot's own
messages come back as chat messages too, marked is_bot: echoing them would
loop forever, so messages from bots are ignored.
"""

from owncast_plugin import owncast, plugin


@plugin.on_chat_message
def echo(msg):
    user = msg.user
    if user is None or user.is_bot or not msg.body.strip():
        return
    owncast.chat.send(f"{user.display_name} said: {msg.body}")
