"""The engine protocols pyzero serves: TEI (Tak Engine Interface) for Tak GUIs and
tournament runners, UCI for chess GUIs. (Programs pyzero plays against over the same
protocols are in `pyzero.engines`.)

- `pyzero.protocols.tei_server`: `pyzero tei CONFIG` speaks TEI on stdin/stdout, so Tak GUIs
  and tournament runners (racetrack, PTN Ninja) can play pyzero's network.
- `pyzero.protocols.uci_server`: `pyzero uci CONFIG`, the same machinery speaking UCI for chess.
- `pyzero.protocols.protocol`: the command loop and commands TEI shares with UCI.
- `pyzero.protocols.commands`: parsing the commands and formatting the answers (pure functions).
- `pyzero.protocols.served_players`: which network (or the alpha-beta yardstick) plays which
  Tak board size and komi; `search_job`: a search in the background that `stop` ends.

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
