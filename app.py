"""NeuroLoom's page: wiring only. The pieces live in components/, the library in engine/."""

import streamlit as st

from components import model_summary, preset_picker

st.set_page_config(page_title="NeuroLoom", layout="wide")
st.title("NeuroLoom")
st.caption("Build a neural network, watch it learn, take the code with you.")

experiment = preset_picker.show()
if experiment is not None:
    st.subheader(experiment.title or "Untitled experiment")
    if experiment.description:
        st.write(experiment.description)
    model_summary.show(experiment)
