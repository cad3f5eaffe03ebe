"""Prometheus metrics: requests by route and status, their latency, and search figures.
The middleware that counts requests is `api.request_metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    """One registry per app, so that several apps in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
            "baton_search_index_lag",
            "Catalogue changes not yet applied to the search index",
            registry=self.registry,
        )
        self.search_log_failures = Counter(
            "baton_search_log_failures",
            "Searches the search log could not record: lost for the content-gaps report",
            registry=self.registry,
        )
