"""The positions a playout has seen: the game's history before the root plus its own path.

A playout that reaches a key already in this list has repeated a position. The search
scores that playout with the configured repetition value (0: a draw) on the edge that
led there; the repeated node's own value is left alone, since a repetition depends on the
path and the node is shared by every path to it.

The list is scanned linearly: paths are short, and the game's history only grows by one
key a move (a set of recent keys is the next step if long histories show in profiles).
"""


struct PlayoutKeys(Movable):
    var history: List[UInt64]  # the game's positions before the root (oldest first)
    var path: List[UInt64]  # the root and every position this playout has entered

    def __init__(out self):
        self.history = List[UInt64]()
        self.path = List[UInt64]()

    def start_playout(mut self, root_key: UInt64):
        self.path.clear()
        self.path.append(root_key)

    def enter(mut self, key: UInt64):
        self.path.append(key)

    def seen(self, key: UInt64) -> Bool:
        """Whether `key` is on the playout's path or in the game's history."""
        for index in range(len(self.path)):
            if self.path[index] == key:
                return True
        for index in range(len(self.history)):
            if self.history[index] == key:
                return True
        return False
