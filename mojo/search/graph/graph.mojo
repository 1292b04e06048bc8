"""The search graph: nodes (positions) and edges (moves) in flat struct-of-arrays buffers.

A node is one position, found by its 64-bit key in a `KeyToNodeTable`. Its outgoing edges
are contiguous: `first_edge[n] ..< first_edge[n] + edge_count[n]`, one per legal action in
the game's order. An edge points at its child node once a playout has followed it
(`NO_NODE` before); several edges may point at one node (a transposition).

Values are from the point of view of the player to move at the node: `utility[n]` is U(n),
the network's value (or the finished game's result), and `value[n]` is Q(n), the node's
value recomputed from its edges (value_update.mojo). An edge's Q seen from its parent is
minus its child's Q (two-player zero-sum).

Node status: UNEVALUATED (created, not reached yet), PENDING (edges allocated, evaluation
requested), EVALUATED, TERMINAL (a finished game: its value is the result).

Edge counters: `visits` N(n,a) (completed playouts through the edge, catch-up visits and
repetition visits included), `in_flight` (playouts through it waiting for an evaluation)
and `repetition_visits` (the part of `visits` that ended in a repeated position: their
value, the repetition value, belongs to this edge and this path, never to the child).
"""

from mojo.search.graph.node_table import KeyToNodeTable

comptime UNEVALUATED: UInt8 = 0
comptime PENDING: UInt8 = 1
comptime EVALUATED: UInt8 = 2
comptime TERMINAL: UInt8 = 3
comptime NO_NODE: Int32 = -1


