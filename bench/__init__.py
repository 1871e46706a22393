"""`make bench`: the benchmark of issue 7 (docs/performance.md). Where to read what:

- run.py          the entry point: the knobs (flags and BENCH_* variables), the order of the phases
- stack.py        the database, the Redis db and every process of a run (fake model, uvicorn,
                  gunicorn, Celery worker, load generator), on tests/processes.py's `Process`
- data.py         the seeded users and sessions, the operations the phases create
- phases/         one module per phase, in the order they run:
  raw_limit.py    one real POST and GET captured, their SQL and Redis commands replayed raw
  api.py          POST and GET through uvicorn and gunicorn at each client count
  waiting.py      long-polls on one uvicorn process, woken in a burst and paced
  worker.py       N operations at once through one Celery worker
  overhead.py     one operation every 20 ms: the worker's own delays
- meters.py       CPU and memory from /proc (CpuMeter), py-spy (Profiler)
- report.py       the table, the verdicts against the targets, latest.md and latest.json
- load.py         the load generator (a separate process, no Django)
- fake_model.py   the fake model server (a separate process)
- profile_summary.py  reads a py-spy profile (--profile-dir)
- util.py         paths, log(), fmt()
"""
