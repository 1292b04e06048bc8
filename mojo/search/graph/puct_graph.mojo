"""PUCT over a graph: playouts with KataGo's catch-up rule, batched leaf evaluation.

Why PUCT was the graph's first selection rule: its choice at a node is a function of its
edges alone (prior, edge visits, edge Q, in-flight visits), so it carries over to a graph
unchanged, and its in-flight handling (virtual loss) lets several threads share one graph.
Gumbel's interior rule is such a function of the edges too (gumbel_interior.mojo, option
`interior`), with in-flight playouts in its visit term; Gumbel's root (sequential halving)
plans whole phases, and comes as anytime halving at the root (root_halving.mojo, option
`root_halving`).

Selection is exactly `PuctSearch.select_child` (puct.mojo) with the edge's statistics
in place of the child's: N(n,a) and in-flight counts from the edge, Q from the child
(or the repetition value), first-play urgency from Q(n). With every key distinct (option
`transpositions` off: each node's key is salted with its index) and one playout per
batch, the graph is a tree and the search returns exactly what `PuctSearch` returns.

A playout walks down from the root:
- at an edge that led to a repeated position (a key on its path or in the game's
  history) it stops: a repetition visit, valued `repetition_value` on that edge;
- at a new node it stops: a finished game is recorded, anything else requests an
  evaluation (a node already pending in the batch shares it);
- at an edge whose visits (plus those in flight) are below its child's visits it stops
  and only adds an edge visit (catching up: the child already holds those visits);
- otherwise it descends.
Backup walks the playout's path bottom-up: each edge gets its visit, each node is
recomputed (value_update.mojo). Nothing is accumulated, so the order does not matter.

Playouts live in a `PlayoutBatch` (playout_batch.mojo): the search's own for the
single-threaded loop (`collect`, answer, `apply_answers`, `backup`), one per thread for
`run_threads` (threads.mojo), which calls the same `playout`, `apply_answers` and
`backup` under the search's lock.

Capacity: at `max_nodes` nodes a playout that needs a new node is dropped (its in-flight
counts are taken back) and the search stops starting playouts (`full`).
"""

from std.math import pow, inf
from std.atomic import Atomic, Ordering
from std.time import perf_counter_ns

from mojo.game import Game, DRAW
from mojo.search.puct import PuctConfig, puct_exploration_weight
from mojo.search.random import SplitMix64, dirichlet_sample
from mojo.zobrist import splitmix64_finalize
from mojo.search.graph.graph import SearchGraph, UNEVALUATED, PENDING, EVALUATED, TERMINAL, NO_NODE
from mojo.search.graph.value_update import recompute_node, edge_value_sum_in, refresh_all_values
from mojo.search.graph.playout_batch import PlayoutBatch
from mojo.search.graph.root_halving import RootHalving
from mojo.search.graph.gumbel_interior import gumbel_interior_edge
from mojo.search.gumbel_formulas import (
    SigmaParameters,
    completed_q,
    sigma_of_completed_q,
    halving_scores,
    logits_from_priors,
    argmax,
)

# How a playout ended (what its backup does at the bottom of the path).
comptime END_NEW_LEAF: UInt8 = 0  # requested an evaluation of a new node
comptime END_SHARED_LEAF: UInt8 = 1  # reached a node pending in this batch
comptime END_TERMINAL: UInt8 = 2  # reached a finished game
comptime END_CATCH_UP: UInt8 = 3  # the edge was behind its child: one edge visit
comptime END_REPETITION: UInt8 = 4  # reached a position already on its path


@fieldwise_init
struct GraphConfig(Copyable, Movable):
    """Graph search options (pyzero/config.py GraphSection holds their defaults)."""

    var transpositions: Bool
    """Positions reached by different move orders share a node; off: every node's key
    is salted with its index (a tree, for tests and for measuring what sharing saves)."""
    var repetition_value: Float32
    """Value of a position repeated within a playout (or from the game's history), for
    the side to move there: 0 scores a repetition as a draw."""
    var threads: Int
    """Threads walking the graph at once (`run_threads`)."""
    var max_nodes: Int
    """The graph's capacity in nodes: at this size the search stops adding playouts."""
    var root_halving: Bool
    """At the root: anytime sequential halving (root_halving.mojo) instead of PUCT."""
    var interior_gumbel: Bool
    """Below the root: Gumbel's deterministic rule (gumbel_interior.mojo) instead of PUCT."""
    var max_considered_actions: Int
    """Root halving: m, the moves each pass of halving starts from."""
    var sigma: SigmaParameters
    """Root halving: sigma(completed Q) of the ranking (the Gumbel search's parameters)."""


