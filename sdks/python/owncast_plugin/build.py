"""`python -m owncast_plugin build [DIR]`: builds a Python plugin project
(`plugin.manifest.json` + `src/plugin.py`) into `<slug>.wasm`, a WebAssembly
component, next to the manifest.

1. The manifest is read and checked (field named on error).
2. The plugin source is checked statically: every `owncast.<group>.<call>`
   it names must be granted by the manifest's permissions (the error names
   the file, line and permission), and must exist in this host's contract.
3. A WIT world is derived from the permissions: world `plugin` of `wit/`
   with only the granted interfaces imported (and, for an interface two
   permissions share, only the granted functions). componentize-py builds the
   component against it, so an ungranted host function is not even an import
   of the component: the host's import gate holds for Python as for Rust.
4. componentize-py pre-initializes the component (the plugin module is
   imported and its decorators run at build time), so instantiating it only
   restores a snapshot.

A build whose inputs (sources, manifest, SDK, WIT, componentize-py version)
are unchanged since the last one is skipped.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

from . import _bindings, _contract

SDK_DIR = Path(__file__).resolve().parent
BUILD_DIR = ".owncast-build"
COMPONENTIZE_PY = "componentize-py"


class BuildError(Exception):
    """A build that cannot go on; the message names the file and field."""


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------


def slugify(name: str) -> str:
    """The host's slug of a name (`ui::slugify`): lowercase letters and
    digits, other runs as one `-`."""
    out = ""
    for c in name:
        if c.isascii() and c.isalnum():
            out += c.lower()
        elif out and not out.endswith("-"):
            out += "-"
    return out.rstrip("-")


def read_manifest(project: Path) -> Dict:
    path = project / "plugin.manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"{path}: not found (a plugin project has plugin.manifest.json)") from None
    except ValueError as e:
        raise BuildError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise BuildError(f"{path}: must be a JSON object")
    for field in ("name", "version"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise BuildError(f"{path}: field `{field}` must be a non-empty string")
    perms = data.get("permissions", [])
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
        raise BuildError(f"{path}: field `permissions` must be a list of strings")
    for i, p in enumerate(perms):
        if p not in _contract.CAPABILITIES:
            known = ", ".join(sorted(_contract.CAPABILITIES))
            raise BuildError(f"{path}: field `permissions[{i}]`: unknown permission \"{p}\" (known: {known})")
    slug = data.get("slug") or slugify(data["name"])
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,63}", slug):
        raise BuildError(f"{path}: field `slug`: \"{slug}\" must be 1-64 lowercase letters, digits or '-', starting with a letter")
    data["_slug"] = slug
    return data


# ---------------------------------------------------------------------------
# Static permission check
# ---------------------------------------------------------------------------


def _sdk_names(tree: ast.AST, name: str) -> Set[str]:
    """Names the module binds to the SDK's `name` (`owncast`, `plugin`):
    usually the name itself."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "owncast_plugin":
            for alias in node.names:
                if alias.name == name:
                    names.add(alias.asname or name)
    return names or {name}


def _owncast_names(tree: ast.AST) -> Set[str]:
    return _sdk_names(tree, "owncast")


# `plugin.<decorator>` -> the page-content export (world `page-content` of
# wit/) the component needs for it.
CONTENT_DECORATORS = {
    "on_tab_content": "on-tab-content",
    "on_page_content": "on-page-content",
    "on_page_styles": "on-page-styles",
    "on_page_scripts": "on-page-scripts",
}


