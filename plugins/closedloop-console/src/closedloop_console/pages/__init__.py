"""The console's pages: each module here exposes ``routes: list[starlette.routing.Route]``, mounted by
``create_app`` in the order of the modules' names."""
