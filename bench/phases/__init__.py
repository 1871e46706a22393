"""The benchmark's phases, one module each; bench/run.py runs them in this order:
raw_limit, api (phase 1: every endpoint), waiting (phase 2), worker then overhead (phase 3, on the
same worker processes). Each takes the parsed arguments, the `Stack` and the `Data` and returns its results."""
