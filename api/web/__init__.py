"""The web app: server-rendered pages (Jinja2, vendored htmx) over the same services as the
API. `pages.py` holds what every page shares (who is signed in, the layout, forms' CSRF
checks, errors shown as pages); each area has its own module of routes and its templates
under `templates/<area>/`."""
