from django import forms
from django.utils.text import capfirst

from bearman.models import Baremetal, BootArtifact, Node, Profile
from bearman.services.nodes import NODE_SETTINGS, bmc_endpoint_changes, bmc_options_problems
from bearman.states import (
    DEPLOY_TRANSITIONS,
    NODE_TRANSITIONS,
    DeployStatus,
    NodeStatus,
)

MONOSPACE_LINE = forms.TextInput(attrs={"class": "vLargeTextField monospace"})
MONOSPACE_TEXT = forms.Textarea(attrs={"class": "vLargeTextField monospace", "rows": 16})


def check_status_move(form, enum, table) -> None:
    """Refuse, as a field error, a status change the state table does not allow."""
    if not form.instance.pk or "status" not in form.changed_data:
        return
    current = enum(form.initial["status"])
    target = enum(form.cleaned_data["status"])
    if target not in table[current]:
        allowed = ", ".join(sorted(s.label for s in table[current])) or "none"
        form.add_error(
            "status",
            f"Cannot go from {current.label} to {target.label}. Allowed from {current.label}: "
            f"{allowed}.",
        )


class NodeAdminForm(forms.ModelForm):
    new_bmc_password = forms.CharField(
        label="Set BMC password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current password. It is stored encrypted and never "
        "shown.",
    )
    clear_bmc_password = forms.BooleanField(label="Clear BMC password", required=False)
    # Set by the admin from the user's power permission (NodeAdmin.get_form).
    may_operate_power = False

    class Meta:
        model = Node
        fields = [
            "uuid",
            "serial",
            "vendor",
            "product_name",
            "status",
            "flavor",
            "availability_zone",
            "rack_position",
            "bmc_driver",
            "bmc_address",
            "bmc_port",
            "bmc_username",
            "bmc_options",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_bmc_password") and cleaned.get("clear_bmc_password"):
            raise forms.ValidationError("Either set a new BMC password or clear it, not both.")
        check_status_move(self, NodeStatus, NODE_TRANSITIONS)
        self._check_bmc(cleaned)
        return cleaned

    def _check_bmc(self, cleaned: dict) -> None:
        """The service's BMC rules as field errors, before anything is saved."""
        changed = {f: cleaned[f] for f in self.changed_data if f in NODE_SETTINGS and f in cleaned}
        for problem in bmc_options_problems(node=self.instance, settings=changed):
            self.add_error("bmc_options", problem)
        if self.may_operate_power or not self.instance.pk:
            return  # a new node has no stored password to send anywhere
        for name in bmc_endpoint_changes(node=self.instance, settings=changed):
            self.add_error(
                name.partition(".")[0],
                "Changing this needs the power permission (Can operate node power): it "
                "decides where the node's BMC password is sent.",
            )


class BaremetalAdminForm(forms.ModelForm):
    class Meta:
        model = Baremetal
        fields = ["node", "profile", "status", "hostname", "vlan"]
        widgets = {"hostname": forms.TextInput(attrs={"class": "vTextField wide"})}

    def clean(self):
        cleaned = super().clean()
        check_status_move(self, DeployStatus, DEPLOY_TRANSITIONS)
        return cleaned


def profile_url_field(name: str) -> forms.URLField:
    """A wide URL input taking the model field's label and help text."""
    field = Profile._meta.get_field(name)
    return forms.URLField(
        label=capfirst(field.verbose_name),
        help_text=field.help_text,
        max_length=field.max_length,
        required=False,
        # Spelled out so a URL typed without a scheme is taken as https, not http.
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField wide"}),
    )


class ProfileAdminForm(forms.ModelForm):
    kernel_url = profile_url_field("kernel_url")
    initrd_url = profile_url_field("initrd_url")

    class Meta:
        model = Profile
        fields = [
            "name",
            "description",
            "boot_method",
            "kernel_url",
            "kernel_artifact",
            "kernel_sha256",
            "initrd_url",
            "initrd_artifact",
            "initrd_sha256",
            "append",
            "install_script",
        ]
        widgets = {"append": MONOSPACE_LINE, "install_script": MONOSPACE_TEXT}


class BootArtifactAdminForm(forms.ModelForm):
    upload = forms.FileField(
        required=False, help_text="The file to serve; uploading again replaces it."
    )

    class Meta:
        model = BootArtifact
        fields = ["name", "description"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("upload"):
            self.add_error("upload", "Choose the file to upload.")
        return cleaned
