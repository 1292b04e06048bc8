"""Chess moves as text: UCI (`e2e4`, `e7e8q`, castling `e1g1`) and SAN (`Nf3`, `exd5`, `O-O`, `e8=Q#`).

`parse_move` reads either: a token shaped like UCI (two squares and an optional
promotion letter) is UCI, anything else SAN. Errors name the token and the reason. UCI is
checked for shape only (and a promotion letter must match a pawn reaching the last rank);
SAN needs the legal moves to resolve which piece moves, so a SAN token that matches no
legal move is an error here.

SAN as written here: piece letter (none for pawns), the origin's file, rank or both only
when another piece of the same type could also reach the square (file preferred, then
rank), `x` for captures (a pawn capture starts with its file), the destination,
`=Q`/`=R`/`=B`/`=N` for promotions, `+` for check and `#` for mate; castling is `O-O` /
`O-O-O`. Parsing also accepts `0-0`, a missing or extra `x`/`+`/`#`, trailing `!`/`?`
annotations, and a promotion without `=` (`e8Q`).
"""

from games.chess.board import (
    WHITE,
    PAWN,
    KNIGHT,
    BISHOP,
    ROOK,
    QUEEN,
    KING,
    NO_PIECE,
    NO_PROMOTION,
    NO_SQUARE,
    PIECE_LETTERS,
    square_bit,
    square_file,
    square_rank,
    square_name,
    piece_type_of_letter,
)
from games.chess.moves import (
    encode_move,
    move_from,
    move_to,
    move_promotion,
    generate_moves,
    is_in_check,
)
from games.chess.make_move import piece_type_on, make_move
from games.chess.state import ChessState


def format_uci(move: Int) -> String:
    """`e2e4`, `e7e8q`; castling as the king's move `e1g1`."""
    var text = square_name(move_from(move)) + square_name(move_to(move))
    var promotion = move_promotion(move)
    if promotion != NO_PROMOTION:
        text += chr(Int(String(PIECE_LETTERS).as_bytes()[promotion]))
    return text


def _looks_like_uci(text: String) -> Bool:
    var bytes = text.as_bytes()
    if len(bytes) != 4 and len(bytes) != 5:
        return False
    for index in [0, 2]:
        if Int(bytes[index]) < ord("a") or Int(bytes[index]) > ord("h"):
            return False
        if Int(bytes[index + 1]) < ord("1") or Int(bytes[index + 1]) > ord("8"):
            return False
    return True


def parse_uci(state: ChessState, text: String) raises -> Int:
    """The move code of a UCI token; raises naming the token and why it is malformed."""
    var bytes = text.as_bytes()
    if not _looks_like_uci(text):
        raise Error(String("chess move '", text, "': UCI needs two squares and an optional promotion letter, e.g. e2e4 or e7e8q"))
    var from_square = (Int(bytes[1]) - ord("1")) * 8 + Int(bytes[0]) - ord("a")
    var to_square = (Int(bytes[3]) - ord("1")) * 8 + Int(bytes[2]) - ord("a")
    if from_square == to_square:
        raise Error(String("chess move '", text, "': the from and to squares are the same"))
    var is_promotion = (
        piece_type_on(state, from_square, state.side) == PAWN
        and (square_bit(to_square) & 0xFF000000000000FF) != 0
    )
    var promotion = NO_PROMOTION
    if len(bytes) == 5:
        promotion = piece_type_of_letter(Int(bytes[4]))
        if Int(bytes[4]) < ord("a") or promotion < KNIGHT or promotion > QUEEN:
            raise Error(String("chess move '", text, "': promotion letter '", chr(Int(bytes[4])), "' must be q, r, b or n"))
        if not is_promotion:
            raise Error(String("chess move '", text, "': a promotion letter on a move that is not a pawn reaching the last rank"))
    elif is_promotion:
        raise Error(String("chess move '", text, "': a pawn reaching the last rank needs a promotion letter (q, r, b or n)"))
    return encode_move(from_square, to_square, promotion)


