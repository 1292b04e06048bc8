"""`pyzero serve` against other websites and against greedy tabs.

Other websites: a page on another site must not drive the engine through the visitor's
browser (a websocket opened with that site's Origin) nor read the run through a
rebound DNS name (a request whose Host header names that site). The server answers only
its own names: the loopback names, the address it listens on, and the names `serve
--allow-host` adds.

Greedy tabs: every tab's engine searches run on their engine's own worker, so many tabs
searching one game never delay another tab's greeting; a tab's new message cancels its
own pending engine move; what a page may ask for (think time, simulations, the length of
a loaded game) is capped. The slow searches are a stand-in engine's (it sleeps for its
time limit, as a real search holds its thread, and honours its stop word), so the
assertions count searches rather than time them.
"""

import contextlib
import json
import queue
import threading
import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from pyzero.cli import cli
from pyzero.games import make
from pyzero.play.game_record import session_record_text
from pyzero.play.session import GameSession
from pyzero.web import served_players as web_engines
from pyzero.web.app import create_app
from pyzero.web.served_players import ServeTarget
from pyzero.web.host_guard import (LOOPBACK_HOST_NAMES, allowed_host_names, host_header_is_allowed,
                                   origin_header_is_allowed)
from pyzero.web.work_queues import BoundedWorkQueue, WorkQueueFullError
from web_run_files import TINY_TICTACTOE

LOOPBACK_BASE_URL = "http://127.0.0.1:8000"
LOOPBACK_SOCKET_URL = "ws://127.0.0.1:8000/ws"
MESSAGES_BEFORE_GIVING_UP = 60
SECONDS_BEFORE_GIVING_UP = 15.0


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    directory = tmp_path_factory.mktemp("web-security")
    config_path = directory / "tictactoe.yaml"
    config_path.write_text(TINY_TICTACTOE + f"run_dir: {directory / 'run'}\n")
    return ServeTarget.load(config_path)


@pytest.fixture(scope="module")
def loopback_client(target):
    """The app with its default names, reached as a browser on this machine reaches it."""
    with TestClient(create_app(target), base_url=LOOPBACK_BASE_URL) as client:
        yield client


def send(socket, message):
    socket.send_text(json.dumps(message))


def message_within(socket, seconds: float = SECONDS_BEFORE_GIVING_UP):
    """The next message, or a test failure after `seconds` (TestClient's receive has no timeout)."""
    box: queue.Queue = queue.Queue()

    def receive():
        try:
            box.put(socket.receive_json())
        except Exception as error:  # noqa: BLE001 - handed to the test thread
            box.put(error)

    threading.Thread(target=receive, daemon=True).start()
    try:
        message = box.get(timeout=seconds)
    except queue.Empty:
        pytest.fail(f"no message from the server within {seconds} s")
    if isinstance(message, Exception):
        raise message
    return message


def next_message(socket, wanted: str, errors: list | None = None, seconds: float = SECONDS_BEFORE_GIVING_UP):
    """The next message of type `wanted`; errors on the way are collected (or fail the test)."""
    for _ in range(MESSAGES_BEFORE_GIVING_UP):
        message = message_within(socket, seconds)
        if message["type"] == wanted:
            return message
        if message["type"] == "error":
            if errors is None:
                pytest.fail(f"unexpected error from the server: {message['message']}")
            errors.append(message["message"])
    pytest.fail(f"no {wanted!r} message")


def error_for(socket, message) -> str:
    send(socket, message)
    reply = message_within(socket)
    assert reply["type"] == "error", reply
    return reply["message"]


def socket_refused(client, **headers) -> bool:
    """Whether the server refuses a websocket opened with `headers` before accepting it
    (closed with code 1008, policy violation, or answered with an HTTP 403)."""
    try:
        with client.websocket_connect(LOOPBACK_SOCKET_URL, headers=headers) as socket:
            socket.receive_json()  # the greeting of an accepted socket
            return False
    except WebSocketDisconnect as refusal:
        status = getattr(refusal, "status_code", None)
        assert refusal.code == 1008 or status == 403, refusal
        return True


