"""Progress in a log file: lines at a steady pace instead of silence or carriage returns."""
import logging

from ganaug.pipeline import progress


def test_a_bar_in_a_log_is_one_line_per_redraw(monkeypatch, caplog):
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: False)  # as under `dvc repro > log`
    monkeypatch.setattr(progress, "LOG_SECONDS", 0.0)
    with caplog.at_level(logging.INFO, logger="ganaug.pipeline.progress"):
        bar = progress.progress(range(4), desc="judge@500", unit="step")
        for step in bar:
            bar.set_postfix(loss=step)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) >= 2 and all("\r" not in line for line in lines)
    assert lines[-1].startswith("judge@500: 100%") and "4/4" in lines[-1] and "loss=3" in lines[-1]
