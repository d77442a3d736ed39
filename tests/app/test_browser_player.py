"""The player in a real browser: the cursor follows the audio on the tune's own timeline (repeats and endings
expanded as the MIDI plays them), a click plays from a note, a loop stays in its bars, half speed keeps the
pitch, an edit re-renders without a Streamlit rerun, and the studio fits a phone. Screenshots go to
$MUSICRNN_SCREENSHOTS (`MUSICRNN_SCREENSHOTS=docs` refreshes the committed ones)."""
from __future__ import annotations

import time

import pytest

from musicrnn.tunebook import Tunebook
from tests.helpers.appserver import READY, app_at, chromium, need_browser, screenshot_folder, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PLAYER = '[data-testid="musicrnn-player"]'
REPEATS = "X:1\nT:Repeats\nL:1/4\nM:4/4\nK:C\n|:C D:|1E F:|2G A|]\n"
SIXTEEN = ("X:1\nT:Sixteen bars\nL:1/8\nM:4/4\nK:D\n"
           + "|".join(["DEFG ABcd", "efga bagf", "edcB AGFE", "D2F2 A2d2"] * 4) + "|]\n")
HOSTILE = ('X:1\nT:<img src=x onerror="window.__pwned=1">\nL:1/8\nM:4/4\nK:D\n'
           '"^<script>window.__pwned=2</script>"DEFG "<b>Am</b>"ABcd|efga bagf|]\n'
           'w:<svg/onload=window.__pwned=3> la la la\n')
PICKUP = ("X:1\nT:Pickup\nL:1/8\nM:6/8\nK:D\nA|"
          + "|".join(["ded dcd", "ece efg", "ded fgf", "edc d2A"] * 2) + ":|\n")
BROKEN = "X:1\nT:Open\nL:1/8\nM:4/4\nK:D\n|:DEFG ABcd|efga bagf|edcB AGFE|D2F2 A4|\n"

# The note the timeline puts at the audio's time, next to the one the page lights up, sampled `n` times.
SAMPLE = """async ([n, gap]) => {
  const root = document.querySelector('[data-testid=musicrnn-player]');
  const a = root.querySelector('audio'), tl = root.__timeline, out = [];
  const at = (t) => {
    const e = tl.events.filter((x) => x[0] <= t && t < x[1]);
    return e.length ? e[e.length - 1][2] : -1;
  };
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setTimeout(r, gap));
    const t = a.currentTime, lit = Number(root.getAttribute('data-playing-note'));
    out.push([t, lit, at(t), at(Math.max(0, t - 0.05)), root.querySelectorAll('svg .playing').length]);
  }
  return out;
}"""
AUDIO_READY = "() => { const a = document.querySelector('[data-testid=musicrnn-player] audio'); " \
              "return !!a && a.readyState >= 1 && !!a.src; }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need_browser()
    home = tmp_path_factory.mktemp("player")
    book = Tunebook(home / "tunebook.sqlite")
    ids = {name: book.add(abc, name) for name, abc in
           (("Open", BROKEN), ("Hostile", HOSTILE), ("Repeats", REPEATS), ("Pickup", PICKUP),
                            ("Sixteen bars", SIXTEEN))}
    with app_at(home) as url:
        yield {"url": url, "ids": ids, "home": home}


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


def shot(page, server, name):
    folder = screenshot_folder(server["home"])
    page.screenshot(path=str(folder / f"{name}.png"))


def open_tune(browser, server, title, **page_kw):
    page = browser.new_page(**({"viewport": {"width": 1400, "height": 1000}} | page_kw))
    page.outside = []  # nothing may come from anywhere but the app's own server (no CDN)
    page.on("request", lambda r: None if r.url.startswith((server["url"], "blob:", "data:"))
            else page.outside.append(r.url))
    page.goto(server["url"] + "/tunebook")
    page.wait_for_selector(READY, timeout=60_000)
    settle(page)
    if title != "Sixteen bars":  # the newest is open first
        page.get_by_text(f"{title} · ", exact=False).first.click()
        settle(page)
    page.locator(PLAYER + " svg [data-note]").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_function(AUDIO_READY, timeout=60_000)
    return page


