"""Date and time formats for the admin (settings.FORMAT_MODULE_PATH), per language."""
