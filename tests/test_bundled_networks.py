"""The networks that ship (pyzero/networks/bundled/) and network files (`pyzero export`).

Every bundled network: its manifest is valid, its file matches the manifest's SHA-256 and
records the same game and architecture, it loads without its run's config and plays legal
moves. Strength checks that a regression would fail: the TicTacToe network never loses
along any line of a perfect player's replies (minimax, computed here), as the manifest
says. A network file in float16 chooses the same moves as in float32.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil

import pytest
import torch
from click.testing import CliRunner

from pyzero.cli import cli
from pyzero.config import RunConfig, load_config
from pyzero.model import read_checkpoint, write_checkpoint_file
from pyzero.model.checkpoint import model_weights
from pyzero.model.network_file import is_network_file_payload, network_file_payload
from pyzero.networks import (BundledNetworkError, NetworkChoice, bundled_networks, choose_network,
                             find_bundled_network, read_manifest)
from pyzero.networks.catalog import BundledNetwork
from pyzero.players.network_player import NetworkPlayer, SearchLimits
from pyzero.training.evaluation import losses_against_minimax

BUNDLED = bundled_networks()
NAMES = [network.name for network in BUNDLED]


def test_bundled_networks_ship_for_the_games_users_play():
    games = {(network.manifest.game.name, tuple(sorted(network.manifest.game.options.items())))
             for network in BUNDLED}
    assert ("tictactoe", ()) in games
    defaults = [network.manifest.game.name for network in BUNDLED if network.manifest.default]
    assert len(defaults) == len(set(defaults)), "one default network per game"


@pytest.mark.parametrize("name", NAMES)
def test_a_bundled_network_matches_its_manifest_and_plays_legal_moves(name):
    network = next(network for network in BUNDLED if network.name == name)
    manifest = network.manifest
    path = network.path()  # checks the SHA-256
    assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest.sha256
    payload = read_checkpoint(path)
    assert is_network_file_payload(payload)
    assert set(payload) == {"kind", "config", "learner"}, "weights and config only: no optimiser, no replay"
    assert payload["config"]["game"]["name"] == manifest.game.name
    assert {key: float(value) for key, value in payload["config"]["game"]["options"].items()} == \
        manifest.game.options
    assert payload["config"]["network"] == manifest.network
    assert payload["learner"]["step"] == manifest.training.learner_steps
    assert manifest.training.cpu_seconds > 0 and manifest.training.commit
    weights = model_weights(payload, str(path))
    expected = torch.float16 if manifest.precision == "float16" else torch.float32
    assert any(tensor.dtype == expected for tensor in weights.values())

    # A config of the game's default shape: the network file says which network it holds.
    config = RunConfig.model_validate({"game": manifest.game.model_dump()})
    engine = NetworkPlayer.from_choice(choose_network(config, look_in_run=False), SearchLimits(simulations=8))
    assert engine.bundled is not None and engine.bundled.name == find_bundled_network(
        manifest.game.name, manifest.game.options).name
    state = engine.game.new()
    for _ in range(4):
        if state.is_terminal():
            break
        move = engine.best_move(state)
        assert move in state.legal_moves()
        state.play(move)


def test_the_tictactoe_network_never_loses_to_perfect_play():
    """Every line of a minimax player's optimal replies, the network moving first and
    second, at 32 simulations (what its manifest claims) and with a single simulation."""
    network = find_bundled_network("tictactoe")
    assert network is not None
    for simulations in (32, 1):
        engine = NetworkPlayer.from_choice(choose_network(RunConfig.model_validate({"game": {"name": "tictactoe"}}),
                                                          look_in_run=False), SearchLimits(simulations=simulations))

        class Deterministic:
            def choose(self, state, rng):
                return engine.best_move(state)

        lost, examined = losses_against_minimax(engine.game, Deterministic())
        assert examined > 50
        assert lost == 0, f"{simulations} simulations: lost {lost} of {examined} lines"


def test_a_float16_network_file_plays_as_its_float32_network(tmp_path):
    """Same weights halved: over 200 random positions the raw policy's first choice is the
    same in nearly every one, and the values differ by little."""
    source = find_bundled_network("tictactoe").path()
    payload = read_checkpoint(source)
    half = tmp_path / "half.safetensors"
    write_checkpoint_file(half, network_file_payload(payload, str(source), "float16"))
    assert half.stat().st_size < 0.6 * source.stat().st_size
    config = RunConfig.model_validate({"game": {"name": "tictactoe"}})
    from pyzero.model import load_network

    full_model, _, _ = load_network(config, source)
    half_model, _, _ = load_network(config, half)
    assert all(parameter.dtype == torch.float32 for parameter in half_model.parameters())
    from pyzero.games import make

    game = make("tictactoe")
    rng = random.Random(0)
    planes = []
    for _ in range(200):
        state = game.new()
        for _ in range(rng.randrange(0, 6)):
            state.play(rng.choice(state.legal_moves()))
        planes.append(torch.as_tensor(state.encode()))
    batch = torch.stack(planes).float()
    with torch.no_grad():
        full_policy, full_value = full_model(batch)[:2]
        half_policy, half_value = half_model(batch)[:2]
    agreement = (full_policy.argmax(1) == half_policy.argmax(1)).float().mean().item()
    assert agreement >= 0.97
    assert (full_value - half_value).abs().mean().item() < 0.01


def test_a_damaged_bundled_network_is_refused_before_it_is_read(tmp_path):
    network = find_bundled_network("tictactoe")
    shutil.copy(network.path(), tmp_path / network.manifest.file)
    (tmp_path / f"{network.name}.json").write_text(json.dumps(network.manifest.model_dump(mode="json")))
    damaged = tmp_path / network.manifest.file
    blob = bytearray(damaged.read_bytes())
    blob[-10] ^= 0xFF
    damaged.write_bytes(bytes(blob))
    copy = BundledNetwork(read_manifest(tmp_path / f"{network.name}.json"), tmp_path)
    with pytest.raises(BundledNetworkError, match="SHA-256"):
        copy.path()


def test_a_manifest_with_an_unknown_key_or_a_bad_digest_is_refused(tmp_path):
    manifest = find_bundled_network("tictactoe").manifest.model_dump(mode="json")
    (tmp_path / "extra.json").write_text(json.dumps({**manifest, "run": "os.system('x')"}))
    with pytest.raises(BundledNetworkError, match="extra.json.*run"):
        read_manifest(tmp_path / "extra.json")
    (tmp_path / "digest.json").write_text(json.dumps({**manifest, "sha256": "abc"}))
    with pytest.raises(BundledNetworkError, match="sha256"):
        read_manifest(tmp_path / "digest.json")


def test_a_network_is_chosen_checkpoint_first_then_the_run_then_bundled_then_untrained(tmp_path):
    run = tmp_path / "run"
    config = load_config("tictactoe", {"run_dir": str(run)})
    assert choose_network(config).source == "bundled"
    assert choose_network(config, use_bundled=False).source == "untrained"
    assert choose_network(config.model_copy(update={"game": config.game.model_copy(update={"name": "chess"})}),
                          use_bundled=False).source == "untrained"
    bundled_file = find_bundled_network("tictactoe").path()
    (run / "checkpoints").mkdir(parents=True)
    shutil.copy(bundled_file, run / "checkpoints" / "step-000000100.safetensors")
    assert choose_network(config).source == "run"
    assert choose_network(config, look_in_run=False).source == "bundled"
    assert choose_network(config, bundled_file).source == "checkpoint"


def test_play_says_which_network_it_plays_in_its_first_line():
    result = CliRunner().invoke(cli, ["play", "tictactoe", "--simulations", "4"], input="quit\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("pyzero play: bundled network tictactoe (")


def test_export_writes_a_network_file_that_loads_without_its_config(tmp_path):
    """`pyzero export` of a run's checkpoint; `pyzero play GAME --checkpoint FILE` builds the
    file's own network (not the game's default shape) and plays it."""
    checkpoint = tmp_path / "run" / "checkpoints" / "step-000000100.safetensors"
    checkpoint.parent.mkdir(parents=True)
    bundled = read_checkpoint(find_bundled_network("tictactoe").path())
    write_checkpoint_file(checkpoint, {**bundled, "kind": "not-a-network-file",
                                       "optimizer": {"moments": torch.zeros(3)}})
    exported = tmp_path / "net.safetensors"
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "run"), str(exported), "--precision", "float32"])
    assert result.exit_code == 0, result.output
    payload = read_checkpoint(exported)
    assert set(payload) == {"kind", "config", "learner"} and is_network_file_payload(payload)
    assert all(torch.equal(payload["learner"]["model"][name], tensor)
               for name, tensor in bundled["learner"]["model"].items())
    result = CliRunner().invoke(cli, ["play", "tictactoe", "--checkpoint", str(exported), "--simulations", "4"],
                                input="quit\n")
    assert result.exit_code == 0, result.output
    assert str(exported) in result.output.splitlines()[0]


def test_arena_bundled_player_names_the_network(tmp_path):
    from pyzero.arena.players import PlayerSpecError, make_player
    from pyzero.games import make

    config = load_config("tictactoe", {"run_dir": str(tmp_path / "run")})
    game = make("tictactoe")
    player = make_player("bundled", config, game, simulations=4)
    assert player.name == "bundled" and player.checkpoint == find_bundled_network("tictactoe").path()
    assert make_player("bundled:tictactoe", config, game, simulations=4).checkpoint == player.checkpoint
    with pytest.raises(PlayerSpecError, match="no bundled network of that name"):
        make_player("bundled:nonesuch", config, game, simulations=4)


def test_networks_lists_each_bundled_network_with_its_strength():
    result = CliRunner().invoke(cli, ["networks", "--verbose"])
    assert result.exit_code == 0, result.output
    for network in BUNDLED:
        assert network.name in result.output
        assert network.manifest.training.command in result.output.replace("\n", "")


def test_choice_describes_an_untrained_network_when_nothing_ships():
    config = RunConfig.model_validate({"game": {"name": "tak", "options": {"size": 3}}})
    choice = choose_network(config, look_in_run=False)
    assert choice == NetworkChoice(config, "untrained") and choice.describe() == "an untrained network"


def test_a_run_starts_from_a_bundled_network_or_grows_it_into_a_bigger_one(tmp_path):
    """`upgrade.from_network`: the new run's network at step 0 is the bundled one (same
    shape: its weights; a wider network with `initialize: grown`: the same outputs)."""
    from pyzero.training.trainer import Trainer

    bundled = read_checkpoint(find_bundled_network("tictactoe").path())
    weights = bundled["learner"]["model"]
    same = Trainer(load_config("tictactoe", {"run_dir": str(tmp_path / "same"),
                                             "upgrade.from_network": "tictactoe"}), dashboard=False)
    assert all(torch.equal(same.model.state_dict()[name], tensor.float()) for name, tensor in weights.items())
    wider = Trainer(load_config("tictactoe", {"run_dir": str(tmp_path / "wider"), "network.channels": 48,
                                              "upgrade.from_network": "tictactoe",
                                              "upgrade.initialize": "grown"}), dashboard=False)
    planes = torch.stack([torch.as_tensor(same.game.new().encode()).float()] * 2)
    same.model.eval(), wider.model.eval()
    with torch.no_grad():
        for ours, theirs in zip(same.model(planes)[:2], wider.model(planes)[:2]):
            assert torch.allclose(ours, theirs, atol=1e-5)


def test_a_run_with_an_opponent_reply_head_starts_from_a_network_without_one(tmp_path):
    """The head is trained, never played: the new run takes every weight of the bundled
    network and starts its own head from its initialisation."""
    from pyzero.training.trainer import Trainer

    weights = read_checkpoint(find_bundled_network("tictactoe").path())["learner"]["model"]
    assert not any(name.startswith("opponent_policy_head.") for name in weights)
    run = Trainer(load_config("tictactoe", {"run_dir": str(tmp_path / "run"), "network.opponent_policy_head": True,
                                            "upgrade.from_network": "tictactoe"}), dashboard=False)
    state = run.model.state_dict()
    assert all(torch.equal(state[name], tensor.float()) for name, tensor in weights.items())
    assert any(name.startswith("opponent_policy_head.") for name in state)


def test_starting_from_a_network_that_does_not_fit_is_an_error_at_the_key(tmp_path):
    from pyzero.config import ConfigError
    from pyzero.training.trainer import Trainer

    with pytest.raises(ConfigError, match="upgrade.from_network.*initialize: grown"):
        Trainer(load_config("tictactoe", {"run_dir": str(tmp_path / "a"), "network.channels": 48,
                                          "upgrade.from_network": "tictactoe"}), dashboard=False)
    with pytest.raises(ConfigError, match="upgrade.from_network.*neither a network file nor a bundled network"):
        Trainer(load_config("tictactoe", {"run_dir": str(tmp_path / "b"), "upgrade.from_network": "nonesuch"}),
                dashboard=False)
    with pytest.raises(ConfigError, match="plays tictactoe, not connect4"):
        Trainer(load_config("connect4", {"run_dir": str(tmp_path / "c"), "upgrade.from_network": "tictactoe"}),
                dashboard=False)
    assert not (tmp_path / "a" / "config.yaml").exists(), "a failed start writes no config"


def test_the_connect4_network_keeps_the_solved_result_in_most_opening_positions():
    """Pons' Test_L1_R3 (solved positions early in the game), the first 200: the shipped
    network's raw policy keeps the solved result (win, draw or loss) in 83% of them, with 64
    simulations its search in 85.5% (measured when it was bundled); an untrained network
    keeps it in about half. A loader, encoding or format that breaks the network falls far
    below the bound."""
    from pyzero.model import load_network
    from pyzero.training.connect4_positions import benchmark_set, optimal_move_share

    torch.set_num_threads(1)
    model, _, _ = load_network(RunConfig.model_validate({"game": {"name": "connect4"}}),
                               find_bundled_network("connect4").path())
    result = optimal_move_share(model, benchmark_set("Test_L1_R3"), simulations=8, limit=200)
    assert result.raw_policy_result_kept >= 0.78, result


def test_tei_plays_each_size_and_komi_with_its_bundled_network(tmp_path):
    """A server on the tak config whose run has no checkpoint: its own game (6x6, komi 2)
    plays the bundled 6x6 network, 5x5 with komi 0 the 5x5 one (an info string says so), and
    a komi without a network an untrained one, with an info string that lists what ships."""
    from pyzero.protocols.tei_server import TeiServer

    config = load_config("tak", {"run_dir": str(tmp_path / "run"), "inference.backend": "torch",
                                 "evaluation.simulations": 8})
    native = NetworkPlayer.from_choice(choose_network(config), SearchLimits(simulations=8))
    six = find_bundled_network("tak", {"size": 6, "komi": 2})
    five = find_bundled_network("tak", {"size": 5, "komi": 0})
    assert native.bundled is six is not None and five is not None
    lines = []
    server = TeiServer(config, native, lines.append)
    server.handle("tei")
    assert lines[0].endswith(f"({six.name})")
    server.handle("teinewgame size 5 halfkomi 0")
    assert lines[-1] == f"info string size 5 with half-komi 0: {five.describe()}"
    assert server.engine.bundled is five
    server.handle("position startpos")
    server.handle("go nodes 8")
    server.handle("isready")
    server._finish_search(stop=False)
    assert lines[-1].startswith("bestmove ") and "(none)" not in lines[-1]
    server.handle("teinewgame size 6 halfkomi 0")
    assert "an untrained network (no bundled network plays it" in lines[-1] and "size 6 with half-komi 4" in lines[-1]


@pytest.mark.slow
def test_the_tak_5x5_network_beats_the_depth_2_yardstick():
    """10 games against alpha-beta at depth 2 with the simple evaluation (5 two-ply openings, each from both sides),
    200 simulations a move: the network wins most."""
    from pyzero.arena.match import play_pairing
    from pyzero.arena.openings import random_openings
    from pyzero.players.alphabeta import AlphaBetaPlayer

    config = load_config("tak5")
    network = NetworkPlayer.from_choice(choose_network(config, look_in_run=False), SearchLimits(simulations=200))
    assert network.bundled is not None and network.bundled.name == "tak-5x5"
    yardstick = AlphaBetaPlayer(2, evaluation="simple")
    records = play_pairing(network.game, network, yardstick, random_openings(network.game, 5, 2, seed=1), games=10,
                           max_game_plies=300)
    wins = sum(record.winner == network.name for record in records)
    assert wins >= 6, [(record.first, record.winner) for record in records]
