"""Monte-Carlo graph search (mojo/search/graph/): against the tree search when no key
ever matches, the graph's invariants recomputed here from its raw arrays, transpositions
sharing one node and one evaluation, and repetitions valued on the playout's edge."""

from __future__ import annotations

import zlib
from collections import Counter

import numpy as np
import pytest

from pyzero.cli.common import parse_overrides
from pyzero.config import GraphSection, RunConfig, validate_config
from pyzero.native import load_native
from pyzero.games import make
from pyzero.search import GraphOptions, GraphSearcher, GumbelOptions, GumbelSearcher, PuctOptions, PuctSearcher
from test_gumbel_search import fixed_random_evaluator

# Most tests here pin PUCT at the root and below it (the rule they were derived for, and
# the one the tree search `PuctSearcher` shares exactly); the defaults (halving at the
# root, Gumbel's rule below) have tests of their own.
PUCT_GRAPH = GraphOptions(root="puct", interior="puct")


def puct_graph(**values) -> GraphOptions:
    return PUCT_GRAPH.model_copy(update=values)


TREE = puct_graph(transpositions=False)

EXACT_CASES = [
    # (game, options, moves, evaluator, simulations)
    ("tictactoe", {}, "", fixed_random_evaluator, 300),
    ("tictactoe", {}, "b2 a1", ("rollout", 2), 120),
    ("connect4", {}, "", fixed_random_evaluator, 150),
    ("connect4", {}, "4 4 3", ("rollout", 1), 150),
    ("tak", {"size": 4}, "a1 d4", fixed_random_evaluator, 80),
    ("tak", {"size": 5}, "", ("rollout", 1), 40),
]


def _assert_same_root(graph, tree):
    assert graph.actions.tolist() == tree.actions.tolist()
    assert graph.visits.tolist() == tree.visits.tolist()
    np.testing.assert_allclose(graph.q, tree.q, atol=2e-5)
    np.testing.assert_allclose(graph.priors, tree.priors, atol=1e-7)
    assert graph.root_visits == tree.root_visits
    assert graph.root_value == pytest.approx(tree.root_value, abs=2e-5)
    assert graph.chosen_action == tree.chosen_action
    assert graph.evaluations == tree.evaluations
    assert graph.terminal_leaves == tree.terminal_leaves


@pytest.mark.parametrize("game_name,options,moves,evaluator,simulations", EXACT_CASES)
def test_without_shared_keys_the_graph_is_the_tree_search(game_name, options, moves, evaluator, simulations):
    """One playout per batch, no cache, every key salted: exactly PuctSearch's result."""
    state = make(game_name, **options).play_moves(moves)
    puct = PuctOptions(dirichlet_fraction=0, leaves_per_batch=1, temperature=0)
    tree = PuctSearcher(state, puct).run(simulations, evaluator, seed=5)
    graph = GraphSearcher(state, puct, TREE).run(simulations, evaluator, seed=5)
    _assert_same_root(graph, tree)
    assert graph.extras["catch_ups"] == 0 and graph.extras["transposition_links"] == 0


def test_without_shared_keys_root_noise_and_sampling_match_the_tree_search():
    state = make("connect4").play_moves("4")
    puct = PuctOptions(dirichlet_fraction=0.25, dirichlet_alpha=0.3, leaves_per_batch=1, temperature=1.0)
    for seed in range(3):
        tree = PuctSearcher(state, puct).run(60, fixed_random_evaluator, seed=seed)
        graph = GraphSearcher(state, puct, TREE).run(60, fixed_random_evaluator, seed=seed)
        np.testing.assert_allclose(graph.noisy_priors, tree.noisy_priors, atol=1e-7)
        _assert_same_root(graph, tree)


def broad_evaluator(planes, legal):
    """fixed_random_evaluator with flatter priors, so that a search branches widely and
    meets transpositions early."""
    logits, values = fixed_random_evaluator(planes, legal)
    return logits * 0.2, values