def terminal_value_for_side_to_move[G: Game](state: G) -> Float32:
    """+1 / -1 / 0: the finished game's result from the view of the player to move."""
    var winner = state.winner()
    if winner == DRAW:
        return 0
    return 1 if winner == state.to_move() else -1


struct GraphSearch[G: Game](Movable):
    var graph: SearchGraph
    var spare_graph: SearchGraph  # the other buffer for mark-and-sweep at `advance`
    var puct: PuctConfig
    var config: GraphConfig
    var root_state: List[Self.G]  # exactly one: the root position
    var root: Int
    var salt: UInt64  # with transpositions off: the last salt given to a node's key
    var history: List[UInt64]  # the game's positions before the root, oldest first
    var rng: SplitMix64
    var num_simulations: Int
    var simulations_started: Int
    var full: Bool  # the graph reached max_nodes during this search
    var stopping: Bool  # a thread's evaluation failed: no new playouts (threads.mojo)
    var deadline_ns: Int  # a timed search ends at this perf_counter_ns(); 0: no deadline
    var stop_address: Int  # an Int64 word another thread sets to end the search; 0: none
    var root_priors: List[Float32]  # the root's priors with this search's noise
    var halving: RootHalving  # the root's schedule when config.root_halving
    var survey_fraction: Float64  # root halving: share of the budget (time or playouts) the survey may take
    var started_ns: Int  # perf_counter_ns() at set_limits
    var batches: List[PlayoutBatch[Self.G]]  # exactly one: the single-threaded loop's batch
    # Lifetime counters.
    var evaluations: Int
    var shared_leaves: Int
    var terminal_leaves: Int
    var catch_ups: Int
    var repetitions: Int
    var transposition_links: Int  # first traversals of an edge that found an existing node
    var dropped_playouts: Int  # playouts dropped because the graph was full
    var collisions: Int  # thread playouts taken back at a node another thread was evaluating

    def __init__(out self, var root: Self.G, puct: PuctConfig, config: GraphConfig):
        self.graph = SearchGraph()
        self.spare_graph = SearchGraph()
        self.puct = puct.copy()
        self.config = config.copy()
        self.root_state = List[Self.G]()
        self.root_state.append(root^)
        self.root = 0
        self.salt = 0
        self.history = List[UInt64]()
        self.rng = SplitMix64(0)
        self.num_simulations = 0
        self.simulations_started = 0
        self.full = False
        self.stopping = False
        self.deadline_ns = 0
        self.stop_address = 0
        self.root_priors = List[Float32]()
        self.halving = RootHalving(config.max_considered_actions)
        self.survey_fraction = 0
        self.started_ns = 0
        self.batches = List[PlayoutBatch[Self.G]]()
        self.batches.append(PlayoutBatch[Self.G](self.history))
        self.evaluations = 0
        self.shared_leaves = 0
        self.terminal_leaves = 0
        self.catch_ups = 0
        self.repetitions = 0
        self.transposition_links = 0
        self.dropped_playouts = 0
        self.collisions = 0
        self._reset_graph()

    # ------------------------------------------------------------------ the root
    def _node_key(mut self, position_hash: UInt64) -> UInt64:
        """The key a new node for a position is stored under: its hash, or, with
        transpositions off, its hash salted with a counter never reused (never matches)."""
        if self.config.transpositions:
            return position_hash
        self.salt += 1  # never reused, even after `advance` frees nodes
        return position_hash ^ splitmix64_finalize(self.salt)

    def _reset_graph(mut self):
        self.graph.clear()
        var key = self._node_key(self.root_state[0].hash())
        self.root = self.graph.add_node(key)

    def set_root(mut self, var root: Self.G, history: List[UInt64]):
        """Starts over from `root` (drops the graph); `history` holds the keys of the
        game's earlier positions, oldest first (for repetitions)."""
        self.root_state[0] = root^
        self.history = history.copy()
        self.batch()[].keys.history = history.copy()
        self._reset_graph()

    def advance(mut self, action: Int):
        """Plays `action` at the root: everything reachable from the new root keeps its
        statistics, the rest is freed (SearchGraph.keep_reachable), so a long game runs
        in bounded memory; the old root's key joins the history."""
        var edge = self.graph.find_edge(self.root, action)
        self.history.append(self.root_state[0].hash())
        self.batch()[].keys.history.append(self.root_state[0].hash())
        self.root_state[0].apply(action)
        var child = Int(self.graph.edge_child[edge]) if edge >= 0 else -1
        if child < 0 and self.config.transpositions:
            child = self.graph.find_node(self.root_state[0].hash())
        if child < 0:
            var key = self._node_key(self.root_state[0].hash())
            child = self.graph.add_node(key)
        self.root = self.graph.keep_reachable(child, self.spare_graph)

    def find_line(self, key: UInt64, max_plies: Int) -> Tuple[Bool, List[Int]]:
        """The actions along the graph's edges from the root to a node stored under `key`
        within `max_plies` (breadth-first: the shortest line), and whether there is one.
        A client that keeps the graph between moves finds the position it is asked about
        (the opponent's reply included) and `advance`s along the line."""
        var nodes = List[Int]()
        var parent_step = List[Int]()  # per BFS entry: the entry it came from (-1: root)
        var actions = List[Int]()
        var depth = List[Int]()
        nodes.append(self.root)
        parent_step.append(-1)
        actions.append(-1)
        depth.append(0)
        var cursor = 0
        var found = -1
        while cursor < len(nodes):
            var node = nodes[cursor]
            if self.graph.key[node] == key:
                found = cursor
                break
            if depth[cursor] < max_plies and self.graph.first_edge[node] != NO_NODE:
                for edge in range(self.graph.edges_start(node), self.graph.edges_end(node)):
                    var child = Int(self.graph.edge_child[edge])
                    if child != Int(NO_NODE):
                        nodes.append(child)
                        parent_step.append(cursor)
                        actions.append(Int(self.graph.edge_action[edge]))
                        depth.append(depth[cursor] + 1)
            cursor += 1
        var line = List[Int]()
        if found < 0:
            return (False, line^)
        var step = found
        while parent_step[step] >= 0:
            line.append(actions[step])
            step = parent_step[step]
        line.reverse()
        return (True, line^)

    def root_position(self) -> Pointer[Self.G, MutAnyOrigin]:
        return Pointer[Self.G, MutAnyOrigin](unsafe_from_address=Int(self.root_state.unsafe_ptr()))

    def root_is_searchable(self) -> Bool:
        return self.graph.status[self.root] == EVALUATED and self.graph.edge_count[self.root] > 0

    def batch(self) -> Pointer[PlayoutBatch[Self.G], MutAnyOrigin]:
        """The single-threaded loop's batch."""
        return Pointer[PlayoutBatch[Self.G], MutAnyOrigin](unsafe_from_address=Int(self.batches.unsafe_ptr()))

    # ------------------------------------------------------------------ the loop
    def start(mut self, num_simulations: Int, seed: UInt64):
        """Prepares a search of `num_simulations` playouts from the current root."""
        self.rng = SplitMix64(seed)
        self.num_simulations = num_simulations
        self.simulations_started = 0
        self.full = False
        self.stopping = False
        self.deadline_ns = 0
        self.stop_address = 0
        self.root_priors.clear()
        self.halving.reset()
        self.batch()[].clear()

    def set_limits(mut self, seconds: Float64, stop_address: Int, survey_fraction: Float64):
        """Makes the next search end once `seconds` have passed (0: no time limit) or once
        the Int64 word at `stop_address` is nonzero (0: no stop word), checked before each
        batch of playouts; the root's evaluation always runs. With root halving the survey
        ends once `survey_fraction` of the time (untimed: of the playouts) is spent. Call
        after `start`."""
        self.started_ns = Int(perf_counter_ns())
        self.deadline_ns = self.started_ns + Int(seconds * 1e9) if seconds > 0 else 0
        self.stop_address = stop_address
        self.survey_fraction = survey_fraction

    def out_of_time(self) -> Bool:
        """Whether the deadline has passed or the stop word is set."""
        if self.deadline_ns > 0 and Int(perf_counter_ns()) >= self.deadline_ns:
            return True
        if self.stop_address != 0:
            var word = Pointer[Int64, MutAnyOrigin](unsafe_from_address=self.stop_address)
            return Atomic[Int64].load[ordering=Ordering.ACQUIRE](word) != 0
        return False

    def num_requests(self) -> Int:
        return self.batch()[].num_requests()

    def request_state(self, index: Int) -> Pointer[Self.G, MutAnyOrigin]:
        """The position of request `index` of the single-threaded batch."""
        return self.batch()[].request_state(index)

    def collect(mut self) -> Bool:
        """Gathers up to `leaves_per_batch` playouts' leaves into `batch()`; False when the
        search is done (as `PuctSearch.collect`: the root's own evaluation comes first)."""
        var batch = self.batch()
        batch[].clear()
        if self.prepare_root(batch[]):
            return True
        if not self.root_is_searchable():
            return False
        while self.simulations_started < self.num_simulations and not self.full:
            if self.simulations_started > 0 and self.out_of_time():
                break
            var count = min(max(self.puct.leaves_per_batch, 1), self.num_simulations - self.simulations_started)
            for _ in range(count):
                _ = self.playout(batch[])
            self.simulations_started += count
            if batch[].num_requests() > 0:
                return True
            self.backup(batch[])
        self.finish()
        return False

    def finish(mut self):
        """Brings parents that the last playouts did not pass through up to date, so the
        finished search's values are all fresh (value_update.mojo)."""
        refresh_all_values(self.graph, Float64(self.config.repetition_value))

    def prepare_root(mut self, mut batch: PlayoutBatch[Self.G]) -> Bool:
        """Requests the root's evaluation if it has none (True: `batch` holds the request;
        a finished root is recorded at once); once it is evaluated, mixes the root noise
        into its priors (once per search)."""
        if self.graph.status[self.root] == UNEVALUATED:
            batch.playout_path_start.append(len(batch.path_nodes))
            self._reach_new_node(batch, self.root, self.root_state[0].copy())
            if batch.num_requests() > 0:
                return True
            self.backup(batch)
        if self.root_is_searchable() and len(self.root_priors) == 0:
            var start = self.graph.edges_start(self.root)
            var count = Int(self.graph.edge_count[self.root])
            var fraction = self.puct.dirichlet_fraction
            var noise = List[Float32](length=count, fill=0)
            if fraction > 0 and count > 1:
                noise = dirichlet_sample(self.rng, Float64(self.puct.dirichlet_alpha), count)
            for index in range(count):
                self.root_priors.append((1 - fraction) * self.graph.edge_prior[start + index] + fraction * noise[index])
        return False

    def _reach_new_node(mut self, mut batch: PlayoutBatch[Self.G], node: Int, var state: Self.G):
        """A playout stops at UNEVALUATED `node`: record a finished game, or expand the
        node and request its evaluation. Only one playout ever expands a node: this one
        moves it out of UNEVALUATED (under the search's lock when threads run)."""
        batch.playout_leaf.append(node)
        if state.is_terminal():
            self.graph.status[node] = TERMINAL
            self.graph.utility[node] = terminal_value_for_side_to_move(state)
            batch.playout_end.append(END_TERMINAL)
            self.terminal_leaves += 1
            return
        state.legal_actions(batch.action_buffer)
        self.graph.add_edges(node, batch.action_buffer)
        self.graph.status[node] = PENDING
        batch.request_nodes.append(node)
        batch.request_states.append(state^)
        batch.playout_end.append(END_NEW_LEAF)
        self.evaluations += 1

    def _take_back_playout(mut self, mut batch: PlayoutBatch[Self.G]):
        """Takes back the playout being walked: its in-flight counts and its path; it
        never happened."""
        var start = batch.playout_path_start.pop()
        while len(batch.path_nodes) > start:
            self.graph.edge_in_flight[batch.path_edges.pop()] -= 1
            _ = batch.path_nodes.pop()

    def abandon(mut self, mut batch: PlayoutBatch[Self.G]):
        """Takes a whole batch back when its evaluation failed: the in-flight counts of its
        playouts, and the expansion of each node it requested (the node is UNEVALUATED
        again and is expanded anew by the next playout to reach it; the edges it had stay
        unused in the edge buffers). No value is invented for what was not evaluated."""
        for step in range(len(batch.path_edges)):
            self.graph.edge_in_flight[batch.path_edges[step]] -= 1
        for index in range(batch.num_requests()):
            var node = batch.request_nodes[index]
            self.graph.status[node] = UNEVALUATED
            self.graph.first_edge[node] = NO_NODE
            self.graph.edge_count[node] = 0
            self.evaluations -= 1
        batch.clear()

    def playout(mut self, mut batch: PlayoutBatch[Self.G]) -> Bool:
        """One playout from the root down to where it stops (see the module docstring).
        False when it was taken back (the graph is full, or a collision in a thread's
        batch): it does not count as a simulation."""
        var state = self.root_state[0].copy()
        var node = self.root
        batch.keys.start_playout(state.hash())
        batch.playout_path_start.append(len(batch.path_nodes))
        while True:
            var edge: Int
            if node == self.root and self.config.root_halving:
                edge = self.select_root_edge()
            elif node != self.root and self.config.interior_gumbel:
                edge = gumbel_interior_edge(
                    Pointer[SearchGraph, MutAnyOrigin](unsafe_from_address=Int(Pointer(to=self.graph))),
                    node,
                    Float64(self.config.repetition_value),
                    self.config.sigma,
                    batch.selection_weights,
                )
            else:
                edge = self.select_edge(node)
            var in_flight_before = Int(self.graph.edge_in_flight[edge])
            self.graph.edge_in_flight[edge] += 1
            batch.path_nodes.append(node)
            batch.path_edges.append(edge)
            state.apply(Int(self.graph.edge_action[edge]))
            var key = state.hash()
            if batch.keys.seen(key):
                batch.playout_leaf.append(Int(NO_NODE))
                batch.playout_end.append(END_REPETITION)
                self.repetitions += 1
                return True
            var child = Int(self.graph.edge_child[edge])
            if child == Int(NO_NODE):
                child = self.graph.find_node(key) if self.config.transpositions else -1
                if child >= 0:
                    self.transposition_links += 1
                else:
                    if self.graph.num_nodes() >= self.config.max_nodes:
                        self._take_back_playout(batch)
                        self.full = True
                        self.dropped_playouts += 1
                        return False
                    var new_key = self._node_key(key)
                    child = self.graph.add_node(new_key)
                self.graph.link(edge, child)
            var status = self.graph.status[child]
            if status == UNEVALUATED:
                self._reach_new_node(batch, child, state^)
                return True
            var through_child = Int(self.graph.edge_visits[edge]) - Int(self.graph.edge_repetition_visits[edge])
            if through_child + in_flight_before < Int(self.graph.visits[child]):
                batch.playout_leaf.append(child)
                batch.playout_end.append(END_CATCH_UP)
                self.catch_ups += 1
                return True
            if status == PENDING:
                if batch.take_back_collisions and not batch.requested(child):
                    self._take_back_playout(batch)
                    self.collisions += 1
                    return False
                batch.playout_leaf.append(child)
                batch.playout_end.append(END_SHARED_LEAF)
                self.shared_leaves += 1
                return True
            if status == TERMINAL:
                batch.playout_leaf.append(child)
                batch.playout_end.append(END_TERMINAL)
                self.terminal_leaves += 1
                return True
            batch.keys.enter(key)
            node = child

    def edge_value_from_parent(self, edge: Int, virtual_losses: Int) -> Float32:
        """The mean value of `edge` for its parent's side to move, each of
        `virtual_losses` in-flight playouts counted as a loss of `virtual_loss`."""
        var visits = Int(self.graph.edge_visits[edge])
        var total = edge_value_sum_in(self.graph, edge, Float64(self.config.repetition_value))
        return Float32(
            (total - Float64(self.puct.virtual_loss) * Float64(virtual_losses)) / Float64(visits + virtual_losses)
        )

    def select_edge(self, node: Int) -> Int:
        """argmax Q(a) + U(a) over the edges of `node` (PuctSearch.select_child on edges)."""
        ref graph = self.graph
        var start = graph.edges_start(node)
        var end = graph.edges_end(node)
        var parent_visits = 0
        for edge in range(start, end):
            parent_visits += Int(graph.edge_visits[edge]) + Int(graph.edge_in_flight[edge])
        var weight = puct_exploration_weight(self.puct, parent_visits)
        var first_play_value = Float32(graph.value[node]) - self.puct.fpu_reduction
        var best = start
        var best_score = -inf[DType.float32]()
        for edge in range(start, end):
            var visits = Int(graph.edge_visits[edge])
            var pending = Int(graph.edge_in_flight[edge])
            var q = first_play_value
            if visits + pending > 0:
                q = self.edge_value_from_parent(edge, pending)
            var prior = self.root_priors[edge - start] if node == self.root else graph.edge_prior[edge]
            var score = q + weight * prior / Float32(1 + visits + pending)
            if score > best_score:
                best_score = score
                best = edge
        return best

    # ------------------------------------------------------------------ root halving
    def root_counts(self) -> List[Int]:
        """Playouts through each root edge, in-flight ones included (edge order)."""
        var start = self.graph.edges_start(self.root)
        var counts = List[Int](capacity=Int(self.graph.edge_count[self.root]))
        for edge in range(start, self.graph.edges_end(self.root)):
            counts.append(Int(self.graph.edge_visits[edge]) + Int(self.graph.edge_in_flight[edge]))
        return counts^

    def root_halving_scores(self) -> List[Float32]:
        """`halving_scores` of the root's moves (no noise): log prior + sigma(completed Q),
        Q from the completed playouts of each edge, seen from the root."""
        var start = self.graph.edges_start(self.root)
        var count = Int(self.graph.edge_count[self.root])
        var priors = List[Float32](capacity=count)
        var q = List[Float32](capacity=count)
        var visits = List[Int](capacity=count)
        for index in range(count):
            var edge = start + index
            var edge_visits = Int(self.graph.edge_visits[edge])
            priors.append(self.root_priors[index] if index < len(self.root_priors) else self.graph.edge_prior[edge])
            q.append(self.edge_value_from_parent(edge, 0) if edge_visits > 0 else 0)
            visits.append(edge_visits)
        var completed = completed_q(self.graph.utility[self.root], priors, q, visits)
        var sigma = sigma_of_completed_q(completed, visits, self.config.sigma)
        var no_noise = List[Float32](length=count, fill=0)
        return halving_scores(no_noise, logits_from_priors(priors), sigma)

    def _survey_time_is_up(self) -> Bool:
        if self.deadline_ns > 0:
            var budget_ns = Float64(self.deadline_ns - self.started_ns)
            return Float64(Int(perf_counter_ns()) - self.started_ns) >= self.survey_fraction * budget_ns
        return Float64(self.simulations_started) >= self.survey_fraction * Float64(self.num_simulations)

    def select_root_edge(mut self) -> Int:
        """The root edge of the next playout under anytime sequential halving: the survey's
        next move while it lasts, then the phase's survivor furthest below its target."""
        var start = self.graph.edges_start(self.root)
        if not self.halving.active:
            # The search's first playout: nothing is in flight yet, so these are the
            # playouts the kept graph already had.
            self.halving.begin(self.root_priors, self.root_counts())
        if self.halving.survey_open and self._survey_time_is_up() and self.halving.survey_next > 0:
            self.halving.close_survey()
        var surveyed = self.halving.next_survey_move()
        if surveyed >= 0:
            return start + surveyed
        var counts = self.root_counts()
        var move = self.halving.next_survivor(counts)
        if move < 0:
            self.halving.plan_phase(self.root_halving_scores(), counts)
            move = self.halving.next_survivor(counts)
        return start + move

    def halving_choice(self) -> Int:
        """Root halving's move (edge offset): the best ranked among the moves this search
        visited most (mctx's final choice among the last survivors); -1 if none. Ranking
        every visited move instead (gumbel.mojo's anytime choice) lets a move with one
        survey playout and a lucky value win: on TicTacToe a trained network then lost
        lines to minimax that it held with this rule."""
        var scores = self.root_halving_scores()
        var searched = self.halving.searched(self.root_counts())
        var most = 0
        for index in range(len(searched)):
            most = max(most, searched[index])
        var best = -1
        for index in range(len(scores)):
            if most > 0 and searched[index] == most and (best < 0 or scores[index] > scores[best]):
                best = index
        return best

    # ------------------------------------------------------------------ evaluations
    def apply_answers(mut self, mut batch: PlayoutBatch[Self.G]):
        """Copies the batch's answers into the graph: each node's priors (in edge order,
        which is its legal actions' order) and U; the nodes become EVALUATED."""
        for index in range(batch.num_requests()):
            var node = batch.request_nodes[index]
            var start = self.graph.edges_start(node)
            var count = Int(self.graph.edge_count[node])
            var priors = Pointer(to=batch.answer_priors[index])
            for offset in range(min(count, len(priors[]))):
                self.graph.edge_prior[start + offset] = priors[][offset]
            self.graph.utility[node] = batch.answer_values[index]
            self.graph.status[node] = EVALUATED

    def backup(mut self, mut batch: PlayoutBatch[Self.G]):
        """Completes every playout of the batch (its answers must be applied) and clears it.

        A playout that stopped at a node another thread is still evaluating (shared leaf,
        status still PENDING) leaves that node alone: its evaluating thread gives it N = 1
        when its answer is in."""
        var repetition_value = Float64(self.config.repetition_value)
        for playout in range(batch.num_playouts()):
            var leaf = batch.playout_leaf[playout]
            var end = batch.playout_end[playout]
            if end == END_TERMINAL:
                self.graph.visits[leaf] += 1
                self.graph.value[leaf] = Float64(self.graph.utility[leaf])
            elif end == END_NEW_LEAF or end == END_SHARED_LEAF:
                if self.graph.visits[leaf] == 0 and self.graph.status[leaf] == EVALUATED:
                    recompute_node(self.graph, leaf, repetition_value)  # its first visit: N = 1, Q = U
            var path_start = batch.playout_path_start[playout]
            var step = batch.path_end(playout) - 1
            var last = step
            while step >= path_start:
                var edge = batch.path_edges[step]
                self.graph.edge_visits[edge] += 1
                self.graph.edge_in_flight[edge] -= 1
                if end == END_REPETITION and step == last:
                    self.graph.edge_repetition_visits[edge] += 1
                recompute_node(self.graph, batch.path_nodes[step], repetition_value)
                step -= 1
        batch.clear()

    # ------------------------------------------------------------------ results
    def visit_policy(self, temperature: Float32) -> List[Float32]:
        """N(root,a)^(1/T) normalised over the root's edges; T = 0: the most visited."""
        ref graph = self.graph
        var start = graph.edges_start(self.root)
        var count = Int(graph.edge_count[self.root])
        var policy = List[Float32](length=count, fill=0)
        if temperature <= 0:
            var best = 0
            for index in range(1, count):
                var visits = graph.edge_visits[start + index]
                var best_visits = graph.edge_visits[start + best]
                if visits > best_visits or (
                    visits == best_visits and graph.edge_prior[start + index] > graph.edge_prior[start + best]
                ):
                    best = index
            policy[best] = 1
            return policy^
        var total: Float64 = 0
        for index in range(count):
            var weight = pow(Float64(graph.edge_visits[start + index]), 1.0 / Float64(temperature))
            policy[index] = Float32(weight)
            total += weight
        for index in range(count):
            policy[index] = Float32(Float64(policy[index]) / total)
        return policy^

    def chosen_edge_index(mut self) -> Int:
        """Samples the move to play from the visit policy at the configured temperature;
        with root halving, halving's choice (deterministic)."""
        if self.config.root_halving and self.halving.active:
            var choice = self.halving_choice()
            if choice >= 0:
                return choice
        var policy = self.visit_policy(self.puct.temperature)
        var draw = Float32(self.rng.next_unit_open())
        var cumulative: Float32 = 0
        for index in range(len(policy)):
            cumulative += policy[index]
            if draw < cumulative:
                return index
        var last = len(policy) - 1
        while last > 0 and policy[last] == 0:  # rounding left the draw past the end
            last -= 1
        return last

    def chosen_action(mut self) -> Int:
        return Int(self.graph.edge_action[self.graph.edges_start(self.root) + self.chosen_edge_index()])

    def principal_variation(self, max_plies: Int) -> List[Int]:
        """The most visited edge's action from the root down, while edges have visits
        (with root halving, the line starts with halving's choice)."""
        var actions = List[Int]()
        var node = self.root
        while len(actions) < max_plies and self.graph.status[node] == EVALUATED:
            var best = self._most_visited_edge(node)
            if node == self.root and self.config.root_halving and self.halving.active:
                var choice = self.halving_choice()
                if choice >= 0:
                    best = self.graph.edges_start(node) + choice
            if best < 0 or self.graph.edge_child[best] == NO_NODE:
                break
            actions.append(Int(self.graph.edge_action[best]))
            node = Int(self.graph.edge_child[best])
        return actions^

    def _most_visited_edge(self, node: Int) -> Int:
        """The edge of `node` with the most visits (the first on a tie), -1 if none has any."""
        var best = -1
        for edge in range(self.graph.edges_start(node), self.graph.edges_end(node)):
            if self.graph.edge_visits[edge] > 0 and (best < 0 or self.graph.edge_visits[edge] > self.graph.edge_visits[best]):
                best = edge
        return best
