"""`UciEngine`: an external UCI chess engine (Stockfish, `pyzero uci` ...) as a player.

    with UciEngine(["stockfish"], options={"Skill Level": "0"}, movetime_ms=100) as engine:
        move = engine.choose(state, rng)       # a legal UCI move for a pyzero chess state

The `TeiEngine` client with UCI's words: the handshake is `uci` ... `uciok`, then each
of `options` is sent as `setoption name NAME value VALUE` (an option the engine does not
offer is an error naming the ones it does), then `isready`. A game starts with
`ucinewgame` and `isready`; every move is `position fen <FEN>` and `go movetime M` (or
`go nodes N`), read until `bestmove`. The engine sees positions, not the game's moves,
so it cannot know about repetitions. Deadlines and errors are `TeiEngine`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pyzero.games import State
from pyzero.engines.tei import TeiEngine, TeiEngineError


class UciEngine(TeiEngine):
    """An external UCI engine process playing chess through `choose(state, rng)`."""

    PROTOCOL = "uci"
    HANDSHAKE_DONE = "uciok"

    def __init__(self, command: Sequence[str | Path], options: dict[str, str] | None = None, **settings):
        self.requested_options = dict(options or {})  # read by the handshake, inside TeiEngine.__init__
        super().__init__(command, **settings)

    def _handshake(self, timeout_s: float) -> None:
        super()._handshake(timeout_s)
        for name, value in self.requested_options.items():
            if name not in self.identity.options:
                offered = ", ".join(repr(option) for option in self.identity.options) or "none"
                raise TeiEngineError(f"{self.identity.name or self.command[0]} has no option {name!r} "
                                     f"(it offers: {offered})")
            self.send(f"setoption name {name} value {value}")
        if self.requested_options:
            self.wait_until_ready()

    def _send_position(self, state: State) -> str:
        """`position fen ...` for a chess state (`ucinewgame` first when the ply went
        back); returns the FEN. Moves are read in UCI (`TeiEngine.choose`)."""
        if state.game.name != "chess":
            raise ValueError(f"UCI engines play chess, not {state.game.name}")
        if state.is_terminal():
            raise ValueError(f"the game is over ({state.result()}): there is no move to choose")
        if self._game is None or state.ply <= self._last_ply:
            self.new_game()
        self._last_ply = state.ply
        fen = state.position()
        self.send(f"position fen {fen}")
        return fen

    def new_game(self, *unused) -> None:
        """`ucinewgame`, then `isready`."""
        self.send("ucinewgame")
        self.wait_until_ready()
        self._game, self._last_ply = (8, 0), -1
