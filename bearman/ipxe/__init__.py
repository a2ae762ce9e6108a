"""The iPXE language: safe values, kernel command lines, templates, boot situations."""
