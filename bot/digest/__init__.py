"""Cluster digests: a health summary per channel, with what changed since the last one.

facts (collect) → `Digest` (build, pure) → replies (render, pure); snapshots and schedules are
kept in the shared store; `service` ties them together for chat, the CLI and the scheduler.
"""
