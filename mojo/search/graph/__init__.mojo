"""Monte-Carlo graph search: positions are nodes (one per 64-bit key), moves are edges.

- `node_table.mojo`: the hash table from a position's key to its node.
- `graph.mojo`: nodes and edges in flat struct-of-arrays buffers.
- `value_update.mojo`: the idempotent value of a node from its edges (KataGo's rule).
- `repetition.mojo`: the keys a playout has seen (game history plus its own path).
- `playout_batch.mojo`: one batch of playouts (paths, requests, answers), per thread.
- `puct_graph.mojo`: the search: PUCT selection, playouts with catch-up, batching and backup.
- `root_halving.mojo`: anytime sequential halving at the root (option `root: halving`).
- `gumbel_interior.mojo`: Gumbel's deterministic rule below the root (option `interior: gumbel`).
- `threads.mojo`: many threads on one graph (a lock for the graph, evaluations outside it).

The graph search knows no game and no network: it is generic over `Game` and asks for
evaluations of leaf batches exactly like the tree searches do.
"""
