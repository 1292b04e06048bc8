"""Weights & Biases logging (metrics.wandb) in wandb's offline mode: the run's metrics and
config land in the W&B run file, read back here record by record, and a resumed pyzero
run continues the same W&B run."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest

from pyzero.config import ConfigError, load_config
from pyzero.training.trainer import Trainer

REPOSITORY = Path(__file__).resolve().parents[1]
# PyTorch inference: these runs are too short to repay an ONNX export (auto's choice on a CPU).
TINY = {
    "network.blocks": 1, "network.channels": 8, "network.value_hidden": 8,
    "search.simulations": 8, "selfplay.games": 16, "selfplay.batch_size": 16, "inference.cache_entries": 1024,
    "replay.min_positions": 50, "inference.backend": "torch", "training.batch_size": 32, "training.steps": 30,
    "training.publish_interval": 5,
    "checkpoint.interval_steps": 10, "evaluation.games": 0,
    "metrics.wandb": True, "metrics.wandb_mode": "offline", "metrics.wandb_project": "pyzero-tests",
}


def wandb_records(path: Path):
    """The protobuf records of a .wandb file: a LevelDB-style log (a 7-byte file header,
    32 KiB blocks of records, each with a 7-byte header: CRC, length, type full/first/middle/last)."""
    from wandb.proto import wandb_internal_pb2

    blob = path.read_bytes()
    assert blob[:4] == b":W&B"
    position, block, pending = 7, 32768, b""
    while position + 7 <= len(blob):
        room = block - position % block
        if room < 7:  # a block's tail too short for a header is padding
            position += room
            continue
        _, length, kind = struct.unpack("<IHB", blob[position:position + 7])
        data = blob[position + 7:position + 7 + length]
        position += 7 + length
        if kind == 0:
            break
        pending = data if kind in (1, 2) else pending + data
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


def read_wandb_run(path: Path) -> tuple[str, list[dict], dict]:
    """(run id, history rows, config) of one offline W&B run file."""
    run_id, rows, config = None, [], {}
    for record in wandb_records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run_id = record.run.run_id
            config.update({item.key: json.loads(item.value_json) for item in record.run.config.update})
        elif kind == "history":
            # A key is in `key`, or split at "/" in `nested_key` ("games/s").
            rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                         for item in record.history.item})
    return run_id, rows, config


def test_metrics_go_to_an_offline_wandb_run_that_a_resume_continues(tmp_path):
    run_dir = tmp_path / "run"
    config = load_config(REPOSITORY / "configs/tictactoe.yaml", {**TINY, "run_dir": str(run_dir)})
    Trainer(config, dashboard=False).run()
    run_id = (run_dir / "wandb-id").read_text().strip()
    files = sorted((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 1
    logged_id, rows, logged_config = read_wandb_run(files[0])
    assert logged_id == run_id
    assert logged_config["game"]["name"] == "tictactoe"
    assert logged_config["training"]["steps"] == 30
    trained = [row for row in rows if "policy loss" in row]
    assert trained and all(0 < row["step"] <= 30 and row["policy loss"] > 0 for row in trained)
    assert trained[-1]["step"] == 30  # the run's last numbers are logged, however short it was
    assert any(row.get("games finished", 0) > 0 and "positions/s" in row for row in rows)  # self-play's too

    config = load_config(REPOSITORY / "configs/tictactoe.yaml",
                         {**TINY, "run_dir": str(run_dir), "training.steps": 40})
    resumed = Trainer(config, dashboard=False)
    assert resumed.mode == "resume"
    resumed.run()
    files = sorted((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 2  # a second offline session of the same W&B run
    logged_id, rows, _ = read_wandb_run(files[1])
    assert logged_id == run_id
    steps = [row["step"] for row in rows if "step" in row]
    assert min(steps) >= 30 and max(steps) == 40


def test_wandb_is_off_by_default(tmp_path):
    config = load_config(REPOSITORY / "configs/tictactoe.yaml")
    assert config.metrics.wandb is False


def test_without_the_wandb_package_the_error_names_the_key(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if not installed: import fails
    config = load_config(REPOSITORY / "configs/tictactoe.yaml", {**TINY, "run_dir": str(tmp_path / "run")})
    with pytest.raises(ConfigError, match=r"key 'metrics.wandb': the wandb package is not installed"):
        Trainer(config, dashboard=False)
    assert not (tmp_path / "run").exists()  # refused before a run directory was made
