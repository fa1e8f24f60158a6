"""NeuroLoom's entry point: the page set-up and the pages. Everything else lives in components/
(the page) and engine/ (the library)."""

import streamlit as st

if __name__ == "__main__":  # a run of the page: Streamlit runs this file as __main__
    from components import explorer, playground

    st.set_page_config(page_title="NeuroLoom", page_icon="🧠", layout="wide")
    playground_page = st.Page(playground.show, title="Playground", icon=":material/science:", default=True)

    def concept_explorer() -> None:
        explorer.show(playground_page)  # its preset links open the playground

    explorer_page = st.Page(concept_explorer, title="Concept explorer", icon=":material/school:", url_path="concepts")
    pages = [playground_page, explorer_page]
    st.navigation(pages, position="top").run()
else:  # `streamlit run app.py` imports this file and serves `app`: the page and the live feed's route
    # plotly looks for pandas on first use: imported once here, before tabs opening together
    # could each find it half-imported by another's thread
    import pandas  # noqa: F401

    from components import warmup
    from components.live import feed

    warmup.warm()

    app = st.App(__file__, routes=feed.routes())
