"""Streamlit UI pieces. Each module exposes `show(...) -> value` and owns its session keys."""
