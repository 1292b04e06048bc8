"""Mojo-side search tests: the fused interior selection equals the pure formulas (on the
tree's children and on the graph's edges), and the tree bookkeeping (visits, in-flight
counts, subtree compaction) stays consistent."""

from std.testing import assert_equal, assert_true, TestSuite

from mojo.game import Game, GameOptions
from mojo.search.gumbel import GumbelSearch, GumbelConfig
from mojo.search.random import SplitMix64
from mojo.search.tree import EVALUATED, NO_NODE
from games.connect4 import Connect4
from games.tak import TakState
from mojo.search.gumbel_formulas import (
    SigmaParameters,
    completed_q,
    sigma_of_completed_q,
    improved_policy,
    interior_scores,
    logits_from_priors,
    argmax,
)
from mojo.search.puct import PuctConfig
from mojo.search.graph.puct_graph import GraphSearch, GraphConfig
from mojo.search.graph.gumbel_interior import gumbel_interior_edge
from mojo.search.graph.graph import SearchGraph, EVALUATED as GRAPH_EVALUATED
from mojo.search.graph.value_update import edge_value_sum_in


def gumbel_test_config() -> GumbelConfig:
    """The values these tests were written with (mctx's); the engine has no defaults."""
    return GumbelConfig(16, 1.0, SigmaParameters(50.0, 0.1, True), 1)


def _random_evaluations[G: Game](mut search: GumbelSearch[G], mut rng: SplitMix64, num_actions: Int):
    var logits = List[Float32](length=num_actions, fill=0)
    for index in range(search.core.num_requests()):
        for action in range(num_actions):
            logits[action] = Float32(rng.next_unit_open() * 4.0 - 2.0)
        var value = Float32(rng.next_unit_open() * 2.0 - 1.0)
        search.core.receive(index, Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(logits.unsafe_ptr())), value)


def _check_selection_everywhere[G: Game](mut search: GumbelSearch[G]) raises -> Int:
    var checked = 0
    for node in range(search.core.tree.size()):
        if search.core.tree.status[node] == EVALUATED and search.core.tree.child_count[node] > 1:
            assert_equal(search._select_interior_child(node), search._select_interior_child_reference(node))
            checked += 1
    return checked


def test_fused_interior_selection_matches_pure_formulas() raises:
    var options = GameOptions()
    var search = GumbelSearch[Connect4](Connect4.create(options), gumbel_test_config())
    var rng = SplitMix64(11)
    var checked = 0
    for seed in range(3):
        search.set_root(Connect4.create(options))
        search.start(300, UInt64(seed))
        var batch = 0
        while search.collect():
            batch += 1
            if batch % 16 == 0:
                checked += _check_selection_everywhere(search)  # with simulations in flight
            _random_evaluations(search, rng, 7)
            search.core.backup()
        checked += _check_selection_everywhere(search)
    assert_true(checked > 200)


def test_visits_and_in_flight_counts_balance() raises:
    var options = GameOptions()
    options.set("size", 5)
    var search = GumbelSearch[TakState](TakState.create(options), gumbel_test_config())
    var rng = SplitMix64(3)
    search.start(200, 1)
    while search.collect():
        _random_evaluations(search, rng, search.core.root_state()[].num_actions())
        search.core.backup()
    assert_equal(Int(search.core.tree.visit_count[0]), 201)
    for node in range(search.core.tree.size()):
        assert_equal(Int(search.core.tree.pending_visits[node]), 0)
        if search.core.tree.first_child[node] != NO_NODE:
            var child_visits = 0
            for child in range(search.core.tree.children_start(node), search.core.tree.children_end(node)):
                child_visits += Int(search.core.tree.visit_count[child])
            # A node's visits: its own first evaluation plus one per visit to a child.
            assert_equal(Int(search.core.tree.visit_count[node]), child_visits + 1)


def _graph_reference_edge(search: GraphSearch[Connect4], node: Int) -> Int:
    """Gumbel's interior rule at a graph node from the pure formulas: sigma from completed
    edge visits, the visit term with in-flight playouts added."""
    ref graph = search.graph
    var start = graph.edges_start(node)
    var priors = List[Float32]()
    var q = List[Float32]()
    var visits = List[Int]()
    var with_in_flight = List[Int]()
    for edge in range(start, graph.edges_end(node)):
        var edge_visits = Int(graph.edge_visits[edge])
        priors.append(graph.edge_prior[edge])
        var total = edge_value_sum_in(graph, edge, Float64(search.config.repetition_value))
        q.append(Float32(total / Float64(edge_visits)) if edge_visits > 0 else 0)
        visits.append(edge_visits)
        with_in_flight.append(edge_visits + Int(graph.edge_in_flight[edge]))
    var completed = completed_q(graph.utility[node], priors, q, visits)
    var sigma = sigma_of_completed_q(completed, visits, search.config.sigma)
    var improved = improved_policy(logits_from_priors(priors), sigma)
    return start + argmax(interior_scores(improved, with_in_flight))


def _check_graph_selection_everywhere(mut search: GraphSearch[Connect4]) raises -> Int:
    var checked = 0
    var weights = List[Float32]()
    var graph = Pointer[SearchGraph, MutAnyOrigin](unsafe_from_address=Int(Pointer(to=search.graph)))
    for node in range(search.graph.num_nodes()):
        if search.graph.status[node] == GRAPH_EVALUATED and search.graph.edge_count[node] > 1:
            var fused = gumbel_interior_edge(graph, node, Float64(search.config.repetition_value), search.config.sigma, weights)
            assert_equal(fused, _graph_reference_edge(search, node))
            checked += 1
    return checked


def test_graph_gumbel_interior_selection_matches_pure_formulas() raises:
    var options = GameOptions()
    var puct = PuctConfig(1.25, 19652.0, 0.25, 0.3, 0.0, 1.0, 8, 0.0)
    var config = GraphConfig(True, 0.0, 1, 100000, True, True, 16, SigmaParameters(50.0, 0.1, True))
    var search = GraphSearch[Connect4](Connect4.create(options), puct, config)
    var rng = SplitMix64(5)
    var logits = List[Float32](length=7, fill=0)
    var checked = 0
    for seed in range(3):
        search.set_root(Connect4.create(options), List[UInt64]())
        search.start(300, UInt64(seed))
        var batches = 0
        while search.collect():
            batches += 1
            var batch = search.batch()
            if batches % 8 == 0:
                checked += _check_graph_selection_everywhere(search)  # with playouts in flight
            batch[].prepare_answers()
            for index in range(batch[].num_requests()):
                for action in range(7):
                    logits[action] = Float32(rng.next_unit_open() * 4.0 - 2.0)
                var value = Float32(rng.next_unit_open() * 2.0 - 1.0)
                batch[].answer_logits(index, Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(logits.unsafe_ptr())), value)
            search.apply_answers(batch[])
            search.backup(batch[])
        checked += _check_graph_selection_everywhere(search)
    assert_true(checked > 200)


def main() raises:
    TestSuite.discover_tests[__functions_in_module()]().run()
