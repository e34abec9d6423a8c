"""Page content (world `page-content`'s exports): `plugin.on_tab_content`,
`on_page_content`, `on_page_styles` and `on_page_scripts`. The build exports
those a plugin defines and refuses them without `ui.modify`; the exports
dispatch by slug against componentize-py's real generated types; and through
the host (the CLI's scenario runner, the same content calls the server makes
for `/api/plugins/config`) a built plugin's tab, page slot, styles and scripts
arrive as the handlers wrote them.

The host test needs componentize-py and the CLI (target/debug/owncast-plugin,
or $OWNCAST_PLUGIN_BIN); it fails when either is missing."""

import json
import os
import re
import subprocess
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

from helpers import ROOT, WIT, bindings, build, record

KEEP = []
T = bindings(["ui.modify"], KEEP)["types"]

import owncast_plugin as sdk  # noqa: E402
from owncast_plugin import _bindings, _guest, plugin  # noqa: E402

CLI = Path(os.environ.get("OWNCAST_PLUGIN_BIN", ROOT / "target" / "debug" / "owncast-plugin"))

SOURCE = """\
from owncast_plugin import plugin as p


@p.on_tab_content("rules")
def rules(req):
    who = req.user.display_name if req.user else "guest"
    return f"<h2>Rules for {who}</h2><ol><li>Be kind.</li></ol><script>alert(1)</script>"


@p.on_tab_content("quiet")
def quiet(req):
    return None


@p.on_page_content("banner")
def banner(req):
    return f"<p class=\\"banner\\">slot {req.slug}</p>"


@p.on_page_styles
def styles():
    return ".banner { color: rebeccapurple; }"


@p.on_page_scripts
def scripts():
    return "window.contentDemo = 1;"
"""

MANIFEST = {
    "api": "1",
    "name": "Content Py",
    "slug": "content-py",
    "version": "1.0.0",
    "permissions": ["ui.modify"],
    "tabs": [{"title": "Rules", "slug": "rules"}, {"title": "Quiet", "slug": "quiet"}],
    "extraPageContent": {"slug": "banner"},
}

ANN = {"id": "u-ann", "displayName": "Ann"}

SCENARIOS = [
    {
        "name": "the tab, the page slot, the styles and the scripts come from the Python handlers",
        "events": [
            {"tabContent": {"slug": "rules", "user": ANN, "expect": {"bodyContains": "<h2>Rules for Ann</h2>"}}},
            {"tabContent": {"slug": "rules", "expect": {"bodyContains": "Rules for guest"}}},
            {"tabContent": {"slug": "quiet", "expect": {"body": ""}}},
            {"tabContent": {"slug": "nobody", "expect": {"body": ""}}},
            {"pageContent": {"slug": "banner", "expect": {"body": '<p class="banner">slot banner</p>'}}},
            {"pageStyles": {"expect": {"body": ".banner { color: rebeccapurple; }"}}},
            {"pageScripts": {"expect": {"bodyContains": "window.contentDemo = 1;"}}},
        ],
    }
]


class Build(unittest.TestCase):
    def test_the_content_decorators_are_found_under_any_name(self):
        self.assertEqual(
            build.content_exports(SOURCE), {"on-tab-content", "on-page-content", "on-page-styles", "on-page-scripts"}
        )
        self.assertEqual(build.content_exports("from owncast_plugin import plugin\n@plugin.on_page_styles\ndef s(): pass\n"), {"on-page-styles"})
        self.assertEqual(build.content_exports("from owncast_plugin import plugin\n"), set())
        self.assertEqual(build.check_source(SOURCE, "plugin.py", ["ui.modify"]), [])

    def test_without_ui_modify_the_build_refuses_them_naming_the_line(self):
        problems = build.check_source(SOURCE, "src/plugin.py", [])
        self.assertEqual(len(problems), 5, problems)
        self.assertTrue(problems[0].startswith("src/plugin.py:4: plugin.on_tab_content needs permission ui.modify"), problems)

    def test_the_derived_world_exports_only_the_defined_handlers(self):
        with tempfile.TemporaryDirectory() as t:
            build.derive_wit(WIT, Path(t) / "wit", ["ui.modify"], ["on-tab-content", "on-page-styles"])
            world = (Path(t) / "wit" / "world.wit").read_text()
            body = re.search(r"world plugin \{(.*?)\n\}", world, re.S).group(1)
            self.assertIn("export on-tab-content: func(request: content-request) -> string;", body)
            self.assertIn("export on-page-styles: func() -> string;", body)
            self.assertIn("use types.{content-request};", body)
            self.assertNotIn("on-page-content", body)
            self.assertNotIn("on-page-scripts", body)
            # componentize-py accepts the world (its bindings have the exports).
            out = Path(t) / "py"
            subprocess.run(
                [build._componentize_py(), "-d", str(Path(t) / "wit"), "-w", "plugin", "bindings", str(out)],
                check=True,
                capture_output=True,
            )
            exports = (out / "wit_world" / "__init__.py").read_text()
            self.assertIn("def on_tab_content(self, request: ", exports)
            self.assertIn("def on_page_styles(self) -> str:", exports)


