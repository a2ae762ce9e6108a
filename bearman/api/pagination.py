from django.conf import settings
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`; sizes from BEARMAN_API_PAGE_SIZE and BEARMAN_API_MAX_PAGE_SIZE."""

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:
        return settings.BEARMAN_API_PAGE_SIZE

    @property
    def max_page_size(self) -> int:
        return settings.BEARMAN_API_MAX_PAGE_SIZE
