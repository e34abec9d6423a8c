"""Owncast plugins in Python, built into WebAssembly components.

    from owncast_plugin import plugin, owncast, filter

    @plugin.on_chat_message
    def echo(msg):
        owncast.chat.send(f"{msg.user.display_name} said: {msg.body}")

    @plugin.filter_chat_message
    def no_spam(msg):
        return filter.drop("spam") if "spam" in msg.body else filter.pass_()

The API is upstream's Python SDK's (owncast/plugin-sdk `sdks/python`): the
same module, decorators and `owncast.*` names, so an upstream plugin source
builds unchanged. `owncast-plugin build` (or `python -m owncast_plugin build`)
compiles `src/plugin.py` with componentize-py into `<slug>.wasm`, a component
of a world derived from the manifest's permissions: only granted host
interfaces are part of it. Subscriptions follow from the handlers defined.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union

from . import _bindings, _http
from ._wire import ChatMessage, ChatUser, HttpRequest, Obj, from_wire, to_wire, view

__all__ = ["plugin", "owncast", "filter", "auth_check", "CommandContext", "Obj", "ChatMessage", "ChatUser", "HttpRequest"]

F = TypeVar("F", bound=Callable[..., Any])
FilterVerdict = Dict[str, Any]
HttpReply = Union[Dict[str, Any], str, None]

CHAT_MESSAGE = "chat.message.received"

# decorator -> (event type, kind)
HANDLERS: Dict[str, Tuple[str, str]] = {
    "on_chat_message": ("chat.message.received", "notify"),
    "on_chat_user_joined": ("chat.user.joined", "notify"),
    "on_chat_user_parted": ("chat.user.parted", "notify"),
    "on_chat_user_renamed": ("chat.user.renamed", "notify"),
    "on_message_moderated": ("chat.message.moderated", "notify"),
    "on_stream_started": ("stream.started", "notify"),
    "on_stream_stopped": ("stream.stopped", "notify"),
    "on_stream_title_changed": ("stream.title.changed", "notify"),
    "on_sse_connect": ("sse.connect", "notify"),
    "on_sse_disconnect": ("sse.disconnect", "notify"),
    "on_tick": ("tick", "notify"),
    "on_fediverse": ("fediverse.activity", "notify"),
    "on_fediverse_follow": ("fediverse.follow", "notify"),
    "on_fediverse_like": ("fediverse.like", "notify"),
    "on_fediverse_repost": ("fediverse.repost", "notify"),
    "on_fediverse_quote": ("fediverse.quote", "notify"),
    "on_fediverse_mention": ("fediverse.mention", "notify"),
    "on_fediverse_reply": ("fediverse.reply", "notify"),
    "filter_chat_message": ("chat.message.received", "filter"),
}


class Registry:
    """What the plugin's decorators registered (read by the component's exports)."""

    def __init__(self) -> None:
        self.notify: Dict[str, Callable[[Any], None]] = {}
        self.filter: Dict[str, Callable[[Any], Any]] = {}
        self.custom: Dict[str, Callable[[Any], None]] = {}
        self.http: Optional[Callable[[HttpRequest], HttpReply]] = None
        self.routes: List[Tuple[str, str, Callable[[HttpRequest], HttpReply]]] = []
        self.filter_priority: Optional[int] = None
        self.commands: Dict[str, Dict[str, Any]] = {}
        self.command_names: Dict[str, str] = {}
        self.command_prefix = "!"
        self.commands_case_sensitive = False
        self.timers: Dict[int, Tuple[Callable[[], Any], bool]] = {}
        self.next_timer = 1
        # Page content (world `page-content`'s exports): tab slug -> handler,
        # page-slot slug -> handler, and the page's extra CSS and JavaScript.
        self.tab_content: Dict[str, Callable[[Obj], Any]] = {}
        self.page_content: Dict[str, Callable[[Obj], Any]] = {}
        self.page_styles: Optional[Callable[[], Any]] = None
        self.page_scripts: Optional[Callable[[], Any]] = None
        self.unsupported: List[str] = []

    def subscriptions(self) -> Tuple[List[str], List[Tuple[str, Optional[int]]]]:
        """(notify events, [(filter event, priority)]), from the handlers present
        (commands need none: the host routes them as `chat.command`)."""
        notify = list(self.notify)
        notify += [e for e in self.custom if e not in notify]
        return notify, [(e, self.filter_priority) for e in self.filter]

    def command_infos(self) -> List[Dict[str, Any]]:
        """The commands as `register()` declares them (upstream's CommandInfo, wire keys)."""
        return [
            {
                "name": name,
                "prefix": self.command_prefix,
                "description": command.get("description") or "",
                "usage": command.get("usage") or "",
                "aliases": list(command.get("aliases") or []),
                "modOnly": bool(command.get("mod_only")),
                "caseSensitive": self.commands_case_sensitive,
                "cooldownMs": int(command.get("cooldown_ms") or 0),
            }
            for name, command in self.commands.items()
        ]

    def run_command(self, event: Any) -> bool:
        """Runs the command a host `chat.command` payload
        `{message, command, invokedAs, args, argString}` names; True when one ran."""
        if not isinstance(event, dict):
            return False
        command = self.commands.get(event.get("command"))
        if command is None:
            return False
        msg = view(event.get("message") or {})
        name = event["command"]
        args = [a for a in event.get("args") or [] if isinstance(a, str)]
        ctx = CommandContext(msg, name, event.get("invokedAs") or name, args, event.get("argString") or "")
        command["run"](ctx)
        return True


REGISTRY = Registry()


class _Plugin:
    """Handler decorators. Each subscribes the plugin to one event."""

    def __init__(self) -> None:
        for name, (event, kind) in HANDLERS.items():
            setattr(self, name, self._decorator(event, kind))

    @staticmethod
    def _decorator(event: str, kind: str) -> Callable[[F], F]:
        def deco(fn: F) -> F:
            (REGISTRY.filter if kind == "filter" else REGISTRY.notify)[event] = fn
            return fn

        return deco

    # Typed signatures of the common decorators, for editors (the instances'
    # attributes set in __init__ are the real ones).
    on_chat_message: Callable[[Callable[[ChatMessage], None]], Callable[[ChatMessage], None]]
    filter_chat_message: Callable[[Callable[[ChatMessage], FilterVerdict]], Callable[[ChatMessage], FilterVerdict]]
    on_chat_user_joined: Callable[[Callable[[ChatUser], None]], Callable[[ChatUser], None]]
    on_chat_user_parted: Callable[[Callable[[ChatUser], None]], Callable[[ChatUser], None]]
    on_stream_started: Callable[[Callable[[Obj], None]], Callable[[Obj], None]]
    on_stream_stopped: Callable[[Callable[[Obj], None]], Callable[[Obj], None]]
    on_stream_title_changed: Callable[[Callable[[Obj], None]], Callable[[Obj], None]]

    def on(self, event_type: str) -> Callable[[F], F]:
        """A custom event (emitted by a plugin with `owncast.events.emit`); the
        handler gets the payload as JSON-decoded Python values."""

        def deco(fn: F) -> F:
            REGISTRY.custom[event_type] = fn
            return fn

        return deco

    def set_filter_priority(self, priority: int) -> None:
        """Position of this plugin's filters in the chain (lower runs first).
        Without it the manifest's `filterPriority` applies."""
        REGISTRY.filter_priority = int(priority)

    def on_http_request(self, arg: Any = None, *, methods: Optional[List[str]] = None) -> Any:
        """Requests under /plugins/<slug>/ (permission http.serve). Bare: the
        catch-all; with a path: that exact path (any method, or `methods`)."""
        if callable(arg):
            REGISTRY.http = arg
            return arg

        def deco(fn: F) -> F:
            self._route(arg, methods, fn)
            return fn

        return deco

    @staticmethod
    def _route(path: str, methods: Optional[List[str]], fn: Callable[..., Any]) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        for m in methods or ["*"]:
            REGISTRY.routes.append((m.upper(), path, fn))

    def route(self, path: str, methods: Optional[List[str]] = None) -> Callable[[F], F]:
        def deco(fn: F) -> F:
            self._route(path, methods, fn)
            return fn

        return deco

    def get(self, path: str) -> Callable[[F], F]:
        return self.route(path, ["GET"])

    def post(self, path: str) -> Callable[[F], F]:
        return self.route(path, ["POST"])

    def put(self, path: str) -> Callable[[F], F]:
        return self.route(path, ["PUT"])

    def delete(self, path: str) -> Callable[[F], F]:
        return self.route(path, ["DELETE"])

    def patch(self, path: str) -> Callable[[F], F]:
        return self.route(path, ["PATCH"])

    # Upstream features this host's contract (wit/) does not carry yet: the
    # decorators exist so such a plugin imports, and the build refuses it
    # with the feature named.
    def _unsupported(self, what: str) -> Callable[..., Any]:
        REGISTRY.unsupported.append(what)

        def deco(fn: F) -> F:
            return fn

        return deco

    def on_auth_check(self, fn: F) -> F:
        return self._unsupported("plugin.on_auth_check (auth.gate)")(fn)

    # Page content: world `page-content`'s exports. The build exports those
    # the plugin defines; the host calls them while it builds the viewer
    # page (permission `ui.modify`) and sanitizes the HTML. A handler returns
    # a string; None (a bare `return`) contributes nothing.
    def on_tab_content(self, slug: str) -> Callable[[F], F]:
        """The HTML of the manifest tab `slug` (a `tabs` entry without
        `content`); the handler gets the request view (`req.slug`, `req.user`)."""
        return self._content(REGISTRY.tab_content, slug, "on_tab_content")

    def on_page_content(self, slug: str) -> Callable[[F], F]:
        """The HTML of the `extraPageContent` slot `slug` (one without
        `content`); the handler gets the request view (`req.slug`, `req.user`)."""
        return self._content(REGISTRY.page_content, slug, "on_page_content")

    @staticmethod
    def _content(table: Dict[str, Callable[[Obj], Any]], slug: str, what: str) -> Callable[[F], F]:
        if not isinstance(slug, str) or not slug:
            raise TypeError(f"plugin.{what} needs the slug of the tab or slot, e.g. @plugin.{what}(\"rules\")")

        def deco(fn: F) -> F:
            table[slug] = fn
            return fn

        return deco

    def on_page_styles(self, fn: F) -> F:
        """CSS added to the viewer page after the plugin's `styles` files.
        Used bare: `@plugin.on_page_styles`."""
        REGISTRY.page_styles = fn
        return fn

    def on_page_scripts(self, fn: F) -> F:
        """JavaScript added to the viewer page after the plugin's `scripts`
        files; the host runs it in its own try/catch. Used bare:
        `@plugin.on_page_scripts`."""
        REGISTRY.page_scripts = fn
        return fn

    def commands(
        self, table: Dict[str, Dict[str, Any]], *, prefix: str = "!", case_sensitive: bool = False
    ) -> Dict[str, Dict[str, Any]]:
        """Chat commands, as upstream's: `{name: {run, aliases?, mod_only?,
        cooldown_ms?, description?, usage?}}`; `register()` declares them and
        the host routes each chat message that invokes one to `run(ctx)` (a
        `CommandContext`) as `chat.command`. The host ignores a mod-only
        command from others and one inside its cooldown (per user, by message
        timestamps), and lists the commands in its `!help`."""
        if not isinstance(table, dict):
            raise TypeError("commands table must be a dict")
        if not isinstance(prefix, str) or not prefix:
            raise TypeError("command prefix must be a non-empty string")
        for name, command in table.items():
            if not isinstance(command, dict):
                raise TypeError(f'command "{name}" must be a dict')
            if not callable(command.get("run")):
                raise TypeError(f'command "{name}" needs a run(ctx) function')
            aliases = command.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise TypeError(f'command "{name}" aliases must be a list of strings')
            cooldown = command.get("cooldown_ms") or 0
            if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 0:
                raise TypeError(f'command "{name}" cooldown_ms must be a non-negative integer')
            for n in [name] + aliases:
                REGISTRY.command_names[n if case_sensitive else n.lower()] = name
            REGISTRY.commands[name] = command
        REGISTRY.command_prefix = prefix
        REGISTRY.commands_case_sensitive = case_sensitive
        return table


plugin = _Plugin()


class _Filter:
    """What a filter handler returns."""

    def pass_(self) -> FilterVerdict:
        return {"action": "pass"}

    def drop(self, reason: str = "") -> FilterVerdict:
        return {"action": "drop", "reason": reason}

    def modify(self, payload: Any) -> FilterVerdict:
        """Replace the event's payload: a wire dict (`{"body": ...}`, fields
        left out keep their value) or the payload view itself, changed."""
        return {"action": "modify", "payload": payload}


filter = _Filter()


class _AuthCheck:
    def ok(self) -> Dict[str, Any]:
        return {"action": "ok"}

    def refresh(self, ttl: int = 0) -> Dict[str, Any]:
        return {"action": "refresh", "ttl": int(ttl)} if ttl else {"action": "refresh"}

    def deny(self, reason: str = "") -> Dict[str, Any]:
        return {"action": "deny", "reason": reason}


auth_check = _AuthCheck()


class CommandContext:
    """What a chat command's `run` receives (`plugin.commands`)."""

    def __init__(self, msg: ChatMessage, command: str, invoked_as: str, args: List[str], arg_string: str) -> None:
        self.msg = msg
        self.user = msg.user
        self.command = command
        self.invoked_as = invoked_as
        self.args = args
        self.arg_string = arg_string

    def reply(self, text: str) -> None:
        owncast.chat.send(text)

    def reply_privately(self, text: str) -> None:
        if not owncast.chat.reply_to(self.msg, text):
            owncast.chat.send(text)


# ---------------------------------------------------------------------------
# owncast.*: the host, one group per permission.
# ---------------------------------------------------------------------------


def _host(interface: str, function: str) -> Callable[[F], F]:
    """Marks a facade method as calling WIT `interface#function`; the build's
    permission check and the PermissionError both read it."""

    def deco(method: F) -> F:
        method._owncast_call = (interface, function)  # type: ignore[attr-defined]
        return method

    return deco


def _unsupported(what: str, why: str = "this host's contract (wit/) has no such host function yet") -> Callable[..., Any]:
    def method(*_: Any, **__: Any) -> Any:
        raise NotImplementedError(f"owncast.{what}: {why}")

    method._owncast_unsupported = why  # type: ignore[attr-defined]
    return method


def _call(interface: str, function: str, api: str, *args: Any) -> Any:
    return _bindings.function(interface, function, api)(*args)


def _t() -> Any:
    return _bindings.types()


def _result(interface: str, function: str, api: str, *args: Any) -> Any:
    """Calls a host function returning `result<T, string>`: T's wire form, or
    `{"error": message}` (componentize-py raises `Err` for an error)."""
    try:
        return _to_obj(_call(interface, function, api, *args))
    except Exception as e:  # componentize_py_types.Err
        if type(e).__name__ == "Err":
            return {"error": str(getattr(e, "value", e))}
        raise


def _to_obj(value: Any) -> Any:
    return view(to_wire(value))


class _Log:
    def _log(self, level: str, message: Any) -> None:
        log = _bindings.interface("log")
        if log is None:
            print(f"[{level}] {message}")
            return
        log.log(getattr(log.Level, level), str(message))

    def debug(self, message: Any) -> None:
        self._log("DEBUG", message)

    def info(self, message: Any) -> None:
        self._log("INFO", message)

    def warning(self, message: Any) -> None:
        self._log("WARN", message)

    warn = warning

    def error(self, message: Any) -> None:
        self._log("ERROR", message)


class _Chat:
    @_host("chat", "send")
    def send(self, text: str) -> None:
        _call("chat", "send", "owncast.chat.send", str(text))

    @_host("chat", "send-action")
    def send_action(self, text: str) -> None:
        _call("chat", "send-action", "owncast.chat.send_action", str(text))

    @_host("chat", "send-system")
    def system(self, body: str) -> None:
        _call("chat", "send-system", "owncast.chat.system", str(body))

    @_host("chat", "send-to")
    def send_to(self, client_id: int, text: str) -> None:
        _call("chat", "send-to", "owncast.chat.send_to", int(client_id), str(text))

    @_host("chat", "send-to")
    def reply_to(self, msg: Any, text: str) -> bool:
        """Answer only the sender of `msg` (a message or a client id); False
        when the message has no client id."""
        cid = msg.client_id if isinstance(msg, Obj) else msg
        if cid is None:
            return False
        self.send_to(int(cid), text)
        return True

    @_host("chat-history", "history")
    def history(self, limit: int = 0) -> List[ChatMessage]:
        return _to_obj(_call("chat-history", "history", "owncast.chat.history", int(limit)))

    @_host("chat-history", "clients")
    def clients(self) -> List[Obj]:
        return _to_obj(_call("chat-history", "clients", "owncast.chat.clients"))

    @_host("chat-moderate", "delete-message")
    def delete_message(self, message_id: str) -> None:
        _call("chat-moderate", "delete-message", "owncast.chat.delete_message", str(message_id))

    @_host("chat-moderate", "kick-client")
    def kick(self, client_id: int) -> None:
        _call("chat-moderate", "kick-client", "owncast.chat.kick", int(client_id))


class _KV:
    @_host("kv", "get")
    def get(self, key: str) -> Optional[str]:
        value = _call("kv", "get", "owncast.kv.get", str(key))
        return value if value else None

    @_host("kv", "set")
    def set(self, key: str, value: str) -> None:
        _call("kv", "set", "owncast.kv.set", str(key), str(value))

    @_host("kv", "get")
    def get_json(self, key: str, fallback: Any = None) -> Any:
        raw = self.get(key)
        if raw is None:
            return fallback
        try:
            return json.loads(raw)
        except ValueError:
            return fallback

    @_host("kv", "set")
    def set_json(self, key: str, value: Any) -> None:
        self.set(key, json.dumps(value))

    @_host("kv", "set")
    def delete(self, key: str) -> None:
        # The contract has no delete: an empty value reads back as absent.
        self.set(key, "")


def _bytes(data: Any) -> bytes:
    return bytes(data) if isinstance(data, (bytes, bytearray)) else str(data).encode("utf-8")


class _Storage:
    @_host("upload", "upload")
    def upload(self, name: str, data: Union[str, bytes]) -> Any:
        return _result("upload", "upload", "owncast.storage.upload", str(name), _bytes(data))


class _FS:
    @_host("fs", "read")
    def read_text(self, path: str) -> Optional[str]:
        data = _call("fs", "read", "owncast.fs.read_text", str(path))
        return None if data is None else bytes(data).decode("utf-8", "replace")

    read = read_text

    @_host("fs", "read")
    def read_bytes(self, path: str) -> Optional[bytes]:
        data = _call("fs", "read", "owncast.fs.read_bytes", str(path))
        return None if data is None else bytes(data)

    @_host("fs", "write")
    def write(self, path: str, data: Union[str, bytes]) -> Any:
        return _to_obj(_call("fs", "write", "owncast.fs.write", str(path), _bytes(data)))

    @_host("fs", "list")
    def list(self, directory: str = "") -> List[str]:
        return list(_call("fs", "list", "owncast.fs.list", str(directory)))

    @_host("fs", "delete")
    def delete(self, path: str) -> Any:
        return _to_obj(_call("fs", "delete", "owncast.fs.delete", str(path)))

    @_host("fs", "exists")
    def exists(self, path: str) -> bool:
        return bool(_call("fs", "exists", "owncast.fs.exists", str(path)))


class _Events:
    @_host("events", "emit")
    def emit(self, event_type: str, payload: Any) -> None:
        _call("events", "emit", "owncast.events.emit", str(event_type), json.dumps(payload))


class _Server:
    @_host("server", "server-info")
    def info(self) -> Obj:
        return _to_obj(_call("server", "server-info", "owncast.server.info"))

    @_host("server", "server-socials")
    def socials(self) -> List[Obj]:
        return _to_obj(_call("server", "server-socials", "owncast.server.socials"))

    @_host("server", "server-federation")
    def federation(self) -> Obj:
        return _to_obj(_call("server", "server-federation", "owncast.server.federation"))

    @_host("server", "server-tags")
    def tags(self) -> List[str]:
        return list(_call("server", "server-tags", "owncast.server.tags"))

    @_host("server", "server-emotes")
    def emotes(self) -> List[Obj]:
        return _to_obj(_call("server", "server-emotes", "owncast.server.emotes"))


class _Stream:
    @_host("server", "stream-current")
    def current(self) -> Obj:
        return _to_obj(_call("server", "stream-current", "owncast.stream.current"))

    @_host("server", "stream-broadcaster")
    def broadcaster(self) -> Obj:
        return _to_obj(_call("server", "stream-broadcaster", "owncast.stream.broadcaster"))


class _VideoConfig:
    @_host("video-config", "read")
    def read(self) -> Obj:
        return _to_obj(_call("video-config", "read", "owncast.video_config.read"))

    @_host("video-config", "write")
    def write(self, config: Dict[str, Any]) -> None:
        """Apply a partial update; RuntimeError when Owncast refuses it."""
        update = from_wire(_t().VideoConfigUpdate, config)
        result = _result("video-config", "write", "owncast.video_config.write", update)
        if isinstance(result, dict) and "error" in result:
            raise RuntimeError(result["error"] or "video_config.write failed")


class _Notifications:
    @_host("notifications", "notify-discord")
    def discord(self, text: str) -> None:
        _call("notifications", "notify-discord", "owncast.notifications.discord", str(text))

    @_host("notifications", "notify-browser-push")
    def browser_push(self, payload: Union[str, Dict[str, Any]]) -> None:
        data = {"title": payload} if isinstance(payload, str) else payload
        push = from_wire(_t().BrowserPush, data)
        _call("notifications", "notify-browser-push", "owncast.notifications.browser_push", push)

    @_host("notifications", "notify-fediverse")
    def fediverse(self, payload: Dict[str, Any]) -> None:
        note = from_wire(_t().FediverseNotification, payload)
        _call("notifications", "notify-fediverse", "owncast.notifications.fediverse", note)


class _Users:
    @_host("users", "list")
    def list(self) -> List[Obj]:
        return _to_obj(_call("users", "list", "owncast.users.list"))

    @_host("users", "get")
    def get(self, user_id: str) -> Optional[Obj]:
        return _to_obj(_call("users", "get", "owncast.users.get", str(user_id)))

    @_host("users-moderate", "set-enabled")
    def set_enabled(self, user_id: str, enabled: bool, reason: str = "") -> None:
        _call("users-moderate", "set-enabled", "owncast.users.set_enabled", str(user_id), bool(enabled), str(reason))

    @_host("users-moderate", "ban-ip")
    def ban_ip(self, ip: str) -> None:
        _call("users-moderate", "ban-ip", "owncast.users.ban_ip", str(ip))

    @_host("users-register", "register")
    def register(self, auth_id: str, display_name: Optional[str] = None, scopes: Optional[List[str]] = None) -> Obj:
        """Find or create the Owncast user of an external identity (permission
        users.register); `.user_id` of the result. RuntimeError when refused."""
        module = _bindings.function("users-register", "register", "owncast.users.register").__module__
        reg = _module_attr(module, "UserRegistration")(
            auth_id=str(auth_id),
            display_name=None if display_name is None else str(display_name),
            scopes=list(scopes or []),
            profile_url=None,
            handle=None,
            is_public=False,
        )
        result = _result("users-register", "register", "owncast.users.register", reg)
        if isinstance(result, dict) and "error" in result:
            raise RuntimeError(result["error"])
        return Obj({"userId": result})


class _Auth:
    @_host("auth-gate", "grant-session")
    def grant_session(self, user_id: str, ttl: int = 0) -> None:
        """A viewer session for `user_id` (from users.register) on the
        response being answered (permission auth.gate); ttl in seconds, 0 for
        the host's default. RuntimeError when refused."""
        result = _result("auth-gate", "grant-session", "owncast.auth.grant_session", str(user_id), int(ttl) or None)
        if isinstance(result, dict) and "error" in result:
            raise RuntimeError(result["error"])

    @_host("auth-gate", "end-session")
    def end_session(self) -> None:
        _call("auth-gate", "end-session", "owncast.auth.end_session")


class _Fediverse:
    @_host("fediverse", "post")
    def post(self, text: str) -> Any:
        return _result("fediverse", "post", "owncast.fediverse.post", str(text))


class _SSE:
    @_host("sse", "send")
    def send(self, channel: str, event: str, data: Any) -> None:
        body = data if isinstance(data, str) else json.dumps(data)
        _call("sse", "send", "owncast.sse.send", str(channel), str(event), body)


class _Actions:
    @_host("ui", "add-actions")
    def add(self, actions: Union[Dict[str, Any], List[Dict[str, Any]]]) -> Any:
        items = [actions] if isinstance(actions, dict) else list(actions)
        buttons = [from_wire(_t().ActionButton, a) for a in items]
        return _to_obj(_call("ui", "add-actions", "owncast.actions.add", buttons))

    @_host("ui", "clear-actions")
    def clear(self) -> Any:
        return _to_obj(_call("ui", "clear-actions", "owncast.actions.clear"))


class _Timer:
    """Host-driven timers: when one falls due the host delivers the custom
    event `timer.fire` and the SDK calls the function (no subscription
    needed). Functions live in the instance: a reload forgets them."""

    @_host("timer", "set")
    def set_timeout(self, fn: Callable[[], Any], ms: int) -> int:
        return self._schedule(fn, ms, False, "owncast.timer.set_timeout")

    @_host("timer", "set")
    def set_interval(self, fn: Callable[[], Any], ms: int) -> int:
        return self._schedule(fn, ms, True, "owncast.timer.set_interval")

    def _schedule(self, fn: Callable[[], Any], ms: int, repeat: bool, api: str) -> int:
        tid = REGISTRY.next_timer
        REGISTRY.next_timer += 1
        if not _call("timer", "set", api, tid, max(0, int(ms)), bool(repeat)):
            return 0  # the plugin has the most timers pending the host allows
        REGISTRY.timers[tid] = (fn, repeat)
        return tid

    @_host("timer", "clear")
    def clear(self, tid: int) -> None:
        REGISTRY.timers.pop(int(tid), None)
        _call("timer", "clear", "owncast.timer.clear", int(tid))


class _Config:
    def get(self, key: str, fallback: Any = None) -> Any:
        """The admin's value of setting `key` (manifest `config`), decoded
        from JSON; `fallback` when the manifest does not declare it."""
        config = _bindings.interface("config")
        if config is None:
            return fallback
        raw = config.get(str(key))
        if raw is None:
            return fallback
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        return fallback if value is None else value


class _Assets:
    @_host("assets", "read")
    def read_text(self, path: str) -> Optional[str]:
        """A file of the plugin's assets/ (never served), or None."""
        data = _call("assets", "read", "owncast.assets.read_text", str(path))
        return None if data is None else bytes(data).decode("utf-8", "replace")

    read = read_text

    @_host("assets", "read")
    def read_bytes(self, path: str) -> Optional[bytes]:
        data = _call("assets", "read", "owncast.assets.read_bytes", str(path))
        return None if data is None else bytes(data)


def _module_attr(module_name: str, attr: str) -> Any:
    """A type of the WIT interface whose module is `module_name`."""
    return getattr(sys.modules[module_name], attr)


def sys_modules() -> Dict[str, Any]:
    return sys.modules


class _SQL:
    """The plugin's private SQLite database (permission storage.sql). Errors
    raise RuntimeError; parameters are None, bool, int, float or str."""

    def _params(self, fn: Any, params: Any) -> List[Any]:
        sql = sys_modules()[fn.__module__]
        out = []
        for p in list(params or []):
            if p is None:
                out.append(sql.SqlValue_Null())
            elif isinstance(p, (bool, int)):
                out.append(sql.SqlValue_Integer(int(p)))
            elif isinstance(p, float):
                out.append(sql.SqlValue_Real(p))
            elif isinstance(p, str):
                out.append(sql.SqlValue_Text(p))
            else:
                raise TypeError(f"owncast.sql: a parameter must be None, bool, int, float or str, not {type(p).__name__}")
        return out

    def _run(self, function: str, api: str, *args: Any) -> Any:
        result = _result("sql", function, api, *args)
        if isinstance(result, dict) and set(result) == {"error"}:
            raise RuntimeError(result["error"] or "SQL host call failed")
        return result

    @_host("sql", "exec")
    def exec(self, sql: str, params: Optional[List[Any]] = None) -> Obj:
        """Runs a batch as one transaction: `.rows_affected`, `.last_insert_id`."""
        fn = _bindings.function("sql", "exec", "owncast.sql.exec")
        return self._run("exec", "owncast.sql.exec", str(sql), self._params(fn, params))

    def _rows(self, sql: str, params: Any, max_rows: int, api: str) -> List[Dict[str, Any]]:
        fn = _bindings.function("sql", "query", api)
        result = self._run("query", api, str(sql), self._params(fn, params), max_rows)
        columns = result.raw.get("columns") or []
        return [dict(zip(columns, (cell.get("value") if isinstance(cell, dict) else cell for cell in row))) for row in result.raw.get("rows") or []]

    @_host("sql", "query")
    def query(self, sql: str, params: Optional[List[Any]] = None) -> List[Dict[str, Any]]:
        """Matching rows as dicts by column name (an error rather than a silently short result)."""
        return self._rows(sql, params, 0, "owncast.sql.query")

    @_host("sql", "query")
    def query_row(self, sql: str, params: Optional[List[Any]] = None) -> Optional[Dict[str, Any]]:
        rows = self._rows(sql, params, 1, "owncast.sql.query_row")
        return rows[0] if rows else None


class _Http:
    @_host("outgoing-handler", "handle")
    def fetch(self, url: str, opts: Optional[Dict[str, Any]] = None) -> Obj:
        """Outbound HTTP (permission network.fetch, hosts limited to the
        manifest's network.allowedHosts): `{status, headers, body}`; opts:
        method, headers, body."""
        _bindings.function("outgoing-handler", "handle", "owncast.http.fetch")
        return view(_http.fetch(url, opts or {}))


class _Owncast:
    http = _Http()
    log = _Log()
    chat = _Chat()
    kv = _KV()
    storage = _Storage()
    fs = _FS()
    events = _Events()
    server = _Server()
    stream = _Stream()
    video_config = _VideoConfig()
    notifications = _Notifications()
    users = _Users()
    auth = _Auth()
    fediverse = _Fediverse()
    sse = _SSE()
    actions = _Actions()
    timer = _Timer()
    config = _Config()
    assets = _Assets()
    sql = _SQL()


owncast = _Owncast()