def check_graph_invariants(arrays, repetition_value=0.0):
    """The graph's own statistics against a recomputation from its raw arrays:
    N(n) = 1 + sum N(n,a) and Q(n) = (U(n) + sum N(n,a) Q_parent(n,a)) / N(n) for every
    evaluated node, nothing in flight, incoming edge counts, one node per key."""
    repetition_value = float(np.float32(repetition_value))  # as the engine holds it
    status, visits, value, utility = arrays["status"], arrays["visits"], arrays["value"], arrays["utility"]
    child, edge_visits, repeats = arrays["edge_child"], arrays["edge_visits"], arrays["edge_repetition_visits"]
    assert not arrays["edge_in_flight"].any()
    assert (repeats <= edge_visits).all()
    evaluated = np.flatnonzero(status == 2)
    assert len(evaluated) > 0
    for node in evaluated:
        start, count = arrays["first_edge"][node], arrays["edge_count"][node]
        edges = np.arange(start, start + count)
        through = edge_visits[edges] - repeats[edges]
        child_value = np.where(child[edges] >= 0, value[np.maximum(child[edges], 0)], 0.0)
        assert ((through == 0) | (child[edges] >= 0)).all()
        assert visits[node] == 1 + edge_visits[edges].sum()
        expected = (utility[node] - (through * child_value).sum() - repeats[edges].sum() * repetition_value) / visits[node]
        assert value[node] == pytest.approx(expected, abs=1e-9), node
    terminal = status == 3
    np.testing.assert_array_equal(value[terminal], utility[terminal])
    linked = child[child >= 0]
    np.testing.assert_array_equal(np.bincount(linked, minlength=len(status)), arrays["incoming_edges"])
    assert len(np.unique(arrays["key"])) == len(status)


@pytest.mark.parametrize("interior", ["puct", "gumbel"])
@pytest.mark.parametrize("game_name,options,moves,leaves_per_batch", [
    ("tictactoe", {}, "", 1), ("tictactoe", {}, "", 8), ("connect4", {}, "4 3", 4), ("tak", {"size": 3}, "a1 c3", 1),
    ("tak", {"size": 3}, "a1 c3", 8),
])
def test_graph_invariants_after_a_search(game_name, options, moves, leaves_per_batch, interior):
    state = make(game_name, **options).play_moves(moves)
    searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, leaves_per_batch=leaves_per_batch),
                             puct_graph(interior=interior))
    result = searcher.run(400, broad_evaluator, seed=1)
    arrays = searcher.graph_arrays()
    check_graph_invariants(arrays)
    assert arrays["visits"][arrays["root"]] == 401 == result.root_visits
    # Transpositions showed up and were shared (these games all have them within a few plies).
    assert result.extras["transposition_links"] > 0
    searcher.run(100, broad_evaluator, seed=2)  # a second search on the kept graph
    check_graph_invariants(searcher.graph_arrays())


class CountingEvaluator:
    """Priors on the `favoured` actions only (so the search tries their orders), values
    from fixed_random_evaluator; counts how often it saw each position (by its planes)."""

    def __init__(self, favoured):
        self.favoured = list(favoured)
        self.seen = Counter()

    def __call__(self, planes, legal):
        _, values = fixed_random_evaluator(planes, legal)
        logits = np.full(legal.shape, -12.0, np.float32)
        logits[:, self.favoured] = 0.0
        for row in planes:
            self.seen[zlib.crc32(row.tobytes())] += 1
        return logits, values

    def times_seen(self, state):
        return self.seen[zlib.crc32(state.encode().tobytes())]


TRANSPOSITIONS = [
    # (game, options, start, the same position by two move orders from the start)
    ("connect4", {}, "", "4 3 5", "5 3 4"),
    ("tak", {"size": 4}, "a1 d4", "b2 c3 a3", "a3 c3 b2"),
]


@pytest.mark.parametrize("game_name,options,start,first,second", TRANSPOSITIONS)
def test_two_move_orders_reach_one_node_evaluated_once(game_name, options, start, first, second):
    game = make(game_name, **options)
    root = game.play_moves(start)
    one, other = game.play_moves(first, start=root), game.play_moves(second, start=root)
    assert one.hash() == other.hash() and one.position() == other.position()
    favoured = sorted({root.move_to_action(move) if game_name == "connect4" else None for move in first.split()} - {None})
    if game_name != "connect4":  # Tak: the moves' actions in their own positions
        state, favoured = root.copy(), []
        for move in first.split():
            favoured.append(state.move_to_action(move))
            state.play(move)
    evaluator = CountingEvaluator(favoured)
    searcher = GraphSearcher(root, PuctOptions(dirichlet_fraction=0, leaves_per_batch=1), PUCT_GRAPH)
    searcher.run(300, evaluator, seed=0)
    arrays = searcher.graph_arrays()
    nodes = np.flatnonzero(arrays["key"] == np.uint64(one.hash()))
    assert len(nodes) == 1
    assert arrays["incoming_edges"][nodes[0]] == 2
    assert arrays["status"][nodes[0]] == 2
    assert evaluator.times_seen(one) == 1
    check_graph_invariants(arrays)
    # The same search as a tree evaluates the position once per move order.
    tree_evaluator = CountingEvaluator(favoured)
    GraphSearcher(root, PuctOptions(dirichlet_fraction=0, leaves_per_batch=1), TREE).run(300, tree_evaluator, seed=0)
    assert tree_evaluator.times_seen(one) == 2


