"""A game being played or analysed: a tree of positions with a current node.

    session = GameSession(make("tictactoe"))
    session.play("b2"); session.play("a1")
    session.undo()            # back to the position after b2 ("a1" stays reachable)
    session.redo()            # forward again along the most recent branch
    session.goto(1)           # the position after ply 1 of the current line
    session.play("c3")        # a new branch beside "a1"; both stay in the tree

The *current line* runs from the root through the current node and on through each
node's `followed_child` (the branch most recently played, entered or redone there), so
`redo` and `goto` move along it and `history` shows it whole. Nothing here prints or
reads; the terminal (`pyzero.play.terminal`) does that. Plies are the states' own ply
counts, so a session loaded from a TPS at move 10 starts at ply 18, not 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyzero.games import Game, PositionCounts, State


# How the games with a repetition rule (chess) write a draw.
REPETITION_DRAW_RESULT = "1/2-1/2"


class SessionError(ValueError):
    """A navigation request that cannot be met (undo at the start, goto off the line)."""


@dataclass(eq=False)
class PositionNode:
    """One position of the tree: its state, the move that led here and the moves tried from here."""

    state: State
    move: str | None = None  # canonical notation of the move from the parent; None at the root
    parent: PositionNode | None = None
    children: list[PositionNode] = field(default_factory=list)
    followed_child: PositionNode | None = None  # the branch redo and goto follow

    @property
    def ply(self) -> int:
        return self.state.ply

    def child_with_move(self, move: str) -> PositionNode | None:
        for child in self.children:
            if child.move == move:
                return child
        return None

    def line_end(self) -> PositionNode:
        """The last node reached by following `followed_child` from here."""
        node = self
        while node.followed_child is not None:
            node = node.followed_child
        return node


class GameSession:
    """The tree of a game from a start position; see the module docstring."""

    def __init__(self, game: Game, start: State | None = None):
        self.game = game
        self.root = PositionNode((start or game.new()).copy())
        self.current = self.root

    # -- reading -------------------------------------------------------------------------
    @property
    def state(self) -> State:
        """The current position. Shared with the tree: copy it before changing it."""
        return self.current.state

    def path_to_current(self) -> list[PositionNode]:
        """The nodes from the root to the current one, root first."""
        path: list[PositionNode] = []
        node: PositionNode | None = self.current
        while node is not None:
            path.append(node)
            node = node.parent
        path.reverse()
        return path

    def line(self) -> list[PositionNode]:
        """The current line, root first: the path to the current node, then its followed branch."""
        path = self.path_to_current()
        node = self.current.followed_child
        while node is not None:
            path.append(node)
            node = node.followed_child
        return path

    def moves_to_current(self) -> list[str]:
        """The moves from the root to the current position."""
        return [node.move for node in self.path_to_current()[1:]]

    def line_moves(self) -> list[str]:
        """Every move of the current line, including those after the current position."""
        return [node.move for node in self.line()[1:]]

    def variations(self) -> list[PositionNode]:
        """The moves tried from the current position (children), in the order first played."""
        return list(self.current.children)

    def branch_points(self) -> list[PositionNode]:
        """The nodes of the current line where more than one move has been tried."""
        return [node for node in self.line() if len(node.children) > 1]

    def drawn_by_repetition(self, node: PositionNode | None = None) -> bool:
        """Whether the game ends at `node` (default: the current one) by the game's
        repetition rule (`State.repetitions_for_draw`: chess's threefold), counting its
        position along the path from the root. A state has no history; the tree does."""
        node = node or self.current
        if node.state.repetitions_for_draw() <= 0:
            return False
        path = []
        while node is not None:
            path.append(node)
            node = node.parent
        positions = PositionCounts(path[-1].state)  # the root
        repeated = False
        for later in reversed(path[:-1]):  # root to `node`: the last answer is `node`'s
            repeated = positions.add(later.state)
        return repeated

    def is_over(self, node: PositionNode | None = None) -> bool:
        """The game has ended at `node` (default: the current one): by the rules of the
        position, or by a repetition along the way there."""
        node = node or self.current
        return node.state.is_terminal() or self.drawn_by_repetition(node)

    def result(self, node: PositionNode | None = None) -> str | None:
        """The result at `node` in the game's notation, or None while the game goes on."""
        node = node or self.current
        if self.drawn_by_repetition(node) and not node.state.is_terminal():
            return REPETITION_DRAW_RESULT
        return node.state.result()

    def can_undo(self) -> bool:
        return self.current.parent is not None

    def can_redo(self) -> bool:
        return self.current.followed_child is not None

    # -- moving ------------------------------------------------------------------------
    def play(self, move: str) -> PositionNode:
        """Plays `move` (any accepted spelling) from the current position.

        A move already tried here is followed rather than duplicated; a new one becomes a
        new branch (the old ones stay). Either way it becomes the followed branch.
        Raises `IllegalMoveError` (with the engine's reason) and changes nothing."""
        action = self.state.move_to_action(move)
        canonical = self.state.action_to_move(action)
        child = self.current.child_with_move(canonical)
        if child is None:
            after = self.state.copy()
            after.apply_action(action)
            child = PositionNode(after, canonical, self.current)
            self.current.children.append(child)
        self.current.followed_child = child
        self.current = child
        return child

    def undo(self) -> str:
        """Steps back one ply; returns the move taken back. The branch stays for `redo`."""
        if self.current.parent is None:
            raise SessionError("nothing to undo: this is the start of the game")
        taken_back = self.current
        self.current = taken_back.parent
        self.current.followed_child = taken_back
        return taken_back.move

    def redo(self) -> str:
        """Steps forward one ply along the most recent branch; returns the move replayed."""
        if self.current.followed_child is None:
            raise SessionError("nothing to redo: no move has been played from this position")
        self.current = self.current.followed_child
        return self.current.move

    def goto(self, ply: int) -> PositionNode:
        """Moves to the position after ply `ply` of the current line (earlier or later)."""
        line = self.line()
        for node in line:
            if node.ply == ply:
                self.current = node
                return node
        raise SessionError(f"ply {ply} is not on the current line (plies {line[0].ply} to {line[-1].ply})")

    # -- starting over -------------------------------------------------------------------
    def restart(self, start: State | None = None) -> None:
        """Drops the tree and starts from `start` (default: the game's initial position)."""
        self.root = PositionNode((start or self.game.new()).copy())
        self.current = self.root

    def load_position(self, position: str) -> None:
        """Starts over from a position string (TPS for Tak); raises `PositionError`."""
        self.restart(self.game.from_position(position))

    def load_line(self, start: State, moves: list[str]) -> None:
        """Starts over from `start` and plays `moves`, ending at the last one.

        Raises `IllegalMoveError` from the first bad move, leaving the session as it was."""
        trial = GameSession(self.game, start)
        for move in moves:
            trial.play(move)
        self.root, self.current = trial.root, trial.current
