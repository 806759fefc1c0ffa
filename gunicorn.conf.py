"""How gunicorn serves the portal (gunicorn reads ./gunicorn.conf.py; flags on the command line win).

    gunicorn portal.wsgi                   # WEB_CONCURRENCY workers (default 2), GUNICORN_THREADS each

Threaded workers (gthread): a sign-in's password hash, the ID token's signature and every database
or Redis round trip release the GIL, so a worker's other threads serve requests meanwhile; and they
keep HTTP connections alive, which sync workers close after each response.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Two threads beat four and eight on the OIDC endpoints (docs/decisions.md): more only contend for the GIL.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
keepalive = 5
