"""Legal move generation.

A move is an `Int` code: `from | to << 6 | promotion << 12`, where `promotion` is the
promoted piece type (KNIGHT..QUEEN) or NO_PROMOTION. Castling is the king's two-square
move (`e1g1`), en passant the pawn's diagonal move onto the en passant square; both are
recognised from the pieces and squares when the move is made.

Generation is pseudo-legal by piece, then a candidate is kept only when the mover's king
is not attacked afterwards. That test (`_king_safe_after`) builds the occupancy and the
opponent's pieces as they would be after the move instead of making it, which covers
pins, checks and the en passant cases where removing two pawns from one rank exposes
the king, all with one rule. It is skipped (the speed-up) for moves of pieces that are
neither the king nor pinned when the king is not in check: such a move can never expose
the king. King moves and castling need no test either: the opponent's attack map, drawn
once with the king taken off the board (`attacked_squares`, so a slider's ray through
the king's square covers the square behind it), says which squares the king may step to,
cross or start from.
"""

from std.bit import pop_count

from games.chess.board import (
    WHITE,
    BLACK,
    PAWN,
    KNIGHT,
    BISHOP,
    ROOK,
    QUEEN,
    KING,
    NO_PROMOTION,
    NO_SQUARE,
    CASTLE_WHITE_KINGSIDE,
    CASTLE_WHITE_QUEENSIDE,
    CASTLE_BLACK_KINGSIDE,
    CASTLE_BLACK_QUEENSIDE,
    NOT_FILE_A,
    NOT_FILE_H,
    ALL_SQUARES,
    RANK_1,
    RANK_3,
    RANK_6,
    RANK_8,
    square_bit,
    lowest_square,
)
from games.chess.attacks import (
    knight_attacks,
    king_attacks,
    knight_attacks_of_set,
    king_attacks_of_set,
    pawn_attacks_of_set,
    rook_attacks_of_set,
    bishop_attacks_of_set,
    rook_attacks,
    bishop_attacks,
    rook_rays,
    bishop_rays,
    is_attacked_by,
)
from games.chess.state import ChessState


@always_inline
def encode_move(from_square: Int, to_square: Int, promotion: Int) -> Int:
    return from_square | (to_square << 6) | (promotion << 12)


@always_inline
def move_from(move: Int) -> Int:
    return move & 63


@always_inline
def move_to(move: Int) -> Int:
    return (move >> 6) & 63


@always_inline
def move_promotion(move: Int) -> Int:
    return move >> 12


def is_square_attacked(state: ChessState, square: Int, attacker_colour: Int) -> Bool:
    """Whether a piece of `attacker_colour` attacks `square` in the position as it stands."""
    var attackers = state.colours[attacker_colour]
    return is_attacked_by(
        square,
        state.colours[WHITE] | state.colours[BLACK],
        state.pieces[PAWN] & attackers,
        state.pieces[KNIGHT] & attackers,
        (state.pieces[BISHOP] | state.pieces[QUEEN]) & attackers,
        (state.pieces[ROOK] | state.pieces[QUEEN]) & attackers,
        state.pieces[KING] & attackers,
        attacker_colour,
    )


def attacked_squares(state: ChessState, attacker_colour: Int, occupied: UInt64) -> UInt64:
    """Every square the attacker's pieces attack, with `occupied` as the occupancy (pass
    it without the defending king for the squares that king may move to)."""
    var pieces = state.colours[attacker_colour]
    var attacked = pawn_attacks_of_set(state.pieces[PAWN] & pieces, attacker_colour)
    attacked |= knight_attacks_of_set(state.pieces[KNIGHT] & pieces)
    attacked |= king_attacks_of_set(state.pieces[KING] & pieces)
    attacked |= bishop_attacks_of_set((state.pieces[BISHOP] | state.pieces[QUEEN]) & pieces, occupied)
    attacked |= rook_attacks_of_set((state.pieces[ROOK] | state.pieces[QUEEN]) & pieces, occupied)
    return attacked


def king_square(state: ChessState, colour: Int) -> Int:
    return lowest_square(state.pieces[KING] & state.colours[colour])


def is_in_check(state: ChessState) -> Bool:
    """Whether the side to move's king is attacked."""
    return is_square_attacked(state, king_square(state, state.side), 1 - state.side)


@always_inline
def en_passant_victim_square(en_passant_square: Int, mover: Int) -> Int:
    """The square of the pawn taken en passant: one rank behind the en passant square."""
    return en_passant_square - 8 if mover == WHITE else en_passant_square + 8


