"""Error analytics: the most frequent weak phones, tones, words and pauses, for therapists.

- `models.py`   `error_analytics` rows
- `service.py`  aggregate the analyser's per-item findings (also the nightly table)
- `current.py`  the common-errors view computed on read
- `overview.py` a therapist's clients: latest attempts and weakest items
- `schemas.py`, `routes.py`  `/analytics/learners/{id}`, `/analytics/sentences/{id}`
"""
