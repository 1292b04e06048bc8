"""`pyzero uci`: a UCI conversation with the engine as a subprocess, moves checked by python-chess."""

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import chess
import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
READ_TIMEOUT_S = 60.0
STOP_LATENCY_LIMIT_S = 5.0


class UciEngine:
    """`pyzero uci configs/chess.yaml` (an untrained network: the run directory is empty)."""

    def __init__(self, run_directory: Path):
        command = [sys.executable, "-m", "pyzero", "uci", "configs/chess.yaml", "--set", f"run_dir={run_directory}"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, bufsize=1, cwd=REPOSITORY)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def ask(self, *lines: str, until: str, timeout_s: float = READ_TIMEOUT_S) -> list[str]:
        """Sends `lines`, returns every answer line up to the first starting with `until`."""
        for line in lines:
            self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout_s
        received = []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {until!r} within {timeout_s} s; got {received}; stderr {''.join(self.stderr)}")
            if line is None:
                pytest.fail(f"the engine exited before {until!r}; got {received}; stderr {''.join(self.stderr)}")
            received.append(line)
            if line.split()[:1] == [until]:
                return received


def bestmove_of(lines):
    return lines[-1].split()[1]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    process = UciEngine(tmp_path_factory.mktemp("uci-run"))
    yield process
    if process.process.poll() is None:
        process.process.stdin.write("quit\n")
        process.process.stdin.flush()
        assert process.process.wait(10) == 0


def test_handshake(engine):
    answer = engine.ask("uci", until="uciok")
    assert answer[0].startswith("id name pyzero") and answer[1].startswith("id author") and answer[-1] == "uciok"
    assert engine.ask("ucinewgame", "isready", until="readyok") == ["readyok"]


def test_position_startpos_moves_and_go_nodes(engine):
    answer = engine.ask("position startpos moves e2e4 e7e5", "go nodes 16", until="bestmove")
    info = answer[-2].split()
    assert info[0] == "info" and {"depth", "nodes", "score", "cp", "nps", "pv"} <= set(info)
    board = chess.Board()
    board.push_uci("e2e4")
    board.push_uci("e7e5")
    move = bestmove_of(answer)
    assert chess.Move.from_uci(move) in board.legal_moves
    assert info[info.index("pv") + 1] == move


def test_position_fen_with_moves_and_a_clock(engine):
    fen = "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1"
    started = time.monotonic()
    answer = engine.ask(f"position fen {fen} moves e1g1", "go wtime 2000 btime 2000 winc 0 binc 0 movestogo 5",
                        until="bestmove")
    assert time.monotonic() - started < 2.0  # at most about a fifth of black's two seconds, plus overheads
    board = chess.Board(fen)
    board.push_uci("e1g1")
    assert chess.Move.from_uci(bestmove_of(answer)) in board.legal_moves


def test_promotion_is_written_in_uci(engine):
    answer = engine.ask("position fen 7k/P7/8/8/8/8/8/K7 w - - 0 1", "go nodes 32", until="bestmove")
    assert chess.Move.from_uci(bestmove_of(answer)) in chess.Board("7k/P7/8/8/8/8/8/K7 w - - 0 1").legal_moves


def test_go_infinite_until_stop(engine):
    engine.ask("position startpos", "go infinite", "isready", until="readyok")
    time.sleep(0.3)
    started = time.monotonic()
    answer = engine.ask("stop", until="bestmove", timeout_s=STOP_LATENCY_LIMIT_S * 4)
    assert time.monotonic() - started < STOP_LATENCY_LIMIT_S
    assert chess.Move.from_uci(bestmove_of(answer)) in chess.Board().legal_moves


@pytest.mark.parametrize("command,named", [
    ("position startpos moves e2e5", "move 1 'e2e5' is illegal"),
    ("position startpos moves e2e4 Nf9", "move 2 'Nf9' is illegal"),
    ("position fen rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR x KQkq - 0 1", "side to move 'x'"),
    ("position kiwipete", "expected 'startpos' or 'fen'"),
    ("setoption name Ponder value true", "unknown option 'Ponder'"),
    ("flip", "unknown command 'flip'"),
])
def test_bad_commands_get_an_error_line_naming_the_problem(engine, command, named):
    answer = engine.ask(command, "isready", until="readyok")
    assert any(line.startswith("info string error:") and named in line for line in answer), answer


def test_go_without_a_position_or_on_a_finished_game_answers_none(engine):
    answer = engine.ask("position startpos moves e2e5", "go nodes 8", until="bestmove")
    assert answer[-1] == "bestmove (none)"
    answer = engine.ask("position fen 7k/5Q2/6K1/8/8/8/8/8 b - - 0 1", "go nodes 8", until="bestmove")
    assert answer[-1] == "bestmove (none)" and any("the game is over (1/2-1/2)" in line for line in answer)


