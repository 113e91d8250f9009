"""The HTTP API: start generations and follow them from any program.

``application.api_routes()`` mounts ``create_api()`` under ``/api`` for
``st.App``, so ``streamlit run app.py`` serves the pages and the API from one
process and one job runner. Nothing here imports streamlit, and this file
imports nothing, so the command line's ``tokens`` subcommand does not load
FastAPI.
"""
