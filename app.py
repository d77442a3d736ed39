"""musicrnn in the browser: `streamlit run app.py`.

Pages: dataset explorer, training, generation studio, tunebook, and a look inside the network. The sidebar picks
the model the studio and the Inside page use, and shows the device. Every page is a thin view over the `musicrnn`
library.

`app` makes `streamlit run app.py` serve this script with a few HTTP routes of its own beside Streamlit's (a
training run's live view, which every watching tab polls without a Streamlit rerun: `app_support/routes.py`).
"""
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from app_support.access import unlock_form
from app_support.models import model_choices
from app_support.navigation import PAGE_FILES
from app_support.resources import device_info, settle_heap, warm_render_pool
from app_support.routes import routes
from app_support.text import md_escape

# The pages live in `pages/`, where Streamlit's first multipage design looked for them: while that folder exists
# and no script has yet called `st.navigation`, Streamlit runs a deep link such as /train as the bare page, not
# this script (no sidebar, no model picker). This app always navigates with `st.navigation` (as Streamlit's own
# `st.navigation` sets this flag on its first call), so say so before the first session starts.
PagesManager.uses_pages_directory = False
# The tab's icon is a file of this project: a `:material/…:` icon makes the browser fetch it from Google's CDN.
ICON = str(Path(__file__).parent / "app_support" / "icon.svg")


def main() -> None:
    st.set_page_config(page_title="musicrnn", page_icon=ICON, layout="wide")

    pages = [
        st.Page(PAGE_FILES["studio"], title="Studio", icon=":material/piano:", default=True),
        st.Page(PAGE_FILES["train"], title="Train", icon=":material/monitoring:"),
        st.Page(PAGE_FILES["dataset"], title="Dataset", icon=":material/library_music:"),
        st.Page(PAGE_FILES["tunebook"], title="Tunebook", icon=":material/menu_book:"),
        st.Page(PAGE_FILES["inside"], title="Inside", icon=":material/visibility:"),
    ]
    page = st.navigation(pages)
    warm_render_pool()
    settle_heap()

    with st.sidebar:
        st.markdown("### :material/music_note: musicrnn")
        if "pending_model" in st.session_state:  # set by "Use in studio" on the Train page
            st.session_state["model"] = st.session_state.pop("pending_model")
        choices = model_choices()
        if choices:
            if st.session_state.get("model") not in choices:
                st.session_state["model"] = next(iter(choices))
            st.selectbox("Model", list(choices), format_func=lambda v: choices.get(v, v), key="model",
                         help="The shipped model (checkpoints/default) and every trained run with a best.pt.")
        else:
            st.warning("No model yet: train one on the Train page.", icon=":material/info:")
        unlock_form()
        kind, label = device_info()
        color = "green" if kind in ("cuda", "mps") else "gray"
        icon = ":material/memory:" if kind in ("cuda", "mps") else ":material/developer_board:"
        st.markdown(f"Device :{color}-badge[{icon} {md_escape(label)}]")

    page.run()


app = st.App(__file__, routes=routes())

# The guard matters: the render workers' forkserver imports the main module (`__mp_main__`), and must not run
# the app there.
if __name__ == "__main__":
    main()
