"""Fuzzing `pyzero serve`'s websocket: whatever a page (or anything else) sends, the tab
answers with a readable `error` or a correct reply, and goes on answering.

One tab (one websocket, through Starlette's TestClient) takes every example in turn:
arbitrary JSON values, objects with a real message type and arbitrary fields, well-formed
messages with arbitrary values, arbitrary text and arbitrary binary frames. After each,
the test sends `save` and reads every reply up to the saved record, and on until the
engine's move (if the example asked for one) has come, so each example is answered in
full before the next, and a tab that stopped answering fails there. Every reply is
checked: a known type; an error that is a sentence about the message (never an internal
error, which is a bug); a state whose legal moves, side to move and line agree with the
game's own rules read from its position, with the engine's move where it says it played
one; analysis rows of legal moves.

The number of examples comes from the Hypothesis profile (tests/conftest.py: quick by
default, PYZERO_FUZZ=long for `make fuzz`). Engine searches asked for here are small
(a few simulations or hundredths of a second), so examples stay fast.
"""

import json
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from pyzero.games import make
from pyzero.web.app import create_app
from pyzero.web.served_players import ServeTarget
from pyzero.web.host_guard import LOOPBACK_HOST_NAMES
from pyzero.web.protocol import MAX_GAME_PLIES, MAX_MESSAGE_BYTES, MESSAGE_TYPES
from web_run_files import TINY_TICTACTOE

pytestmark = pytest.mark.fuzz

REPLY_TYPES = {"hello", "state", "error", "thinking", "analysis", "record"}
MESSAGES_BEFORE_GIVING_UP = 200
FIELD_NAMES = ["type", "game", "human_side", "checkpoint", "limits", "move", "ply", "text", "at_start",
               "simulations", "seconds"]
# Games whose engines load quickly (the cache keeps six; these stay in it).
GAME_KEYS = ["run", "connect4", "tak3", "chess"]
SAMPLE_MOVES = ["b2", "a1", "c3", "4", "1", "7", "a3", "Sa1", "Cb2", "a1>", "e2e4", "e4", "Nf3", "O-O", "a7a8q"]
SAMPLE_TEXTS = ["# a game\nb2 a1 c3", "b2 b2", "xx./.../... 1", "x3/x3/x3 1 1", "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/"
                "RNBQKBNR b KQkq - 0 1", '[Event "x"]\n\n1. e4 e5 2. Nf3 *\n', '[Size "3"]\n\n1. a1 c3\n', "1. 4 4 3"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
typed_objects = st.builds(lambda message_type, fields: {**fields, "type": message_type},
                          st.sampled_from(MESSAGE_TYPES),
                          st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), json_values,
                                          max_size=3))
small_limits = st.fixed_dictionaries({}, optional={"simulations": st.integers(1, 8),
                                                   "seconds": st.floats(0.01, 0.05)})
game_keys = st.sampled_from(GAME_KEYS) | st.text(max_size=12)
well_formed_messages = st.one_of(
    st.fixed_dictionaries({"type": st.just("new_game"), "game": game_keys},
                          optional={"human_side": st.sampled_from([0, 1]), "limits": small_limits,
                                    "checkpoint": st.text(max_size=12)}),
    st.fixed_dictionaries({"type": st.just("settings")},
                          optional={"limits": small_limits, "checkpoint": st.text(max_size=12)}),
    st.fixed_dictionaries({"type": st.just("move"), "move": st.sampled_from(SAMPLE_MOVES) | st.text(max_size=12)}),
    st.fixed_dictionaries({"type": st.just("goto"), "ply": st.integers(-2, 12)}),
    st.fixed_dictionaries({"type": st.just("load"), "text": st.sampled_from(SAMPLE_TEXTS) | st.text(max_size=200)},
                          optional={"game": game_keys, "at_start": st.booleans()}),
    st.sampled_from(["undo", "redo", "engine_move", "swap", "save", "analyse_start", "analyse_stop",
                     "stop"]).map(lambda message_type: {"type": message_type}),
)
frames = st.one_of(
    json_values.map(json.dumps),
    typed_objects.map(json.dumps),
    well_formed_messages.map(json.dumps),
    st.text(max_size=300),
    st.binary(max_size=300),
    st.integers(MAX_MESSAGE_BYTES - 16, MAX_MESSAGE_BYTES + 64).map(lambda size: '"' + "x" * size + '"'),
)