def test_graph_options_are_defined_once_and_reach_the_engine_whole():
    values = {"transpositions": False, "repetition_value": -0.5, "threads": 3, "max_nodes": 5000, "root": "puct",
              "interior": "puct"}
    assert all(getattr(GraphSection(), key) != value for key, value in values.items())
    assert set(values) == set(GraphSection.model_fields)
    gumbel = GumbelOptions(max_considered_actions=5, c_visit=20.0, c_scale=0.5, rescale=False)
    engine = dict(load_native().graph_config_round_trip(GraphOptions(**values).model_dump(), gumbel.model_dump()))
    # Root halving and the Gumbel interior rule take m and sigma's parameters from the one
    # Gumbel section.
    assert engine == values | {"max_considered_actions": 5, "c_visit": 20.0, "c_scale": 0.5, "rescale": False}
    config = RunConfig.model_validate({"game": {"name": "connect4"}, "search": {"graph": values}})
    assert config.search.graph == GraphOptions(**values)
    # ... and from the command line's --set.
    overrides = parse_overrides(tuple(f"search.graph.{key}={str(value).lower()}" for key, value in values.items()))
    assert validate_config({"game": {"name": "connect4"}}, overrides).search.graph == GraphOptions(**values)
    with pytest.raises(Exception, match="fields"):
        load_native().graph_config_round_trip({"transpositions": True}, gumbel.model_dump())
    with pytest.raises(Exception, match="root must be 'puct' or 'halving'"):
        load_native().graph_config_round_trip(GraphOptions().model_dump() | {"root": "gumbel"}, gumbel.model_dump())
    with pytest.raises(Exception, match="interior must be 'puct' or 'gumbel'"):
        load_native().graph_config_round_trip(GraphOptions().model_dump() | {"interior": "ucb"}, gumbel.model_dump())


# --- repetitions ----------------------------------------------------------------------
# Tak 3x3: White's flat on a1 and Black's on c3 shuffle back and forth; after four plies
# the first position returns with White to move again.
SHUFFLE_START = "x2,2/x3/1,x2 1 3"
SHUFFLE = ["a1>", "c3<", "b1<", "b3>"]


class ShuffleEvaluator:
    """Puts all the prior on the next shuffle move (so the shuffle is the only line the
    search follows) and values every position of the cycle as lost for White (-0.8 for
    White to move, +0.8 for Black to move): only the repetition can save White. Any
    other position (PUCT's very first playout ignores priors) is lost for the player who
    left the cycle: +0.9 for the side to move there."""

    def __init__(self, game, start):
        self.next_action, self.value = {}, {}
        state = start.copy()
        for move in SHUFFLE:
            crc = zlib.crc32(state.encode().tobytes())
            self.next_action[crc] = state.move_to_action(move)
            self.value[crc] = -0.8 if state.to_move() == 0 else 0.8
            state.play(move)
        self.evaluated = Counter()

    def __call__(self, planes, legal):
        logits = np.full(legal.shape, -12.0, np.float32)
        values = np.zeros(len(planes), np.float32)
        for row, plane in enumerate(planes):
            crc = zlib.crc32(plane.tobytes())
            self.evaluated[crc] += 1
            if crc in self.next_action:
                logits[row, self.next_action[crc]] = 0.0
                values[row] = self.value[crc]
            else:
                logits[row] = 0.0
                values[row] = 0.9
        return logits, values

    def cycle_evaluations(self):
        return [self.evaluated[crc] for crc in self.value]


@pytest.mark.parametrize("repetition_value", [0.0, 0.5, -0.3])
def test_a_lost_position_saved_only_by_shuffling_is_valued_as_the_repetition(repetition_value):
    game = make("tak", size=3)
    start = game.from_position(SHUFFLE_START)
    evaluator = ShuffleEvaluator(game, start)
    searcher = GraphSearcher(start, PuctOptions(dirichlet_fraction=0, leaves_per_batch=1, temperature=0),
                             puct_graph(repetition_value=repetition_value))
    result = searcher.run(400, evaluator, seed=0)
    # The network says -0.8 for White; the line repeats, so the search says the repetition.
    assert result.network_value == pytest.approx(-0.8)
    assert result.root_value == pytest.approx(repetition_value, abs=0.03)
    assert result.chosen_move == SHUFFLE[0]
    arrays = searcher.graph_arrays()
    check_graph_invariants(arrays, repetition_value)
    # Four positions, each one node evaluated once; the repeated start position is not a
    # new node, no edge points back at it, and its own value (U) is still the network's.
    assert evaluator.cycle_evaluations() == [1, 1, 1, 1]
    root = arrays["root"]
    assert (arrays["key"] == arrays["key"][root]).sum() == 1
    assert arrays["incoming_edges"][root] == 0 and arrays["utility"][root] == pytest.approx(-0.8)
    repeats = np.flatnonzero(arrays["edge_repetition_visits"])
    assert len(repeats) == 1 and arrays["edge_child"][repeats[0]] == -1
    assert arrays["edge_repetition_visits"][repeats[0]] == arrays["edge_visits"][repeats[0]] > 300
    assert result.extras["repetitions"] == arrays["edge_repetition_visits"].sum()


