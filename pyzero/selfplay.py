"""Self-play from Python: buffers, the network thread(s), lifecycle, finished games.

The Mojo pipeline (mojo/selfplay/) runs the worker threads and owns every
tree; Python allocates the batch tensors once, runs `selfplay.network_threads` network
threads per network (each waits with the GIL released, evaluates a whole buffer, hands it
back by index; several share the network's backend, whose weights swap stays between
batches) and drains
finished games in bulk as numpy arrays. Python never loops over positions or nodes.

    selfplay = SelfPlay(game, [TorchBackend(model)], SelfPlayOptions(games=256))
    with selfplay:                      # start ... drain and join, even on Ctrl-C
        games = selfplay.run(games=100)
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

import numpy as np
import torch
from pydantic import Field

from pyzero.config import ConfigError, GumbelSection, InferenceSection, RunConfig, SearchSection, SelfPlaySection
from pyzero.native import load_native
from pyzero.errors import PyzeroFailure
from pyzero.games import Game
from pyzero.records import FinishedGames
from pyzero.inference import TorchBackend, configure_cpu_threads

_STOPPED, _TIMED_OUT = -1, -2


@contextlib.contextmanager
def _interrupts_deferred():
    """Holds back Ctrl-C (in the main thread) until the block ends, then raises it.

    Starting self-play spawns Mojo workers and network threads in several steps; a
    KeyboardInterrupt between two of them left threads running that no one stopped, and a
    thread still inside the engine when the interpreter exits aborts the process
    ("terminate called without an active exception"). Deferred, the interrupt arrives
    once `_threads` is complete, where the callers' `finally: stop()` can undo it all."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            # Delivered again to whatever handled it before: Python's KeyboardInterrupt,
            # a program's own handler, the default (terminate) or ignore, as it would have.
            signal.raise_signal(signal.SIGINT)


class PipelineError(PyzeroFailure):
    """The pipeline stopped because a worker or a network thread failed."""


class SelfPlayOptions(SelfPlaySection):
    """What the self-play pipeline runs with: the config's `selfplay` section, the fields
    it takes from other sections (`search.simulations`, `search.gumbel`, the cache of
    `inference`) and the run's seed. Each field is the schema's own, with its default,
    type and range (pyzero/config.py): nothing here defines an option a second time, and
    the engine takes every field (it has no defaults of its own)."""

    simulations: int = SearchSection.model_fields["simulations"]
    gumbel: GumbelSection = Field(default_factory=GumbelSection)
    cache_entries: int = InferenceSection.model_fields["cache_entries"]
    max_policy_length: int = InferenceSection.model_fields["max_policy_length"]
    seed: int = Field(0, description="the run's seed: every game's searches derive theirs from it and the game id")

    @classmethod
    def from_config(cls, config: RunConfig, seed: int) -> "SelfPlayOptions":
        """The self-play a run config describes (its selfplay, search and inference sections)."""
        if config.search.algorithm != "gumbel":
            raise ConfigError(f"{config.path}: key 'search.algorithm': self-play runs Gumbel MCTS; "
                              "PUCT is available for analysis and play (pyzero.search.puct_search)")
        return cls(**config.selfplay.model_dump(), simulations=config.search.simulations, gumbel=config.search.gumbel,
                   cache_entries=config.inference.cache_entries,
                   max_policy_length=config.inference.max_policy_length, seed=seed)

    def engine_options(self, networks: int) -> dict[str, Any]:
        """Every field, under the engine's names (mojo/selfplay_bindings.mojo reads all of them)."""
        options = self.model_dump(exclude={"buffers", "timeout_ms", "network_threads"})  # Python's threads
        options["buffers_per_network"] = self.buffers
        options["timeout_microseconds"] = round(self.timeout_ms * 1000)
        options["networks"] = networks
        return options


# The numeric arrays `copy_staged` fills, in its order (the start positions, strings, come
# with `stage_finished`).
_COPIED_FIELDS = ("game_ids", "winners", "lengths", "actions", "root_values", "policy_counts", "policy_actions",
                  "policy_targets", "opening_plies", "start_plies", "movers")


