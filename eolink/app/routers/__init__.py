"""One router per resource; every module here with a ``router`` is included by :func:`eolink.app.main.create_app`."""

__all__: list[str] = []
