import re

from django import forms

from ipman.models import Allocation, Pool
from ipman.selectors import reservation_conflict
from ipman.validators import clean_address, clean_owner


class ReservedField(forms.Field):
    """Reserved addresses typed one per line (or comma-separated), stored as a list."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [entry for entry in re.split(r"[\s,]+", value or "") if entry]


class PoolAdminForm(forms.ModelForm):
    # The network, range, gateway and overlap rules run in Pool.clean(), shared with the API.
    reserved = ReservedField(
        required=False,
        help_text="One per line: an address (10.0.0.5), a range (10.0.0.10-10.0.0.20) or a "
        "subnet (10.0.0.16/28). Never handed out.",
    )

    class Meta:
        model = Pool
        fields = [
            "name",
            "description",
            "purpose",
            "availability_zone",
            "network",
            "gateway",
            "vlan",
            "range_first",
            "range_last",
            "reserved",
        ]


class AllocationAdminForm(forms.ModelForm):
    """Adding an allocation by hand reserves that address for that owner."""

    class Meta:
        model = Allocation
        fields = ["pool", "address", "owner", "note"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk or self.errors:
            return cleaned
        conflict = reservation_conflict(
            pool=cleaned["pool"],
            address=clean_address(cleaned["address"]),
            owner=clean_owner(cleaned["owner"]),
        )
        if conflict:
            raise forms.ValidationError(str(conflict))
        return cleaned

    def validate_unique(self):
        # clean() checked the address and the owner, with the messages the services use.
        pass
