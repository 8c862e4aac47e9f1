"""The registry: households registered by field staff, the social registry's source of truth."""