def _plugin_uses(tree: ast.AST) -> List[Tuple[str, int]]:
    """(`plugin.<attribute>`, line) for each use of the SDK's `plugin` object."""
    roots = _sdk_names(tree, "plugin")
    uses = [
        (node.attr, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in roots
    ]
    return sorted(uses, key=lambda u: u[1])


def content_exports(source: str) -> Set[str]:
    """The page-content exports a plugin source defines handlers for (WIT names)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {CONTENT_DECORATORS[a] for a, _ in _plugin_uses(tree) if a in CONTENT_DECORATORS}


def check_source(source: str, filename: str, granted: Iterable[str]) -> List[str]:
    """Problems with the host calls a plugin source makes: each names the
    file, the line, the `owncast.*` call and the permission it needs."""
    from . import owncast, plugin  # the facade is the table of calls

    granted = set(granted)
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        return [f"{filename}:{e.lineno}: syntax error: {e.msg}"]
    problems = []
    roots = _owncast_names(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)):
            continue
        base = node.value
        if not (isinstance(base.value, ast.Name) and base.value.id in roots):
            continue
        api = f"owncast.{base.attr}.{node.attr}"
        group = getattr(type(owncast), base.attr, None)
        method = getattr(group, node.attr, None) if group is not None else None
        if method is None:
            problems.append(f"{filename}:{node.lineno}: {api} is not part of the owncast_plugin API")
            continue
        unsupported = getattr(method, "_owncast_unsupported", None)
        if unsupported:
            problems.append(f"{filename}:{node.lineno}: {api}: {unsupported}")
            continue
        call = getattr(method, "_owncast_call", None)
        if call is None:
            continue
        if not _bindings.in_contract(*call):
            problems.append(f"{filename}:{node.lineno}: {api}: this host's contract (wit/) has no such host function yet")
            continue
        perm = _bindings.permission_for(*call)
        if perm is not None and perm not in granted:
            problems.append(
                f"{filename}:{node.lineno}: {api} needs permission {perm}, which plugin.manifest.json does not "
                f"grant: add \"{perm}\" to \"permissions\""
            )
    plugin_unsupported = {"on_auth_check"}
    for attr, line in _plugin_uses(tree):
        if attr in plugin_unsupported:
            problems.append(f"{filename}:{line}: plugin.{attr}: this host's contract (wit/) has no such export yet")
        elif attr in CONTENT_DECORATORS and "ui.modify" not in granted:
            problems.append(
                f"{filename}:{line}: plugin.{attr} needs permission ui.modify (the host asks only plugins granted it "
                f"for page content), which plugin.manifest.json does not grant: add \"ui.modify\" to \"permissions\""
            )
    del plugin
    return problems


# ---------------------------------------------------------------------------
# The derived world
# ---------------------------------------------------------------------------


def find_wit(project: Path, explicit: Optional[str]) -> Path:
    """The contract's WIT directory: --wit, $OWNCAST_PLUGIN_WIT, else the
    first `wit/world.wit` above the project or above this SDK."""
    candidates = []
    if explicit:
        candidates.append(Path(explicit))
    elif os.environ.get("OWNCAST_PLUGIN_WIT"):
        candidates.append(Path(os.environ["OWNCAST_PLUGIN_WIT"]))
    else:
        for start in (project.resolve(), SDK_DIR):
            for d in (start, *start.parents):
                candidates.append(d / "wit")
    for c in candidates:
        if (c / "world.wit").is_file():
            return c
    raise BuildError(
        "no WIT contract found (looked for wit/world.wit above the project and the SDK): pass --wit DIR "
        "or set OWNCAST_PLUGIN_WIT"
    )


def granted_imports(permissions: Iterable[str]) -> Tuple[Set[str], Dict[str, Set[str]], bool]:
    """(owncast interfaces to import, interface -> functions when only some
    are granted, whether outbound HTTP is granted)."""
    interfaces = set(_contract.UNGATED_INTERFACES) - {"types"}
    partial: Dict[str, Set[str]] = {}
    whole: Set[str] = set()
    for p in permissions:
        iface, functions = _contract.CAPABILITIES[p]
        if iface is None:
            continue
        interfaces.add(iface)
        if functions:
            partial.setdefault(iface, set()).update(functions)
        else:
            whole.add(iface)
    for iface in whole:
        partial.pop(iface, None)
    return interfaces, partial, "network.fetch" in permissions


_WORLD_RE = re.compile(r"world\s+plugin\s*\{(?P<body>.*?)\n\}", re.S)


def derive_wit(wit: Path, out: Path, permissions: Iterable[str], content: Iterable[str] = ()) -> None:
    """Copies `wit` to `out` with world `plugin` importing only what
    `permissions` grant (and ungranted functions of shared interfaces removed),
    and exporting besides its own the `content` exports of world
    `page-content` (WIT names, e.g. `on-tab-content`)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(wit, out, ignore=shutil.ignore_patterns("*.md"))
    interfaces, partial, http = granted_imports(permissions)
    world_file = out / "world.wit"
    text = world_file.read_text(encoding="utf-8")
    m = _WORLD_RE.search(text)
    if m is None:
        raise BuildError(f"{wit / 'world.wit'}: no `world plugin {{ ... }}` found")
    kept = []
    for line in m.group("body").split("\n"):
        im = re.match(r"\s*import\s+([^;]+);", line)
        if im:
            name = im.group(1).strip()
            if name.startswith("wasi:http/"):
                if not http:
                    continue
            elif name not in interfaces:
                continue
        kept.append(line)
    kept += _page_content_exports(text, set(content), wit / "world.wit")
    world_file.write_text(text[: m.start("body")] + "\n".join(kept) + text[m.end("body") :], encoding="utf-8")
    for iface, functions in partial.items():
        _keep_functions(out, iface, functions)


_PAGE_WORLD_RE = re.compile(r"world\s+page-content\s*\{(?P<body>.*?)\n\}", re.S)


def _page_content_exports(world_text: str, wanted: Set[str], where: Path) -> List[str]:
    """The lines of world `page-content` (its `use` and the `wanted` exports,
    with their doc comments) to add to world `plugin`."""
    if not wanted:
        return []
    m = _PAGE_WORLD_RE.search(world_text)
    if m is None:
        raise BuildError(f"{where}: no `world page-content {{ ... }}` found (the plugin defines page-content handlers)")
    out, docs, found = [], [], set()
    for line in m.group("body").split("\n"):
        s = line.strip()
        if s.startswith("///"):
            docs.append(line)
            continue
        em = re.match(r"export\s+([a-z][a-z0-9-]*)\s*:", s)
        if s.startswith("use "):
            out.append(line)
        elif em and em.group(1) in wanted:
            out += docs + [line]
            found.add(em.group(1))
        docs = []
    missing = wanted - found
    if missing:
        raise BuildError(f"{where}: world `page-content` has no export {', '.join(sorted(missing))}")
    return out


def _keep_functions(wit: Path, iface: str, keep: Set[str]) -> None:
    """Removes the functions of `interface iface` not in `keep` (with their
    doc comments) from the WIT file that defines it."""
    for f in wit.glob("*.wit"):
        text = f.read_text(encoding="utf-8")
        m = re.search(r"interface\s+" + re.escape(iface) + r"\s*\{(?P<body>.*?)\n\}", text, re.S)
        if m is None:
            continue
        lines, docs, out_lines = m.group("body").split("\n"), [], []
        for line in lines:
            s = line.strip()
            if s.startswith("///"):
                docs.append(line)
                continue
            fm = re.match(r"%?([a-z][a-z0-9-]*)\s*:\s*func\b", s)
            if fm and fm.group(1) not in keep:
                docs = []
                if not s.endswith(";"):
                    raise BuildError(f"{f}: function {iface}#{fm.group(1)} spans lines; cannot leave it out")
                continue
            out_lines += docs + [line]
            docs = []
        out_lines += docs
        f.write_text(text[: m.start("body")] + "\n".join(out_lines) + text[m.end("body") :], encoding="utf-8")
        return
    raise BuildError(f"{wit}: no `interface {iface}` found")


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def _files(root: Path) -> List[Path]:
    skip = {"__pycache__", BUILD_DIR, "template", "tests"}
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if not f.endswith((".pyc", ".wasm", ".ocpkg"))]
    return out