# -- other websites ---------------------------------------------------------------------------------
@pytest.mark.parametrize("host, allowed", [
    (None, True),  # no Host header: not a browser
    ("127.0.0.1", True), ("127.0.0.1:8000", True), ("localhost:1", True), ("LocalHost.:8000", True),
    ("[::1]", True), ("[::1]:8000", True), ("::1", True),
    ("evil.example", False), ("evil.example:8000", False), ("127.0.0.1.evil.example", False),
    ("localhost.evil.example:8000", False), ("127.0.0.2:8000", False), ("[::2]:8000", False),
    ("", False), ("127.0.0.1:", False), ("127.0.0.1:port", False), ("127.0.0.1:99999", False),
    ("[::1", False), ("[::1]x", False), ("local host", False), ("evil.example@127.0.0.1", False),
    ("127.0.0.1/evil", False),
])
def test_which_host_headers_a_loopback_server_answers(host, allowed):
    assert host_header_is_allowed(host, LOOPBACK_HOST_NAMES) is allowed


@pytest.mark.parametrize("origin, allowed", [
    (None, True),  # no Origin: not a web page
    ("http://127.0.0.1:8000", True), ("https://localhost", True), ("http://[::1]:8000", True),
    ("http://LOCALHOST:3000", True),
    ("http://evil.example", False), ("https://127.0.0.1.evil.example", False), ("null", False), ("", False),
    ("file://", False), ("ws://127.0.0.1:8000", False), ("chrome-extension://localhost", False),
    ("http://127.0.0.1:notaport", False), ("http://user@127.0.0.1", False), ("http://127.0.0.1/page", False),
    ("127.0.0.1:8000", False),
])
def test_which_websocket_origins_a_loopback_server_accepts(origin, allowed):
    assert origin_header_is_allowed(origin, LOOPBACK_HOST_NAMES) is allowed


def test_the_allowed_names_are_the_loopback_ones_the_listening_address_and_the_extra_ones():
    assert allowed_host_names("127.0.0.1") == ("localhost", "127.0.0.1", "::1")
    assert allowed_host_names("0.0.0.0", ["Studio.LAN", "[fe80::1]"]) == (
        "localhost", "127.0.0.1", "::1", "0.0.0.0", "studio.lan", "fe80::1")
    names = allowed_host_names("0.0.0.0", ["studio.lan"])
    assert host_header_is_allowed("studio.lan:8000", names) and not host_header_is_allowed("evil.example", names)
    assert origin_header_is_allowed("http://studio.lan:8000", names)
    assert host_header_is_allowed("anything.example", ["*"]) and origin_header_is_allowed("http://x.example", ["*"])


@pytest.mark.parametrize("path", ["/", "/api/run", "/health", "/static/app.js"])
def test_a_request_for_another_host_name_is_forbidden(loopback_client, path):
    """DNS rebinding: evil.example resolved to 127.0.0.1 sends Host: evil.example."""
    response = loopback_client.get(path, headers={"host": "evil.example"})
    assert response.status_code == 403
    assert response.headers.get("access-control-allow-origin") is None


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.1"])
def test_the_loopback_names_are_served(loopback_client, target, host):
    run = loopback_client.get("/api/run", headers={"host": host})
    assert run.status_code == 200 and run.json()["run"] == str(target.config.run_directory())
    assert loopback_client.get("/", headers={"host": host}).status_code == 200


def test_the_run_path_is_not_told_to_another_host(loopback_client, target):
    response = loopback_client.get("/api/run", headers={"host": "evil.example:8000"})
    assert response.status_code == 403 and str(target.config.run_directory()) not in response.text


@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example:8000", "null",
                                    "http://127.0.0.1.evil.example:8000", "file://", "chrome-extension://abc"])
def test_a_websocket_from_another_origin_is_refused_before_accept(loopback_client, origin):
    """Cross-site websocket hijacking: a page on evil.example opens ws://127.0.0.1:8000/ws."""
    assert socket_refused(loopback_client, origin=origin)


