"""The Gumbel MCTS formulas of mctx (`mctx/_src/qtransforms.py`, `seq_halving.py`,
`action_selection.py`), as pure functions over one node's children.

All arrays are indexed by child (the node's legal actions, in the tree's child order):
    priors[i]  prior probability pi(a_i) = softmax(logits) over the legal actions
    logits[i]  prior logit l(a_i) (any constant shift is irrelevant to every formula)
    q[i]       q(a_i) from the node's side to move; meaningless where visits[i] == 0
    visits[i]  N(a_i)
Difference from mctx, by design: mctx completes and rescales Q over its whole fixed action
space, where illegal actions (never visited) carry v_mix into the min/max; here only legal
actions exist. On a game where every action is legal the two agree exactly.
"""

from std.math import exp, log, inf

comptime LOW_LOGIT: Float32 = -1e9
comptime RESCALE_EPSILON: Float32 = 1e-8
comptime TINY_PROBABILITY: Float32 = 1.1754943508222875e-38  # float32 smallest normal


@fieldwise_init
struct SigmaParameters(Copyable, Movable):
    """`sigma(q) = (c_visit + max N) * c_scale * q`, after optional rescaling to [0, 1]."""

    var c_visit: Float32
    var c_scale: Float32
    var rescale: Bool


def considered_visit_sequence(max_considered: Int, num_simulations: Int) -> List[Int]:
    """mctx `get_sequence_of_considered_visits`: the root visit count each simulation targets."""
    var sequence = List[Int]()
    if max_considered <= 1:
        for index in range(num_simulations):
            sequence.append(index)
        return sequence^
    var log2_max = 0
    while (1 << log2_max) < max_considered:
        log2_max += 1
    var visits = List[Int](length=max_considered, fill=0)
    var considered = max_considered
    while len(sequence) < num_simulations:
        var extra_visits = max(1, num_simulations // (log2_max * considered))
        for _ in range(extra_visits):
            for index in range(considered):
                sequence.append(visits[index])
            for index in range(considered):
                visits[index] += 1
        considered = max(2, considered // 2)
    while len(sequence) > num_simulations:
        _ = sequence.pop()
    return sequence^


def mixed_value(raw_value: Float32, priors: List[Float32], q: List[Float32], visits: List[Int]) -> Float32:
    """v_mix: the network value blended with the prior-weighted Q of the visited children."""
    var total_visits = 0
    var visited_probability: Float32 = 0
    for index in range(len(visits)):
        total_visits += visits[index]
        if visits[index] > 0:
            visited_probability += max(TINY_PROBABILITY, priors[index])
    if total_visits == 0:
        return raw_value
    var weighted_q: Float32 = 0
    for index in range(len(visits)):
        if visits[index] > 0:
            weighted_q += max(TINY_PROBABILITY, priors[index]) * q[index] / visited_probability
    return (raw_value + Float32(total_visits) * weighted_q) / Float32(total_visits + 1)


def completed_q(raw_value: Float32, priors: List[Float32], q: List[Float32], visits: List[Int]) -> List[Float32]:
    """q(a) where visited, else v_mix."""
    var value = mixed_value(raw_value, priors, q, visits)
    var completed = List[Float32](capacity=len(visits))
    for index in range(len(visits)):
        completed.append(q[index] if visits[index] > 0 else value)
    return completed^


def sigma_of_completed_q(
    completed: List[Float32], visits: List[Int], parameters: SigmaParameters
) -> List[Float32]:
    """sigma(q_hat) for every child (mctx `qtransform_completed_by_mix_value`)."""
    var result = completed.copy()
    if len(result) == 0:
        return result^
    if parameters.rescale:
        var low = result[0]
        var high = result[0]
        for value in result:
            low = min(low, value)
            high = max(high, value)
        var span = max(high - low, RESCALE_EPSILON)
        for index in range(len(result)):
            result[index] = (result[index] - low) / span
    var max_visits = 0
    for count in visits:
        max_visits = max(max_visits, count)
    var scale = (parameters.c_visit + Float32(max_visits)) * parameters.c_scale
    for index in range(len(result)):
        result[index] *= scale
    return result^


def softmax(values: List[Float32]) -> List[Float32]:
    """Numerically stable softmax."""
    var result = values.copy()
    softmax_in_place(result, 0, len(result))
    return result^


def softmax_in_place(mut values: List[Float32], start: Int, end: Int):
    """`softmax` of values[start:end], written over them (the search's priors are
    normalised where they lie, with no list per evaluation)."""
    if start >= end:
        return
    var high = values[start]
    for index in range(start, end):
        high = max(high, values[index])
    var total: Float32 = 0
    for index in range(start, end):
        var weight = exp(values[index] - high)
        values[index] = weight
        total += weight
    for index in range(start, end):
        values[index] /= total


def improved_policy(logits: List[Float32], sigma: List[Float32]) -> List[Float32]:
    """The training target softmax(l + sigma(q_hat)) over the legal actions."""
    var combined = List[Float32](capacity=len(logits))
    for index in range(len(logits)):
        combined.append(logits[index] + sigma[index])
    return softmax(combined)


def halving_scores(gumbel: List[Float32], logits: List[Float32], sigma: List[Float32]) -> List[Float32]:
    """max(-1e9, g + l - max l + sigma) for every root move: the ranking sequential halving
    keeps the best of. The anytime search ranks all moves with it (no visit mask)."""
    var high = logits[0]
    for value in logits:
        high = max(high, value)
    var scores = List[Float32](capacity=len(logits))
    for index in range(len(logits)):
        scores.append(max(LOW_LOGIT, gumbel[index] + logits[index] - high + sigma[index]))
    return scores^


def root_scores(
    gumbel: List[Float32], logits: List[Float32], sigma: List[Float32], visits: List[Int], considered_visit: Int
) -> List[Float32]:
    """mctx `score_considered`: `halving_scores`, -inf where N != considered."""
    var scores = halving_scores(gumbel, logits, sigma)
    for index in range(len(scores)):
        if visits[index] != considered_visit:
            scores[index] = -inf[DType.float32]()
    return scores^


def argmax(values: List[Float32]) -> Int:
    """Index of the first maximum (jnp.argmax's tie-break)."""
    var best = 0
    for index in range(1, len(values)):
        if values[index] > values[best]:
            best = index
    return best


def interior_scores(priors_after_sigma: List[Float32], visits: List[Int]) -> List[Float32]:
    """pi'(a) - N(a) / (1 + sum N), with pi' = softmax(l + sigma(q_hat))."""
    var total = 0
    for count in visits:
        total += count
    var scores = List[Float32](capacity=len(visits))
    for index in range(len(visits)):
        scores.append(priors_after_sigma[index] - Float32(visits[index]) / Float32(1 + total))
    return scores^


def logits_from_priors(priors: List[Float32]) -> List[Float32]:
    """log(pi): logits up to a constant, which no formula depends on."""
    var logits = List[Float32](capacity=len(priors))
    for prior in priors:
        logits.append(log(max(TINY_PROBABILITY, prior)))
    return logits^


trait InteriorChildren:
    """Read access to one node's children for `interior_choice`: the tree's children or the
    graph's edges (index i = the node's i-th legal action)."""

    def child_count(self) -> Int:
        ...

    def child_prior(self, index: Int) -> Float32:
        """pi(a_i)."""
        ...

    def child_visits(self, index: Int) -> Int:
        """N(a_i): completed visits, the ones Q and sigma are made of."""
        ...

    def child_in_flight(self, index: Int) -> Int:
        """Simulations in flight through a_i: they count in the visit term only."""
        ...

    def child_q(self, index: Int) -> Float32:
        """q(a_i) from the node's side to move; asked only where child_visits(i) > 0."""
        ...

    def node_network_value(self) -> Float32:
        """The node's own network value v_hat, from its side to move (v_mix's start)."""
        ...


def interior_choice[C: InteriorChildren](children: C, parameters: SigmaParameters, mut weights: List[Float32]) -> Int:
    """argmax pi'(a) - (N(a) + in-flight(a)) / (1 + sum (N + in-flight)): Gumbel MCTS's
    deterministic selection below the root (mctx `gumbel_muzero_interior_action_selection`).

    The hot path of both the tree and the graph search: `completed_q`, `sigma_of_completed_q`,
    `improved_policy` and `interior_scores` fused into at most three passes over the
    children with no allocation (`weights` is reused scratch), one exp for all unvisited
    children (they share v_mix) and none where no child is visited yet. pi' is computed
    as pi * exp(sigma - max sigma), normalised, which equals the softmax without taking
    logarithms. Mojo tests
    check it against the pure functions above.
    """
    var count = children.child_count()
    var total_visits = 0
    var total_effective = 0
    var max_visits = 0
    var visited_probability: Float32 = 0
    var weighted_q: Float32 = 0
    weights.clear()
    for index in range(count):
        var visits = children.child_visits(index)
        total_effective += visits + children.child_in_flight(index)
        var q: Float32 = 0  # kept for pass 2 (a visited child's Q costs a division)
        if visits > 0:
            total_visits += visits
            max_visits = max(max_visits, visits)
            var prior = max(TINY_PROBABILITY, children.child_prior(index))
            visited_probability += prior
            q = children.child_q(index)
            weighted_q += prior * q
        weights.append(q)
    var denominator = Float32(1 + total_effective)
    if total_visits == 0:
        # No child visited yet (a node on its first revisits, the commonest case): every
        # completed Q is v_hat, so sigma is the same for all and pi' is the prior itself
        # (pi * exp(0), and exp(0) is exactly 1): the same scores without the exps.
        var prior_total: Float32 = 0
        for index in range(count):
            weights[index] = children.child_prior(index)
            prior_total += weights[index]
        return _best_interior_score(children, denominator, prior_total, weights)
    var v_mix = children.node_network_value()
    v_mix = (v_mix + Float32(total_visits) * (weighted_q / visited_probability)) / Float32(total_visits + 1)
    # Pass 2: completed Q, its range.
    var low = inf[DType.float32]()
    var high = -inf[DType.float32]()
    for index in range(count):
        var completed = weights[index] if children.child_visits(index) > 0 else v_mix
        weights[index] = completed
        low = min(low, completed)
        high = max(high, completed)
    var scale = (parameters.c_visit + Float32(max_visits)) * parameters.c_scale
    var offset: Float32 = 0
    if parameters.rescale:
        scale = scale / max(high - low, RESCALE_EPSILON)
        offset = low
    # sigma is increasing in completed Q, so its maximum is at `high`.
    var sigma_max = (high - offset) * scale
    # Every unvisited child has the same completed Q (v_mix): one exp serves them all.
    var unvisited_factor = exp((v_mix - offset) * scale - sigma_max)
    var normaliser: Float32 = 0
    for index in range(count):
        var factor = unvisited_factor
        if children.child_visits(index) > 0:
            factor = exp((weights[index] - offset) * scale - sigma_max)
        var weight = children.child_prior(index) * factor
        weights[index] = weight
        normaliser += weight
    return _best_interior_score(children, denominator, normaliser, weights)


@always_inline
def _best_interior_score[C: InteriorChildren](
    children: C, denominator: Float32, normaliser: Float32, weights: List[Float32]
) -> Int:
    """Pass 3 of `interior_choice`: argmax weights[i] / normaliser - (N + in-flight) /
    denominator; the first maximum wins."""
    var best = 0
    var best_score = -inf[DType.float32]()
    for index in range(children.child_count()):
        var effective = Float32(children.child_visits(index) + children.child_in_flight(index))
        var score = weights[index] / normaliser - effective / denominator
        if score > best_score:
            best_score = score
            best = index
    return best
