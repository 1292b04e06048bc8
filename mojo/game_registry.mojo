"""One registration per game: `register_game[G, prefix](module)` exposes everything of `G`.

For a game struct `G` and a type-name prefix such as `"Tak"`, it registers the Python
types `<prefix>State` (the state, `mojo/python_bindings.mojo`), `<prefix>GumbelSearch`
and `<prefix>PuctSearch` (`mojo/search_bindings.mojo`) and `<prefix>SelfPlay`
(`mojo/selfplay_bindings.mojo`), and records the game in the module's registry under
the name its initial state's `name()` returns. Python reads that registry with
`registered_games()` ({game name: state type name}, in registration order), so a game's
name and type names are written nowhere else; `pyzero/games/__init__.py` and the
config's `game.name` check are built on it, and `pyzero/search.py` and
`pyzero/selfplay.py` find the other types by the suffixes above.
"""

from std.ffi import get_static_string
from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder

from mojo.game import Game, GameOptions
from mojo.python_bindings import register_game_state_type
from mojo.search_bindings import register_search_types
from mojo.graph_search_bindings import register_graph_search_type
from mojo.selfplay_bindings import register_selfplay_type

# The module attribute holding {game name: state type name}; read through `registered_games`.
comptime REGISTRY_ATTRIBUTE = "_game_registry"


def start_game_registry(mut module: PythonModuleBuilder) raises:
    """Gives the module an empty registry and the function `registered_games()` to read it."""
    module.module.__setattr__(REGISTRY_ATTRIBUTE, Python.dict())
    module.def_py_function[py_registered_games](
        "registered_games",
        "{game name: state type name} of every registered game, in registration order.",
    )


def register_game[G: Game, prefix: StaticString](mut module: PythonModuleBuilder) raises:
    """Registers the state, search and self-play types of `G` and records its name.

    Raises when another registered game has the same name (the module then fails to load).
    """
    comptime state_type_name = get_static_string[prefix, "State"]()
    var options = GameOptions()
    var name = G.create(options).name()
    var registry = module.module.__getattr__(REGISTRY_ATTRIBUTE)
    if name in registry:
        raise Error(
            String("game '", name, "' registered twice (", registry[name], " and ", state_type_name, ")")
        )
    register_game_state_type[G](module, state_type_name)
    register_search_types[G](
        module, get_static_string[prefix, "GumbelSearch"](), get_static_string[prefix, "PuctSearch"]()
    )
    register_graph_search_type[G](module, get_static_string[prefix, "GraphSearch"]())
    register_selfplay_type[G](module, get_static_string[prefix, "SelfPlay"]())
    registry[PythonObject(name)] = PythonObject(state_type_name)


def py_registered_games(mut py_module: PythonObject, mut args: PythonObject) raises -> PythonObject:
    """A copy of the registry (a module-level function: CPython passes the module as self)."""
    if len(args) != 0:
        raise Error("registered_games() takes no arguments")
    return py_module.__getattr__(REGISTRY_ATTRIBUTE).__getattr__("copy")()
