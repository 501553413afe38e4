def word_count(text: str) -> int:
    # Known bad: splits on single spaces only.
    return len(text.split(" "))
