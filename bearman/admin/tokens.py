"""REST API tokens in the admin: issued here, shown once when made, stored only as a hash."""

from django import forms
from django.contrib import admin, messages

from bearman.models import ApiToken
from bearman.services.api_tokens import api_token_issue


class ApiTokenCreateForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "expiry")
        help_texts = {"expiry": "Empty: the token works until it is deleted."}


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created", "expiry")
    list_filter = ("created",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = ("user", "created", "expiry")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
            kwargs["fields"] = ApiTokenCreateForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return self.fields if obj else ApiTokenCreateForm.Meta.fields

    def has_change_permission(self, request, obj=None):
        return False  # a token is made or deleted, never edited

    def save_model(self, request, obj, form, change):
        token, key = api_token_issue(user=obj.user, expiry=obj.expiry)
        obj.pk = token.pk
        self.message_user(
            request,
            f"API token for {obj.user}: {key} — copy it now: it is not shown again.",
            messages.WARNING,
        )
