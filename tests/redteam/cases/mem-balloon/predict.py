"""Case 2: allocates (and touches) memory far past the limit."""
chunks = []
while True:
    chunks.append(b"\x01" * (32 * 1024 * 1024))
