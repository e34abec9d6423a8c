"""The host interfaces this plugin was built with.

componentize-py generates one module per imported WIT interface under
`wit_world.imports`. The build derives the plugin's world from its manifest,
so only the interfaces its permissions grant exist (and for an interface two
permissions share, only the granted functions). They are imported here once,
at build time (componentize-py pre-initializes the component), and looked up
by the `owncast.*` facade. Outside a component (editors, unit tests) there are
none unless a test installs stand-ins with `install`."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Dict, Optional

from . import _contract

_MODULES: Dict[str, Any] = {}
_loaded = False

# WIT interface name -> module name componentize-py gives it. The shared
# records are `types`, or `owncast_plugin_types` when another package's
# `types` (wasi:http) is in the world too.
_MODULE_NAMES = {
    "types": ("types", "owncast_plugin_types"),
    "outgoing-handler": ("outgoing_handler",),
}


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    global _IN_COMPONENT
    try:
        importlib.import_module("wit_world")
    except ImportError:
        return  # not inside a component
    _IN_COMPONENT = True
    interfaces = set(_contract.UNGATED_INTERFACES)
    interfaces.update(i for i, _ in _contract.CAPABILITIES.values() if i)
    interfaces.add("outgoing-handler")
    for interface in interfaces:
        for name in _MODULE_NAMES.get(interface, (interface.replace("-", "_"),)):
            try:
                _MODULES[interface] = importlib.import_module(f"wit_world.imports.{name}")
                break
            except ImportError:
                continue


def install(modules: Dict[str, Any]) -> None:
    """Use these objects as the host interfaces (tests on a dev machine)."""
    global _loaded
    _MODULES.clear()
    _MODULES.update(modules)
    _loaded = True


def interface(name: str) -> Optional[ModuleType]:
    """The module of WIT interface `name`, or None when the world lacks it."""
    _load()
    return _MODULES.get(name)


def permission_for(interface_name: str, function: str) -> Optional[str]:
    """The permission that opens `interface#function`, None when ungated."""
    if interface_name in _contract.UNGATED_INTERFACES:
        return None
    if interface_name == "outgoing-handler":
        return "network.fetch"
    for perm, (iface, functions) in _contract.CAPABILITIES.items():
        if iface == interface_name and (not functions or function in functions):
            return perm
    raise NotInContract(f"{interface_name}#{function}")


class NotInContract(KeyError):
    """A WIT function this host's contract (wit/ and its permission table)
    does not have (yet): the SDK knows the call, the host does not."""


def in_contract(interface_name: str, function: str) -> bool:
    try:
        permission_for(interface_name, function)
        return True
    except NotInContract:
        return False


def function(interface_name: str, name: str, api: str) -> Any:
    """The host function `interface#name` (WIT names), or a PermissionError
    naming the permission and the `owncast.*` call (`api`) that needed it."""
    module = interface(interface_name)
    attr = name.replace("-", "_")
    fn = getattr(module, attr, None) if module is not None else None
    if fn is None:
        if not in_contract(interface_name, name):
            raise NotImplementedError(f"{api}: this host's contract (wit/) has no such host function yet")
        perm = permission_for(interface_name, name)
        if not _MODULES and not _IN_COMPONENT:
            raise RuntimeError(f"{api}: host functions exist only inside a built plugin component")
        if perm is None:
            raise RuntimeError(
                f"{api}: the component lacks `{interface_name}`, which every plugin gets: rebuild it with this SDK"
            )
        raise PermissionError(
            f"{api} needs permission {perm}: add \"{perm}\" to \"permissions\" in plugin.manifest.json "
            f"(the plugin was built without it, so the host function is not part of the component)"
        )
    return fn


_IN_COMPONENT = False

# Import the modules now: inside a component this runs at build time, during
# pre-initialization, and a module not imported then cannot be imported later
# (the component has no file system at run time).
_load()


def types() -> Any:
    """The module of the shared records (`owncast:plugin/types`)."""
    module = interface("types")
    if module is None:
        raise RuntimeError("owncast_plugin: the contract's types are available only inside a built plugin component")
    return module
