"""The ASGI application of `pyzero serve`: the page, its static files and one websocket per tab.

    app = create_app(ServeTarget.load("configs/tak.yaml"))
    uvicorn.run(app, host="127.0.0.1", port=8000, ws_max_size=MAX_FRAME_BYTES)

Only requests addressed to the server's own names (`allowed_hosts`: the loopback names
by default) are answered, and only websockets opened by its own pages (or by clients
that are no web page, which send no Origin): see `host_guard`.

`GET /` is the page; `/static/...` its script and style (files in the package, no build
step); `/ws` the websocket a tab opens; `GET /api/run` the run's curves and latest
self-play games (`run_watch`), which the page polls while its "watch the run" panel is open. Each websocket gets its own `TabSession`, so tabs
are independent; the engines (and their caches) are shared through one `EngineProvider`.
Messages out go through one queue and one sender task, so the engine's and the
analysis' tasks and the message handler never write to the socket at the same time; a
tab that does not read its messages is not read from either once
`MAX_UNSENT_MESSAGES` wait for it, so it cannot make the server hold its replies
without end. Slow work runs on bounded queues of threads (`work_queues`): each engine's
searches on its own worker, engine builds and pasted games on the loading queue, the
run's report on its own, so none of them waits for another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from pyzero.web.served_players import EngineProvider, ServeTarget
from pyzero.web.host_guard import LOOPBACK_HOST_NAMES, HostGuardMiddleware
from pyzero.web.protocol import ProtocolError, parse_client_message
from pyzero.web.run_watch import run_report
from pyzero.web.tab_session import TabSession, loading_queue
from pyzero.web.work_queues import BoundedWorkQueue, WorkQueueFullError

STATIC_DIRECTORY = Path(__file__).resolve().parent / "static"
# Messages queued for a tab before the server stops reading that tab's messages.
MAX_UNSENT_MESSAGES = 64
# The run's report is read from its files (TensorBoard's, the replay's): one at a time,
# a few requests waiting at most (pages poll it; a full queue answers 503).
RUN_REPORT_WORKERS = 1
MAX_WAITING_RUN_REPORTS = 8

logger = logging.getLogger(__name__)


def create_app(target: ServeTarget, seed: int = 0, *,
               allowed_hosts: Iterable[str] = LOOPBACK_HOST_NAMES) -> Starlette:
    """The application serving `target` (a run config and its checkpoints) to requests
    addressed to `allowed_hosts` (host names or addresses; "*" for any; the port is not
    compared) and websockets opened by pages of those hosts."""
    provider = EngineProvider(target, seed)
    loading = loading_queue()
    run_reports = BoundedWorkQueue("run report", workers=RUN_REPORT_WORKERS, max_waiting=MAX_WAITING_RUN_REPORTS)

    async def index(request):
        return FileResponse(STATIC_DIRECTORY / "index.html")

    async def health(request):
        return JSONResponse({"ok": True, "game": target.config.game.name})

    async def run(request):
        """The run's curves and latest self-play games (read from the run directory only)."""
        game = target.game_choices()[0].make_game()
        try:
            report = await run_reports.run(run_report, target.config.run_directory(), game)
        except WorkQueueFullError as busy:
            return JSONResponse({"error": str(busy)}, status_code=503)
        except Exception as error:  # noqa: BLE001 - a file mid-write or damaged: say so, keep serving
            logger.exception("reading the run directory failed")
            return JSONResponse({"error": f"could not read the run directory: {error}"}, status_code=500)
        return JSONResponse(report)

    async def tab_socket(websocket: WebSocket) -> None:
        await websocket.accept()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        session = TabSession(provider, outbox.put_nowait, loading)
        sender = asyncio.create_task(_send_messages(websocket, outbox))
        try:
            await session.start()
            while True:
                await _room_in(outbox, MAX_UNSENT_MESSAGES, sender)
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                try:
                    message = parse_client_message(frame.get("text") if frame.get("text") is not None
                                                   else frame.get("bytes"))
                except ProtocolError as error:
                    session.report_error(str(error))
                    continue
                try:
                    await session.handle(message)
                except Exception as error:  # noqa: BLE001 - a bug: logged in full, the tab told in a line
                    logger.exception("pyzero serve: %s message failed", message.type)
                    session.report_error(f"internal error while handling {message.type!r}: {error}")
        except WebSocketDisconnect:
            pass
        finally:
            session.close()
            await _drain(outbox)
            sender.cancel()

    return Starlette(routes=[
        Route("/", index),
        Route("/health", health),
        Route("/api/run", run),
        WebSocketRoute("/ws", tab_socket),
        Mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static"),
    ], middleware=[Middleware(HostGuardMiddleware, allowed_names=_names(allowed_hosts))])


def _names(allowed_hosts: Iterable[str]) -> tuple[str, ...]:
    """`allowed_hosts` as a tuple of names (one name given as a string is one name)."""
    return (allowed_hosts,) if isinstance(allowed_hosts, str) else tuple(allowed_hosts)


async def _send_messages(websocket: WebSocket, outbox: asyncio.Queue) -> None:
    """Writes queued messages to the socket in order until cancelled or the tab is gone."""
    while True:
        message = await outbox.get()
        try:
            await websocket.send_json(message)
        except (WebSocketDisconnect, RuntimeError):  # closed meanwhile: nothing more to say
            return


async def _room_in(outbox: asyncio.Queue, limit: int, sender: asyncio.Task) -> None:
    """Waits while `limit` messages or more wait to be sent (the tab is not reading), unless
    the sender has stopped (the tab is gone: reading says so)."""
    while outbox.qsize() >= limit and not sender.done():
        await asyncio.sleep(0.02)


async def _drain(outbox: asyncio.Queue, seconds: float = 0.2) -> None:
    """Gives the sender a moment to flush the last messages before it is cancelled."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not outbox.empty() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
