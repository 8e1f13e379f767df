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

