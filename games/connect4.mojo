"""Connect Four on the standard 7-column, 6-row board.

Bitboards: bit `column * 7 + row` (row 0 = bottom; row 6 of each column is an always-empty
sentinel so that line tests by shifting never wrap between columns). The action of
dropping a disc in a column is the column index 0..6; moves are written as column digits
`1`..`7` (1 = leftmost), as in Pascal Pons' solver data. Player 0 moves first.

Network input `[3, 6, 7]` (channels, rows from the bottom, columns), from the side to
move's point of view:
    plane 0: 1 where the side to move has a disc
    plane 1: 1 where the opponent has a disc
    plane 2: all ones when player 0 is to move, all zeros otherwise
"""

from std.bit import pop_count

from mojo.game import Game, GameOptions, InputShape, FloatBuffer, DRAW
from mojo.zobrist import zobrist_key
from mojo.board_symmetry import mirror_column_planes

comptime COLUMNS = 7
comptime ROWS = 6
comptime COLUMN_STRIDE = ROWS + 1
comptime NUM_CELLS = COLUMNS * ROWS
comptime ZOBRIST_DOMAIN_DISC = 200  # + player
comptime ZOBRIST_DOMAIN_SIDE = 202


def _top_row_mask() -> UInt64:
    var mask: UInt64 = 0
    for column in range(COLUMNS):
        mask |= UInt64(1) << UInt64(column * COLUMN_STRIDE + ROWS - 1)
    return mask


def _bottom_row_mask() -> UInt64:
    var mask: UInt64 = 0
    for column in range(COLUMNS):
        mask |= UInt64(1) << UInt64(column * COLUMN_STRIDE)
    return mask


comptime TOP_ROW = _top_row_mask()
comptime BOTTOM_ROW = _bottom_row_mask()
comptime COLUMN_CELLS: UInt64 = (1 << ROWS) - 1


@always_inline
def _bit(column: Int, row: Int) -> UInt64:
    return UInt64(1) << UInt64(column * COLUMN_STRIDE + row)


@always_inline
def _has_four(discs: UInt64) -> Bool:
    """Whether `discs` contains four in a line (shift-and technique)."""
    comptime for step in [1, COLUMN_STRIDE - 1, COLUMN_STRIDE, COLUMN_STRIDE + 1]:
        var pairs = discs & (discs >> UInt64(step))
        if pairs & (pairs >> UInt64(2 * step)):
            return True
    return False