def test_cursor_follows_the_audio_and_a_click_plays_from_a_note(browser, server):
    page = open_tune(browser, server, "Sixteen bars")
    player = page.locator(PLAYER)
    player.get_by_role("button", name="Play").click()
    samples = page.evaluate(SAMPLE, [30, 100])  # three seconds
    lit = [s[1] for s in samples]
    changes = sum(1 for a, b in zip(lit, lit[1:]) if a != b)
    assert changes >= 5, samples
    print(f"\nthe lit note changed {changes} times in 3 s; every one of {len(samples)} samples was the timeline's")
    for t, shown, here, just_before, marked in samples:
        assert shown in (here, just_before), (t, shown, here)  # the note the timeline puts at currentTime
        assert marked >= 1
    shot(page, server, "player-cursor")
    # the first note of bar 5 (no pickup: bars are numbered from 1)
    tl = page.evaluate("() => document.querySelector('[data-testid=musicrnn-player]').__timeline")
    bar5 = next(i for i, b in enumerate(tl["bars"]) if b["label"] == "5")
    note = next(i for i, n in enumerate(tl["notes"]) if n["bar"] == bar5)
    onset = next(pb[0] for pb in tl["played_bars"] if pb[2] == bar5)
    # a note is a few pixels of glyph: the click goes to its group, as a tap on the glyph would
    player.locator(f'svg [data-note="{note}"]').first.dispatch_event("click")
    t = page.evaluate("() => document.querySelector('[data-testid=musicrnn-player] audio').currentTime")
    assert abs(t - onset) <= 0.05 + 0.02, (t, onset)  # within 50 ms, and a frame of playing since the click
    print(f"click on bar 5's first note: currentTime {t:.3f} s, the bar's onset {onset:.3f} s")
    assert not page.outside, page.outside
    # space pauses
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.querySelector('[data-testid=musicrnn-player] audio').paused")
    page.close()


def test_repeats_and_endings_play_in_order(browser, server):
    page = open_tune(browser, server, "Repeats")
    page.locator(PLAYER).get_by_label("Speed in percent").fill("150")
    page.locator(PLAYER).get_by_role("button", name="Play").click()
    samples = page.evaluate(SAMPLE, [70, 40])  # 2.8 s: the tune lasts 4 s at 120, 2.7 s at 150 %
    order = []
    for _, shown, *_ in samples:
        if shown >= 0 and (not order or order[-1] != shown):
            order.append(shown)
    # written notes: C D (0, 1), E F (2, 3: first ending), G A (4, 5: second ending)
    assert order == [0, 1, 2, 3, 0, 1, 4, 5], order
    page.close()


CHOSEN = "(el) => el.options[el.selectedIndex].text"


def test_the_loop_starts_as_the_first_phrase_and_names_the_pickup(browser, server):
    for title, first in (("Pickup", "pickup"), ("Sixteen bars", "bar 1")):
        page = open_tune(browser, server, title)
        player = page.locator(PLAYER)
        start, end = player.get_by_label("Loop from bar"), player.get_by_label("Loop to bar")
        assert start.locator("option").first.inner_text() == first
        assert (start.evaluate(CHOSEN), end.evaluate(CHOSEN)) == ("bar 1", "bar 4"), title
        page.close()


def loop_bars(page, first: str, last: str):
    """Loop the player's bars `first` to `last` (as the menus name them); the player."""
    player = page.locator(PLAYER)
    player.get_by_label("Loop from bar").select_option(label=first)
    player.get_by_label("Loop to bar").select_option(label=last)
    player.get_by_role("button", name="Loop bars").click()
    return player