def test_a_websocket_naming_another_host_is_refused(loopback_client):
    assert socket_refused(loopback_client, host="evil.example:8000")
    assert socket_refused(loopback_client, host="evil.example:8000", origin="http://evil.example:8000")


@pytest.mark.parametrize("origin", [None, "http://127.0.0.1:8000", "http://localhost:8000", "https://localhost",
                                    "http://[::1]:8000"])
def test_a_websocket_from_the_servers_own_origin_or_none_is_accepted(loopback_client, origin):
    """Browsers send the page's origin; other clients (curl, scripts, TestClient) send none."""
    assert not socket_refused(loopback_client, **({"origin": origin} if origin else {}))


def serve_app(monkeypatch, target, *options: str):
    """The app `pyzero serve CONFIG *options` would run (uvicorn.run captured, not started)."""
    import uvicorn

    captured = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **settings: captured.update(app=app, **settings))
    config_path = target.config.run_directory().parent / "tictactoe.yaml"
    result = CliRunner().invoke(cli, ["serve", str(config_path), *options])
    assert result.exit_code == 0, result.output
    return captured, result.output


def test_serve_allows_the_names_it_is_given_and_the_address_it_listens_on(monkeypatch, target):
    captured, output = serve_app(monkeypatch, target, "--host", "0.0.0.0", "--allow-host", "studio.lan",
                                 "--allow-host", "192.168.1.20")
    assert captured["host"] == "0.0.0.0" and "anyone who can reach" in output
    with TestClient(captured["app"], base_url=LOOPBACK_BASE_URL) as client:
        for host in ("studio.lan:8000", "192.168.1.20:8000", "127.0.0.1:8000", "localhost"):
            assert client.get("/health", headers={"host": host}).status_code == 200, host
        assert client.get("/health", headers={"host": "192.168.1.21:8000"}).status_code == 403
        assert client.get("/health", headers={"host": "evil.example"}).status_code == 403
        assert not socket_refused(client, host="studio.lan:8000", origin="http://studio.lan:8000")
        assert socket_refused(client, host="studio.lan:8000", origin="http://evil.example")
    captured, _ = serve_app(monkeypatch, target, "--host", "myhost.example")
    with TestClient(captured["app"], base_url=LOOPBACK_BASE_URL) as client:
        assert client.get("/health", headers={"host": "myhost.example:8000"}).status_code == 200
        assert client.get("/health", headers={"host": "evil.example"}).status_code == 403


def test_serve_help_says_what_listening_elsewhere_exposes():
    text = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert "--allow-host" in text and "anyone who can reach" in " ".join(text.split())


# -- greedy tabs --------------------------------------------------------------------------------------
def test_a_work_queue_is_bounded_drops_cancelled_jobs_and_hands_back_errors():
    work = BoundedWorkQueue("test", workers=1, max_waiting=2)
    release, ran = threading.Event(), []
    running = work.submit(lambda: release.wait(10) and ran.append("first"))
    queued = work.submit(ran.append, "second")
    with pytest.raises(WorkQueueFullError, match="2 test jobs are waiting"):
        work.submit(ran.append, "third")
    assert queued.cancel() and work.pending == 1  # a queued job is dropped, and frees its place
    failing = work.submit(lambda: 1 / 0)
    release.set()
    running.result(timeout=10)
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=10)
    deadline = time.monotonic() + 10  # a future's waiters may wake before its callbacks have run
    while work.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == ["first"] and work.pending == 0


