"""make bench: the benchmark driver (bench.py) and the apps it serves (apps.py)."""
