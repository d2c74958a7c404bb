"""`vocalborn`: one installable command for everything an operator or developer does.

- `app.py`            the typer app: `api`, `worker`, `ai-service`, `db`, `user`, wiring
- `common.py`         settings that fail with one clear line; the stack file of `up`
- `output.py`         tables, plain piped text, times with their zone: one rule for all
- `connections.py`    exit codes, consoles, the connections one command needs
- `ops.py`            registers the operator commands below
- `status.py`         `status`, `health`, `monitor`
- `task_commands.py`  `task`, `cancel`, `retry`, `purge`, `cleanup`, `test`
- `flower.py`         `flower`
- `schedule.py`       `schedule ...` and `beat`
- `devstack.py`       `up` and `demo`
- `users.py`          `user link` and `user unlink` (`user create` is in app.py)

Exit codes: 0 done, 1 the operation failed, 2 usage or configuration error, 3 Redis or the
database cannot be reached.
"""