class Exports(unittest.TestCase):
    def setUp(self):
        sdk.REGISTRY.__init__()
        _bindings.install({"types": T})

    def request(self, slug, name=None):
        user = record(T.ChatUser, id="u1", display_name=name) if name else None
        return T.ContentRequest(slug=slug, user=user)

    def test_each_export_dispatches_to_its_handler(self):
        plugin.on_tab_content("a")(lambda req: f"tab {req.slug} for {req.user.display_name}")
        plugin.on_tab_content("b")(lambda req: None)
        plugin.on_page_content("slot")(lambda req: "<p>slot</p>")
        plugin.on_page_styles(lambda: "p{}")
        exports = _guest.Exports()
        self.assertEqual(exports.on_tab_content(self.request("a", "Ann")), "tab a for Ann")
        self.assertEqual(exports.on_tab_content(self.request("b")), "")
        self.assertEqual(exports.on_tab_content(self.request("unknown")), "")
        self.assertEqual(exports.on_page_content(self.request("slot")), "<p>slot</p>")
        self.assertEqual(exports.on_page_styles(), "p{}")
        self.assertEqual(exports.on_page_scripts(), "")
        self.assertEqual(_guest.content_defined(), {"on-tab-content", "on-page-content", "on-page-styles"})

    def test_a_handler_returning_no_string_fails_the_call_naming_it(self):
        plugin.on_page_scripts(lambda: 42)
        logged = []
        log = SimpleNamespace(Level=SimpleNamespace(ERROR="error"), log=lambda level, text: logged.append((level, text)))
        _bindings.install({"types": T, "log": log})
        with self.assertRaises(TypeError) as e:
            _guest.Exports().on_page_scripts()
        self.assertIn("on-page-scripts must return a string (or None), not int", str(e.exception))
        self.assertEqual(logged[0][0], "error")
        self.assertIn("page scripts failed", logged[0][1])

    def test_a_handler_the_build_did_not_export_is_refused_at_build_time(self):
        with self.assertRaises(TypeError):
            plugin.on_tab_content("")
        plugin.on_page_styles(lambda: "")
        _guest.CONTENT.clear()
        with self.assertRaises(RuntimeError) as e:
            _guest.check_content_exports()
        self.assertIn("on-page-styles", str(e.exception))
        _guest.CONTENT.add("on-page-styles")
        _guest.check_content_exports()
        _guest.CONTENT.clear()


class ThroughTheHost(unittest.TestCase):
    def test_a_built_plugin_renders_its_tab_page_slot_styles_and_scripts(self):
        self.assertTrue(CLI.is_file(), f"{CLI} is missing: cargo build -p owncast-plugin-cli (or set OWNCAST_PLUGIN_BIN)")
        with tempfile.TemporaryDirectory() as t:
            d = Path(t) / "content-py"
            (d / "src").mkdir(parents=True)
            (d / "__tests__").mkdir()
            (d / "plugin.manifest.json").write_text(json.dumps(MANIFEST))
            (d / "src" / "plugin.py").write_text(SOURCE)
            (d / "__tests__" / "content.test.json").write_text(json.dumps(SCENARIOS))
            build.build(d, str(WIT), quiet=True)
            p = subprocess.run([str(CLI), "test", "--json", str(d)], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            report = json.loads(p.stdout)
            self.assertEqual((report["passed"], report["failed"]), (1, 0), p.stdout)
            # The steps compare the real output: a wrong expectation fails, showing what the plugin rendered.
            wrong = [{"name": "wrong", "events": [{"pageStyles": {"expect": {"body": "nope"}}}]}]
            (d / "__tests__" / "content.test.json").write_text(json.dumps(wrong))
            p = subprocess.run([str(CLI), "test", str(d)], capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertIn("rebeccapurple", p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
