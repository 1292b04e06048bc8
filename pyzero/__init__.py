"""pyzero: AlphaZero-style self-play learning for board games, with a Mojo engine."""

__version__ = "0.1.0"
