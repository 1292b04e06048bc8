"""Benchmarks, one module per `pyzero bench` subcommand (perft, search and graph, selfplay,
network, tei, distributed, alphabeta), and `report.py`, the one JSON shape every `--json` report has.

Benchmarks measure; tests do not time anything. What each figure means:
docs/benchmarks.md; dated results with their commands: docs/measurements/.
"""

from pyzero.bench.perft import (PERFT_WORKLOADS, PerftResult, PerftWorkload, find_stockfish, perft_results_as_json,
                                run_perft_benchmark, stockfish_perft)
from pyzero.bench.report import REPORT_SCHEMA_VERSION, benchmark_json, benchmark_report
from pyzero.bench.search import GraphWorkload, run_graph_benchmark, run_search_benchmark, run_tree_reuse_benchmark
from pyzero.bench.selfplay import default_benchmark_config, run_selfplay_benchmark
from pyzero.bench.tei import run_tei_benchmark

__all__ = [
    "GraphWorkload", "PERFT_WORKLOADS", "PerftResult", "PerftWorkload", "REPORT_SCHEMA_VERSION", "benchmark_json",
    "benchmark_report", "default_benchmark_config", "find_stockfish", "perft_results_as_json", "run_graph_benchmark",
    "run_perft_benchmark", "run_search_benchmark", "run_selfplay_benchmark", "run_tei_benchmark",
    "run_tree_reuse_benchmark", "stockfish_perft",
]
