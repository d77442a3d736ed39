"""The app in a real browser: `streamlit run app.py` on 127.0.0.1, driven by Debian's Chromium via Playwright.

Generate shows the player (inline score, audio, downloads); a tiny training run's curve gains points live; a MIDI
download starts with `MThd`; each page is screenshotted (into docs/ with MUSICRNN_SCREENSHOTS=docs). Without
Chromium the tests skip, except under CI (`CI=true`), where a missing browser fails the run.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.helpers.appserver import (
    READY,
    AppServerError,
    chromium,
    need_browser,
    screenshot_folder,
    settle,
    start_app,
    stop_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLAYER = '[data-testid="musicrnn-player"]'
AUDIO_READY = "() => { const a = document.querySelector('[data-testid=musicrnn-player] audio'); " \
              "return !!a && a.readyState >= 1; }"


@pytest.fixture(scope="module")
def server(tmp_path_factory, music_run, small_abc_corpus):
    need_browser()
    home = tmp_path_factory.mktemp("browser")
    runs = home / "runs"
    runs.mkdir()
    shutil.copytree(music_run, runs / "tiny300")
    env = {**os.environ, "MUSICRNN_RUNS": str(runs), "MUSICRNN_DATA": str(home / "data"),
           "MUSICRNN_TUNEBOOK": str(home / "tunebook.sqlite"), "MUSICRNN_TRAIN_THREADS": "1"}
    try:
        url, proc = start_app(env, home / "server.log")
    except AppServerError as e:
        pytest.fail(str(e))
    yield {"url": url, "runs": runs, "data": small_abc_corpus, "home": home}
    stop_app(proc)


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


def open_page(browser, server, path="", height=1000):
    page = browser.new_page(viewport={"width": 1400, "height": height}, accept_downloads=True)
    page.goto(server["url"] + "/" + path)
    page.wait_for_selector(READY, timeout=60_000)
    return page


def shot(page, server, name):
    folder = screenshot_folder(server["home"])
    page.wait_for_timeout(500)
    page.screenshot(path=str(folder / f"screenshot-{name}.png"))
    assert (folder / f"screenshot-{name}.png").stat().st_size > 10_000


def test_deep_link_to_a_page_keeps_the_navigation(browser, server):
    """Opening /train first must run app.py (sidebar, model picker), not the page alone."""
    page = open_page(browser, server, "train")
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Model").count() >= 1
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("Studio").count() == 1
    page.close()


def test_generate_shows_score_and_audio_and_downloads_midi(browser, server):
    page = open_page(browser, server, height=1150)
    main = page.locator('[data-testid="stMain"]')
    # the shipped model knows tune types: ask it for a jig
    page.get_by_role("combobox", name="Tune type").click()
    page.get_by_role("option", name="jig · 6/8").click()
    settle(page)
    timings = []
    seed_js = ("() => [...document.querySelectorAll('[data-testid=stCaptionContainer]')].map(e => e.innerText)"
               ".find(t => t.startsWith('Seed ')) || ''")
    for attempt in range(2):  # the first includes loading the model; the second is the warm figure
        before = page.evaluate(seed_js)
        t0 = time.perf_counter()
        page.get_by_role("button", name="Generate").click()
        page.wait_for_function(f"() => ({seed_js})() !== {before!r}", timeout=60_000)
        page.wait_for_selector(READY, timeout=60_000)  # the whole run is on the page, no stale elements left
        main.locator(PLAYER + " svg [data-note]").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_function(AUDIO_READY, timeout=60_000)
        main.get_by_role("button", name="Download MIDI").first.wait_for(state="visible", timeout=60_000)
        timings.append(time.perf_counter() - t0)
        settle(page)
    print(f"\nGenerate to score + audio + downloads: cold {timings[0]:.2f} s, warm {timings[1]:.2f} s")
    assert timings[1] < 20  # the figure to watch is printed above; the goal on 2 idle cores is under 3 s
    abc = main.get_by_label("ABC", exact=True).first.input_value()
    assert "\nR:jig\n" in abc and "\nM:6/8\n" in abc
    assert page.evaluate("() => document.querySelectorAll('[data-testid=musicrnn-player] svg g.note').length") > 10
    with page.expect_download(timeout=30_000) as dl:
        main.get_by_role("button", name="Download MIDI").first.click()
    data = Path(dl.value.path()).read_bytes()
    assert data[:4] == b"MThd"
    assert dl.value.suggested_filename.endswith(".mid")
    # save the best candidate, for the tunebook screenshot
    main.get_by_label("Title").first.fill("Browser jig")
    main.get_by_role("button", name="Save to tunebook").first.click()
    page.get_by_text("Saved as tune").wait_for(timeout=30_000)
    shot(page, server, "studio")
    page.close()


def test_training_curve_gains_points_live(browser, server):
    page = open_page(browser, server, "train", height=1500)
    page.get_by_role("radio", name="tiny").click()
    settle(page)
    page.get_by_role("combobox", name="Training data").click()
    page.get_by_role("option", name="Another folder or file…").click()
    settle(page)
    for label, value in (("Path: an IrishMAN folder or .json, or an .abc file or folder", str(server["data"])),
                         ("Patience", "0"), ("Max steps", "20000"), ("Run name", "browser-run")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        settle(page)
    page.get_by_role("button", name="Start training").click()
    settle(page)

    count_js = """() => { const p = document.querySelector('.js-plotly-plot');
                          return p && p.data && p.data.length ? p.data[0].x.length : -1; }"""
    seen = []
    deadline = time.time() + 120
    while time.time() < deadline:
        n = page.evaluate(count_js)
        if n > 0 and (not seen or n != seen[-1]):
            seen.append(n)
        if len(seen) >= 3:
            break
        page.wait_for_timeout(500)
    assert len(seen) >= 3 and seen == sorted(seen), f"curve points seen: {seen}"
    # what the tab polled: the app's own route, beside Streamlit's, answers the run's live view
    live = page.request.get(server["url"] + "/api/live/browser-run?since=0")
    assert live.ok and live.json()["head"]["name"] == "browser-run" and len(live.json()["charts"]) == 2
    assert page.request.get(server["url"] + "/api/live/no-such-run").status == 404
    # the page was never reloaded: the tab polled the live view and redrew the figure with more points
    page.get_by_text("Listen to it learn").wait_for(timeout=30_000)
    # under the curves, the surprise strip of the run's fixed validation tune, one span a character
    strip = page.locator('[data-testid="musicrnn-surprise-strip"]')
    strip.locator("span[data-i]").first.wait_for(timeout=60_000)
    assert strip.text_content().startswith("What the network finds surprising in a validation tune (darker = more "
                                           "bits), step ")
    page.wait_for_timeout(2500)
    shot(page, server, "train")
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("stopped").first.wait_for(timeout=60_000)
    assert (server["runs"] / "browser-run" / "last.pt").exists()
    page.close()


def test_dataset_and_tunebook_pages(browser, server):
    page = open_page(browser, server, "dataset", height=1500)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    settle(page)
    assert not page.locator('[data-testid="stException"]').count()
    shot(page, server, "dataset")
    page.close()

    page = open_page(browser, server, "tunebook", height=1100)
    page.get_by_text("Browser jig").first.wait_for(timeout=30_000)
    page.locator(PLAYER + " svg [data-note]").first.wait_for(state="attached", timeout=60_000)
    settle(page)
    shot(page, server, "tunebook")
    page.close()
