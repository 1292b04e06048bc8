"""The evaluation cache: network outputs keyed by a position's Zobrist hash, shared by threads."""
