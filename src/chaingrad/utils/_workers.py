"""Loading batches in worker processes, as ``torch.utils.data.DataLoader(num_workers=N)`` does.

The main process keeps the sampler: it sends each batch's indices to the workers in turn (up to
``prefetch_factor`` batches ahead per worker) and yields the results in order. Each worker holds its own
copy of the dataset, fetches and collates, and sends the batch back through a queue. Seeding follows
torch: worker ``i`` seeds Python's ``random`` and chaingrad's generator with ``base_seed + i`` (the base
seed is drawn from the loader's generator when iteration starts) and NumPy's legacy global generator with
a SeedSequence hash of (base_seed, i), then runs ``worker_init_fn(i)``; ``get_worker_info()`` tells code
running in a worker which one it is.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import random
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

from ..tensor import Tensor

STATUS_CHECK_INTERVAL = 5.0  # seconds between checks that the workers (or their parent) are still alive


# -- what a worker knows about itself ------------------------------------------------------------------
@dataclass(frozen=True)
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its id, the number of workers, its seed and its copy of the dataset.
    None in the main process (so an IterableDataset can split its stream between workers)."""
    return _worker_info


def numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """The four 32-bit words torch seeds each worker's NumPy with: NumPy's SeedSequence hash of
    (worker_id, low and high halves of base_seed, 0)."""
    words = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(words).generate_state(4).tolist()


# -- tensors through the queues (the pickler of file saving is not involved) ------------------------------
def _rebuild_tensor(array: np.ndarray, requires_grad: bool, parameter: bool) -> Tensor:
    if parameter:
        from ..nn.parameter import Parameter

        return Parameter(Tensor._wrap(array), requires_grad=requires_grad)
    return Tensor._wrap(array, requires_grad)


def _reduce_tensor(t: Tensor) -> tuple:
    return _rebuild_tensor, (np.asarray(t._data), bool(t.requires_grad), type(t).__name__ == "Parameter")


def _register_reductions() -> None:
    ForkingPickler.register(Tensor, _reduce_tensor)
    from ..nn.parameter import Parameter

    ForkingPickler.register(Parameter, _reduce_tensor)


# -- errors and end markers that travel back to the main process -----------------------------------------
class ExceptionWrapper:
    """An exception raised in a worker, with its traceback as text, raised again in the main process."""

    def __init__(self, where: str) -> None:
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__ if exc else None))

    def reraise(self) -> None:
        message = f"Caught {self.exc_type.__name__ if self.exc_type else 'an exception'} {self.where}.\n" \
                  f"Original {self.text}"
        try:
            error = self.exc_type(message) if self.exc_type else RuntimeError(message)
        except Exception:  # an exception class whose constructor wants other arguments
            raise RuntimeError(message) from None
        raise error


