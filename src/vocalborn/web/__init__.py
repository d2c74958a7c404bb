"""The learner/therapist page and the API docs.

- `routes.py`    static files under `/static` and the page at `/`
- `api_docs.py`  `/docs` and `/redoc` served offline, and the favicon
"""