def test_loop_stays_in_its_bars_and_half_speed_keeps_the_pitch(browser, server):
    page = open_tune(browser, server, "Sixteen bars")
    player = loop_bars(page, "bar 2", "bar 3")
    tl = page.evaluate("() => document.querySelector('[data-testid=musicrnn-player]').__timeline")
    start = next(pb[0] for pb in tl["played_bars"] if tl["bars"][pb[2]]["label"] == "2")
    end = next(pb[1] for pb in tl["played_bars"] if tl["bars"][pb[2]]["label"] == "3")
    player.get_by_role("button", name="Play").click()
    shot(page, server, "player-loop")
    samples = page.evaluate(SAMPLE, [200, 50])  # ten seconds
    times = [s[0] for s in samples]
    assert min(times) >= start - 0.05 and max(times) <= end + 0.05, (start, end, min(times), max(times))
    assert max(times) - min(times) > (end - start) * 0.8  # it did play through the loop, again and again
    print(f"loop bars 2-3 [{start:.3f}, {end:.3f}] s for 10 s: currentTime stayed in [{min(times):.3f}, "
          f"{max(times):.3f}]")
    # half speed: a bar takes twice as long, at the same pitch
    player.get_by_role("button", name="Loop bars").click()
    player.get_by_label("Speed in percent").fill("50")
    state = page.evaluate("() => { const a = document.querySelector('[data-testid=musicrnn-player] audio');"
                          " return [a.playbackRate, a.preservesPitch]; }")
    assert state == [0.5, True]
    t0, w0 = page.evaluate("() => [document.querySelector('[data-testid=musicrnn-player] audio').currentTime,"
                           " performance.now()]")
    time.sleep(2.0)
    t1, w1 = page.evaluate("() => [document.querySelector('[data-testid=musicrnn-player] audio').currentTime,"
                           " performance.now()]")
    rate = (t1 - t0) / ((w1 - w0) / 1000)
    assert 0.4 <= rate <= 0.6, rate
    print(f"at 50 %: playbackRate {state[0]}, preservesPitch {state[1]}, audio advanced {rate:.3f} s per second")
    page.close()


def test_speed_up_plays_each_time_round_the_loop_a_little_faster_up_to_the_tunes_tempo(browser, server):
    page = open_tune(browser, server, "Sixteen bars")
    player = loop_bars(page, "bar 2", "bar 2")
    player.get_by_label("Speed in percent").fill("90")
    player.get_by_label("Speed up 5% each time round the loop").check()
    player.get_by_role("button", name="Play").click()
    rate = "() => document.querySelector('[data-testid=musicrnn-player] audio').playbackRate"
    page.wait_for_function(f"() => ({rate})() === 0.95", timeout=15_000)  # once round: 5 % faster
    page.wait_for_function(f"() => ({rate})() === 1", timeout=15_000)  # twice: the tune's own tempo
    time.sleep(3.0)  # a bar is 2 s at 100 %: it has come round again, and stays at the tune's tempo
    assert page.evaluate(rate) == 1 and player.get_by_text("100%").count() == 1
    page.close()


def test_play_pressed_before_the_sound_has_come_plays_it_when_it_comes_and_it_is_made_once(browser, server):
    # the page's audio is synthesized on its first request: hold those requests, press Play, then let them go
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    holding, held = [True], []
    page.route("**/api/media/*/wav", lambda route: held.append(route) if holding[0] else route.continue_())
    page.goto(server["url"] + "/tunebook")
    page.wait_for_selector(READY, timeout=60_000)
    page.locator(PLAYER + " svg [data-note]").first.wait_for(state="attached", timeout=60_000)
    audio = "document.querySelector('[data-testid=musicrnn-player] audio')"
    assert page.evaluate(f"() => !{audio}.getAttribute('src')")  # the score is here, the sound is not
    # the column is narrow: the player draws the tune again at its width, and keeps the one sound it asked for
    page.wait_for_function("() => document.querySelector('[data-testid=musicrnn-player]')"
                           ".hasAttribute('data-rendered')", timeout=30_000)
    assert len(held) == 1, [r.request.url for r in held]
    page.locator(PLAYER).get_by_role("button", name="Play").click()
    assert page.evaluate(f"() => {audio}.paused")
    holding[0] = False
    assert held
    for route in held:
        route.continue_()
    page.wait_for_function(f"() => !{audio}.paused && {audio}.currentTime > 0.2", timeout=10_000)
    page.close()


