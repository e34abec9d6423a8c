"""`owncast.http.fetch`: outbound HTTP over `wasi:http/outgoing-handler`
(permission network.fetch; the host allows only the manifest's
`network.allowedHosts`). Synchronous: the call blocks on the response, under
the host's deadline for the plugin's call."""

from __future__ import annotations

import json
from typing import Any, Dict
from urllib.parse import urlsplit

# Present only in a component built with network.fetch (imported now, at
# pre-initialization: nothing can be imported later).
try:
    from componentize_py_types import Err, Ok
    from wit_world.imports import outgoing_handler as _out
    from wit_world.imports import poll as _poll  # noqa: F401  (pollables' module)
    from wit_world.imports import streams as _streams
    from wit_world.imports import wasi_http_types as _h
except ImportError:  # a dev machine, or built without network.fetch
    _out = _h = _streams = None  # type: ignore[assignment]
    Err = Ok = None  # type: ignore[assignment,misc]

CHUNK = 4096


def _method(name: str) -> Any:
    cls = getattr(_h, "Method_" + name.capitalize(), None)
    return cls() if cls is not None and name != "OTHER" else _h.Method_Other(name)


def _body_bytes(body: Any) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _unwrap(value: Any, what: str) -> Any:
    """A componentize-py `Result` (Ok/Err) value, or RuntimeError."""
    if Err is not None and isinstance(value, Err):
        raise RuntimeError(f"{what}: {value.value}")
    return value.value if Ok is not None and isinstance(value, Ok) else value


def fetch(url: str, opts: Dict[str, Any]) -> Dict[str, Any]:
    """`{status, headers, body}` of the response to `url`; `opts`: method,
    headers (dict), body (str, bytes, or JSON-encoded)."""
    if _out is None:
        raise PermissionError(
            'owncast.http.fetch needs permission network.fetch: add "network.fetch" to "permissions" '
            "(and the host to network.allowedHosts) in plugin.manifest.json"
        )
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"owncast.http.fetch: {url!r} is not an http(s) URL")
    headers = _h.Fields.from_list([(str(k).lower(), str(v).encode("utf-8")) for k, v in (opts.get("headers") or {}).items()])
    request = _h.OutgoingRequest(headers)
    request.set_method(_method(str(opts.get("method") or "GET").upper()))
    request.set_scheme(_h.Scheme_Https() if parts.scheme == "https" else _h.Scheme_Http())
    request.set_authority(parts.netloc)
    request.set_path_with_query((parts.path + (f"?{parts.query}" if parts.query else "")) or "/")
    outgoing = request.body()
    body = opts.get("body")
    if body is not None:
        data = _body_bytes(body)
        with outgoing.write() as stream:
            for i in range(0, len(data), CHUNK):
                stream.blocking_write_and_flush(data[i : i + CHUNK])
    try:
        future = _out.handle(request, None)
    except Exception as e:
        raise RuntimeError(f"owncast.http.fetch {url}: {getattr(e, 'value', e)}") from None
    _h.OutgoingBody.finish(outgoing, None)
    with future.subscribe() as ready:
        ready.block()
    got = future.get()
    response = _unwrap(_unwrap(got, f"owncast.http.fetch {url}"), f"owncast.http.fetch {url}")
    status = response.status()
    with response.headers() as fields:
        reply_headers = {k: v.decode("utf-8", "replace") for k, v in fields.entries()}
    incoming = response.consume()
    chunks = []
    with incoming.stream() as stream:
        while True:
            try:
                chunks.append(stream.blocking_read(65536))
            except Exception as e:
                if isinstance(getattr(e, "value", None), _streams.StreamError_Closed):
                    break
                raise RuntimeError(f"owncast.http.fetch {url}: reading the body: {getattr(e, 'value', e)}") from None
    _h.IncomingBody.finish(incoming)
    return {"status": status, "headers": reply_headers, "body": b"".join(chunks).decode("utf-8", "replace")}
