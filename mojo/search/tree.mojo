"""The search tree as struct-of-arrays in flat, growable buffers.

Node 0 is the root. The children of a node are contiguous: `first_child[n] ..
first_child[n] + child_count[n]`. Values are stored from the point of view of the player
to move at the node itself, so a parent reads its child's Q as `-mean value(child)`
(two-player zero-sum: mctx's discount of -1).

A node is UNEVALUATED until a simulation reaches it; then either TERMINAL (its value is
the game result), or PENDING (children allocated from the legal actions, evaluation
requested) and finally EVALUATED (priors and network value filled in). The tree stores
no game states: a simulation replays actions from the root state, which costs far less
than an evaluation and keeps the tree small.
"""

comptime UNEVALUATED: UInt8 = 0
comptime PENDING: UInt8 = 1
comptime EVALUATED: UInt8 = 2
comptime TERMINAL: UInt8 = 3
comptime NO_NODE: Int32 = -1


struct SearchTree(Movable):
    var parent: List[Int32]
    var first_child: List[Int32]
    var child_count: List[Int32]
    var action: List[Int32]
    var prior: List[Float32]
    var visit_count: List[Int32]  # completed backups through the node
    var pending_visits: List[Int32]  # simulations in flight through the node (no virtual loss)
    var value_sum: List[Float32]  # sum of backed-up values, node's side-to-move view
    var network_value: List[Float32]  # v_hat (or the terminal value), node's side-to-move view
    var status: List[UInt8]
    var copy_order: List[Int]  # keep_subtree's scratch: old node index of each copied node

    def __init__(out self, capacity: Int = 1024):
        self.parent = List[Int32](capacity=capacity)
        self.first_child = List[Int32](capacity=capacity)
        self.child_count = List[Int32](capacity=capacity)
        self.action = List[Int32](capacity=capacity)
        self.prior = List[Float32](capacity=capacity)
        self.visit_count = List[Int32](capacity=capacity)
        self.pending_visits = List[Int32](capacity=capacity)
        self.value_sum = List[Float32](capacity=capacity)
        self.network_value = List[Float32](capacity=capacity)
        self.status = List[UInt8](capacity=capacity)
        self.copy_order = List[Int]()

    def size(self) -> Int:
        return len(self.parent)

    def clear(mut self):
        """Drops every node, keeping the buffers' capacity."""
        self.parent.clear()
        self.first_child.clear()
        self.child_count.clear()
        self.action.clear()
        self.prior.clear()
        self.visit_count.clear()
        self.pending_visits.clear()
        self.value_sum.clear()
        self.network_value.clear()
        self.status.clear()

    def add_node(mut self, parent: Int, action: Int) -> Int:
        self.parent.append(Int32(parent))
        self.first_child.append(NO_NODE)
        self.child_count.append(0)
        self.action.append(Int32(action))
        self.prior.append(0)
        self.visit_count.append(0)
        self.pending_visits.append(0)
        self.value_sum.append(0)
        self.network_value.append(0)
        self.status.append(UNEVALUATED)
        return len(self.parent) - 1

    def reset_to_root(mut self):
        self.clear()
        _ = self.add_node(Int(NO_NODE), -1)

    def add_children(mut self, node: Int, actions: List[Int]):
        """Allocates one child per action, contiguously, in the given order."""
        var start = self._grow_by_children(node, len(actions))
        self.first_child[node] = Int32(start)
        self.child_count[node] = Int32(len(actions))
        for index in range(len(actions)):
            self.action[start + index] = Int32(actions[index])

    @always_inline
    def children_start(self, node: Int) -> Int:
        return Int(self.first_child[node])

    @always_inline
    def children_end(self, node: Int) -> Int:
        return Int(self.first_child[node]) + Int(self.child_count[node])

    @always_inline
    def q_from_parent(self, child: Int) -> Float32:
        """Q of the action leading to `child`, from the parent's point of view."""
        return -self.value_sum[child] / Float32(self.visit_count[child])

    def mean_value(self, node: Int) -> Float32:
        if self.visit_count[node] == 0:
            return self.network_value[node]
        return self.value_sum[node] / Float32(self.visit_count[node])

    def find_child(self, node: Int, action: Int) -> Int:
        if self.first_child[node] == NO_NODE:
            return Int(NO_NODE)
        for child in range(self.children_start(node), self.children_end(node)):
            if Int(self.action[child]) == action:
                return child
        return Int(NO_NODE)

    def _grow_by_children(mut self, parent: Int, count: Int) -> Int:
        """Appends `count` UNEVALUATED nodes under `parent` (actions 0, no children);
        returns the first one's index. One resize per array."""
        var start = self.size()
        var end = start + count
        self.parent.resize(end, Int32(parent))
        self.first_child.resize(end, NO_NODE)
        self.child_count.resize(end, 0)
        self.prior.resize(end, 0)
        self.visit_count.resize(end, 0)
        self.pending_visits.resize(end, 0)
        self.value_sum.resize(end, 0)
        self.network_value.resize(end, 0)
        self.status.resize(end, UNEVALUATED)
        self.action.resize(end, 0)
        return start

    def keep_subtree(mut self, new_root: Int, mut spare: SearchTree):
        """Makes `new_root` the root, keeping its whole subtree and dropping the rest.

        Nodes are copied breadth-first into `spare` (whose capacity is reused), which keeps
        every node's children contiguous; then the two buffers swap roles. Each node's
        children are allocated as one block, filled in when the copy reaches them.
        """
        spare.clear()
        ref old_of_new = self.copy_order  # scratch kept between calls (it swaps with the rest)
        old_of_new.clear()
        old_of_new.append(new_root)
        _ = spare.add_node(Int(NO_NODE), -1)
        var cursor = 0
        while cursor < len(old_of_new):
            var old = old_of_new[cursor]
            var has_children = self.first_child[old] != NO_NODE
            spare.first_child[cursor] = NO_NODE
            spare.child_count[cursor] = self.child_count[old] if has_children else 0
            spare.action[cursor] = self.action[old] if cursor > 0 else -1
            spare.prior[cursor] = self.prior[old]
            spare.visit_count[cursor] = self.visit_count[old]
            spare.pending_visits[cursor] = 0
            spare.value_sum[cursor] = self.value_sum[old]
            spare.network_value[cursor] = self.network_value[old]
            spare.status[cursor] = self.status[old]
            if has_children:
                var count = Int(self.child_count[old])
                # Grow first, then write: the growth may move spare's arrays, and an
                # element reference taken before it would write into the old buffer.
                var first_new_child = spare._grow_by_children(cursor, count)
                spare.first_child[cursor] = Int32(first_new_child)
                var first_old_child = Int(self.first_child[old])
                for child in range(first_old_child, first_old_child + count):
                    old_of_new.append(child)
            cursor += 1
        swap(self, spare)
