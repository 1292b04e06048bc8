"""Exposes the alpha-beta yardstick (`mojo/search/alphabeta.mojo`) with Tak's evaluation
(`games/tak/evaluation.mojo`) to Python: `tak_alphabeta` and `tak_evaluation_terms`.

The search is generic over the game; only Tak has an evaluation, so only Tak is exposed.
"""

from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder
from std.python._cpython import GILReleased

from mojo.python_bindings import GameStateBox
from mojo.search.alphabeta import AlphaBetaSearch, AlphaBetaResult
from games.tak import TakState
from games.tak.evaluation import TakEvaluation, TakEvaluationTerms, evaluation_terms

comptime TABLE_BITS = 18


def _tak_state(state: PythonObject) raises -> TakState:
    return state.downcast_value_ptr[GameStateBox[TakState]]()[].states[0].copy()


def py_tak_alphabeta(
    state: PythonObject, max_depth: PythonObject, seconds: PythonObject, seed: PythonObject
) raises -> PythonObject:
    """Searches a Tak state to `max_depth` plies or `seconds` (<= 0: no time limit) with
    the given seed; returns {best_action, score, depth_reached, nodes, root_moves,
    seconds, timed_out}. The GIL is released while it searches."""
    var root = _tak_state(state)
    if root.is_terminal():
        raise Error("cannot search a finished game")
    var depth = Int(py=max_depth)
    if depth < 1:
        raise Error(String("alpha-beta depth must be at least 1, got ", depth))
    var limit = Float64(py=seconds)
    var seed_value = UInt64(Int(py=seed))
    var search = AlphaBetaSearch[TakEvaluation](TakEvaluation(), TABLE_BITS)
    var result: AlphaBetaResult
    with GILReleased(Python()):
        result = search.search(root, depth, limit, seed_value)
    var answer = Python.dict()
    answer["best_action"] = PythonObject(result.best_action)
    answer["score"] = PythonObject(result.score)
    answer["depth_reached"] = PythonObject(result.depth_reached)
    answer["nodes"] = PythonObject(result.nodes)
    answer["root_moves"] = PythonObject(result.root_moves)
    answer["seconds"] = PythonObject(result.seconds)
    answer["timed_out"] = PythonObject(result.timed_out)
    return answer


def _terms_dict(terms: TakEvaluationTerms) raises -> PythonObject:
    var result = Python.dict()
    result["flats"] = PythonObject(terms.flats)
    result["road"] = PythonObject(terms.road)
    result["stacks"] = PythonObject(terms.stacks)
    result["reserves"] = PythonObject(terms.reserves)
    result["capstone"] = PythonObject(terms.capstone)
    result["total"] = PythonObject(terms.total())
    return result


def py_tak_evaluation_terms(state: PythonObject) raises -> PythonObject:
    """{"players": [terms of player 0, terms of player 1], "score": the evaluation for the
    side to move}; each player's terms as a dict (flats, road, stacks, reserves, capstone,
    total)."""
    var position = _tak_state(state)
    var players = Python.list()
    players.append(_terms_dict(evaluation_terms(position, 0)))
    players.append(_terms_dict(evaluation_terms(position, 1)))
    var result = Python.dict()
    result["players"] = players
    result["score"] = PythonObject(TakEvaluation().evaluate(position))
    return result


def register_alphabeta_functions(mut module: PythonModuleBuilder) raises:
    module.def_function[py_tak_alphabeta]("tak_alphabeta")
    module.def_function[py_tak_evaluation_terms]("tak_evaluation_terms")
