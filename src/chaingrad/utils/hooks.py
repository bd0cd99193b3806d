"""``RemovableHandle``, what every ``register_*_hook`` returns (torch.utils.hooks' name)."""

from __future__ import annotations

import itertools

_handle_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` takes the hook off again (also as a ``with`` block)."""

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = next(_handle_ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