def test_a_repetition_of_the_game_history_counts_too():
    game = make("tak", size=3)
    start = game.from_position(SHUFFLE_START)
    evaluator = ShuffleEvaluator(game, start)
    history = [start, game.play_moves(SHUFFLE[:1], start=start)]
    root = game.play_moves(SHUFFLE[:2], start=start)
    options = PuctOptions(dirichlet_fraction=0, leaves_per_batch=1)
    with_history = GraphSearcher(root, options, PUCT_GRAPH, history=history).run(200, evaluator, seed=0)
    assert with_history.extras["repetitions"] > 150
    assert with_history.root_value == pytest.approx(0.0, abs=0.05)
    # Without the history the line is followed through the start position (its value -0.8
    # for White) and only repeats one cycle later, at the root itself.
    without = GraphSearcher(root, options, PUCT_GRAPH).run(200, evaluator, seed=0)
    assert without.extras["repetitions"] < with_history.extras["repetitions"]


# --- many threads on one search ---------------------------------------------------------
@pytest.mark.parametrize("interior,seeds,tolerance", [
    # One thread's root value over seeds spreads by about 0.01 with PUCT below the root and
    # about 0.09 with Gumbel's rule (measured: greedy toward the best Q, it follows the
    # rollouts' noise); rollouts of 16 games per leaf make the root value itself noisy.
    # Allowed: a few standard errors of the difference of two means of `seeds` searches.
    ("puct", 4, 0.04),
    ("gumbel", 8, 0.15),
])
def test_one_two_and_four_threads_agree_within_sampling_noise(interior, seeds, tolerance):
    state = make("connect4").play_moves("4 4")
    outcomes = {}
    for threads in (1, 2, 4):
        values, moves = [], []
        for seed in range(seeds):
            searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, leaves_per_batch=2, temperature=0),
                                     puct_graph(threads=threads, interior=interior))
            result = searcher.run(1500, ("rollout", 16), seed=seed)
            check_graph_invariants(searcher.graph_arrays())
            assert result.root_visits == 1501
            values.append(result.root_value)
            moves.append(result.chosen_move)
        outcomes[threads] = (np.mean(values), Counter(moves).most_common(1)[0][0])
    for threads in (2, 4):
        assert outcomes[threads][0] == pytest.approx(outcomes[1][0], abs=tolerance)
        if interior == "puct":  # Gumbel's rule spreads the chosen move over several columns here
            assert outcomes[threads][1] == outcomes[1][1]


def test_threads_really_share_the_search():
    import threading

    callers = set()

    def evaluator(planes, legal):
        callers.add(threading.get_ident())
        return fixed_random_evaluator(planes, legal)

    state = make("connect4").new()
    searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, leaves_per_batch=4), puct_graph(threads=4))
    result = searcher.run(600, evaluator, seed=0)
    # The root is evaluated by the calling thread, the rest by the search's threads.
    assert len(callers - {threading.get_ident()}) >= 2
    assert result.root_visits == 601
    check_graph_invariants(searcher.graph_arrays())


@pytest.mark.parametrize("game_name,options,moves,interior", [
    ("tak", {"size": 4}, "a1 d4", "puct"), ("connect4", {}, "", "puct"), ("tictactoe", {}, "", "puct"),
    ("tak", {"size": 4}, "a1 d4", "gumbel")])
def test_many_threads_and_a_tiny_graph_never_break_it(game_name, options, moves, interior):
    state = make(game_name, **options).play_moves(moves)
    for seed in range(8):
        searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, leaves_per_batch=8),
                                 puct_graph(threads=16, max_nodes=40, interior=interior))
        result = searcher.run(3000, ("rollout", 1), seed=seed)
        arrays = searcher.graph_arrays()
        check_graph_invariants(arrays)  # in-flight counts all back to zero, values fresh
        assert len(arrays["key"]) <= 40 and result.extras["full"]
        assert result.root_visits == 1 + result.visits.sum() < 3001
        searcher.run(50, ("rollout", 1), seed=seed)  # a full graph still answers a search
        check_graph_invariants(searcher.graph_arrays())


