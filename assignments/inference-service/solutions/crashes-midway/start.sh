exec python3 serve.py 8000
