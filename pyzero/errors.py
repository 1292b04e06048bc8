"""The two families of errors a user can meet, so that every command reports them alike
(pyzero/cli/common.py maps them to exit codes, once):

- what the user gave is wrong (a config key, a position, a move, a PTN file, a player
  spec): a `ValueError` subclass whose message names the file, line, key or move; exit 2;
- the system failed (the Mojo compiler, a self-play thread, an external engine, the user
  aborting a run): a `PyzeroFailure`; exit 1.

Reading the text files a user names, with errors that say where: pyzero/text_files.py.

At the bottom of the layers: it imports nothing of the project.
"""

from __future__ import annotations


class PyzeroFailure(RuntimeError):
    """Something failed that the user's input did not cause; the message says what."""
