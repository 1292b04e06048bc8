"""Reading a text file the user names (a config, a PTN or PGN game, a move list):
`read_utf8_text_file`, whose errors name the file, and for bytes that are not UTF-8 the
line and column, instead of a bare `UnicodeDecodeError` that says neither. Each caller
passes its own error class (a `ValueError` subclass: exit 2, pyzero/errors.py).

At the bottom of the layers: it imports nothing of the project.
"""

from __future__ import annotations

from pathlib import Path

UTF8_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def undecodable_text_message(source: str, data: bytes, error: UnicodeDecodeError) -> str:
    """`SOURCE:LINE:COLUMN: ...` for the first bytes of `data` that are not UTF-8."""
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
    bad_bytes = data[error.start:error.end].hex(" ")
    return f"{source}:{line}:{column}: the file is not UTF-8 text (byte {bad_bytes}: {error.reason})"


def decode_utf8_text(data: bytes, source: str, error_class: type[Exception] = ValueError) -> str:
    """`data` decoded as UTF-8 (a leading byte-order mark dropped); `error_class` naming
    `source`, the line and the column where it is not UTF-8."""
    body = data[len(UTF8_BYTE_ORDER_MARK):] if data.startswith(UTF8_BYTE_ORDER_MARK) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise error_class(undecodable_text_message(source, body, error)) from None


def read_utf8_text_file(path: str | Path, error_class: type[Exception] = ValueError) -> str:
    """The text of the file at `path`; `error_class` naming the file when it cannot be
    read (missing, a folder, no permission) or is not UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise error_class(f"{path}: {error.strerror or error}") from None
    return decode_utf8_text(data, str(path), error_class)
