"""Every `pyzero bench ... --json` report has one envelope (pyzero/bench/report.py): the
benchmark's name, the schema version, pyzero's version and the machine, then its own
fields. Checked on a report built here and on a real report of the quickest benchmark."""

from __future__ import annotations

import json
import os

import pytest

from pyzero import __version__
from pyzero.bench import REPORT_SCHEMA_VERSION, benchmark_report
from pyzero.bench.report import ENVELOPE_FIELDS


def check_envelope(report: dict, benchmark: str) -> None:
    assert list(report)[:len(ENVELOPE_FIELDS)] == list(ENVELOPE_FIELDS)
    assert report["benchmark"] == benchmark
    assert report["schema_version"] == REPORT_SCHEMA_VERSION and report["pyzero_version"] == __version__
    machine = report["machine"]
    assert set(machine) == {"cpu", "cores", "python", "torch", "gpu"}
    assert isinstance(machine["cpu"], str) and machine["cpu"]
    assert 1 <= machine["cores"] <= (os.cpu_count() or 1)


def test_a_report_is_the_envelope_then_its_fields():
    report = benchmark_report("search", results=[{"simulations_per_second": 1.0}])
    check_envelope(report, "search")
    assert report["results"] == [{"simulations_per_second": 1.0}]
    json.dumps(report)  # plain JSON


def test_a_benchmark_field_may_not_replace_the_envelope():
    with pytest.raises(ValueError, match="machine"):
        benchmark_report("tei", machine="mine")


def test_the_tei_benchmark_report_has_the_envelope(tmp_path):
    """A real report: `pyzero bench tei` over one small board, one move."""
    from click.testing import CliRunner

    from pyzero.cli import cli

    result = CliRunner().invoke(cli, ["bench", "tei", "tak", "--sizes", "3",
                                      "--movetime", "50", "--set", f"run_dir={tmp_path / 'run'}", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    check_envelope(report, "tei")
    assert [move["size"] for move in report["moves"]] == [3]


def test_the_alphabeta_benchmark_reports_work_per_depth():
    """A real report of `pyzero bench alphabeta` on 4x4 at depths 1-2: one row a player,
    more nodes at depth 2 than at 1, and depth 1 searching each root move once (perft 1)."""
    from click.testing import CliRunner

    from pyzero.bench.alphabeta import bench_positions
    from pyzero.cli import cli

    result = CliRunner().invoke(cli, ["bench", "alphabeta", "--sizes", "4", "--depths", "1-2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    check_envelope(report, "alphabeta")
    rows = {row["player"]: row for row in report["results"]}
    assert set(rows) == {"alphabeta:1", "alphabeta:2", "alphabeta-simple:1", "alphabeta-simple:2"}
    positions = bench_positions(4)
    mean_perft = sum(state.perft(1) for state in positions) / len(positions)
    for prefix in ("alphabeta", "alphabeta-simple"):
        assert rows[f"{prefix}:1"]["mean_nodes"] == pytest.approx(1 + mean_perft)
        assert rows[f"{prefix}:2"]["mean_nodes"] > rows[f"{prefix}:1"]["mean_nodes"]
    bad = CliRunner().invoke(cli, ["bench", "alphabeta", "--sizes", "9"])
    assert bad.exit_code != 0 and "--sizes" in bad.output
