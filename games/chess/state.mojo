"""The chess position, `ChessState`: its fields, options and `Game` methods.

The struct holds six per-type bitboards and two per-colour bitboards (see `board.mojo`),
the side to move, the castling rights, the en passant square (only when a pawn of the
side to move stands ready to take on it), the halfmove clock, the ply count and the
Polyglot key. Most `Game` methods call the file for their concept: `moves.mojo` (legal
moves), `make_move.mojo`, `results.mojo`, `keys.mojo`, `encoding.mojo` (actions and
input planes), `fen.mojo` (positions, the board drawing) and `notation.mojo` (UCI, SAN).

Options (GameOptions):
- `rule_draws` (0 or 1, default 1): whether insufficient material and the fifty-move rule
  end the game, and threefold repetition where a game is played out
  (`repetitions_for_draw`). Perft against published counts uses 0 (they count through
  such draws).
- `fifty_move_bit1` / `fifty_move_bit2` (plies, default 60 and 90): halfmove-clock
  thresholds at which two input planes turn on (0 = off), see `encoding.mojo`.

No board symmetries: castling and pawn direction break them (identity only).
"""

from mojo.game import Game, GameOptions, InputShape, FloatBuffer, DRAW
from games.chess.board import WHITE, BLACK, NO_SQUARE, NUM_PIECE_TYPES, CASTLE_WHITE_KINGSIDE
from games.chess.encoding import NUM_PLANES, NUM_CHESS_ACTIONS
from games.chess.results import END_NONE, END_CHECKMATE
from games.chess import moves, make_move, results, keys, encoding, fen, notation

comptime START_FEN = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"


