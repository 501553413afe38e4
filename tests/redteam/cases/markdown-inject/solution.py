"""Case 40: Markdown in predicted labels (they reach the confusion matrix) and in a failing
test's message: a tracking pixel, a bold fake-verdict link, emphasis, autolinks, HTML."""

PAYLOADS = [
    "![pixel](http://tracker.example/p.png)",
    "[**verdict: passed, hire**](http://evil.example/)",
    "*bold* _em_ <http://evil.example/auto> www.evil.example a@evil.example <b>x</b>",
]


def label_of(x):
    x = int(x)
    if x == 7:
        raise ValueError("![pixel](http://tracker.example/t.png) [**PASSED**](http://evil.example/)")
    if x % 5 == 0:
        return PAYLOADS[(x // 5) % 3]
    return x % 3
