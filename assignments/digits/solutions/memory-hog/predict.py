"""Known bad: keeps allocating far past the memory limit."""
blocks = []
while True:
    blocks.append(bytearray(64 * 1024 * 1024))
    for i in range(0, len(blocks[-1]), 4096):
        blocks[-1][i] = 1
