"""Iterative-deepening negamax alpha-beta, generic over any `Game`: a deterministic yardstick.

The search knows no game: the static evaluation and the cheap move-ordering key come
from a `PositionEvaluation` parameter (Tak's is `games/tak/evaluation.mojo`).

- Negamax with fail-soft alpha-beta, iterative deepening 1, 2, ... up to `max_depth`.
- Transposition table keyed by the game's Zobrist hash (`Game.hash()`), one entry per
  slot, always replaced; an entry gives a bound or an exact score when its depth is
  enough, and its best move is searched first in any case.
- Move ordering: the table's move first, then the evaluation's `order_key` (higher
  first), then a seeded pseudo-random key per action (so ties are broken by the seed,
  reproducibly: the same seed gives the same move).
- Terminal positions are scored from the side to move: a win is `WIN_SCORE - ply`, a loss
  `-(WIN_SCORE - ply)` (a faster win and a slower loss score higher), a draw 0. Mate-like
  scores are stored in the table relative to the node, so they stay right at any ply.
- Limits: depth, and time (checked every `TIME_CHECK_NODES` nodes). Depth 1 always
  completes; a later iteration cut short by the clock is thrown away and the move of the
  last completed depth is played.
"""

from std.time import perf_counter_ns

from mojo.game import Game, DRAW
from mojo.zobrist import splitmix64_finalize

comptime WIN_SCORE = 1000000
"""A won position at ply p from the root scores `WIN_SCORE - p`; evaluations stay far below."""
comptime WIN_THRESHOLD = WIN_SCORE - 10000
"""Scores beyond this are wins or losses found by the search, not evaluations."""
comptime INFINITE_SCORE = WIN_SCORE + 1
comptime TIME_CHECK_NODES = 1024
"""The clock is read once every this many nodes."""
comptime DEFAULT_TABLE_BITS = 18
"""2^18 table entries (about 6 MB)."""

comptime BOUND_EXACT = 0
comptime BOUND_LOWER = 1
comptime BOUND_UPPER = 2


trait PositionEvaluation(Copyable, Movable, Deinitable):
    """A game's static evaluation for the alpha-beta search."""

    comptime GameType: Game

    def evaluate(self, state: Self.GameType) -> Int:
        """The score of an unfinished `state` for the side to move (|score| < WIN_THRESHOLD)."""
        ...

    def order_key(self, state: Self.GameType, action: Int) -> Int:
        """A cheap ordering key for the legal `action` in `state`, higher first (0..1023)."""
        ...


@fieldwise_init
struct TableEntry(Copyable, Movable):
    var key: UInt64
    var action: Int32
    var score: Int32
    var depth: Int16
    var bound: Int8


@fieldwise_init
struct AlphaBetaResult(Copyable, Movable):
    """What one search found: the move, its score, and how much work it took."""

    var best_action: Int
    var score: Int
    """From the root's side to move; beyond `WIN_THRESHOLD` a forced win (below: a loss)."""
    var depth_reached: Int
    """The deepest iteration that completed."""
    var nodes: Int
    """Positions visited, root included, over every iteration (the cut-short one too)."""
    var root_moves: Int
    """Root moves searched by the last completed iteration (all legal moves: no root pruning)."""
    var seconds: Float64
    var timed_out: Bool
    """Whether the clock stopped an iteration before `max_depth`."""


