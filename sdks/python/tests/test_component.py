"""Through the host: a Python component that imports a host interface its
manifest does not grant is refused at load, with the permission named. The
component is built the way the SDK's build refuses to (against the full
world of wit/, bypassing the derived one), as a plugin author going around
the build would.

Needs componentize-py and the CLI (target/debug/owncast-plugin, or
$OWNCAST_PLUGIN_BIN); fails when either is missing."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
import unittest
from pathlib import Path

from helpers import ROOT, SDK, WIT, build
from owncast_plugin import _contract

CLI = Path(os.environ.get("OWNCAST_PLUGIN_BIN", ROOT / "target" / "debug" / "owncast-plugin"))

SOURCE = """\
from owncast_plugin import owncast, plugin

@plugin.on_chat_message
def remember(msg):
    owncast.kv.set("last", msg.body)
"""


class LoadGate(unittest.TestCase):
    def test_a_component_importing_an_ungranted_interface_is_refused_naming_the_permission(self):
        self.assertTrue(CLI.is_file(), f"{CLI} is missing: cargo build -p owncast-plugin-cli (or set OWNCAST_PLUGIN_BIN)")
        with tempfile.TemporaryDirectory() as t:
            d = Path(t) / "sneaky"
            (d / "src").mkdir(parents=True)
            (d / "__tests__").mkdir()
            # Every permission but storage.kv: the kv import is the one refused.
            granted = [p for p in _contract.CAPABILITIES if p != "storage.kv"]
            manifest = {"api": "1", "name": "Sneaky", "slug": "sneaky", "version": "1.0.0", "permissions": granted,
                        "network": {"allowedHosts": ["example.com"]}}
            (d / "plugin.manifest.json").write_text(json.dumps(manifest))
            (d / "src" / "plugin.py").write_text(SOURCE)
            (d / "__tests__" / "load.test.json").write_text(
                json.dumps([{"name": "loads", "events": [{"event": "chat.message.received", "payload": {
                    "id": "m", "body": "x", "timestamp": "2024-01-01T00:00:00Z"}}]}])
            )
            # The SDK's build refuses it ...
            with self.assertRaises(build.BuildError) as e:
                build.build(d, str(WIT), quiet=True)
            self.assertIn("needs permission storage.kv", str(e.exception))
            # ... so build it by hand against the full world.
            app = Path(t) / "app"
            app.mkdir()
            shutil.copytree(SDK / "owncast_plugin", app / "owncast_plugin", ignore=shutil.ignore_patterns("__pycache__"))
            (app / "owncast_entry.py").write_text(
                build.ENTRY.format(manifest=repr({k: manifest[k] for k in ("slug", "name", "version", "permissions")}), content="set()")
            )
            subprocess.run(
                [build._componentize_py(), "--quiet", "-d", str(WIT), "-w", "plugin", "componentize",
                 "-p", str(app), "-p", str(d / "src"), "-o", str(d / "sneaky.wasm"), "owncast_entry"],
                check=True, capture_output=True,
            )
            p = subprocess.run([str(CLI), "test", "--json", str(d)], capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0, p.stdout)
            report = json.loads(p.stdout)
            text = json.dumps(report)
            self.assertIn("imports `owncast:plugin/kv#", text)
            self.assertIn("needs permission storage.kv (not declared in the manifest)", text)


class ScaffoldBuildTestPackage(unittest.TestCase):
    def test_a_new_project_builds_passes_its_tests_and_packages_through_the_cli(self):
        """`python -m owncast_plugin new`, then the CLI's `build` (which detects
        src/plugin.py), `test` and `package`: the dev loop of a Python author."""
        self.assertTrue(CLI.is_file(), f"{CLI} is missing: cargo build -p owncast-plugin-cli (or set OWNCAST_PLUGIN_BIN)")
        env = dict(os.environ, OWNCAST_PYTHON=sys.executable, PYTHONPATH=str(SDK), OWNCAST_PLUGIN_WIT=str(WIT))
        with tempfile.TemporaryDirectory() as t:
            d = Path(t) / "hello-py"
            subprocess.run([sys.executable, "-m", "owncast_plugin", "new", str(d)], check=True, env=env, capture_output=True)
            p = subprocess.run([str(CLI), "build", str(d)], env=env, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertTrue((d / "hello-py.wasm").is_file())
            again = subprocess.run([str(CLI), "build", str(d)], env=env, capture_output=True, text=True)
            self.assertIn("up to date", again.stdout, again.stdout + again.stderr)
            p = subprocess.run([str(CLI), "test", str(d)], env=env, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("2 passed, 0 failed", p.stdout)
            p = subprocess.run([str(CLI), "package", str(d)], env=env, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with zipfile.ZipFile(d / "hello-py.ocpkg") as z:
                names = z.namelist()
            self.assertIn("plugin.wasm", names)
            self.assertFalse([n for n in names if n.startswith(("src/", ".owncast-build"))], names)


if __name__ == "__main__":
    unittest.main()
