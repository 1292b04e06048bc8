"""Move-shaped policy layouts, checked against the games' own notation and input planes.

The layout (pyzero/games/policy_planes.py) is derived from the documented action index
formula; these tests hold it against what the engine itself says: every action on one
plane prints as the same kind of move (the same text once its square is taken out), every
action of one square prints that square, and that square is where the game's input planes
show a stone placed there. A planes head is then aligned with the trunk's feature maps.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from pyzero.config import load_config
from pyzero.games import make
from pyzero.games.policy_planes import policy_plane_layout
from pyzero.model import build_model

SQUARE = re.compile(r"[a-h][1-8]")


def layout_of(game):
    return policy_plane_layout(game.name, tuple(game.input_shape), game.num_actions)


@pytest.mark.parametrize("size", [3, 4, 5, 6, 7, 8])
def test_tak_layout_is_a_bijection_onto_its_planes(size):
    game = make("tak", size=size)
    layout = layout_of(game)
    assert layout.planes == 3 + 4 * ((1 << size) - 1)
    assert sorted(layout.index) == list(range(layout.planes * size * size))


@pytest.mark.parametrize("size", [3, 4, 5, 6])
def test_each_tak_plane_is_one_kind_of_move_and_each_square_one_square(size):
    game = make("tak", size=size)
    layout, area, state = layout_of(game), size * size, game.new()
    kind_of_plane: dict[int, str] = {}
    square_of_name: dict[str, int] = {}
    never_legal = (1 << size) - 2  # the pattern with no PTN form (games/tak/actions.mojo)
    for action in range(game.num_actions):
        if action >= 3 * area and (action - 3 * area) % ((1 << size) - 1) == never_legal:
            continue
        text = state.action_to_move(action)
        names = SQUARE.findall(text)
        assert len(names) == 1, text
        plane, square = divmod(layout.index[action], area)
        kind = SQUARE.sub("#", text)
        assert kind_of_plane.setdefault(plane, kind) == kind, (action, text)
        assert square_of_name.setdefault(names[0], square) == square, (action, text)
    assert len(set(kind_of_plane.values())) == len(kind_of_plane)  # distinct planes, distinct kinds
    assert len(square_of_name) == area and sorted(square_of_name.values()) == list(range(area))


@pytest.mark.parametrize("game_name, options, after, piece_planes",
                         [("tak", {"size": 5}, ["a1", "e5"], 6), ("tictactoe", {}, [], 2)])
def test_a_placement_lies_where_the_input_planes_show_its_stone(game_name, options, after, piece_planes):
    """`piece_planes`: the leading input planes that mark a square's pieces (Tak: the top
    stone's owner and kind; TicTacToe: each side's marks)."""
    game = make(game_name, **options)
    layout, (_, height, width) = layout_of(game), game.input_shape
    area = height * width
    opening = game.play_moves(after) if after else game.new()
    occupied = lambda state: set(np.flatnonzero(state.encode().reshape(-1, area)[:piece_planes].any(axis=0)))
    checked = 0
    for action in opening.legal_actions():
        if layout.index[action] // area != 0:
            continue  # flat placements only (plane 0)
        state = opening.copy()
        state.apply_action(int(action))
        assert occupied(state) - occupied(opening) == {layout.index[action] % area}, state.action_to_move(int(action))
        checked += 1
    assert checked == area - len(after)


def test_games_without_square_shaped_moves_have_no_layout_and_refuse_the_planes_head(tmp_path):
    game = make("connect4")
    assert layout_of(game) is None
    config = load_config("configs/connect4.yaml", {"run_dir": str(tmp_path), "network.policy_head": "planes"})
    with pytest.raises(ValueError, match="dense policy head"):
        build_model(config, game)


def test_the_planes_head_reads_each_action_at_its_plane_and_square(tmp_path):
    config = load_config("configs/tak5.yaml", {"run_dir": str(tmp_path), "network.policy_head": "planes"})
    game = make("tak", size=5, komi=config.game.options.get("komi", 0))
    model = build_model(config, game).eval()
    head = model.policy_head
    with torch.no_grad():
        head.action_bias.copy_(torch.randn_like(head.action_bias))
        planes = torch.from_numpy(np.stack([game.play_moves(["a1", "e5", "c3"]).encode(), game.new().encode()]))
        logits, _ = model(planes)
        maps = head.planes(torch.relu(head.norm(head.conv(model.blocks(model.stem(planes))))))
    layout = layout_of(game)
    for action in (0, 24, 75, 3 * 25, game.num_actions - 1):
        plane, square = divmod(layout.index[action], 25)
        expected = maps[:, plane, square // 5, square % 5] + head.action_bias[action]
        torch.testing.assert_close(logits[:, action], expected)
    dense = build_model(load_config("configs/tak5.yaml", {"run_dir": str(tmp_path), "network.policy_head": "dense"}),
                        game)
    count = lambda module: sum(parameter.numel() for parameter in module.parameters())
    assert count(model.policy_head) * 20 < count(dense.policy_head)
