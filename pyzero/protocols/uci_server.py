"""`pyzero uci CONFIG`: a chess network as a UCI engine on stdin/stdout.

UCI is TEI's parent protocol, so this server is the TEI server's machinery
(`pyzero.protocols.protocol`: the command loop, error lines, `isready`, `go` with its time
management and search thread, `info` and `bestmove`, `stop`, `quit`) with UCI's own
handshake, new-game and position commands:

    > uci                                 < id name pyzero 0.1.0 (step-12000)
                                          < id author the pyzero authors
                                          < uciok
    > ucinewgame
    > isready                             < readyok
    > position startpos moves e2e4 e7e5
    > go wtime 60000 btime 60000 winc 1000 binc 1000
                                          < info depth 1 seldepth 1 nodes 96 score cp 3 time 410 nps 234 pv g1f3
                                          < bestmove g1f3
    > quit

Commands: `uci`, `isready`, `setoption` (Threads, Hash, MultiPV, Network:
`pyzero.protocols.engine_options`; any other name is an error line), `ucinewgame`, `position startpos|fen <FEN> [moves ...]` (moves in UCI; SAN
is accepted too), `go [wtime W btime B winc I binc J movestogo M] [movetime T] [nodes N]
[infinite]` (`depth` is accepted and ignored), `stop`, `quit`.

Draws: `go` answers `bestmove (none)` only where the game ended without a claim
(checkmate, stalemate, insufficient material, the seventy-five-move rule, fivefold
repetition). The fifty-move rule and threefold repetition are draws a player may claim,
and claims are the GUI's: the engine plays on through them, and `position` accepts move
lists of any length (see `pyzero.protocols.chess_draws` for how a clock of 100 or more reaches
the search).

`info` reports nodes as search simulations and `score cp` as 100 x the search's value
of the chosen move (value in [-1, 1] from the side to move's view, so +100 is a sure win
and -100 a sure loss): a linear mapping, the same as TEI's, not a pawn-unit estimate.
"""

from __future__ import annotations

from typing import Callable, TextIO

from pyzero import __version__
from pyzero.games import PositionError, State
from pyzero.networks import choose_network
from pyzero.players.network_player import NetworkPlayer
from pyzero.players.time_manager import DEFAULT_SETTINGS, TimeManagerSettings
from pyzero.protocols.chess_draws import (automatic_draw_reason, fen_with_halfmove_clock,
                                    play_moves_through_claimable_draws)
from pyzero.protocols.commands import PlayedPosition, TeiCommandError, parse_position, parse_set_option
from pyzero.protocols.engine_options import ENGINE_OPTIONS
from pyzero.protocols.protocol import ENGINE_AUTHOR, ProtocolServer, announced_writer, network_loader_for, protocol_input

CHESS_BOARD_SIZE = 8


class UciServer(ProtocolServer):
    """The UCI protocol state of one engine process; `handle` takes one command line."""

    def __init__(self, native_engine: NetworkPlayer, emit: Callable[[str], None],
                 time_settings: TimeManagerSettings = DEFAULT_SETTINGS,
                 network_loader: Callable[[str], NetworkPlayer] | None = None):
        super().__init__(emit, time_settings, network_loader)
        self.native_engine = native_engine
        self.engine = native_engine
        self.halfmove_clock = 0  # the position's half-move clock as the GUI sent it (see chess_draws)
        self.commands = {"uci": self._uci, "isready": self._isready, "setoption": self._setoption,
                         "ucinewgame": self._ucinewgame, "position": self._position, "go": self._go,
                         "stop": self._stop}

    def _board_size(self) -> int:
        return CHESS_BOARD_SIZE

    def _option_engine(self) -> NetworkPlayer:
        return self.engine

    def _use_network(self, engine: NetworkPlayer | None) -> None:
        self.engine = engine or self.native_engine

    def _uci(self, arguments: list[str]) -> None:
        self.emit(f"id name pyzero {__version__} ({self.engine.name})")
        self.emit(f"id author {ENGINE_AUTHOR}")
        for line in self._engine_option_lines():
            self.emit(line)
        self.emit("uciok")

    def _setoption(self, arguments: list[str]) -> None:
        request = parse_set_option(arguments)
        if not self._set_engine_option(request.name, request.value):
            raise TeiCommandError(f"setoption: unknown option {request.name!r} (known: "
                                  f"{', '.join(option.name for option in ENGINE_OPTIONS)})")

    def _ucinewgame(self, arguments: list[str]) -> None:
        self.position = None
        self.position_error = "no 'position' command since 'ucinewgame'"

    def _parse_position(self, arguments: list[str]) -> PlayedPosition:
        request = parse_position(arguments, notation="fen")
        game = self.engine.game
        if request.start_tps is None:
            state = game.new()
        else:
            try:
                state = game.from_position(request.start_tps)
            except PositionError as error:
                raise TeiCommandError(f"position fen: {error}") from None
        played, self.halfmove_clock = play_moves_through_claimable_draws(state, request.moves)
        return played

    def _searchable_position(self) -> tuple[State, NetworkPlayer]:
        """The position `go` searches, unless the game is over without a claim: no legal
        move, a dead position, or a draw FIDE applies by itself (chess_draws); the
        claimable draws (fifty moves, threefold repetition) are played on."""
        if self.position is None:
            raise TeiCommandError(f"go: no position to search ({self.position_error})")
        reported = fen_with_halfmove_clock(self.position.position(), self.halfmove_clock)
        if self.position.is_terminal():
            raise TeiCommandError(f"go: the game is over ({self.position.result()}) in {reported!r}")
        automatic_draw = automatic_draw_reason(self.halfmove_clock, self.position_history, self.position.hash())
        if automatic_draw is not None:
            raise TeiCommandError(f"go: the game is over (1/2-1/2, {automatic_draw}) in {reported!r}")
        return self.position, self.engine


def run_uci_server(config, checkpoint=None, input_stream: TextIO | None = None,
                   output_stream: TextIO | None = None, log_stream: TextIO | None = None) -> bool:
    """Loads the config's engine (latest or given checkpoint) and serves UCI until `quit`;
    True when a search was still running at the end (see `ProtocolServer.serve`)."""
    native = NetworkPlayer.from_choice(choose_network(config, checkpoint))
    emit = announced_writer("uci", native, output_stream, log_stream)
    return UciServer(native, emit, network_loader=network_loader_for(config, native)).serve(
        input_stream or protocol_input())