@pytest.fixture(scope="module")
def tab(tmp_path_factory):
    """One tab on a tiny TicTacToe run, past its greeting, shared by every example, and the
    checker of its replies (which follows the tab's game from example to example)."""
    directory = tmp_path_factory.mktemp("web-fuzz")
    config_path = directory / "tictactoe.yaml"
    config_path.write_text(TINY_TICTACTOE + f"run_dir: {directory / 'run'}\n")
    app = create_app(ServeTarget.load(config_path), allowed_hosts=(*LOOPBACK_HOST_NAMES, "testserver"))
    with TestClient(app) as client, client.websocket_connect("/ws") as socket:
        assert socket.receive_json()["type"] == "hello"
        checker = ReplyChecker()
        checker.check(socket.receive_json())
        yield SimpleNamespace(socket=socket, checker=checker)


def game_of_state(state: dict):
    """The game a state message is about (Tak's size from its board)."""
    name = state["game"]["name"]
    return make("tak", size=state["board"]["size"]) if name == "tak" else make(name)


class ReplyChecker:
    """Checks each reply against the rules; remembers the tab's game (from its last state)
    and whether the engine is thinking."""

    def __init__(self):
        self.game = make("tictactoe")
        self.thinking = False

    def check(self, reply: dict) -> None:
        assert reply["type"] in REPLY_TYPES, reply
        if reply["type"] == "error":
            assert isinstance(reply["message"], str) and reply["message"].strip()
            assert not reply["message"].startswith("internal error"), reply["message"]
        elif reply["type"] == "thinking":
            self.thinking = reply["active"]
        elif reply["type"] == "state":
            self.game = game_of_state(reply)
            self.check_state(reply)
        elif reply["type"] == "analysis":
            assert reply["error"] is None or isinstance(reply["error"], str)
            legal = set(self.game.from_position(reply["position"]).legal_moves())
            assert all(row["move"] in legal for row in reply["rows"]), reply["rows"]

    def check_state(self, reply: dict) -> None:
        state = self.game.from_position(reply["position"])
        assert reply["to_move"] == state.to_move() and reply["ply"] == state.ply
        if reply["result"] is None:
            assert sorted(reply["legal_moves"]) == sorted(state.legal_moves())
        current = [node for node in reply["line"] if node["current"]]
        assert len(current) <= 1 and len(reply["line"]) <= MAX_GAME_PLIES
        assert (current[0]["ply"] if current else reply["start_ply"]) == reply["ply"]
        if reply["last_engine_move"] is not None:
            assert current and current[0]["move"] == reply["last_engine_move"]


def replies_until_answered(tab, stop_first: bool) -> list[dict]:
    """Every reply up to the record `save` answers, and on until the engine's move (if one
    is pending) has come, each checked; with `stop_first` the engine's move and the
    analysis are cancelled first (`stop`), otherwise only the analysis (`analyse_stop`)."""
    socket, checker = tab.socket, tab.checker
    send_json(socket, {"type": "stop" if stop_first else "analyse_stop"})
    send_json(socket, {"type": "save"})
    replies = []
    for _ in range(MESSAGES_BEFORE_GIVING_UP):
        reply = socket.receive_json()
        checker.check(reply)
        replies.append(reply)
        saved = any(earlier["type"] == "record" for earlier in replies)
        if saved and not checker.thinking and reply["type"] in ("record", "state", "error"):
            return replies
    pytest.fail(f"the tab did not answer; its last replies: {replies[-3:]}")


def send_json(socket, message) -> None:
    socket.send_text(json.dumps(message))


@given(frame=frames)
def test_any_websocket_frame_gets_an_error_or_a_correct_reply_and_the_tab_goes_on(tab, frame):
    if isinstance(frame, bytes):
        tab.socket.send_bytes(frame)
    else:
        tab.socket.send_text(frame)
    replies = replies_until_answered(tab, stop_first=True)
    assert any(reply["type"] == "record" for reply in replies)


@given(message=well_formed_messages)
def test_any_well_formed_message_gets_an_error_or_a_correct_reply(tab, message):
    send_json(tab.socket, message)
    replies_until_answered(tab, stop_first=False)
