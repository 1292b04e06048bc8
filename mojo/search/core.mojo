"""What every tree search shares: the tree, the root position, and the leaf batch.

A simulation that stops at a node that is not yet evaluated calls `reach_leaf`: a new
node becomes PENDING and its position joins the batch of requests; a node already
pending in this batch just records one more simulation (the two share one evaluation);
a finished game records its result. The driver then `receive`s each request's
evaluation and calls `backup`, which walks every simulation of the batch up to the root.
In-flight simulations are counted in `pending_visits` on their path; each search decides
how its selection rule uses them (Gumbel: as visits; PUCT: as virtual losses).
"""

from std.sys import size_of

from mojo.game import Game, DRAW
from mojo.search.tree import SearchTree, UNEVALUATED, PENDING, EVALUATED, TERMINAL, NO_NODE
from mojo.search.gumbel_formulas import softmax_in_place
from mojo.cache.evaluation_cache import EvaluationCache


def terminal_value_for_side_to_move[G: Game](state: G) -> Float32:
    """+1 / -1 / 0: the finished game's result from the view of the player to move."""
    var winner = state.winner()
    if winner == DRAW:
        return 0
    return 1 if winner == state.to_move() else -1


struct SearchCore[G: Game](Movable):
    var tree: SearchTree
    var spare_tree: SearchTree  # the other buffer for subtree compaction
    var root_states: List[Self.G]  # exactly one: the root position
    var request_nodes: List[Int]
    var request_states: List[Self.G]
    var simulation_leaves: List[Int]  # the leaf of every simulation of the current batch
    var action_buffer: List[Int]
    var evaluations: Int  # evaluations requested over this search's lifetime
    var duplicate_leaves: Int  # simulations that shared another's pending evaluation
    var terminal_leaves: Int  # simulations that ended in a finished game (no evaluation)

    def __init__(out self, var root: Self.G):
        self.tree = SearchTree()
        self.spare_tree = SearchTree()
        self.root_states = List[Self.G]()
        self.root_states.append(root^)
        self.request_nodes = List[Int]()
        self.request_states = List[Self.G]()
        self.simulation_leaves = List[Int]()
        self.action_buffer = List[Int]()
        self.evaluations = 0
        self.duplicate_leaves = 0
        self.terminal_leaves = 0
        self.tree.reset_to_root()

    # ------------------------------------------------------------------ the root
    def set_root(mut self, var root: Self.G):
        """Starts over from an unrelated position (drops the tree)."""
        self.root_states[0] = root^
        self.tree.reset_to_root()

    def advance(mut self, action: Int):
        """Plays `action` at the root, keeping its subtree's statistics."""
        var child = self.tree.find_child(0, action)
        self.root_states[0].apply(action)
        if child == Int(NO_NODE) or self.tree.status[child] == UNEVALUATED:
            self.tree.reset_to_root()
        else:
            self.tree.keep_subtree(child, self.spare_tree)

    def root_state(self) -> Pointer[Self.G, MutAnyOrigin]:
        """The root position (owned by the search; valid until the search changes)."""
        return Pointer[Self.G, MutAnyOrigin](unsafe_from_address=Int(self.root_states.unsafe_ptr()))

    # ------------------------------------------------------------------ the batch
    def clear_batch(mut self):
        self.request_nodes.clear()
        self.request_states.clear()
        self.simulation_leaves.clear()

    def num_requests(self) -> Int:
        return len(self.request_nodes)

    def request_state(self, index: Int) -> Pointer[Self.G, MutAnyOrigin]:
        """The position of request `index` (valid until the batch is cleared)."""
        return Pointer[Self.G, MutAnyOrigin](
            unsafe_from_address=Int(self.request_states.unsafe_ptr()) + index * size_of[Self.G]()
        )

    def evaluate_root_if_needed(mut self) -> Bool:
        """Requests the root's evaluation if it has none; True if a request was made.

        A finished root is recorded and backed up at once (it has nothing to search).
        """
        if self.tree.status[0] != UNEVALUATED:
            return False
        var state = self.root_states[0].copy()
        self.reach_leaf(0, state^)
        if self.tree.status[0] == PENDING:
            return True
        self.backup()
        return False

    def root_is_searchable(self) -> Bool:
        return self.tree.status[0] == EVALUATED and self.tree.child_count[0] > 0

    def reach_leaf(mut self, node: Int, var state: Self.G):
        """A simulation ends at `node` (not EVALUATED): record it, request it if new."""
        self.tree.pending_visits[node] += 1
        self.simulation_leaves.append(node)
        var status = self.tree.status[node]
        if status == UNEVALUATED:
            if state.is_terminal():
                self.tree.status[node] = TERMINAL
                self.tree.network_value[node] = terminal_value_for_side_to_move(state)
                self.terminal_leaves += 1
                return
            state.legal_actions(self.action_buffer)
            self.tree.add_children(node, self.action_buffer)
            self.tree.status[node] = PENDING
            self.request_nodes.append(node)
            self.request_states.append(state^)
            self.evaluations += 1
        elif status == PENDING:
            self.duplicate_leaves += 1
        else:
            self.terminal_leaves += 1

    def receive(mut self, index: Int, logits: Pointer[Float32, MutAnyOrigin], value: Float32):
        """Stores the evaluation of request `index`: `logits` over the whole action space
        (read at the node's legal actions only) and `value` for the side to move there."""
        var node = self.request_nodes[index]
        var start = self.tree.children_start(node)
        var end = self.tree.children_end(node)
        for child in range(start, end):
            self.tree.prior[child] = logits[unsafe_offset = Int(self.tree.action[child])]
        softmax_in_place(self.tree.prior, start, end)  # no list per evaluation: the worker's hot path
        self.tree.network_value[node] = value
        self.tree.status[node] = EVALUATED

    def receive_priors(mut self, index: Int, priors: Pointer[Float32, MutAnyOrigin], value: Float32):
        """`receive` with priors already normalised over the node's legal actions, in child
        order (an evaluation cache hit)."""
        var node = self.request_nodes[index]
        var start = self.tree.children_start(node)
        for child in range(start, self.tree.children_end(node)):
            self.tree.prior[child] = priors[unsafe_offset = child - start]
        self.tree.network_value[node] = value
        self.tree.status[node] = EVALUATED

    def answer_from_cache(
        mut self, cache: Pointer[EvaluationCache, MutAnyOrigin], index: Int, mut scratch: List[Float32]
    ) -> Bool:
        """Answers request `index` from the cache if it holds the position; True on a hit.
        `scratch` must hold at least the cache's max_policy_length floats."""
        var count = Int(self.tree.child_count[self.request_nodes[index]])
        var priors = Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(scratch.unsafe_ptr()))
        var hit = cache[].lookup(self.request_state(index)[].hash(), priors, count)
        if hit.found:
            self.receive_priors(index, priors, hit.value)
        return hit.found

    def store_in_cache(
        self, cache: Pointer[EvaluationCache, MutAnyOrigin], index: Int, mut scratch: List[Float32], version: UInt64
    ):
        """Stores the (received) evaluation of request `index` in the cache, unless its
        policy is longer than the cache stores or `version` (the cache's weights version
        read before the network evaluated it) is no longer current. `scratch` as for
        `answer_from_cache`."""
        var node = self.request_nodes[index]
        var start = self.tree.children_start(node)
        var count = Int(self.tree.child_count[node])
        if count > cache[].max_policy_length():
            return
        for child in range(start, start + count):
            scratch[child - start] = self.tree.prior[child]
        _ = cache[].insert(
            self.request_state(index)[].hash(),
            Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(scratch.unsafe_ptr())),
            count,
            self.tree.network_value[node],
            version,
        )

    def request_node(self, index: Int) -> Int:
        return self.request_nodes[index]

    def receive_uniform(mut self, index: Int, value: Float32):
        """`receive` with equal logits for every legal action."""
        var node = self.request_nodes[index]
        var count = Int(self.tree.child_count[node])
        for child in range(self.tree.children_start(node), self.tree.children_end(node)):
            self.tree.prior[child] = 1.0 / Float32(count)
        self.tree.network_value[node] = value
        self.tree.status[node] = EVALUATED

    def backup(mut self):
        """Backs up every simulation of the batch (its evaluations must all be in)."""
        for leaf in self.simulation_leaves:
            var value = self.tree.network_value[leaf]
            var node = leaf
            while node != Int(NO_NODE):
                self.tree.value_sum[node] += value
                self.tree.visit_count[node] += 1
                self.tree.pending_visits[node] -= 1
                value = -value
                node = Int(self.tree.parent[node])
        self.simulation_leaves.clear()
