"""Gumbel MCTS with sequential halving at the root (Danihelka et al. 2022, as in mctx),
batching every leaf of a sequential-halving phase without virtual loss.

The search is a resumable state machine that knows no network and no evaluator:

    search.start(state, num_simulations, seed)
    while search.collect():            # plans a phase, descends, gathers unique leaves
        for i in range(search.core.num_requests()):
            search.core.receive(i, logits_of(search.core.request_state(i)[]), value_of(...))
        search.core.backup()           # backs up every simulation of the batch
    search.chosen_action(), search.improved_policy(), ...

Within a phase the root visits are known in advance (each survivor gets the same number
of visits), so all of a phase's simulations descend before any evaluation returns. They
spread over the tree because the interior rule pi' - N/(1+sum N) counts in-flight visits
in N; two simulations ending on the same unevaluated leaf share one evaluation and both
back it up. Values change only at backup, so nothing needs a virtual loss.

Anytime mode (`start_anytime`, for time-limited play; Sagers, Winands and Soemers,
"Anytime Sequential Halving in Monte-Carlo Tree Search", arXiv 2411.07171): the search
has no fixed budget. It first surveys the root, one simulation per legal move in prior
order, until the driver calls `finish_survey` (its share of the time is up) or every move
has been visited. Then it repeats passes of sequential halving over the best m moves:
phase k of a pass gives each of the best ceil(m / 2^k) moves 2^k more simulations (every
phase costs about m simulations, as in sequential halving), and once two moves have been
compared the next pass starts again from m. Stopped at any moment, the visits look like a
sequential-halving search's; the driver stops it when its time is up.

Tree reuse: `advance(action)` keeps the subtree of the played move. The root's
sequential halving then counts this search's visits separately (`phase_visits`), which is
exactly mctx when nothing was reused, while Q and sigma use all the visits the tree has.
"""

from std.math import inf

from mojo.game import Game
from mojo.search.tree import EVALUATED, SearchTree
from mojo.search.core import SearchCore
from mojo.search.random import SplitMix64
from mojo.search.gumbel_formulas import (
    SigmaParameters,
    considered_visit_sequence,
    completed_q,
    sigma_of_completed_q,
    improved_policy,
    root_scores,
    halving_scores,
    interior_scores,
    interior_choice,
    InteriorChildren,
    argmax,
    logits_from_priors,
)


comptime ANYTIME_TERMINAL_BATCHES = 16


@fieldwise_init
struct GumbelConfig(Copyable, Movable):
    """Gumbel search parameters. Their defaults live in one place, the config schema
    (pyzero/config.py GumbelSection: mctx's m = 16, c_visit = 50, c_scale = 0.1, rescale)."""

    var max_considered_actions: Int
    var gumbel_scale: Float32
    var sigma: SigmaParameters
    var rounds_per_batch: Int
    """Sequential-halving rounds (one visit to each survivor) whose leaves are emitted as
    one batch; 0 = the whole phase at once. With big budgets a whole phase sends dozens of
    simulations into each survivor's subtree before any evaluation returns, and they pile
    up on the same pending leaves; one round per batch lets the tree grow between rounds,
    while concurrent games keep the network's batches full."""


struct ChildStatistics(Movable):
    """Scratch arrays for one node's children (reused: no allocation per selection)."""

    var priors: List[Float32]
    var q: List[Float32]
    var visits: List[Int]

    def __init__(out self):
        self.priors = List[Float32]()
        self.q = List[Float32]()
        self.visits = List[Int]()


struct TreeChildren(InteriorChildren):
    """A tree node's children as `interior_choice` reads them."""

    var tree_address: Int  # a Pointer field may not hold AnyOrigin; the owner outlives this view
    var node: Int
    var start: Int  # the first child's index
    var count: Int

    def __init__(out self, tree: Pointer[SearchTree, MutAnyOrigin], node: Int):
        self.tree_address = Int(tree)
        self.node = node
        self.start = tree[].children_start(node)
        self.count = tree[].children_end(node) - self.start

    @always_inline
    def tree(self) -> Pointer[SearchTree, MutAnyOrigin]:
        return Pointer[SearchTree, MutAnyOrigin](unsafe_from_address=self.tree_address)

    @always_inline
    def child_count(self) -> Int:
        return self.count

    @always_inline
    def child_prior(self, index: Int) -> Float32:
        return self.tree()[].prior[self.start + index]

    @always_inline
    def child_visits(self, index: Int) -> Int:
        return Int(self.tree()[].visit_count[self.start + index])

    @always_inline
    def child_in_flight(self, index: Int) -> Int:
        return Int(self.tree()[].pending_visits[self.start + index])

    @always_inline
    def child_q(self, index: Int) -> Float32:
        return self.tree()[].q_from_parent(self.start + index)

    @always_inline
    def node_network_value(self) -> Float32:
        return self.tree()[].network_value[self.node]


