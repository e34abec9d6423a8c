"""The component's exports: `register`, `on-event`, `on-filter` and
`on-http-request` of world `plugin`, and those of world `page-content` the
plugin defines handlers for (`on-tab-content`, `on-page-content`,
`on-page-styles`, `on-page-scripts`), dispatching to the handlers the plugin
registered with `owncast_plugin.plugin`. The build's entry module imports the
plugin, then this module's `Exports` as `WitWorld` (componentize-py's name
for the world's export class)."""

from __future__ import annotations

import json
import re
import traceback
from typing import Any, Dict, Optional

from . import REGISTRY, _bindings, owncast
from ._wire import Obj, from_wire, to_wire, view

# Filled in by the build's entry module: the manifest's identity.
MANIFEST: Dict[str, Any] = {}


def event_type(case_class_name: str) -> str:
    """`Event_ChatMessageReceived` -> `chat.message.received` (the WIT case
    name with `-` as `.`)."""
    case = case_class_name.split("_", 1)[1]
    return ".".join(w.lower() for w in re.findall(r"[A-Z][a-z0-9]*", case))


def _payload(event: Any) -> Any:
    """The handler's argument: a view of the wire payload; a custom event's
    JSON payload decoded."""
    if type(event).__name__ == "Event_Custom":
        try:
            return json.loads(event.value.payload_json)
        except ValueError:
            return event.value.payload_json
    return view(to_wire(event.value))


def _type_of(event: Any) -> str:
    if type(event).__name__ == "Event_Custom":
        return event.value.event_type
    return event_type(type(event).__name__)


def _log_failure(what: str) -> None:
    owncast.log.error(f"{what}: {traceback.format_exc(limit=8)}")


def registration() -> Any:
    t = _bindings.types()
    notify, filters = REGISTRY.subscriptions()
    return t.Registration(
        slug=MANIFEST.get("slug") or "",
        name=MANIFEST.get("name") or "",
        version=MANIFEST.get("version") or "",
        permissions=list(MANIFEST.get("permissions") or []),
        subscriptions=t.Subscriptions(
            notify=[t.NotifySubscription(event=e) for e in notify],
            filter=[t.FilterSubscription(event=e, priority=p) for e, p in filters],
        ),
        commands=[t.CommandInfo(**{_snake(k): v for k, v in c.items()}) for c in REGISTRY.command_infos()] or None,
    )


