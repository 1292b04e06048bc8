"""One batch of playouts: their paths, the leaves they request, and the answers.

Each thread of a search owns one `PlayoutBatch` (the single-threaded search owns one
too). Playouts append their (node, edge) path and how they ended; a playout that reaches
a new position appends a request. An evaluator answers every request into the batch's
own buffers (`answer_values`, and `answer_priors`: priors over the position's legal
actions in `legal_actions` order, which is the order of the node's edges), touching
nothing shared, so it runs outside the search's lock; the search then copies the answers
into the graph and backs the playouts up.
"""

from std.sys import size_of

from mojo.game import Game
from mojo.search.graph.repetition import PlayoutKeys
from mojo.search.gumbel_formulas import softmax


struct PlayoutBatch[G: Game](Movable):
    var request_nodes: List[Int]
    var request_states: List[Self.G]
    var path_nodes: List[Int]  # per playout, its (node, edge) pairs from the root down
    var path_edges: List[Int]
    var playout_path_start: List[Int]
    var playout_end: List[UInt8]
    var playout_leaf: List[Int]  # the node the playout stopped at (NO_NODE: repetition)
    var keys: PlayoutKeys  # the game's history and the current playout's path
    var action_buffer: List[Int]
    var logit_buffer: List[Float32]
    var selection_weights: List[Float32]  # scratch of Gumbel's interior rule
    var answer_values: List[Float32]  # per request, for the side to move there
    var answer_priors: List[List[Float32]]  # per request, over its legal actions
    var take_back_collisions: Bool
    """A thread's batch: a playout that reaches a node another thread is evaluating is
    taken back instead of completed (it would add a visit that knows nothing yet)."""

    def __init__(out self, history: List[UInt64], take_back_collisions: Bool = False):
        self.request_nodes = List[Int]()
        self.request_states = List[Self.G]()
        self.path_nodes = List[Int]()
        self.path_edges = List[Int]()
        self.playout_path_start = List[Int]()
        self.playout_end = List[UInt8]()
        self.playout_leaf = List[Int]()
        self.keys = PlayoutKeys()
        self.keys.history = history.copy()
        self.action_buffer = List[Int]()
        self.logit_buffer = List[Float32]()
        self.selection_weights = List[Float32]()
        self.answer_values = List[Float32]()
        self.answer_priors = List[List[Float32]]()
        self.take_back_collisions = take_back_collisions

    def clear(mut self):
        self.request_nodes.clear()
        self.request_states.clear()
        self.path_nodes.clear()
        self.path_edges.clear()
        self.playout_path_start.clear()
        self.playout_end.clear()
        self.playout_leaf.clear()
        self.answer_values.clear()
        self.answer_priors.clear()

    def num_requests(self) -> Int:
        return len(self.request_nodes)

    def requested(self, node: Int) -> Bool:
        """Whether this batch requested the evaluation of `node`."""
        for index in range(len(self.request_nodes)):
            if self.request_nodes[index] == node:
                return True
        return False

    def num_playouts(self) -> Int:
        return len(self.playout_end)

    def request_state(self, index: Int) -> Pointer[Self.G, MutAnyOrigin]:
        """The position of request `index` (valid until the batch is cleared)."""
        return Pointer[Self.G, MutAnyOrigin](
            unsafe_from_address=Int(self.request_states.unsafe_ptr()) + index * size_of[Self.G]()
        )

    def path_end(self, playout: Int) -> Int:
        """One past the last path step of `playout`."""
        if playout + 1 < len(self.playout_end):
            return self.playout_path_start[playout + 1]
        return len(self.path_nodes)

    def prepare_answers(mut self):
        """Makes room for one answer per request (to be filled in any order)."""
        self.answer_values = List[Float32](length=self.num_requests(), fill=0)
        self.answer_priors = List[List[Float32]](length=self.num_requests(), fill=List[Float32]())

    def answer_uniform(mut self, index: Int, value: Float32):
        """Answers request `index`: equal priors over its legal actions, `value`."""
        var count = self.request_state(index)[].count_legal_actions()
        self.answer_priors[index] = List[Float32](length=count, fill=1.0 / Float32(count))
        self.answer_values[index] = value

    def answer_logits(mut self, index: Int, logits: Pointer[Float32, MutAnyOrigin], value: Float32):
        """Answers request `index`: the softmax of `logits` (over the whole action space)
        at its legal actions, `value`."""
        self.request_state(index)[].legal_actions(self.action_buffer)
        self.logit_buffer.clear()
        for action in self.action_buffer:
            self.logit_buffer.append(logits[unsafe_offset=action])
        self.answer_priors[index] = softmax(self.logit_buffer)
        self.answer_values[index] = value


trait GraphLeafEvaluator(Movable, Deinitable):
    """Answers a batch's requests into the batch (never touching the graph)."""

    def answer[G: Game](mut self, mut batch: PlayoutBatch[G]) raises:
        """Calls `batch.prepare_answers()`, then answers each of `batch.num_requests()`
        requests (`answer_uniform`, `answer_logits`, or priors and value set directly)."""
        ...
