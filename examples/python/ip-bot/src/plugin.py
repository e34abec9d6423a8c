"""IP bot: outbound HTTP. "!ip" in chat makes one GET to api.ipify.org (the
only host the manifest's network.allowedHosts allows) and answers with the
address, or with the HTTP status when the lookup fails.

`owncast.http.fetch` needs permission "network.fetch"; in the component it
is wasi:http/outgoing-handler, which the build imports only with it.
"""

import json

from owncast_plugin import owncast, plugin

# wasi:http requests always carry a path: "/" here, written out so the URL
# the host records is the one in this file.
LOOKUP = "https://api.ipify.org/?format=json"


@plugin.on_chat_message
def ip(msg):
    if msg.body.strip() != "!ip":
        return
    res = owncast.http.fetch(LOOKUP)
    if res.status != 200:
        owncast.chat.send(f"couldn't fetch IP (status {res.status})")
        return
    try:
        address = json.loads(res.body).get("ip")
    except (ValueError, AttributeError):
        address = None
    owncast.chat.send(f"server IP: {address}" if address else "couldn't read the IP from the answer")
