"""Playing against the engine in a terminal (`pyzero play`).

The pieces, each with one job:

- `session`: the game as a tree of positions with a current node (undo, redo, goto,
  branches); pure, no terminal.
- `game_record`: saving and loading a line of play (PTN for Tak, a move list otherwise),
  written atomically.
- `board_view`: rich renderables for boards, history, variations and analysis.
- `opponent`: building the engine from a config or a bare game name.
- `terminal`: the read-eval-print loop that ties them together; input comes from a
  function, so tests can drive it.
"""
