"""Every command plays with the config's search options and runs the config's inference.

Defect 2: `play_gumbel_options` (the engine of play, TEI and the arena) dropped
`search.gumbel.rounds_per_batch`. Defect 3: the training evaluation searched with
default Gumbel options, whatever `search.gumbel` said. Both now read every field of the
config's section; the tests set each field away from its default and look for it.
"""

from __future__ import annotations

import pytest
import torch

from pyzero.config import GumbelSection, InferenceSection, RunConfig
from pyzero.games import make
from pyzero.inference import SearchEvaluator, TorchBackend, resolve_backend_name
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.players.network_player import NetworkPlayer, play_gumbel_options
from pyzero.search import GumbelSearcher
from pyzero.training.evaluation import network_player

# A value for every Gumbel option that differs from its default.
NON_DEFAULT_GUMBEL = {"max_considered_actions": 3, "gumbel_scale": 0.5, "c_visit": 7.0, "c_scale": 0.3,
                      "rescale": False, "rounds_per_batch": 2}


def config_with(**sections) -> RunConfig:
    return RunConfig.model_validate({"game": {"name": "tictactoe"}, **sections})


def test_the_non_default_values_cover_every_gumbel_option():
    assert set(NON_DEFAULT_GUMBEL) == set(GumbelSection.model_fields)
    defaults = GumbelSection()
    assert all(getattr(defaults, key) != value for key, value in NON_DEFAULT_GUMBEL.items())


def test_play_options_carry_every_config_option_but_the_noise():
    options = play_gumbel_options(config_with(search={"gumbel": NON_DEFAULT_GUMBEL}))
    for key, value in NON_DEFAULT_GUMBEL.items():
        assert getattr(options, key) == (0.0 if key == "gumbel_scale" else value), key


def test_the_training_evaluation_searches_with_the_config_options():
    config = config_with(search={"gumbel": {**NON_DEFAULT_GUMBEL, "max_considered_actions": 2}},
                         evaluation={"simulations": 12})
    game = make("tictactoe")
    model = ExactTestNetwork(NetworkShape.of_game(game), seed=3)
    player = network_player(config, game, model)
    state = game.new()
    result = player.analyse(state)
    # Gumbel search visits only the m = 2 sampled root moves (the default m = 16 visits all 9).
    assert (result.visits > 0).sum() == 2
    assert result.visits.sum() == 12
    # And it is exactly the search the config describes, noise off.
    expected = GumbelSearcher(state, play_gumbel_options(config)).run(12, SearchEvaluator(TorchBackend(model)), seed=0)
    assert result.chosen_move == expected.chosen_move
    assert (result.visits == expected.visits).all()


def test_an_engine_evaluates_on_the_configured_backend_and_sizes_its_cache_from_the_config():
    config = config_with(inference={"cache_entries": 100, "max_policy_length": 9})
    game = make("tictactoe")
    engine = NetworkPlayer.from_config(config, game=game, model=ExactTestNetwork(NetworkShape.of_game(game)))
    assert config.inference.backend == "auto"
    assert engine.inference.backend.name == resolve_backend_name(config.inference)
    assert engine.inference.backend.options == config.inference
    assert not engine.inference.cache_allocated  # nothing allocated before the first search
    engine.best_move(game.new())
    stats = engine.cache.stats()
    assert stats["capacity"] == 100 and stats["inserts"] > 0


def test_the_search_evaluator_returns_what_the_model_computes():
    game = make("connect4")
    model = ExactTestNetwork(NetworkShape.of_game(game), seed=5)
    evaluate = SearchEvaluator(TorchBackend(model, InferenceSection()))
    states = [game.new(), game.play_moves(["4", "4", "3"])]
    planes = torch.stack([torch.from_numpy(s.encode()) for s in states]).numpy()
    legal = torch.ones((2, game.num_actions), dtype=torch.bool).numpy()
    logits, values = evaluate(planes, legal)
    with torch.inference_mode():
        expected_logits, expected_values = model(torch.from_numpy(planes))
    assert torch.equal(torch.from_numpy(logits.copy()), expected_logits)
    assert torch.equal(torch.from_numpy(values.copy()), expected_values)


def test_new_weights_for_an_engine_retire_what_the_cache_holds():
    game = make("connect4")
    shape = NetworkShape.of_game(game)
    old, new = ExactTestNetwork(shape, seed=1), ExactTestNetwork(shape, seed=2)
    engine = NetworkPlayer(game, old, play_gumbel_options(config_with()), inference_options=InferenceSection())
    state = game.new()
    with torch.inference_mode():
        old_value = float(old(torch.from_numpy(state.encode()[None]))[1][0])
        new_value = float(new(torch.from_numpy(state.encode()[None]))[1][0])
    assert abs(old_value - new_value) > 1e-3  # the two networks tell the root apart
    assert engine.analyse(state).network_value == pytest.approx(old_value, abs=1e-6)
    hits = engine.cache.stats()["hits"]
    assert engine.analyse(state).network_value == pytest.approx(old_value, abs=1e-6)  # now from the cache
    assert engine.cache.stats()["hits"] > hits
    engine.inference.load_state_dict(new.state_dict())
    assert engine.analyse(state).network_value == pytest.approx(new_value, abs=1e-6)


def test_the_search_evaluator_serves_several_threads_at_once():
    """The graph search calls one evaluator from several threads, and ONNX Runtime lets go
    of the GIL while it runs. A backend that pauses mid-batch (as such a backend does)
    must still hand each thread the outputs of its own positions."""
    import threading
    import time

    import numpy as np

    class PausingBackend:
        name, pin_memory, device = "stub", False, torch.device("cpu")

        def evaluate_into(self, inputs, logits_out, values_out):
            rows = inputs.flatten(1).sum(1)
            time.sleep(0.002)  # another thread's batch runs here
            logits_out.copy_(rows[:, None].expand_as(logits_out))
            values_out.copy_(rows)

    evaluate = SearchEvaluator(PausingBackend())
    failures = []

    def worker(batch: int, fill: float):
        for _ in range(40):
            planes = np.full((batch, 2, 3, 3), fill, dtype=np.float32)
            logits, values = evaluate(planes, np.ones((batch, 5), dtype=bool))
            if logits.shape != (batch, 5) or not np.all(values == fill * 18) or not np.all(logits == fill * 18):
                failures.append((batch, fill, values.tolist()))

    threads = [threading.Thread(target=worker, args=(7, 1.0)), threading.Thread(target=worker, args=(8, 2.0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
