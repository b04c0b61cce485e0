"""Offline builds: asset manifests generated through the services, in this process or over gRPC."""
