"""The cabling plan in the admin: one cable per row, and a CSV import with a preview first."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from bearman.models import CablingLink, Node
from bearman.services.cabling import cabling_link_delete, cabling_link_save, node_cabling
from bearman.services.cabling_import import (
    MAX_PLAN_BYTES,
    CablingPlanConflict,
    CablingPlanInvalid,
    cabling_plan_import,
)

from .display import html_table


class CablingPlanUploadForm(forms.Form):
    plan = forms.FileField(
        label="Cabling plan (CSV)",
        help_text="A header serial,nic,switch,port or rack_position,nic,switch,port, then one "
        "cable per line. UTF-8; Excel's BOM and CRLF line ends are fine.",
    )


class CablingPlanConfirmForm(forms.Form):
    # The previewed file itself, so that what is written is exactly what was shown.
    plan_text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=MAX_PLAN_BYTES)


class NodeCablesFilter(admin.SimpleListFilter):
    """?node=<pk>: one node's cables, by its serial or its rack position (the node page's link).

    Offered only once chosen: a sidebar listing every node would be the node list again.
    """

    title = "node"
    parameter_name = "node"

    def lookups(self, request, model_admin):
        node = self._node()
        return [(str(node.pk), node.serial or node.rack_position or node.uuid)] if node else []

    def queryset(self, request, queryset):
        node = self._node()
        return queryset & node_cabling(node) if node else queryset

    def _node(self) -> Node | None:
        value = self.value()
        return Node.objects.filter(pk=value).first() if value and value.isdigit() else None


@admin.register(CablingLink)
class CablingLinkAdmin(admin.ModelAdmin):
    """Each row: a node (by serial or rack position), its NIC, and the switch port it needs."""

    change_list_template = "admin/bearman/cablinglink/change_list.html"
    list_display = ("serial", "rack_position", "nic", "switch", "port", "updated_at")
    list_display_links = ("nic",)
    # A node's cables are changed right in the list its page links to.
    list_editable = ("switch", "port")
    list_filter = (NodeCablesFilter, "switch")
    search_fields = ("serial", "rack_position", "nic", "switch", "port")
    search_help_text = "Serial, rack position, NIC, switch or port"
    fields = ("serial", "rack_position", "nic", "switch", "port")
    list_per_page = 100

    def save_model(self, request, obj, form, change):
        cabling_link_save(link=obj)

    def delete_model(self, request, obj):
        cabling_link_delete(link=obj)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="bearman_cablinglink_import"), *super().get_urls()]

    def import_view(self, request):
        """Upload → preview of the changes (a dry run) → confirm, or the refused lines."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        upload = CablingPlanUploadForm(request.POST or None, request.FILES or None)
        context = {"upload_form": upload}
        if request.method == "POST" and upload.is_valid():
            data = upload.cleaned_data["plan"].read(MAX_PLAN_BYTES + 1)
            context.update(self._preview(request, data))
        return self._render(request, context)

    def _preview(self, request, data: bytes) -> dict:
        try:
            result = cabling_plan_import(data=data, dry_run=True)
        except CablingPlanInvalid as refusal:
            return {"problems": refusal.problems}
        # Decodes: the import above read it as UTF-8 already.
        confirm = CablingPlanConfirmForm(initial={"plan_text": data.decode("utf-8-sig")})
        return {"result": result, "confirm_form": confirm, "tables": _tables(result)}

    def _confirm(self, request):
        confirm = CablingPlanConfirmForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, "The confirmed file was lost: upload it again.")
            return self._render(request, {"upload_form": CablingPlanUploadForm()})
        data = confirm.cleaned_data["plan_text"].encode()
        try:
            result = cabling_plan_import(data=data, dry_run=False)
        except (CablingPlanInvalid, CablingPlanConflict) as refusal:
            problems = getattr(refusal, "problems", None) or [(0, str(refusal))]
            return self._render(
                request, {"upload_form": CablingPlanUploadForm(), "problems": problems}
            )
        counts = result.counts
        messages.success(
            request,
            f"Cabling plan imported: {counts['created']} created, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged.",
        )
        return HttpResponseRedirect(reverse("admin:bearman_cablinglink_changelist"))

    def _render(self, request, context: dict):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a cabling plan",
            **context,
        }
        return TemplateResponse(request, "admin/bearman/cablinglink/import.html", context)


def _tables(result) -> list[tuple[str, int, object]]:
    """(heading, count, table) for created, changed and unchanged rows."""
    headers = ["Line", "Node", "NIC", "Switch", "Port"]

    def row(change, changed=False):
        node = change.node_label
        if changed:
            switch = f"{change.old_switch} → {change.switch}"
            port = f"{change.old_port} → {change.port}"
            return [change.line, node, change.nic, switch, port]
        return [change.line, node, change.nic, change.switch, change.port]

    return [
        ("Created", len(result.created), html_table(headers, [row(c) for c in result.created])),
        (
            "Changed",
            len(result.changed),
            html_table(headers, [row(c, changed=True) for c in result.changed]),
        ),
        (
            "Unchanged",
            len(result.unchanged),
            html_table(headers, [row(c) for c in result.unchanged]),
        ),
    ]


class NodeCablingMixin:
    """Mixed into NodeAdmin: the node's cables from the plan, with links to change them."""

    @admin.display(description="Cabling plan")
    def cabling_plan(self, node):
        if not node.pk:
            return "—"
        links = node_cabling(node).order_by("nic")
        rows = [
            [
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:bearman_cablinglink_change", args=[link.pk]),
                    link.nic,
                ),
                link.switch,
                link.port,
                "serial" if link.serial else "rack position",
            ]
            for link in links
        ]
        table = html_table(["NIC", "Switch", "Port", "Planned by"], rows, empty="")
        naming = {"serial": node.serial} if node.serial else {"rack_position": node.rack_position}
        if not any(naming.values()):
            return format_html(
                "{}Give the node a serial or rack position to plan its cables.", table
            )
        add = reverse("admin:bearman_cablinglink_add") + "?" + urlencode(naming)
        edit = reverse("admin:bearman_cablinglink_changelist") + f"?node={node.pk}"
        return format_html(
            '{}<a href="{}">Change these cables</a> · <a href="{}">Add a cable for this node</a>',
            table,
            edit,
            add,
        )
