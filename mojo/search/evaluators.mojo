"""In-process leaf evaluators for tests, baselines and analysis (no network).

Each returns a value in [-1, 1] from the point of view of the side to move in `state`;
their policies are uniform (the caller passes equal logits).

`BatchEvaluator` is what a search driver (anytime.mojo) calls to answer a batch;
`UniformEvaluator` is the simplest one.
"""

from mojo.game import Game, DRAW
from mojo.search.core import SearchCore
from mojo.search.random import SplitMix64


trait BatchEvaluator:
    """Answers every request of a search's current batch."""

    def answer_batch[G: Game](mut self, mut core: SearchCore[G]) raises:
        """Calls `core.receive` (or `receive_uniform`, `receive_priors`) once for each
        of `core.num_requests()` requests."""
        ...


struct UniformEvaluator(BatchEvaluator, Movable):
    """Equal priors over the legal actions and value 0 for every request."""

    def __init__(out self):
        pass

    def answer_batch[G: Game](mut self, mut core: SearchCore[G]) raises:
        for index in range(core.num_requests()):
            core.receive_uniform(index, 0)


def result_for_side_to_move[G: Game](state: G, player: Int) -> Float32:
    """+1 / -1 / 0 for `player` in the finished `state`."""
    var winner = state.winner()
    if winner == DRAW:
        return 0
    return 1 if winner == player else -1


def random_rollout_value[G: Game](state: G, mut rng: SplitMix64, rollouts: Int, mut actions: List[Int]) -> Float32:
    """Mean result of `rollouts` uniformly random playouts to the end of the game."""
    var player = state.to_move()
    var total: Float32 = 0
    for _ in range(rollouts):
        var playout = state.copy()
        while not playout.is_terminal():
            playout.legal_actions(actions)
            playout.apply(actions[rng.next_below(len(actions))])
        total += result_for_side_to_move(playout, player)
    return total / Float32(max(rollouts, 1))


def minimax_value[G: Game](state: G, depth: Int) -> Float32:
    """Exact negamax value within `depth` plies (0 at the horizon): +1 win, -1 loss, 0 draw.

    Plain alpha-beta over the full tree: exact for TicTacToe at depth 9, and exact for any
    position whose result is decided within `depth` plies.
    """
    var buffers = List[List[Int]]()
    for _ in range(depth + 1):
        buffers.append(List[Int]())
    return _negamax(state, depth, -2, 2, buffers)


def _negamax[G: Game](state: G, depth: Int, alpha_in: Float32, beta: Float32, mut buffers: List[List[Int]]) -> Float32:
    if state.is_terminal():
        return result_for_side_to_move(state, state.to_move())
    if depth == 0:
        return 0
    var alpha = alpha_in
    var best: Float32 = -2
    state.legal_actions(buffers[depth])
    for index in range(len(buffers[depth])):
        var child = state.copy()
        child.apply(buffers[depth][index])
        var value = -_negamax(child, depth - 1, -beta, -alpha, buffers)
        if value > best:
            best = value
        if best > alpha:
            alpha = best
        if alpha >= beta:
            break
    return best