struct GumbelSearch[G: Game](Movable):
    var core: SearchCore[Self.G]
    var config: GumbelConfig
    var rng: SplitMix64
    var num_simulations: Int
    var simulations_started: Int
    var sequence: List[Int]
    var survivors: List[Int]  # root child indices of the current phase
    var rounds_remaining: Int  # rounds of the current phase not yet emitted
    var gumbel: List[Float32]  # per root child
    var phase_visits: List[Int]  # per root child: this search's visits
    var scratch: ChildStatistics
    # Anytime mode (see the module docstring).
    var anytime: Bool
    var survey_open: Bool
    var survey_order: List[Int]  # root child indices by prior, highest first
    var survey_next: Int
    var survey_batch: Int  # survey simulations per leaf batch
    var pass_candidates: List[Int]  # root child indices of the current pass, best first
    var pass_survivors: Int  # survivors of the current phase; 0 before the first pass
    var pass_rounds: Int  # simulations per survivor in the current phase

    def __init__(out self, var root: Self.G, config: GumbelConfig):
        self.core = SearchCore[Self.G](root^)
        self.config = config.copy()
        self.rng = SplitMix64(0)
        self.num_simulations = 0
        self.simulations_started = 0
        self.sequence = List[Int]()
        self.survivors = List[Int]()
        self.rounds_remaining = 0
        self.gumbel = List[Float32]()
        self.phase_visits = List[Int]()
        self.scratch = ChildStatistics()
        self.anytime = False
        self.survey_open = False
        self.survey_order = List[Int]()
        self.survey_next = 0
        self.survey_batch = 1
        self.pass_candidates = List[Int]()
        self.pass_survivors = 0
        self.pass_rounds = 0

    # ------------------------------------------------------------------ lifecycle
    def set_root(mut self, var root: Self.G):
        """Starts over from an unrelated position (drops the tree)."""
        self.core.set_root(root^)

    def advance(mut self, action: Int):
        """Plays `action` at the root, keeping its subtree's statistics."""
        self.core.advance(action)

    def start(mut self, num_simulations: Int, seed: UInt64):
        """Prepares a search of `num_simulations` simulations from the current root."""
        self.rng = SplitMix64(seed)
        self.num_simulations = num_simulations
        self.simulations_started = 0
        self.survivors.clear()
        self.rounds_remaining = 0
        self.gumbel.clear()
        self.phase_visits.clear()
        self.core.clear_batch()
        self.anytime = False

    def start_anytime(mut self, max_simulations: Int, seed: UInt64, survey_batch: Int):
        """Prepares an anytime search (at most `max_simulations`; the driver stops it on
        time). The survey sends `survey_batch` root moves per leaf batch."""
        self.start(max_simulations, seed)
        self.anytime = True
        self.survey_open = True
        self.survey_order.clear()
        self.survey_next = 0
        self.survey_batch = max(1, survey_batch)
        self.pass_candidates.clear()
        self.pass_survivors = 0
        self.pass_rounds = 0

    def finish_survey(mut self):
        """Ends the survey phase (its time is up): sequential halving starts with the
        next batch, over the moves ranked by what is known so far."""
        self.survey_open = False

    # ------------------------------------------------------------------ the loop
    def collect(mut self) -> Bool:
        """Gathers the next batch of leaf evaluations; False when the search is complete.

        Phases whose simulations all end in finished games are backed up here directly,
        so a True return always comes with at least one request.
        """
        self.core.clear_batch()
        if self.core.evaluate_root_if_needed():
            return True
        if not self.core.root_is_searchable():
            return False
        if self.anytime:
            return self._collect_anytime()
        self._prepare_root()
        while True:
            if self.rounds_remaining == 0:
                if self.simulations_started >= self.num_simulations:
                    return False
                self._plan_phase()
            var rounds = self.rounds_remaining
            if self.config.rounds_per_batch > 0:
                rounds = min(rounds, self.config.rounds_per_batch)
            self._emit_rounds(rounds)
            if self.core.num_requests() > 0:
                return True
            self.core.backup()

    def _collect_anytime(mut self) -> Bool:
        """`collect` in anytime mode: survey, then passes of sequential halving.

        Unlike `collect`, it may return True with no request: after
        `ANYTIME_TERMINAL_BATCHES` batches whose simulations all ended in finished games
        (backed up here), so that the driver can look at the clock even when the tree
        around the root is solved."""
        self._prepare_anytime_root()
        var first_child = self.core.tree.children_start(0)
        var terminal_batches = 0
        while True:
            if terminal_batches == ANYTIME_TERMINAL_BATCHES:
                return True
            if self.simulations_started >= self.num_simulations:
                return False
            if self.survey_open and self.survey_next < len(self.survey_order):
                var end = min(len(self.survey_order), self.survey_next + self.survey_batch)
                end = min(end, self.survey_next + self.num_simulations - self.simulations_started)
                while self.survey_next < end:
                    self._simulate_counted(first_child, self.survey_order[self.survey_next])
                    self.survey_next += 1
            else:
                self.survey_open = False
                if self.rounds_remaining == 0:
                    self._plan_anytime_phase()
                var rounds = self.rounds_remaining
                if self.config.rounds_per_batch > 0:
                    rounds = min(rounds, self.config.rounds_per_batch)
                for _ in range(rounds):
                    for survivor in self.survivors:
                        if self.simulations_started < self.num_simulations:
                            self._simulate_counted(first_child, survivor)
                self.rounds_remaining -= rounds
            if self.core.num_requests() > 0:
                return True
            self.core.backup()
            terminal_batches += 1

    def _simulate_counted(mut self, first_child: Int, survivor: Int):
        self.phase_visits[survivor] += 1
        self.simulations_started += 1
        self._simulate_from_root_child(first_child + survivor)

    def _prepare_anytime_root(mut self):
        """Samples the Gumbel noise once and orders the root's moves by prior."""
        if not self._sample_root_noise():
            return
        self._load_children(0)
        self.survey_order = order_by_decreasing(self.scratch.priors)

    def anytime_scores(mut self) -> List[Float32]:
        """`halving_scores` of every root child: the anytime search's ranking."""
        var sigma = self.node_sigma(0)  # loads the root's children into scratch first
        return halving_scores(self.gumbel, logits_from_priors(self.scratch.priors), sigma)

    def _plan_anytime_phase(mut self):
        """The next phase: halve the pass's survivors and double their simulations, or
        start a new pass over the best m moves once two have been compared."""
        var scores = self.anytime_scores()
        if self.pass_survivors <= 2:
            var considered = min(self.config.max_considered_actions, len(scores))
            self.pass_candidates = top_indices(scores, considered)
            self.pass_survivors = considered
            self.pass_rounds = 1
        else:
            self.pass_survivors = (self.pass_survivors + 1) // 2
            self.pass_rounds *= 2
        var candidate_scores = List[Float32](capacity=len(self.pass_candidates))
        for candidate in self.pass_candidates:
            candidate_scores.append(scores[candidate])
        self.survivors.clear()
        for position in top_indices(candidate_scores, self.pass_survivors):
            self.survivors.append(self.pass_candidates[position])
        self.rounds_remaining = self.pass_rounds

    # ------------------------------------------------------------------ internals
    def _prepare_root(mut self):
        """Samples the Gumbel noise and the visit schedule once per search."""
        if not self._sample_root_noise():
            return
        var considered = min(self.config.max_considered_actions, len(self.gumbel))
        self.sequence = considered_visit_sequence(considered, self.num_simulations)

    def _sample_root_noise(mut self) -> Bool:
        """Gumbel noise and a zero visit count per root child, once per search; False
        when they were already there."""
        if len(self.gumbel) > 0:
            return False
        for _ in range(Int(self.core.tree.child_count[0])):
            self.gumbel.append(self.rng.next_gumbel() * self.config.gumbel_scale)
            self.phase_visits.append(0)
        return True

    def _load_children(mut self, node: Int):
        """Copies the children's priors, Q (parent's view) and completed visits to scratch."""
        self.scratch.priors.clear()
        self.scratch.q.clear()
        self.scratch.visits.clear()
        for child in range(self.core.tree.children_start(node), self.core.tree.children_end(node)):
            var visits = Int(self.core.tree.visit_count[child])
            self.scratch.priors.append(self.core.tree.prior[child])
            self.scratch.q.append(self.core.tree.q_from_parent(child) if visits > 0 else 0)
            self.scratch.visits.append(visits)

    def node_sigma(mut self, node: Int) -> List[Float32]:
        """sigma(completed Q) of `node`'s children (also loads them into scratch)."""
        self._load_children(node)
        var completed = completed_q(
            self.core.tree.network_value[node], self.scratch.priors, self.scratch.q, self.scratch.visits
        )
        return sigma_of_completed_q(completed, self.scratch.visits, self.config.sigma)

    def root_logits(mut self) -> List[Float32]:
        self._load_children(0)
        return logits_from_priors(self.scratch.priors)

    def _plan_phase(mut self):
        """Chooses the next sequential-halving phase's survivors and its number of rounds."""
        var start = self.simulations_started
        var visit_target = self.sequence[start]
        var round_length = self._run_length(start)
        var rounds = 1
        var position = start + round_length
        while (
            position < self.num_simulations
            and self.sequence[position] == visit_target + rounds
            and self._run_length(position) == round_length
        ):
            rounds += 1
            position += round_length
        # Survivors: the best `round_length` children with this search's visits == target.
        var sigma = self.node_sigma(0)
        var logits = logits_from_priors(self.scratch.priors)
        var scores = root_scores(self.gumbel, logits, sigma, self.phase_visits, visit_target)
        self.survivors.clear()
        for _ in range(round_length):
            var best = argmax(scores)
            self.survivors.append(best)
            scores[best] = -inf[DType.float32]()
        self.rounds_remaining = rounds

    def _emit_rounds(mut self, rounds: Int):
        """Descends `rounds` rounds of the current phase: one simulation per survivor each."""
        var first_child = self.core.tree.children_start(0)
        for _ in range(rounds):
            for survivor in self.survivors:
                self.phase_visits[survivor] += 1
                self._simulate_from_root_child(first_child + survivor)
            self.simulations_started += len(self.survivors)
        self.rounds_remaining -= rounds

    def _run_length(self, start: Int) -> Int:
        var length = 0
        while start + length < len(self.sequence) and self.sequence[start + length] == self.sequence[start]:
            length += 1
        return length

    def _simulate_from_root_child(mut self, child: Int):
        self.core.tree.pending_visits[0] += 1
        var state = self.core.root_states[0].copy()
        var node = child
        while True:
            state.apply(Int(self.core.tree.action[node]))
            if self.core.tree.status[node] != EVALUATED:
                self.core.reach_leaf(node, state^)
                return
            self.core.tree.pending_visits[node] += 1
            node = self._select_interior_child(node)

    def _select_interior_child(mut self, node: Int) -> Int:
        """argmax pi'(a) - N(a) / (1 + sum N), N counting in-flight simulations
        (`interior_choice`, the fused formulas the graph search shares);
        `_select_interior_child_reference` computes it with the pure functions, and a Mojo
        test checks both agree."""
        var children = TreeChildren(
            Pointer[SearchTree, MutAnyOrigin](unsafe_from_address=Int(Pointer(to=self.core.tree))), node
        )
        return children.start + interior_choice(children, self.config.sigma, self.scratch.q)

    def _select_interior_child_reference(mut self, node: Int) -> Int:
        """The same choice computed with the tested pure functions (slow; for tests)."""
        var sigma = self.node_sigma(node)
        var logits = logits_from_priors(self.scratch.priors)
        var improved = improved_policy(logits, sigma)
        var start = self.core.tree.children_start(node)
        for index in range(len(self.scratch.visits)):
            self.scratch.visits[index] += Int(self.core.tree.pending_visits[start + index])
        var scores = interior_scores(improved, self.scratch.visits)
        return start + argmax(scores)

    # ------------------------------------------------------------------ results
    def chosen_child_index(mut self) -> Int:
        """The move to play: the best survivor, argmax g + l + sigma among the most visited.
        In anytime mode (stopped at any point of a pass) the same rule: among the moves
        this search visited most. (Ranking every visited move lets a move with one survey
        simulation and a lucky value win; the graph search's halving root lost TicTacToe
        lines to minimax that way.)"""
        var sigma = self.node_sigma(0)
        var logits = logits_from_priors(self.scratch.priors)
        var most = 0
        for count in self.phase_visits:
            most = max(most, count)
        var gumbel = self.gumbel.copy()
        if len(gumbel) == 0:  # no simulation ran: choose by the prior and noise alone
            for _ in range(len(logits)):
                gumbel.append(self.rng.next_gumbel() * self.config.gumbel_scale)
            var zero_visits = List[Int](length=len(logits), fill=0)
            return argmax(root_scores(gumbel, logits, sigma, zero_visits, 0))
        return argmax(root_scores(gumbel, logits, sigma, self.phase_visits, most))

    def chosen_action(mut self) -> Int:
        return Int(self.core.tree.action[self.core.tree.children_start(0) + self.chosen_child_index()])

    def improved_policy(mut self) -> List[Float32]:
        """softmax(l + sigma(completed Q)) over the root's legal actions (child order)."""
        var sigma = self.node_sigma(0)
        return improved_policy(logits_from_priors(self.scratch.priors), sigma)


def order_by_decreasing(values: List[Float32]) -> List[Int]:
    """Indices of `values` from the largest to the smallest (ties: lower index first)."""
    return top_indices(values, len(values))


def top_indices(values: List[Float32], count: Int) -> List[Int]:
    """The indices of the `count` largest values, largest first (ties: lower index first).
    Insertion into a sorted prefix: O(n * count), fine for root-sized lists."""
    var chosen = List[Int](capacity=count)
    for index in range(len(values)):
        var position = len(chosen)
        while position > 0 and values[chosen[position - 1]] < values[index]:
            position -= 1
        if position < count:
            chosen.insert(position, index)
            if len(chosen) > count:
                _ = chosen.pop()
    return chosen^
