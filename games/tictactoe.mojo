"""TicTacToe on a 3x3 board.

Squares are indexed `row * 3 + column`, row 0 = rank 1 (bottom); the action of placing on
a square is its index, so `num_actions() == 9`. Moves are written `a1` .. `c3` (file
letter = column, rank digit = row + 1). X (player 0) moves first.

Network input `[3, 3, 3]`, from the side to move's point of view:
    plane 0: 1 where the side to move has a mark
    plane 1: 1 where the opponent has a mark
    plane 2: all ones when X is to move, all zeros when O is to move
"""

from std.bit import pop_count

from mojo.game import Game, GameOptions, InputShape, FloatBuffer, DRAW
from mojo.zobrist import zobrist_key
from mojo.board_symmetry import (
    NUM_SQUARE_SYMMETRIES,
    square_symmetry_index,
    transform_square_planes,
)

comptime BOARD_SIZE = 3
comptime NUM_SQUARES = 9
comptime FULL_BOARD = 0x1FF
comptime ZOBRIST_DOMAIN_MARK = 100  # + player
comptime ZOBRIST_DOMAIN_SIDE = 102

comptime WINNING_LINES: Array[Int, 8] = [
    0b000000111, 0b000111000, 0b111000000,  # ranks
    0b001001001, 0b010010010, 0b100100100,  # files
    0b100010001, 0b001010100,  # diagonals
]


@always_inline
def _has_line(marks: Int) -> Bool:
    comptime for index in range(8):
        comptime line = WINNING_LINES[index]
        if marks & line == line:
            return True
    return False


