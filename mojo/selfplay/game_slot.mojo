"""One game's state in the pipeline: its search tree, its moves so far, and the record
handed to Python when it ends (`FinishedGame`, with its start position and movers); the
seeds its searches and its random opening are drawn with."""

from mojo.game import Game, DRAW
from mojo.search.gumbel import GumbelSearch, GumbelConfig
from mojo.search.random import SplitMix64


struct FinishedGame(Copyable, Movable):
    """A finished game as it is handed to Python: where it started, moves, targets, root
    values, outcome. `actions` are played from `start_position` (the opening the game was
    given, before any random opening plies), so a replay needs no assumption about it."""

    var game_id: Int
    var winner: Int  # 0, 1 or DRAW
    var opening_plies: Int  # leading actions played at random (no search, no policy target)
    var start_position: String  # the start in the game's position notation (`Game.position`)
    var start_ply: Int  # the start's `ply()`: the ply the first action is played at
    var movers: List[Int8]  # per action: the side to move where it was played (0 or 1)
    var actions: List[Int32]
    var root_values: List[Float32]  # search value of the root, for the side to move
    var policy_counts: List[Int32]  # legal actions per ply (entries in the arrays below)
    var policy_actions: List[Int32]
    var policy_targets: List[Float16]  # the improved policy, over the legal actions

    def __init__(out self):
        self.game_id = -1
        self.winner = DRAW
        self.opening_plies = 0
        self.start_position = String()
        self.start_ply = 0
        self.movers = List[Int8]()
        self.actions = List[Int32]()
        self.root_values = List[Float32]()
        self.policy_counts = List[Int32]()
        self.policy_actions = List[Int32]()
        self.policy_targets = List[Float16]()


struct GameSlot[G: Game](Movable):
    var search: GumbelSearch[Self.G]
    var record: FinishedGame
    var searching: Bool  # a search has been started at the current root
    var full_search: Bool  # the current search is a full one (its policy is a target)
    var outstanding: Int  # requests of the current batch awaiting results
    var unsent: List[Int]  # requests of the current batch not yet placed in a buffer
    # `hash()` of every position of the game after its opening, for the game's repetition
    # rule (`Game.repetitions_for_draw`); kept only for games that have one.
    var position_keys: List[UInt64]

    def __init__(out self, var root: Self.G, config: GumbelConfig):
        self.search = GumbelSearch[Self.G](root^, config)
        self.record = FinishedGame()
        self.searching = False
        self.full_search = True
        self.outstanding = 0
        self.unsent = List[Int]()
        self.position_keys = List[UInt64]()

    def start_game(mut self, game_id: Int, var root: Self.G, random_opening_plies: Int, run_seed: Int):
        """Starts game `game_id` from `root` (after a random opening of up to
        `random_opening_plies` plies, when that is above 0), with a fresh record."""
        self.record = FinishedGame()
        self.record.game_id = game_id
        self.record.start_position = root.position()
        self.record.start_ply = root.ply()
        if random_opening_plies > 0:
            play_random_opening(root, self.record, opening_seed(run_seed, self.record.game_id), random_opening_plies)
        self.position_keys.clear()
        if root.repetitions_for_draw() > 0:
            self.position_keys.append(root.hash())
        self.search.set_root(root^)
        self.searching = False
        self.outstanding = 0
        self.unsent.clear()

    def repeated_for_draw(mut self, position_key: UInt64, repetitions_for_draw: Int) -> Bool:
        """Records the position just reached; True when it has now occurred
        `repetitions_for_draw` times in this game (0: the game has no such rule)."""
        if repetitions_for_draw <= 0:
            return False
        var occurrences = 1
        for key in self.position_keys:
            if key == position_key:
                occurrences += 1
        self.position_keys.append(position_key)
        return occurrences >= repetitions_for_draw

    def network(self, networks: Int) -> Int:
        """The network that evaluates the side to move (game g's first player uses
        network g % 2 when there are two)."""
        if networks == 1:
            return 0
        var to_move = self.search.core.root_state()[].to_move()
        return (self.record.game_id + to_move) % 2

    def search_seed(self, run_seed: Int) -> UInt64:
        """Depends on the run seed, the game's id and its ply: the same game whatever the
        thread or batch timing (the single-threaded reference uses the same formula)."""
        return search_seed(run_seed, self.record.game_id, self.search.core.root_state()[].ply())

    def gumbel_scale(self, noise_plies: Int, configured_scale: Float32) -> Float32:
        """The configured noise scale while the game is within its noisy plies, else 0."""
        if noise_plies >= 0 and self.search.core.root_state()[].ply() >= noise_plies:
            return 0.0
        return configured_scale


def is_full_search(search_seed: UInt64, full_search_fraction: Float64) -> Bool:
    """Whether the search seeded with `search_seed` is a full one (playout cap
    randomization): a uniform draw from the seed below `full_search_fraction`, so it
    depends on the game and ply only, like the search itself."""
    if full_search_fraction >= 1.0:
        return True
    var rng = SplitMix64(search_seed ^ 0x2545F4914F6CDD1D)
    return rng.next_unit_open() < full_search_fraction


def search_seed(run_seed: Int, game_id: Int, ply: Int) -> UInt64:
    """The Gumbel-noise seed of one search of a game (63 bits, so Python ints carry it)."""
    var mixed = UInt64(run_seed) * 0x9E3779B97F4A7C15 ^ UInt64(game_id) * 0xBF58476D1CE4E5B9 ^ UInt64(ply) * 0x94D049BB133111EB
    return mixed & 0x7FFFFFFFFFFFFFFF


def play_random_opening[G: Game](mut state: G, mut record: FinishedGame, seed: UInt64, max_plies: Int):
    """Plays a random opening on `state` and records it in `record`: k uniform legal
    moves, k uniform in 0..max_plies, all drawn from one generator seeded with `seed`
    (so a game's opening depends on its id, not on threads or timing). A move that would
    finish the game ends the opening before it is played: the search plays on from there.
    Opening plies get root value 0 and no policy entries; `record.opening_plies` counts them."""
    var rng = SplitMix64(seed)
    var plies = rng.next_below(max_plies + 1)
    var legal = List[Int]()
    for _ in range(plies):
        legal.clear()
        state.legal_actions(legal)
        var action = legal[rng.next_below(len(legal))]
        var next_state = state.copy()
        next_state.apply(action)
        if next_state.is_terminal():
            break
        record.movers.append(Int8(state.to_move()))
        state = next_state^
        record.actions.append(Int32(action))
        record.root_values.append(0.0)
        record.policy_counts.append(0)
        record.opening_plies += 1


def opening_seed(run_seed: Int, game_id: Int) -> UInt64:
    """The seed of one self-play game's random opening (distinct from its search seeds,
    which mix in the ply with another constant)."""
    return UInt64(run_seed) * 0xD6E8FEB86659FD93 ^ UInt64(game_id) * 0xA0761D6478BD642F ^ 0x5851F42D4C957F2D
