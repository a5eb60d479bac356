"""playground.threads.one_thread: one OpenMP thread for the calling thread only, one
BLAS thread for the process while anyone is inside, everything restored after."""

from __future__ import annotations

import random
import threading
import time

import numpy as np
import pytest
import scipy.linalg  # noqa: F401 - loads scipy's own OpenBLAS, so it is limited and checked too
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from playground import threads
from playground.threads import one_thread


def _limits(user_api: str) -> list[int]:
    """The thread counts of every loaded library of this kind, as seen by this thread."""
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == user_api]


@pytest.fixture
def two_threads():
    """BLAS at 2 threads during the test (so that 1 means "limited"), whatever the machine;
    the torch thread count is read as is (2 or more on any machine worth testing)."""
    with threadpool_limits(limits=2, user_api="blas"):
        if torch.get_num_threads() < 2:
            pytest.skip("torch runs on one thread here: nothing to limit")
        yield


def test_limits_the_calling_thread_only(two_threads):
    original = torch.get_num_threads()
    seen: dict[str, object] = {}
    ready, inside, checked = threading.Event(), threading.Event(), threading.Event()

    def other():  # started before the block, checks while the main thread is inside it
        seen["other before"] = torch.get_num_threads()
        ready.set()
        inside.wait(30)
        seen["other during"] = torch.get_num_threads()
        seen["other openmp during"] = _limits("openmp")
        checked.set()

    def newcomer():  # a thread born while the main thread is inside
        seen["newcomer"] = torch.get_num_threads()

    t = threading.Thread(target=other)
    t.start()
    assert ready.wait(30)
    with one_thread():
        assert torch.get_num_threads() == 1
        assert set(_limits("openmp")) == {1}  # torch's OpenMP runtime and scikit-learn's
        assert set(_limits("blas")) == {1}  # numpy's and scipy's OpenBLAS (process-wide)
        torch.ones(64, 64) @ torch.ones(64, 64)  # a parallel op does not reset it
        assert torch.get_num_threads() == 1
        inside.set()
        assert checked.wait(30)
        n = threading.Thread(target=newcomer)
        n.start()
        n.join()
    t.join()
    assert seen["other before"] == seen["other during"] == original
    assert 1 not in seen["other openmp during"]
    assert seen["newcomer"] == original
    assert torch.get_num_threads() == original
    assert set(_limits("blas")) == {2}


def test_nested_and_concurrent_use_restores_everything(two_threads):
    original = torch.get_num_threads()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(k: int):
        try:
            rng = random.Random(k)
            mine = torch.get_num_threads()
            start.wait(30)
            for _ in range(20):
                with one_thread():
                    assert torch.get_num_threads() == 1
                    time.sleep(rng.random() * 0.002)
                    with one_thread():  # nested
                        assert torch.get_num_threads() == 1
                        np.ones((50, 50)) @ np.ones((50, 50))
                    assert torch.get_num_threads() == 1
                    assert set(_limits("blas")) == {1}  # someone (this thread) is inside
                assert torch.get_num_threads() == mine
                time.sleep(rng.random() * 0.002)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    assert threads._blas_users == 0
    assert set(_limits("blas")) == {2}  # the last one out restored the original
    assert torch.get_num_threads() == original


def test_an_error_inside_still_restores(two_threads):
    original = torch.get_num_threads()
    with pytest.raises(ValueError, match="boom"), one_thread():
        assert torch.get_num_threads() == 1
        raise ValueError("boom")
    assert torch.get_num_threads() == original
    assert set(_limits("openmp")) == {original}
    assert set(_limits("blas")) == {2}
    assert threads._blas_users == 0
