"""Kubernetes clusters: the `Cluster` port, the real client, and the simulated demo."""