def _king_safe_after(state: ChessState, from_square: Int, to_square: Int, is_en_passant: Bool) -> Bool:
    """Whether the mover's king is unattacked after moving `from_square` to `to_square`."""
    var mover = state.side
    var opponent = 1 - mover
    var from_bit = square_bit(from_square)
    var to_bit = square_bit(to_square)
    var occupied = ((state.colours[WHITE] | state.colours[BLACK]) & ~from_bit) | to_bit
    var remaining = state.colours[opponent] & ~to_bit  # a capture removes the piece on `to`
    if is_en_passant:
        var victim = square_bit(en_passant_victim_square(to_square, mover))
        occupied &= ~victim
        remaining &= ~victim
    var king = state.pieces[KING] & state.colours[mover]
    var target = to_square if (king & from_bit) else lowest_square(king)
    return not is_attacked_by(
        target,
        occupied,
        state.pieces[PAWN] & remaining,
        state.pieces[KNIGHT] & remaining,
        (state.pieces[BISHOP] | state.pieces[QUEEN]) & remaining,
        (state.pieces[ROOK] | state.pieces[QUEEN]) & remaining,
        state.pieces[KING] & remaining,
        opponent,
    )


def _pinned_pieces(state: ChessState, king: Int) -> UInt64:
    """The mover's pieces that stand alone between its king and an enemy slider on a line.

    A blocker `b` is pinned when the king, looking through `b`, sees an enemy slider of the
    matching kind. Only the first own piece on each ray from the king is a candidate.
    """
    var mover = state.side
    var own = state.colours[mover]
    var enemy = state.colours[1 - mover]
    var occupied = own | enemy
    var straight = (state.pieces[ROOK] | state.pieces[QUEEN]) & enemy
    var diagonal = (state.pieces[BISHOP] | state.pieces[QUEEN]) & enemy
    var pinned: UInt64 = 0
    # Enemy sliders on the king's empty-board lines: usually none, and then nothing is pinned.
    # Only a slider that lifting the blocker reveals pins it: one that already gives check
    # (in check, `_count_evasions` asks too) is seen with or without the blocker.
    if straight & rook_rays(king):
        var seen = rook_attacks(king, occupied)
        var blockers = seen & own
        while blockers:
            var blocker = blockers & (~blockers + 1)
            blockers ^= blocker
            if rook_attacks(king, occupied ^ blocker) & ~seen & straight:
                pinned |= blocker
    if diagonal & bishop_rays(king):
        var seen = bishop_attacks(king, occupied)
        var blockers = seen & own
        while blockers:
            var blocker = blockers & (~blockers + 1)
            blockers ^= blocker
            if bishop_attacks(king, occupied ^ blocker) & ~seen & diagonal:
                pinned |= blocker
    return pinned


@always_inline
def _add_if_legal(
    state: ChessState,
    mut moves: List[Int],
    from_square: Int,
    to_square: Int,
    promotion: Int,
    is_en_passant: Bool,
    unpinned: UInt64,
):
    """Appends the move if legal; moves from `unpinned` squares (not en passant) need no test."""
    if ((unpinned & square_bit(from_square)) and not is_en_passant) or _king_safe_after(
        state, from_square, to_square, is_en_passant
    ):
        moves.append(encode_move(from_square, to_square, promotion))


def _add_pawn_moves(state: ChessState, mut moves: List[Int], targets: UInt64, offset: Int, unpinned: UInt64):
    """Pawn moves to every square of `targets`, each from `target - offset`; all four promotions on the last rank."""
    var remaining = targets
    while remaining:
        var to_square = lowest_square(remaining)
        remaining &= remaining - 1
        var from_square = to_square - offset
        if square_bit(to_square) & (RANK_1 | RANK_8):
            if (unpinned & square_bit(from_square)) or _king_safe_after(state, from_square, to_square, False):
                comptime for promotion in [QUEEN, ROOK, BISHOP, KNIGHT]:
                    moves.append(encode_move(from_square, to_square, promotion))
        else:
            _add_if_legal(state, moves, from_square, to_square, NO_PROMOTION, False, unpinned)


def _add_piece_moves(state: ChessState, mut moves: List[Int], from_square: Int, targets: UInt64, unpinned: UInt64):
    var remaining = targets
    while remaining:
        var to_square = lowest_square(remaining)
        remaining &= remaining - 1
        _add_if_legal(state, moves, from_square, to_square, NO_PROMOTION, False, unpinned)


