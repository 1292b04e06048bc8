"""Fuzzers of the text that reaches pyzero from outside: TEI and UCI command lines, TPS,
FEN and other positions, moves, PTN and other game records, config YAML files and `--set`
options. Each input either works (and the result is checked) or fails with the project's
own error for it (`PositionError`, `IllegalMoveError`, `PtnError`, `GameRecordError`,
`ConfigError`, click's `BadParameter`; for the protocol servers an `info string error`
line), never another exception, never an abort of the process inside the engine (which
would end the test run itself).

Inputs are arbitrary text (every code point, lone surrogates and control characters
included) and valid inputs with a few characters or words changed, inserted or
removed, which get past the first checks into the parsers' depths. The number of
inputs is the Hypothesis profile's (tests/conftest.py: `quick` in every run, `long`
with PYZERO_FUZZ=long, `make fuzz`).
"""

from __future__ import annotations

import random
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from pyzero.games import IllegalMoveError, PositionError, make

pytestmark = pytest.mark.fuzz

REPOSITORY = Path(__file__).resolve().parents[1]
TICTACTOE_CONFIG = REPOSITORY / "configs" / "tictactoe.yaml"
TEI_TAK3_CONFIG = REPOSITORY / "tests" / "data" / "tei_tak3.yaml"

# Every code point: lone surrogates (how Python carries undecodable bytes) and control
# characters included, which st.text() leaves out by default.
ANY_CHARACTER = st.characters(exclude_categories=())
# Characters of the notations themselves.
NOTATION_CHARACTERS = list("0123456789abcdefghxyzKQRBNPkqrbnpSC/,-+<>'\"!?*.=:;{}[]()# \t\n")
# Characters that text from outside carries and parsers trip on: NUL and other controls,
# lone surrogates (undecodable bytes of argv, stdin or a file), Unicode's line and
# paragraph separators (str.splitlines and str.split break at them), a byte-order mark,
# non-characters, and letters and digits beyond ASCII (str.isdigit takes "\u0663").
HOSTILE_CHARACTERS = ["\x00", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\uffff", "\ud800", "\udcff",
                      "\udfff", "\u00e9", "\u0663", "\U0001f600", "\U0010ffff"]
MUTATION_CHARACTERS = st.one_of(st.sampled_from(HOSTILE_CHARACTERS), st.sampled_from(NOTATION_CHARACTERS),
                                ANY_CHARACTER)
ANY_TEXT = st.one_of(st.text(ANY_CHARACTER, max_size=80), st.text(MUTATION_CHARACTERS, max_size=40))


# ---------------------------------------------------------------------- strategies

@st.composite
def mutated(draw, valid_texts) -> str:
    """A valid text (drawn from the strategy `valid_texts`) with up to four edits: a
    character inserted, replaced or deleted, a word deleted, repeated or swapped with the
    next, or a number changed to another."""
    text = draw(valid_texts)
    for _ in range(draw(st.integers(0, 4))):
        edit = draw(st.sampled_from(["insert", "replace", "delete", "drop-word", "repeat-word", "swap-words",
                                     "number"]))
        if edit in ("insert", "replace", "delete"):
            at = draw(st.integers(0, len(text)))
            character = draw(MUTATION_CHARACTERS)
            if edit == "insert":
                text = text[:at] + character + text[at:]
            elif text:
                at = min(at, len(text) - 1)
                text = text[:at] + (character if edit == "replace" else "") + text[at + 1:]
            continue
        words = text.split(" ")
        at = draw(st.integers(0, max(0, len(words) - 1)))
        if edit == "drop-word" and len(words) > 1:
            del words[at]
        elif edit == "repeat-word":
            words.insert(at, words[at])
        elif edit == "swap-words" and at + 1 < len(words):
            words[at], words[at + 1] = words[at + 1], words[at]
        elif edit == "number":
            words[at] = str(draw(st.sampled_from([-1, 0, 1, 2, 3, 9, 99, 100, 150, 255, 2**31, 2**63, 10**30])))
        text = " ".join(words)
    return text


