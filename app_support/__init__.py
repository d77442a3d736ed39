"""What the app's pages share, apart from the pages (`pages/`): Streamlit-side helpers over the library.

    text          escaping user text for markdown, error boxes
    data_folders  where downloads and uploads live; the sources offered for training
    resources     process-wide objects (training registry, render workers, device)
    models        the model picker's choices; loading a model once per file version
    media         score, audio and files of a tune, made in the render workers, cached
    tune_view     one tune on a page (badges, score, audio, ABC, downloads, save)
    navigation    the pages' files;  routes: the HTTP routes beside Streamlit's
    live, charts  a training run's live view (the document the route serves) and its plotly charts
    live_panel    the component that draws a running run in the browser (live_panel.js)
"""
