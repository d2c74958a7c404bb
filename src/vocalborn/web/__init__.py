"""The learner/therapist page: static files under `/static` and the page at `/` (`routes.py`)."""
