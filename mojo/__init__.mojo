"""The game-independent engine: the game trait, perft, search, batching, cache."""
