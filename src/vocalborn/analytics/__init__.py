"""Error analytics: the most frequent weak phones, tones, words and pauses, for therapists.

- `models.py`   `error_analytics` rows
- `service.py`  aggregate the analyser's per-item findings, read them back
- `routes.py`   `/analytics/learners/{id}`, `/analytics/sentences/{id}`
"""
