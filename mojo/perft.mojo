"""Perft: counting move sequences, generic over any `Game`.

perft(s, d) is the number of sequences of exactly d legal plies from s; a finished
position has no moves, so it contributes 0 for d >= 1 (as tiltak counts). The last ply
is bulk-counted with `count_legal_actions`, so this measures move generation, not only
move application.
"""

from mojo.game import Game, DRAW


def perft[G: Game](state: G, depth: Int) -> Int:
    """Number of legal move sequences of exactly `depth` plies from `state`."""
    if depth <= 0:
        return 1
    var action_buffers = List[List[Int]]()
    for _ in range(depth):
        action_buffers.append(List[Int]())
    return _perft_recursive(state, depth, action_buffers)


def _perft_recursive[G: Game](state: G, depth: Int, mut action_buffers: List[List[Int]]) -> Int:
    if depth == 1:
        return state.count_legal_actions()
    # One buffer per depth, reused across siblings: no allocation in the hot loop.
    state.legal_actions(action_buffers[depth - 1])
    var total = 0
    for index in range(len(action_buffers[depth - 1])):
        var child = state.copy()
        child.apply(action_buffers[depth - 1][index])
        total += _perft_recursive(child, depth - 1, action_buffers)
    return total


def perft_played[G: Game](state: G, depth: Int, mut key_checksum: UInt64) -> Int:
    """`perft` with no bulk counting: every leaf move is played on a copy and its key read
    (XORed into `key_checksum`, which also keeps the compiler from skipping the work).
    Measures move generation, making moves and incremental hashing together."""
    if depth <= 0:
        key_checksum ^= state.hash()
        return 1
    var action_buffers = List[List[Int]]()
    for _ in range(depth):
        action_buffers.append(List[Int]())
    return _perft_played_recursive(state, depth, action_buffers, key_checksum)


def _perft_played_recursive[G: Game](
    state: G, depth: Int, mut action_buffers: List[List[Int]], mut key_checksum: UInt64
) -> Int:
    state.legal_actions(action_buffers[depth - 1])
    var total = 0
    for index in range(len(action_buffers[depth - 1])):
        var child = state.copy()
        child.apply(action_buffers[depth - 1][index])
        if depth == 1:
            key_checksum ^= child.hash()
            total += 1
        else:
            total += _perft_played_recursive(child, depth - 1, action_buffers, key_checksum)
    return total


@fieldwise_init
struct GameCounts(Copyable, Movable):
    """Finished games by outcome, plus the sequences still unfinished at the depth limit."""

    var first_player_wins: Int
    var second_player_wins: Int
    var draws: Int
    var unfinished: Int


def count_finished_games[G: Game](state: G, max_depth: Int) -> GameCounts:
    """Counts every legal game from `state` that ends within `max_depth` plies, by result."""
    var counts = GameCounts(0, 0, 0, 0)
    var action_buffers = List[List[Int]]()
    for _ in range(max_depth + 1):
        action_buffers.append(List[Int]())
    _count_games_recursive(state, max_depth, action_buffers, counts)
    return counts^


def _count_games_recursive[G: Game](
    state: G, depth: Int, mut action_buffers: List[List[Int]], mut counts: GameCounts
):
    if state.is_terminal():
        var winner = state.winner()
        if winner == 0:
            counts.first_player_wins += 1
        elif winner == 1:
            counts.second_player_wins += 1
        else:
            counts.draws += 1
        return
    if depth == 0:
        counts.unfinished += 1
        return
    state.legal_actions(action_buffers[depth])
    for index in range(len(action_buffers[depth])):
        var child = state.copy()
        child.apply(action_buffers[depth][index])
        _count_games_recursive(child, depth - 1, action_buffers, counts)
