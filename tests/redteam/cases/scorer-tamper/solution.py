"""An honest weak solution: always class 0. The twin of the tampering cases' scores."""


def label_of(x):
    return 0
