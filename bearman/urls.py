from django.contrib import admin
from django.http import HttpResponse
from django.urls import path
from django.views.generic import RedirectView

from bearman.views import artifacts, ipxe

admin.site.site_header = "Bearman"
admin.site.site_title = "Bearman"
admin.site.index_title = "Inventory and provisioning"


def healthz(request):
    """Liveness: the process answers; it touches neither the database nor the broker."""
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("ipxe/boot.ipxe", ipxe.boot_entry, name="ipxe-boot"),
    path("ipxe/<str:uuid>", ipxe.node_script, name="ipxe-node"),
    path("artifacts/<str:name>", artifacts.artifact, name="artifact"),
]
