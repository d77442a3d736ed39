"""Each page's settings stay as the user left them while they visit the other pages (Streamlit forgets a widget's
value when its page is left, unless the widget keeps it for the session)."""
from __future__ import annotations

import pytest

from tests.helpers.app import new_app

pytestmark = pytest.mark.slow


def test_studio_and_train_settings_survive_a_visit_to_other_pages(with_model):
    at = new_app()
    at.number_input(key="studio_n").set_value(5)
    at.slider(key="studio_temperature").set_value(1.2)
    at.selectbox(key="studio_key").set_value("Ador").run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    hidden = at.number_input(key="tr_hidden_size").value
    at.number_input(key="tr_hidden_size").set_value(hidden + 64).run()
    at.switch_page("pages/tunebook.py").run()
    at.text_input(key="tb_search").set_value("jig").run()
    at.switch_page("pages/dataset.py").run()
    at.switch_page("pages/studio.py").run()
    assert not at.exception, at.exception
    assert (at.number_input(key="studio_n").value, at.slider(key="studio_temperature").value,
            at.selectbox(key="studio_key").value) == (5, 1.2, "Ador")
    at.switch_page("pages/train.py").run()
    assert at.number_input(key="tr_hidden_size").value == hidden + 64  # not the preset's again
    at.switch_page("pages/tunebook.py").run()
    assert at.text_input(key="tb_search").value == "jig"