def _componentize_version() -> str:
    try:
        from importlib.metadata import version

        return version("componentize-py")
    except Exception:
        return "unknown"


def inputs_digest(project: Path, wit: Path) -> str:
    h = hashlib.sha256()
    h.update(_componentize_version().encode())
    for root in (project / "src", wit, SDK_DIR):
        for f in _files(root):
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    h.update((project / "plugin.manifest.json").read_bytes())
    return h.hexdigest()


ENTRY = '''\
# Generated by owncast_plugin.build: the component's entry module.
from owncast_plugin import _guest

_guest.MANIFEST.update({manifest})
_guest.CONTENT.update({content})

import plugin  # noqa: E402,F401  the plugin (src/plugin.py): its decorators run at build time

_guest.check_content_exports()

WitWorld = _guest.Exports
'''


def build(project: Path, wit_dir: Optional[str] = None, force: bool = False, quiet: bool = False) -> Path:
    """Builds `project` and returns the component's path."""
    project = project.resolve()
    manifest = read_manifest(project)
    slug = manifest["_slug"]
    source = project / "src" / "plugin.py"
    if not source.is_file():
        raise BuildError(f"{source}: not found (a Python plugin's code is src/plugin.py)")
    permissions = manifest.get("permissions", [])
    text = source.read_text(encoding="utf-8")
    problems = check_source(text, str(source.relative_to(project)), permissions)
    if problems:
        raise BuildError("\n".join(problems))
    wit = find_wit(project, wit_dir)
    out = project / f"{slug}.wasm"
    work = project / BUILD_DIR
    stamp = work / "stamp"
    digest = inputs_digest(project, wit)
    if not force and out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        if not quiet:
            print(f"up to date: {out.name} ({out.stat().st_size} bytes)")
        return out
    work.mkdir(exist_ok=True)
    content = sorted(content_exports(text))
    derive_wit(wit, work / "wit", permissions, content)
    app = work / "app"
    if app.exists():
        shutil.rmtree(app)
    app.mkdir()
    shutil.copytree(SDK_DIR, app / "owncast_plugin", ignore=shutil.ignore_patterns("__pycache__", "template", "tests"))
    identity = {k: manifest.get(k) for k in ("name", "version", "permissions")}
    identity["slug"] = manifest.get("slug") or ""
    (app / "owncast_entry.py").write_text(ENTRY.format(manifest=repr(identity), content=repr(set(content))), encoding="utf-8")
    tmp = work / f"{slug}.wasm.tmp"
    cmd = [
        _componentize_py(),
        "--quiet",
        "-d", str(work / "wit"),
        "-w", "plugin",
        "componentize",
        "-p", str(app),
        "-p", str(project / "src"),
        "-o", str(tmp),
        "owncast_entry",
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"componentize-py failed for {source}:\n{_trim(proc.stderr or proc.stdout)}")
    os.replace(tmp, out)
    for old in project.glob("*.wasm"):
        if old != out:
            old.unlink()
    stamp.write_text(digest + "\n")
    if not quiet:
        print(f"built {out.name} ({out.stat().st_size} bytes, {time.monotonic() - started:.1f} s)")
    return out


def _componentize_py() -> str:
    exe = Path(sys.executable).parent / COMPONENTIZE_PY
    if exe.is_file():
        return str(exe)
    found = shutil.which(COMPONENTIZE_PY)
    if found:
        return found
    raise BuildError("componentize-py is not installed: pip install 'componentize-py==0.25.*'")


def _trim(text: str) -> str:
    """componentize-py's error without its Rust backtrace."""
    lines = text.strip().split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "Stack backtrace:":
            lines = lines[:i]
            break
    return "\n".join(lines[-40:])


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m owncast_plugin build", description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", nargs="?", default=".", help="the plugin project (default: .)")
    ap.add_argument("--wit", help="the WIT contract directory (default: wit/ above the project or the SDK)")
    ap.add_argument("--force", action="store_true", help="build even when nothing changed")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    try:
        build(Path(a.dir), a.wit, a.force, a.quiet)
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
