"""Tak positions as text: TPS (Tak Positional System) parsing and formatting, board drawing.

TPS is three fields, `board player move-number`: the board's rows from rank N down to
rank 1 separated by `/`, the squares of a row by `,`; a square is `x` (or `xK` for K empty
squares in a row) or a stack of `1` / `2` from bottom to top with an optional `S` (wall)
or `C` (capstone) on top, e.g. `x5/x5/x2,12S,x2/x5/x5 1 3`. `render` draws the board with
one TPS square per cell.
"""

from mojo.game import GameOptions
from games.tak.board import MIN_SIZE, MAX_SIZE, PIECE_FLAT, PIECE_WALL, PIECE_CAP, _bit, _square_name
from games.tak.results import END_NONE, settle_loaded_position
from games.tak.state import TakState


# ---------------------------------------------------------------------- formatting


def square_text(state: TakState, square: Int) -> String:
    """The TPS text of one square: `x` when empty, else e.g. `121S`."""
    var height = Int(state.heights[square])
    if height == 0:
        return "x"
    var text = String()
    for level in range(height):
        text += "2" if state.piece_colour(square, level) == 1 else "1"
    if (state.walls & _bit(square)) != 0:
        text += "S"
    elif (state.caps & _bit(square)) != 0:
        text += "C"
    return text


