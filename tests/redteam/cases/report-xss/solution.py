"""Case 25: markup in a failing test's message."""


def label_of(x):
    if int(x) == 7:
        raise ValueError('<script>document.title="pwned-test"</script><img src=x onerror=alert(2)>')
    return int(x) % 3
