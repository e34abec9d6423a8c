"""The component's exports against componentize-py's real generated types,
with the host interfaces stood in by recorders: subscriptions derived from
the handlers, payload views, filter verdicts, HTTP routing, permission errors."""

import json
import unittest
from unittest import mock

from helpers import bindings, record

KEEP = []
MODULES = bindings(["chat.send", "storage.kv", "server.read"], KEEP)
T = MODULES["types"]

import owncast_plugin as sdk  # noqa: E402
from owncast_plugin import _bindings, _contract, _guest, filter, owncast, plugin  # noqa: E402


class Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, args))


class KV:
    def __init__(self):
        self.data = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value):
        self.data[key] = value


def message(body, name="alice", is_bot=None, client_id=7, scopes=None, at="2024-01-01T00:00:00Z"):
    user = record(T.ChatUser, id="u-" + name, display_name=name, is_bot=is_bot, scopes=scopes)
    return T.Event_ChatMessageReceived(T.ChatMessage(id="m1", user=user, client_id=client_id, body=body, timestamp=at))


class Guest(unittest.TestCase):
    def setUp(self):
        sdk.REGISTRY.__init__()
        self.chat = Recorder()
        self.kv = KV()
        _bindings.install({"types": T, "chat": self.chat, "kv": self.kv, "log": Recorder(), "config": Recorder()})
        _guest.MANIFEST.clear()
        _guest.MANIFEST.update({"slug": "t", "name": "T", "version": "1.0.0", "permissions": ["chat.send"]})

    def test_subscriptions_follow_the_handlers_present(self):
        @plugin.on_chat_message
        def a(msg):
            pass

        @plugin.filter_chat_message
        def b(msg):
            return filter.pass_()

        @plugin.on("poll.closed")
        def c(payload):
            pass

        reg = _guest.registration()
        self.assertEqual((reg.slug, reg.version, reg.permissions), ("t", "1.0.0", ["chat.send"]))
        self.assertEqual([s.event for s in reg.subscriptions.notify], ["chat.message.received", "poll.closed"])
        self.assertEqual([(s.event, s.priority) for s in reg.subscriptions.filter], [("chat.message.received", None)])
        plugin.set_filter_priority(3)
        self.assertEqual(_guest.registration().subscriptions.filter[0].priority, 3)

    def test_notification_payload_is_an_attribute_view(self):
        seen = []

        @plugin.on_chat_message
        def a(msg):
            seen.append((msg.body, msg.user.display_name, msg.client_id, msg.raw["user"]["displayName"], msg.nope))
            owncast.chat.send("hi " + msg.user.display_name)

        _guest.Exports().on_event(message("hello"))
        self.assertEqual(seen, [("hello", "alice", 7, "alice", None)])
        self.assertEqual(self.chat.calls, [("send", ("hi alice",))])

    def test_custom_events_get_decoded_json(self):
        seen = []
        plugin.on("poll.closed")(seen.append)
        _guest.on_event(T.Event_Custom(T.CustomEvent(event_type="poll.closed", payload_json='{"votes": 3}')))
        self.assertEqual(seen, [{"votes": 3}])

    def test_filter_verdicts(self):
        verdicts = iter([filter.pass_(), filter.drop("no"), filter.modify({"body": "***"}), None])
        plugin.filter_chat_message(lambda msg: next(verdicts))
        ev = message("damn")
        self.assertIsInstance(_guest.on_filter(ev), T.FilterResult_Pass)
        self.assertEqual(_guest.on_filter(ev).value, "no")
        modified = _guest.on_filter(ev)
        self.assertIsInstance(modified.value, T.Event_ChatMessageReceived)
        self.assertEqual(modified.value.value.body, "***")
        self.assertEqual(modified.value.value.user.display_name, "alice")  # left out: kept
        self.assertEqual(modified.value.value.client_id, 7)
        self.assertIsInstance(_guest.on_filter(ev), T.FilterResult_Pass)

    def test_modify_with_the_changed_view_and_with_raw(self):
        def f(msg):
            return filter.modify({**msg.raw, "body": msg.body.upper()})

        plugin.filter_chat_message(f)
        out = _guest.on_filter(message("quiet"))
        self.assertEqual(out.value.value.body, "QUIET")
        self.assertEqual(out.value.value.timestamp, "2024-01-01T00:00:00Z")

    def http(self, method, path, **kw):
        req = T.HttpRequest(method=method, path=path, query=kw.get("query", []), headers=[], body="", remote_addr="1.2.3.4", authenticated=False, user=None)
        return _guest.on_http_request(req)

    def test_http_routes_405_404_and_replies(self):
        plugin.get("/a")(lambda req: {"status": 201, "body": {"q": req.query.get("x")}})
        plugin.post("/b")(lambda req: None)
        self.assertEqual((self.http("GET", "/a", query=[("x", "1")]).status, self.http("GET", "/a", query=[("x", "1")]).body), (201, '{"q": "1"}'))
        self.assertIn(("Content-Type", "application/json"), self.http("GET", "/a").headers)
        self.assertEqual(self.http("POST", "/b").status, 204)
        self.assertEqual(self.http("DELETE", "/a").status, 405)
        self.assertEqual(self.http("GET", "/c").status, 404)
        plugin.on_http_request(lambda req: "text " + req.path)
        self.assertEqual((self.http("GET", "/c").status, self.http("GET", "/c").body), (200, "text /c"))

    def test_commands_are_declared_and_run_from_the_hosts_chat_command(self):
        runs = []
        plugin.commands(
            {
                "roll": {"run": lambda ctx: runs.append((ctx.command, ctx.invoked_as, ctx.args, ctx.arg_string, ctx.user.display_name)), "aliases": ["dice"], "description": "Roll"},
                "ban": {"run": lambda ctx: ctx.reply_privately("banned"), "mod_only": True, "cooldown_ms": 2000},
            },
            prefix="?",
        )
        reg = _guest.registration()
        self.assertEqual(reg.subscriptions.notify, [], "the host routes commands: no chat subscription")
        self.assertEqual([(c.name, c.prefix, c.aliases, c.mod_only, c.cooldown_ms, c.description) for c in reg.commands], [
            ("roll", "?", ["dice"], False, 0, "Roll"),
            ("ban", "?", [], True, 2000, ""),
        ])

        def command(name, invoked_as, args):
            msg = {"id": "m1", "user": {"id": "u-a", "displayName": "alice"}, "clientId": 7, "body": "?x", "timestamp": "2024-01-01T00:00:00Z"}
            payload = {"message": msg, "command": name, "invokedAs": invoked_as, "args": args, "argString": " ".join(args)}
            _guest.on_event(T.Event_Custom(T.CustomEvent(event_type="chat.command", payload_json=json.dumps(payload))))

        command("roll", "DICE", ["2", "d6"])
        command("ban", "ban", ["bob"])
        command("gone", "gone", [])
        _guest.on_event(message("?roll 1"))  # an ordinary chat message runs nothing itself
        self.assertEqual(runs, [("roll", "DICE", ["2", "d6"], "2 d6", "alice")])
        self.assertEqual(self.chat.calls, [("send_to", (7, "banned"))])
        with self.assertRaises(TypeError):
            plugin.commands({"x": {"run": None}})

    def test_kv_json_helpers(self):
        owncast.kv.set_json("k", {"a": [1]})
        self.assertEqual(owncast.kv.get_json("k"), {"a": [1]})
        owncast.kv.delete("k")
        self.assertIsNone(owncast.kv.get("k"))
        self.assertEqual(owncast.kv.get_json("k", []), [])

    def test_an_interface_left_out_of_the_world_raises_a_permission_error(self):
        with self.assertRaises(PermissionError) as e:
            owncast.users.list()
        self.assertIn("owncast.users.list needs permission users.read", str(e.exception))
        self.assertIn("plugin.manifest.json", str(e.exception))

    def test_unsupported_calls_say_so(self):
        # A host whose contract lacks timers (as before they were added).
        lacking = tuple(i for i in _contract.UNGATED_INTERFACES if i != "timer")
        with mock.patch.object(_contract, "UNGATED_INTERFACES", lacking):
            with self.assertRaises(NotImplementedError) as e:
                owncast.timer.set_timeout(print, 5)
        self.assertIn("owncast.timer.set_timeout", str(e.exception))

    def test_an_ungated_interface_missing_from_the_component_says_rebuild(self):
        with self.assertRaises(RuntimeError) as e:
            owncast.timer.set_timeout(print, 5)
        self.assertIn("owncast.timer.set_timeout: the component lacks `timer`", str(e.exception))

    def test_event_type_names(self):
        self.assertEqual(_guest.event_type("Event_ChatMessageReceived"), "chat.message.received")
        self.assertEqual(_guest.event_type("Event_SseConnect"), "sse.connect")
        for name in dir(T):
            if name.startswith("Event_") and name != "Event_Custom":
                self.assertIn(".", _guest.event_type(name))

    def test_handler_names_cover_the_contracts_events(self):
        handled = {e for e, _ in sdk.HANDLERS.values()}
        for name in dir(T):
            if name.startswith("Event_") and name != "Event_Custom":
                self.assertIn(_guest.event_type(name), handled)


if __name__ == "__main__":
    unittest.main()
