"""PTN file parsing (no engine needed: tokens, tags, comments, lines)."""

import pytest

from pyzero.games.ptn import PtnError, parse_ptn

SAMPLE = """[Site "PlayTak.com"]
[Size "5"]
[Komi "2.5"]
[Result "R-0"]

1. a1 e5 {a comment
that spans lines}
2. 1e4<1 d3'
3. -- c3!?
R-0
[Size "6"]
1. a1
"""


def test_tags_moves_comments_and_lines():
    games = parse_ptn(SAMPLE.replace("3. -- c3!?", "3. c3!? b2"), source="sample.ptn")
    assert len(games) == 2
    first = games[0]
    assert first.tag("size") == "5" and first.tag("Komi") == "2.5"
    assert [ply.text for ply in first.plies] == ["a1", "e5", "1e4<1", "d3'", "c3!?", "b2"]
    assert [ply.line for ply in first.plies] == [6, 6, 8, 8, 9, 9]
    assert first.result_token == "R-0"
    assert [ply.text for ply in games[1].plies] == ["a1"]


def test_placeholder_only_for_the_first_ply():
    with pytest.raises(PtnError, match=r"sample.ptn:9: the '--' placeholder"):
        parse_ptn(SAMPLE, source="sample.ptn")
    games = parse_ptn('[TPS "x3/x3/x3 2 2"]\n2. -- a1\n')
    assert [ply.text for ply in games[0].plies] == ["a1"]


def test_malformed_inputs_name_the_line():
    with pytest.raises(PtnError, match=r"f.ptn:2: malformed tag"):
        parse_ptn('[Size "5"]\n[Size 5]\n', source="f.ptn")
    with pytest.raises(PtnError, match=r"f.ptn:2: comment '\{' is never closed"):
        parse_ptn('[Size "5"]\n1. a1 {oops\n', source="f.ptn")
    with pytest.raises(PtnError, match=r"f.ptn:2: move 'b1' after the result"):
        parse_ptn('[Size "5"]\n1. a1 R-0 b1\n', source="f.ptn")
