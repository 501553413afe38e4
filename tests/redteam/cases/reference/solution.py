"""The reference: a number's label is its remainder modulo 3."""


def label_of(x):
    return int(x) % 3