def _castling_destinations(state: ChessState, occupied: UInt64, danger: UInt64) -> UInt64:
    """The king's destination squares of the legal castling moves: rights held, squares
    between king and rook empty, king not in, through or into check (`danger`: the
    opponent's attack map drawn without the king, which is the same as with it on these
    squares whenever the king is not in check)."""
    var mover = state.side
    var kingside = CASTLE_WHITE_KINGSIDE if mover == WHITE else CASTLE_BLACK_KINGSIDE
    var queenside = CASTLE_WHITE_QUEENSIDE if mover == WHITE else CASTLE_BLACK_QUEENSIDE
    if (state.castling & (kingside | queenside)) == 0:
        return 0
    var home = 4 if mover == WHITE else 60  # e1 / e8; rights imply king and rook are home
    if danger & square_bit(home):
        return 0
    var destinations: UInt64 = 0
    var kingside_path = square_bit(home + 1) | square_bit(home + 2)
    if (state.castling & kingside) and (occupied & kingside_path) == 0 and (danger & kingside_path) == 0:
        destinations |= square_bit(home + 2)
    var queenside_path = square_bit(home - 1) | square_bit(home - 2)
    if (
        (state.castling & queenside)
        and (occupied & (queenside_path | square_bit(home - 3))) == 0
        and (danger & queenside_path) == 0
    ):
        destinations |= square_bit(home - 2)
    return destinations


def generate_moves(state: ChessState, mut moves: List[Int]):
    """Clears `moves` and appends the code of every legal move, ignoring draws by rule."""
    moves.clear()
    var mover = state.side
    var own = state.colours[mover]
    var enemy = state.colours[1 - mover]
    var occupied = own | enemy
    var empty = ~occupied
    var king_from = king_square(state, mover)
    var king_bit = square_bit(king_from)
    var danger = attacked_squares(state, 1 - mover, occupied ^ king_bit)
    # Squares whose (non-en-passant) moves cannot expose the king: every piece but the king
    # and the pinned ones, unless the king is in check (then every move is tested).
    var unpinned: UInt64 = 0
    if (danger & king_bit) == 0:
        unpinned = own & ~king_bit & ~_pinned_pieces(state, king_from)

    # Pawns: pushes, double pushes, captures (promotions included), en passant.
    var pawns = state.pieces[PAWN] & own
    if mover == WHITE:
        var single = (pawns << 8) & empty
        _add_pawn_moves(state, moves, single, 8, unpinned)
        _add_pawn_moves(state, moves, ((single & RANK_3) << 8) & empty, 16, unpinned)
        _add_pawn_moves(state, moves, (pawns << 7) & NOT_FILE_H & enemy, 7, unpinned)
        _add_pawn_moves(state, moves, (pawns << 9) & NOT_FILE_A & enemy, 9, unpinned)
    else:
        var single = (pawns >> 8) & empty
        _add_pawn_moves(state, moves, single, -8, unpinned)
        _add_pawn_moves(state, moves, ((single & RANK_6) >> 8) & empty, -16, unpinned)
        _add_pawn_moves(state, moves, (pawns >> 9) & NOT_FILE_H & enemy, -9, unpinned)
        _add_pawn_moves(state, moves, (pawns >> 7) & NOT_FILE_A & enemy, -7, unpinned)
    if state.en_passant != NO_SQUARE:
        # Own pawns that attack the en passant square are those a pawn of the other colour there would attack.
        var capturers = pawn_attacks_of_set(square_bit(state.en_passant), 1 - mover) & pawns
        while capturers:
            var from_square = lowest_square(capturers)
            capturers &= capturers - 1
            _add_if_legal(state, moves, from_square, state.en_passant, NO_PROMOTION, True, unpinned)

    var knights = state.pieces[KNIGHT] & own
    while knights:
        var from_square = lowest_square(knights)
        knights &= knights - 1
        _add_piece_moves(state, moves, from_square, knight_attacks(from_square) & ~own, unpinned)

    var diagonal = (state.pieces[BISHOP] | state.pieces[QUEEN]) & own
    while diagonal:
        var from_square = lowest_square(diagonal)
        diagonal &= diagonal - 1
        _add_piece_moves(state, moves, from_square, bishop_attacks(from_square, occupied) & ~own, unpinned)

    var straight = (state.pieces[ROOK] | state.pieces[QUEEN]) & own
    while straight:
        var from_square = lowest_square(straight)
        straight &= straight - 1
        _add_piece_moves(state, moves, from_square, rook_attacks(from_square, occupied) & ~own, unpinned)

    var king_targets = king_attacks(king_from) & ~own & ~danger
    while king_targets:
        moves.append(encode_move(king_from, lowest_square(king_targets), NO_PROMOTION))
        king_targets &= king_targets - 1
    var castling = _castling_destinations(state, occupied, danger)
    while castling:
        moves.append(encode_move(king_from, lowest_square(castling), NO_PROMOTION))
        castling &= castling - 1


