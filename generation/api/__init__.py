"""The HTTP API: start generations and follow them from any program.

``api_routes()`` mounts ``create_api()`` under ``/api`` for ``st.App``, so
``streamlit run app.py`` serves the pages and the API from one process and
one job runner. This package never imports streamlit.
"""

from generation.api.application import API_PREFIX, api_routes, create_api

__all__ = ["API_PREFIX", "api_routes", "create_api"]
