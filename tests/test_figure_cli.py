"""``logitreg figure``: files written atomically, data record re-plottable, user errors
exit 2 with one line and leave nothing on disk, ``figure all`` writes every figure."""

import json

import pytest

from numerics.figures import get_figure, list_figures
from tests.test_cli import _run


def test_list_names_every_registered_figure(capsys):
    code, out, _ = _run(capsys, "figure", "list")
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == list_figures()
    assert {"1", "2", "6", "7", "8", "19", "20", "R1", "R2", "threshold-binary",
            "threshold-multiclass"} <= set(listed)


def test_one_figure_writes_png_svg_and_replottable_json(capsys, tmp_path):
    target = tmp_path / "toy.png"
    code, _, err = _run(capsys, "figure", "11", "--size", "test", "-o", str(target))
    assert code == 0, err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "toy.svg").read_bytes()[:400]
    record = json.loads((tmp_path / "toy.json").read_text())
    assert record["figure"] == "11" and record["claims"] == ["B6"] and record["size"] == "test"
    # the JSON data is enough to draw the figure again
    import matplotlib.pyplot as plt

    fig = get_figure("11").draw(record["data"])
    plt.close(fig)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.json", "toy.png", "toy.svg"]


@pytest.mark.parametrize("argv, needle", [
    (("figure", "99"), "'99'"),
    (("figure", "11", "-o", "x.pdf"), "x.pdf"),
    (("figure", "11", "--full", "--size", "test"), "--full"),
    (("figure", "list", "--full"), "--full"),
    (("figure", "11", "--workers", "2"), "--workers"),
])
def test_user_errors_exit_2_with_one_line_and_no_file(capsys, tmp_path, monkeypatch, argv,
                                                      needle):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, *argv)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and needle in lines[-1] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_missing_output_directory_is_named(capsys, tmp_path):
    missing = tmp_path / "nope" / "f.png"
    code, _, err = _run(capsys, "figure", "11", "--size", "test", "-o", str(missing))
    assert code == 2 and "nope" in err
    assert not (tmp_path / "nope").exists()


def test_all_writes_every_figure(capsys, tmp_path):
    out = tmp_path / "figs"
    code, _, err = _run(capsys, "figure", "all", "--size", "test", "--workers", "1",
                        "--no-progress", "-o", str(out))
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    for fig_id in list_figures():
        stem = "figure_" + fig_id
        assert {f"{stem}.png", f"{stem}.svg", f"{stem}.json"} <= names, fig_id
    assert not any(name.endswith(".tmp") or name.startswith(".") for name in names)