def has_any_legal_move(state: ChessState) -> Bool:
    """Whether the side to move has a legal move (generates them all; kept simple on purpose)."""
    var moves = List[Int]()
    generate_moves(state, moves)
    return len(moves) > 0


@always_inline
def _pawn_target_count(targets: UInt64) -> Int:
    """Moves to `targets` by pawns: four (the promotions) for each last-rank square, one otherwise."""
    var last_ranks = RANK_1 | RANK_8
    return Int(pop_count(targets & ~last_ranks)) + 4 * Int(pop_count(targets & last_ranks))


def _count_safe(state: ChessState, from_square: Int, targets: UInt64, is_en_passant: Bool) -> Int:
    """How many moves from `from_square` to `targets` leave the king unattacked."""
    var count = 0
    var remaining = targets
    while remaining:
        if _king_safe_after(state, from_square, lowest_square(remaining), is_en_passant):
            count += 1
        remaining &= remaining - 1
    return count


def _count_safe_pawn_moves(state: ChessState, targets: UInt64, offset: Int) -> Int:
    """Like `_add_pawn_moves` with every move tested, but counting (four per promotion)."""
    var count = 0
    var remaining = targets
    while remaining:
        var to_square = lowest_square(remaining)
        remaining &= remaining - 1
        if _king_safe_after(state, to_square - offset, to_square, False):
            count += 4 if square_bit(to_square) & (RANK_1 | RANK_8) else 1
    return count


@always_inline
def _count_free_pawn_moves(state: ChessState, free_pawns: UInt64, empty: UInt64, enemy: UInt64, allowed: UInt64) -> Int:
    """Pushes, double pushes and captures of pawns no pin holds that end on `allowed`
    squares (every square, or in check those that answer it); four per promotion."""
    if state.side == WHITE:
        var single = (free_pawns << 8) & empty
        return (
            _pawn_target_count(single & allowed)
            + Int(pop_count(((single & RANK_3) << 8) & empty & allowed))
            + _pawn_target_count((free_pawns << 7) & NOT_FILE_H & enemy & allowed)
            + _pawn_target_count((free_pawns << 9) & NOT_FILE_A & enemy & allowed)
        )
    var single = (free_pawns >> 8) & empty
    return (
        _pawn_target_count(single & allowed)
        + Int(pop_count(((single & RANK_6) >> 8) & empty & allowed))
        + _pawn_target_count((free_pawns >> 9) & NOT_FILE_H & enemy & allowed)
        + _pawn_target_count((free_pawns >> 7) & NOT_FILE_A & enemy & allowed)
    )


@always_inline
def _count_en_passant(state: ChessState, pawns: UInt64) -> Int:
    """Legal en passant captures by `pawns` (the mover's), each tested as the move it is."""
    if state.en_passant == NO_SQUARE:
        return 0
    var count = 0
    var capturers = pawn_attacks_of_set(square_bit(state.en_passant), 1 - state.side) & pawns
    while capturers:
        count += _count_safe(state, lowest_square(capturers), square_bit(state.en_passant), True)
        capturers &= capturers - 1
    return count


def _count_evasions(state: ChessState, king_from: Int, danger: UInt64) -> Int:
    """`count_moves` in check. The king steps off every attacked square; against two
    checkers nothing else helps. Against one, a piece that is not pinned may take the
    checker or step between it and the king (a pinned piece never can: its line and the
    check's meet only at the king), and en passant is tested as the move it is."""
    var mover = state.side
    var own = state.colours[mover]
    var enemy = state.colours[1 - mover]
    var occupied = own | enemy
    var empty = ~occupied
    var count = Int(pop_count(king_attacks(king_from) & ~own & ~danger))
    var checkers = (
        (pawn_attacks_of_set(square_bit(king_from), mover) & state.pieces[PAWN])
        | (knight_attacks(king_from) & state.pieces[KNIGHT])
        | (bishop_attacks(king_from, occupied) & (state.pieces[BISHOP] | state.pieces[QUEEN]))
        | (rook_attacks(king_from, occupied) & (state.pieces[ROOK] | state.pieces[QUEEN]))
    ) & enemy
    if pop_count(checkers) > 1:
        return count
    var checker = lowest_square(checkers)
    # The squares that answer the check: the checker's, and those between it and the king
    # (two squares on one line see each other's rays cross exactly there).
    var answers = checkers
    if checkers & rook_rays(king_from):
        answers |= rook_attacks(king_from, occupied) & rook_attacks(checker, occupied)
    elif checkers & bishop_rays(king_from):
        answers |= bishop_attacks(king_from, occupied) & bishop_attacks(checker, occupied)
    var free = own & ~square_bit(king_from) & ~_pinned_pieces(state, king_from)

    var pawns = state.pieces[PAWN] & own
    count += _count_free_pawn_moves(state, pawns & free, empty, enemy, answers) + _count_en_passant(state, pawns)
    var knights = state.pieces[KNIGHT] & free
    while knights:
        count += Int(pop_count(knight_attacks(lowest_square(knights)) & answers))
        knights &= knights - 1
    var diagonal = (state.pieces[BISHOP] | state.pieces[QUEEN]) & free
    while diagonal:
        count += Int(pop_count(bishop_attacks(lowest_square(diagonal), occupied) & answers))
        diagonal &= diagonal - 1
    var straight = (state.pieces[ROOK] | state.pieces[QUEEN]) & free
    while straight:
        count += Int(pop_count(rook_attacks(lowest_square(straight), occupied) & answers))
        straight &= straight - 1
    return count