@pytest.mark.parametrize("graph", [None, PUCT_GRAPH])
def test_the_graph_benchmark_reports_threads_and_transpositions(graph):
    from pyzero.bench import GraphWorkload, run_graph_benchmark

    report = run_graph_benchmark((GraphWorkload("connect4", {}, opening_plies=4),), thread_counts=(1, 2),
                                 simulations=200, uniform_simulations=300, network_simulations=32,
                                 transposition_simulations=(300,), graph=graph)
    assert [(r["evaluator"], r["threads"], r["simulations"]) for r in report["throughput"]] == [
        ("uniform", 1, 300), ("uniform", 2, 300), ("rollout x4", 1, 200), ("rollout x4", 2, 200),
        ("network (untrained)", 1, 32), ("network (untrained)", 2, 32)]
    assert all(r["simulations_per_second"] > 0 for r in report["throughput"])
    for row in report["transpositions"]:
        # A tree reaches a new position at every simulation that does not end a game; the
        # graph finds some of them already there.
        assert row["evaluations_graph"] + row["transposition_links"] >= row["evaluations_tree"] * 0.5
        assert 0 < row["found_in_graph_percent"] < 100


def test_the_graph_benchmark_takes_only_graph_options():
    from click.testing import CliRunner

    from pyzero.cli import cli

    result = CliRunner().invoke(cli, ["bench", "graph", "--set", "selfplay.games=3"])
    assert result.exit_code != 0 and "only search.graph.* options apply here, got selfplay.games" in result.output
    result = CliRunner().invoke(cli, ["bench", "graph", "--set", "search.graph.interior=ucb"])
    assert result.exit_code != 0 and "search.graph.interior" in result.output


def test_a_large_graph_keeps_finding_its_positions_after_the_table_grows():
    """Thousands of nodes (the key table doubles several times): still one node per key,
    and transpositions are still found."""
    searcher = GraphSearcher(make("connect4").new(), PuctOptions(dirichlet_fraction=0, leaves_per_batch=4), PUCT_GRAPH)
    result = searcher.run(5000, "uniform", seed=0)
    arrays = searcher.graph_arrays()
    assert len(arrays["key"]) > 2000
    check_graph_invariants(arrays)
    assert result.extras["transposition_links"] > 100


def test_advance_keeps_the_graph_and_remembers_the_position_it_leaves():
    game = make("tak", size=3)
    start = game.from_position(SHUFFLE_START)
    evaluator = ShuffleEvaluator(game, start)
    options = PuctOptions(dirichlet_fraction=0, leaves_per_batch=1, temperature=0)
    searcher = GraphSearcher(start, options, PUCT_GRAPH)
    first = searcher.run(200, evaluator, seed=0)
    child_visits = first.visits[first.actions.tolist().index(start.move_to_action(SHUFFLE[0]))]
    searcher.advance(SHUFFLE[0])
    kept = searcher.run(0, evaluator, seed=0)
    assert kept.root_visits == child_visits  # the played move's node, statistics and all
    # The start position is now history: three plies on, the shuffle repeats it.
    after = searcher.run(200, evaluator, seed=0)
    assert after.root_visits == child_visits + 200
    assert after.root_value == pytest.approx(0.0, abs=0.05)
    check_graph_invariants(searcher.graph_arrays())


@pytest.mark.parametrize("threads", [1, 4])
def test_a_failing_evaluator_leaves_a_consistent_graph(threads):
    calls = []

    def failing(planes, legal):
        calls.append(len(planes))
        if len(calls) == 6:
            raise RuntimeError("the network went away")
        return fixed_random_evaluator(planes, legal)

    searcher = GraphSearcher(make("connect4").new(), PuctOptions(dirichlet_fraction=0, leaves_per_batch=4),
                             puct_graph(threads=threads))
    with pytest.raises(Exception, match="the network went away"):
        searcher.run(400, failing, seed=0)
    arrays = searcher.graph_arrays()
    assert not arrays["edge_in_flight"].any()
    # What was requested and never answered is unevaluated again, with no invented value.
    assert not ((arrays["status"] == 1).any())
    result = searcher.run(200, fixed_random_evaluator, seed=1)
    check_graph_invariants(searcher.graph_arrays())
    assert result.root_visits >= 201


def _reachable(arrays, root):
    seen, frontier = {root}, [root]
    while frontier:
        node = frontier.pop()
        start, count = arrays["first_edge"][node], arrays["edge_count"][node]
        for child in arrays["edge_child"][start:start + count] if start >= 0 else []:
            if child >= 0 and child not in seen:
                seen.add(child)
                frontier.append(child)
    return seen


