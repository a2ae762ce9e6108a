"""Bearman. Importing the package loads nothing: `bearman.operator_cli` (the operator's
`bearman` command) lives here and must run without Django or Celery. The Celery app
loads with Django, in `BearmanConfig.ready()`; `celery -A bearman` finds it in
`bearman.celery`."""
