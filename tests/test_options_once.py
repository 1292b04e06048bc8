"""Every search and self-play option is defined once, in the config schema, and reaches the
engine whole: each Mojo config struct is read back and compared with the schema's values.

The engine keeps no defaults (a missing field is an error there), so a default that
changes in pyzero/config.py changes what the engine runs; the values below differ from
every default, so a field dropped or mixed up on the way is caught.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyzero.config import GumbelSection, InferenceSection, PuctSection, RunConfig, SearchSection, SelfPlaySection
from pyzero.native import load_native
from pyzero.search import GumbelOptions, PuctOptions
from pyzero.selfplay import SelfPlayOptions

GUMBEL = {"max_considered_actions": 5, "gumbel_scale": 0.75, "c_visit": 30.0, "c_scale": 0.2, "rescale": False,
          "rounds_per_batch": 3}
PUCT = {"c_init": 1.5, "c_base": 10000.0, "fpu_reduction": 0.5, "dirichlet_alpha": 0.15, "dirichlet_fraction": 0.5,
        "virtual_loss": 2.0, "leaves_per_batch": 4, "temperature": 0.5}
SELFPLAY = {"games": 40, "workers": 3, "batch_size": 24, "buffers": 3, "timeout_ms": 1.5, "max_game_plies": 90,
            "noise_plies": 12, "random_opening_plies": 4, "full_search_fraction": 0.5, "fast_simulations": 6, "tree_reuse": False, "network_threads": 2,
            "worker_priority": "normal"}
SEARCH = {"simulations": 48}
INFERENCE = {"cache_entries": 4096, "max_policy_length": 81}


def differs_from_every_default(section: type, values: dict) -> bool:
    defaults = section()
    return set(values) >= set(section.model_fields) - {"gumbel", "puct", "algorithm", "survey_fraction"} and all(
        getattr(defaults, key) != value for key, value in values.items())


def test_the_values_cover_every_field_away_from_its_default():
    assert differs_from_every_default(GumbelSection, GUMBEL)
    assert differs_from_every_default(PuctSection, PUCT)
    assert differs_from_every_default(SelfPlaySection, SELFPLAY)
    assert all(getattr(SearchSection(), key) != value for key, value in SEARCH.items())
    assert all(getattr(InferenceSection(), key) != value for key, value in INFERENCE.items())


def assert_same(engine: dict, schema: dict) -> None:
    assert set(engine) == set(schema)
    for key, value in schema.items():
        if isinstance(value, dict):
            assert_same(engine[key], value)
        elif isinstance(value, float):  # the engine holds Float32
            assert engine[key] == pytest.approx(float(np.float32(value)), rel=1e-7), key
        else:
            assert engine[key] == value and type(engine[key]) is type(value), key


@pytest.mark.parametrize("values", [{}, GUMBEL])
def test_gumbel_options_reach_the_engine_whole(values):
    options = GumbelOptions(**values)
    assert_same(dict(load_native().gumbel_config_round_trip(options.model_dump())), options.model_dump())


@pytest.mark.parametrize("values", [{}, PUCT])
def test_puct_options_reach_the_engine_whole(values):
    options = PuctOptions(**values)
    assert_same(dict(load_native().puct_config_round_trip(options.model_dump())), options.model_dump())


def test_self_play_options_from_a_config_reach_the_engine_whole():
    config = RunConfig.model_validate({"game": {"name": "connect4"}, "selfplay": SELFPLAY,
                                       "search": {**SEARCH, "gumbel": GUMBEL}, "inference": INFERENCE})
    options = SelfPlayOptions.from_config(config, seed=1234)
    engine_options = options.engine_options(networks=2)
    engine = load_native().pipeline_config_round_trip(engine_options)
    engine = {key: (dict(value) if key == "gumbel" else value) for key, value in dict(engine).items()}
    assert_same(engine, engine_options)
    # And the engine's values are the config's, field by field (names mapped, ms -> us).
    # network_threads are Python's (pyzero/selfplay.py starts them), not the engine's.
    assert options.network_threads == 2 and "network_threads" not in engine_options
    expected = {**{k: v for k, v in SELFPLAY.items() if k not in ("buffers", "timeout_ms", "network_threads")},
                **SEARCH, **INFERENCE,
                "buffers_per_network": 3, "timeout_microseconds": 1500, "networks": 2, "seed": 1234, "gumbel": GUMBEL}
    assert_same(engine, expected)


def test_the_engine_refuses_options_with_a_field_missing_or_unknown():
    engine = load_native()
    gumbel = GumbelOptions().model_dump()
    with pytest.raises(Exception, match="got 5 of the 6 fields"):
        engine.gumbel_config_round_trip({k: v for k, v in gumbel.items() if k != "c_scale"})
    with pytest.raises(Exception, match="unknown Gumbel search option 'c_puct'"):
        engine.gumbel_config_round_trip({**gumbel, "c_puct": 1.0})
    puct = PuctOptions().model_dump()
    with pytest.raises(Exception, match="got 7 of the 8 fields"):
        engine.puct_config_round_trip({k: v for k, v in puct.items() if k != "temperature"})
    pipeline = SelfPlayOptions().engine_options(1)
    del pipeline["seed"]
    with pytest.raises(Exception, match="got 17 keys"):
        engine.pipeline_config_round_trip(pipeline)
