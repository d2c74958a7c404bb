"""Accounts: users and roles, password hashing and JWT, login and registration throttles.

- `models.py`    users, roles, therapist-client links
- `schemas.py`   request/response bodies; the e-mail rule
- `service.py`   account operations (flush, never commit)
- `security.py`  argon2 hashing and HS256 tokens
- `hashing.py`   a bound on concurrent password hashing per process
- `throttle.py`  login throttle per (account, address); registration limit per address;
                 the wrong-link-code limit
- `routes.py`    `/auth/...`, `/admin/users`, admin linking
- `links.py`     link codes: a learner's consent to a therapist (create, redeem, unlink)
- `link_routes.py`, `link_schemas.py`  `/links/codes`, `/therapists/me/clients`, `/me/therapists`
"""
