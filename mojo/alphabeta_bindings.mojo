"""Exposes the alpha-beta yardstick (`mojo/search/alphabeta.mojo`) with Tak's evaluations
(`games/tak/evaluation.mojo`) to Python: `tak_alphabeta` and `tak_evaluation_terms`.

The search is generic over the game; only Tak has evaluations, so only Tak is exposed.
`evaluation` is 0 for the simple evaluation and 1 for the road evaluation.
"""

from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder
from std.python._cpython import GILReleased

from mojo.python_bindings import GameStateBox
from mojo.search.alphabeta import AlphaBetaSearch, AlphaBetaResult
from games.tak import TakState
from games.tak.evaluation import (
    ROAD_EVALUATION,
    SIMPLE_EVALUATION,
    TakEvaluationTerms,
    TakRoadEvaluation,
    TakRoadTerms,
    TakSimpleEvaluation,
    road_evaluation,
    road_evaluation_terms,
    simple_evaluation_terms,
)

comptime TABLE_BITS = 18


def _tak_state(state: PythonObject) raises -> TakState:
    return state.downcast_value_ptr[GameStateBox[TakState]]()[].states[0].copy()


def _evaluation_number(evaluation: PythonObject) raises -> Int:
    var number = Int(py=evaluation)
    if number != SIMPLE_EVALUATION and number != ROAD_EVALUATION:
        raise Error(String("unknown Tak evaluation ", number, " (0: simple, 1: road)"))
    return number


def py_tak_alphabeta(
    state: PythonObject,
    max_depth: PythonObject,
    seconds: PythonObject,
    seed: PythonObject,
    evaluation: PythonObject,
) raises -> PythonObject:
    """Searches a Tak state to `max_depth` plies or `seconds` (<= 0: no time limit) with
    the given seed and evaluation; returns {best_action, score, depth_reached, nodes,
    root_moves, seconds, timed_out}. The GIL is released while it searches."""
    var root = _tak_state(state)
    if root.is_terminal():
        raise Error("cannot search a finished game")
    var depth = Int(py=max_depth)
    if depth < 1:
        raise Error(String("alpha-beta depth must be at least 1, got ", depth))
    var limit = Float64(py=seconds)
    var seed_value = UInt64(Int(py=seed))
    var result: AlphaBetaResult
    if _evaluation_number(evaluation) == ROAD_EVALUATION:
        var search = AlphaBetaSearch[TakRoadEvaluation](TakRoadEvaluation(), TABLE_BITS)
        with GILReleased(Python()):
            result = search.search(root, depth, limit, seed_value)
    else:
        var search = AlphaBetaSearch[TakSimpleEvaluation](TakSimpleEvaluation(), TABLE_BITS)
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


def _road_terms_dict(terms: TakRoadTerms) raises -> PythonObject:
    var result = Python.dict()
    result["flats"] = PythonObject(terms.flats)
    result["centre"] = PythonObject(terms.centre)
    result["road_distance"] = PythonObject(terms.road_distance)
    result["road"] = PythonObject(terms.road)
    result["threats"] = PythonObject(terms.threats)
    result["stacks"] = PythonObject(terms.stacks)
    result["reserves"] = PythonObject(terms.reserves)
    result["capstone"] = PythonObject(terms.capstone)
    result["total"] = PythonObject(terms.total())
    return result


def py_tak_evaluation_terms(state: PythonObject, evaluation: PythonObject) raises -> PythonObject:
    """{"players": [terms of player 0, terms of player 1], "score": the evaluation for the
    side to move}; each player's terms as a dict (simple: flats, road, stacks, reserves,
    capstone, total; road: flats, centre, road_distance, road, threats, stacks, reserves,
    capstone, total)."""
    var position = _tak_state(state)
    var players = Python.list()
    var result = Python.dict()
    if _evaluation_number(evaluation) == ROAD_EVALUATION:
        players.append(_road_terms_dict(road_evaluation_terms(position, 0)))
        players.append(_road_terms_dict(road_evaluation_terms(position, 1)))
        result["score"] = PythonObject(road_evaluation(position))
    else:
        players.append(_terms_dict(simple_evaluation_terms(position, 0)))
        players.append(_terms_dict(simple_evaluation_terms(position, 1)))
        result["score"] = PythonObject(TakSimpleEvaluation().evaluate(position))
    result["players"] = players
    return result


def register_alphabeta_functions(mut module: PythonModuleBuilder) raises:
    module.def_function[py_tak_alphabeta]("tak_alphabeta")
    module.def_function[py_tak_evaluation_terms]("tak_evaluation_terms")