@pytest.mark.parametrize("transpositions", [True, False])
def test_advance_frees_what_the_new_root_cannot_reach_and_keeps_the_rest_as_it_was(transpositions):
    state = make("connect4").play_moves("4 4")
    searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, leaves_per_batch=4),
                             puct_graph(transpositions=transpositions))
    result = searcher.run(1500, broad_evaluator, seed=0)
    before = searcher.graph_arrays()
    played = int(result.actions[np.argmax(result.visits)])
    root_edge = before["first_edge"][before["root"]] + result.actions.tolist().index(played)
    new_root = before["edge_child"][root_edge]
    kept = _reachable(before, new_root)
    searcher.advance(played)
    after = searcher.graph_arrays()
    assert len(after["key"]) == len(kept) < len(before["key"])
    assert after["key"][after["root"]] == before["key"][new_root]
    # Every kept node (found by its key) and its edges are unchanged.
    index_before = {int(before["key"][node]): node for node in kept}
    for node in range(len(after["key"])):
        old = index_before[int(after["key"][node])]
        for field in ("status", "utility", "value", "visits", "edge_count"):
            assert after[field][node] == before[field][old], field
        a, b = after["first_edge"][node], before["first_edge"][old]
        for offset in range(after["edge_count"][node]):
            for field in ("edge_action", "edge_prior", "edge_visits", "edge_repetition_visits"):
                assert after[field][a + offset] == before[field][b + offset], field
            child_after, child_before = after["edge_child"][a + offset], before["edge_child"][b + offset]
            assert (child_after == -1) == (child_before == -1)
            if child_after >= 0:
                assert after["key"][child_after] == before["key"][child_before]
    check_graph_invariants(after)
    searcher.run(300, broad_evaluator, seed=1)  # the rebuilt key table still finds positions
    check_graph_invariants(searcher.graph_arrays())


def test_a_long_game_runs_in_bounded_memory():
    state = make("connect4").new()
    searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, leaves_per_batch=4, temperature=0), PUCT_GRAPH)
    sizes = []
    for _ in range(16):
        result = searcher.run(300, broad_evaluator, seed=0)
        sizes.append(result.tree_size)
        searcher.advance(result.chosen_action)
        state.apply_action(result.chosen_action)
        if state.is_terminal():
            break
    # Kept whole, the graph would hold every node of every search (about 300 a move);
    # swept at each move it holds the played line's share plus one search.
    assert len(sizes) >= 10
    assert max(sizes) < 3 * 301 < sum(sizes) / 2


# --- time limits and the engine -------------------------------------------------------------
@pytest.mark.parametrize("threads", [1, 3])
def test_a_timed_search_stops_on_time_on_a_stop_word_and_at_its_simulation_limit(threads):
    import threading

    from pyzero.search import SearchStop

    state = make("tak", size=5).new()
    options = (PuctOptions(dirichlet_fraction=0, leaves_per_batch=2), puct_graph(threads=threads))
    timed = GraphSearcher(state, *options).run_for(0.3, ("rollout", 2), seed=0)
    # Batches are short (a few rollouts), so it ends within one batch of its time (the
    # bound leaves room for a machine busy with other work).
    assert 0.3 <= timed.seconds < 0.3 + 1.0 and timed.root_visits > 10
    capped = GraphSearcher(state, *options).run_for(30.0, ("rollout", 1), seed=0, max_simulations=50)
    assert capped.root_visits == 51 and capped.seconds < 10
    stop = SearchStop()
    threading.Timer(0.2, stop.set).start()
    stopped = GraphSearcher(state, *options).run_for(30.0, ("rollout", 2), seed=0, stop=stop)
    assert 0.2 <= stopped.seconds < 0.2 + 1.0


def test_the_engine_plays_with_the_graph_search_when_the_config_says_so():
    from pyzero.config import RunConfig
    from pyzero.players.network_player import NetworkPlayer, SearchLimits

    config = RunConfig.model_validate({"game": {"name": "connect4"},
                                       "search": {"play": "graph", "graph": {"threads": 2}}})
    engine = NetworkPlayer(make("connect4"), None, graph=config.search.graph)
    state = make("connect4").play_moves("1 2 1 2 1 3")  # the first player completes column 1
    assert engine.best_move(state, SearchLimits(simulations=300)) == "1"
    timed = engine.analyse(state, SearchLimits(seconds=0.2))
    assert timed.chosen_move == "1" and "catch_ups" in timed.extras
    assert NetworkPlayer(make("connect4"), None).graph is None  # Gumbel unless asked for
    # From a config, with a network: the graph search evaluates it on two threads.
    from pyzero.model import build_model

    config = config.model_copy(update={"network": config.network.model_copy(update={"blocks": 1, "channels": 8})})
    networked = NetworkPlayer.from_config(config, model=build_model(config, make("connect4")))
    assert networked.graph == config.search.graph and networked.puct.dirichlet_fraction == 0
    result = networked.analyse(make("connect4").new(), SearchLimits(simulations=64))
    assert result.root_visits == 65 and len(result.extras["principal_variation"]) >= 1


