"""The use cases, one module each, as plain functions over a shared :class:`~closedloop.app.context.Context`.

``Desk`` delegates every public call to one of these modules; a new capability is a new module here plus a
line on ``Desk``. See ``docs/architecture.md``.
"""
