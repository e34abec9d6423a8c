"""Chat stats: counts chat messages per user and serves the counts over HTTP.

    GET  /plugins/chat-stats/api/stats   {"total": n, "users": {name: n}}
    POST /plugins/chat-stats/api/reset   forget the counts (signed-in users only)

Routes (`@plugin.get`, `@plugin.post`, permission "http.serve") match exact
paths; another method on a routed path answers 405, any other path 404. The
counts live in the key-value store (permission "storage.kv").
"""

from owncast_plugin import HttpRequest, owncast, plugin

KEY = "counts"


@plugin.on_chat_message
def count(msg):
    user = msg.user
    if user is None or user.is_bot:
        return
    counts = owncast.kv.get_json(KEY, {})
    counts[user.display_name] = counts.get(user.display_name, 0) + 1
    owncast.kv.set_json(KEY, counts)


@plugin.get("/api/stats")
def stats(req: HttpRequest):
    counts = owncast.kv.get_json(KEY, {})
    top = req.query.get("top")
    users = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if top and top.isdigit():
        users = dict(list(users.items())[: int(top)])
    return {"status": 200, "body": {"total": sum(counts.values()), "users": users}}


@plugin.post("/api/reset")
def reset(req: HttpRequest):
    if not req.authenticated:
        return {"status": 401, "body": {"error": "sign in to reset the counts"}}
    owncast.kv.delete(KEY)
    return None
