from django.conf import settings
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`; sizes from BEARMAN_API_PAGE_SIZE and BEARMAN_API_MAX_PAGE_SIZE."""

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:
        return settings.BEARMAN_API_PAGE_SIZE

    @property
    def max_page_size(self) -> int:
        return settings.BEARMAN_API_MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        asked = request.query_params.get(self.page_size_query_param)
        if asked is not None and not (asked.isdecimal() and int(asked) > 0):
            raise ValidationError({"page_size": ["Expected a whole number of at least 1."]})
        return super().get_page_size(request)