@dataclass(frozen=True)
class _StreamEnd:
    """A worker's IterableDataset copy is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _Resume:
    """Start a new epoch (persistent workers): restart the stream of an IterableDataset."""


# -- the fetchers: how one batch is made, in a worker or in the main process ------------------------------
class MapFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, fast: bool) -> None:
        self.dataset, self.auto_collation, self.collate_fn, self.fast = dataset, auto_collation, collate_fn, fast

    def fetch(self, index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.fast:
            return self.dataset._batch(index)
        if hasattr(self.dataset, "__getitems__"):
            return self.collate_fn(self.dataset.__getitems__(index))
        return self.collate_fn([self.dataset[i] for i in index])


class StreamFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, batch_size: int | None,
                 drop_last: bool) -> None:
        self.stream: Iterator = iter(dataset)
        self.auto_collation, self.collate_fn = auto_collation, collate_fn
        self.batch_size, self.drop_last = batch_size, drop_last

    def fetch(self, _index: Any = None) -> Any:
        if not self.auto_collation:
            return self.collate_fn(next(self.stream))
        batch = list(itertools.islice(self.stream, self.batch_size))
        if not batch or (self.drop_last and len(batch) < (self.batch_size or 0)):
            raise StopIteration
        return self.collate_fn(batch)


@dataclass
class WorkerSpec:
    """Everything a worker needs, sent once when it starts."""

    dataset: Any
    iterable: bool
    auto_collation: bool
    collate_fn: Callable
    fast: bool
    batch_size: int | None
    drop_last: bool
    worker_init_fn: Callable[[int], None] | None
    num_workers: int

    def fetcher(self) -> MapFetcher | StreamFetcher:
        if self.iterable:
            return StreamFetcher(self.dataset, self.auto_collation, self.collate_fn, self.batch_size,
                                 self.drop_last)
        return MapFetcher(self.dataset, self.auto_collation, self.collate_fn, self.fast)


def _worker_loop(spec: WorkerSpec, worker_id: int, base_seed: int, index_queue: Any, result_queue: Any,
                 done: Any, parent: int) -> None:
    global _worker_info
    from ..ops.random import manual_seed

    _register_reductions()  # (inherited under fork; a spawned worker registers them itself)
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))
    _worker_info = WorkerInfo(worker_id, spec.num_workers, seed, spec.dataset)
    where = f"in DataLoader worker process {worker_id}"
    failed: ExceptionWrapper | None = None
    fetcher: MapFetcher | StreamFetcher | None = None
    try:
        if spec.worker_init_fn is not None:
            spec.worker_init_fn(worker_id)
        fetcher = spec.fetcher()
    except Exception:
        failed = ExceptionWrapper(where)
    ended = False
    try:
        while not done.is_set():
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:  # the main process is gone
                    return
                continue
            if task is None:
                return
            if isinstance(task, _Resume):
                ended = False
                try:
                    fetcher = spec.fetcher()
                except Exception:
                    failed = ExceptionWrapper(where)
                result_queue.put(_pack(task, None))
                continue
            if ended:
                continue
            number, index = task
            data: Any
            if failed is not None:
                data, failed = failed, None
            else:
                try:
                    assert fetcher is not None
                    data = fetcher.fetch(index)
                except StopIteration:
                    data, ended = _StreamEnd(worker_id), True
                except Exception:
                    data = ExceptionWrapper(where)
            try:
                packed = _pack(number, data)
            except Exception:  # pickled here, not in the queue's thread, so that the failure is reported
                packed = _pack(number, ExceptionWrapper(f"{where} while sending a batch to the main process"))
            result_queue.put(packed)
    except KeyboardInterrupt:
        pass  # the main process handles it
    finally:
        if done.is_set():
            result_queue.cancel_join_thread()


def _pack(number: Any, data: Any) -> bytes:
    return bytes(ForkingPickler.dumps((number, data)))


# -- the main process's side ------------------------------------------------------------------------------
class MultiProcessIterator:
    """Iterates a DataLoader with ``num_workers`` worker processes (see the module docstring)."""

    def __init__(self, loader: Any, base_seed: int) -> None:
        _register_reductions()
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context()
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._loader = loader
        self._iterable = loader._iterable
        self._n = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        spec = WorkerSpec(loader.dataset, self._iterable, loader._auto_collation, loader.collate_fn,
                          loader._fast_batches(), loader.batch_size, loader.drop_last, loader.worker_init_fn,
                          self._n)
        self._results = context.Queue()
        self._done = context.Event()
        self._queues, self._workers = [], []
        for worker_id in range(self._n):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            worker = context.Process(target=_worker_loop, args=(spec, worker_id, base_seed, index_queue,
                                                                 self._results, self._done, os.getpid()),
                                     daemon=True)
            worker.start()
            self._queues.append(index_queue)
            self._workers.append(worker)
        self._shut = False
        self._reset(first=True)

    def _reset(self, first: bool = False) -> None:
        self._indices = iter(self._loader._index_source()) if not self._iterable else itertools.count()
        self._sent = self._received = 0
        self._pending: dict[int, list] = {}  # task number -> [worker] or [worker, data]
        self._active = [True] * self._n
        self._cycle = itertools.cycle(range(self._n))
        if not first:  # persistent workers: every worker acknowledges the new epoch before it starts
            for q in self._queues:
                q.put(_Resume())
            acknowledged = 0
            while acknowledged < self._n:
                number, _ = self._get()
                acknowledged += isinstance(number, _Resume)
        for _ in range(self._prefetch * self._n):
            self._send()

    def __iter__(self) -> MultiProcessIterator:
        return self

    def _send(self) -> None:
        for _ in range(self._n):
            worker = next(self._cycle)
            if self._active[worker]:
                break
        else:
            return
        try:
            index = next(self._indices)
        except StopIteration:
            return
        self._queues[worker].put((self._sent, index))
        self._pending[self._sent] = [worker]
        self._sent += 1

    def _get(self) -> tuple[Any, Any]:
        """The next result from any worker, watching for timeouts and dead workers."""
        waited = 0.0
        while True:
            wait = self._timeout if self._timeout > 0 else STATUS_CHECK_INTERVAL
            try:
                return ForkingPickler.loads(self._results.get(timeout=wait))
            except queue.Empty:
                waited += wait
                if self._timeout > 0:
                    self._shutdown()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown()
                    pids = ", ".join(str(w.pid) for w in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code "
                                       f"{dead[0].exitcode})") from None

    def __next__(self) -> Any:
        while True:
            while self._received < self._sent:
                entry = self._pending.get(self._received)
                if entry is not None and (len(entry) == 2 or self._active[entry[0]]):
                    break
                # delivered already (in_order=False), or its worker's stream ended: no answer will come
                self._pending.pop(self._received, None)
                self._received += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            entry = self._pending.get(self._received)
            if entry is not None and len(entry) == 2:
                self._pending.pop(self._received)
                self._received += 1
                return self._deliver(entry[1])
            number, data = self._get()
            if isinstance(data, _StreamEnd):
                self._active[data.worker_id] = False
                self._pending.pop(number, None)
                self._send()
                continue
            if number != self._received and self._in_order:
                if number in self._pending:
                    self._pending[number].append(data)
                continue
            self._pending.pop(number, None)
            if number == self._received:
                self._received += 1
            return self._deliver(data)

    def _deliver(self, data: Any) -> Any:
        self._send()
        if isinstance(data, ExceptionWrapper):
            self._shutdown()
            data.reraise()
        return data

    def _shutdown(self) -> None:
        if self._shut:
            return
        self._shut = True
        self._done.set()
        for q in self._queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=STATUS_CHECK_INTERVAL)
            if w.is_alive():
                w.terminate()
        for q in self._queues + [self._results]:
            q.cancel_join_thread()
            q.close()

    def __del__(self) -> None:
        try:
            self._shutdown()
        except Exception:
            pass
