"""``protocolkit show`` lists exactly the names the protocol accepts."""

from __future__ import annotations

import pytest

from protocolkit import example_path, load
from protocolkit.cli.main import main
from protocolkit.model.vocabulary import Vocabulary

MASH = example_path("mash")


def show(capsys, what, path=MASH):
    code = main(["show", str(path), what])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("what, section", [("partners", "partners"), ("purposes", "purposes"),
                                           ("facts", "facts"), ("kinds", "kinds")])
def test_every_id_of_a_section_is_listed_whole(capsys, what, section):
    code, out, _ = show(capsys, what)
    assert code == 0
    vocabulary = Vocabulary.of(load(MASH))
    words = set(out.split())
    missing = [key for key in getattr(vocabulary, section) if key not in words]
    assert missing == []


def test_categories_are_a_tree_with_special_and_criminal_marked(capsys):
    code, out, _ = show(capsys, "categories")
    assert code == 0
    lines = out.splitlines()
    health = next(line for line in lines if "health.mental_health " in line)
    assert "[Art 9]" in health
    assert lines.index(health) > lines.index(next(line for line in lines if "── health " in line))
    assert any("[Art 10]" in line for line in lines if "criminal." in line)


def test_stages_are_listed_in_case_order(capsys):
    code, out, _ = show(capsys, "stages")
    order = [s.id for s in Vocabulary.of(load(MASH)).stages]
    positions = [out.index(f" {s} ") for s in order]
    assert positions == sorted(positions)


def test_fact_values_show_their_order(capsys):
    _, out, _ = show(capsys, "facts")
    assert "blue < green < amber < red" in out


def test_names_from_the_file_are_printed_literally_not_as_markup(tmp_path, capsys):
    import shutil

    folder = tmp_path / "p"
    shutil.copytree(MASH, folder)
    text = (folder / "partners.yaml").read_text(encoding="utf-8")
    (folder / "partners.yaml").write_text(text.replace("name: Northbridge Constabulary",
                                                       'name: "[bold red]Constabulary[/]"', 1), encoding="utf-8")
    code, out, _ = show(capsys, "partners", folder)
    assert code == 0
    assert "[bold" in out and "[/]" in out  # markup would have been swallowed


def test_an_unknown_section_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["show", str(MASH), "partner"])
    assert exc.value.code == 2
    assert "partners" in capsys.readouterr().err