def position(state: TakState) -> String:
    var text = String()
    for row in range(state.size - 1, -1, -1):
        if row != state.size - 1:
            text += "/"
        var empty_run = 0
        var first = True
        for column in range(state.size):
            var square = row * state.size + column
            if state.heights[square] == 0:
                empty_run += 1
                continue
            if empty_run > 0:
                if not first:
                    text += ","
                text += "x" if empty_run == 1 else String("x", empty_run)
                first = False
                empty_run = 0
            if not first:
                text += ","
            text += square_text(state, square)
            first = False
        if empty_run > 0:
            if not first:
                text += ","
            text += "x" if empty_run == 1 else String("x", empty_run)
    text += String(" ", state.to_move() + 1, " ", state.ply_count // 2 + 1)
    return text


def render(state: TakState) -> String:
    var width = 1
    for square in range(state.area):
        width = max(width, square_text(state, square).byte_length())
    var text = String()
    for row in range(state.size - 1, -1, -1):
        text += String(row + 1, " |")
        for column in range(state.size):
            var square = row * state.size + column
            var cell = square_text(state, square) if state.heights[square] > 0 else String(".")
            text += " "
            text += cell
            if column < state.size - 1:
                for _ in range(width - cell.byte_length()):
                    text += " "
        text += "\n"
    text += "   "
    for column in range(state.size):
        text += " "
        text += chr(ord("a") + column)
        if column < state.size - 1:
            for _ in range(width - 1):
                text += " "
    text += "\n"
    text += String(
        "ply ",
        state.ply_count,
        ", ",
        "white" if state.to_move() == 0 else "black",
        " to move; reserves white ",
        state.stones_left[0],
        "+",
        state.caps_left[0],
        "C, black ",
        state.stones_left[1],
        "+",
        state.caps_left[1],
        "C; flats ",
        state.top_flat_count(0),
        "-",
        state.top_flat_count(1),
    )
    if state.half_komi != 0:
        text += String(" (komi ", state.komi(), ")")
    var result = state.result_string()
    if result.byte_length() > 0:
        text += String("; result ", result)
    text += "\n"
    return text


# ---------------------------------------------------------------------- parsing


def _split(text: String, separator: Int) -> List[String]:
    """Splits on a single byte, keeping empty fields."""
    var parts = List[String]()
    var bytes = text.as_bytes()
    var start = 0
    for i in range(len(bytes) + 1):
        if i == len(bytes) or Int(bytes[i]) == separator:
            parts.append(String(text[byte=start:i]))
            start = i + 1
    return parts^


def _parse_positive_int(text: String) -> Int:
    """The value of a string of decimal digits (1..9 digits), or -1."""
    var bytes = text.as_bytes()
    if len(bytes) == 0 or len(bytes) > 9:
        return -1
    var value = 0
    for b_raw in bytes:
        var b = Int(b_raw)
        if b < ord("0") or b > ord("9"):
            return -1
        value = value * 10 + b - ord("0")
    return value


def parse_tps(mut options: GameOptions, text: String) raises -> TakState:
    var fields = _split(text, ord(" "))
    if len(fields) != 3:
        raise Error(
            String(
                "bad TPS '",
                text,
                "': need exactly 3 fields separated by single spaces (board, player, move number)",
            )
        )
    for f in fields:
        if f.byte_length() == 0:
            raise Error(String("bad TPS '", text, "': empty field (fields are separated by single spaces)"))
    var rows = _split(fields[0], ord("/"))
    var size = len(rows)
    if size < MIN_SIZE or size > MAX_SIZE:
        raise Error(String("bad TPS '", text, "': ", size, " rows; boards are 3x3 to 8x8"))
    # Parse squares into (text per square) first, then configure with the known size.
    var squares = List[String]()
    for row_index in range(size):
        var row_squares = List[String]()
        var tokens = _split(rows[row_index], ord(","))
        for token in tokens:
            var bytes = token.as_bytes()
            if len(bytes) == 0:
                raise Error(
                    String("bad TPS '", text, "': empty square in row ", row_index + 1, " from the top")
                )
            if Int(bytes[0]) == ord("x"):
                var run = 1
                if len(bytes) > 1:
                    run = _parse_positive_int(String(token[byte=1:]))
                    if run < 1:
                        raise Error(String("bad TPS '", text, "': bad empty run '", token, "'"))
                for _ in range(run):
                    row_squares.append(String(""))
                continue
            for j in range(len(bytes)):
                var b = Int(bytes[j])
                var is_last = j == len(bytes) - 1
                var ok = (
                    b == ord("1") or b == ord("2") or (is_last and j > 0 and (b == ord("S") or b == ord("C")))
                )
                if not ok:
                    raise Error(
                        String(
                            "bad TPS '",
                            text,
                            "': bad stack '",
                            token,
                            "' (digits 1/2, bottom to top, then an optional S or C)",
                        )
                    )
            row_squares.append(token)
        if len(row_squares) != size:
            raise Error(
                String(
                    "bad TPS '",
                    text,
                    "': row ",
                    row_index + 1,
                    " from the top has ",
                    len(row_squares),
                    " squares but there are ",
                    size,
                    " rows (board not square)",
                )
            )
        for s in row_squares:
            squares.append(s)
    var player_text = fields[1]
    if player_text != "1" and player_text != "2":
        raise Error(String("bad TPS '", text, "': player to move must be 1 or 2, got '", player_text, "'"))
    var move_number = _parse_positive_int(fields[2])
    if move_number < 1:
        raise Error(
            String("bad TPS '", text, "': move number must be a positive integer, got '", fields[2], "'")
        )
    var state = TakState._configured(options, size)
    var stones_used = Array[Int, 2](fill=0)
    var caps_used = Array[Int, 2](fill=0)
    for row_index in range(size):
        var row = size - 1 - row_index
        for column in range(size):
            var token = squares[row_index * size + column]
            var bytes = token.as_bytes()
            if len(bytes) == 0:
                continue
            var square = row * size + column
            var bit = _bit(square)
            var height = 0
            var stack: UInt128 = 0
            var kind = PIECE_FLAT
            for b_raw in bytes:
                var b = Int(b_raw)
                if b == ord("S"):
                    kind = PIECE_WALL
                elif b == ord("C"):
                    kind = PIECE_CAP
                else:
                    if height >= 127:
                        raise Error(
                            String(
                                "bad TPS '",
                                text,
                                "': stack on ",
                                _square_name(square, size),
                                " is taller than 127",
                            )
                        )
                    if b == ord("2"):
                        stack |= UInt128(1) << UInt128(height)
                    height += 1
            var top = Int((stack >> UInt128(height - 1)) & 1)
            for level in range(height):
                var colour = Int((stack >> UInt128(level)) & 1)
                if level == height - 1 and kind == PIECE_CAP:
                    caps_used[colour] += 1
                else:
                    stones_used[colour] += 1
            state._set_stack(square, stack)
            state.heights[square] = UInt8(height)
            state.tops[top] |= bit
            if kind == PIECE_WALL:
                state.walls |= bit
            elif kind == PIECE_CAP:
                state.caps |= bit
    for player in range(2):
        var who = "white" if player == 0 else "black"
        if stones_used[player] > state.start_stones:
            raise Error(
                String(
                    "bad TPS '",
                    text,
                    "': ",
                    who,
                    " has ",
                    stones_used[player],
                    " stones on the board but only ",
                    state.start_stones,
                    " in the set",
                )
            )
        if caps_used[player] > state.start_caps:
            raise Error(
                String(
                    "bad TPS '",
                    text,
                    "': ",
                    who,
                    " has ",
                    caps_used[player],
                    " capstones on the board but only ",
                    state.start_caps,
                    " in the set",
                )
            )
        state.stones_left[player] = state.start_stones - stones_used[player]
        state.caps_left[player] = state.start_caps - caps_used[player]
    state.ply_count = 2 * (move_number - 1) + (1 if player_text == "2" else 0)
    settle_loaded_position(state)
    if state.end_reason == END_NONE and state._in_opening():
        var opponent = 1 - state.to_move()
        if state.stones_left[opponent] == 0:
            raise Error(
                String("bad TPS '", text, "': swap-opening ply but the opponent has no stone left to place")
            )
    state.hash_value = state.recompute_hash()
    return state^
