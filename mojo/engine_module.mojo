"""Entry point of the `pyzero_engine` Python extension module (all Mojo code links here).

Registering a new game: import its struct and add one `register_game_state_type` line.
"""

from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder

from mojo.python_bindings import register_game_state_type
from mojo.search_bindings import register_search_types, register_search_functions
from mojo.selfplay_bindings import register_selfplay_type, register_selfplay_functions
from games.tictactoe import TicTacToe
from games.connect4 import Connect4
from games.tak import TakState


@export
def PyInit_pyzero_engine() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("pyzero_engine")
        register_game_state_type[TicTacToe](module, "TicTacToeState")
        register_game_state_type[Connect4](module, "Connect4State")
        register_game_state_type[TakState](module, "TakState")
        register_search_types[TicTacToe](module, "TicTacToeGumbelSearch", "TicTacToePuctSearch")
        register_search_types[Connect4](module, "Connect4GumbelSearch", "Connect4PuctSearch")
        register_search_types[TakState](module, "TakGumbelSearch", "TakPuctSearch")
        register_search_functions(module)
        register_selfplay_type[TicTacToe](module, "TicTacToeSelfPlay")
        register_selfplay_type[Connect4](module, "Connect4SelfPlay")
        register_selfplay_type[TakState](module, "TakSelfPlay")
        register_selfplay_functions(module)
        return module.finalize()
    except error:
        abort(String("error creating the pyzero_engine module: ", error))