def _san_without_suffix(state: ChessState, move: Int, legal: List[Int], disambiguate: Bool = True) -> String:
    var from_square = move_from(move)
    var to_square = move_to(move)
    var moving = piece_type_on(state, from_square, state.side)
    if moving == KING and (to_square - from_square == 2 or from_square - to_square == 2):
        return "O-O" if to_square > from_square else "O-O-O"
    var is_capture = (state.colours[1 - state.side] & square_bit(to_square)) != 0 or (
        moving == PAWN and square_file(from_square) != square_file(to_square)
    )
    var text = String()
    if moving == PAWN:
        if is_capture:
            text += chr(ord("a") + square_file(from_square))
    else:
        text += chr(Int(String(PIECE_LETTERS).as_bytes()[moving]) - 32)
        # Disambiguate among other pieces of the same type that can reach the same square.
        var rivals = 0
        var same_file = False
        var same_rank = False
        for index in range(len(legal)):
            var other = legal[index]
            var other_from = move_from(other)
            if other_from == from_square or move_to(other) != to_square:
                continue
            if piece_type_on(state, other_from, state.side) != moving:
                continue
            rivals += 1
            if square_file(other_from) == square_file(from_square):
                same_file = True
            if square_rank(other_from) == square_rank(from_square):
                same_rank = True
        if rivals > 0 and disambiguate:
            if not same_file:
                text += chr(ord("a") + square_file(from_square))
            elif not same_rank:
                text += chr(ord("1") + square_rank(from_square))
            else:
                text += square_name(from_square)
    if is_capture:
        text += "x"
    text += square_name(to_square)
    var promotion = move_promotion(move)
    if promotion != NO_PROMOTION:
        text += "="
        text += chr(Int(String(PIECE_LETTERS).as_bytes()[promotion]) - 32)
    return text


def format_san(state: ChessState, move: Int) -> String:
    """The legal move `move` in SAN, with `+` for check and `#` for checkmate."""
    var legal = List[Int]()
    generate_moves(state, legal)
    var text = _san_without_suffix(state, move, legal)
    var after = state.copy()
    make_move(after, move)
    if is_in_check(after):
        var replies = List[Int]()
        generate_moves(after, replies)
        text += "#" if len(replies) == 0 else "+"
    return text


def _normalised_san(text: String) -> String:
    """SAN without check/mate/annotation marks and capture `x`, castling zeros as letters, `=` added."""
    var bytes = text.as_bytes()
    var cleaned = String()
    for index in range(len(bytes)):
        var byte = Int(bytes[index])
        if byte == ord("+") or byte == ord("#") or byte == ord("!") or byte == ord("?") or byte == ord("x") or byte == ord("="):
            continue
        cleaned += chr(ord("O") if byte == ord("0") else byte)
    return cleaned


def parse_san(state: ChessState, text: String) raises -> Int:
    """The legal move written `text` in SAN; raises naming the token when none or several match."""
    var wanted = _normalised_san(text)
    if wanted.byte_length() < 2:
        raise Error(String("chess move '", text, "': too short for SAN or UCI"))
    var legal = List[Int]()
    generate_moves(state, legal)
    # Exact SAN first; then SAN without the origin hint (`Ne2` when two knights can go
    # there is ambiguous, not unknown); then the long form `Ng1f3`.
    var found = -1
    var matches = 0
    for pass_index in range(3):
        for index in range(len(legal)):
            var move = legal[index]
            var candidate: String
            if pass_index < 2:
                candidate = _normalised_san(_san_without_suffix(state, move, legal, pass_index == 0))
            else:
                var moving = piece_type_on(state, move_from(move), state.side)
                if moving == PAWN:
                    continue
                candidate = chr(Int(String(PIECE_LETTERS).as_bytes()[moving]) - 32) + square_name(move_from(move)) + square_name(move_to(move))
            if candidate == wanted:
                found = move
                matches += 1
        if matches > 0:
            break
    if matches == 0:
        raise Error(String("chess move '", text, "': no legal move matches this SAN"))
    if matches > 1:
        raise Error(String("chess move '", text, "': ambiguous SAN, ", matches, " legal moves match"))
    return found


def parse_move(state: ChessState, text: String) raises -> Int:
    """A move in UCI or SAN (see the module docstring); raises naming the token and why."""
    var token = String(text.strip())
    if token.byte_length() == 0:
        raise Error("chess move '': empty move")
    if _looks_like_uci(token):
        return parse_uci(state, token)
    return parse_san(state, token)