@pytest.mark.parametrize("threads", [1, 3])
def test_the_evaluation_cache_answers_what_an_earlier_search_evaluated(threads):
    from pyzero.search import EvaluationCache

    def counting(calls):
        def evaluate(planes, legal):
            calls.append(len(planes))
            _, values = fixed_random_evaluator(planes, legal)
            return np.zeros(legal.shape, np.float32), values  # equal priors survive Float16 exactly
        return evaluate

    state = make("connect4").play_moves("4 3")
    cache = EvaluationCache(entries=1 << 14, max_policy_length=7)
    options = (PuctOptions(dirichlet_fraction=0, leaves_per_batch=4, temperature=0), puct_graph(threads=threads))
    first_calls, second_calls = [], []
    first = GraphSearcher(state, *options).run(300, counting(first_calls), seed=0, cache=cache)
    assert cache.stats()["inserts"] == sum(first_calls) == first.evaluations
    searcher = GraphSearcher(state, *options)
    second = searcher.run(300, counting(second_calls), seed=0, cache=cache)
    stats = cache.stats()
    # One thread repeats the same search; threads interleave differently each time.
    share = 0.99 if threads == 1 else 0.5
    assert stats["hits"] >= share * second.evaluations and sum(second_calls) <= (1 - share) * second.evaluations
    assert stats["lookups"] == stats["hits"] + stats["misses"] == first.evaluations + second.evaluations
    check_graph_invariants(searcher.graph_arrays())
    if threads == 1:  # one thread: the same search, answered from the cache
        np.testing.assert_array_equal(first.visits, second.visits)


def test_the_principal_variation_reaches_tei_info_lines():
    from pyzero.protocols.search_job import info_line

    state = make("tak", size=5).play_moves("a1 e5")
    result = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, temperature=0), PUCT_GRAPH).run(400, ("rollout", 1), seed=0)
    line = info_line(result, 0.5)
    variation = line.split(" pv ")[1].split()
    assert variation == result.principal_variation and variation[0] == result.chosen_move
    assert len(variation) >= 3
    # Each move of the line is legal where it is played.
    replay = state.copy()
    for move in variation:
        assert move in replay.legal_moves()
        replay.play(move)


def test_tei_statistics_lines_count_each_search_of_a_kept_graph():
    """The `info string` line gives one search's evaluations and transposition hits: over
    two searches of one kept graph they add up to the searcher's lifetime counts (the
    engine's counters), the first equal a fresh searcher's; with sharing off (every key
    new) there are no hits."""
    from pyzero.protocols.search_job import statistics_line

    state = make("connect4").play_moves("4 4")
    searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, temperature=0), PUCT_GRAPH)
    first = searcher.run(600, "uniform", seed=0)
    second = searcher.run(600, "uniform", seed=0)
    fresh = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, temperature=0), PUCT_GRAPH).run(600, "uniform", 0)
    counts = [(int(r.extras["search_evaluations"]), int(r.extras["search_transposition_links"]))
              for r in (first, second)]
    assert counts[0] == (fresh.evaluations, int(fresh.extras["transposition_links"]))
    assert counts[0][0] + counts[1][0] == second.evaluations
    assert counts[0][1] + counts[1][1] == int(second.extras["transposition_links"])
    evaluations, hits = counts[1]
    assert hits > 0  # 600 more playouts from Connect4's "4 4" meet transpositions
    assert statistics_line(second) == (f"info string evaluations {evaluations} transpositions {hits} "
                                       f"saved {100 * hits / (hits + evaluations):.1f}%")
    unshared = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, temperature=0),
                             PUCT_GRAPH.model_copy(update={"transpositions": False})).run(600, "uniform", 0)
    assert statistics_line(unshared).endswith("transpositions 0 saved 0.0%")
    assert statistics_line(GumbelSearcher(state).run(16, "uniform", 0)) is None


def test_the_engine_passes_the_game_history_to_a_new_graph():
    """What a TEI or UCI `position ... moves` gives the engine (PlayedPosition.history)
    reaches the graph: the same search as GraphSearcher's with that history."""
    from pyzero.players.network_player import NetworkPlayer, SearchLimits

    game = make("tak", size=3)
    start = game.from_position(SHUFFLE_START)
    history = (start.hash(), game.play_moves(SHUFFLE[:1], start=start).hash())
    root = game.play_moves(SHUFFLE[:2], start=start)
    puct = PuctOptions(dirichlet_fraction=0, leaves_per_batch=1)

    def shuffle_engine():
        # The shuffle evaluator in the place of a network (only its `evaluator` is used; no cache).
        inference = type("Inference", (), {"evaluator": ShuffleEvaluator(game, start), "cache": None})()
        return NetworkPlayer(game, None, graph=puct_graph(), puct=puct, inference=inference)

    with_history = shuffle_engine().analyse(root, SearchLimits(simulations=200), history=history)
    direct = GraphSearcher(root, puct, PUCT_GRAPH, history=[start, game.play_moves(SHUFFLE[:1], start=start)]).run(
        200, ShuffleEvaluator(game, start), seed=0)
    assert with_history.extras["repetitions"] == direct.extras["repetitions"] > 150
    without = shuffle_engine().analyse(root, SearchLimits(simulations=200))
    assert without.extras["repetitions"] < with_history.extras["repetitions"]


