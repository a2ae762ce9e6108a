"""A node's BMC pacing and circuit breaker on its admin page (read only)."""

from django.contrib import admin

from bearman.models import BmcDriver
from bearman.services.power.pacing import bmc_breaker_of


class NodeBmcBreakerMixin:
    """The `bmc_breaker` read-only field: whether Bearman still talks to the node's BMC."""

    @admin.display(description="BMC breaker")
    def bmc_breaker(self, node):
        if node.bmc_driver == BmcDriver.FAKE:
            return "Not paced: the fake driver has no BMC"
        report = bmc_breaker_of(node) if node.pk else None
        return report.message if report else "No command sent to this BMC yet"