@st.composite
def with_a_hostile_character(draw, valid_texts) -> str:
    """A valid text (possibly mutated) with one of `HOSTILE_CHARACTERS` put in somewhere:
    the inputs that once aborted the engine, drawn often rather than by luck."""
    text = draw(mutated(valid_texts))
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.sampled_from(HOSTILE_CHARACTERS)) + text[at:]


def either_arbitrary_or_mutated(valid_texts) -> st.SearchStrategy[str]:
    """Arbitrary text, a mutated valid text, or a valid text holding a hostile character."""
    return st.one_of(ANY_TEXT, mutated(valid_texts), with_a_hostile_character(valid_texts))


GAME_SETUPS = [("tictactoe", ()), ("connect4", ()), ("chess", ())] + [("tak", (("size", size),))
                                                                    for size in range(3, 9)]
TAK3 = ("tak", (("size", 3),))
CHESS = ("chess", ())
TAK_SETUPS = tuple(setup for setup in GAME_SETUPS if setup[0] == "tak")


@cache
def game_of(setup: tuple[str, tuple]):
    name, options = setup
    return make(name, **dict(options))


@st.composite
def played_game(draw, setups=tuple(GAME_SETUPS)):
    """(game, the moves of a random game of up to 60 plies, the position after them)."""
    game = game_of(draw(st.sampled_from(setups)))
    chooser = random.Random(draw(st.integers(0, 2**32 - 1)))
    state = game.new()
    moves = []
    for _ in range(draw(st.integers(0, 60))):
        legal = state.legal_moves()
        if not legal:
            break
        move = chooser.choice(legal)
        moves.append(move)
        state.play(move)
    return game, moves, state.position()


def positions_of(setups) -> st.SearchStrategy[str]:
    return played_game(setups).map(lambda played: played[2])


# ---------------------------------------------------------------------- positions and moves

@given(setup=st.sampled_from(GAME_SETUPS), data=st.data())
def test_positions_are_read_or_refused_with_a_position_error(setup, data):
    game = game_of(setup)
    position = data.draw(either_arbitrary_or_mutated(positions_of((setup,))), label="position")
    try:
        state = game.from_position(position)
    except PositionError as error:
        assert str(error)
        return
    written = state.position()
    assert game.from_position(written).position() == written  # what it reads, it writes back alike
    for move in state.legal_moves()[:5]:
        state.copy().play(move)


@given(played=played_game(), data=st.data())
def test_moves_are_played_or_refused_with_an_illegal_move_error(played, data):
    game, moves, position = played
    state = game.from_position(position)
    legal = state.legal_moves() or ["a1"]
    move = data.draw(either_arbitrary_or_mutated(st.sampled_from(legal)), label="move")
    try:
        state.play(move)
    except IllegalMoveError as error:
        assert error.move == move and error.reason
        assert state.position() == position  # a refused move leaves the position as it was
        return
    assert state.position() != position or state.is_terminal()


# ---------------------------------------------------------------------- game records

def ptn_text(played) -> str:
    game, moves, _ = played
    size = int(game.input_shape[-1])
    numbered = [f"{index // 2 + 1}. {move}" if index % 2 == 0 else move for index, move in enumerate(moves)]
    return f'[Size "{size}"]\n[Komi "0"]\n[Player1 "a"]\n\n' + " ".join(numbered) + " {a comment} 0-0\n"



@st.composite
def ptn_text_from_a_tps(draw) -> str:
    """A PTN game that starts from a TPS tag (no Size tag: the TPS tells it), with the
    rest of a random game as its moves."""
    game, moves, _ = draw(played_game(TAK_SETUPS))
    split = draw(st.integers(0, len(moves)))
    start = game.play_moves(moves[:split]).position()
    black_first = start.split()[1] == "2"
    movetext = " ".join((["--"] if black_first else []) + moves[split:])
    return f'[TPS "{start}"]\n[Komi "0"]\n\n1. {movetext}\n'


