"""Studio page through streamlit.testing.AppTest: generation, ranking, editing, downloads, errors."""
from __future__ import annotations

import pytest

from app_support.steering import steering_note
from musicrnn.generation.endings import TILT_REDRAWS
from tests.helpers.app import GOOD_TUNE, edit_tune, kinds, new_app, playable, player_files, players, texts, tune_text

pytestmark = pytest.mark.slow


def generate(at):
    at.button(key="studio_generate").click().run()
    assert not at.exception, at.exception
    return at


def test_no_model_says_so_and_disables_generate(app_env):
    at = new_app()
    assert not at.exception
    assert "No model is available yet" in texts(at)
    assert at.button(key="studio_generate").disabled
    assert "No model yet" in texts(at)  # the sidebar too


def test_generate_shows_ranked_candidates_with_score_audio_downloads(with_model):
    at = new_app()
    assert at.selectbox(key="model").value == str(with_model)
    at.number_input(key="studio_n").set_value(3)
    at.toggle(key="studio_fixed_seed").set_value(True)
    at.number_input(key="studio_seed").set_value(7)
    at.selectbox(key="studio_endings").set_value("model")  # the tiny model's first endings, as drawn
    generate(at)
    result = at.session_state["studio_result"]
    assert result["settings"]["final_redraws"] == 0
    scores = [c["score"] for c in result["candidates"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert result["settings"]["seed"] == 7 and result["settings"]["prime"].startswith("X:1\nL:1/8\nM:4/4\nK:D\n")
    assert len(kinds(at, "tab")) == 3
    # only the open (best) candidate is rendered: its ABC, badges, downloads
    best = result["candidates"][0]
    assert len(players(at)) == 1 and tune_text(at) == best["abc"]
    assert player_files(at) == ["midi", "musicxml", "wav-full"]
    assert "Seed **7**" in texts(at)
    # a fixed seed reproduces the same candidates
    generate(at)
    assert ([c["abc"] for c in at.session_state["studio_result"]["candidates"]]
            == [c["abc"] for c in result["candidates"]])


def test_random_seed_is_drawn_and_shown(with_model):
    at = new_app()
    before = at.number_input(key="studio_seed").value
    generate(at)
    seed = at.session_state["studio_result"]["settings"]["seed"]
    assert seed == at.number_input(key="studio_seed").value
    assert seed != before or before != 1
    assert f"Seed **{seed}**" in texts(at)


def test_a_cut_off_candidate_edited_into_a_whole_tune_is_judged_by_its_text(with_model):
    at = new_app()
    at.number_input(key="studio_n").set_value(1)
    generate(at)
    at.session_state["studio_result"]["candidates"][0]["ended"] = False  # as a tune the length limit cut off
    at.run()
    assert "cut off" in texts(at)
    edit_tune(at, GOOD_TUNE)
    assert not at.exception and tune_text(at) == GOOD_TUNE
    md = texts(at)
    assert "cut off" not in md and "score 1.00" in md  # the sampler's word was about the text it wrote
    assert players(at)[0]["options"]["ended"] is None  # and so is the next edit's, in the browser


def test_edit_rerenders_and_bad_abc_is_an_error_not_a_crash(with_model):
    at = new_app()
    generate(at)
    edit_tune(at, GOOD_TUNE)
    assert not at.exception
    assert playable(at) == 1 and tune_text(at) == GOOD_TUNE
    md = texts(at)
    assert "parses" in md and "score 1.00" in md
    assert player_files(at) == ["midi", "musicxml", "wav-full"]

    edit_tune(at, "X:1\nL:1/8\nM:6/8\nK:D\n[[[[ ]]]] |]")  # no notes: nothing to play
    assert not at.exception
    shown = players(at)[0]
    assert not shown["audio"] and "no notes" in shown["no_audio"] and "no notes" in shown["problem"]["message"]
    assert at.button(key="studio_generate")  # the rest of the page still works


def test_save_to_tunebook(with_model, app_env):
    from musicrnn.tunebook import Tunebook

    at = new_app()
    generate(at)
    title = next(t for t in at.text_input if t.key.endswith("_title"))
    title.set_value("Test reel")
    next(b for b in at.button if b.key and b.key.endswith("_save")).click().run()
    assert not at.exception
    assert any("Saved as tune" in s.value for s in at.success)
    saved = Tunebook(app_env["tunebook"]).list()
    assert len(saved) == 1 and saved[0].title == "Test reel"
    assert saved[0].settings["seed"] == at.session_state["studio_result"]["settings"]["seed"]
    assert saved[0].settings["temperature"] == pytest.approx(0.9)


def test_unknown_prime_characters_are_an_error(with_model):
    at = new_app()
    at.text_area(key="studio_start").set_value("dfa é|")
    generate(at)
    assert any("Could not generate" in e.value for e in at.error)
    assert "é" in texts(at) or "\\xe9" in texts(at) or "the prime holds characters" in texts(at)


def test_corrupt_checkpoint_is_an_error(app_env, music_run):
    import shutil

    bad = app_env["runs"] / "broken"
    shutil.copytree(music_run, bad)
    (bad / "best.pt").write_bytes(b"this is not a checkpoint")
    at = new_app()
    assert at.selectbox(key="model").value == str(bad)
    generate(at)
    assert any("Could not generate" in e.value and "checkpoint" in e.value for e in at.error)
    assert at.button(key="studio_generate")


def test_the_type_picker_follows_the_chosen_model(with_model, app_env, tmp_path):
    import shutil

    from musicrnn.data.sources import music21_corpus_dir
    from musicrnn.generation.prime import known_types
    from musicrnn.model.checkpoint import atomic_save, load_checkpoint
    from tests.helpers.app import train_tiny

    typed_src = tmp_path / "typed"  # O'Neill's reels, jigs and hornpipes: each tune has its R:
    typed_src.mkdir()
    for name in ("1176-1275.abc", "0900-0950.abc", "1556-1624.abc"):
        shutil.copy(music21_corpus_dir() / "oneills1850" / name, typed_src / name)
    typed = train_tiny(typed_src, app_env["runs"] / "typed", 5)
    stored = load_checkpoint(typed)
    path = stored.pop("path")
    stored["endings"] = {"jig": {"keep": 0.3, "form_keep": 0.05}}  # as `calibrate` would store it, for jigs only
    atomic_save(stored, path)
    known = known_types(load_checkpoint(typed)["data"])
    assert {"reel", "jig", "hornpipe"} <= set(known)
    at = new_app()
    at.selectbox(key="model").set_value(str(typed)).run()
    assert at.selectbox(key="studio_type").options == [f"{t} · {known[t]['meter']}" for t in ("reel", "jig", "hornpipe")
                                                        if t in known] + ["any (the model chooses)"]
    assert at.selectbox(key="studio_type").value == "reel"  # a musician's first ask
    at.selectbox(key="studio_type").set_value("jig").run()
    tempo = at.slider(key="studio_tempo")
    assert tempo.value == 112 and tempo.label == "Tempo (dotted quarters per minute)"  # as a musician counts a jig
    generate(at)
    settings = at.session_state["studio_result"]["settings"]
    assert settings["prime"] == f"X:1\nL:{known['jig']['unit']}\nM:{known['jig']['meter']}\nR:jig\nK:D\n"
    assert (settings["final_redraws"], settings["final_keep"], settings["form_keep"]) == (TILT_REDRAWS, 0.3, 0.05)
    at.selectbox(key="studio_type").set_value("reel").run()
    generate(at)
    assert at.session_state["studio_result"]["settings"]["final_redraws"] == 0  # no fit for reels
    assert at.session_state["studio_result"]["settings"]["form_keep"] == 1.0
    # a jig kept from the studio's box takes the pickers with it: its own type and its pace, before they are drawn
    edit_tune(at, GOOD_TUNE.replace("K:D", "R:Jig\nK:D"))
    assert at.slider(key="studio_tempo").value == 100  # the reel's 100 half notes a minute
    assert players(at)[0]["options"]["tempo"] == 200.0  # which the MIDI plays as 200 quarter notes
    next(b for b in at.button if b.key and b.key.endswith("_keep")).click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="studio_type").value == "jig" and at.slider(key="studio_tempo").value == 112
    assert players(at)[0]["options"]["tempo"] == 168.0
    assert "\nR:jig\n" in at.session_state["studio_result"]["settings"]["prime"]
    # the model of O'Neill's tunes 1-400, which have no R:, was trained without types: the meter picker
    at.selectbox(key="model").set_value(str(with_model)).run()
    assert not at.exception
    assert not any(w.key == "studio_type" for w in at.selectbox)
    assert "6/8 (jig)" in at.selectbox(key="studio_meter").options
    at.selectbox(key="studio_meter").set_value("6/8 (jig)").run()
    assert at.slider(key="studio_tempo").value == 112  # a 6/8 tune plays at a jig's pace
    at.selectbox(key="studio_meter").set_value("any (the model chooses)").run()
    assert not any(w.key == "studio_tempo" for w in at.slider)  # each tune at its own type's pace
    assert "each tune at its own type's pace" in " ".join(c.value for c in at.caption)
    generate(at)
    assert players(at)[0]["options"]["tempo"] is None


def test_repair_shows_a_diff_and_changes_nothing_until_applied(with_model):
    at = new_app()
    at.toggle(key="studio_fixed_seed").set_value(True)  # a drawn seed may give a candidate cut at the length
    at.number_input(key="studio_seed").set_value(7)     # limit, which keeps its own repair after the edit
    generate(at)
    key = players(at)[0]["id"]
    broken = GOOD_TUNE.replace("d2:|", "d2|")  # the repeat opened by |: is never closed
    edit_tune(at, broken)
    assert not any(b.key == f"{key}_repair_apply" for b in at.button)
    at.button(key=f"{key}_repair_ask").click().run()
    assert not at.exception
    diff = next(c.value for c in at.code if c.language == "diff")
    assert "-|:A|dfa afd" in diff and "+|:A|dfa afd" in diff and ":|" in diff.splitlines()[-1]
    assert tune_text(at) == broken  # not applied yet
    at.button(key=f"{key}_repair_cancel").click().run()
    assert tune_text(at) == broken
    at.button(key=f"{key}_repair_ask").click().run()
    at.button(key=f"{key}_repair_apply").click().run()
    assert not at.exception
    fixed = tune_text(at)
    assert fixed != broken and fixed.rstrip().endswith(":|")
    assert "repeats closed" in texts(at) and not any(b.key == f"{key}_repair_ask" for b in at.button)


def test_endings_are_like_real_tunes_by_default_and_each_choice_reaches_the_sampler(with_model):
    at = new_app()
    assert at.selectbox(key="studio_endings").value == "tradition"
    at.toggle(key="studio_fixed_seed").set_value(True)
    at.number_input(key="studio_seed").set_value(3)
    generate(at)
    settings = at.session_state["studio_result"]["settings"]
    # the tiny model has no fitted endings (`calibrate`): its own endings stand
    assert settings["endings"] == "tradition" and settings["final_redraws"] == 0
    as_written = [c["abc"] for c in at.session_state["studio_result"]["candidates"]]
    at.selectbox(key="studio_endings").set_value("final")
    generate(at)
    settings = at.session_state["studio_result"]["settings"]
    assert settings["final_redraws"] == TILT_REDRAWS and settings["final_keep"] == 0.0
    assert len(at.session_state["studio_result"]["candidates"]) == len(as_written)


def test_bars_are_kept_to_the_meter_by_default_and_the_toggle_reaches_the_sampler(with_model):
    from musicrnn.generation.options import DEFAULT_STRICT_BARS

    at = new_app()
    assert at.toggle(key="studio_strict_bars").value is DEFAULT_STRICT_BARS
    at.toggle(key="studio_fixed_seed").set_value(True)
    at.number_input(key="studio_seed").set_value(7)
    for strict in (True, False):
        at.toggle(key="studio_strict_bars").set_value(strict)
        generate(at)
        result = at.session_state["studio_result"]
        assert result["settings"]["strict_bars"] is strict
        breaks = [c["bar_breaks"] for c in result["candidates"]]
        assert all(b >= 0 for b in breaks) and (strict or not any(breaks))
        shown = result["candidates"][0]  # the open tab says what the steering did to its tune
        note = steering_note(shown["bar_breaks"], shown["redrawn"], shown["put_off"])
        assert (note is not None) is strict and (not strict or note in texts(at))


def test_write_the_rest_again_keeps_the_bars_as_edited_and_writes_on(with_model):
    from musicrnn.generation.prime import kept_prime

    at = new_app()
    generate(at)
    edit_tune(at, GOOD_TUNE)  # the musician's own first bars
    keep_bar = next(w for w in at.number_input if w.key and w.key.endswith("_keep_bar"))
    assert keep_bar.min == 0 and keep_bar.max == 7  # the pickup is bar 0; the last bar is left to write
    keep_bar.set_value(4).run()
    seed = at.session_state["studio_result"]["settings"]["seed"]
    next(b for b in at.button if b.key and b.key.endswith("_keep")).click().run()
    assert not at.exception, at.exception
    result = at.session_state["studio_result"]
    kept = kept_prime(GOOD_TUNE, 4)
    assert kept.endswith("|:A|dfa afd|gfe fdB|AFA DFA|BAF EFA|")
    assert result["settings"]["prime"] == kept
    assert result["settings"]["kept"] == {"bar": 4, "from": f"#1 of seed {seed}"}
    assert result["settings"]["seed"] != seed  # a new draw, as Generate makes
    assert all(c["abc"].startswith(kept) and len(c["abc"]) > len(kept) for c in result["candidates"])
    assert "Bars up to 4 kept from" in texts(at) and str(seed) in texts(at)
