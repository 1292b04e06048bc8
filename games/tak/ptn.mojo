"""Tak moves in PTN (Portable Tak Notation): formatting an action index and parsing one.

Placements are `a1`, `Sb2`, `Cc3` (a leading `F` is accepted); stack moves are
`[carry]<square><direction>[drops]`, e.g. `3c3>12`; trailing annotations (`'`, `"`, `!`, `?`)
and a wall-crush `*` are accepted when parsing. See `actions.mojo` for the action indices.
"""

from games.tak.board import (
    MAX_SIZE,
    PIECE_FLAT,
    PIECE_WALL,
    PIECE_CAP,
    DIRECTION_UP,
    DIRECTION_DOWN,
    DIRECTION_RIGHT,
    DIRECTION_LEFT,
    _square_name,
)
from games.tak.actions import action_count, spread_action, _pattern_carry, _pattern_cuts


def _direction_char(direction: Int) -> String:
    if direction == DIRECTION_UP:
        return "+"
    if direction == DIRECTION_DOWN:
        return "-"
    if direction == DIRECTION_RIGHT:
        return ">"
    return "<"


def format_move(size: Int, action: Int) -> String:
    """The PTN text of `action` on a `size` board (`TakState.format_move`)."""
    var area = size * size
    if action < 0 or action >= action_count(size):
        return String("<invalid action ", action, ">")
    if action < 3 * area:
        var piece = action // area
        var square = action - piece * area
        var prefix = String("")
        if piece == PIECE_WALL:
            prefix = "S"
        elif piece == PIECE_CAP:
            prefix = "C"
        return prefix + _square_name(square, size)
    var patterns_per = (1 << size) - 1
    var rest = action - 3 * area
    var pattern = rest % patterns_per
    var square_direction = rest // patterns_per
    var direction = square_direction & 3
    var square = square_direction >> 2
    var carry = _pattern_carry(pattern)
    var cuts = _pattern_cuts(pattern, carry)
    var text = String()
    if carry > 1:
        text += String(carry)
    text += _square_name(square, size)
    text += _direction_char(direction)
    if cuts != 0:
        var run = 0
        for i in range(carry):
            run += 1
            if i == carry - 1 or ((cuts >> i) & 1) == 1:
                text += String(run)
                run = 0
    return text


def _is_annotation(byte: Int) -> Bool:
    return byte == ord("'") or byte == ord('"') or byte == ord("!") or byte == ord("?")


def parse_move(size: Int, text: String) raises -> Int:
    """Parses a PTN move for a `size` board into an action index (legality not checked)."""
    var bytes = text.as_bytes()
    var start = 0
    var end = len(bytes)
    while end > 0 and Int(bytes[end - 1]) <= ord(" "):
        end -= 1
    while start < end and Int(bytes[start]) <= ord(" "):
        start += 1
    while end > start and _is_annotation(Int(bytes[end - 1])):
        end -= 1
    var crush = False
    if end > start and Int(bytes[end - 1]) == ord("*"):
        crush = True
        end -= 1
    if end == start:
        raise Error(String("malformed move '", text, "': empty"))
    var i = start
    var piece = -1
    var count = -1
    var first = Int(bytes[start])
    if first == ord("F"):
        piece = PIECE_FLAT
        i = start + 1
    elif first == ord("S"):
        piece = PIECE_WALL
        i = start + 1
    elif first == ord("C"):
        piece = PIECE_CAP
        i = start + 1
    elif first >= ord("0") and first <= ord("9"):
        count = first - ord("0")
        i = start + 1
        if count < 1 or count > MAX_SIZE:
            raise Error(String("bad carry count in '", text, "': must be 1-8"))
    if i + 2 > end:
        raise Error(String("malformed move '", text, "': no square"))
    var file = Int(bytes[i])
    var rank = Int(bytes[i + 1])
    if file < ord("a") or file > ord("h"):
        raise Error(String("bad square in '", text, "': file must be a-h"))
    if rank < ord("1") or rank > ord("8"):
        raise Error(String("bad square in '", text, "': rank must be 1-8"))
    var column = file - ord("a")
    var row = rank - ord("1")
    if column >= size or row >= size:
        raise Error(String("bad square in '", text, "': off the ", size, "x", size, " board"))
    var square = row * size + column
    i += 2
    if i == end:
        if count != -1:
            raise Error(String("malformed move '", text, "': count given but no direction"))
        if crush:
            raise Error(String("malformed move '", text, "': '*' after a placement"))
        if piece == -1:
            piece = PIECE_FLAT
        return piece * size * size + square
    if piece != -1:
        raise Error(String("malformed move '", text, "': placement followed by extra characters"))
    var direction_byte = Int(bytes[i])
    var direction: Int
    if direction_byte == ord("+"):
        direction = DIRECTION_UP
    elif direction_byte == ord("-"):
        direction = DIRECTION_DOWN
    elif direction_byte == ord(">"):
        direction = DIRECTION_RIGHT
    elif direction_byte == ord("<"):
        direction = DIRECTION_LEFT
    else:
        raise Error(String("bad direction in '", text, "': must be one of + - > <"))
    i += 1
    if count == -1:
        count = 1
    var drops = List[Int]()
    if i == end:
        drops.append(count)
    else:
        var total = 0
        while i < end:
            var digit = Int(bytes[i])
            if digit < ord("1") or digit > ord("8"):
                raise Error(String("malformed drop pattern in '", text, "': drops must be digits 1-8"))
            drops.append(digit - ord("0"))
            total += digit - ord("0")
            i += 1
        if len(drops) > MAX_SIZE - 1:
            raise Error(String("malformed drop pattern in '", text, "': drops on more than 7 squares"))
        if len(drops) > size - 1:
            raise Error(
                String(
                    "illegal move '",
                    text,
                    "': drops on ",
                    len(drops),
                    " squares but a ",
                    size,
                    "x",
                    size,
                    " board allows at most ",
                    size - 1,
                )
            )
        if total != count:
            var pattern_text = String()
            for d in drops:
                pattern_text += String(d)
            raise Error(String("drop counts ", pattern_text, " do not add up to ", count, " in '", text, "'"))
    if crush and drops[len(drops) - 1] != 1:
        raise Error(
            String("malformed move '", text, "': '*' (wall crush) but more than one piece dropped last")
        )
    if count > size:
        raise Error(
            String(
                "illegal move '",
                text,
                "': carry ",
                count,
                " exceeds the carry limit ",
                size,
                " of a ",
                size,
                "x",
                size,
                " board",
            )
        )
    return spread_action(size, square, direction, drops)
