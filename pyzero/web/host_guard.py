"""Which requests `pyzero serve` answers: those addressed to its own names, from its own pages.

A server on 127.0.0.1 is still reachable from any website the person visits, through
their browser:

- DNS rebinding: a site's name is made to resolve to 127.0.0.1; the browser then treats
  the server as that site and lets its script read the answers. The request still
  carries the site's name in its `Host` header, so a server that answers only its own
  names (the loopback names, the address it listens on, the names it was told to
  allow) leaves such a page nothing to read.
- Cross-site websocket hijacking: browsers let any page open a websocket to any
  address; the handshake carries the page's `Origin`, and the server must refuse other
  origins itself (no same-origin policy applies to websockets).

Jupyter and the VS Code server check the same two headers. A request without a `Host`
header (HTTP/1.0) or a websocket without an `Origin` does not come from a browser page
(curl, scripts, Starlette's TestClient), so it is answered: only a browser lets another
site's page use the person's network position, and a browser always sends both.

The checks are the pure functions `host_header_is_allowed` and
`origin_header_is_allowed`; `HostGuardMiddleware` applies them to every request of an
ASGI application (HTTP: 403; websocket: closed with 1008, policy violation, before it is
accepted, which an ASGI server answers with an HTTP 403).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse

# The names a browser on this machine reaches a loopback server by.
LOOPBACK_HOST_NAMES = ("localhost", "127.0.0.1", "::1")
# `--allow-host '*'`: every name (for a server behind a proxy that checks names itself).
ANY_HOST = "*"
FORBIDDEN_HOST_TEXT = ("pyzero serve answers only its own host names; start it with --allow-host NAME "
                       "to answer requests addressed to NAME")


def normalized_host_name(name: str) -> str:
    """A host name as compared: lower case, without IPv6 brackets or a trailing dot."""
    name = name.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name.rstrip(".")


def allowed_host_names(listen_address: str, extra_names: Iterable[str] = ()) -> tuple[str, ...]:
    """The names a server listening on `listen_address` answers: the loopback names, the
    address itself (0.0.0.0 too: a browser on this machine may be pointed at it, and no
    other site can be) and `extra_names`, normalized, each once."""
    names = [*LOOPBACK_HOST_NAMES, listen_address, *extra_names]
    return tuple(dict.fromkeys(normalized_host_name(name) for name in names if name.strip()))


def host_name_of_header(host_header: str) -> str | None:
    """The name in a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`), normalized;
    None when the header is malformed (a bad port, an unclosed bracket, spaces)."""
    text = host_header.strip()
    if not text or any(character.isspace() or character in "/@?#\\" for character in text):
        return None
    if text.startswith("["):
        closing = text.find("]")
        if closing < 0:
            return None
        name, rest = text[1:closing], text[closing + 1:]
        if rest and not (rest.startswith(":") and _is_port(rest[1:])):
            return None
    else:
        name, separator, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
        if separator and not _is_port(port):
            return None
    return normalized_host_name(name) or None


def host_header_is_allowed(host_header: str | None, allowed_names: Iterable[str]) -> bool:
    """Whether a request with this `Host` header (its port ignored) may be answered; a
    request without one (not a browser's) may."""
    allowed = {normalized_host_name(name) for name in allowed_names}
    if host_header is None or ANY_HOST in allowed:
        return True
    name = host_name_of_header(host_header)
    return name is not None and name in allowed


def origin_header_is_allowed(origin_header: str | None, allowed_names: Iterable[str]) -> bool:
    """Whether a websocket opened by a page of this `Origin` may be accepted: none (not a
    browser page), or `http(s)://<allowed name>[:port]`. `null` (a file, a sandboxed
    frame) and other schemes (extensions) are refused."""
    if origin_header is None:
        return True
    allowed = {normalized_host_name(name) for name in allowed_names}
    try:
        origin = urlsplit(origin_header.strip())
        origin.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    if origin.scheme not in ("http", "https") or origin.hostname is None:
        return False
    if origin.path not in ("", "/") or origin.query or origin.fragment or origin.username or origin.password:
        return False  # an Origin is scheme://host[:port], nothing more
    return ANY_HOST in allowed or normalized_host_name(origin.hostname) in allowed


def request_refusal(scope: dict[str, Any], allowed_names: Iterable[str]) -> str | None:
    """Why the request of ASGI `scope` is refused (a sentence), or None to answer it."""
    headers = _headers(scope)
    if not host_header_is_allowed(headers.get("host"), allowed_names):
        return f"host {headers.get('host', '')[:80]!r} is not one of this server's names"
    if scope["type"] == "websocket" and not origin_header_is_allowed(headers.get("origin"), allowed_names):
        return f"origin {headers.get('origin', '')[:80]!r} is not one of this server's pages"
    return None


class HostGuardMiddleware:
    """Answers only requests to `allowed_names` (and websockets from their pages): HTTP
    requests to another name get 403; such websockets are closed before acceptance."""

    def __init__(self, app, allowed_names: Iterable[str]):
        self.app = app
        self.allowed_names = tuple(normalized_host_name(name) for name in allowed_names)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if request_refusal(scope, self.allowed_names) is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            await PlainTextResponse(FORBIDDEN_HOST_TEXT, status_code=403)(scope, receive, send)
            return
        first = await receive()  # websocket.connect
        if first["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": 1008, "reason": "origin or host not allowed"})


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    """The request's headers by lower-case name (the first of a repeated one), as text."""
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < len(text) <= 5 and int(text) <= 65535