struct Connect4(Game):
    """A Connect Four position: one bitboard per player."""

    var discs: Array[UInt64, 2]
    var moves_played: Int
    var winning_player: Int  # -1 while nobody has four in a line
    var zobrist: UInt64

    def __init__(out self):
        self.discs = Array[UInt64, 2](fill=0)
        self.moves_played = 0
        self.winning_player = -1
        self.zobrist = 0

    @staticmethod
    def create(mut options: GameOptions) raises -> Self:
        options.reject_unknown("connect4")
        return Self()

    @staticmethod
    def from_position(mut options: GameOptions, text: String) raises -> Self:
        """Parses 6 rows top to bottom separated by '/', 7 cells each: `x`, `o` or `.`."""
        var state = Self.create(options)
        var rows = text.strip().split("/")
        if len(rows) != ROWS:
            raise Error(String("connect4 position '", text, "': expected 6 rows separated by '/'"))
        var counts = Array[Int, 2](fill=0)
        for row_from_top in range(ROWS):
            var row_text = String(rows[row_from_top])
            var cells = row_text.as_bytes()
            if len(cells) != COLUMNS:
                raise Error(String("connect4 position '", text, "': row '", row_text, "' needs 7 cells"))
            var row = ROWS - 1 - row_from_top
            for column in range(COLUMNS):
                var cell = Int(cells[column])
                var player = 0 if (cell == ord("x") or cell == ord("X")) else (
                    1 if (cell == ord("o") or cell == ord("O")) else -1
                )
                if player < 0:
                    if cell != ord("."):
                        raise Error(String("connect4 position '", text, "': bad cell '", chr(cell), "'"))
                    continue
                state.discs[player] |= _bit(column, row)
                counts[player] += 1
        var occupied = state.discs[0] | state.discs[1]
        # Gravity: every disc above row 0 rests on another disc.
        if (occupied >> 1) & ~occupied & ~TOP_ROW & ~(TOP_ROW << 1) & (
            COLUMN_CELLS * BOTTOM_ROW
        ) != 0:
            raise Error(String("connect4 position '", text, "': a disc floats above an empty cell"))
        if counts[0] != counts[1] and counts[0] != counts[1] + 1:
            raise Error(String("connect4 position '", text, "': x must have as many discs as o or one more"))
        var x_four = _has_four(state.discs[0])
        var o_four = _has_four(state.discs[1])
        if x_four and o_four:
            raise Error(String("connect4 position '", text, "': both players have four in a line"))
        if (x_four and counts[0] == counts[1]) or (o_four and counts[0] != counts[1]):
            raise Error(String("connect4 position '", text, "': the game continued after four in a line"))
        state.moves_played = counts[0] + counts[1]
        state.winning_player = 0 if x_four else (1 if o_four else -1)
        state.zobrist = state.recompute_hash()
        return state^

    def _cell_char(self, column: Int, row: Int) -> String:
        if self.discs[0] & _bit(column, row):
            return "x"
        if self.discs[1] & _bit(column, row):
            return "o"
        return "."

    def position(self) -> String:
        var text = String()
        for row_from_top in range(ROWS):
            if row_from_top > 0:
                text += "/"
            for column in range(COLUMNS):
                text += self._cell_char(column, ROWS - 1 - row_from_top)
        return text

    def name(self) -> String:
        return "connect4"

    def num_actions(self) -> Int:
        return COLUMNS

    def input_shape(self) -> InputShape:
        return InputShape(3, ROWS, COLUMNS)

    def to_move(self) -> Int:
        return self.moves_played & 1

    def ply(self) -> Int:
        return self.moves_played

    @always_inline
    def _open_tops(self) -> UInt64:
        """Top-row bits of the columns that still have room (none when finished)."""
        if self.winning_player >= 0:
            return 0
        return TOP_ROW & ~(self.discs[0] | self.discs[1])

    def legal_actions(self, mut actions: List[Int]):
        actions.clear()
        var open_tops = self._open_tops()
        for column in range(COLUMNS):
            if open_tops & _bit(column, ROWS - 1):
                actions.append(column)

    def count_legal_actions(self) -> Int:
        return Int(pop_count(self._open_tops()))

    def is_legal(self, action: Int) -> Bool:
        if action < 0 or action >= COLUMNS:
            return False
        return Bool(self._open_tops() & _bit(action, ROWS - 1))

    def apply(mut self, action: Int):
        var player = self.to_move()
        var occupied = self.discs[0] | self.discs[1]
        # Adding the column's bottom bit to the occupied cells carries up to the first empty one.
        var column_mask = COLUMN_CELLS << UInt64(action * COLUMN_STRIDE)
        var landing = (occupied + _bit(action, 0)) & column_mask & ~occupied
        self.discs[player] |= landing
        var cell = Int(pop_count(landing - 1))  # bit index of the landing cell
        self.zobrist ^= zobrist_key(ZOBRIST_DOMAIN_DISC + player, cell) ^ zobrist_key(ZOBRIST_DOMAIN_SIDE, 0)
        self.moves_played += 1
        if _has_four(self.discs[player]):
            self.winning_player = player

    def is_terminal(self) -> Bool:
        return self.winning_player >= 0 or self.moves_played == NUM_CELLS

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
        for player in range(2):
            for column in range(COLUMNS):
                for row in range(ROWS):
                    if self.discs[player] & _bit(column, row):
                        value ^= zobrist_key(ZOBRIST_DOMAIN_DISC + player, column * COLUMN_STRIDE + row)
        if self.to_move() == 1:
            value ^= zobrist_key(ZOBRIST_DOMAIN_SIDE, 0)
        return value

    def encode(self, planes: FloatBuffer):
        # A row at a time (the worker encodes every position it sends; cell by cell this
        # was 8% of its instructions): a row's 7 cells are every COLUMN_STRIDE-th bit, so
        # one shift of the bitboard in 8 lanes gives them all. The 8th lane lands on the
        # next row's first cell (after the last row: the next plane's), which is written
        # after it, so every value stands; the side plane is written last, exactly.
        comptime column_shifts = SIMD[DType.uint64, 8](0, 7, 14, 21, 28, 35, 42, 49)
        var me = self.to_move()
        for plane in range(2):
            var discs = SIMD[DType.uint64, 8](self.discs[me if plane == 0 else 1 - me])
            for row in range(ROWS):
                var cells = (discs >> (column_shifts + UInt64(row))) & 1
                planes.unsafe_store(plane * NUM_CELLS + row * COLUMNS, cells.cast[DType.float32]())
        var side_plane = SIMD[DType.float32, 8](1 if me == 0 else 0)
        var index = 2 * NUM_CELLS
        while index + 8 <= 3 * NUM_CELLS:
            planes.unsafe_store(index, side_plane)
            index += 8
        while index < 3 * NUM_CELLS:
            planes[unsafe_offset=index] = side_plane[0]
            index += 1

    def num_symmetries(self) -> Int:
        return 2

    def symmetry_action(self, symmetry: Int, action: Int) -> Int:
        return COLUMNS - 1 - action if symmetry == 1 else action

    def transform_encoding(self, symmetry: Int, source: FloatBuffer, destination: FloatBuffer):
        mirror_column_planes(symmetry == 1, ROWS, COLUMNS, 3, source, destination)

    def transformed(self, symmetry: Int) -> Self:
        var image = self.copy()
        if symmetry == 1:
            for player in range(2):
                var mirrored: UInt64 = 0
                for column in range(COLUMNS):
                    var column_bits = (self.discs[player] >> UInt64(column * COLUMN_STRIDE)) & COLUMN_CELLS
                    mirrored |= column_bits << UInt64((COLUMNS - 1 - column) * COLUMN_STRIDE)
                image.discs[player] = mirrored
            image.zobrist = image.recompute_hash()
        return image^

    def render(self) -> String:
        var text = String()
        for row_from_top in range(ROWS):
            for column in range(COLUMNS):
                text += " " + self._cell_char(column, ROWS - 1 - row_from_top)
            text += "\n"
        text += " 1 2 3 4 5 6 7\n"
        return text

    def parse_move(self, text: String) raises -> Int:
        var cleaned = text.strip()
        var characters = cleaned.as_bytes()
        if len(characters) != 1 or Int(characters[0]) < ord("1") or Int(characters[0]) > ord("7"):
            raise Error(String("connect4 move '", text, "': expected a column digit 1..7"))
        return Int(characters[0]) - ord("1")

    def format_move(self, action: Int) -> String:
        return String(action + 1)
