"""Small HTML builders for read-only admin fields; every value is escaped."""

from django.utils.html import format_html, format_html_join


def html_table(headers: list[str], rows: list[list], empty: str = "—"):
    """A compact table of `rows` under `headers`, or `empty` when there are none."""
    if not rows:
        return empty
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html(
        '<table class="facts"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body
    )
