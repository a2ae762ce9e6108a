from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("nodes", views.NodeViewSet, basename="node")
router.register("flavors", views.FlavorViewSet, basename="flavor")
router.register("profiles", views.ProfileViewSet, basename="profile")
router.register("baremetals", views.BaremetalViewSet, basename="baremetal")
# Before power-operations/, whose {id} would otherwise swallow "bulk".
router.register("power-operations/bulk", views.PowerBulkViewSet, basename="power-bulk")
router.register("power-operations", views.PowerOperationViewSet, basename="power-operation")

node_events = views.NodeEventViewSet.as_view({"get": "list"})

urlpatterns = [
    path("nodes/<str:uuid>/events/", node_events, name="node-events"),
    path("", include(router.urls)),
]
