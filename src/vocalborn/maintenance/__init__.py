"""Periodic maintenance and health jobs run by Celery Beat (DESIGN §8), and their run records."""
