"""Amparo's common library: what every service needs and nothing service-specific.

Modules: ``config`` (settings), ``errors`` (problem details), ``logs`` (JSON logs and the
correlation id), ``events`` (the CloudEvents envelope), ``db`` (engines and migrations),
``outbox`` and ``inbox`` (the exactly-once event plumbing), ``kafka`` (client settings and
topics), ``broker`` (the embedded Kafka-protocol broker), ``auth`` (JWT and roles),
``web`` (the Flask pieces every service shares) and ``runner`` (one service process).
"""