@given(text=either_arbitrary_or_mutated(st.one_of(played_game(TAK_SETUPS).map(ptn_text), ptn_text_from_a_tps())))
def test_ptn_text_is_replayed_or_refused_with_a_ptn_error(text):
    from pyzero.games.ptn import PtnError, parse_ptn, replay

    try:
        games = parse_ptn(text, "fuzz.ptn")
        results = [replay(game) for game in games]
    except PtnError as error:
        assert str(error).startswith("fuzz.ptn")
        return
    for result in results:
        assert result.plies >= 0 and result.final_state.position()


def record_text(played) -> str:
    """The moves of a game as a move list (`# start:` comment, numbers) or, for chess, PGN."""
    game, moves, _ = played
    if game.name == "chess":
        return '[Event "fuzz"]\n[SetUp "1"]\n[FEN "' + game.new().position() + '"]\n\n' + \
            " ".join(f"{index // 2 + 1}. {move}" if index % 2 == 0 else move for index, move in enumerate(moves))
    if game.name == "tak":
        return ptn_text(played)
    return f"# start: {game.new().position()}\n" + " ".join(f"{index + 1}. {move}" for index, move in enumerate(moves))


@given(setup=st.sampled_from(GAME_SETUPS), data=st.data())
def test_game_records_are_read_or_refused_with_a_game_record_error(setup, data):
    from pyzero.play.game_record import GameRecordError, parse_chess_pgn, parse_move_list, parse_tak_record

    game = game_of(setup)
    text = data.draw(either_arbitrary_or_mutated(played_game((setup,)).map(record_text)), label="record")
    parse = {"tak": parse_tak_record, "chess": parse_chess_pgn}.get(game.name, parse_move_list)
    try:
        record = parse(game, text, "fuzz.txt")
    except GameRecordError as error:
        assert str(error).startswith("fuzz.txt")
        return
    state = record.start.copy()
    for move in record.moves:
        try:
            state.play(move)
        except IllegalMoveError:
            break


# ---------------------------------------------------------------------- TEI and UCI servers

class InstantEngine:
    """Stands in for a network in the protocol servers: answers every search at once with
    the first legal move (the servers' parsing and bookkeeping are what is fuzzed). Marked
    trained, so a TEI game of another size or komi is refused rather than built."""

    checkpoint = "a trained checkpoint"

    def __init__(self, game):
        from pyzero.players.network_player import SearchLimits

        self.game = game
        self.name = "instant"
        self.limits = SearchLimits(simulations=1)

    def analyse(self, state, limits=None, stop=None, history=()):
        move = state.legal_moves()[0]
        result = type("Result", (), {})()
        result.chosen_move, result.moves, result.visits, result.q = move, [move], [1], [0.0]
        result.root_visits, result.root_value, result.principal_variation = 1, 0.0, [move]
        result.complete = True  # `go infinite`: waits for stop instead of searching again
        return result


def converse(server, lines: list[str], emitted: list[str]) -> None:
    """Feeds `lines` to the server's one-line handler, then stops any search left running,
    and checks what it wrote: whole lines a UTF-8 stream can carry, no error that is a bug."""
    for line in lines:
        if not server.handle(line):
            break
    server.handle("stop")  # waits for the search's bestmove, stopping an infinite one
    for line in emitted:
        assert "\n" not in line and "\r" not in line, line
        line.encode("utf-8")  # the real stream is UTF-8: a lone surrogate here would end the server
        assert "internal error" not in line and "the search failed" not in line, line
    assert server.search is None


@cache
def tei_config():
    from pyzero.config import load_config

    return load_config(TEI_TAK3_CONFIG)


TEI_LINES = ["tei", "isready", "setoption name HalfKomi value 0", "teinewgame 3", "teinewgame size 3 halfkomi 0",
             "go movetime 10", "go wtime 100 btime 100 winc 1 binc 1 movestogo 3", "go nodes 5", "go infinite",
             "stop", "go depth 2 nodes 3", "position startpos", "position startpos moves a1 c3 b2"]


