"""The event contracts between services: type names and the schema of each event's data.

A producer builds its events to these schemas and a consumer validates against them; changing a
shape means a new versioned type (``….v2``), never an edit here.
"""
