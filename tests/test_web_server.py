"""`pyzero serve`'s server without a browser: the websocket protocol through Starlette's
TestClient. Every rule of validation (malformed frames, illegal moves, bad positions,
unknown games and checkpoints, oversized messages, paths) answers with an `error`
message and leaves the connection usable; tabs are independent; analysis streams and
stops. Expectations about the engine's moves come from the game's own rules, never from
which move the untrained network picks."""

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from pyzero.cli import cli
from pyzero.config import load_config
from pyzero.games import make
from pyzero.model import build_model
from pyzero.model.checkpoint import save_checkpoint
from pyzero.web.app import create_app
from pyzero.web.boards import board_json
from pyzero.web.served_players import CHESS_UNTRAINED_SECTIONS, ServeTarget
from pyzero.web.host_guard import LOOPBACK_HOST_NAMES
from pyzero.web.protocol import MAX_MESSAGE_BYTES
from web_run_files import TINY_TICTACTOE, SCALAR_STEPS, random_tictactoe_games, write_run_files

MESSAGES_BEFORE_GIVING_UP = 50  # a bound on reading, so a missing reply fails instead of hanging


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A tiny TicTacToe run (no checkpoint yet) served by the app, through one TestClient
    (whose requests name the host `testserver`, allowed here beside the loopback names)."""
    directory = tmp_path_factory.mktemp("web-server")
    config_path = directory / "tictactoe.yaml"
    config_path.write_text(TINY_TICTACTOE + f"run_dir: {directory / 'run'}\n")
    target = ServeTarget.load(config_path)
    with TestClient(create_app(target, allowed_hosts=(*LOOPBACK_HOST_NAMES, "testserver"))) as client:
        yield client, target


@pytest.fixture
def open_tab(served):
    """Opens tabs on the served app: each call a websocket past its greeting (socket,
    hello, first state); all are closed (and their sessions ended) after the test."""
    client, _ = served
    with contextlib.ExitStack() as sockets:
        def open_one():
            socket = sockets.enter_context(client.websocket_connect("/ws"))
            hello = socket.receive_json()
            assert hello["type"] == "hello"
            return socket, hello, next_message(socket, "state")

        yield open_one


def send(socket, message):
    socket.send_text(json.dumps(message))


def next_message(socket, wanted: str, errors: list | None = None):
    """The next message of type `wanted`; `error` messages on the way are collected (or fail)."""
    for _ in range(MESSAGES_BEFORE_GIVING_UP):
        message = socket.receive_json()
        if message["type"] == wanted:
            return message
        if message["type"] == "error":
            if errors is None:
                pytest.fail(f"unexpected error from the server: {message['message']}")
            errors.append(message["message"])
    pytest.fail(f"no {wanted!r} message")


def error_for(socket, raw: str | bytes) -> str:
    """The error message the server answers `raw` (a frame's text or bytes) with."""
    if isinstance(raw, bytes):
        socket.send_bytes(raw)
    else:
        socket.send_text(raw)
    message = socket.receive_json()
    assert message["type"] == "error", message
    return message["message"]


def state_after_engine_reply(socket):
    """The state after the engine's reply (the one that names its move)."""
    for _ in range(MESSAGES_BEFORE_GIVING_UP):
        state = next_message(socket, "state")
        if state["last_engine_move"]:
            return state
    pytest.fail("the engine did not reply")


# -- the page and the greeting ---------------------------------------------------------------------
def test_the_page_and_its_files_are_served(served):
    client, _ = served
    page = client.get("/")
    assert page.status_code == 200 and "<script src=\"/static/app.js\">" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/health").json() == {"ok": True, "game": "tictactoe"}


def test_hello_offers_every_game_and_names_the_bundled_network_a_new_run_plays(open_tab):
    socket, hello, state = open_tab()
    keys = [game["key"] for game in hello["games"]]
    assert keys == ["run", "connect4", "tak3", "tak4", "tak5", "tak6", "tak7", "tak8", "chess"]
    assert hello["games"][0]["trained"] and not any(game["trained"] for game in hello["games"][1:])
    assert hello["checkpoints"] == []
    assert state["engine"].startswith("bundled network tictactoe (") and "the run has no checkpoint yet" in \
        state["engine"]
    assert state["position"] == make("tictactoe").new().position() and state["legal_moves"]


# -- playing ---------------------------------------------------------------------------------------
def test_a_move_gets_the_engines_legal_reply(open_tab):
    socket, _, _ = open_tab()
    send(socket, {"type": "move", "move": "b2"})
    mine = next_message(socket, "state")
    assert mine["line"][-1]["move"] == "b2" and mine["to_move"] == 1
    reply = state_after_engine_reply(socket)
    game = make("tictactoe")
    after_b2 = game.play_moves(["b2"])
    assert reply["last_engine_move"] in after_b2.legal_moves()
    assert reply["position"] == game.play_moves(["b2", reply["last_engine_move"]]).position()
    assert [node["move"] for node in reply["line"]] == ["b2", reply["last_engine_move"]]


def test_undo_steps_back_over_the_engines_reply_and_redo_returns(open_tab):
    socket, _, start = open_tab()
    send(socket, {"type": "move", "move": "a1"})
    after = state_after_engine_reply(socket)
    send(socket, {"type": "undo"})
    undone = next_message(socket, "state")
    assert undone["position"] == start["position"] and undone["can_redo"]
    send(socket, {"type": "redo"})
    assert next_message(socket, "state")["position"] == after["position"]
    send(socket, {"type": "goto", "ply": 1})
    at_one = next_message(socket, "state")
    assert at_one["ply"] == 1 and len(at_one["line"]) == 2  # browsing keeps the line


def test_tabs_are_independent_sessions(open_tab):
    first, _, _ = open_tab()
    second, _, start = open_tab()
    send(first, {"type": "move", "move": "c3"})
    state_after_engine_reply(first)
    send(second, {"type": "save"})
    assert next_message(second, "record")["position"] == start["position"]


def test_a_second_player_tab_gets_the_engines_first_move(open_tab):
    socket, _, _ = open_tab()
    send(socket, {"type": "new_game", "game": "run", "human_side": 1, "limits": {"simulations": 4}})
    reply = state_after_engine_reply(socket)
    assert reply["ply"] == 1 and reply["human_side"] == 1 and reply["limits"] == {"simulations": 4, "seconds": None}


def test_a_time_limited_engine_move_and_settings_mid_game(open_tab):
    socket, _, _ = open_tab()
    send(socket, {"type": "settings", "limits": {"seconds": 0.2}})
    assert next_message(socket, "state")["limits"] == {"simulations": None, "seconds": 0.2}
    send(socket, {"type": "engine_move"})  # the engine takes the side to move (x) and plays it
    reply = state_after_engine_reply(socket)
    assert reply["ply"] == 1 and reply["human_side"] == 1
    send(socket, {"type": "swap"})  # now the engine plays o, whose move it is
    swapped = state_after_engine_reply(socket)
    assert swapped["ply"] == 2 and swapped["human_side"] == 0


def test_boards_carry_what_a_click_means_and_tak_stacks_bottom_to_top():
    tictactoe = board_json(make("tictactoe").play_moves("a1"))
    assert [[square["click"] for square in row] for row in tictactoe["rows"]] == [
        ["a3", "b3", "c3"], ["a2", "b2", "c2"], ["a1", "b1", "c1"]]
    assert tictactoe["rows"][2][0]["mark"] == "x"
    connect4 = board_json(make("connect4").play_moves("4"))
    assert [square["click"] for square in connect4["rows"][0]] == [str(column) for column in range(1, 8)]
    assert connect4["rows"][-1][3]["mark"] != "." and connect4["row_labels"] == []
    tak = board_json(make("tak", size=5).from_position("x4,12S/x5/x5/x5/21C,x4 1 5"))
    squares = {square["square"]: square["stack"] for row in tak["rows"] for square in row}
    assert squares["e5"] == [{"owner": "white", "kind": "flat"}, {"owner": "black", "kind": "wall"}]
    assert squares["a1"] == [{"owner": "black", "kind": "flat"}, {"owner": "white", "kind": "capstone"}]
    assert squares["b2"] == [] and tak["size"] == 5 and "reserves" in tak["reserves"]


# -- validation ------------------------------------------------------------------------------------
def test_an_illegal_move_is_a_message_and_changes_nothing(open_tab):
    socket, _, _ = open_tab()
    send(socket, {"type": "move", "move": "b2"})
    played = state_after_engine_reply(socket)
    for move, reason in (("b2", "not legal here"), ("z9", "")):
        send(socket, {"type": "move", "move": move})
        message = socket.receive_json()
        assert message["type"] == "error" and f"illegal move {move!r}" in message["message"]
        assert reason in message["message"]
    send(socket, {"type": "save"})
    assert next_message(socket, "record")["position"] == played["position"]


@pytest.mark.parametrize("raw, expected", [
    ("this is not json", "malformed message: not JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"type": "castle"}', "unknown message type 'castle'"),
    ('{"move": "b2"}', "unknown message type 'None'"),
    ('{"type": "move"}', "malformed 'move' message: move: Field required"),
    ('{"type": "move", "move": 7}', "malformed 'move' message: move"),
    ('{"type": "move", "move": "b2", "path": "/etc/passwd"}', "path: Extra inputs are not permitted"),
    ('{"type": "goto", "ply": -1}', "ply: Input should be greater than or equal to 0"),
    ('{"type": "new_game", "game": "run", "limits": {"simulations": 0}}', "limits.simulations"),
    ('{"type": "new_game", "game": "run", "limits": {"seconds": 1e9}}', "limits.seconds"),
    ('{"type": "new_game", "game": "run", "limits": {}}', "limits: give simulations, seconds or both"),
    ('{"type": "new_game", "game": "go"}', "unknown game 'go'; this server offers: run, connect4"),
    (b"\x00\x01binary", "binary messages are not accepted"),
])
def test_a_malformed_websocket_message_gets_an_error_and_the_tab_goes_on(open_tab, raw, expected):
    socket, _, _ = open_tab()
    assert expected in error_for(socket, raw)
    send(socket, {"type": "move", "move": "a2"})  # still answering
    assert next_message(socket, "state")["line"][-1]["move"] == "a2"


def test_an_oversized_message_is_refused_with_its_size(open_tab):
    socket, _, start = open_tab()
    message = error_for(socket, json.dumps({"type": "load", "text": "x" * (MAX_MESSAGE_BYTES + 10)}))
    assert message.startswith("message too large") and str(MAX_MESSAGE_BYTES) in message
    send(socket, {"type": "save"})
    assert next_message(socket, "record")["position"] == start["position"]


def test_bad_positions_and_games_loaded_as_text_are_messages(open_tab):
    socket, _, _ = open_tab()
    assert "bad position" in error_for(socket, json.dumps({"type": "load", "text": "xx./.../... 1"}))
    assert "illegal move 'b2'" in error_for(socket, json.dumps({"type": "load", "text": "b2 b2"}))
    assert "nothing to load" in error_for(socket, json.dumps({"type": "load", "text": "   "}))
    send(socket, {"type": "load", "text": "# a game\nb2 a1 c3"})
    loaded = next_message(socket, "state")
    assert loaded["position"] == make("tictactoe").play_moves("b2 a1 c3").position()


def test_checkpoints_are_offered_by_name_and_no_page_path_is_read(served, open_tab, tmp_path):
    _, target = served
    config = target.config
    game = make("tictactoe")
    payload = {"learner": {"model": build_model(config, game).state_dict(), "step": 5}}
    fitting = save_checkpoint(target.checkpoint_directory, 5, payload, keep_last=3).name
    try:
        socket, hello, _ = open_tab()
        assert hello["checkpoints"] == [fitting] and fitting.startswith("step-000000005.")
        outside = tmp_path / fitting.replace("000000005", "000000007")
        outside.write_bytes(b"never read")
        for name in (str(outside), f"../run/checkpoints/{fitting}", fitting.replace("000000005", "000000006")):
            message = error_for(socket, json.dumps({"type": "settings", "checkpoint": name}))
            assert message.startswith("unknown checkpoint") and f"this run has: {fitting}" in message
        send(socket, {"type": "settings", "checkpoint": fitting})
        state = next_message(socket, "state")
        assert state["engine"] == f"step-5 ({fitting})" and state["checkpoints"] == [fitting]
        wider = config.model_copy(update={"network": config.network.model_copy(update={"channels": 16})})
        payload = {"learner": {"model": build_model(wider, game).state_dict(), "step": 9}}
        misfit = save_checkpoint(target.checkpoint_directory, 9, payload, keep_last=3).name
        message = error_for(socket, json.dumps({"type": "settings", "checkpoint": misfit}))
        assert misfit in message and "does not fit" in message
        send(socket, {"type": "move", "move": "b2"})  # the tab plays on with the engine it had
        assert state_after_engine_reply(socket)["engine"] == f"step-5 ({fitting})"
    finally:
        for path in target.checkpoint_directory.iterdir():
            path.unlink()


# -- analysis and records --------------------------------------------------------------------------
def test_analysis_streams_top_moves_and_stops_on_request(open_tab):
    socket, _, start = open_tab()
    send(socket, {"type": "analyse_start"})
    first = next_message(socket, "analysis")
    assert first["running"] and first["visits"] > 0 and first["position"] == start["position"]
    legal = set(start["legal_moves"])
    for row in first["rows"]:
        assert row["move"] in legal and row["pv"][0] == row["move"] and 0 <= row["prior"] <= 1
        make("tictactoe").play_moves(row["pv"])  # the principal variation is a legal line
    second = next_message(socket, "analysis")
    assert second["visits"] >= first["visits"]  # one tree, growing round by round
    send(socket, {"type": "analyse_stop"})
    for _ in range(MESSAGES_BEFORE_GIVING_UP):
        report = next_message(socket, "analysis")
        if not report["running"]:
            break
    assert not report["running"] and report["error"] is None


def test_tak_saved_ptn_loads_back_to_the_same_line(open_tab):
    socket, _, _ = open_tab()
    send(socket, {"type": "new_game", "game": "tak4", "limits": {"simulations": 2}})
    assert next_message(socket, "state")["board"]["size"] == 4
    send(socket, {"type": "move", "move": "a1"})
    reply = state_after_engine_reply(socket)
    # A wall on a square the untrained engine's reply left empty (it once took b2).
    occupied = {square["square"] for row in reply["board"]["rows"] for square in row if square["stack"]}
    wall_square = next(name for name in ("b2", "c3", "d4", "c2") if name not in occupied)
    send(socket, {"type": "move", "move": f"S{wall_square}"})
    reply = state_after_engine_reply(socket)
    send(socket, {"type": "save"})
    record = next_message(socket, "record")
    assert record["filename"] == "pyzero-tak.ptn" and '[Size "4"]' in record["text"]
    send(socket, {"type": "new_game", "game": "tak4"})
    next_message(socket, "state")
    send(socket, {"type": "load", "text": record["text"]})
    loaded = next_message(socket, "state")
    assert loaded["position"] == reply["position"] == record["position"]
    assert [node["move"] for node in loaded["line"]] == [node["move"] for node in reply["line"]]
    wall = [square for row in loaded["board"]["rows"] for square in row if square["square"] == wall_square][0]
    assert wall["stack"] == [{"owner": "white", "kind": "wall"}]
    assert "bad position" in error_for(socket, json.dumps({"type": "load", "text": "x4/x4/x4/x9 1 1"}))


# -- chess -------------------------------------------------------------------------------------------
CHESS_START = make("chess").new().position()


def chess_tab(open_tab):
    """A tab playing chess (White) against the untrained network at two simulations a move."""
    socket, _, _ = open_tab()
    send(socket, {"type": "new_game", "game": "chess", "limits": {"simulations": 2}})
    return socket, next_message(socket, "state")


def test_chess_starts_with_the_bundled_chess_network(open_tab):
    socket, state = chess_tab(open_tab)
    assert state["game"]["name"] == "chess" and state["position"] == CHESS_START
    assert state["engine"].startswith("bundled network chess (")
    assert state["board"]["kind"] == "chess" and state["board"]["row_labels"][0] == "8"
    assert state["board"]["rows"][0][4] == {"square": "e8", "piece": "k"}
    assert state["board"]["rows"][6][0] == {"square": "a2", "piece": "P"}
    assert state["board"]["rows"][4][4] == {"square": "e4", "piece": ""}
    assert "e2e4" in state["legal_moves"] and len(state["legal_moves"]) == 20
    chess_config = load_config(Path(__file__).resolve().parent.parent / "configs" / "chess.yaml")
    assert CHESS_UNTRAINED_SECTIONS["network"] == {"blocks": chess_config.network.blocks,
                                                   "channels": chess_config.network.channels}
    assert CHESS_UNTRAINED_SECTIONS["inference"]["max_policy_length"] == chess_config.inference.max_policy_length


def test_chess_moves_in_uci_and_san_get_legal_replies_listed_in_san(open_tab):
    socket, _ = chess_tab(open_tab)
    send(socket, {"type": "move", "move": "e2e4"})
    first = state_after_engine_reply(socket)
    send(socket, {"type": "move", "move": "Nf3"})
    second = state_after_engine_reply(socket)
    moves = [node["move"] for node in second["line"]]
    assert moves[0] == "e2e4" and moves[2] == "g1f3" and len(moves) == 4 and first["line"][0]["notation"] == "e4"
    replayed = make("chess").play_moves(moves)  # the engine's replies are legal by the rules
    assert second["position"] == replayed.position()
    assert second["line"][2]["notation"] == "Nf3"
    state = make("chess").play_moves(moves[:1])
    assert second["line"][1]["notation"] == state.record_move(moves[1])  # SAN of the engine's reply


def test_a_bad_chess_move_fen_or_pgn_is_a_message_naming_the_problem(open_tab):
    socket, _ = chess_tab(open_tab)
    message = error_for(socket, json.dumps({"type": "move", "move": "e2e5"}))
    assert message.startswith("illegal move 'e2e5' in chess position") and "not legal here" in message
    assert "illegal move 'Qh5'" in error_for(socket, json.dumps({"type": "move", "move": "Qh5"}))
    bad_fen = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNX w KQkq - 0 1"
    assert error_for(socket, json.dumps({"type": "load", "text": bad_fen})).startswith("bad position:")
    bad_pgn = '[Event "x"]\n\n1. e4 e5 2. Ke3 *\n'
    message = error_for(socket, json.dumps({"type": "load", "text": bad_pgn}))
    assert message.startswith("the loaded game: illegal move 'Ke3'")
    assert "malformed PGN tag" in error_for(socket, json.dumps({"type": "load", "text": '[Event "x\n1. e4'}))
    send(socket, {"type": "save"})
    assert next_message(socket, "record")["position"] == CHESS_START  # nothing changed


def test_chess_fen_loads_and_a_saved_pgn_loads_back_to_the_same_fen(open_tab):
    socket, _ = chess_tab(open_tab)
    fen = "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1"
    send(socket, {"type": "load", "text": fen})
    assert next_message(socket, "state")["position"] == fen
    send(socket, {"type": "move", "move": "O-O"})
    reply = state_after_engine_reply(socket)
    assert reply["line"][0]["move"] == "e1g1" and reply["line"][0]["notation"] == "O-O"
    send(socket, {"type": "save"})
    record = next_message(socket, "record")
    assert record["filename"] == "pyzero-chess.pgn" and record["position"] == reply["position"]
    assert '[SetUp "1"]' in record["text"] and f'[FEN "{fen}"]' in record["text"] and "1. O-O " in record["text"]
    send(socket, {"type": "new_game", "game": "chess", "limits": {"simulations": 2}})
    next_message(socket, "state")
    send(socket, {"type": "load", "text": record["text"]})
    loaded = next_message(socket, "state")
    assert loaded["position"] == reply["position"]
    assert [node["move"] for node in loaded["line"]] == [node["move"] for node in reply["line"]]


def test_a_fen_or_pgn_loaded_while_another_game_is_on_the_board_switches_to_chess(open_tab):
    socket, _, _ = open_tab()  # TicTacToe, the run's game
    fen = "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1"
    send(socket, {"type": "load", "text": fen})
    loaded = next_message(socket, "state")
    assert loaded["game"]["key"] == "chess" and loaded["position"] == fen
    send(socket, {"type": "new_game", "game": "run"})
    next_message(socket, "state")
    send(socket, {"type": "load", "text": '[Event "x"]\n\n1. e4 e5 2. Nf3 *\n'})
    loaded = next_message(socket, "state")
    assert loaded["game"]["name"] == "chess" and [node["notation"] for node in loaded["line"]] == ["e4", "e5", "Nf3"]
    send(socket, {"type": "new_game", "game": "run"})
    next_message(socket, "state")
    # Neither TicTacToe nor chess: TicTacToe's own message, and the game stays.
    assert "bad position" in error_for(socket, json.dumps({"type": "load", "text": "xx./.../... 1"}))
    send(socket, {"type": "save"})
    assert next_message(socket, "record")["filename"] == "pyzero-tictactoe.txt"


def test_a_chess_promotion_by_uci_and_san_makes_the_chosen_piece(open_tab):
    socket, _ = chess_tab(open_tab)
    fen = "8/P6k/8/7p/8/8/7P/K7 w - - 0 1"  # pawns left: a knight alone would be a drawn ending
    send(socket, {"type": "load", "text": fen})
    start = next_message(socket, "state")
    assert {"a7a8q", "a7a8r", "a7a8b", "a7a8n"} <= set(start["legal_moves"])
    send(socket, {"type": "move", "move": "a7a8n"})
    assert state_after_engine_reply(socket)["board"]["rows"][0][0] == {"square": "a8", "piece": "N"}
    send(socket, {"type": "undo"})
    next_message(socket, "state")
    send(socket, {"type": "move", "move": "a8=R"})
    state = state_after_engine_reply(socket)
    assert state["board"]["rows"][0][0]["piece"] == "R" and state["line"][0]["notation"].startswith("a8=R")


# -- watching the run ---------------------------------------------------------------------------------
def test_watching_a_run_reads_curves_evaluations_and_the_latest_games(served, open_tab):
    client, target = served
    run_directory = target.config.run_directory()
    assert client.get("/api/run").json()["games"] == []  # nothing trained yet: empty, not an error
    games = random_tictactoe_games(3, seed=4)
    write_run_files(run_directory, games)
    try:
        report = client.get("/api/run").json()
        assert [point[1] for point in report["curves"]["policy_loss"]] == pytest.approx(
            [2.0 / (step + 1) for step in range(SCALAR_STEPS)])
        assert report["curves"]["positions_per_s"][-1] == [SCALAR_STEPS - 1, 100.0 + 10 * (SCALAR_STEPS - 1)]
        assert report["evaluations"] == {"vs random": [[2, 0.5], [4, 0.75]], "arena Elo": [[2, 120.5], [4, 310.0]]}
        assert [game["moves"] for game in report["games"]] == games[::-1]  # newest first
        for shown, moves in zip(report["games"], games[::-1]):
            assert shown["result"] == make("tictactoe").play_moves(moves).result()
        # A self-play game loads into a tab at its start, to step through with redo.
        socket, _, _ = open_tab()
        send(socket, {"type": "load", "text": report["games"][0]["record"], "game": "run", "at_start": True})
        loaded = next_message(socket, "state")
        assert loaded["ply"] == 0 and [node["move"] for node in loaded["line"]] == games[-1]
        send(socket, {"type": "redo"})
        assert next_message(socket, "state")["ply"] >= 1
    finally:
        for path in sorted(run_directory.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()


# -- the command ------------------------------------------------------------------------------------
def test_serve_reads_a_run_directory_and_names_a_missing_target(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(TINY_TICTACTOE)
    target = ServeTarget.load(run)
    assert target.checkpoint_directory == run / "checkpoints"
    assert load_config(run / "config.yaml").game.name == "tictactoe"
    result = CliRunner().invoke(cli, ["serve", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such config file or run directory" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["serve", str(empty)])
    assert result.exit_code == 2 and "holds config.yaml; this one has none" in result.output


def test_pyzero_serve_answers_on_the_given_port(tmp_path):
    config_path = tmp_path / "tictactoe.yaml"
    config_path.write_text(TINY_TICTACTOE + f"run_dir: {tmp_path / 'run'}\n")
    with socket.socket() as probe:  # a free port (released again for the server to take)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "pyzero", "serve", str(config_path), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    assert json.loads(response.read()) == {"ok": True, "game": "tictactoe"}
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pyzero serve did not answer: {server.communicate(timeout=5)[0]}")
                time.sleep(0.2)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert f"open http://127.0.0.1:{port}/" in output and "Traceback" not in output
