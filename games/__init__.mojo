"""One Mojo file per game; each implements the `Game` trait of `mojo/game.mojo`."""
