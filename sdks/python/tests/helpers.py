"""Shared by the SDK's tests: the repository's paths and real componentize-py
bindings of a derived world (generated in a temporary folder, imported as
`wit_world`)."""

import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]
ROOT = SDK.parents[1]
WIT = ROOT / "wit"
sys.path.insert(0, str(SDK))

from owncast_plugin import build  # noqa: E402


def record(cls, **given):
    """A componentize-py record (a dataclass) with `given` and every other field None
    (the optional fields a test does not care about)."""
    import dataclasses

    return cls(**{**{f.name: None for f in dataclasses.fields(cls)}, **given})


def bindings(permissions, keep=None):
    """Imports componentize-py's bindings of the world derived from
    `permissions`; returns {interface: module}. The folder lives as long as `keep`."""
    tmp = tempfile.TemporaryDirectory()
    if keep is not None:
        keep.append(tmp)
    out = Path(tmp.name)
    build.derive_wit(WIT, out / "wit", permissions)
    subprocess.run(
        [build._componentize_py(), "-d", str(out / "wit"), "-w", "plugin", "bindings", str(out / "py")],
        check=True,
        capture_output=True,
    )
    for name in list(sys.modules):
        if name == "wit_world" or name.startswith(("wit_world.", "componentize_py_")):
            del sys.modules[name]
    sys.path.insert(0, str(out / "py"))
    try:
        modules = {}
        for f in (out / "py" / "wit_world" / "imports").glob("*.py"):
            if f.stem != "__init__":
                modules[f.stem] = importlib.import_module(f"wit_world.imports.{f.stem}")
        return modules
    finally:
        sys.path.remove(str(out / "py"))
