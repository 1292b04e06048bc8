"""One Mojo file or package per game (`tak/` is a package, one file per concept); each
implements the `Game` trait of `mojo/game.mojo`."""