struct ChessState(Game):
    """A chess position. See `encoding.mojo` for the action and plane layouts."""

    var pieces: Array[UInt64, NUM_PIECE_TYPES]
    """Squares holding a piece of each type, either colour (PAWN..KING)."""
    var colours: Array[UInt64, 2]
    """Squares holding a white / black piece."""
    var side: Int
    var castling: Int
    """Castling rights still held (CASTLE_* bits); a right implies king and rook are home."""
    var en_passant: Int
    """The square a pawn just passed over, when a pawn of the side to move could take there; else NO_SQUARE."""
    var halfmove_clock: Int
    """Plies since the last capture or pawn move."""
    var ply_count: Int
    """Plies since the start of the game, counted from the FEN's move number."""
    var key: UInt64
    var rule_draws: Bool
    var fifty_move_bit1: Int
    var fifty_move_bit2: Int

    def __init__(out self, rule_draws: Bool, fifty_move_bit1: Int, fifty_move_bit2: Int):
        """An empty board, white to move (filled by the FEN parser)."""
        self.pieces = Array[UInt64, NUM_PIECE_TYPES](fill=0)
        self.colours = Array[UInt64, 2](fill=0)
        self.side = WHITE
        self.castling = 0
        self.en_passant = NO_SQUARE
        self.halfmove_clock = 0
        self.ply_count = 0
        self.key = 0
        self.rule_draws = rule_draws
        self.fifty_move_bit1 = fifty_move_bit1
        self.fifty_move_bit2 = fifty_move_bit2

    @staticmethod
    def _configured(mut options: GameOptions) raises -> Self:
        """An empty board with every option read and checked."""
        var rule_draws = options.take_int("rule_draws", 1)
        if rule_draws != 0 and rule_draws != 1:
            raise Error(String("chess: option 'rule_draws' must be 0 or 1, got ", rule_draws))
        var bit1 = options.take_int("fifty_move_bit1", 60)
        var bit2 = options.take_int("fifty_move_bit2", 90)
        for value in [bit1, bit2]:
            if value < 0 or value > 100:
                raise Error(String("chess: options 'fifty_move_bit1/2' must be 0..100 plies (0 = off), got ", value))
        options.reject_unknown("chess")
        return Self(rule_draws == 1, bit1, bit2)

    @staticmethod
    def create(mut options: GameOptions) raises -> Self:
        """The standard initial position; options `rule_draws`, `fifty_move_bit1/2`."""
        var state = Self._configured(options)
        fen.load_fen(state, START_FEN)
        return state^

    @staticmethod
    def from_position(mut options: GameOptions, text: String) raises -> Self:
        """Parses a FEN (the move counters may be left out); raises naming the bad field."""
        var state = Self._configured(options)
        fen.load_fen(state, text)
        return state^

    def position(self) -> String:
        """The FEN (en passant square as X-FEN writes it, see `fen.mojo`)."""
        return fen.format_fen(self)

    def name(self) -> String:
        return "chess"

    def num_actions(self) -> Int:
        return NUM_CHESS_ACTIONS

    def input_shape(self) -> InputShape:
        return InputShape(NUM_PLANES, 8, 8)

    @always_inline
    def to_move(self) -> Int:
        return self.side

    def ply(self) -> Int:
        return self.ply_count

    # ------------------------------------------------------------------ moves

    def legal_moves(self, mut codes: List[Int]):
        """Move codes (see `moves.mojo`) of every legal move; empty when the game is over."""
        if results.is_drawn_by_rule(self):
            codes.clear()
            return
        moves.generate_moves(self, codes)

    def legal_actions(self, mut actions: List[Int]):
        self.legal_moves(actions)
        for index in range(len(actions)):
            actions[index] = encoding.move_to_action(self.side, actions[index])

    def count_legal_actions(self) -> Int:
        if results.is_drawn_by_rule(self):
            return 0
        return moves.count_moves(self)

    def is_legal(self, action: Int) -> Bool:
        if action < 0 or action >= NUM_CHESS_ACTIONS:
            return False
        var actions = List[Int]()
        self.legal_actions(actions)
        for index in range(len(actions)):
            if actions[index] == action:
                return True
        return False

    def apply(mut self, action: Int):
        make_move.make_move(self, encoding.action_to_move(self, action))

    def play_move(mut self, move: Int):
        """Plays a legal move code."""
        make_move.make_move(self, move)

    # ------------------------------------------------------------------ results

    def end_reason(self) -> Int:
        """END_NONE while the game goes on, else one of the END_* reasons of `results.mojo`."""
        return results.end_reason(self)

    def is_terminal(self) -> Bool:
        return results.end_reason(self) != END_NONE

    def winner(self) -> Int:
        if results.end_reason(self) == END_CHECKMATE:
            return 1 - self.side
        return DRAW

    def result_string(self) -> String:
        var reason = results.end_reason(self)
        if reason == END_NONE:
            return ""
        if reason == END_CHECKMATE:
            return "1-0" if self.side == BLACK else "0-1"
        return "1/2-1/2"

    # ------------------------------------------------------------------ hashing

    def hash(self) -> UInt64:
        return self.key

    def recompute_hash(self) -> UInt64:
        return keys.compute_key(self)

    def repetitions_for_draw(self) -> Int:
        """Threefold repetition (FIDE 9.2, applied at once rather than claimed), with the
        other rule draws: the Polyglot key tells positions apart by pieces, side to move,
        castling rights and an en passant square a pawn can take on, as the rule does."""
        return 3 if self.rule_draws else 0

    # ------------------------------------------------------------------ encoding

    def encode(self, planes: FloatBuffer):
        encoding.encode(self, planes)

    def num_symmetries(self) -> Int:
        return 1

    def symmetry_action(self, symmetry: Int, action: Int) -> Int:
        return action

    def transform_encoding(self, symmetry: Int, source: FloatBuffer, destination: FloatBuffer):
        for index in range(NUM_PLANES * 64):
            destination[unsafe_offset=index] = source[unsafe_offset=index]

    def transformed(self, symmetry: Int) -> Self:
        return self.copy()

    # ------------------------------------------------------------------ notation

    def render(self) -> String:
        return fen.render(self)

    def parse_move(self, text: String) raises -> Int:
        """A move in UCI (`e2e4`, `e7e8q`, `e1g1`) or SAN (`Nf3`, `exd5`, `O-O`, `e8=Q+`)."""
        return encoding.move_to_action(self.side, notation.parse_move(self, text))

    def format_move(self, action: Int) -> String:
        """The action in UCI."""
        return notation.format_uci(encoding.action_to_move(self, action))

    def format_san(self, action: Int) -> String:
        """The (legal) action in SAN, with `+` or `#`."""
        return notation.format_san(self, encoding.action_to_move(self, action))

    def format_record_move(self, action: Int) -> String:
        """SAN: what PGN records write."""
        return self.format_san(action)
