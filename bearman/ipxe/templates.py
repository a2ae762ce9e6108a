"""The iPXE template engine: Jinja2 that fails on undefined names and unsafe values."""

from functools import cache

import jinja2
from django.conf import settings

from .safety import ipxe_checked


@cache
def _environment(template_dir: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        undefined=jinja2.StrictUndefined,
        finalize=ipxe_checked,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def render_ipxe_template(name: str, context: dict) -> str:
    """Render ipxe_templates/<name> (or the operator's copy) with `context`."""
    return _environment(settings.BEARMAN_IPXE_TEMPLATE_DIR).get_template(name).render(context)
