from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from bearman.views import artifacts, health, ipxe, ipxe_binaries

admin.site.site_header = "Bearman"
admin.site.site_title = "Bearman"
admin.site.index_title = "Inventory and provisioning"
# The lists need the width on a laptop screen; the breadcrumbs and home page navigate.
admin.site.enable_nav_sidebar = False

# Under /api/ even a URL that matches nothing answers with the API's error body.
handler404 = "bearman.api.errors.not_found"
handler500 = "bearman.api.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("ipxe/boot.ipxe", ipxe.boot_entry, name="ipxe-boot"),
    path("ipxe/bin/<str:name>", ipxe_binaries.ipxe_binary, name="ipxe-binary"),
    path("ipxe/<str:uuid>", ipxe.node_script, name="ipxe-node"),
    path("ipxe/<str:uuid>/fetched", ipxe.node_script_fetched, name="ipxe-node-fetched"),
    path("artifacts/<str:name>", artifacts.artifact, name="artifact"),
    path("api/v1/ipman/", include("ipman.api.urls")),
    path("api/v1/", include("bearman.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
