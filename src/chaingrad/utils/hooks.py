"""``RemovableHandle``, what every ``register_*_hook`` returns (torch.utils.hooks' name)."""

from __future__ import annotations

import itertools

_handle_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` takes the hook off again (also as a ``with`` block).
    ``extra_dict``: more dicts keyed by the handle's id (a hook's options) to clear with it."""

    def __init__(self, hooks_dict: dict, *, extra_dict: dict | list[dict] | None = None) -> None:
        self._hooks = hooks_dict
        self._extra = [] if extra_dict is None else [extra_dict] if isinstance(extra_dict, dict) else list(extra_dict)
        self.id = next(_handle_ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        for extra in self._extra:
            extra.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