def test_an_edit_rerenders_without_a_rerun_and_a_problem_keeps_the_last_score(browser, server):
    page = open_tune(browser, server, "Sixteen bars")
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    # the page's websocket is already open: count what the page sends from now on through a fresh listener
    page.evaluate("""() => { window.__sent = 0; const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (d) { window.__sent += 1; return send.call(this, d); }; }""")
    box = page.locator(PLAYER).get_by_label("ABC", exact=True)
    before = page.locator(PLAYER + " svg").first.inner_html()
    box.click()
    box.press("End")
    t0 = time.perf_counter()
    text = box.input_value().replace("DEFG ABcd", "DEFG ABce", 1)
    box.fill(text)
    # how fast is a figure of benchmarks/studio_latency.py (edit_redraw); here only that it redraws by itself
    page.wait_for_function("(old) => { const s = document.querySelector('[data-testid=musicrnn-player] svg');"
                           " return s && s.innerHTML !== old; }", arg=before, timeout=10_000)
    print(f"an edit redrew the score in {time.perf_counter() - t0:.2f} s with no message to Streamlit")
    assert page.evaluate("() => window.__sent") == 0  # no rerun asked while typing
    # a parse problem: shown under the box with its line, the last good score stays
    good = page.locator(PLAYER + " svg").first.inner_html()
    box.fill(text.replace("|]", "|b[c|]"))
    page.wait_for_function("() => document.querySelector('[data-testid=musicrnn-player] .mr-problem')"
                           ".textContent.includes('line')", timeout=10_000)
    assert page.locator(PLAYER + " svg").first.inner_html() == good
    assert page.evaluate("() => window.__sent") == 0
    page.close()