def count_moves(state: ChessState) -> Int:
    """The number of legal moves, equal to `len` of `generate_moves`'s list (perft's last ply).

    When the king is not in check, a piece that is neither the king nor pinned has every
    pseudo-legal move legal, so its moves are counted by population count of its target
    set; the king's moves and castling by the opponent's attack map; en passant and the
    pinned pieces' moves are tested one by one. In check, `_count_evasions`. Nothing is
    allocated.
    """
    var mover = state.side
    var own = state.colours[mover]
    var enemy = state.colours[1 - mover]
    var occupied = own | enemy
    var empty = ~occupied
    var king_from = king_square(state, mover)
    var king_bit = square_bit(king_from)
    var danger = attacked_squares(state, 1 - mover, occupied ^ king_bit)
    if danger & king_bit:
        return _count_evasions(state, king_from, danger)
    var pinned = _pinned_pieces(state, king_from)
    var free = own & ~king_bit & ~pinned
    var count = 0

    var pawns = state.pieces[PAWN] & own
    count += _count_free_pawn_moves(state, pawns & free, empty, enemy, ALL_SQUARES) + _count_en_passant(state, pawns)
    var pinned_pawns = pawns & pinned
    if pinned_pawns:
        if mover == WHITE:
            var pinned_single = (pinned_pawns << 8) & empty
            count += _count_safe_pawn_moves(state, pinned_single, 8)
            count += _count_safe_pawn_moves(state, ((pinned_single & RANK_3) << 8) & empty, 16)
            count += _count_safe_pawn_moves(state, (pinned_pawns << 7) & NOT_FILE_H & enemy, 7)
            count += _count_safe_pawn_moves(state, (pinned_pawns << 9) & NOT_FILE_A & enemy, 9)
        else:
            var pinned_single = (pinned_pawns >> 8) & empty
            count += _count_safe_pawn_moves(state, pinned_single, -8)
            count += _count_safe_pawn_moves(state, ((pinned_single & RANK_6) >> 8) & empty, -16)
            count += _count_safe_pawn_moves(state, (pinned_pawns >> 9) & NOT_FILE_H & enemy, -9)
            count += _count_safe_pawn_moves(state, (pinned_pawns >> 7) & NOT_FILE_A & enemy, -7)

    # A pinned knight can never move along its pin line, so only free knights count.
    var knights = state.pieces[KNIGHT] & free
    while knights:
        count += Int(pop_count(knight_attacks(lowest_square(knights)) & ~own))
        knights &= knights - 1

    var diagonal = (state.pieces[BISHOP] | state.pieces[QUEEN]) & own
    while diagonal:
        var from_square = lowest_square(diagonal)
        diagonal &= diagonal - 1
        var targets = bishop_attacks(from_square, occupied) & ~own
        if square_bit(from_square) & free:
            count += Int(pop_count(targets))
        else:
            count += _count_safe(state, from_square, targets, False)

    var straight = (state.pieces[ROOK] | state.pieces[QUEEN]) & own
    while straight:
        var from_square = lowest_square(straight)
        straight &= straight - 1
        var targets = rook_attacks(from_square, occupied) & ~own
        if square_bit(from_square) & free:
            count += Int(pop_count(targets))
        else:
            count += _count_safe(state, from_square, targets, False)

    count += Int(pop_count(king_attacks(king_from) & ~own & ~danger))
    return count + Int(pop_count(_castling_destinations(state, occupied, danger)))
