"""Prometheus metrics, in a registry of our own (so tests and replicas never share one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.audit import AuditRecord


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "pilothouse_commands_total", "Messages handled, by command and outcome", ["command", "outcome"], registry=r
        )
        self.latency = Histogram(
            "pilothouse_command_seconds",
            "Time from message to reply, by command",
            ["command"],
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
        )
        self.acks = Counter("pilothouse_acks_total", "Requests acknowledged to the chat platform", ["kind"], registry=r)
        self.duplicates = Counter(
            "pilothouse_duplicate_deliveries_total", "Redeliveries dropped by deduplication", ["kind"], registry=r
        )
        self.busy = Counter("pilothouse_busy_total", "Requests refused because the work queue was full", registry=r)
        self.slack_errors = Counter(
            "pilothouse_slack_api_errors_total", "Slack Web API calls that failed", ["method", "error"], registry=r
        )
        self.slack_retries = Counter(
            "pilothouse_slack_api_retries_total", "Slack Web API calls retried", ["reason"], registry=r
        )
        self.in_flight = Gauge("pilothouse_work_in_flight", "Work running or waiting behind acks", registry=r)
        self.cluster_reachable = Gauge(
            "pilothouse_cluster_reachable",
            "1 if the cluster's API server answered the last probe",
            ["cluster"],
            registry=r,
        )
        self.refused = Counter(
            "pilothouse_http_refused_total",
            "Requests to the Slack endpoint refused before any work: unsigned, too large or malformed",
            ["reason"],
            registry=r,
        )
        self.overruns = Counter(
            "pilothouse_request_overruns_total",
            "Requests stopped for running past PILOTHOUSE_REQUEST_BUDGET: abandoned (request) or their worker "
            "process replaced (worker)",
            ["where"],
            registry=r,
        )

    def observe(self, record: AuditRecord) -> None:
        """Called by the pipeline with each message's audit record."""
        self.command(record.command or "unparsed", record.outcome, record.duration_ms / 1000)

    def command(self, command: str, outcome: str, seconds: float) -> None:
        self.commands.labels(command, outcome).inc()
        self.latency.labels(command).observe(seconds)
        if outcome == "timeout":
            self.overruns.labels("request").inc()

    def slack_error(self, method: str, error: str) -> None:
        self.slack_errors.labels(method, error).inc()

    def slack_retry(self, reason: str) -> None:
        self.slack_retries.labels(reason).inc()

    def duplicate(self, kind: str) -> None:
        self.duplicates.labels(kind).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
