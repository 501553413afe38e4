"""Hidden tests collected after test_label.py: candidate code imported while that file was
collected must not be able to rewrite this one."""
import sys

sys.path.append("/workspace")

import solution  # noqa: E402


def test_negative_number():
    assert solution.label_of(-1) == 2