struct SearchGraph(Movable):
    var table: KeyToNodeTable
    # Nodes.
    var key: List[UInt64]
    var status: List[UInt8]
    var utility: List[Float32]  # U(n): the evaluation (or result), side to move at n
    var value: List[Float64]  # Q(n): idempotent value from the edges, side to move at n
    var visits: List[Int32]  # N(n) = 1 + sum of edge visits (TERMINAL: playouts that ended there)
    var first_edge: List[Int32]
    var edge_count: List[Int32]
    var incoming_edges: List[Int32]  # edges whose child is this node
    # Edges.
    var edge_action: List[Int32]
    var edge_prior: List[Float32]
    var edge_child: List[Int32]
    var edge_visits: List[Int32]
    var edge_in_flight: List[Int32]
    var edge_repetition_visits: List[Int32]

    def __init__(out self, expected_nodes: Int = 1024):
        self.table = KeyToNodeTable(expected_nodes)
        self.key = List[UInt64](capacity=expected_nodes)
        self.status = List[UInt8](capacity=expected_nodes)
        self.utility = List[Float32](capacity=expected_nodes)
        self.value = List[Float64](capacity=expected_nodes)
        self.visits = List[Int32](capacity=expected_nodes)
        self.first_edge = List[Int32](capacity=expected_nodes)
        self.edge_count = List[Int32](capacity=expected_nodes)
        self.incoming_edges = List[Int32](capacity=expected_nodes)
        self.edge_action = List[Int32]()
        self.edge_prior = List[Float32]()
        self.edge_child = List[Int32]()
        self.edge_visits = List[Int32]()
        self.edge_in_flight = List[Int32]()
        self.edge_repetition_visits = List[Int32]()

    def num_nodes(self) -> Int:
        return len(self.key)

    def num_edges(self) -> Int:
        return len(self.edge_action)

    def clear(mut self):
        """Drops every node and edge, keeping the buffers' capacity."""
        self.table.clear()
        self.key.clear()
        self.status.clear()
        self.utility.clear()
        self.value.clear()
        self.visits.clear()
        self.first_edge.clear()
        self.edge_count.clear()
        self.incoming_edges.clear()
        self.edge_action.clear()
        self.edge_prior.clear()
        self.edge_child.clear()
        self.edge_visits.clear()
        self.edge_in_flight.clear()
        self.edge_repetition_visits.clear()

    def add_node(mut self, key: UInt64) -> Int:
        """A new UNEVALUATED node stored under `key` (which must not be in the table)."""
        var node = len(self.key)
        self.key.append(key)
        self.status.append(UNEVALUATED)
        self.utility.append(0)
        self.value.append(0)
        self.visits.append(0)
        self.first_edge.append(NO_NODE)
        self.edge_count.append(0)
        self.incoming_edges.append(0)
        self.table.insert(key, node)
        return node

    def find_node(self, key: UInt64) -> Int:
        """The node stored under `key`, or -1."""
        return self.table.find(key)

    def add_edges(mut self, node: Int, actions: List[Int]):
        """One edge per action, contiguous, in the given order, with no child yet."""
        var start = len(self.edge_action)
        var end = start + len(actions)
        self.first_edge[node] = Int32(start)
        self.edge_count[node] = Int32(len(actions))
        self.edge_prior.resize(end, 0)
        self.edge_child.resize(end, NO_NODE)
        self.edge_visits.resize(end, 0)
        self.edge_in_flight.resize(end, 0)
        self.edge_repetition_visits.resize(end, 0)
        self.edge_action.resize(end, 0)
        for index in range(len(actions)):
            self.edge_action[start + index] = Int32(actions[index])

    @always_inline
    def edges_start(self, node: Int) -> Int:
        return Int(self.first_edge[node])

    @always_inline
    def edges_end(self, node: Int) -> Int:
        return Int(self.first_edge[node]) + Int(self.edge_count[node])

    def link(mut self, edge: Int, child: Int):
        """Points `edge` at `child` (its first traversal)."""
        self.edge_child[edge] = Int32(child)
        self.incoming_edges[child] += 1

    def find_edge(self, node: Int, action: Int) -> Int:
        """The edge of `action` out of `node`, or -1."""
        if self.first_edge[node] == NO_NODE:
            return -1
        for edge in range(self.edges_start(node), self.edges_end(node)):
            if Int(self.edge_action[edge]) == action:
                return edge
        return -1

    def keep_reachable(mut self, root: Int, mut spare: SearchGraph) -> Int:
        """Keeps only what is reachable from `root` (mark and sweep, by copying): returns
        `root`'s new index. Nodes are copied breadth-first into `spare` (whose capacity is
        reused) with their edges contiguous and their statistics unchanged; the key table
        is rebuilt; then the two graphs swap roles. A kept node's children are all kept,
        so every kept value is still its recomputation. Call between searches only."""
        spare.clear()
        var new_of_old = List[Int32](length=self.num_nodes(), fill=NO_NODE)
        var order = List[Int]()
        order.append(root)
        new_of_old[root] = 0
        var cursor = 0
        while cursor < len(order):
            var old = order[cursor]
            cursor += 1
            if self.first_edge[old] == NO_NODE:
                continue
            for edge in range(self.edges_start(old), self.edges_end(old)):
                var child = Int(self.edge_child[edge])
                if child != Int(NO_NODE) and new_of_old[child] == NO_NODE:
                    new_of_old[child] = Int32(len(order))
                    order.append(child)
        for old in order:
            var node = spare.add_node(self.key[old])
            spare.status[node] = self.status[old]
            spare.utility[node] = self.utility[old]
            spare.value[node] = self.value[old]
            spare.visits[node] = self.visits[old]
        for kept in range(len(order)):
            var old = order[kept]
            if self.first_edge[old] == NO_NODE:
                continue
            var start = spare.num_edges()
            spare.first_edge[kept] = Int32(start)
            spare.edge_count[kept] = self.edge_count[old]
            for edge in range(self.edges_start(old), self.edges_end(old)):
                var child = Int(self.edge_child[edge])
                spare.edge_action.append(self.edge_action[edge])
                spare.edge_prior.append(self.edge_prior[edge])
                spare.edge_visits.append(self.edge_visits[edge])
                spare.edge_in_flight.append(0)
                spare.edge_repetition_visits.append(self.edge_repetition_visits[edge])
                if child == Int(NO_NODE):
                    spare.edge_child.append(NO_NODE)
                else:
                    spare.edge_child.append(new_of_old[child])
                    spare.incoming_edges[Int(new_of_old[child])] += 1
        swap(self, spare)
        return 0
