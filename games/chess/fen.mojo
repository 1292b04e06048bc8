"""Chess positions as text: FEN parsing and formatting, and the board drawing.

FEN has six space-separated fields: placement (ranks 8 to 1 separated by `/`, digits for
runs of empty squares, `PNBRQK` white and `pnbrqk` black), side to move (`w` / `b`),
castling rights (`KQkq` subset or `-`), en passant square (or `-`), halfmove clock and
move number. The last two may be left out (as in EPD lines): they default to 0 and 1.
An en passant square is read when a double pawn move can have left it, and kept (and
written back) only when a pawn of the side to move could take there: X-FEN's rule,
python-chess's `fen(en_passant="xfen")`.

Parsing rejects, naming the field or token and the reason: malformed fields, a count of
kings other than one per side, pawns on the first or last rank, a castling right without
its king and rook at home, an en passant square that no double pawn move can have left,
and a position where the side not to move is in check.
"""

from games.chess.board import (
    WHITE,
    BLACK,
    PAWN,
    ROOK,
    KING,
    NUM_PIECE_TYPES,
    NO_PIECE,
    NO_SQUARE,
    CASTLE_WHITE_KINGSIDE,
    CASTLE_WHITE_QUEENSIDE,
    CASTLE_BLACK_KINGSIDE,
    CASTLE_BLACK_QUEENSIDE,
    RANK_1,
    RANK_8,
    square_bit,
    square_name,
    make_square,
    piece_letter,
    piece_type_of_letter,
)
from std.bit import pop_count
from games.chess.attacks import pawn_attacks_of_set
from games.chess.moves import is_square_attacked, king_square
from games.chess.make_move import piece_type_on
from games.chess.keys import compute_key
from games.chess.state import ChessState


def _fen_error(text: String, message: String) -> Error:
    return Error(String("chess FEN '", text, "': ", message))


def _parse_count(text: String, field: String, name: String, minimum: Int) raises -> Int:
    """A decimal counter field (at least `minimum`)."""
    var bytes = field.as_bytes()
    if len(bytes) == 0 or len(bytes) > 6:
        raise _fen_error(text, String(name, " '", field, "' is not a number"))
    var value = 0
    for index in range(len(bytes)):
        var digit = Int(bytes[index]) - ord("0")
        if digit < 0 or digit > 9:
            raise _fen_error(text, String(name, " '", field, "' is not a number"))
        value = value * 10 + digit
    if value < minimum:
        raise _fen_error(text, String(name, " '", field, "' must be at least ", minimum))
    return value


def parse_square(text: String) -> Int:
    """The square named by `text` (`e4`), or NO_SQUARE when it is not a square name."""
    var bytes = text.as_bytes()
    if len(bytes) != 2:
        return NO_SQUARE
    var file = Int(bytes[0]) - ord("a")
    var rank = Int(bytes[1]) - ord("1")
    if file < 0 or file > 7 or rank < 0 or rank > 7:
        return NO_SQUARE
    return make_square(file, rank)


def _parse_placement(mut state: ChessState, text: String, placement: String) raises:
    var ranks = placement.split("/")
    if len(ranks) != 8:
        raise _fen_error(text, String("placement '", placement, "' needs 8 ranks separated by '/', found ", len(ranks)))
    for rank_index in range(8):
        var rank_text = String(ranks[rank_index])
        var rank = 7 - rank_index
        var file = 0
        var bytes = rank_text.as_bytes()
        for index in range(len(bytes)):
            var byte = Int(bytes[index])
            if byte >= ord("1") and byte <= ord("8"):
                file += byte - ord("0")
            else:
                var piece_type = piece_type_of_letter(byte)
                if piece_type == NO_PIECE:
                    raise _fen_error(text, String("rank '", rank_text, "' has an unknown piece '", chr(byte), "'"))
                if file > 7:
                    raise _fen_error(text, String("rank '", rank_text, "' has more than 8 squares"))
                var colour = WHITE if byte < ord("a") else BLACK
                var bit = square_bit(make_square(file, rank))
                state.pieces[piece_type] |= bit
                state.colours[colour] |= bit
                file += 1
            if file > 8:
                raise _fen_error(text, String("rank '", rank_text, "' has more than 8 squares"))
        if file != 8:
            raise _fen_error(text, String("rank '", rank_text, "' has ", file, " squares, not 8"))


def _parse_castling(mut state: ChessState, text: String, field: String) raises:
    if field == "-":
        return
    var bytes = field.as_bytes()
    for index in range(len(bytes)):
        var byte = Int(bytes[index])
        var right: Int
        var king_home = 4
        var rook_home = 7
        var colour = WHITE
        if byte == ord("K"):
            right = CASTLE_WHITE_KINGSIDE
        elif byte == ord("Q"):
            right = CASTLE_WHITE_QUEENSIDE
            rook_home = 0
        elif byte == ord("k"):
            right = CASTLE_BLACK_KINGSIDE
            king_home = 60
            rook_home = 63
            colour = BLACK
        elif byte == ord("q"):
            right = CASTLE_BLACK_QUEENSIDE
            king_home = 60
            rook_home = 56
            colour = BLACK
        else:
            raise _fen_error(text, String("castling field '", field, "' has '", chr(byte), "' (expected K, Q, k, q or -)"))
        if state.castling & right:
            raise _fen_error(text, String("castling field '", field, "' repeats '", chr(byte), "'"))
        if piece_type_on(state, king_home, colour) != KING or piece_type_on(state, rook_home, colour) != ROOK:
            raise _fen_error(
                text,
                String(
                    "castling right '",
                    chr(byte),
                    "' needs the king on ",
                    square_name(king_home),
                    " and a rook on ",
                    square_name(rook_home),
                ),
            )
        state.castling |= right


