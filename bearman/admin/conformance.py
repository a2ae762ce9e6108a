"""Conformance in the admin: a node's verdicts on its page, a filter, re-checks, waivers."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse

from bearman.errors import BearmanError
from bearman.models import ConformanceVerdict, ConformanceWaiver, DifferenceKind, Node
from bearman.services.conformance import (
    conformance_waive,
    difference_waivable,
    node_conformance,
    node_conformance_recheck,
)

from .display import html_table
from .read_only import ReadOnlyAdmin

VERDICT_TEMPLATE = "admin/bearman/node/conformance.html"


class ConformanceFilter(admin.SimpleListFilter):
    """Nodes by their latest verdict."""

    title = "conformance"
    parameter_name = "conformance"

    def lookups(self, request, model_admin):
        return [("passed", "Passed"), ("failed", "Failed"), ("unchecked", "Never checked")]

    def queryset(self, request, queryset):
        if self.value() in ("passed", "failed"):
            return queryset.filter(
                conformance_verdicts__latest=True,
                conformance_verdicts__passed=self.value() == "passed",
            )
        if self.value() == "unchecked":
            return queryset.exclude(conformance_verdicts__latest=True)
        return queryset


@admin.action(description="Re-check conformance of the selected nodes", permissions=["change"])
def recheck_conformance(modeladmin, request, queryset):
    actor = request.user.get_username()
    results = {"passed": 0, "failed": 0}
    for node in queryset:
        try:
            verdict = node_conformance_recheck(node=node, actor=actor)
        except BearmanError as error:
            messages.error(request, f"{node.uuid}: {error}")
            continue
        results["passed" if verdict.passed else "failed"] += 1
    messages.info(request, f"Re-checked: {results['passed']} passed, {results['failed']} failed.")


class NodeConformanceMixin:
    """Mixed into NodeAdmin: the verdicts on the node page and the re-check button."""

    @admin.display(description="Conformance")
    def conformance(self, node):
        if not node.pk:
            return "—"
        return render_to_string(VERDICT_TEMPLATE, _verdict_context(node))

    def get_urls(self):
        view = self.admin_site.admin_view(self.conformance_recheck_view)
        recheck = path(
            "<int:node_id>/conformance/recheck/", view, name="bearman_node_conformance_recheck"
        )
        return [recheck, *super().get_urls()]

    def conformance_recheck_view(self, request, node_id: int):
        """The node page's "Re-check now" button posts here."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        node = get_object_or_404(Node, pk=node_id)
        if not self.has_change_permission(request, node):
            raise PermissionDenied
        verdict = node_conformance_recheck(node=node, actor=request.user.get_username())
        count = verdict.differences.filter(waiver=None).count()
        if verdict.passed:
            messages.success(request, "Conformance re-checked: passed.")
        else:
            messages.warning(request, f"Conformance re-checked: {count} differences remain.")
        return HttpResponseRedirect(reverse("admin:bearman_node_change", args=[node.pk]))


def _verdict_context(node: Node) -> dict:
    seen = node_conformance(node=node)
    waive = reverse("admin:bearman_conformancewaiver_add")
    rows = []
    if seen.latest:
        for difference in seen.latest.differences.all():
            query = {"node": node.pk, "kind": difference.kind, "component": difference.component}
            rows.append({"difference": difference, "waive_url": f"{waive}?{urlencode(query)}"})
    return {
        "node": node,
        "latest": seen.latest,
        "rows": rows,
        "history": seen.verdicts,
        "recheck_url": reverse("admin:bearman_node_conformance_recheck", args=[node.pk]),
    }


class ConformanceWaiverForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=DifferenceKind.choices)

    class Meta:
        model = ConformanceWaiver
        fields = ["node", "kind", "component", "reason"]

    def clean(self):
        cleaned = super().clean()
        node, kind, component = (cleaned.get(k) for k in ("node", "kind", "component"))
        known = node and kind and component is not None
        if known and not difference_waivable(node=node, kind=kind, component=component):
            raise forms.ValidationError(
                "The node's latest verdict has no such difference: nothing to waive."
            )
        return cleaned

    def validate_unique(self):
        # Waiving the same difference again replaces the reason (the service upserts).
        pass


@admin.register(ConformanceWaiver)
class ConformanceWaiverAdmin(admin.ModelAdmin):
    """Differences operators accepted, with who and why; delete one to count it again."""

    form = ConformanceWaiverForm
    list_display = ("node", "kind", "component", "reason", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("node__uuid", "node__serial", "component", "reason")
    list_select_related = ("node",)
    raw_id_fields = ("node",)

    def has_change_permission(self, request, obj=None):
        return False  # a waiver is given or taken back, not edited

    def save_model(self, request, obj, form, change):
        waiver = conformance_waive(
            node=obj.node,
            kind=obj.kind,
            component=obj.component,
            reason=obj.reason,
            actor=request.user.get_username(),
        )
        obj.pk = waiver.pk

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, "Waived. Re-check the node to count it.")
        return HttpResponseRedirect(reverse("admin:bearman_node_change", args=[obj.node_id]))


@admin.register(ConformanceVerdict)
class ConformanceVerdictAdmin(ReadOnlyAdmin):
    """Every verdict; filter the latest by kind of difference (e.g. firmware to update)."""

    list_display = ("node", "checked_at", "trigger", "actor", "flavor_name", "passed", "held")
    list_filter = ("latest", "passed", "trigger", "differences__kind")
    search_fields = ("node__uuid", "node__serial")
    list_select_related = ("node",)
    fields = ("node", "checked_at", "trigger", "actor", "flavor_name", "passed", "held", "table")
    readonly_fields = fields

    @admin.display(description="Differences")
    def table(self, verdict):
        rows = [
            [
                d.get_kind_display(),
                d.component,
                d.expected,
                d.found,
                "waived" if d.waiver_id else "",
            ]
            for d in verdict.differences.all()
        ]
        return html_table(["Kind", "Component", "Expected", "Found", ""], rows)

    def get_queryset(self, request):
        # The kind filter joins the differences: one row per verdict all the same.
        return super().get_queryset(request).distinct()
