import sys

sys.path.append("/workspace")

from solution import word_count


def test_basic_sentence():
    assert word_count("the quick brown fox") == 4


def test_basic_single():
    assert word_count("hello") == 1


def test_edge_empty():
    assert word_count("") == 0


def test_edge_whitespace():
    assert word_count("  spaced \t out\n") == 2
