"""The Inside page in a real browser, with the shipped model: a pasted tune is drawn one shaded character at a
time, its text never run as markup (a tune whose title, composer and chord symbol carry script and event
handlers sets nothing), a click on a character moves the next-character view there, and the charts are drawn.
The screenshot goes to $MUSICRNN_SCREENSHOTS (`MUSICRNN_SCREENSHOTS=docs` refreshes docs/inside.png)."""
from __future__ import annotations

import pytest

from tests.helpers.appserver import READY, app_at, chromium, need_browser, screenshot_folder, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHADED = '[data-testid="musicrnn-shaded-text"]'
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
HOSTILE = ('X:1\nT:<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">\n'
           'C:**bold** [link](javascript:window.__pwned=3)\nM:6/8\nL:1/8\nK:D\n'
           '"<img src=x onerror=window.__pwned=4>"A|dfa afd|gfe fdB|AFA DFA|BAF EFA:|\n')
KESH = ("X:1\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd|edd gdd|edB dBA|GAG GAB|ABA ABd|edd gdB|AGF G3:|\n"
        "|:g2a bgb|age dBd|g2a bgb|age d2e|g2a bgb|age dBd|edd gdB|AGF G3:|\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need_browser()
    home = tmp_path_factory.mktemp("inside")
    with app_at(home) as url:
        yield {"url": url, "home": home}


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


def paste(page, abc: str, as_written: bool = False):
    page.get_by_text("Paste ABC", exact=True).click()
    settle(page)
    if as_written:
        page.get_by_text("Read as written", exact=True).click()
        settle(page)
    box = page.get_by_label("ABC", exact=True)
    box.fill(abc)
    box.press("Control+Enter")
    settle(page, timeout=120_000)
    chars = len(abc if as_written else abc.strip())
    page.wait_for_function(f"() => {{ const r = document.querySelector('{SHADED}'); return !!r && "
                           f"r.querySelectorAll('span[data-i]').length > {chars // 2}; }}", timeout=120_000)
    page.locator(CHART).first.wait_for(timeout=60_000)


def open_inside(browser, server, height=1000):
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.goto(server["url"] + "/inside")
    page.wait_for_selector(READY, timeout=180_000)  # the first run reads the validation tunes and the cells
    settle(page, timeout=180_000)
    return page


def test_tune_text_is_only_ever_text(browser, server):
    page = open_inside(browser, server)
    paste(page, HOSTILE, as_written=True)
    shaded = page.locator(SHADED).first
    # every character of the tune is a span of its own, the markup in it shown as typed
    spans = shaded.locator("span[data-i]")
    text = HOSTILE.rstrip("\n") + "\n"
    assert spans.count() == len(text) + 1  # and the end of the tune
    shown = "".join(spans.evaluate_all("els => els.map(e => e.textContent)"))
    assert "<script>window.__pwned=1</script>" in shown and "onerror=window.__pwned=4" in shown
    assert shaded.locator("script, img, a, b").count() == 0
    page.wait_for_timeout(1000)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img[src=x], a[href^=javascript]").count() == 0
    page.close()


def test_a_pasted_tune_is_shaded_and_a_click_moves_the_next_character_view(browser, server):
    page = open_inside(browser, server, height=2400)
    paste(page, KESH)
    shaded = page.locator(SHADED).first
    # the darkest characters are the surprising ones: a background of some alpha on most of them
    shades = shaded.locator("span[data-i]").evaluate_all("els => els.map(e => e.style.background)")
    assert sum(1 for s in shades if s.startswith("rgba")) >= len(KESH) // 2
    at = shaded.locator("span[data-i]").evaluate_all(
        "els => els.findIndex((e, i) => i >= 40 && /^[a-g]$/.test(e.textContent))")  # a note past the header
    target = shaded.locator(f'span[data-i="{at}"]')
    letter = target.text_content()
    target.click()
    settle(page)
    page.wait_for_function(f"() => document.querySelector('{SHADED} span[data-i=\"{at}\"]')"
                           ".classList.contains('mr-picked')", timeout=30_000)
    assert page.get_by_text("Next in the tune:").first.text_content().startswith(f"Next in the tune: {letter}")
    assert page.locator(CHART).count() == 2
    # sampling under top-k 5 and temperature 0.7: the right chart keeps five characters, sharper
    box = page.get_by_label("Top-k (0 = off)", exact=True)
    box.fill("5")
    box.press("Enter")
    settle(page)
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Temperature").locator('input[type=range]')
    thumb.focus()
    for _ in range(6):
        thumb.press("ArrowLeft")
    settle(page)
    page.get_by_text("What sampling draws from · temperature 0.7, top-k 5, top-p off").wait_for(timeout=30_000)
    # the score's notes are shaded too (when the player draws them)
    page.locator('[data-testid="musicrnn-player"] svg [data-note]').first.wait_for(state="attached", timeout=60_000)
    shot(page, server, "inside")
    page.close()


def shot(page, server, name):
    """The page from the Surprise heading to the bottom of the next-character charts."""
    folder = screenshot_folder(server["home"])
    page.wait_for_timeout(1500)
    top = page.get_by_role("heading", name="Surprise").bounding_box()
    bottom = page.locator('[data-testid="stPlotlyChart"]').nth(1).bounding_box()
    x, y = max(0, top["x"] - 24), max(0, top["y"] - 16)
    clip = {"x": x, "y": y, "width": page.viewport_size["width"] - x,
            "height": min(bottom["y"] + bottom["height"] + 60, page.viewport_size["height"]) - y}
    page.screenshot(path=str(folder / f"{name}.png"), clip=clip)
    assert (folder / f"{name}.png").stat().st_size > 10_000
