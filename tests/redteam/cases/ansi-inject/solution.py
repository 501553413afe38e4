"""Case 26: terminal escapes in a failing test's message."""


def label_of(x):
    if int(x) == 7:
        raise ValueError("\033[2J\033]52;c;cm0gLXJmIH4=\007escaped\u202etxt")
    return int(x) % 3