def _parse_en_passant(mut state: ChessState, text: String, field: String) raises:
    if field == "-":
        return
    var square = parse_square(field)
    if square == NO_SQUARE:
        raise _fen_error(text, String("en passant field '", field, "' is not a square or '-'"))
    var mover = state.side
    var expected_rank = 5 if mover == WHITE else 2
    if (square >> 3) != expected_rank:
        raise _fen_error(
            text,
            String("en passant square '", field, "' must be on rank ", expected_rank + 1, " when ", "white" if mover == WHITE else "black", " is to move"),
        )
    var pawn_square = square - 8 if mover == WHITE else square + 8
    var start_square = square + 8 if mover == WHITE else square - 8
    var occupied = state.colours[WHITE] | state.colours[BLACK]
    if piece_type_on(state, pawn_square, 1 - mover) != PAWN or (occupied & (square_bit(square) | square_bit(start_square))):
        raise _fen_error(
            text, String("en passant square '", field, "' was not left by a pawn's double move (no pawn on ", square_name(pawn_square), " or squares not empty)")
        )
    # Kept only when a pawn of the side to move could capture there (the hashed feature).
    if pawn_attacks_of_set(square_bit(square), 1 - mover) & state.pieces[PAWN] & state.colours[mover]:
        state.en_passant = square


def load_fen(mut state: ChessState, text: String) raises:
    """Sets `state` (an empty board with its options) to the FEN `text`."""
    var fields = List[String]()
    for part in text.split():
        if part.byte_length() > 0:
            fields.append(String(part))
    if len(fields) < 4 or len(fields) > 6:
        raise _fen_error(text, String("expected 4 to 6 space-separated fields, found ", len(fields)))
    _parse_placement(state, text, fields[0])
    for colour in range(2):
        var kings = pop_count(state.pieces[KING] & state.colours[colour])
        if kings != 1:
            raise _fen_error(text, String("white" if colour == WHITE else "black", " has ", kings, " kings, not 1"))
    if state.pieces[PAWN] & (RANK_1 | RANK_8):
        raise _fen_error(text, "a pawn stands on the first or last rank")
    if fields[1] == "w":
        state.side = WHITE
    elif fields[1] == "b":
        state.side = BLACK
    else:
        raise _fen_error(text, String("side to move '", fields[1], "' must be 'w' or 'b'"))
    _parse_castling(state, text, fields[2])
    _parse_en_passant(state, text, fields[3])
    state.halfmove_clock = _parse_count(text, fields[4], "halfmove clock", 0) if len(fields) > 4 else 0
    var move_number = _parse_count(text, fields[5], "move number", 1) if len(fields) > 5 else 1
    state.ply_count = 2 * (move_number - 1) + state.side
    if is_square_attacked(state, king_square(state, 1 - state.side), state.side):
        raise _fen_error(text, "the side not to move is in check")
    state.key = compute_key(state)


def _placement(state: ChessState) -> String:
    var text = String()
    for rank in range(7, -1, -1):
        var empty_run = 0
        for file in range(8):
            var square = make_square(file, rank)
            var colour = WHITE if state.colours[WHITE] & square_bit(square) else BLACK
            var piece_type = piece_type_on(state, square, colour)
            if piece_type == NO_PIECE:
                empty_run += 1
                continue
            if empty_run > 0:
                text += String(empty_run)
                empty_run = 0
            text += piece_letter(piece_type, colour)
        if empty_run > 0:
            text += String(empty_run)
        if rank > 0:
            text += "/"
    return text


def _castling_text(rights: Int) -> String:
    var text = String()
    if rights & CASTLE_WHITE_KINGSIDE:
        text += "K"
    if rights & CASTLE_WHITE_QUEENSIDE:
        text += "Q"
    if rights & CASTLE_BLACK_KINGSIDE:
        text += "k"
    if rights & CASTLE_BLACK_QUEENSIDE:
        text += "q"
    return text if text.byte_length() > 0 else String("-")


def format_fen(state: ChessState) -> String:
    """The FEN. The en passant square is written as X-FEN does: only when a pawn of the side
    to move stands ready to take there (legal or pinned), which is exactly the state's
    `en_passant` and its hashed feature, so FEN -> state -> FEN keeps the key."""
    var en_passant = square_name(state.en_passant) if state.en_passant != NO_SQUARE else String("-")
    return String(
        _placement(state),
        " ",
        "w" if state.side == WHITE else "b",
        " ",
        _castling_text(state.castling),
        " ",
        en_passant,
        " ",
        state.halfmove_clock,
        " ",
        state.ply_count // 2 + 1,
    )


def render(state: ChessState) -> String:
    """The board from white's side, ranks 8 to 1, `.` for empty squares, then the FEN."""
    var text = String()
    for rank in range(7, -1, -1):
        text += String(rank + 1, " ")
        for file in range(8):
            var square = make_square(file, rank)
            var colour = WHITE if state.colours[WHITE] & square_bit(square) else BLACK
            var piece_type = piece_type_on(state, square, colour)
            text += " "
            text += piece_letter(piece_type, colour) if piece_type != NO_PIECE else String(".")
        text += "\n"
    text += "   a b c d e f g h\n"
    text += format_fen(state)
    text += "\n"
    return text
