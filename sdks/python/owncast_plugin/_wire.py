"""Payload views: the records of the WIT contract as upstream's Python SDK
shows them, attribute objects with snake_case names over the wire JSON
(`msg.body`, `msg.user.display_name`, `msg.client_id`), `.raw` being the
camelCase dict. Also the two conversions between WIT values (the dataclasses
componentize-py generates) and wire dicts. Pure Python: importable and
testable without a component."""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from typing import Any, Dict, List, Optional


def camel(snake: str) -> str:
    """`display_name` -> `displayName` (the wire key of a WIT field)."""
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class Obj:
    """An attribute view over a wire dict: `obj.display_name` reads
    `displayName`; a missing field reads as None; `.raw` is the dict."""

    __slots__ = ("raw",)

    def __init__(self, data: Optional[Dict[str, Any]] = None) -> None:
        object.__setattr__(self, "raw", data if isinstance(data, dict) else {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raw = object.__getattribute__(self, "raw")
        value = raw[name] if name in raw else raw.get(camel(name))
        return view(value)

    def __setattr__(self, name: str, value: Any) -> None:
        raw = object.__getattribute__(self, "raw")
        raw[name if name in raw else camel(name)] = value.raw if isinstance(value, Obj) else value

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Obj) and other.raw == self.raw

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.raw!r})"


def view(value: Any) -> Any:
    """Dicts become `Obj` views (lists of dicts, lists of views); the rest is as is."""
    if isinstance(value, dict):
        return Obj(value)
    if isinstance(value, list):
        return [view(v) for v in value]
    return value


# Typed views, for editors: the attributes each payload has. At run time every
# payload is an `Obj`; these classes only carry annotations.
class ChatUser(Obj):
    id: str
    display_name: str
    is_bot: Optional[bool]
    is_authenticated: Optional[bool]
    scopes: Optional[List[str]]


class ChatMessage(Obj):
    id: str
    user: Optional[ChatUser]
    client_id: Optional[int]
    body: str
    timestamp: str


class HttpRequest(Obj):
    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: str
    remote_addr: str
    authenticated: bool
    user: Optional[ChatUser]


# Every module the SDK uses is imported at the top: inside a component only
# what was imported during pre-initialization can be used later.
def rfc3339_millis(timestamp: Any) -> Optional[float]:
    """RFC 3339 text as milliseconds since the epoch, or None."""
    try:
        return datetime.fromisoformat(str(timestamp).replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def to_wire(value: Any) -> Any:
    """A WIT value (dataclass, list, option) as wire JSON: camelCase keys,
    absent options left out, a list of pairs (headers, query) as an object."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        pairs = _pair_fields(type(value))
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None:
                continue
            out[camel(f.name)] = {k: to_wire(x) for k, x in v} if f.name in pairs else to_wire(v)
        return out
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    if isinstance(value, tuple):
        return [to_wire(v) for v in value]
    if hasattr(value, "name") and hasattr(value, "value") and type(value).__module__ != "builtins":
        return value.name.lower()  # an enum
    return value


_PAIRS: Dict[type, frozenset] = {}
_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    """A record's field types (resolved once per class: it is slow)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _pair_fields(cls: type) -> frozenset:
    """Fields of a record typed `list<tuple<string, string>>` (headers,
    query): objects of name to value in JSON."""
    if cls not in _PAIRS:
        hints = _hints(cls)
        _PAIRS[cls] = frozenset(
            name
            for name, tp in hints.items()
            if typing.get_origin(_unwrap_optional(tp)) in (list, List)
            and typing.get_origin(typing.get_args(_unwrap_optional(tp))[0]) is tuple
        )
    return _PAIRS[cls]


def _unwrap_optional(tp: Any) -> Any:
    if typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def from_wire(tp: Any, data: Any, fallback: Any = None) -> Any:
    """Wire JSON as a value of the WIT type `tp` (a generated dataclass,
    `List[...]`, `Optional[...]`, a scalar). A field the dict leaves out keeps
    its value in `fallback` (the record the change starts from)."""
    if isinstance(data, Obj):
        data = data.raw
    optional = typing.get_origin(tp) is typing.Union and type(None) in typing.get_args(tp)
    tp = _unwrap_optional(tp)
    if data is None:
        if optional:
            return None
        if fallback is not None:
            return fallback
        raise ValueError(f"a value of type {getattr(tp, '__name__', tp)} is required")
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{tp.__name__}: expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            key = camel(f.name)
            old = getattr(fallback, f.name, None) if fallback is not None else None
            if key in data or f.name in data:
                kwargs[f.name] = from_wire(hints[f.name], data.get(key, data.get(f.name)), old)
            elif fallback is not None:
                kwargs[f.name] = old
            else:
                kwargs[f.name] = from_wire(hints[f.name], None)
        return tp(**kwargs)
    origin = typing.get_origin(tp)
    if origin in (list, List):
        (item,) = typing.get_args(tp)
        if isinstance(data, dict) and typing.get_origin(item) is tuple:
            return [(str(k), str(v)) for k, v in data.items()]
        if not isinstance(data, list):
            raise ValueError(f"expected a list, got {type(data).__name__}")
        return [from_wire(item, v) for v in data]
    if tp is bool:
        return bool(data)
    if tp is int:
        return int(data)
    if tp is float:
        return float(data)
    if tp is str:
        return data if isinstance(data, str) else str(data)
    return data
