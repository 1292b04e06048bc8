"""Gumbel MCTS's deterministic selection below the root, over a graph's edges (option
`search.graph.interior: gumbel`).

The rule is the tree search's, `interior_choice` in gumbel_formulas.mojo: argmax
pi'(a) - (N(a) + in flight(a)) / (1 + sum (N + in flight)), with pi' = softmax(log pi +
sigma(completed Q)). On a graph, N(a) is the edge's visit count (KataGo's edge visits, not
the child's, which other parents share) and q(a) the edge's value from the parent's side
(value_update.mojo: the child's Q for the visits that went through it, the repetition
value for those that ended in a repeated position). v_mix starts from the node's own
network value U(n).

Why it is worth having: PUCT below the root spends the visits as its exploration constant
says, while the Gumbel rule makes the visit distribution track pi', the policy the root's
halving ranks with; on Pons' Connect4 sets the tree search with this rule kept the result
more often than the graph search with PUCT at the same number of evaluations. In-flight
playouts count in N only (no virtual loss), as in the tree search, where they spread a
batch over the children; with several threads they do the same.
"""

from mojo.search.graph.graph import SearchGraph
from mojo.search.graph.value_update import edge_value_sum_in
from mojo.search.gumbel_formulas import InteriorChildren, SigmaParameters, interior_choice


struct GraphEdges(InteriorChildren):
    """A graph node's edges as `interior_choice` reads them."""

    var graph_address: Int  # a Pointer field may not hold AnyOrigin; the owner outlives this view
    var node: Int
    var start: Int  # the node's first edge
    var count: Int
    var repetition_value: Float64

    def __init__(out self, graph: Pointer[SearchGraph, MutAnyOrigin], node: Int, repetition_value: Float64):
        self.graph_address = Int(graph)
        self.node = node
        self.start = graph[].edges_start(node)
        self.count = graph[].edges_end(node) - self.start
        self.repetition_value = repetition_value

    @always_inline
    def graph(self) -> Pointer[SearchGraph, MutAnyOrigin]:
        return Pointer[SearchGraph, MutAnyOrigin](unsafe_from_address=self.graph_address)

    @always_inline
    def child_count(self) -> Int:
        return self.count

    @always_inline
    def child_prior(self, index: Int) -> Float32:
        return self.graph()[].edge_prior[self.start + index]

    @always_inline
    def child_visits(self, index: Int) -> Int:
        return Int(self.graph()[].edge_visits[self.start + index])

    @always_inline
    def child_in_flight(self, index: Int) -> Int:
        return Int(self.graph()[].edge_in_flight[self.start + index])

    @always_inline
    def child_q(self, index: Int) -> Float32:
        var edge = self.start + index
        var total = edge_value_sum_in(self.graph()[], edge, self.repetition_value)
        return Float32(total / Float64(self.graph()[].edge_visits[edge]))

    @always_inline
    def node_network_value(self) -> Float32:
        return self.graph()[].utility[self.node]


def gumbel_interior_edge(
    graph: Pointer[SearchGraph, MutAnyOrigin],
    node: Int,
    repetition_value: Float64,
    sigma: SigmaParameters,
    mut weights: List[Float32],
) -> Int:
    """The edge (index into the graph's edge arrays) Gumbel's interior rule picks at `node`;
    `weights` is scratch (one per thread)."""
    var edges = GraphEdges(graph, node, repetition_value)
    return edges.start + interior_choice(edges, sigma, weights)
