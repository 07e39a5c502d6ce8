"""The reference campaign dashboard (SPEC §7): a Streamlit page drawn from the serving copy.

- `app.py`      the page (`campaign-dw dashboard` runs it with `streamlit run`).
- `data.py`     read-only access to the serving copy, one campaign at a time; no Streamlit.
- `sanitize.py` message bodies made safe for the preview modal (nh3 on the server).
"""
