"""`pyzero play`: the session tree, saved games, board views, the terminal loop driven
in-process, and whole sessions through a pseudo-terminal.

Nothing here depends on which move the (untrained, tiny) network picks: every expectation
is computed from the game's own rules (legal_moves, position) along the moves the engine
reports."""

import io
import json
import os
import random
import re
import sys

import pytest
from rich.console import Console

from conftest import data_path
from pyzero.games import IllegalMoveError, PositionError, make
from pyzero.games.ptn import read_ptn_file, replay
from pyzero.play import board_view
from pyzero.play.game_record import (GameRecordError, move_list_text, parse_move_list, read_game_record,
                                     tak_ptn_text, write_text_atomically)
from pyzero.play.opponent import build_play_engine
from pyzero.play.session import GameSession, SessionError
from pyzero.play.terminal import PlayTerminal
from pyzero.players.network_player import SearchLimits

TINY_NETWORK = "network:\n  blocks: 1\n  channels: 8\n  value_hidden: 8\nevaluation:\n  simulations: 8\n"
TICTACTOE_GAME = "game:\n  name: tictactoe\n"
TAK_GAME = "game:\n  name: tak\n  options:\n    size: 4\n    komi: 0\n"


def write_config(tmp_path, game_section: str, name: str):
    """A tiny run config whose run directory (no checkpoints: an untrained net) is in tmp_path."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(game_section + TINY_NETWORK + f"run_dir: {tmp_path / (name + '-run')}\n")
    return path


def random_line(game, plies: int, seed: int, start=None) -> list[str]:
    """Up to `plies` uniformly random legal moves from `start` (fewer if the game ends)."""
    rng = random.Random(seed)
    state = (start or game.new()).copy()
    moves = []
    while len(moves) < plies and not state.is_terminal():
        move = rng.choice(state.legal_moves())
        state.play(move)
        moves.append(move)
    return moves


# -- the session tree --------------------------------------------------------------------------
def test_undo_and_redo_walk_the_line_and_keep_it():
    game = make("connect4")
    moves = random_line(game, 6, seed=1)
    session = GameSession(game)
    for move in moves:
        session.play(move)
    assert session.state.position() == game.play_moves(moves).position()
    assert [session.undo(), session.undo()] == [moves[-1], moves[-2]]
    assert session.state.position() == game.play_moves(moves[:-2]).position()
    assert session.moves_to_current() == moves[:-2]
    assert session.line_moves() == moves  # the moves taken back stay on the line
    assert session.redo() == moves[-2]
    assert session.state.position() == game.play_moves(moves[:-1]).position()
    session.goto(len(moves))
    with pytest.raises(SessionError, match="nothing to redo"):
        session.redo()
    session.goto(0)
    with pytest.raises(SessionError, match="nothing to undo"):
        session.undo()


def test_a_move_after_goto_starts_a_branch_and_the_old_line_stays_reachable():
    game = make("connect4")  # no game ends before ply 7
    moves = random_line(game, 6, seed=2)
    session = GameSession(game)
    for move in moves:
        session.play(move)
    session.goto(2)
    assert session.state.position() == game.play_moves(moves[:2]).position()
    alternative = next(move for move in session.state.legal_moves() if move != moves[2])
    session.play(alternative)
    assert session.line_moves() == moves[:2] + [alternative]
    assert [node.ply for node in session.branch_points()] == [2]
    session.goto(2)
    assert [node.move for node in session.variations()] == [moves[2], alternative]
    assert session.current.followed_child.move == alternative  # redo follows the newest branch
    assert session.redo() == alternative
    session.undo()
    session.play(moves[2])  # the old move re-enters the old branch, whole, without a copy
    assert len(session.current.parent.children) == 2
    assert session.line_moves() == moves
    session.goto(6)
    assert session.state.position() == game.play_moves(moves).position()
    with pytest.raises(SessionError, match="not on the current line"):
        session.goto(7)


def test_an_illegal_move_changes_nothing_and_says_why():
    game = make("tak", size=4)
    session = GameSession(game)
    with pytest.raises(IllegalMoveError) as raised:
        session.play("a9")
    assert raised.value.reason
    assert session.current is session.root and not session.root.children


def test_two_spellings_of_one_move_share_a_node():
    game = make("tak", size=4)
    session = GameSession(game)
    session.play("a1")
    session.play("d4")  # Black places White's flat on d4: White may move it now
    long_form, short_form = "1d4<1", "d4<"
    assert session.state.move_to_action(long_form) == session.state.move_to_action(short_form)
    before = session.state
    canonical = before.action_to_move(before.move_to_action(long_form))
    node = session.play(long_form)
    assert node.move == canonical  # the engine's canonical spelling is what the tree keeps
    session.undo()
    assert session.play(short_form) is node
    assert len(node.parent.children) == 1


def test_load_position_starts_a_new_tree_at_that_ply():
    game = make("tak", size=4)
    played = game.play_moves(random_line(game, 7, seed=3))
    session = GameSession(game)
    session.play(game.new().legal_moves()[0])
    session.load_position(played.position())
    assert session.state.position() == played.position()
    assert session.root.ply == played.ply and not session.can_undo() and not session.root.children
    with pytest.raises(PositionError):
        session.load_position("x4/x4 9 9")


# -- saved games ------------------------------------------------------------------------------
@pytest.mark.parametrize("start_plies", [0, 5])  # the empty board; a TPS with Black to move
def test_a_tak_game_saved_as_ptn_replays_to_the_same_tps(tmp_path, start_plies):
    game = make("tak", size=4, komi=0)
    start = game.play_moves(random_line(game, start_plies, seed=4)) if start_plies else None
    session = GameSession(game, start)
    for move in random_line(game, 80, seed=5, start=start):
        session.play(move)
    final = session.state.copy()
    session.goto(session.root.ply + 1)  # saving writes the whole current line, not just up to here
    path = write_text_atomically(tmp_path / "game.ptn", tak_ptn_text(session, ("you", "pyzero")))

    [saved] = read_ptn_file(path)
    outcome = replay(saved)
    assert outcome.final_state.tps() == final.position()
    assert outcome.plies == len(session.line_moves())
    assert outcome.result == final.result() and (saved.tag("Result") or None) == final.result()
    assert saved.tag("Size") == "4" and float(saved.tag("Komi")) == 0
    assert (saved.tag("TPS") is not None) == bool(start_plies)

    record = read_game_record(game, path)
    reloaded = GameSession(game)
    reloaded.load_line(record.start, record.moves)
    assert reloaded.state.position() == final.position()
    with pytest.raises(GameRecordError, match="size"):
        read_game_record(make("tak", size=5), path)


def test_other_games_are_saved_as_a_move_list_with_their_start():
    game = make("connect4")
    start = game.play_moves(random_line(game, 3, seed=6))
    session = GameSession(game, start)
    for move in random_line(game, 10, seed=7, start=start):
        session.play(move)
    record = parse_move_list(game, move_list_text(session))
    assert record.start.position() == start.position()
    assert record.moves == session.line_moves()


def test_saving_is_atomic_and_replaces_the_old_file(tmp_path):
    target = tmp_path / "game.txt"
    write_text_atomically(target, "first\n")
    write_text_atomically(target, "second\n")
    assert target.read_text() == "second\n"
    assert [path.name for path in tmp_path.iterdir()] == ["game.txt"]  # no temporary left behind


# -- board views ------------------------------------------------------------------------------
def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_tak_board_shows_every_stack_bottom_to_top():
    manifest = json.loads(data_path("tak", "games", "manifest.json").read_text())
    entry = next(item for item in manifest if item["size"] == 6 and "C" in item["final_tps"])
    state = make("tak", size=6, komi=entry["komi"]).from_position(entry["final_tps"])
    squares = board_view.tak_squares(state.position())
    assert len(squares) == 6 and all(len(row) == 6 for row in squares)
    drawn = render(board_view.board_renderable(state))
    for stack in {stack for row in squares for stack in row if stack}:
        text = board_view.tak_stack_text(stack).plain
        assert text.replace(" ", "") == stack  # the same pieces, in the same order (bottom first)
        assert len(text.split()) == sum(character.isdigit() for character in stack)  # one token a piece
        assert text in drawn
    status = render(board_view.status_text(state, ("you", "engine")))
    assert board_view.tak_reserves_line(state) in status


@pytest.mark.parametrize("name", ["tictactoe", "connect4"])
def test_grid_boards_show_every_mark(name):
    game = make(name)
    state = game.play_moves(random_line(game, 5, seed=8))
    drawn = render(board_view.board_renderable(state))
    for mark in "xo":
        assert drawn.count(mark) == state.position().count(mark)


# -- the terminal loop, in-process ----------------------------------------------------------------
@pytest.fixture(scope="module")
def tictactoe_engine(tmp_path_factory):
    config = write_config(tmp_path_factory.mktemp("config"), TICTACTOE_GAME, "tictactoe")
    return build_play_engine(str(config), limits=SearchLimits(simulations=8))


def run_terminal(engine, lines, engine_side=1):
    """Runs the loop on `lines` (strings, or functions of the terminal giving one) until they
    run out; returns the terminal and everything it printed."""
    console = Console(file=io.StringIO(), width=160, color_system=None)
    pending = iter(lines)
    terminal = PlayTerminal(engine, GameSession(engine.game), console, lambda prompt: read(prompt),
                            SearchLimits(simulations=8), engine_side)

    def read(prompt):
        console.print(prompt, end="")
        try:
            line = next(pending)
        except StopIteration:
            raise EOFError from None
        return line(terminal) if callable(line) else line

    terminal.run()
    return terminal, console.file.getvalue()


def first_legal(terminal):
    return terminal.session.state.legal_moves()[0]


def test_the_engine_replies_and_undo_takes_back_the_reply_too(tictactoe_engine):
    terminal, output = run_terminal(tictactoe_engine, [first_legal, "undo", "history"])
    game = tictactoe_engine.game
    line = terminal.session.line_moves()
    assert len(line) == 2 and game.play_moves(line).ply == 2  # your move and a legal reply
    assert f"engine (o) plays {line[1]}" in output
    assert terminal.session.current is terminal.session.root and terminal.session.can_redo()
    assert f"took back {line[0]} {line[1]}" in output
    assert "end of input" in output


def test_the_engine_moves_first_when_you_play_second(tictactoe_engine):
    terminal, output = run_terminal(tictactoe_engine, [], engine_side=0)
    [move] = terminal.session.line_moves()
    assert move in tictactoe_engine.game.new().legal_moves()
    assert "ply 1, o to move (you)" in output


def test_swap_hands_the_side_to_move_to_the_engine(tictactoe_engine):
    terminal, output = run_terminal(tictactoe_engine, [first_legal, "swap", "go"])
    assert terminal.engine_side == 0
    assert terminal.session.state.ply == 3 and terminal.session.state.to_move() == 1
    tictactoe_engine.game.play_moves(terminal.session.line_moves())  # all three legal
    assert "you now play o; the engine plays x" in output
    assert "it is your move" in output  # `go` on your turn


def test_a_finished_game_refuses_moves_and_searches(tictactoe_engine):
    game = tictactoe_engine.game
    finished = game.play_moves(random_line(game, 9, seed=9))
    assert finished.is_terminal()
    terminal, output = run_terminal(tictactoe_engine, [f"load {finished.position()}", "a1", "hint", "analyse"])
    assert terminal.session.state.position() == finished.position()
    assert f"game over: {finished.result()}" in output
    assert output.count("the game is over") == 3


def test_bad_load_and_unknown_commands_keep_the_session_going(tictactoe_engine, tmp_path):
    missing = tmp_path / "nowhere" / "game.txt"
    terminal, output = run_terminal(tictactoe_engine, ["load not/a/position", "frobnicate", f"save {missing}",
                                                       "goto 5", "goto x", "help", "quit"])
    assert "not a position" in output and "unknown command 'frobnicate'" in output
    assert "commands: help" in output and "cannot save" in output
    assert "ply 5 is not on the current line" in output and "goto takes a ply number" in output
    assert output.rstrip().endswith("goodbye.")  # `quit`, before the input ran out


# -- whole sessions through a pseudo-terminal ------------------------------------------------------
YOUR_PROMPT = r"\S+ \(you\)> "


def spawn_play(tmp_path, *arguments):
    pexpect = pytest.importorskip("pexpect")
    # Plain text (no colour, no cursor codes) to match; one torch thread: tiny batches.
    environment = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "OMP_NUM_THREADS": "1"}
    return pexpect.spawn(sys.executable, ["-m", "pyzero", "play", *arguments], cwd=str(tmp_path), timeout=60,
                         encoding="utf-8", env=environment, dimensions=(60, 200))


def expect_legal_moves(child, state):
    """The legal-moves message, up to the next prompt, lists exactly the legal moves."""
    child.expect("legal moves: ")
    child.expect(YOUR_PROMPT)
    assert sorted(child.before.split()) == sorted(state.legal_moves())


def play_and_read_reply(child, state, move, engine_side_name):
    """Sends a move, then reads the engine's reply; both are played on `state` (so both must be legal)."""
    child.sendline(move)
    state.play(move)
    child.expect(rf"engine \({engine_side_name}\) plays (\S+)")
    reply = child.match.group(1)
    state.play(reply)
    child.expect(YOUR_PROMPT)
    return reply


