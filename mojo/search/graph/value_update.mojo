"""The idempotent value update of Monte-Carlo graph search (KataGo's docs/GraphSearch.md).

A node's value is never accumulated from the values playouts bring back; it is recomputed
from what its edges point at:

    N(n) = 1 + sum_a N(n,a)
    Q(n) = (U(n) + sum_a N(n,a) * Q_parent(n,a)) / N(n)

where Q_parent(n,a) is the edge's value from n's side to move: minus its child's Q for the
visits that went through the child, and minus the repetition value for the visits that
ended in a repeated position (a path-dependent value, kept on the edge). Recomputing is
idempotent, so a node reached by several paths is always consistent with its children,
and the order in which playouts finish does not matter.

A playout recomputes only the nodes on its own path, so a node with several parents leaves
the parents it did not come through slightly stale until a playout passes them (KataGo
accepts that during a search). `refresh_all_values` recomputes the whole graph children
first, so that after a search every stored Q is its fresh recomputation.

In a tree (every key distinct) N(n,a) equals the child's N and this is exactly the mean of
the values backed up through n: the tree search's value_sum / visit_count.
"""

from mojo.search.graph.graph import SearchGraph, NO_NODE, TERMINAL


@always_inline
def edge_value_sum(
    through_child_visits: Int, child_value: Float64, repetition_visits: Int, repetition_value: Float64
) -> Float64:
    """N(n,a) * Q_parent(n,a): the edge's visits weighted by its value, from the parent's
    side (`child_value` and `repetition_value` are from the child's side to move)."""
    return -(Float64(through_child_visits) * child_value + Float64(repetition_visits) * repetition_value)


def edge_value_sum_in(graph: SearchGraph, edge: Int, repetition_value: Float64) -> Float64:
    """`edge_value_sum` of `edge` as the graph holds it now."""
    var repetitions = Int(graph.edge_repetition_visits[edge])
    var through = Int(graph.edge_visits[edge]) - repetitions
    var child = Int(graph.edge_child[edge])
    var child_value = graph.value[child] if child != Int(NO_NODE) else 0.0
    return edge_value_sum(through, child_value, repetitions, repetition_value)


def recompute_node(mut graph: SearchGraph, node: Int, repetition_value: Float64):
    """Sets N(node) and Q(node) from U(node) and its edges (a TERMINAL node keeps its
    result and counts the playouts that ended there)."""
    if graph.status[node] == TERMINAL:
        graph.value[node] = Float64(graph.utility[node])
        return
    var visits = 1
    var total = Float64(graph.utility[node])
    if graph.first_edge[node] != NO_NODE:
        for edge in range(graph.edges_start(node), graph.edges_end(node)):
            var edge_visits = Int(graph.edge_visits[edge])
            if edge_visits == 0:
                continue
            visits += edge_visits
            total += edge_value_sum_in(graph, edge, repetition_value)
    graph.visits[node] = Int32(visits)
    graph.value[node] = total / Float64(visits)


comptime _UNSEEN: UInt8 = 0
comptime _ON_STACK: UInt8 = 1
comptime _DONE: UInt8 = 2


def refresh_all_values(mut graph: SearchGraph, repetition_value: Float64):
    """Recomputes every node after all of its children (an iterative post-order walk).

    An edge back to a node still on the walk's stack (a cycle of positions, which only
    games with reversible moves have) uses that node's value as it stands: a cycle has no
    children-first order, and its values settle as later playouts pass through it.
    """
    var count = graph.num_nodes()
    var mark = List[UInt8](length=count, fill=_UNSEEN)
    var stack_nodes = List[Int]()
    var stack_next_edge = List[Int]()
    for start in range(count):
        if mark[start] != _UNSEEN:
            continue
        mark[start] = _ON_STACK
        stack_nodes.append(start)
        stack_next_edge.append(graph.edges_start(start) if graph.first_edge[start] != NO_NODE else 0)
        while len(stack_nodes) > 0:
            var top = len(stack_nodes) - 1
            var node = stack_nodes[top]
            var end = graph.edges_end(node) if graph.first_edge[node] != NO_NODE else 0
            var descended = False
            while stack_next_edge[top] < end:
                var child = Int(graph.edge_child[stack_next_edge[top]])
                stack_next_edge[top] += 1
                if child != Int(NO_NODE) and mark[child] == _UNSEEN:
                    mark[child] = _ON_STACK
                    stack_nodes.append(child)
                    stack_next_edge.append(graph.edges_start(child) if graph.first_edge[child] != NO_NODE else 0)
                    descended = True
                    break
            if descended:
                continue
            if graph.visits[node] > 0:  # a node no playout has completed yet keeps N = 0
                recompute_node(graph, node, repetition_value)
            mark[node] = _DONE
            _ = stack_nodes.pop()
            _ = stack_next_edge.pop()
