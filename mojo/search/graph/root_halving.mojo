"""Anytime sequential halving at the root of the graph search, shared by its threads.

The same schedule as the tree's anytime Gumbel search (gumbel.mojo, `start_anytime`;
Sagers, Winands and Soemers, arXiv 2411.07171): a survey first visits the root's moves
once each in prior order; then passes of sequential halving follow over the best m
(`max_considered_actions`) moves: phase k of a pass gives each of the best ceil(m / 2^k)
survivors 2^k more playouts, and once two moves have been compared the next pass starts
again from the best m. Moves are ranked by `halving_scores` (prior logit + sigma of the
completed Q, no Gumbel noise: this is for play), recomputed at each phase from the graph.

What changes on a graph with threads is how a phase is filled. The tree search emits a
phase's simulations itself, round by round. Here each playout asks for one root move, and
several threads ask at once: a phase sets each survivor a target (its playouts so far in
this search, in-flight ones included, plus the phase's rounds), and a playout goes to the
survivor furthest below its target (ties: the better ranked). Counting in-flight playouts
is what keeps any survivor from getting more than its share while evaluations are out;
once every survivor has reached its target the next phase is planned, from the values
backed up so far. With one thread this is exactly the tree's round-robin order.

`RootHalving` holds only the schedule, indexed by the root's edges in edge order (its
legal actions' order); the graph search gives it the counts and, when it plans a phase,
the scores, so it can be tested on its own.
"""

from mojo.search.gumbel import top_indices, order_by_decreasing


struct RootHalving(Copyable, Movable):
    var max_considered: Int
    var active: Bool  # begun for the current search
    var survey_open: Bool
    var survey_order: List[Int]  # edge offsets by decreasing prior
    var survey_next: Int
    var pass_candidates: List[Int]  # the best m moves of the current pass
    var pass_survivors: Int  # survivors of the current phase; 0 before the first pass
    var pass_rounds: Int  # playouts per survivor in the current phase
    var survivors: List[Int]  # edge offsets of the current phase, best ranked first
    var targets: List[Int]  # per survivor: the count it is filled up to in this phase
    var baseline: List[Int]  # per edge: playouts through it before this search (kept graph)

    def __init__(out self, max_considered: Int):
        self.max_considered = max(1, max_considered)
        self.active = False
        self.survey_open = False
        self.survey_order = List[Int]()
        self.survey_next = 0
        self.pass_candidates = List[Int]()
        self.pass_survivors = 0
        self.pass_rounds = 0
        self.survivors = List[Int]()
        self.targets = List[Int]()
        self.baseline = List[Int]()

    def reset(mut self):
        """Forgets the schedule: the next search begins anew."""
        self.active = False
        self.survey_open = False
        self.survey_order.clear()
        self.survey_next = 0
        self.pass_candidates.clear()
        self.pass_survivors = 0
        self.pass_rounds = 0
        self.survivors.clear()
        self.targets.clear()
        self.baseline.clear()

    def begin(mut self, priors: List[Float32], counts_before: List[Int]):
        """Starts a search's schedule: the survey order from `priors` (the root's, edge
        order) and the playouts each edge already had (`counts_before`), which this
        search's counts are taken relative to."""
        self.reset()
        self.active = True
        self.survey_open = True
        self.survey_order = order_by_decreasing(priors)
        self.baseline = counts_before.copy()

    def close_survey(mut self):
        self.survey_open = False

    def next_survey_move(mut self) -> Int:
        """The next move of the survey, or -1 when the survey is over (closed, or every
        move visited once)."""
        if self.survey_open and self.survey_next < len(self.survey_order):
            var move = self.survey_order[self.survey_next]
            self.survey_next += 1
            return move
        self.survey_open = False
        return -1

    def next_survivor(self, counts: List[Int]) -> Int:
        """The survivor furthest below its target (`counts`: playouts through each edge,
        in-flight ones included, before this search's baseline is taken off), or -1 when
        every survivor has reached its target (plan the next phase)."""
        var best = -1
        var best_missing = 0
        for position in range(len(self.survivors)):
            var move = self.survivors[position]
            var missing = self.targets[position] - (counts[move] - self.baseline[move])
            if missing > best_missing:
                best_missing = missing
                best = move
        return best

    def plan_phase(mut self, scores: List[Float32], counts: List[Int]):
        """The next phase from the moves' current `scores` (edge order): halve the pass's
        survivors and double their playouts, or start a new pass over the best m moves
        once two have been compared (gumbel.mojo `_plan_anytime_phase`)."""
        if self.pass_survivors <= 2:
            var considered = min(self.max_considered, len(scores))
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
        self.targets.clear()
        for position in top_indices(candidate_scores, self.pass_survivors):
            var move = self.pass_candidates[position]
            self.survivors.append(move)
            self.targets.append(counts[move] - self.baseline[move] + self.pass_rounds)

    def searched(self, counts: List[Int]) -> List[Int]:
        """Playouts of this search through each edge (after `begin`)."""
        var result = List[Int](capacity=len(counts))
        for index in range(len(counts)):
            result.append(counts[index] - self.baseline[index])
        return result^