def test_a_tictactoe_session_through_a_terminal(tmp_path):
    import pexpect

    config = write_config(tmp_path, TICTACTOE_GAME, "tictactoe")
    game = make("tictactoe")
    state = game.new()
    child = spawn_play(tmp_path, str(config), "--simulations", "8")
    child.expect(YOUR_PROMPT)

    # Illegal input: the engine's reason and the legal moves; the session goes on.
    child.sendline("z9")
    with pytest.raises(IllegalMoveError) as raised:
        state.copy().play("z9")
    child.expect(r"illegal move 'z9': ([^\r\n]*)\r\n")
    assert child.match.group(1) == raised.value.reason
    expect_legal_moves(child, state)
    child.sendline("hlep")
    child.expect("unknown command 'hlep'")
    child.expect("commands: help.*undo.*quit")
    child.expect(YOUR_PROMPT)

    first = state.legal_moves()[0]
    reply = play_and_read_reply(child, state, first, "o")
    after_two = state.copy()
    second = state.legal_moves()[0]
    second_reply = play_and_read_reply(child, state, second, "o")

    # Undo takes back your move and the engine's reply.
    child.sendline("undo")
    child.expect(r"took back ([^\r\n;]*);")
    assert child.match.group(1).split() == [second, second_reply]
    child.expect(r"ply (\d+), x to move \(you\)")
    assert int(child.match.group(1)) == after_two.ply
    child.expect(YOUR_PROMPT)

    # Branching: redo, browse back with goto, play another move there.
    child.sendline("redo")
    child.expect(f"replayed {second} {second_reply}")
    child.expect(YOUR_PROMPT)
    child.sendline(f"goto {after_two.ply}")
    child.expect(rf"ply {after_two.ply}, x to move \(you\)")
    child.expect(YOUR_PROMPT)
    alternative = next(move for move in after_two.legal_moves() if move != second)
    child.sendline(alternative)
    child.expect(f"a new branch at ply {after_two.ply}")
    branch = after_two.copy()
    branch.play(alternative)
    child.expect(r"engine \(o\) plays (\S+)")
    branch.play(child.match.group(1))
    child.expect(YOUR_PROMPT)
    child.sendline(f"goto {after_two.ply}")
    child.expect(YOUR_PROMPT)
    child.sendline("variations")
    child.expect(f"moves tried at ply {after_two.ply}")
    child.expect(YOUR_PROMPT)
    listed = [line.split()[0] for line in child.before.splitlines()
              if line.strip() and line.split()[0] in after_two.legal_moves()]
    assert listed == [second, alternative]
    child.sendline("history")
    child.expect(YOUR_PROMPT)
    history_moves = re.findall(r"^\s*▶?\s*\d+\s+[xo]\s+(\S+)", child.before, re.MULTILINE)
    assert history_moves[:3] == [first, reply, alternative] and len(history_moves) == 4
    assert game.play_moves(history_moves).position() == branch.position()

    # Analyse: a table of legal moves with visits, Q and prior.
    child.sendline("analyse")
    child.expect(r"analysis for x: (\d+) visits")
    child.expect(YOUR_PROMPT)
    header = next(line for line in child.before.splitlines() if "visits" in line and "prior" in line)
    assert header.split() == ["move", "visits", "Q", "prior", "policy"]
    rows = [line.split() for line in child.before.splitlines()
            if line.split() and line.split()[-1].endswith("%")]
    assert rows and {row[-5] for row in rows} <= set(after_two.legal_moves())

    child.sendline("quit")
    child.expect("goodbye")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_tak_session_through_a_terminal_loads_and_saves(tmp_path):
    import pexpect

    config = write_config(tmp_path, TAK_GAME, "tak4")
    game = make("tak", size=4, komi=0)
    state = game.play_moves(random_line(game, 8, seed=10))  # White to move
    assert not state.is_terminal() and state.to_move() == 0
    tps = state.position()
    child = spawn_play(tmp_path, str(config), "--simulations", "8")
    child.expect(YOUR_PROMPT)

    child.sendline(f"load {tps}")
    child.expect("loaded the position")
    child.expect(rf"ply {state.ply}, white to move \(you\)")
    board = child.before
    for stack in {stack for row in board_view.tak_squares(tps) for stack in row if stack}:
        assert board_view.tak_stack_text(stack).plain in board
    child.expect(YOUR_PROMPT)

    child.sendline("a9")
    child.expect(r"illegal move 'a9'")
    expect_legal_moves(child, state)
    move = state.legal_moves()[-1]
    play_and_read_reply(child, state, move, "black")

    child.sendline("save game.ptn")
    child.expect(r"saved (\d+) plies to game.ptn \(PTN\)")
    assert int(child.match.group(1)) == 2
    child.expect(YOUR_PROMPT)
    [saved] = read_ptn_file(tmp_path / "game.ptn")
    assert saved.tag("TPS") == tps
    assert replay(saved).final_state.tps() == state.position()

    child.sendeof()
    child.expect("end of input")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_an_untrained_engine_is_reproducible_from_its_seed():
    """The same seed builds the same network (so an untrained opponent's replies, which the
    browser tests click against, repeat); another seed another one; torch's global random
    state is left as it was."""
    from pathlib import Path

    import torch

    from pyzero.config import load_config
    from pyzero.play.opponent import untrained_engine

    config = load_config(Path(__file__).resolve().parents[1] / "configs/tictactoe.yaml")
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first, again, other = (untrained_engine(config, seed=seed).model.state_dict() for seed in (0, 0, 1))
    assert torch.equal(torch.rand(3), expected_next)
    weights = [name for name, tensor in first.items() if tensor.is_floating_point() and tensor.numel() > 1
               and "weight" in name]
    assert weights and all(torch.equal(first[name], again[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in weights)
