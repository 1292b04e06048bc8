"""A hash table from a position's 64-bit key to its node index (open addressing).

Linear probing over a power-of-two array of (key, node) slots; a slot is empty when its
node is `EMPTY_SLOT`, so every key, 0 included, can be stored. The table doubles (and
rehashes) when it is half full, so a probe sequence stays short. Entries are never
removed one by one: `clear` empties the table (a new game, or a rebuild after compaction).
"""

from mojo.zobrist import splitmix64_finalize

comptime EMPTY_SLOT: Int32 = -1
comptime MINIMUM_SLOTS = 64


struct KeyToNodeTable(Movable):
    var keys: List[UInt64]
    var nodes: List[Int32]  # EMPTY_SLOT or a node index
    var count: Int

    def __init__(out self, expected_entries: Int = 1024):
        var slots = MINIMUM_SLOTS
        while slots < 2 * expected_entries:
            slots *= 2
        self.keys = List[UInt64](length=slots, fill=0)
        self.nodes = List[Int32](length=slots, fill=EMPTY_SLOT)
        self.count = 0

    def clear(mut self):
        for slot in range(len(self.nodes)):
            self.nodes[slot] = EMPTY_SLOT
        self.count = 0

    @always_inline
    def _first_slot(self, key: UInt64) -> Int:
        # Keys are Zobrist hashes already; mixing again spreads salted or structured keys.
        return Int(splitmix64_finalize(key) & UInt64(len(self.keys) - 1))

    def find(self, key: UInt64) -> Int:
        """The node stored under `key`, or -1."""
        var mask = len(self.keys) - 1
        var slot = self._first_slot(key)
        while self.nodes[slot] != EMPTY_SLOT:
            if self.keys[slot] == key:
                return Int(self.nodes[slot])
            slot = (slot + 1) & mask
        return -1

    def insert(mut self, key: UInt64, node: Int):
        """Stores `node` under `key` (the key must not be in the table yet)."""
        if 2 * (self.count + 1) > len(self.keys):
            self._grow()
        self._place(key, node)
        self.count += 1

    def _place(mut self, key: UInt64, node: Int):
        var mask = len(self.keys) - 1
        var slot = self._first_slot(key)
        while self.nodes[slot] != EMPTY_SLOT:
            slot = (slot + 1) & mask
        self.keys[slot] = key
        self.nodes[slot] = Int32(node)

    def _grow(mut self):
        var old_keys = self.keys^
        var old_nodes = self.nodes^
        self.keys = List[UInt64](length=2 * len(old_keys), fill=0)
        self.nodes = List[Int32](length=2 * len(old_nodes), fill=EMPTY_SLOT)
        for slot in range(len(old_nodes)):
            if old_nodes[slot] != EMPTY_SLOT:
                self._place(old_keys[slot], Int(old_nodes[slot]))
