"""TEI (Tak Engine Interface), the UCI-like text protocol of Tak engines, both ways.

- `pyzero.tei.server`: `pyzero tei CONFIG` speaks TEI on stdin/stdout, so Tak GUIs and
  tournament runners (racetrack, PTN Ninja) can play pyzero's network.
- `pyzero.tei.client`: `TeiEngine` starts any TEI engine (tiltak, topaz, pyzero itself)
  and plays it as an arena player (`name`, `choose(state, rng)`).
- `pyzero.tei.commands`: parsing the commands and formatting the answers (pure functions).
- `pyzero.tei.protocol`: the command loop and commands TEI shares with UCI;
  `pyzero.tei.uci_server`: `pyzero uci CONFIG`, the same machinery speaking UCI for chess.

The dialogue, GUI lines first (`>`), engine answers after (`<`):

    > tei                                 < id name pyzero 0.1.0 (step-12000)
                                          < id author ...
                                          < option name HalfKomi type spin default 4 min 4 max 4
                                          < teiok
    > setoption name HalfKomi value 4
    > teinewgame 6
    > isready                             < readyok
    > position startpos moves a1 f6
    > go wtime 60000 btime 60000 winc 1000 binc 1000
                                          < info depth 1 nodes 812 score cp 7 time 1400 nps 580 pv d4
                                          < bestmove d4
    > quit

Moves are PTN, positions TPS; times are milliseconds.
"""