class SearchCounts:
    """What the stand-in engine's searches did, shared with the test thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = 0
        self.finished = 0  # ran their whole time limit
        self.stopped = 0  # ended early by their stop word
        self.first_started = threading.Event()
        self.release = threading.Event()  # set by the test's teardown: every search ends now

    def count(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class SlowStandInEngine:
    """Connect4's engine replaced by one whose search sleeps for its time limit (holding its
    thread as a real search does, without the GIL) and plays the first legal move; it ends
    early when its stop word is set."""

    def __init__(self, game, counts: SearchCounts):
        self.game = game
        self.name = "slow stand-in"
        self.counts = counts

    def analyse(self, state, limits=None, stop=None, history=()):
        self.counts.count("started")
        self.counts.first_started.set()
        deadline = time.monotonic() + (limits.seconds or 1.0)
        while time.monotonic() < deadline and not self.counts.release.is_set():
            if stop is not None and stop.is_set():
                self.counts.count("stopped")
                break
            time.sleep(0.005)
        else:
            self.counts.count("finished")
        return SimpleNamespace(chosen_move=state.legal_moves()[0])

    def best_move(self, state, limits=None, history=()):
        return self.analyse(state, limits).chosen_move


@pytest.fixture
def slow_connect4(monkeypatch, target):
    """An app whose Connect4 engine is the slow stand-in; yields (client, counts, open_tab)."""
    counts = SearchCounts()
    real_played_engine = web_engines.played_engine

    def played_engine(choice, seed):
        if choice.config.game.name == "connect4":
            return SlowStandInEngine(make("connect4"), counts)
        return real_played_engine(choice, seed)

    monkeypatch.setattr(web_engines, "played_engine", played_engine)
    with TestClient(create_app(target), base_url=LOOPBACK_BASE_URL) as client:
        with contextlib.ExitStack() as sockets:
            def open_tab():
                """A new tab past its greeting: (socket, its first state)."""
                socket = sockets.enter_context(client.websocket_connect(LOOPBACK_SOCKET_URL))
                assert message_within(socket)["type"] == "hello"
                return socket, next_message(socket, "state")

            try:
                yield client, counts, open_tab
            finally:
                counts.release.set()  # nothing waits for a stand-in search to run its course


SLOW_SEARCH_SECONDS = 6.0
BUSY_TABS = 25


def test_a_new_tab_is_greeted_while_many_tabs_wait_for_one_engine(slow_connect4):
    """25 tabs ask the (slow) Connect4 engine for a move; a new TicTacToe tab's first state
    comes before any of those searches has finished (each runs SLOW_SEARCH_SECONDS, one
    at a time), so it waited for none of them."""
    _, counts, open_tab = slow_connect4
    busy = [open_tab()[0] for _ in range(BUSY_TABS)]
    for socket in busy:
        send(socket, {"type": "new_game", "game": "connect4", "human_side": 1,
                      "limits": {"seconds": SLOW_SEARCH_SECONDS}})
    assert counts.first_started.wait(SECONDS_BEFORE_GIVING_UP), "no Connect4 search started"
    time.sleep(0.3)  # the other requests reach their queue meanwhile
    asked = time.monotonic()
    _, state = open_tab()
    waited = time.monotonic() - asked
    assert state["game"]["name"] == "tictactoe" and state["ply"] == 0
    assert counts.finished == 0, f"the new tab waited {waited:.1f} s, for {counts.finished} searches"
    assert counts.started == 1  # the engine searches one position at a time; the others wait their turn


def test_a_tab_stops_its_own_engine_move_and_a_queued_one_never_starts(slow_connect4):
    _, counts, open_tab = slow_connect4
    searching, _ = open_tab()
    waiting, _ = open_tab()
    for socket in (searching, waiting):
        send(socket, {"type": "new_game", "game": "connect4", "human_side": 1, "limits": {"seconds": 30.0}})
        assert next_message(socket, "thinking")["active"]
    assert counts.first_started.wait(SECONDS_BEFORE_GIVING_UP)
    send(waiting, {"type": "undo"})  # at the start: nothing to undo, but its pending search goes
    assert next_message(waiting, "thinking", errors=[])["active"] is False
    send(searching, {"type": "stop"})
    assert next_message(searching, "thinking")["active"] is False
    stopped = next_message(searching, "state")
    assert stopped["ply"] == 0 and stopped["last_engine_move"] is None
    deadline = time.monotonic() + SECONDS_BEFORE_GIVING_UP
    while counts.stopped < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (counts.started, counts.stopped, counts.finished) == (1, 1, 0)  # the queued one never ran
    send(searching, {"type": "engine_move"})  # the tab can ask again, and gets a move this time
    send(searching, {"type": "settings", "limits": {"seconds": 0.05}})  # restarts the pending search, shorter
    assert next_message(searching, "state", errors=[])  # the settings' state
    for _ in range(MESSAGES_BEFORE_GIVING_UP):
        state = next_message(searching, "state")
        if state["last_engine_move"]:
            break
    assert state["ply"] == 1 and state["last_engine_move"] in make("connect4").new().legal_moves()


def test_a_move_while_the_engine_thinks_is_refused_and_changes_nothing(slow_connect4):
    _, counts, open_tab = slow_connect4
    socket, _ = open_tab()
    send(socket, {"type": "new_game", "game": "connect4", "human_side": 1, "limits": {"seconds": 30.0}})
    assert next_message(socket, "thinking")["active"]
    assert "thinking" in error_for(socket, {"type": "move", "move": "4"})
    send(socket, {"type": "save"})  # saving does not disturb the search
    assert next_message(socket, "record")["position"] == make("connect4").new().position()
    assert counts.stopped == 0


@pytest.mark.parametrize("limits, field", [({"seconds": 60.5}, "limits.seconds"),
                                           ({"simulations": 20_001}, "limits.simulations")])
def test_a_tab_cannot_ask_for_a_longer_search_than_the_caps(loopback_client, limits, field):
    with loopback_client.websocket_connect(LOOPBACK_SOCKET_URL) as socket:
        next_message(socket, "state")
        assert field in error_for(socket, {"type": "new_game", "game": "run", "limits": limits})
        assert field in error_for(socket, {"type": "settings", "limits": limits})


def long_tak_record(plies: int) -> str:
    """A legal 5x5 Tak game of `plies` plies as PTN: two flats walked back and forth (Tak
    has no repetition rule, so such a game never ends)."""
    session = GameSession(make("tak", size=5))
    session.play("a1")
    session.play("e5")
    walk = ["e5<", "a1>", "d5>", "b1<"]
    while session.current.ply < plies:
        session.play(walk[(session.current.ply - 2) % len(walk)])
    return session_record_text(session, ("a", "b"))


def test_a_loaded_game_longer_than_the_cap_is_refused_and_one_at_the_cap_loads(loopback_client):
    with loopback_client.websocket_connect(LOOPBACK_SOCKET_URL) as socket:
        next_message(socket, "state")
        send(socket, {"type": "new_game", "game": "tak5"})
        next_message(socket, "state")
        message = error_for(socket, {"type": "load", "text": long_tak_record(2001)})
        assert "2001 plies" in message and "2000" in message
        send(socket, {"type": "load", "text": long_tak_record(2000)})
        loaded = next_message(socket, "state")
        assert loaded["ply"] == 2000 and len(loaded["line"]) == 2000
        # The line may not grow past the cap by playing on either.
        assert "2000" in error_for(socket, {"type": "move", "move": "e5<"})
        send(socket, {"type": "goto", "ply": 10})
        assert len(next_message(socket, "state")["line"]) == 2000


def test_a_pasted_game_is_read_off_the_event_loop(loopback_client, monkeypatch):
    """Reading a record (a 64 KB PTN takes a while) runs on a worker thread, so the other
    tabs' messages are answered meanwhile."""
    import asyncio

    from pyzero.web import tab_session

    readers = []
    real_load_text = tab_session.load_text

    def load_text(session, text):
        try:
            asyncio.get_running_loop()
            readers.append("event loop")
        except RuntimeError:
            readers.append("worker thread")
        return real_load_text(session, text)

    monkeypatch.setattr(tab_session, "load_text", load_text)
    with loopback_client.websocket_connect(LOOPBACK_SOCKET_URL) as socket:
        next_message(socket, "state")
        send(socket, {"type": "load", "text": "# a game\nb2 a1 c3"})
        assert next_message(socket, "state")["ply"] == 3
    assert readers and set(readers) == {"worker thread"}
