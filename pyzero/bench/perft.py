"""`pyzero bench perft`: move-generation speed of every game, in leaf nodes per second, and
Stockfish's `go perft` beside chess where it is installed."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from pyzero.games import make


@dataclass(frozen=True)
class PerftWorkload:
    game: str
    options: dict
    depth: int
    repeat: int = 1  # tiny trees are repeated so the timing is not all call overhead
    position: str = ""  # in the game's notation; empty: the initial position
    position_name: str = "initial"
    bulk_count: bool = True  # False: every last-ply move is played and hashed


KIWIPETE_FEN = "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1"

PERFT_WORKLOADS = (
    PerftWorkload("tictactoe", {}, depth=9, repeat=20),
    PerftWorkload("connect4", {}, depth=10),
    PerftWorkload("tak", {"size": 5}, depth=5),
    PerftWorkload("tak", {"size": 6}, depth=4, repeat=10),
    PerftWorkload("tak", {"size": 6}, depth=5),
    # Chess perft counts play on through draws by rule, as published counts do. Deep enough
    # (119 M and 194 M leaves) that Stockfish's `go perft`, run beside them, is not timing
    # its own start-up.
    PerftWorkload("chess", {"rule_draws": 0}, depth=6),
    PerftWorkload("chess", {"rule_draws": 0}, depth=5, position=KIWIPETE_FEN, position_name="kiwipete"),
    PerftWorkload("chess", {"rule_draws": 0}, depth=5, bulk_count=False),
    PerftWorkload("chess", {"rule_draws": 0}, depth=4, position=KIWIPETE_FEN, position_name="kiwipete",
                  bulk_count=False),
)

# Positions Stockfish perfts beside ours (same depths as the bulk-counted chess workloads).
STOCKFISH_PERFT_WORKLOADS = tuple(w for w in PERFT_WORKLOADS if w.game == "chess" and w.bulk_count)


@dataclass
class PerftResult:
    game: str
    options: dict
    depth: int
    nodes: int
    seconds: float
    nodes_per_second: float
    position: str = "initial"
    bulk_count: bool = True
    engine: str = "pyzero"


def run_perft_benchmark(workloads=PERFT_WORKLOADS, stockfish_workloads=STOCKFISH_PERFT_WORKLOADS
                        ) -> list[PerftResult]:
    """Times perft from each workload's position (one thread), then Stockfish's `go perft`
    on `stockfish_workloads` where a `stockfish` is installed (the reference the chess
    rows are compared with, measured in the same run)."""
    results = []
    for workload in workloads:
        game = make(workload.game, **workload.options)
        state = game.from_position(workload.position) if workload.position else game.new()
        state.perft(min(workload.depth, 3), bulk_count=workload.bulk_count)  # warm caches before timing
        started = time.perf_counter()
        for _ in range(workload.repeat):
            nodes = state.perft(workload.depth, bulk_count=workload.bulk_count)
        seconds = time.perf_counter() - started
        total = nodes * workload.repeat
        results.append(
            PerftResult(workload.game, workload.options, workload.depth, nodes, seconds, total / seconds,
                        workload.position_name, workload.bulk_count)
        )
    executable = find_stockfish()
    if executable is not None:
        for workload in stockfish_workloads:
            nodes, seconds, name = stockfish_perft(executable, workload.position, workload.depth)
            results.append(PerftResult("chess", {}, workload.depth, nodes, seconds, nodes / seconds,
                                       workload.position_name, True, name))
    return results


def find_stockfish() -> str | None:
    """`stockfish` on PATH, else Debian's /usr/games/stockfish, else None."""
    import shutil

    return shutil.which("stockfish") or shutil.which("stockfish", path="/usr/games")


def stockfish_perft(executable: str, fen: str, depth: int, timeout_s: float = 600.0) -> tuple[int, float, str]:
    """(nodes, seconds, engine name) of Stockfish's `go perft DEPTH` from `fen` (empty: the
    start position), one thread, through the arena's UCI client. The time runs from sending
    `go perft` to reading its `Nodes searched` line, so the process's start-up and the
    option exchange are not in it; Stockfish's perft bulk-counts the last ply, as ours does."""
    from pyzero.engines.uci import UciEngine

    with UciEngine([executable], options={"Threads": "1"}) as engine:
        engine.send(f"position fen {fen}" if fen else "position startpos")
        engine.wait_until_ready()
        started = time.perf_counter()
        engine.send(f"go perft {depth}")
        deadline = time.monotonic() + timeout_s
        line = ""
        while not line.startswith("Nodes searched:"):
            line = engine.read_line(deadline - time.monotonic(), "Nodes searched")
        seconds = time.perf_counter() - started
        return int(line.split(":")[1]), seconds, engine.name


def perft_results_as_json(results: list[PerftResult]) -> dict:
    from pyzero.bench.report import benchmark_report

    return benchmark_report("perft", results=[asdict(result) for result in results])


