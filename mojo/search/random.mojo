"""A small, fast, seedable random generator (splitmix64), one per search or worker."""

from std.math import log, sqrt, cos, pow

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


def standard_normal(mut rng: SplitMix64) -> Float64:
    """A standard normal sample (Box-Muller)."""
    var radius = sqrt(-2.0 * log(rng.next_unit_open()))
    return radius * cos(6.283185307179586 * rng.next_unit_open())


def gamma_sample(mut rng: SplitMix64, shape: Float64) -> Float64:
    """A Gamma(shape, 1) sample (Marsaglia and Tsang 2000; shape < 1 by boosting)."""
    if shape < 1.0:
        return gamma_sample(rng, shape + 1.0) * pow(rng.next_unit_open(), 1.0 / shape)
    var d = shape - 1.0 / 3.0
    var c = 1.0 / sqrt(9.0 * d)
    while True:
        var x = standard_normal(rng)
        var v = 1.0 + c * x
        if v <= 0:
            continue
        v = v * v * v
        var u = rng.next_unit_open()
        if log(u) < 0.5 * x * x + d - d * v + d * log(v):
            return d * v


def dirichlet_sample(mut rng: SplitMix64, alpha: Float64, count: Int) -> List[Float32]:
    """A sample of the symmetric Dirichlet(alpha) distribution over `count` outcomes."""
    var draws = List[Float32](capacity=count)
    var total: Float64 = 0
    for _ in range(count):
        var draw = gamma_sample(rng, alpha)
        draws.append(Float32(draw))
        total += draw
    for index in range(count):
        draws[index] = Float32(Float64(draws[index]) / total) if total > 0 else Float32(1.0 / Float64(count))
    return draws^
