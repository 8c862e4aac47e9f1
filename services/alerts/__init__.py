"""The alerts service: CAP alerts and hazard footprints matched to where households live."""
