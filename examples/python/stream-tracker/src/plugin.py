"""Stream tracker: every lifecycle event and the read APIs.

It keeps a little state in the key-value store (when the stream started, who
is in chat) and answers three chat commands, declared with `plugin.commands`
(register() declares them and the host routes matching chat messages to them
as `chat.command`; there is no on_chat_message):

    !uptime   seconds live (counted to the message's timestamp), viewers, title
    !who      the display names in chat
    !server   the server's name, version and summary

Going live and ending are announced as action messages; a new title as a
normal message. Permissions: chat.send, storage.kv, server.read.
"""

from datetime import datetime, timezone

from owncast_plugin import owncast, plugin


def people():
    return owncast.kv.get_json("users", [])


def set_people(names):
    owncast.kv.set_json("users", names)


def seconds(timestamp):
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return None


@plugin.on_stream_started
def started(info):
    owncast.kv.set("startedAt", info.started_at or "")
    owncast.chat.send_action("announces the stream is live" + (f": {info.title}" if info.title else ""))


@plugin.on_stream_stopped
def stopped(info):
    owncast.kv.set("startedAt", "")
    owncast.chat.send_action(f"stream ended at {info.stopped_at or 'now'}")


@plugin.on_stream_title_changed
def retitled(change):
    owncast.chat.send(f'title changed: "{change["from"]}" → "{change.to}"')


@plugin.on_chat_user_joined
def joined(user):
    names = people()
    if user.display_name not in names:
        set_people(names + [user.display_name])


@plugin.on_chat_user_parted
def parted(user):
    set_people([n for n in people() if n != user.display_name])


@plugin.on_chat_user_renamed
def renamed(change):
    set_people([change.user.display_name if n == change.previous_name else n for n in people()])


def uptime(ctx):
    stream = owncast.stream.current()
    if not stream.online:
        return ctx.reply("stream is offline")
    now = seconds(ctx.msg.timestamp)
    if now is None:
        now = datetime.now(timezone.utc).timestamp()
    since = seconds(stream.started_at) if stream.started_at else now
    live = max(0, int(now - (since if since is not None else now)))
    ctx.reply(f'uptime: {live}s, {stream.viewers} viewer(s), "{stream.title}"')


def who(ctx):
    names = people()
    ctx.reply(f"in chat: {', '.join(names)}" if names else "no one's here yet")


def server(ctx):
    info = owncast.server.info()
    ctx.reply(f"{info.name} v{info.version}, {info.summary}")


plugin.commands(
    {
        "uptime": {"description": "How long the stream has been live, with viewers and title", "run": uptime},
        "who": {"description": "Who is in chat", "run": who},
        "server": {"description": "The server's name, version and summary", "run": server},
    }
)
