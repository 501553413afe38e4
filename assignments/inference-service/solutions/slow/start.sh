# Known bad: takes 150 ms for every answer.
exec python3 serve.py 8000 0.15
