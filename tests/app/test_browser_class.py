"""A class in real browsers: the teacher set a password, a run started from a terminal has a space in its
name. Every tab watches it live; a student's tab has no Stop and the run goes on; the teacher's tab, once
unlocked, stops it."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.helpers.appserver import (
    READY,
    AppServerError,
    chromium,
    need_browser,
    settle,
    start_app,
    stop_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "fiddle & bow 42"
COUNT_JS = """() => { const p = document.querySelector('.js-plotly-plot');
                      return p && p.data && p.data.length ? p.data[0].x.length : -1; }"""


@pytest.fixture(scope="module")
def classroom(tmp_path_factory, small_abc_corpus):
    need_browser()
    home = tmp_path_factory.mktemp("classroom")
    runs = home / "runs"
    runs.mkdir()
    env = {**os.environ, "MUSICRNN_RUNS": str(runs), "MUSICRNN_DATA": str(home / "data"),
           "MUSICRNN_TUNEBOOK": str(home / "tunebook.sqlite"), "MUSICRNN_PASSWORD": PASSWORD}
    trainer = subprocess.Popen(
        [sys.executable, "-m", "musicrnn", "train", "--preset", "tiny", "--data", str(small_abc_corpus),
         "--max-steps", "100000", "--patience", "0", "--eval-every", "20", "--out", str(runs / "class run"),
         "--json"], env={**env, "OMP_NUM_THREADS": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url, proc = start_app(env, home / "server.log")
    except AppServerError as e:
        trainer.kill()
        pytest.fail(str(e))
    deadline = time.time() + 90
    while not (runs / "class run" / "metrics.jsonl").exists() and time.time() < deadline:
        time.sleep(0.5)
    yield {"url": url, "runs": runs, "trainer": trainer}
    trainer.kill()
    trainer.wait()
    stop_app(proc)


@pytest.fixture(scope="module")
def browser(classroom):
    with chromium() as b:
        yield b


def train_page(browser, classroom):
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(classroom["url"] + "/train")
    page.wait_for_selector(READY, timeout=60_000)
    return page


def curve_grows(page, timeout=90) -> list[int]:
    seen, deadline = [], time.time() + timeout
    while time.time() < deadline and len(seen) < 2:
        n = page.evaluate(COUNT_JS)
        if n > 0 and (not seen or n > seen[-1]):
            seen.append(n)
        page.wait_for_timeout(500)
    return seen


def test_a_student_watches_but_cannot_stop_and_the_teacher_can(browser, classroom):
    student = train_page(browser, classroom)
    main = student.locator('[data-testid="stMain"]')
    main.get_by_text("class run").first.wait_for(timeout=60_000)
    assert len(curve_grows(student)) >= 2  # the route found "class run" (space and all) and the curve grows
    assert student.get_by_text("not available").count() == 0
    assert main.get_by_role("button", name="Stop").count() == 0  # in the page: Streamlit's header has a Stop too
    assert student.get_by_role("button", name="Start training", disabled=False).count() == 0
    assert classroom["trainer"].poll() is None  # the run goes on

    teacher = train_page(browser, classroom)
    teacher.get_by_label("Teacher password", exact=True).and_(teacher.locator("input")).fill("not it")
    teacher.get_by_role("button", name="Unlock").click()
    teacher.get_by_text("That is not the password.").wait_for(timeout=30_000)
    settle(teacher)
    assert teacher.locator('[data-testid="stMain"]').get_by_role("button", name="Stop").count() == 0
    teacher.get_by_label("Teacher password", exact=True).and_(teacher.locator("input")).fill(PASSWORD)
    teacher.get_by_role("button", name="Unlock").click()
    settle(teacher)
    teacher.get_by_role("button", name="Stop").click()
    assert classroom["trainer"].wait(timeout=120) == 0
    student.reload()
    student.wait_for_selector(READY, timeout=60_000)
    student.get_by_text("stopped").first.wait_for(timeout=60_000)
    assert (classroom["runs"] / "class run" / "last.pt").exists()
    student.close()
    teacher.close()
