"""Tak's Python face: the generic API plus TPS names (`game.from_tps`, `state.tps()`)."""

from __future__ import annotations

from pyzero.games.api import Game, State


class TakState(State):
    def tps(self) -> str:
        """The position as TPS (`x6/x6/x6/x6/x6/x6 1 1` for the empty 6x6 board)."""
        return self.position()


class TakGame(Game):
    state_class = TakState

    def from_tps(self, tps: str) -> TakState:
        """The position described by a TPS string; raises `PositionError` naming the problem."""
        return self.from_position(tps)
