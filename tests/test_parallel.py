"""ivr_text.parallel: the worker-count rule follows CPU affinity; map_slices equals a serial run, in order,
also when children fail."""

from __future__ import annotations

import os

import pytest

from ivr_text.parallel import cpu_count, map_slices, slice_bounds, worker_count


@pytest.mark.parametrize("allowed, n_jobs, expected", [
    ({0}, -1, 1), ({0, 1, 2, 3}, -1, 4), ({0, 1, 2, 3}, -2, 3), ({5, 7}, -3, 1),
    ({0, 1}, 0, 1), ({0, 1}, None, 1), ({0, 1}, 3, 3),
])
def test_worker_count_follows_the_affinity_mask(monkeypatch, allowed, n_jobs, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: allowed, raising=False)
    assert cpu_count() == len(allowed)
    assert worker_count(n_jobs) == expected


def test_cpu_count_is_this_process_affinity():
    assert cpu_count() == len(os.sched_getaffinity(0))


def test_slice_bounds_cover_everything_evenly():
    for n in range(0, 30):
        for w in range(1, 6):
            b = slice_bounds(n, w)
            sizes = [hi - lo for lo, hi in zip(b[:-1], b[1:])]
            assert b[0] == 0 and b[-1] == n and sum(sizes) == n and max(sizes) - min(sizes) <= 1


def _square(offset, xs):
    return [x * x + offset for x in xs]


@pytest.mark.parametrize("n, workers", [(0, 2), (1, 3), (7, 2), (100, 3), (10, 20)])
def test_map_slices_equals_serial_in_order(n, workers):
    items = list(range(n))
    parts = map_slices(_square, 5, items, workers)
    assert [y for part in parts for y in part] == _square(5, items)
    assert len(parts) == min(workers, n) or n == 0


def _fails_in_children(parent, xs):
    if os.getpid() != parent:
        raise RuntimeError("boom")
    return [x + 1 for x in xs]


def test_a_failing_child_is_redone_here():
    items = list(range(50))
    parts = map_slices(_fails_in_children, os.getpid(), items, 3)
    assert [y for part in parts for y in part] == [x + 1 for x in items]


def test_an_answer_that_does_not_fit_is_redone_here():
    items = list(range(40))

    def decode(payload, n):
        raise ValueError("short")

    parts = map_slices(_square, 0, items, 2, encode=lambda r: r[:-1], decode=decode)
    assert [y for part in parts for y in part] == _square(0, items)


def test_children_use_encode_and_decode():
    items = list(range(9))
    parts = map_slices(_square, 0, items, 3, encode=lambda r: ",".join(map(str, r)),
                       decode=lambda s, n: [int(v) for v in s.split(",")][:n])
    assert parts == [_square(0, items[0:3]), _square(0, items[3:6]), _square(0, items[6:9])]
