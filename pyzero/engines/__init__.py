"""External engines: programs pyzero plays against, over TEI (Tak: tiltak, Topaz,
Taktician, pyzero itself) and UCI (chess: Stockfish), as arena players.

- `pyzero.engines.tei`: `TeiEngine` starts a TEI program and plays it (`name`,
  `choose(state, rng)`), with deadlines and clear errors when it misbehaves.
- `pyzero.engines.uci`: `UciEngine`, the same for UCI programs.
"""
