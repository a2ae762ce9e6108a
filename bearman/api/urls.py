from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views
from .views.conformance import NodeConformanceViewSet

router = DefaultRouter()
router.register("nodes", views.NodeViewSet, basename="node")
router.register("flavors", views.FlavorViewSet, basename="flavor")
router.register("profiles", views.ProfileViewSet, basename="profile")
router.register("baremetals", views.BaremetalViewSet, basename="baremetal")
router.register("cabling", views.CablingLinkViewSet, basename="cabling-link")
# Before power-operations/, whose {id} would otherwise swallow "bulk".
router.register("power-operations/bulk", views.PowerBulkViewSet, basename="power-bulk")
router.register("power-operations", views.PowerOperationViewSet, basename="power-operation")

node_events = views.NodeEventViewSet.as_view({"get": "list"})
node_conformance = NodeConformanceViewSet.as_view({"get": "retrieve"})
node_conformance_recheck = NodeConformanceViewSet.as_view({"post": "recheck"})
node_conformance_waive = NodeConformanceViewSet.as_view({"post": "waive"})

urlpatterns = [
    path("nodes/<str:uuid>/events/", node_events, name="node-events"),
    path("nodes/<str:uuid>/conformance/", node_conformance, name="node-conformance"),
    path(
        "nodes/<str:uuid>/conformance/recheck/",
        node_conformance_recheck,
        name="node-conformance-recheck",
    ),
    path(
        "nodes/<str:uuid>/conformance/waivers/",
        node_conformance_waive,
        name="node-conformance-waivers",
    ),
    path("", include(router.urls)),
]
