"""The Helm chart under test: the official helm binary, rendering and validation helpers."""
