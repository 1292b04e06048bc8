"""torch.compile with a fallback to eager: a model whose compilation fails still runs.

torch.compile is lazy: nothing is compiled until the first call, and a failure (no C++
compiler, an unsupported operator, a Triton missing for the GPU) surfaces there, as an
exception from inside that call. `CompiledForward` makes that first call, and any later
recompilation, fall back to the plain module with one warning that says why, so a run
keeps going at eager speed instead of dying at its first batch.
"""

from __future__ import annotations

import logging
from typing import Callable

import torch

log = logging.getLogger("pyzero.model")


class CompiledForward:
    """Calls `module` through torch.compile when `enabled`, or eagerly; after the compiled
    call raises once, calls it eagerly from then on (`compiled` tells which is in use).

    The module itself is not replaced, so its parameters, state dict and `train()`/`eval()`
    stay the caller's; the compiled callable shares them."""

    def __init__(self, module: torch.nn.Module, enabled: bool, what: str, warn: Callable[[str], None] | None = None):
        self.module = module
        self.what = what
        self.warn = warn or log.warning
        self.failure: str | None = None
        self._compiled = torch.compile(module) if enabled else None

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def __call__(self, *arguments, **keywords):
        if self._compiled is not None:
            try:
                return self._compiled(*arguments, **keywords)
            except Exception as error:  # noqa: BLE001 - any compilation failure; eager re-raises real errors
                self.failure = describe_failure(error)
                self.warn(f"torch.compile of the {self.what} failed ({self.failure}); running it eagerly")
                self._compiled = None
        return self.module(*arguments, **keywords)


def describe_failure(error: BaseException) -> str:
    """One line: the exception and, where it wraps another (dynamo's BackendCompilerFailed
    wraps the backend's), the innermost cause, which says what actually went wrong."""
    root = error
    seen = {id(root)}
    while True:
        inner = getattr(root, "inner_exception", None) or root.__cause__
        if inner is None or id(inner) in seen:
            break
        seen.add(id(inner))
        root = inner
    first_line = (str(root).strip().splitlines() or [""])[0]
    cause = f"{type(root).__name__}: {first_line}" if first_line else type(root).__name__
    return cause if root is error else f"{type(error).__name__}, from {cause}"
