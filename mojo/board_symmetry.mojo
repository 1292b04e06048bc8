"""The 8 symmetries of a square board (the dihedral group D4) and of a mirror-only board.

Symmetry numbering, for an n x n board with (row, column) coordinates:
    0 identity            (r, c)
    1 rotate 90           (c, n-1-r)
    2 rotate 180          (n-1-r, n-1-c)
    3 rotate 270          (n-1-c, r)
    4 mirror columns      (r, n-1-c)
    5 mirror rows         (n-1-r, c)
    6 transpose           (c, r)
    7 anti-transpose      (n-1-c, n-1-r)
Games map their square-indexed actions and their input planes with the same functions,
so an action and the plane cell it refers to always move together.
"""

from mojo.game import FloatBuffer

comptime NUM_SQUARE_SYMMETRIES = 8


@always_inline
def square_symmetry_row(symmetry: Int, size: Int, row: Int, column: Int) -> Int:
    """Row of the image of (row, column) under `symmetry` on a `size` x `size` board."""
    var last = size - 1
    if symmetry == 0 or symmetry == 4:
        return row
    if symmetry == 1 or symmetry == 6:
        return column
    if symmetry == 2 or symmetry == 5:
        return last - row
    return last - column  # 3 and 7


@always_inline
def square_symmetry_column(symmetry: Int, size: Int, row: Int, column: Int) -> Int:
    """Column of the image of (row, column) under `symmetry` on a `size` x `size` board."""
    var last = size - 1
    if symmetry == 0 or symmetry == 5:
        return column
    if symmetry == 1 or symmetry == 7:
        return last - row
    if symmetry == 2 or symmetry == 4:
        return last - column
    return row  # 3 and 6


@always_inline
def square_symmetry_index(symmetry: Int, size: Int, square: Int) -> Int:
    """Image of square index `row * size + column` under `symmetry`."""
    var row = square // size
    var column = square % size
    return square_symmetry_row(symmetry, size, row, column) * size + square_symmetry_column(
        symmetry, size, row, column
    )


def transform_square_planes(
    symmetry: Int, size: Int, channels: Int, source: FloatBuffer, destination: FloatBuffer
):
    """Maps every `size` x `size` plane of `source` by `symmetry` into `destination`."""
    var area = size * size
    for square in range(area):
        var image = square_symmetry_index(symmetry, size, square)
        for channel in range(channels):
            destination[unsafe_offset = channel * area + image] = source[
                unsafe_offset = channel * area + square
            ]


def mirror_column_planes(
    mirrored: Bool, height: Int, width: Int, channels: Int, source: FloatBuffer, destination: FloatBuffer
):
    """Copies `[channels, height, width]` planes, mirroring columns when `mirrored`."""
    for channel in range(channels):
        for row in range(height):
            var base = (channel * height + row) * width
            for column in range(width):
                var target = width - 1 - column if mirrored else column
                destination[unsafe_offset = base + target] = source[unsafe_offset = base + column]
