"""Zobrist keys as a pure function: no tables, no global state, identical in every thread.

A key is the splitmix64 finalizer of (domain, index). Games pick a distinct `domain` per
kind of feature (piece colour, side to move, reserves, ...) and an `index` within it, so
keys never collide by construction and need no initialisation. The finalizer is a
bijection on 64-bit words, so distinct (domain, index) pairs give distinct keys.
"""


@always_inline
def splitmix64_finalize(value: UInt64) -> UInt64:
    """The splitmix64 output mix (Steele, Lea, Flood 2014): a 64-bit bijection."""
    var z = value
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    return z ^ (z >> 31)


@always_inline
def zobrist_key(domain: Int, index: Int) -> UInt64:
    """The key of feature `index` in feature family `domain` (both non-negative, < 2**32)."""
    var packed = (UInt64(domain) << 32) | UInt64(index)
    return splitmix64_finalize(packed + 0x9E3779B97F4A7C15)
