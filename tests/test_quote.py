"""quote.parse builds the tree gast.parse builds, faster on Python 3.10 and 3.11."""

from pathlib import Path

import gast
import pytest

from sct import quote

SOURCES = sorted((Path(quote.__file__).parent).glob("*.py"))


@pytest.mark.parametrize("path", SOURCES[::3], ids=lambda p: p.name)
def test_parse_gives_gast_parse_tree_with_positions(path):
    src = path.read_text()
    mine = quote.parse(src)
    assert gast.dump(mine, include_attributes=True) == gast.dump(
        gast.parse(src), include_attributes=True)



def test_source_lines_of_every_rule_template_parse_as_inspect_reads_them():
    # templates are decorated (@rule(...)): the lines run from the decorator, and the
    # tree is the one inspect.getsourcelines gives
    import inspect
    import textwrap

    from sct.rules import all_rules
    for template in {r.template for r in all_rules()}:
        lines, first = quote.source_lines(template)
        ref, ref_first = inspect.getsourcelines(template)
        assert first == ref_first, template
        assert gast.dump(quote.parse(textwrap.dedent("".join(lines)))) == gast.dump(
            gast.parse(textwrap.dedent("".join(ref)))), template
