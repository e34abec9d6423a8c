"""The calls of upstream's newer host functions (timers, assets, SQL,
users.register, auth.gate): refused while the contract lacks them, working
against stand-ins of their WIT interfaces once it has them."""

import json
import sys
import types
import unittest
from dataclasses import dataclass
from unittest import mock

from helpers import bindings, build

KEEP = []
T = bindings(["chat.send"], KEEP)["types"]

import owncast_plugin as sdk  # noqa: E402
from owncast_plugin import _bindings, _contract, _guest, owncast  # noqa: E402


def fake_module(name, **attrs):
    m = types.ModuleType(name)
    for k, v in attrs.items():
        if callable(v) and not isinstance(v, type):
            v.__module__ = name
        setattr(m, k, v)
    sys.modules[name] = m
    return m


@dataclass
class SqlValue_Null:
    pass


@dataclass
class SqlValue_Integer:
    value: int


@dataclass
class SqlValue_Real:
    value: float


@dataclass
class SqlValue_Text:
    value: str


@dataclass
class ExecResult:
    rows_affected: int
    last_insert_id: int


@dataclass
class QueryResult:
    columns: list
    rows: list
    truncated: bool


NEWER = {
    "storage.sql": ("sql", ()),
    "users.register": ("users-register", ()),
    "auth.gate": ("auth-gate", ()),
}


class NewerCalls(unittest.TestCase):
    def setUp(self):
        sdk.REGISTRY.__init__()
        self.calls = []

    def test_while_the_contract_lacks_them_they_are_refused_naming_the_call(self):
        with mock.patch.object(_contract, "UNGATED_INTERFACES", ("types", "log", "config")), mock.patch.dict(
            _contract.CAPABILITIES, {}, clear=False
        ):
            for p in NEWER:
                _contract.CAPABILITIES.pop(p, None)
            _bindings.install({"types": T})
            with self.assertRaises(NotImplementedError) as e:
                owncast.sql.exec("select 1")
            self.assertIn("owncast.sql.exec: this host's contract (wit/) has no such host function yet", str(e.exception))
            src = "from owncast_plugin import owncast\nowncast.timer.set_timeout(print, 5)\nowncast.assets.read_text('a')\n"
            problems = build.check_source(src, "p.py", list(NEWER))
            self.assertEqual(len(problems), 2, problems)
            self.assertTrue(all("no such host function yet" in p for p in problems), problems)

    def with_contract(self):
        return mock.patch.object(_contract, "UNGATED_INTERFACES", ("types", "log", "config", "timer", "assets")), mock.patch.dict(
            _contract.CAPABILITIES, NEWER
        )

    def test_sql_converts_parameters_and_rows(self):
        a, b = self.with_contract()
        with a, b:
            def exec_(sql, params):
                self.calls.append(("exec", sql, params))
                return ExecResult(rows_affected=1, last_insert_id=7)

            def query(sql, params, max_rows):
                self.calls.append(("query", sql, params, max_rows))
                return QueryResult(columns=["id", "name", "gone"], rows=[[SqlValue_Integer(1), SqlValue_Text("ann"), SqlValue_Null()]], truncated=False)

            sql = fake_module("fake_sql", exec=exec_, query=query, SqlValue_Null=SqlValue_Null, SqlValue_Integer=SqlValue_Integer, SqlValue_Real=SqlValue_Real, SqlValue_Text=SqlValue_Text)
            _bindings.install({"types": T, "sql": sql})
            r = owncast.sql.exec("insert into t values (?, ?, ?, ?)", [1, "x", None, 2.5])
            self.assertEqual((r.rows_affected, r.last_insert_id), (1, 7))
            self.assertEqual(self.calls[0][2], [SqlValue_Integer(1), SqlValue_Text("x"), SqlValue_Null(), SqlValue_Real(2.5)])
            self.assertEqual(owncast.sql.query("select * from t"), [{"id": 1, "name": "ann", "gone": None}])
            self.assertEqual(owncast.sql.query_row("select * from t")["name"], "ann")
            self.assertEqual([c[3] for c in self.calls[1:]], [0, 1])
            with self.assertRaises(TypeError):
                owncast.sql.exec("x", [object()])
            with mock.patch.object(sdk, "_result", return_value={"error": "no such table"}):
                with self.assertRaises(RuntimeError) as e:
                    owncast.sql.query("select * from nope")
                self.assertIn("no such table", str(e.exception))
            _bindings.install({"types": T})
            with self.assertRaises(PermissionError) as e:
                owncast.sql.exec("select 1")
            self.assertIn("needs permission storage.sql", str(e.exception))

    def test_timers_fire_through_the_custom_event(self):
        a, b = self.with_contract()
        with a, b:
            timer = fake_module("fake_timer", set=lambda tid, ms, repeat: self.calls.append(("set", tid, ms, repeat)) or True, clear=lambda tid: self.calls.append(("clear", tid)))
            _bindings.install({"types": T, "timer": timer})
            fired = []
            once = owncast.timer.set_timeout(lambda: fired.append("once"), 500)
            every = owncast.timer.set_interval(lambda: fired.append("every"), 1000)
            self.assertEqual(self.calls, [("set", once, 500, False), ("set", every, 1000, True)])
            fire = lambda tid: _guest.on_event(T.Event_Custom(T.CustomEvent(event_type="timer.fire", payload_json=json.dumps({"id": tid}))))
            fire(once), fire(once), fire(every), fire(every)
            self.assertEqual(fired, ["once", "every", "every"])
            owncast.timer.clear(every)
            fire(every)
            self.assertEqual(fired, ["once", "every", "every"])
            self.assertIn(("clear", every), self.calls)
            self.assertEqual(build.check_source("from owncast_plugin import owncast\nowncast.timer.set_timeout(f, 1)\n", "p.py", []), [])

    def test_assets_register_and_auth(self):
        a, b = self.with_contract()
        with a, b:

            @dataclass
            class UserRegistration:
                auth_id: str
                display_name: object
                scopes: list
                profile_url: object
                handle: object
                is_public: bool

            assets = fake_module("fake_assets", read=lambda path: b"hello" if path == "a.txt" else None)
            reg = fake_module("fake_users_register", register=lambda r: self.calls.append(r) or "user-9", UserRegistration=UserRegistration)
            auth = fake_module("fake_auth", **{"grant_session": lambda uid, ttl: self.calls.append(("grant", uid, ttl)), "end_session": lambda: self.calls.append("end")})
            _bindings.install({"types": T, "assets": assets, "users-register": reg, "auth-gate": auth})
            self.assertEqual(owncast.assets.read_text("a.txt"), "hello")
            self.assertIsNone(owncast.assets.read("b.txt"))
            self.assertEqual(owncast.users.register("github:1", "Ann").user_id, "user-9")
            self.assertEqual(self.calls[0].auth_id, "github:1")
            owncast.auth.grant_session("user-9", ttl=60)
            owncast.auth.end_session()
            self.assertEqual(self.calls[1:], [("grant", "user-9", 60), "end"])


if __name__ == "__main__":
    unittest.main()
