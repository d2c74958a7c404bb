"""Practice: sentences (text + reference recording), sessions, recordings and their storage.

- `models.py`, `schemas.py`  rows and API bodies
- `service.py`               sessions, sentences, recordings (flush; the route commits)
- `routes.py`                `/practice/...`
- `history.py`               `/practice/history`: attempts with scores, one query
- `uploads.py`, `audio.py`   an upload to a probed, stored file, or a clear 4xx
- `storage.py`               files under STORAGE_DIR with server-made names
"""
