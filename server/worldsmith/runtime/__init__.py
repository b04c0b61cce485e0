"""Model residency and scheduling: registry, devices, lanes, engines, cancellation, metrics."""