class SelfPlay:
    def __init__(self, game: Game, backends: list[TorchBackend], options: SelfPlayOptions | None = None):
        if not 1 <= len(backends) <= 2:
            raise ValueError("self-play takes one network; a match takes two")
        self.game = game
        self.backends = backends
        self.options = options or SelfPlayOptions()
        networks = len(backends)
        k, b = self.options.buffers, self.options.batch_size
        pin = any(backend.pin_memory for backend in backends)
        self.inputs = torch.zeros((networks, k, b, *game.input_shape), dtype=torch.float32, pin_memory=pin)
        self.logits = torch.zeros((networks, k, b, game.num_actions), dtype=torch.float32, pin_memory=pin)
        self.values = torch.zeros((networks, k, b), dtype=torch.float32, pin_memory=pin)
        state_type = type(game.new()._raw).__name__.replace("State", "SelfPlay")
        addresses = (self.inputs.data_ptr(), self.logits.data_ptr(), self.values.data_ptr())
        self._raw = getattr(load_native(), state_type).new(game.new()._raw, self.options.engine_options(networks), addresses)
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self._finished: list[FinishedGames] = []
        self.openings = [game.new()]  # what games start from (set_openings)

    def set_openings(self, openings: list) -> None:
        """Start games from these positions (pyzero States, not finished): game g from
        opening g % n, or in a two-network match from (g // 2) % n, so each opening is
        played once with each network moving first. Only while stopped; it drops the games
        in progress and numbers the new ones from 0. Each finished game records its start
        (`FinishedGames.start_positions`), so the replay buffer trains on it correctly."""
        if not openings:
            raise ValueError("at least one opening is needed")
        for index, state in enumerate(openings):
            if state.game.name != self.game.name:
                raise ValueError(f"opening {index} is a {state.game.name} position, not {self.game.name}")
            if state.is_terminal():
                raise ValueError(f"opening {index} is a finished game ({state.position()})")
        if self._threads:
            raise RuntimeError("openings can only be set while self-play is stopped")
        self._raw.set_openings([state._raw for state in openings])
        self.openings = list(openings)

    def opening_of(self, game_id: int) -> int:
        """Which opening game `game_id` started from (see `set_openings`)."""
        return (game_id // 2 if len(self.backends) == 2 else game_id) % len(self.openings)

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            raise RuntimeError("self-play is already running")
        self._error = None
        configure_cpu_threads(self.backends, self.options.workers, self.options.network_threads)
        with _interrupts_deferred():
            self._start_threads()

    def _start_threads(self) -> None:
        started: list[threading.Thread] = []
        try:
            self._raw.start()
            for n in range(len(self.backends)):
                for k in range(self.options.network_threads):
                    thread = threading.Thread(target=self._network_loop, args=(n,), name=f"pyzero-network-{n}.{k}",
                                              daemon=True)
                    thread.start()
                    started.append(thread)
        except BaseException:
            # An error half-way through starting: stop what did start, so no worker or
            # network thread outlives the call.
            self._raw.request_abort()
            for thread in started:
                thread.join()
            self._raw.join()
            raise
        self._threads = started

    def stop(self) -> None:
        """Finishes the evaluations in flight, parks every game and joins every thread.
        A later `start` continues the same games."""
        if not self._threads:
            return
        self._raw.request_drain()
        for thread in self._threads:
            thread.join()
        self._raw.join()
        self._threads = []
        self._raise_if_failed()

    pause = stop
    resume = start

    def __enter__(self) -> "SelfPlay":
        self.start()
        return self

    def __exit__(self, *exception) -> None:
        self.stop()

    def _network_loop(self, network: int) -> None:
        backend = self.backends[network]
        # Each buffer's (inputs, logits, values) views, made once: indexing three tensors
        # per batch took about 20 us of the network thread's time (0.5% of a Connect4
        # batch on 2 cores), and batches are nearly always full.
        full_batches = [(self.inputs[network, buffer], self.logits[network, buffer], self.values[network, buffer])
                        for buffer in range(self.inputs.shape[1])]
        try:
            while True:
                buffer, count = self._raw.wait_for_batch(network, 100_000)
                if buffer == _STOPPED:
                    return
                if buffer == _TIMED_OUT:
                    continue
                # Read before the model runs. publish_weights hands weights to the backend
                # before it advances the version, and a backend applies new weights before
                # its next batch: this batch runs with the weights of `version` or newer,
                # never older. The workers cache its results only if `version` is current.
                version = self._raw.weights_version()
                inputs, logits, values = full_batches[buffer]
                if count < len(inputs):
                    inputs, logits, values = inputs[:count], logits[:count], values[:count]
                backend.evaluate_into(inputs, logits, values)
                self._raw.batch_done(network, buffer, version)
        except BaseException as error:  # stop everything; the caller re-raises it
            self._error = error
            self._raw.request_abort()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise PipelineError(f"self-play stopped: the network thread failed: {error!r}") from error

    def check(self) -> None:
        """Raises (after stopping every thread) if a network thread has failed."""
        if self._error is not None and self._threads:
            for thread in self._threads:
                thread.join()
            self._raw.join()
            self._threads = []
        self._raise_if_failed()

    # -- results ---------------------------------------------------------------------------
    def take_finished(self) -> FinishedGames:
        """Every game finished since the last call."""
        parts = self._finished + [self._drain()]
        self._finished = []
        return FinishedGames.concatenate(parts)

    def _drain(self) -> FinishedGames:
        """Copies the engine's finished games into fresh numpy arrays (Python allocates,
        Mojo fills; an interruption between the two leaves the games staged in the engine)."""
        games, plies, entries, start_positions = self._raw.stage_finished()
        arrays = FinishedGames(np.empty(games, np.int64), np.empty(games, np.int8), np.empty(games, np.int32),
                               np.empty(plies, np.int32), np.empty(plies, np.float32), np.empty(plies, np.int32),
                               np.empty(entries, np.int32), np.empty(entries, np.float16), np.empty(games, np.int32),
                               np.array(start_positions, dtype=np.str_).reshape(games), np.empty(games, np.int32),
                               np.empty(plies, np.int8), seeds=np.full(games, self.options.seed, np.int64))
        copied = self._raw.copy_staged([getattr(arrays, name).ctypes.data for name in _COPIED_FIELDS])
        assert copied == games
        return arrays

    def counters(self) -> dict[str, float]:
        return dict(self._raw.counters())

    def cached_value(self, state) -> float | None:
        """The value the evaluation cache would answer for `state` (a pyzero State) now,
        or None when it is not cached (or there is no cache). For tests and tools."""
        return self._raw.cached_value(state._raw)

    def publish_weights(self, state_dict: dict, network: int = 0) -> None:
        """New weights for a network, applied between batches without stopping. From the
        return on, the evaluation cache answers nothing computed with older weights, also
        not the results of batches still in flight with them (they come back tagged with
        the old version and are not stored). The order matters: the backend has the new
        weights before the version advances, so a batch tagged with the new version
        (see `_network_loop`) cannot run with the old weights."""
        self.backends[network].load_state_dict(state_dict)
        self._raw.advance_weights_version()

    def run(self, games: int | None = None, seconds: float | None = None, poll: float = 0.01) -> FinishedGames:
        """Runs (starting if needed) until `games` more games finished or `seconds` passed."""
        if games is None and seconds is None:
            raise ValueError("give games=, seconds= or both")
        was_running = bool(self._threads)
        deadline = time.monotonic() + seconds if seconds is not None else None
        collected: list[FinishedGames] = []
        count = 0
        try:
            if not was_running:
                self.start()  # inside the try: an interrupt right after it still stops
            while True:
                self.check()
                part = self._drain()
                if len(part):
                    collected.append(part)
                    count += len(part)
                if games is not None and count >= games:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                time.sleep(poll)
        finally:
            if not was_running:
                self.stop()
        collected.append(self._drain())
        return FinishedGames.concatenate(collected)


def selfplay_search_seed(run_seed: int, game_id: int, ply: int) -> int:
    """The seed the pipeline gives the search at `ply` of game `game_id`."""
    return load_native().selfplay_search_seed(run_seed, game_id, ply)
