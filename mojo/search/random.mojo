"""A small, fast, seedable random generator (splitmix64), one per search or worker."""

from std.math import log

from mojo.zobrist import splitmix64_finalize


struct SplitMix64(Copyable, Movable):
    """Steele, Lea and Flood's splitmix64: passes BigCrush, 64 bits of state, trivially seedable."""

    var state: UInt64

    def __init__(out self, seed: UInt64):
        self.state = seed

    def next_u64(mut self) -> UInt64:
        self.state += 0x9E3779B97F4A7C15
        return splitmix64_finalize(self.state)

    def next_below(mut self, bound: Int) -> Int:
        """Uniform integer in [0, bound) (the modulo bias is below 2**-50 for game-sized bounds)."""
        return Int(self.next_u64() % UInt64(bound))

    def next_unit_open(mut self) -> Float64:
        """Uniform float in the open interval (0, 1)."""
        return (Float64(self.next_u64() >> 11) + 0.5) * (1.0 / 9007199254740992.0)

    def next_gumbel(mut self) -> Float32:
        """A standard Gumbel(0, 1) sample: -log(-log(U))."""
        return Float32(-log(-log(self.next_unit_open())))
