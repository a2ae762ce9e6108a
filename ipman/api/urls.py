from rest_framework.routers import SimpleRouter

from .views import AllocationViewSet, PoolViewSet

router = SimpleRouter()
router.register("pools", PoolViewSet, basename="ipman-pool")
router.register("allocations", AllocationViewSet, basename="ipman-allocation")

urlpatterns = router.urls
