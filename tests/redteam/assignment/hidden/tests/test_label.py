"""Hidden tests of the candidate's solution.label_of(x)."""
import sys

sys.path.append("/workspace")

import solution  # noqa: E402


def test_small_numbers():
    assert [solution.label_of(x) for x in range(6)] == [0, 1, 2, 0, 1, 2]


def test_large_number():
    assert solution.label_of(10**12 + 1) == 2


def test_returns_an_int():
    assert isinstance(solution.label_of(7), int)
