"""The options TEI and UCI engines advertise and GUIs set (cutechess-cli, PTN Ninja,
racetrack, python-chess), defined once for both protocols.

    Threads   spin    threads walking one search graph (search.graph.threads): the graph
                      search of timed moves and analysis; searches of a number of
                      simulations alone (search.play: auto) use the tree search, one thread
    Hash      spin    the evaluation cache in MB (inference.cache_entries, converted with
                      the cache's own layout, so the cache stays within it)
    MultiPV   spin    lines of analysis per search report: the root's N most visited moves,
                      each with its value (the first with the principal variation)
    Network   string  a network file (`pyzero export`, a checkpoint, or a bundled network's
                      name) to play instead; empty: the network the engine started with

`UCI_ShowWDL` waits for a value head that gives win/draw/loss; pondering (`ponderhit`) is
not offered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from pyzero.inference.cache import EvaluationCache
from pyzero.protocols.commands import TeiCommandError

MEGABYTE = 1 << 20
MAX_THREADS = 256
MAX_HASH_MEGABYTES = 1 << 16
MAX_MULTIPV = 32
# What a cache allocates beside its entries (its counters and table header: a few KB),
# kept free within the Hash size.
CACHE_FIXED_BYTES = 8192


@dataclass(frozen=True)
class EngineOption:
    """One option as `option name ...` advertises it."""

    name: str
    kind: Literal["spin", "string"]
    minimum: int = 0
    maximum: int = 0

    def line(self, default: int | str) -> str:
        if self.kind == "spin":
            return f"option name {self.name} type spin default {default} min {self.minimum} max {self.maximum}"
        return f"option name {self.name} type string default {default if default != '' else '<empty>'}"


THREADS = EngineOption("Threads", "spin", 1, MAX_THREADS)
HASH = EngineOption("Hash", "spin", 1, MAX_HASH_MEGABYTES)
MULTIPV = EngineOption("MultiPV", "spin", 1, MAX_MULTIPV)
NETWORK = EngineOption("Network", "string")
ENGINE_OPTIONS = (THREADS, HASH, MULTIPV, NETWORK)


@dataclass(frozen=True)
class EngineSettings:
    """What the options are set to. `hash_megabytes` None: the config's cache size."""

    threads: int = 1
    hash_megabytes: int | None = None
    multipv: int = 1
    network: str = ""


def cache_entries_for(megabytes: int, max_policy_length: int) -> int:
    """The most cache entries whose storage fits in `megabytes` (EvaluationCache's layout,
    with CACHE_FIXED_BYTES to spare)."""
    budget = megabytes * MEGABYTE - CACHE_FIXED_BYTES
    per_set = EvaluationCache.memory_bytes(4, max_policy_length)
    return max(4, budget // per_set * 4)


def cache_megabytes(entries: int, max_policy_length: int) -> int:
    """A cache's size in whole MB (at least 1), as the Hash option's default."""
    return max(1, round(EvaluationCache.memory_bytes(entries, max_policy_length) / MEGABYTE))


def parsed_spin(option: EngineOption, value: str | None) -> int:
    if value is None:
        raise TeiCommandError(f"setoption name {option.name}: the value is missing")
    try:
        number = int(value)
    except ValueError:
        raise TeiCommandError(f"setoption name {option.name}: the value must be a whole number, got {value!r}") \
            from None
    if not option.minimum <= number <= option.maximum:
        raise TeiCommandError(f"setoption name {option.name}: {number} is outside {option.minimum}..{option.maximum}")
    return number


def updated_settings(settings: EngineSettings, name: str, value: str | None) -> EngineSettings | None:
    """`settings` with option `name` (any case) set to `value`; None when `name` is not
    one of ENGINE_OPTIONS. A bad value is a TeiCommandError naming the option."""
    key = name.lower()
    if key == THREADS.name.lower():
        return replace(settings, threads=parsed_spin(THREADS, value))
    if key == HASH.name.lower():
        return replace(settings, hash_megabytes=parsed_spin(HASH, value))
    if key == MULTIPV.name.lower():
        return replace(settings, multipv=parsed_spin(MULTIPV, value))
    if key == NETWORK.name.lower():
        text = (value or "").strip()
        return replace(settings, network="" if text == "<empty>" else text)
    return None


def apply_settings(engine, settings: EngineSettings) -> None:
    """Gives a network engine the threads and cache size of `settings` (other engines,
    such as the alpha-beta yardstick, have neither and are left as they are)."""
    set_threads = getattr(engine, "set_search_threads", None)
    if set_threads is not None:
        set_threads(settings.threads)
    inference = getattr(engine, "inference", None)
    if inference is not None and settings.hash_megabytes is not None:
        inference.resize_cache(cache_entries_for(settings.hash_megabytes, inference.options.max_policy_length))


def describe_settings(engine, settings: EngineSettings) -> str:
    """One `info string` of what a search will use: search kind, threads and cache."""
    inference = getattr(engine, "inference", None)
    graph = getattr(engine, "graph", None)
    parts = [f"threads {graph.threads if graph is not None else 1}"
             + ("" if graph is not None else " (the tree search: search.play gumbel)")]
    if inference is not None:
        entries = inference.options.cache_entries
        parts.append(f"cache {entries} entries "
                     f"({EvaluationCache.memory_bytes(entries, inference.options.max_policy_length) / MEGABYTE:.1f} MB)")
    parts.append(f"multipv {settings.multipv}")
    return "options: " + ", ".join(parts)
