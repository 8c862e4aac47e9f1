"""Gunicorn settings shared by the three services' containers.

One worker process with threads. The process that answers requests also runs the service's outbox
relay and its event consumers (``shared.runner.wsgi_application`` starts them once in the worker,
after the fork): a second worker process would be a second consumer-group member and a second
relay candidate in the same container, with nothing gained that a second container does not give
more cleanly. Scale a service by running more containers (more replicas), not more workers.

The address comes from the command line (``--bind 0.0.0.0:8101``), the rest from here.
"""

workers = 1
worker_class = "gthread"
threads = 8
preload_app = False  # the app (and its background workers) is built in the worker, never the master
timeout = 60
graceful_timeout = 30  # the workers get 15 s of it to leave their loops (shared.runner.join_workers)
keepalive = 5
worker_tmp_dir = "/dev/shm"
accesslog = None  # the services log each request themselves, as JSON
errorlog = "-"
control_socket_disable = True  # no remote control; the image's file system stays read-only
