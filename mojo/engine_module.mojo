"""Entry point of the `pyzero_engine` Python extension module (all Mojo code links here).

Registering a new game: import its struct and add one `register_game` line (see
`mojo/game_registry.mojo`); Python learns of it through `registered_games()`.
"""

from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder

from mojo.game_registry import start_game_registry, register_game
from mojo.search_bindings import register_search_functions
from mojo.graph_search_bindings import register_graph_search_functions
from mojo.selfplay_bindings import register_selfplay_functions
from mojo.alphabeta_bindings import register_alphabeta_functions
from games.tictactoe import TicTacToe
from games.connect4 import Connect4
from games.tak import TakState
from games.chess import ChessState


@export
def PyInit_pyzero_engine() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("pyzero_engine")
        start_game_registry(module)
        register_game[TicTacToe, "TicTacToe"](module)
        register_game[Connect4, "Connect4"](module)
        register_game[TakState, "Tak"](module)
        register_game[ChessState, "Chess"](module)
        register_search_functions(module)
        register_graph_search_functions(module)
        register_selfplay_functions(module)
        register_alphabeta_functions(module)
        return module.finalize()
    except error:
        abort(String("error creating the pyzero_engine module: ", error))
