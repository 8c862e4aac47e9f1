"""The decision console and the field app: web pages served by the stack, calling the three APIs."""