struct TicTacToe(Game):
    """A TicTacToe position: one 9-bit mark mask per player."""

    var marks: Array[Int, 2]
    var moves_played: Int
    var winning_player: Int  # -1 while no line exists
    var zobrist: UInt64

    def __init__(out self):
        self.marks = Array[Int, 2](fill=0)
        self.moves_played = 0
        self.winning_player = -1
        self.zobrist = 0

    @staticmethod
    def create(mut options: GameOptions) raises -> Self:
        options.reject_unknown("tictactoe")
        return Self()

    @staticmethod
    def from_position(mut options: GameOptions, text: String) raises -> Self:
        """Parses `x.o/.x./...`: ranks 3, 2, 1 from the top, files a..c left to right."""
        var state = Self.create(options)
        var rows = text.strip().split("/")
        if len(rows) != BOARD_SIZE:
            raise Error(String("tictactoe position '", text, "': expected 3 ranks separated by '/'"))
        var counts = Array[Int, 2](fill=0)
        for rank_from_top in range(BOARD_SIZE):
            var row_text = String(rows[rank_from_top])
            var cells = row_text.as_bytes()
            if len(cells) != BOARD_SIZE:
                raise Error(String("tictactoe position '", text, "': rank '", row_text, "' needs 3 cells"))
            for column in range(BOARD_SIZE):
                var square = (BOARD_SIZE - 1 - rank_from_top) * BOARD_SIZE + column
                var cell = Int(cells[column])
                if cell == ord("x") or cell == ord("X"):
                    state.marks[0] |= 1 << square
                    counts[0] += 1
                elif cell == ord("o") or cell == ord("O"):
                    state.marks[1] |= 1 << square
                    counts[1] += 1
                elif cell != ord("."):
                    raise Error(String("tictactoe position '", text, "': bad cell '", chr(Int(cell)), "'"))
        if counts[0] != counts[1] and counts[0] != counts[1] + 1:
            raise Error(String("tictactoe position '", text, "': X must have as many marks as O or one more"))
        var x_line = _has_line(state.marks[0])
        var o_line = _has_line(state.marks[1])
        if x_line and o_line:
            raise Error(String("tictactoe position '", text, "': both players have a line"))
        if (x_line and counts[0] == counts[1]) or (o_line and counts[0] != counts[1]):
            raise Error(String("tictactoe position '", text, "': the game continued after a line"))
        state.moves_played = counts[0] + counts[1]
        state.winning_player = 0 if x_line else (1 if o_line else -1)
        state.zobrist = state.recompute_hash()
        return state^

    def position(self) -> String:
        var text = String()
        for rank_from_top in range(BOARD_SIZE):
            if rank_from_top > 0:
                text += "/"
            for column in range(BOARD_SIZE):
                var square = (BOARD_SIZE - 1 - rank_from_top) * BOARD_SIZE + column
                text += self._cell_char(square)
        return text

    def _cell_char(self, square: Int) -> String:
        if self.marks[0] >> square & 1:
            return "x"
        if self.marks[1] >> square & 1:
            return "o"
        return "."

    def name(self) -> String:
        return "tictactoe"

    def num_actions(self) -> Int:
        return NUM_SQUARES

    def input_shape(self) -> InputShape:
        return InputShape(3, BOARD_SIZE, BOARD_SIZE)

    def to_move(self) -> Int:
        return self.moves_played & 1

    def ply(self) -> Int:
        return self.moves_played

    @always_inline
    def _empty_squares(self) -> Int:
        if self.is_terminal():
            return 0
        return FULL_BOARD & ~(self.marks[0] | self.marks[1])

    def legal_actions(self, mut actions: List[Int]):
        actions.clear()
        var empty = self._empty_squares()
        for square in range(NUM_SQUARES):
            if empty >> square & 1:
                actions.append(square)

    def count_legal_actions(self) -> Int:
        return Int(pop_count(self._empty_squares()))

    def is_legal(self, action: Int) -> Bool:
        if action < 0 or action >= NUM_SQUARES:
            return False
        return Bool(self._empty_squares() >> action & 1)

    def apply(mut self, action: Int):
        var player = self.to_move()
        self.marks[player] |= 1 << action
        self.zobrist ^= zobrist_key(ZOBRIST_DOMAIN_MARK + player, action) ^ zobrist_key(ZOBRIST_DOMAIN_SIDE, 0)
        self.moves_played += 1
        if _has_line(self.marks[player]):
            self.winning_player = player

    def is_terminal(self) -> Bool:
        return self.winning_player >= 0 or self.moves_played == NUM_SQUARES

    def winner(self) -> Int:
        return self.winning_player if self.winning_player >= 0 else DRAW

    def result_string(self) -> String:
        if not self.is_terminal():
            return ""
        if self.winning_player == 0:
            return "1-0"
        if self.winning_player == 1:
            return "0-1"
        return "1/2-1/2"

    def hash(self) -> UInt64:
        return self.zobrist

    def recompute_hash(self) -> UInt64:
        var value: UInt64 = 0
        for square in range(NUM_SQUARES):
            for player in range(2):
                if self.marks[player] >> square & 1:
                    value ^= zobrist_key(ZOBRIST_DOMAIN_MARK + player, square)
        if self.to_move() == 1:
            value ^= zobrist_key(ZOBRIST_DOMAIN_SIDE, 0)
        return value

    def encode(self, planes: FloatBuffer):
        var me = self.to_move()
        var side_plane = Float32(1) if me == 0 else Float32(0)
        for square in range(NUM_SQUARES):
            planes[unsafe_offset=square] = Float32(self.marks[me] >> square & 1)
            planes[unsafe_offset = NUM_SQUARES + square] = Float32(self.marks[1 - me] >> square & 1)
            planes[unsafe_offset = 2 * NUM_SQUARES + square] = side_plane

    def num_symmetries(self) -> Int:
        return NUM_SQUARE_SYMMETRIES

    def symmetry_action(self, symmetry: Int, action: Int) -> Int:
        return square_symmetry_index(symmetry, BOARD_SIZE, action)

    def transform_encoding(self, symmetry: Int, source: FloatBuffer, destination: FloatBuffer):
        transform_square_planes(symmetry, BOARD_SIZE, 3, source, destination)

    def transformed(self, symmetry: Int) -> Self:
        var image = self.copy()
        for player in range(2):
            var mapped = 0
            for square in range(NUM_SQUARES):
                if self.marks[player] >> square & 1:
                    mapped |= 1 << square_symmetry_index(symmetry, BOARD_SIZE, square)
            image.marks[player] = mapped
        image.zobrist = image.recompute_hash()
        return image^

    def render(self) -> String:
        var text = String()
        for rank_from_top in range(BOARD_SIZE):
            var rank = BOARD_SIZE - rank_from_top
            text += String(rank, " ")
            for column in range(BOARD_SIZE):
                text += " " + self._cell_char((rank - 1) * BOARD_SIZE + column)
            text += "\n"
        text += "   a b c\n"
        return text

    def parse_move(self, text: String) raises -> Int:
        var cleaned = text.strip()
        var characters = cleaned.as_bytes()
        if len(characters) != 2:
            raise Error(String("tictactoe move '", text, "': expected a square a1..c3"))
        var column = Int(characters[0]) - ord("a")
        var row = Int(characters[1]) - ord("1")
        if column < 0 or column >= BOARD_SIZE or row < 0 or row >= BOARD_SIZE:
            raise Error(String("tictactoe move '", text, "': no such square (a1..c3)"))
        return row * BOARD_SIZE + column

    def format_move(self, action: Int) -> String:
        return String(chr(ord("a") + action % BOARD_SIZE), chr(ord("1") + action // BOARD_SIZE))
