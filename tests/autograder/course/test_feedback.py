"""What a student's feedback may hold: text and PNG/JPEG images of their
own outputs, cut to size, and the grader's verdicts; never HTML, script,
SVG or markdown outputs, never their markdown rendered."""
from __future__ import annotations

from autograder.course import feedback


def test_rich_outputs_are_reduced_to_text_and_safe_images():
    html = {"output_type": "display_data", "metadata": {},
            "data": {"text/html": "<script>alert(1)</script>", "image/svg+xml": "<svg/>",
                     "application/javascript": "alert(2)", "text/plain": "<HTML object>"}}
    out = feedback.safe_output(html)
    assert out["data"] == {"text/plain": "<HTML object>"}
    png = {"output_type": "display_data", "metadata": {"x": 1},
           "data": {"image/png": "iVBORw0KGgo=", "text/markdown": "**x**"}}
    assert set(feedback.safe_output(png)["data"]) == {"image/png"}


def test_text_is_cut_to_size():
    out = feedback.safe_output({"output_type": "stream", "name": "stdout", "text": "x" * 10**6})
    assert len(out["text"]) < feedback.MAX_TEXT + 200 and "cut" in out["text"]
    many = feedback.safe_output({"output_type": "stream", "name": "evil", "text": "a\n" * 10**4})
    assert many["name"] == "stdout" and many["text"].count("\n") <= feedback.MAX_LINES + 2


def test_unknown_outputs_are_dropped_and_errors_kept_as_text():
    assert feedback.safe_output({"output_type": "widget"}) is None
    assert feedback.safe_output("nonsense") is None
    err = feedback.safe_output({"output_type": "error", "ename": "E" * 1000, "evalue": 3,
                                "traceback": ["line"] * 100})
    assert len(err["traceback"]) == 30 and err["evalue"] == "3" and len(err["ename"]) < 300


def test_a_students_markdown_is_shown_as_typed():
    text = feedback.as_text_markdown("<script>x</script>\n[a](javascript:alert(1))")
    lines = text.splitlines()
    assert all(line.startswith("    ") for line in lines[2:])
