"""`python -m owncast_plugin new DIR [--name TEXT] [--slug SLUG] [--force]`
(also `owncast-plugin-py new`): a new Python plugin project that builds and
passes its own scenario test as written."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from .build import slugify

PLUGIN = '''\
"""{name}: answers "!hello" in chat.

Handlers are decorators; the build subscribes the plugin to the events of the
handlers present. Every owncast.* call needs its permission in
plugin.manifest.json (owncast.chat.send: "chat.send"); the build refuses a
call whose permission is missing.
"""

from owncast_plugin import owncast, plugin


@plugin.on_chat_message
def hello(msg):
    if msg.body.strip() == "!hello" and msg.user is not None:
        owncast.chat.send(f"hello, {{msg.user.display_name}}!")
'''

TEST = [
    {
        "name": "answers !hello",
        "events": [
            {
                "event": "chat.message.received",
                "payload": {
                    "id": "m1",
                    "user": {"id": "u1", "displayName": "ann"},
                    "body": "!hello",
                    "timestamp": "2024-01-01T00:00:00Z",
                },
            }
        ],
        "expect": {"chatSends": ["hello, ann!"]},
    },
    {
        "name": "ignores other chat",
        "events": [
            {
                "event": "chat.message.received",
                "payload": {
                    "id": "m2",
                    "user": {"id": "u1", "displayName": "ann"},
                    "body": "hi",
                    "timestamp": "2024-01-01T00:00:01Z",
                },
            }
        ],
        "expect": {"chatSends": []},
    },
]

README = """\
# {name}

An Owncast plugin in Python (`src/plugin.py`), built into a WebAssembly
component (`{slug}.wasm`) by the Owncast plugin SDK for Python.

    owncast-plugin build       # or: python -m owncast_plugin build
    owncast-plugin test        # the scenarios in __tests__/
    owncast-plugin serve .     # dev page; rebuilds when src/ changes
    owncast-plugin package .   # {slug}.ocpkg, the file admins install
"""

GITIGNORE = "*.wasm\n*.ocpkg\n.owncast-build/\n__pycache__/\n"


def create(directory: Path, name: Optional[str] = None, slug: Optional[str] = None, force: bool = False) -> Path:
    name = name or directory.resolve().name.replace("-", " ").replace("_", " ").title()
    slug = slug or slugify(directory.resolve().name)
    if not slug or not slug[0].isalpha():
        raise ValueError(f'"{slug}" is not a valid plugin slug: pass --slug')
    if directory.exists() and any(directory.iterdir()) and not force:
        raise ValueError(f"{directory} is not empty; use --force to write into it")
    (directory / "src").mkdir(parents=True, exist_ok=True)
    (directory / "__tests__").mkdir(exist_ok=True)
    manifest = {
        "api": "1",
        "name": name,
        "slug": slug,
        "version": "0.1.0",
        "description": f"{name}: an Owncast plugin in Python.",
        "permissions": ["chat.send"],
        "bot": {"displayName": name},
    }
    (directory / "plugin.manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (directory / "src" / "plugin.py").write_text(PLUGIN.format(name=name))
    (directory / "__tests__" / "plugin.test.json").write_text(json.dumps(TEST, indent=2) + "\n")
    (directory / "README.md").write_text(README.format(name=name, slug=slug))
    (directory / ".gitignore").write_text(GITIGNORE)
    return directory


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m owncast_plugin new", description="Create a Python plugin project.")
    ap.add_argument("dir")
    ap.add_argument("--name", help="display name (default: from the directory name)")
    ap.add_argument("--slug", help="plugin slug (default: the directory name)")
    ap.add_argument("--force", action="store_true", help="write into a directory that is not empty")
    a = ap.parse_args(argv)
    try:
        d = create(Path(a.dir), a.name, a.slug, a.force)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"created {d}: plugin.manifest.json, src/plugin.py, __tests__/plugin.test.json")
    print(f"next: owncast-plugin build {d} && owncast-plugin test {d}")
    return 0