@st.composite
def tei_position_line(draw) -> str:
    game, moves, position = draw(played_game((TAK3,)))
    split = draw(st.integers(0, len(moves)))
    start = game.new() if split == 0 else game.play_moves(moves[:split])
    tail = " ".join(moves[split:])
    return f"position tps {start.position()} moves {tail}" if split else f"position startpos moves {tail}"


@given(lines=st.lists(either_arbitrary_or_mutated(st.one_of(st.sampled_from(TEI_LINES), tei_position_line())),
                      min_size=1, max_size=6))
def test_tei_lines_get_answers_or_error_lines(lines):
    from pyzero.protocols.tei_server import TeiServer

    emitted: list[str] = []
    server = TeiServer(tei_config(), InstantEngine(game_of(TAK3)), emitted.append)
    converse(server, ["teinewgame 3"] + lines + ["go nodes 1"], emitted)


UCI_LINES = ["uci", "isready", "ucinewgame", "setoption name Hash value 16", "go movetime 10",
             "go wtime 100 btime 100 winc 1 binc 1", "go nodes 5", "go infinite", "stop", "go depth 3",
             "position startpos moves e2e4 e7e5 g1f3", "position fen 4k3/8/8/8/8/8/8/R3K3 w - - 100 80",
             "position fen 7k/8/6K1/8/8/8/8/1Q6 w - - 149 90 moves b1b8"]


@st.composite
def uci_position_line(draw) -> str:
    game, moves, _ = draw(played_game((CHESS,)))
    split = draw(st.integers(0, len(moves)))
    tail = " ".join(moves[split:])
    if split == 0:
        return f"position startpos moves {tail}"
    return f"position fen {game.play_moves(moves[:split]).position()} moves {tail}"


@given(lines=st.lists(either_arbitrary_or_mutated(st.one_of(st.sampled_from(UCI_LINES), uci_position_line())),
                      min_size=1, max_size=6))
def test_uci_lines_get_answers_or_error_lines(lines):
    from pyzero.protocols.uci_server import UciServer

    emitted: list[str] = []
    server = UciServer(InstantEngine(game_of(CHESS)), emitted.append)
    converse(server, lines + ["go nodes 1"], emitted)


# ---------------------------------------------------------------------- configs and --set

CONFIG_TEXT = TICTACTOE_CONFIG.read_text()


@st.composite
def config_text_with_a_changed_line(draw) -> str:
    """The TicTacToe config with a few of its lines mutated (keys, values, indentation)."""
    lines = CONFIG_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = draw(mutated(st.just(lines[at])))
    return "\n".join(lines) + "\n"


@given(text=st.one_of(ANY_TEXT, config_text_with_a_changed_line(), mutated(st.just(CONFIG_TEXT))),
       encoding_errors=st.sampled_from(["surrogatepass", "replace"]))
def test_config_files_load_or_fail_with_a_config_error(text, encoding_errors):
    from pyzero.config import ConfigError, load_config

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(text.encode("utf-8", encoding_errors))
        try:
            config = load_config(path)
        except ConfigError as error:
            assert folder in str(error), str(error)  # names the file (or the file it inherits)
            return
    assert config.game.name in ("tictactoe", "connect4", "tak", "chess")


SET_OPTIONS = ["training.steps=500", "network={blocks: 1, channels: 8}", "game.options.size=3", "run_dir=runs/x",
               "search.algorithm=puct", "evaluation.opponents=[random, mcts]", "inference.device=cpu",
               "selfplay.games=4"]


@given(items=st.lists(either_arbitrary_or_mutated(st.sampled_from(SET_OPTIONS)), min_size=1, max_size=3))
def test_set_options_apply_or_fail_with_clear_errors(items):
    import click

    from pyzero.cli.common import parse_overrides
    from pyzero.config import ConfigError, load_config, make_game_from_config

    try:
        overrides = parse_overrides(tuple(items))
    except click.BadParameter as error:
        assert "\n" not in error.format_message()
        return
    try:
        config = load_config(TICTACTOE_CONFIG, overrides)
        make_game_from_config(config)
    except ConfigError as error:
        assert "--set" in str(error) or "tictactoe.yaml" in str(error), str(error)
