"""The outside world: Kubernetes clusters, the state store, rendering for each chat."""
