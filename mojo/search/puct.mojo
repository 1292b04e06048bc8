"""PUCT search (AlphaZero, Silver et al. 2018), the classic alternative to Gumbel MCTS.

Selection at a node maximises Q(a) + U(a) with
    U(a) = c(N) * P(a) * sqrt(N) / (1 + N(a)),   c(N) = c_init + log((1 + N + c_base) / c_base)
where N is the sum of the children's visits (AlphaZero's log growth term). An unvisited
child's Q is the node's own value minus `fpu_reduction` (first-play urgency, as lc0).
At the root the priors are mixed with Dirichlet(alpha) noise, fraction `dirichlet_fraction`,
sampled once per search.

Batching: `leaves_per_batch` simulations descend before any evaluation returns. Each
in-flight simulation counts as a visit that lost (`virtual_loss`), so later descents in
the same batch are steered elsewhere; the loss disappears at backup (it is never written
into the tree's sums: selection reads `pending_visits`).

The move played is sampled from N(a)^(1/T) (T = `temperature`; T = 0 plays the most
visited action, ties to the higher prior); the training target is the visit distribution.
"""

from std.math import log, sqrt, pow, inf

from mojo.game import Game
from mojo.search.core import SearchCore
from mojo.search.tree import EVALUATED
from mojo.search.random import SplitMix64, dirichlet_sample


@fieldwise_init
struct PuctConfig(Copyable, Movable):
    var c_init: Float32
    var c_base: Float32
    var fpu_reduction: Float32
    var dirichlet_alpha: Float32
    var dirichlet_fraction: Float32  # 0 disables root noise (evaluation play)
    var virtual_loss: Float32
    var leaves_per_batch: Int
    var temperature: Float32


def puct_exploration_weight(config: PuctConfig, parent_visits: Int) -> Float32:
    """c(N) * sqrt(N): the factor of P(a) / (1 + N(a)) in U(a)."""
    var visits = Float32(parent_visits)
    var c = config.c_init + log((1.0 + visits + config.c_base) / config.c_base)
    return c * sqrt(visits)


struct PuctSearch[G: Game](Movable):
    var core: SearchCore[Self.G]
    var config: PuctConfig
    var rng: SplitMix64
    var num_simulations: Int
    var simulations_started: Int
    var root_priors: List[Float32]  # the root's priors with this search's noise

    def __init__(out self, var root: Self.G, config: PuctConfig):
        self.core = SearchCore[Self.G](root^)
        self.config = config.copy()
        self.rng = SplitMix64(0)
        self.num_simulations = 0
        self.simulations_started = 0
        self.root_priors = List[Float32]()

    def set_root(mut self, var root: Self.G):
        self.core.set_root(root^)

    def advance(mut self, action: Int):
        self.core.advance(action)

    def start(mut self, num_simulations: Int, seed: UInt64):
        self.rng = SplitMix64(seed)
        self.num_simulations = num_simulations
        self.simulations_started = 0
        self.root_priors.clear()
        self.core.clear_batch()

    def collect(mut self) -> Bool:
        """Gathers up to `leaves_per_batch` leaf evaluations; False when the search is done."""
        self.core.clear_batch()
        if self.core.evaluate_root_if_needed():
            return True
        if not self.core.root_is_searchable():
            return False
        self._prepare_root()
        while self.simulations_started < self.num_simulations:
            var batch = min(max(self.config.leaves_per_batch, 1), self.num_simulations - self.simulations_started)
            for _ in range(batch):
                self._simulate()
            self.simulations_started += batch
            if self.core.num_requests() > 0:
                return True
            self.core.backup()
        return False

    def _prepare_root(mut self):
        if len(self.root_priors) > 0:
            return
        ref tree = self.core.tree
        var start = tree.children_start(0)
        var count = Int(tree.child_count[0])
        var fraction = self.config.dirichlet_fraction
        var noise = List[Float32](length=count, fill=0)
        if fraction > 0 and count > 1:
            noise = dirichlet_sample(self.rng, Float64(self.config.dirichlet_alpha), count)
        for index in range(count):
            self.root_priors.append((1 - fraction) * tree.prior[start + index] + fraction * noise[index])

    def _simulate(mut self):
        var state = self.core.root_states[0].copy()
        var node = 0
        while True:
            self.core.tree.pending_visits[node] += 1
            var child = self.select_child(node)
            state.apply(Int(self.core.tree.action[child]))
            if self.core.tree.status[child] != EVALUATED:  # the simulation ends here
                # reach_leaf counts the leaf's own in-flight visit.
                self.core.reach_leaf(child, state^)
                return
            node = child

    def select_child(self, node: Int) -> Int:
        """argmax Q(a) + U(a) with virtual losses for in-flight simulations."""
        ref tree = self.core.tree
        var start = tree.children_start(node)
        var end = tree.children_end(node)
        var parent_visits = 0
        for child in range(start, end):
            parent_visits += Int(tree.visit_count[child]) + Int(tree.pending_visits[child])
        var weight = puct_exploration_weight(self.config, parent_visits)
        var first_play_value = tree.mean_value(node) - self.config.fpu_reduction
        var best = start
        var best_score = -inf[DType.float32]()
        for child in range(start, end):
            var visits = Int(tree.visit_count[child])
            var pending = Int(tree.pending_visits[child])
            var q = first_play_value
            if visits + pending > 0:
                # The parent's view of the child: -value_sum; each in-flight visit a loss.
                q = (-tree.value_sum[child] - self.config.virtual_loss * Float32(pending)) / Float32(visits + pending)
            var prior = self.root_priors[child - start] if node == 0 else tree.prior[child]
            var score = q + weight * prior / Float32(1 + visits + pending)
            if score > best_score:
                best_score = score
                best = child
        return best

    # ------------------------------------------------------------------ results
    def visit_policy(self, temperature: Float32) -> List[Float32]:
        """N(a)^(1/T) normalised over the root's children; T = 0: the most visited (one-hot)."""
        ref tree = self.core.tree
        var start = tree.children_start(0)
        var count = Int(tree.child_count[0])
        var policy = List[Float32](length=count, fill=0)
        if temperature <= 0:
            var best = 0
            for index in range(1, count):
                var visits = tree.visit_count[start + index]
                var best_visits = tree.visit_count[start + best]
                if visits > best_visits or (visits == best_visits and tree.prior[start + index] > tree.prior[start + best]):
                    best = index
            policy[best] = 1
            return policy^
        var total: Float64 = 0
        for index in range(count):
            var weight = pow(Float64(tree.visit_count[start + index]), 1.0 / Float64(temperature))
            policy[index] = Float32(weight)
            total += weight
        for index in range(count):
            policy[index] = Float32(Float64(policy[index]) / total)
        return policy^

    def chosen_child_index(mut self) -> Int:
        """Samples the move to play from the visit policy at the configured temperature."""
        var policy = self.visit_policy(self.config.temperature)
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
        return Int(self.core.tree.action[self.core.tree.children_start(0) + self.chosen_child_index()])