def _snake(key: str) -> str:
    """`modOnly` -> `mod_only` (componentize-py's field names)."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), key)


TIMER_FIRE = "timer.fire"
CHAT_COMMAND = "chat.command"


def fire_timer(payload: Any) -> None:
    """`timer.fire` `{"id": n}`: calls the function `owncast.timer` armed."""
    tid = payload.get("id") if isinstance(payload, dict) else None
    entry = REGISTRY.timers.get(tid) if isinstance(tid, int) else None
    if entry is None:
        return
    fn, repeat = entry
    if not repeat:
        del REGISTRY.timers[tid]
    fn()


def on_event(event: Any) -> None:
    kind = _type_of(event)
    if kind == TIMER_FIRE and type(event).__name__ == "Event_Custom":
        fire_timer(_payload(event))
        return
    if kind == CHAT_COMMAND and type(event).__name__ == "Event_Custom":
        REGISTRY.run_command(_payload(event))
        return
    handler = REGISTRY.notify.get(kind) or REGISTRY.custom.get(kind)
    payload = _payload(event)
    if handler is not None:
        handler(payload)


def filter_result(event: Any, verdict: Any) -> Any:
    """A handler's verdict (`filter.pass_()/drop()/modify()`) as the WIT
    `filter-result`. Anything else passes, as upstream."""
    t = _bindings.types()
    if not isinstance(verdict, dict):
        return t.FilterResult_Pass()
    action = verdict.get("action")
    if action == "drop":
        return t.FilterResult_Drop(str(verdict.get("reason") or ""))
    if action == "modify":
        payload = verdict.get("payload")
        case = type(event)
        if isinstance(payload, Obj):
            payload = payload.raw
        if case.__name__ == "Event_Custom":
            text = payload if isinstance(payload, str) else json.dumps(payload)
            return t.FilterResult_Modify(case(t.CustomEvent(event_type=event.value.event_type, payload_json=text)))
        record = type(event.value)
        return t.FilterResult_Modify(case(from_wire(record, payload, event.value)))
    return t.FilterResult_Pass()


def on_filter(event: Any) -> Any:
    handler = REGISTRY.filter.get(_type_of(event))
    if handler is None:
        return _bindings.types().FilterResult_Pass()
    return filter_result(event, handler(_payload(event)))


def http_response(reply: Any) -> Any:
    """A handler's reply as the WIT `http-response`: a dict `{status, body,
    headers}` (a non-string body is sent as JSON), a string (200), None (204)."""
    t = _bindings.types()
    if reply is None:
        return t.HttpResponse(status=204, headers=[], body="")
    if isinstance(reply, Obj):
        reply = reply.raw
    if not isinstance(reply, dict):
        return t.HttpResponse(status=200, headers=[("Content-Type", "text/plain; charset=utf-8")], body=str(reply))
    headers = [(str(k), str(v)) for k, v in (reply.get("headers") or {}).items()]
    body = reply.get("body")
    if body is None:
        body = ""
    elif not isinstance(body, str):
        body = json.dumps(body)
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
    return t.HttpResponse(status=int(reply.get("status") or 200), headers=headers, body=body)


def on_http_request(request: Any) -> Any:
    t = _bindings.types()
    req = view(to_wire(request))
    method = (request.method or "GET").upper()
    path_matched = False
    for m, path, fn in REGISTRY.routes:
        if path != request.path:
            continue
        path_matched = True
        if m in ("*", method):
            return http_response(fn(req))
    if path_matched:
        return t.HttpResponse(status=405, headers=[], body="method not allowed")
    if REGISTRY.http is not None:
        return http_response(REGISTRY.http(req))
    return t.HttpResponse(status=404, headers=[], body="not found")


# The page-content exports, by WIT name: the registry's handler(s) each
# dispatches to. The build exports those the plugin defines (`CONTENT`).
CONTENT_HANDLERS = {
    "on-tab-content": "tab_content",
    "on-page-content": "page_content",
    "on-page-styles": "page_styles",
    "on-page-scripts": "page_scripts",
}

# Filled in by the build's entry module: the content exports the component has.
CONTENT: set = set()


def content_defined() -> set:
    """The page-content exports whose handlers the plugin registered."""
    return {export for export, attr in CONTENT_HANDLERS.items() if getattr(REGISTRY, attr)}


def check_content_exports() -> None:
    """At build time, after the plugin ran: a content handler the build did
    not export would never be called; refuse it, naming the handler."""
    missing = sorted(content_defined() - CONTENT)
    if missing:
        raise RuntimeError(
            f"the plugin defines handlers for {', '.join(missing)}, which the build did not find in src/plugin.py "
            "(use them as `@plugin.on_tab_content(...)`, `@plugin.on_page_styles`, ... on the `plugin` of owncast_plugin)"
        )


def _text(reply: Any, what: str) -> str:
    """A content handler's reply: a string, or None for nothing."""
    if reply is None:
        return ""
    if not isinstance(reply, str):
        raise TypeError(f"{what} must return a string (or None), not {type(reply).__name__}")
    return reply


def content(export: str, request: Any = None) -> str:
    """The text of content export `export` (a WIT name): the handler for the
    request's slug (tabs, page slots) or the page's styles/scripts handler;
    "" when there is none."""
    handlers = getattr(REGISTRY, CONTENT_HANDLERS[export])
    if request is None:
        return _text(handlers(), export) if handlers is not None else ""
    fn = handlers.get(request.slug)
    return _text(fn(view(to_wire(request))), f"{export} for {request.slug!r}") if fn is not None else ""


class Exports:
    """World `plugin`'s exports (componentize-py instantiates this class).
    A handler's exception propagates: the call traps, and the host counts a
    failure (a filter fails open) and logs the Python traceback first."""

    def register(self) -> Any:
        return registration()

    def on_event(self, event: Any) -> None:
        try:
            on_event(event)
        except Exception:
            _log_failure(f"handler for {_type_of(event)} failed")
            raise

    def on_filter(self, event: Any) -> Any:
        try:
            return on_filter(event)
        except Exception:
            _log_failure(f"filter for {_type_of(event)} failed")
            raise

    def on_http_request(self, request: Any) -> Any:
        try:
            return on_http_request(request)
        except Exception:
            _log_failure(f"HTTP handler for {request.method} {request.path} failed")
            raise

    def on_tab_content(self, request: Any) -> str:
        try:
            return content("on-tab-content", request)
        except Exception:
            _log_failure(f"tab content for {request.slug} failed")
            raise

    def on_page_content(self, request: Any) -> str:
        try:
            return content("on-page-content", request)
        except Exception:
            _log_failure(f"page content for {request.slug} failed")
            raise

    def on_page_styles(self) -> str:
        try:
            return content("on-page-styles")
        except Exception:
            _log_failure("page styles failed")
            raise

    def on_page_scripts(self) -> str:
        try:
            return content("on-page-scripts")
        except Exception:
            _log_failure("page scripts failed")
            raise
