"""A real Kubernetes v1.20.2 control plane for tests: see controlplane.ControlPlane.

Importing this package is cheap; the submodules load the kubernetes client.
"""
