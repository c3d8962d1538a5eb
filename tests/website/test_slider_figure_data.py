"""book.slider_figure: what a chapter cell computes for a slider figure."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from book.slider_figure import CLIP, SliderFigure


def _figure(**kw):
    return SliderFigure(sliders={"lr": [0.1, 0.2, 0.3], "mu": [0.0, 0.9]},
                        xlim=(-1, 1), ylim=(-1, 1), **kw)


def _line(lr, mu=0.0):
    return np.array([[0.0, 0.0], [lr, mu], [2 * lr, mu]])


def test_a_path_has_one_variant_per_combination_of_the_sliders_it_names():
    fig = _figure()
    fig.path("one", lambda lr: _line(lr))
    fig.path("two", lambda lr, mu: _line(lr, mu))
    one, two = fig.data()["paths"]
    assert list(one["uses"]) == ["lr"] and sorted(one["variants"]) == ["0", "1", "2"]
    assert list(two["uses"]) == ["lr", "mu"] and len(two["variants"]) == 6
    assert two["variants"]["2,1"] == [0.0, 0.0, 0.3, 0.9, 0.6, 0.9]


def test_defaults_must_be_slider_values():
    with pytest.raises(ValueError, match="not one of its values"):
        _figure(defaults={"lr": 0.25})
    with pytest.raises(ValueError, match="unknown sliders"):
        _figure(defaults={"eta": 0.1})
    assert _figure(defaults={"lr": 0.3}).data()["sliders"][0]["default"] == 2


def test_a_path_may_only_name_sliders():
    with pytest.raises(ValueError, match=r"\['eta'\] are not sliders"):
        _figure().path("bad", lambda eta: _line(eta))


def test_a_diverging_path_stops_at_its_first_point_beyond_the_clip():
    fig = _figure()
    fig.path("runaway", lambda lr: np.array([[0, 0], [1, 1], [10 * CLIP, 0], [np.nan, 1]]))
    assert fig.data()["paths"][0]["variants"]["0"] == [0.0, 0.0, 1.0, 1.0, CLIP, 0.0]


def test_the_page_data_is_json_inside_its_script_element():
    fig = _figure(title="a </script> title")
    fig.path("one", lambda lr: _line(lr))
    html = fig._repr_html_()
    payload = re.search(r'class="slider-figure-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(payload)["title"] == "a </script> title"
    assert 'src="data:image/png;base64,' in html  # the still for places without the script