def test_the_engine_keeps_its_graph_between_the_moves_of_a_game():
    from pyzero.players.network_player import NetworkPlayer, SearchLimits

    game = make("connect4")
    engine = NetworkPlayer(game, None, graph=puct_graph())
    first_state = game.play_moves("4")
    first = engine.analyse(first_state, SearchLimits(simulations=400))
    searcher = engine._graph_searcher
    # The engine's move and the reply it expects (the principal variation's first two
    # plies): the position two plies on is found along the graph, visits and all.
    played, reply = first.principal_variation[:2]
    reply_state = game.play_moves([played, reply], start=first_state)
    middle = game.play_moves([played], start=first_state)
    assert searcher.line_to(reply_state) == [first_state.move_to_action(played), middle.move_to_action(reply)]
    arrays = searcher.graph_arrays()
    kept_visits = int(arrays["visits"][np.flatnonzero(arrays["key"] == np.uint64(reply_state.hash()))[0]])
    assert kept_visits > 1
    second = engine.analyse(reply_state, SearchLimits(simulations=100))
    assert engine._graph_searcher is searcher and second.root_visits == kept_visits + 100
    check_graph_invariants(searcher.graph_arrays())
    # An unrelated position starts a new graph.
    other = engine.analyse(game.play_moves("1 1 1"), SearchLimits(simulations=50))
    assert other.root_visits == 51 and engine._graph_searcher is not searcher


# --- anytime sequential halving at the root -------------------------------------------------
HALVING = GraphOptions(root="halving")


@pytest.mark.parametrize("threads", [1, 4])
def test_root_halving_fills_the_phases_of_the_anytime_schedule(threads):
    """TicTacToe's empty board with the uniform evaluator: every prior and every Q is equal,
    so every ranking is a tie, broken towards the lower edge. By hand, with m = 4 and 25
    playouts (the survey may take half of them): the survey visits all 9 moves once; pass 1
    gives edges 0-3 one playout each, then edges 0 and 1 two each; pass 2 does the same
    again. So 7, 7, 3, 3 and 1 for the rest. With four threads the phases are the same,
    because a phase is planned only once its survivors are full, in-flight playouts counted."""
    searcher = GraphSearcher(make("tictactoe").new(), PuctOptions(dirichlet_fraction=0, leaves_per_batch=2),
                             HALVING.model_copy(update={"threads": threads}),
                             gumbel=GumbelOptions(max_considered_actions=4), survey_fraction=0.5)
    result = searcher.run(25, "uniform", seed=0)
    assert result.visits.tolist() == [7, 7, 3, 3, 1, 1, 1, 1, 1]
    assert result.chosen_action == result.actions[0]  # the best ranked of the most searched (a tie: the first)
    check_graph_invariants(searcher.graph_arrays())


@pytest.mark.parametrize("threads", [1, 3])
def test_root_halving_plays_the_win_and_shows_it_first_in_the_line(threads):
    # X (to move) wins with a3; every other move lets O win or draw at best.
    state = make("tictactoe").play_moves("a1 b1 a2 b2")
    searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, leaves_per_batch=2),
                             HALVING.model_copy(update={"threads": threads}), gumbel=GumbelOptions())
    result = searcher.run(200, ("rollout", 4), seed=1)
    assert result.chosen_move == "a3" and result.principal_variation[0] == "a3"
    assert result.root_visits == 201
    check_graph_invariants(searcher.graph_arrays())


def test_root_halving_under_a_clock_surveys_then_halves_and_stops_on_time():
    state = make("tak", size=5).play_moves("a1 e5")
    options = (PuctOptions(dirichlet_fraction=0, leaves_per_batch=2), HALVING.model_copy(update={"threads": 3}))
    searcher = GraphSearcher(state, *options, survey_fraction=0.2)
    timed = searcher.run_for(0.4, ("rollout", 1), seed=0)
    check_graph_invariants(searcher.graph_arrays())
    assert 0.4 <= timed.seconds < 0.4 + 1.0
    # Every move was surveyed (one rollout each is quick), and passes of halving then went
    # deeper (each pass over the best 16 by the values of that moment, so over the passes
    # more than 16 moves may get more than their survey playout).
    assert (timed.visits >= 1).all() and timed.visits.max() > 20
