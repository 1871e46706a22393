"""`make bench`: the benchmark of issues 7 and 15 (docs/performance.md). Where to read what:

- run.py          the entry point: the knobs (flags and BENCH_* variables), the order of the phases
- stack.py        the database, the Redis dbs (broker, cache) and every process of a run (fake
                  model, uvicorn, gunicorn, Celery workers, load generator), on tests/processes.py's
                  `Process`
- endpoints.py    the endpoints driven: generate-feedback, generate-question, operation, dashboard
- data.py         the seeded users, sessions and long histories, the operations the phases create
- phases/         one module per phase, in the order they run:
  raw_limit.py    one real request of each endpoint captured, its SQL and Redis commands replayed raw
  api.py          every endpoint through uvicorn (and gunicorn) at each client count
  waiting.py      long-polls on one uvicorn process, woken all at once, within 2 s and paced
  worker.py       N operations at once through the Celery worker processes
  overhead.py     one operation every 20 ms, twice: the workers' own delays
- meters.py       CPU and memory from /proc (CpuMeter), py-spy (Profiler)
- report.py       the table, the verdicts against the targets, latest.md and latest.json
- load.py         the load generator (a separate process, no Django)
- fake_model.py   the fake model server (a separate process)
- profile_summary.py  reads a py-spy profile (--profile-dir)
- util.py         paths, log(), fmt()
"""
