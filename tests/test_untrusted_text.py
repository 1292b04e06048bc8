"""Text a user gives (argv, stdin, a file) reaches the Mojo engine only as valid UTF-8
without NUL characters: anything else is refused in Python (pyzero/games/api.py,
`engine_text_problem`) with the project's own error naming what was wrong, instead of
aborting the process inside the engine.

Python carries bytes that are not UTF-8 (from argv, or stdin read with
`surrogateescape`) as lone surrogates, which have no UTF-8 form."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyzero.games import IllegalMoveError, PositionError, make

REPOSITORY = Path(__file__).resolve().parents[1]
ENGINE_ABORT_CODES = (132, 134, 139, -4, -6, -11)  # SIGILL, SIGABRT, SIGSEGV (shell and Popen spellings)

UNREADABLE_TEXTS = ["\udcff\udcfe", "a\udcff1", "x6/x6/x6/x6/x6/x6 1 1\ud800", "e2e4\x00", "\x00"]


@pytest.mark.parametrize("text, readable", [
    ("x6/x6/x6/x6/x6/x6 1 1", True), ("é", True), ("", True),
    ("\udcff", False), ("ab\ud800", False), ("a\x00b", False), (None, False), (b"a1", False),
])
def test_engine_text_problem_names_what_the_engine_cannot_read(text, readable):
    from pyzero.games.api import engine_text_problem

    problem = engine_text_problem(text)
    assert (problem is None) == readable
    if not readable:
        assert any(word in problem for word in ("UTF-8", "NUL", "expected text"))


@pytest.mark.parametrize("game_name, options", [("tictactoe", {}), ("connect4", {}), ("tak", {"size": 6}),
                                                ("chess", {})])
@pytest.mark.parametrize("text", UNREADABLE_TEXTS)
def test_unreadable_positions_are_position_errors(game_name, options, text):
    game = make(game_name, **options)
    with pytest.raises(PositionError, match="not readable"):
        game.from_position(text)


@pytest.mark.parametrize("game_name, options", [("tictactoe", {}), ("connect4", {}), ("tak", {"size": 5}),
                                                ("chess", {})])
@pytest.mark.parametrize("text", UNREADABLE_TEXTS)
def test_unreadable_moves_are_illegal_move_errors(game_name, options, text):
    state = make(game_name, **options).new()
    before = state.position()
    with pytest.raises(IllegalMoveError) as raised:
        state.play(text)
    assert raised.value.move == text and ("UTF-8" in raised.value.reason or "NUL" in raised.value.reason)
    assert state.position() == before


def test_unreadable_game_option_names_are_value_errors():
    with pytest.raises(ValueError, match="option name"):
        make("tictactoe", **{"\udcff": 1.0})


# The two ways Python decodes a terminal's bytes: a strict UTF-8 locale, and the C
# locale (undecodable bytes become lone surrogates, as in argv).
TERMINAL_ENCODINGS = {"strict-utf-8": {"PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"},
                      "c-locale": {"PYTHONIOENCODING": "", "LC_ALL": "C"}}


def run_pyzero(arguments: list[bytes], stdin: bytes = b"",
               terminal: str = "strict-utf-8") -> subprocess.CompletedProcess:
    """`python -m pyzero ARGUMENTS` with raw bytes as argv and stdin (as a shell passes them)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LC_") and key != "LANG"}
    environment.update(TERMINAL_ENCODINGS[terminal])
    return subprocess.run([sys.executable.encode(), b"-m", b"pyzero", *arguments], input=stdin,
                          capture_output=True, cwd=REPOSITORY, env=environment, timeout=300)


@pytest.mark.parametrize("arguments", [
    [b"play", b"tictactoe", b"--position", b"\xff\xfe"],
    [b"perft", b"tak", b"--size", b"6", b"--tps", b"\xff", b"--depth", b"1"],
    [b"perft", b"chess", b"--fen", b"8/8/8/8/8/8/8/K1k5 w - - 0 1\x01\xff", b"--depth", b"1"],
    [b"perft", b"tictactoe", b"-o", b"\xff=1", b"--depth", b"1"],
], ids=["play-position", "perft-tps", "perft-fen", "game-option"])
def test_commands_refuse_undecodable_arguments_with_one_error_line(arguments):
    finished = run_pyzero(arguments)
    stderr = finished.stderr.decode("utf-8", "replace")
    assert finished.returncode not in ENGINE_ABORT_CODES, stderr
    assert finished.returncode == 2, stderr
    assert "ABORT" not in stderr and "Traceback" not in stderr
    assert stderr.startswith("error: ") and "UTF-8" in stderr


@pytest.mark.parametrize("terminal", TERMINAL_ENCODINGS)
def test_play_reports_undecodable_input_lines_and_carries_on(terminal, tmp_path):
    missing_file = str(tmp_path).encode() + b"/\xff.ptn"
    lines = [b"\xff\xfe", b"a\xff1", b"load \xff\xfe", b"load " + missing_file, b"goto \xff", b"b2", b"quit"]
    finished = run_pyzero([b"play", b"tictactoe"], stdin=b"\n".join(lines) + b"\n", terminal=terminal)
    output = finished.stdout.decode("utf-8", "replace") + finished.stderr.decode("utf-8", "replace")
    assert finished.returncode not in ENGINE_ABORT_CODES, output
    assert finished.returncode == 0, output
    assert "ABORT" not in output and "Traceback" not in output
    assert "unknown command '\\udcff\\udcfe'" in output
    assert "illegal move 'a\\udcff1'" in output and "UTF-8" in output
    assert "ply 2" in output and "goodbye" in output  # b2 was played after the bad lines, and answered
