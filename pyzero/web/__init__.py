"""The web interface (`pyzero serve`): play and analyse in the browser.

The pieces, each with one job:

- `protocol`: the messages a page may send, validated (size, JSON, fields, ranges).
- `engines`: what is served: the run's config and checkpoints, the games offered, the
  engines built for them (shared by the tabs, one search at a time each).
- `boards`: boards as JSON for the page, read from the engine's position strings.
- `analysis`: a search on a thread that publishes its top moves after every round.
- `run_watch`: a run's training curves and latest self-play games, from its directory.
- `tab_session`: one tab's game (the position tree of `pyzero play`) and its replies.
- `app`: the Starlette application: the page, static files, one websocket per tab.
- `static/`: the page itself (plain HTML, CSS and JavaScript; no build step).
"""