struct AlphaBetaSearch[E: PositionEvaluation](Movable):
    """One searcher: its transposition table persists between `search` calls."""

    var evaluation: Self.E
    var table: List[TableEntry]
    var table_mask: Int
    var seed: UInt64
    var nodes: Int
    var deadline_ns: Int
    var stopped: Bool
    var action_buffers: List[List[Int]]
    var key_buffers: List[List[Int]]

    def __init__(out self, var evaluation: Self.E, table_bits: Int = DEFAULT_TABLE_BITS):
        self.evaluation = evaluation^
        var size = 1 << table_bits
        self.table = List[TableEntry](capacity=size)
        for _ in range(size):
            self.table.append(TableEntry(0, -1, 0, -1, 0))
        self.table_mask = size - 1
        self.seed = 0
        self.nodes = 0
        self.deadline_ns = 0
        self.stopped = False
        self.action_buffers = List[List[Int]]()
        self.key_buffers = List[List[Int]]()

    def clear_table(mut self):
        """Forgets every stored position (a search is then independent of earlier ones)."""
        for index in range(len(self.table)):
            self.table[index] = TableEntry(0, -1, 0, -1, 0)

    def search(
        mut self, root: Self.E.GameType, max_depth: Int, seconds: Float64, seed: UInt64
    ) -> AlphaBetaResult:
        """Searches `root` (unfinished) to `max_depth` plies or `seconds` (<= 0: no limit).

        The table is cleared first, so the result depends only on the arguments.
        """
        var start = Int(perf_counter_ns())
        self.clear_table()
        self.seed = seed
        self.nodes = 0
        self.stopped = False
        self.deadline_ns = start + Int(seconds * 1e9) if seconds > 0 else 0
        while len(self.action_buffers) < max_depth + 2:
            self.action_buffers.append(List[Int]())
            self.key_buffers.append(List[Int]())
        var best_action = -1
        var best_score = 0
        var depth_reached = 0
        var root_moves = 0
        var timed_out = False
        for depth in range(1, max_depth + 1):
            var root_count = 0
            var outcome = self._root(root, depth, root_count)
            if self.stopped and depth > 1:
                timed_out = True
                break
            best_action = outcome[0]
            best_score = outcome[1]
            depth_reached = depth
            root_moves = root_count
            if self.stopped:
                timed_out = depth < max_depth
                break
            if best_score > WIN_THRESHOLD or best_score < -WIN_THRESHOLD:
                break  # a forced result: deeper search cannot change it
        var elapsed = Float64(Int(perf_counter_ns()) - start) / 1e9
        return AlphaBetaResult(best_action, best_score, depth_reached, self.nodes, root_moves, elapsed, timed_out)

    def _tie_key(self, action: Int) -> Int:
        """A seeded pseudo-random 20-bit key per action (the last tie-breaker)."""
        return Int(splitmix64_finalize(self.seed * 0x9E3779B97F4A7C15 + UInt64(action)) & 0xFFFFF)

    def _order(mut self, state: Self.E.GameType, ply: Int, table_action: Int):
        """Fills `action_buffers[ply]` with the legal actions, best-first."""
        state.legal_actions(self.action_buffers[ply])
        var count = len(self.action_buffers[ply])
        self.key_buffers[ply].clear()
        for index in range(count):
            var action = self.action_buffers[ply][index]
            var primary = 2047
            if action != table_action:
                primary = min(max(self.evaluation.order_key(state, action), 0), 1023)
            # primary (11 bits) | tie (20 bits) | action (17 bits, < 131072)
            self.key_buffers[ply].append((primary << 37) | (self._tie_key(action) << 17) | action)
        # Insertion sort, descending (keys are distinct: they contain the action).
        for i in range(1, count):
            var key = self.key_buffers[ply][i]
            var j = i - 1
            while j >= 0 and self.key_buffers[ply][j] < key:
                self.key_buffers[ply][j + 1] = self.key_buffers[ply][j]
                j -= 1
            self.key_buffers[ply][j + 1] = key
        for index in range(count):
            self.action_buffers[ply][index] = self.key_buffers[ply][index] & 0x1FFFF

    def _terminal_score(self, state: Self.E.GameType, ply: Int) -> Int:
        var winner = state.winner()
        if winner == DRAW:
            return 0
        return WIN_SCORE - ply if winner == state.to_move() else -(WIN_SCORE - ply)

    def _tick(mut self):
        self.nodes += 1
        if self.deadline_ns > 0 and self.nodes % TIME_CHECK_NODES == 0:
            if Int(perf_counter_ns()) >= self.deadline_ns:
                self.stopped = True

    def _root(mut self, root: Self.E.GameType, depth: Int, mut root_count: Int) -> Tuple[Int, Int]:
        """One iteration at the root: (best action, its score); sets `root_count`."""
        self.nodes += 1
        var entry = self.table[Int(root.hash()) & self.table_mask].copy()
        var table_action = Int(entry.action) if entry.key == root.hash() else -1
        self._order(root, 0, table_action)
        var alpha = -INFINITE_SCORE
        var best_action = self.action_buffers[0][0]
        for index in range(len(self.action_buffers[0])):
            var action = self.action_buffers[0][index]
            var child = root.copy()
            child.apply(action)
            var score = -self._negamax(child, depth - 1, 1, -INFINITE_SCORE, -alpha)
            if self.stopped and depth > 1:
                return (best_action, alpha)
            root_count += 1
            if score > alpha:
                alpha = score
                best_action = action
        self._store(root.hash(), best_action, alpha, depth, BOUND_EXACT, 0)
        return (best_action, alpha)

    def _negamax(mut self, state: Self.E.GameType, depth: Int, ply: Int, alpha_in: Int, beta: Int) -> Int:
        self._tick()
        if self.stopped and ply > 1:
            return 0
        if state.is_terminal():
            return self._terminal_score(state, ply)
        if depth <= 0:
            return self.evaluation.evaluate(state)
        var alpha = alpha_in
        var key = state.hash()
        var slot = Int(key) & self.table_mask
        var table_action = -1
        if self.table[slot].key == key:
            table_action = Int(self.table[slot].action)
            if Int(self.table[slot].depth) >= depth:
                var stored = _from_table(Int(self.table[slot].score), ply)
                var bound = Int(self.table[slot].bound)
                if bound == BOUND_EXACT:
                    return stored
                if bound == BOUND_LOWER and stored >= beta:
                    return stored
                if bound == BOUND_UPPER and stored <= alpha:
                    return stored
        self._order(state, ply, table_action)
        var best = -INFINITE_SCORE
        var best_action = -1
        for index in range(len(self.action_buffers[ply])):
            var action = self.action_buffers[ply][index]
            var child = state.copy()
            child.apply(action)
            var score = -self._negamax(child, depth - 1, ply + 1, -beta, -alpha)
            if self.stopped:
                return 0
            if score > best:
                best = score
                best_action = action
                if score > alpha:
                    alpha = score
                    if alpha >= beta:
                        break
        var bound = BOUND_EXACT
        if best <= alpha_in:
            bound = BOUND_UPPER
        elif best >= beta:
            bound = BOUND_LOWER
        self._store(key, best_action, best, depth, bound, ply)
        return best

    def _store(mut self, key: UInt64, action: Int, score: Int, depth: Int, bound: Int, ply: Int):
        self.table[Int(key) & self.table_mask] = TableEntry(
            key, Int32(action), Int32(_to_table(score, ply)), Int16(depth), Int8(bound)
        )


@always_inline
def _to_table(score: Int, ply: Int) -> Int:
    """A search score at `ply` as the table keeps it (win distances from this node)."""
    if score > WIN_THRESHOLD:
        return score + ply
    if score < -WIN_THRESHOLD:
        return score - ply
    return score


@always_inline
def _from_table(stored: Int, ply: Int) -> Int:
    if stored > WIN_THRESHOLD:
        return stored - ply
    if stored < -WIN_THRESHOLD:
        return stored + ply
    return stored