def test_go_plays_on_through_a_claimable_fifty_move_draw(engine):
    """Fifty moves without a capture or pawn move make a draw a player may claim (the GUI's
    business), not a finished game: the network's search still answers with a move."""
    fen = "4k3/8/8/8/8/8/8/R3K3 w - - 100 80"
    answer = engine.ask(f"position fen {fen}", "go nodes 8", until="bestmove")
    assert not any(line.startswith("info string error") for line in answer), answer
    assert chess.Move.from_uci(bestmove_of(answer)) in chess.Board(fen).legal_moves


# ---------------------------------------------------------------------- UCI engines as arena players

def stockfish_path():
    """Debian's Stockfish (`make test` installs the package when it is missing)."""
    from pyzero.bench import find_stockfish

    found = find_stockfish()
    if found is None:
        pytest.fail("stockfish is not installed: `make test` installs Debian's package (apt-get install stockfish)")
    return found


def run_arena(tmp_path, *players, games=2):
    arguments = ["arena", "configs/chess.yaml", "--games", str(games), "--tei-seconds", "0.05",
                 "--output", str(tmp_path / "arena")]
    for player in players:
        arguments += ["-p", player]
    completed = subprocess.run([sys.executable, "-m", "pyzero", *arguments], capture_output=True, text=True,
                               cwd=REPOSITORY, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads((tmp_path / "arena" / "arena.json").read_text())


def test_arena_plays_pyzeros_own_uci_engine(tmp_path):
    from pyzero.arena.players import player_display_names

    engine = f"uci:{sys.executable} -m pyzero uci configs/chess.yaml --set run_dir={tmp_path / 'uci-run'}"
    result = run_arena(tmp_path, "random", engine)
    assert result["game"] == "chess" and len(result["games"]) == 2
    engine_name = player_display_names([engine])[0]  # the spec as written, shortened
    assert {rating for rating in result["ratings"]} == {"random", engine_name}
    engines = {row["player"]: row["engine"] for row in result["standings"]}
    assert engines == {"random": None, engine_name: "pyzero 0.1.0 (chess)"}  # its id name (the bundled network)


def test_arena_plays_stockfish_at_its_lowest_skill_and_reports_elo(tmp_path):
    result = run_arena(tmp_path, "random", f"uci:{stockfish_path()}?Skill Level=0&Threads=1", games=2)
    stockfish = next(row["player"] for row in result["standings"] if (row["engine"] or "").startswith("Stockfish"))
    assert stockfish == "uci:stockfish?Skill Level=0&Threads=1"
    pair = result["pairs"][0]
    assert pair["a_wins"] + pair["draws"] + pair["a_losses"] == 2
    # Even at skill 0 Stockfish does not lose to random moves.
    assert result["ratings"][stockfish]["elo"] >= 0 and pair["a_wins"] == 0


def test_uci_engine_options_must_be_offered(tmp_path):
    from pyzero.engines.tei import TeiEngineError
    from pyzero.engines.uci import UciEngine

    command = [sys.executable, "-m", "pyzero", "uci", "configs/chess.yaml", "--set", f"run_dir={tmp_path / 'run'}"]
    with pytest.raises(TeiEngineError, match="has no option 'Ponder'"):
        UciEngine(command, options={"Ponder": "true"}, cwd=REPOSITORY)
    with UciEngine([stockfish_path()], options={"Skill Level": "0"}, movetime_ms=20) as stockfish:
        from pyzero.games import make

        state = make("chess").new()
        assert stockfish.identity.name.startswith("Stockfish")
        assert stockfish.choose(state) in state.legal_moves()


def test_the_game_history_of_a_position_command_reaches_the_search():
    """`position ... moves ...` gives the search the keys of the positions played before
    the one to search (the graph search scores a return to them as a repetition): the
    Polyglot keys python-chess computes for those positions, oldest first."""
    import chess.polyglot

    from pyzero.games import make
    from pyzero.players.network_player import SearchLimits
    from pyzero.protocols.uci_server import UciServer

    game = make("chess")
    seen = []

    class RecordingEngine:
        name = "recording"
        limits = SearchLimits(simulations=1)

        def __init__(self):
            self.game = game

        def analyse(self, state, limits=None, stop=None, history=()):
            seen.append((state.position(), tuple(history)))
            result = type("Result", (), {})()
            result.chosen_move, result.moves, result.visits, result.q = "e7e5", ["e7e5"], [1], [0.0]
            result.root_visits, result.root_value, result.principal_variation = 1, 0.0, []
            return result

    lines = []
    server = UciServer(RecordingEngine(), lines.append)
    moves = ["e2e4", "c7c5", "g1f3"]
    server.handle("position startpos moves " + " ".join(moves))
    server.handle("go nodes 1")
    server.search.join()
    board, keys = chess.Board(), []
    for move in moves:
        keys.append(chess.polyglot.zobrist_hash(board))
        board.push_uci(move)
    assert seen == [(board.fen(), tuple(keys))]
    assert lines[-1] == "bestmove e7e5"
