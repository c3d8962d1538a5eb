"""Glued numbers that end a formula are typeset as part of it.

Chapters write ``$\\kappa = \\lambda_{\\max}/\\lambda_{\\min} =$
{glue:text}`quad_kappa:.0f```: a formula whose right-hand side is a number
computed by the chapter. myst-nb pastes the number as text, so the page
showed "kappa =" in MathJax and the number in the body font. This
transform joins the two into one formula whenever a glued number directly
follows inline math that ends in a relation (=, <, >, \\approx, \\le, ...).
Glued numbers elsewhere stay text.
"""
from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform

RELATION = re.compile(r"(=|<|>|\\approx|\\le|\\leq|\\ge|\\geq|\\sim|\\ne|\\neq|\\times)\s*$")
NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?%?$")


class GluedNumbersIntoMath(SphinxTransform):
    default_priority = 700  # after myst-nb has pasted the glue (at parse time)

    def apply(self) -> None:
        for pasted in list(self.document.findall(nodes.inline)):
            if "pasted-text" not in pasted["classes"] or pasted.parent is None:
                continue
            number = pasted.astext().strip()
            if not NUMBER.match(number):
                continue
            parent = pasted.parent
            i = parent.index(pasted)
            between = parent[i - 1] if i >= 1 else None
            math = None
            if isinstance(between, nodes.math):
                math = between
            elif (isinstance(between, nodes.Text) and not between.astext().strip()
                  and i >= 2 and isinstance(parent[i - 2], nodes.math)):
                math = parent[i - 2]
            if math is None or not RELATION.search(math.astext()):
                continue
            tex = number.replace(",", "{,}").replace("%", r"\%")
            joined = nodes.math(text=f"{math.astext()} {tex}")
            joined.source, joined.line = math.source, math.line
            start = i - 1 if between is math else i - 2
            # by position: Text nodes compare by their string, so removing one
            # by value could take an equal one elsewhere in the paragraph
            del parent[start:i + 1]
            parent.insert(start, joined)
