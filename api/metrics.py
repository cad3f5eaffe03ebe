"""Prometheus metrics: requests by route and status, their latency, search figures, and
the process's own (CPU seconds, resident memory bytes, open file descriptors, start time)
and the platform's (Python version, garbage collections). The middleware that counts
requests is `api.request_metrics`.

Each name says its unit (Prometheus' convention): `_seconds`, `_bytes`, `_changes`, or
`_total` for counters."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    """One registry per app, so that several apps in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, ...
        ProcessCollector(registry=self.registry)
        # python_info; python_gc_collections_total and friends.
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "baton_http_requests_total",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "baton_http_request_duration_seconds",
            "HTTP request latency by route template and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.search_latency = Histogram(
            "baton_search_duration_seconds",
            "Time the search backend took to answer a query",
            ["backend"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.index_lag = Gauge(
            "baton_search_index_lag_changes",
            "Catalogue changes not yet applied to the search index",
            registry=self.registry,
        )
        self.search_log_failures = Counter(
            "baton_search_log_failures",
            "Searches the search log could not record: lost for the content-gaps report",
            registry=self.registry,
        )
