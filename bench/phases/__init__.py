"""The benchmark's phases, one module each; bench/run.py runs them in this order:
raw_limit, api (phase 1: POST and GET), waiting (phase 2), worker then overhead (phase 3, on one worker).
Each takes the parsed arguments, the `Stack` and the `Data` and returns its results."""