def test_repair_diff_and_phone_layout(browser, server):
    page = open_tune(browser, server, "Open")
    page.get_by_role("button", name="Repair…").click()
    page.get_by_text("Proposed repair").wait_for(timeout=30_000)
    settle(page)
    shot(page, server, "player-repair")
    page.close()

    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(server["url"] + "/tunebook")
    page.wait_for_selector(READY, timeout=60_000)
    page.locator(PLAYER + " svg [data-note]").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_function(AUDIO_READY, timeout=60_000)
    settle(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    heights = page.evaluate("() => [...document.querySelectorAll('[data-testid=musicrnn-player] .mr-bar button,"
                            " [data-testid=musicrnn-player] .mr-bar select')]"
                            ".map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 40, heights
    svg_w = page.evaluate("() => document.querySelector('[data-testid=musicrnn-player] svg')"
                          ".getBoundingClientRect().width")
    assert svg_w <= 390
    page.locator(PLAYER).get_by_role("button", name="Play").tap()
    page.wait_for_function("() => !document.querySelector('[data-testid=musicrnn-player] audio').paused", timeout=5000)
    shot(page, server, "player-phone")
    page.close()


def test_hostile_tune_text_stays_text(browser, server):
    page = open_tune(browser, server, "Hostile")
    player = page.locator(PLAYER)
    page.locator(PLAYER).get_by_role("button", name="Play").click()
    time.sleep(0.5)
    assert page.evaluate("() => window.__pwned") is None
    assert player.locator("script, img, foreignObject, [onload], [onerror]").count() == 0
    assert "window.__pwned=1" in player.locator("svg").first.text_content()  # the title, drawn as text
    assert "<b>Am</b>" in player.get_by_label("ABC", exact=True).input_value()
    assert not page.outside, page.outside
    page.close()


def test_print_opens_the_score_for_paper_and_its_title_stays_text(browser, server):
    page = open_tune(browser, server, "Hostile")
    link = page.locator(PLAYER).get_by_role("button", name="Print the score")
    assert link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opened:
        link.click()
    sheet = opened.value
    sheet.wait_for_load_state()
    sheet.locator("section.tune svg").first.wait_for(state="attached", timeout=30_000)
    assert sheet.evaluate("() => window.__pwned") is None
    assert sheet.locator("img, foreignObject, [onload], [onerror]").count() == 0
    assert sheet.title() == '<img src=x onerror="window.__pwned=1">'  # the title as text, not markup
    assert sheet.get_by_role("button", name="Print").is_visible()
    sheet.emulate_media(media="print")
    assert not sheet.get_by_role("button", name="Print").is_visible()  # nothing but the score on paper
    shot(sheet, server, "player-print")
    sheet.close()
    assert not page.outside, page.outside
    page.close()



def test_a_transposed_tune_downloads_as_abc_in_the_key_it_sounds_in(browser, server):
    page = open_tune(browser, server, "Sixteen bars")
    page.get_by_text("Playback", exact=True).first.click()
    thumb = page.get_by_role("slider", name="Transpose (semitones)")
    thumb.focus()
    thumb.press("ArrowRight")
    thumb.press("ArrowRight")
    link = page.locator(PLAYER).get_by_role("button", name="Download ABC, transposed +2")
    link.wait_for(timeout=60_000)
    with page.expect_download() as got:
        link.click()
    text = open(got.value.path()).read()
    assert got.value.suggested_filename == "Sixteen-bars.abc"
    assert "K:E\n" in text and text.startswith("X:1\nT:Sixteen bars") and "EFGA Bcde" in text
    assert page.locator(PLAYER).get_by_label("ABC", exact=True).input_value().count("K:D") == 1  # the box as written
    assert not page.outside, page.outside
    page.close()

@pytest.mark.parametrize("width, height, name", [(1400, 1000, "player-studio"), (390, 844, "player-studio-phone")])
def test_the_studio_generates_a_tune_that_plays(browser, server, width, height, name):
    phone = width < 500
    page = browser.new_page(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    page.goto(server["url"] + "/")
    page.wait_for_selector(READY, timeout=60_000)
    settle(page)
    page.get_by_role("button", name="Generate").click()
    page.locator(PLAYER + " svg [data-note]").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_function(AUDIO_READY, timeout=60_000)
    settle(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # no sideways scrolling
    play = page.locator(PLAYER).get_by_role("button", name="Play")
    play.scroll_into_view_if_needed()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    play.tap() if phone else play.click()
    try:  # a loaded machine can take a moment to start the sound
        page.wait_for_function(f"() => !document.querySelector('{PLAYER} audio').paused", timeout=10_000)
    except PlaywrightTimeout:
        status = page.locator(PLAYER + " [role=status], " + PLAYER + " .mr-status").all_text_contents()
        raise AssertionError(f"the sound did not start; the player says {status}") from None
    time.sleep(2.5)
    assert not page.evaluate("() => document.querySelector('[data-testid=musicrnn-player] audio').paused")
    assert page.locator(PLAYER + " svg .playing").count() >= 1
    if not phone:
        page.locator(PLAYER + " svg .playing").first.scroll_into_view_if_needed()
    shot(page, server, name)
    page.close()


def test_select_bars_on_the_score_and_count_in(browser, server):
    page = open_tune(browser, server, "Sixteen bars")
    player = page.locator(PLAYER)
    tl = page.evaluate("() => document.querySelector('[data-testid=musicrnn-player]').__timeline")
    first_of = {}
    for i, n in enumerate(tl["notes"]):
        first_of.setdefault(tl["bars"][n["bar"]]["label"], i)
    # shift-click a note of bar 3, then one of bar 4: those bars loop
    for label in ("3", "4"):
        page.evaluate("(i) => document.querySelector(`[data-testid=musicrnn-player] svg [data-note='${i}']`)"
                      ".dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true}))", first_of[label])
    assert player.get_by_role("button", name="Loop bars").get_attribute("aria-pressed") == "true"
    assert player.get_by_label("Loop from bar").input_value() == str(tl["bars"].index(
        next(b for b in tl["bars"] if b["label"] == "3")))
    start = next(pb[0] for pb in tl["played_bars"] if tl["bars"][pb[2]]["label"] == "3")
    # a one-bar count-in: the audio waits a bar (four clicks), then starts at the loop
    player.get_by_label("Count in one bar").check()
    player.get_by_role("button", name="Play").click()
    time.sleep(0.5)
    waiting = page.evaluate("() => { const a = document.querySelector('[data-testid=musicrnn-player] audio');"
                            " return [a.paused, a.currentTime]; }")
    assert waiting[0] and abs(waiting[1] - start) < 0.05, waiting
    page.wait_for_function("() => !document.querySelector('[data-testid=musicrnn-player] audio').paused",
                           timeout=10_000)
    page.close()
