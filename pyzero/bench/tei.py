"""`pyzero bench tei`: a TEI session over every board size, as a GUI drives it: answer
times and the engine process's resident memory."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyzero.games import make


@dataclass
class TeiMoveResult:
    size: int
    new_game_seconds: float  # HalfKomi, `teinewgame N`, `isready` until `readyok` (the engine for N is made here)
    go_seconds: float  # `go movetime M` until `bestmove`, as the GUI sees it
    resident_bytes: int  # the engine's resident memory after the move (Linux; 0 elsewhere)


@dataclass
class TeiBenchmarkResult:
    config: str
    movetime_ms: int
    moves: list[TeiMoveResult]
    peak_resident_bytes: int  # the engine process's high-water mark over the session
    max_go_seconds: float


def _process_memory(pid: int) -> tuple[int, int]:
    """(resident, peak resident) bytes of a live process from /proc; (0, 0) without /proc."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) * 1024
    except OSError:
        return 0, 0
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def run_tei_benchmark(config_path: str, sizes=range(3, 9), movetime_ms: int = 300,
                      overrides: dict | None = None) -> TeiBenchmarkResult:
    """One `pyzero tei CONFIG` session that plays a move of every board size in `sizes`
    (a new game with the config's komi, then `go movetime M` after `a1`), driven by the
    arena's TEI client as a GUI would: the time each answer takes and the engine's
    resident memory, after each move and at peak. Each size plays what a session would:
    the run's network for the config's game, the bundled network where one ships, else an
    untrained network as large as a trained one, so the memory is what a real session
    costs. `overrides` are config keys, as `--set`.
    An engine that fails or times out raises `TeiEngineError`."""
    import json
    import sys

    from pyzero.config import load_config
    from pyzero.engines.tei import TeiEngine

    overrides = overrides or {}
    komi = load_config(config_path, overrides).game.options.get("komi", 0.0)
    command = [sys.executable, "-m", "pyzero", "tei", str(config_path)]
    for key, value in overrides.items():
        command += ["--set", f"{key}={json.dumps(value)}"]  # JSON is YAML, what --set reads
    moves = []
    peak = 0
    with TeiEngine(command, movetime_ms=movetime_ms) as engine:
        for size in sizes:
            state = make("tak", size=size, komi=komi).play_moves(["a1"])
            started = time.perf_counter()
            engine.new_game(size, int(round(2 * komi)))
            new_game = time.perf_counter() - started
            started = time.perf_counter()
            engine.choose(state)
            go = time.perf_counter() - started
            resident, peak = _process_memory(engine.process.pid)
            moves.append(TeiMoveResult(size, new_game, go, resident))
    return TeiBenchmarkResult(str(config_path), movetime_ms, moves, peak, max(m.go_seconds for m in moves))
