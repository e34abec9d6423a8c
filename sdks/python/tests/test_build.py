"""The build: manifest checks, the static permission check, the derived world."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from helpers import SDK, WIT, bindings, build

from owncast_plugin import _contract  # noqa: E402


def project(manifest, source):
    tmp = tempfile.TemporaryDirectory()
    d = Path(tmp.name)
    (d / "src").mkdir()
    (d / "plugin.manifest.json").write_text(json.dumps(manifest))
    (d / "src" / "plugin.py").write_text(source)
    return tmp, d


KV_PLUGIN = """\
from owncast_plugin import owncast, plugin

@plugin.on_chat_message
def remember(msg):
    owncast.kv.set("last", msg.body)
"""


class StaticCheck(unittest.TestCase):
    def test_an_ungranted_call_names_file_line_and_permission(self):
        problems = build.check_source(KV_PLUGIN, "src/plugin.py", ["chat.send"])
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("src/plugin.py:5: owncast.kv.set needs permission storage.kv", problems[0])
        self.assertEqual(build.check_source(KV_PLUGIN, "src/plugin.py", ["storage.kv"]), [])

    def test_shared_interfaces_are_checked_per_function(self):
        src = "from owncast_plugin import owncast\nowncast.video_config.write({})\nowncast.video_config.read()\n"
        problems = build.check_source(src, "p.py", ["videoconfig.read"])
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("p.py:2: owncast.video_config.write needs permission videoconfig.write", problems[0])

    def test_outbound_http_needs_network_fetch(self):
        src = "from owncast_plugin import owncast\nowncast.http.fetch('https://x.example/')\n"
        self.assertIn("needs permission network.fetch", build.check_source(src, "p.py", ["chat.send"])[0])
        self.assertEqual(build.check_source(src, "p.py", ["network.fetch"]), [])

    def test_calls_outside_the_contract_are_refused(self):
        src = "from owncast_plugin import owncast as oc\noc.timer.set_timeout(print, 10)\noc.kv.nope()\n"
        # A host whose contract lacks timers (as before they were added).
        lacking = tuple(i for i in _contract.UNGATED_INTERFACES if i != "timer")
        with mock.patch.object(_contract, "UNGATED_INTERFACES", lacking):
            problems = build.check_source(src, "p.py", ["storage.kv"])
        self.assertTrue(any("p.py:2: owncast.timer.set_timeout" in p and "no such host function" in p for p in problems), problems)
        self.assertTrue(any("p.py:3: owncast.kv.nope is not part of the owncast_plugin API" in p for p in problems), problems)

    def test_the_build_command_fails_naming_the_permission(self):
        tmp, d = project({"api": "1", "name": "Memo", "version": "1.0.0", "permissions": ["chat.send"]}, KV_PLUGIN)
        with tmp:
            env = dict(os.environ, PYTHONPATH=str(SDK))
            p = subprocess.run([sys.executable, "-m", "owncast_plugin", "build", str(d)], capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("owncast.kv.set needs permission storage.kv", p.stderr)
            self.assertFalse(list(d.glob("*.wasm")))


class Manifest(unittest.TestCase):
    def test_bad_fields_are_named(self):
        for manifest, field in [
            ({"name": "X", "version": "1", "permissions": ["chat.shout"]}, "permissions[0]"),
            ({"name": "", "version": "1"}, "name"),
            ({"name": "X", "version": "1", "slug": "Bad Slug"}, "slug"),
        ]:
            tmp, d = project(manifest, "")
            with tmp, self.assertRaises(build.BuildError) as e:
                build.read_manifest(d)
            self.assertIn(f"field `{field}`", str(e.exception))

    def test_slug_from_name_as_the_host_derives_it(self):
        self.assertEqual(build.slugify("My  Plugin! 2"), "my-plugin-2")


class DerivedWorld(unittest.TestCase):
    def world(self, permissions):
        with tempfile.TemporaryDirectory() as t:
            build.derive_wit(WIT, Path(t) / "wit", permissions)
            return (Path(t) / "wit" / "world.wit").read_text(), (Path(t) / "wit" / "server.wit").read_text()

    def imports(self, world):
        return set(re.findall(r"^\s*import\s+([^;]+);", world, re.M))

    def test_only_granted_interfaces_are_imported(self):
        every_plugin = set(_contract.UNGATED_INTERFACES) - {"types"}
        self.assertTrue({"log", "config"} <= every_plugin, every_plugin)
        world, _ = self.world([])
        self.assertEqual(self.imports(world), every_plugin)
        world, _ = self.world(["chat.send", "storage.kv", "chat.filter", "http.serve"])
        self.assertEqual(self.imports(world), every_plugin | {"chat", "kv"})
        world, _ = self.world(["network.fetch"])
        self.assertEqual({i for i in self.imports(world) if i.startswith("wasi:http/")}, {"wasi:http/outgoing-handler@0.2.12"})

    def test_a_shared_interface_keeps_only_granted_functions(self):
        keep = []
        modules = bindings(["videoconfig.read"], keep)
        self.assertTrue(hasattr(modules["video_config"], "read"))
        self.assertFalse(hasattr(modules["video_config"], "write"))
        modules = bindings(["videoconfig.read", "videoconfig.write"], keep)
        self.assertTrue(hasattr(modules["video_config"], "write"))
        self.assertNotIn("kv", modules)

    def test_every_permission_derives_a_valid_world(self):
        keep = []
        from owncast_plugin import _contract

        modules = bindings(list(_contract.CAPABILITIES), keep)
        for iface, _ in _contract.CAPABILITIES.values():
            if iface:
                self.assertIn(iface.replace("-", "_"), modules)


if __name__ == "__main__":
    unittest.main()
