"""Start a partnership's protocol repository: the protocol, its cases, notebooks, a README and CI workflows.

``init_repository(DIR, template)`` writes a folder that works at once: the protocol is
``DIR/protocol.yaml`` (so ``protocolkit validate DIR`` and ``protocolkit test DIR`` run
directly), sample cases in ``DIR/cases``, the guided notebooks in ``DIR/notebooks``, a
README for the partnership's members in plain English, and workflow files for GitHub
Actions and GitLab CI that validate, review, test, prove, run the notebooks, export the
agreement and rules, and report what a merge request changes.

Templates: ``mash`` and ``supporting-families`` start from the shipped examples;
``blank`` is the smallest protocol, with comments that teach the format.

Nothing is overwritten: the destination must be empty or absent.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from ..errors import ProtocolError

#: Template names and the shipped example each copies (None: the blank protocol).
TEMPLATES: dict[str, str | None] = {"mash": "mash", "supporting-families": "supporting_families", "blank": None}

#: The workflow files written, relative to the repository.
WORKFLOW_FILES = {"github-workflow.yml.j2": Path(".github/workflows/protocol.yml"),
                  "gitlab-ci.yml.j2": Path(".gitlab-ci.yml")}

GITIGNORE = "# protocolkit outputs\nout/\n.ipynb_checkpoints/\n"


def scaffold_dir() -> Path:
    """The shipped scaffold templates (``templates/scaffold``), from a source checkout or an installed wheel."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "templates" / "scaffold", package.parents[1] / "templates" / "scaffold"):
        if (candidate / "README.md.j2").exists():
            return candidate
    raise ProtocolError("the repository templates are missing from this installation: reinstall protocolkit")


def notebooks_dir() -> Path:
    """The shipped guided notebooks."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "notebooks", package.parents[1] / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    raise ProtocolError("the guided notebooks are missing from this installation: reinstall protocolkit")


def init_repository(dest: str | Path, template: str = "blank", *, title: str | None = None,
                    branch: str = "main", today: dt.date | None = None) -> list[Path]:
    """Write a new protocol repository into ``dest``; return the files written, sorted.

    Parameters
    ----------
    dest : path
        An empty or absent folder.
    template : {"blank", "mash", "supporting-families"}
    title : str, optional
        The agreement's title (blank template only; default from the folder name).
    branch : str
        The main branch the GitHub workflow runs on.

    Examples
    --------
    >>> import tempfile, protocolkit
    >>> folder = tempfile.mkdtemp() + "/our-protocol"
    >>> written = init_repository(folder, "blank", title="Our partnership")
    >>> sorted(str(p.relative_to(folder)) for p in written if p.suffix == ".yaml" or p.name == "README.md")
    ['README.md', 'cases/01_first_referral.yaml', 'protocol.yaml']
    >>> protocolkit.load(folder).metadata.title
    'Our partnership'
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from .. import __version__, example_path

    if template not in TEMPLATES:
        raise ProtocolError(f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}")
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ProtocolError(f"{dest} is not empty: choose a new folder, so nothing is overwritten")
    source = scaffold_dir()
    env = Environment(loader=FileSystemLoader(str(source)), undefined=StrictUndefined, keep_trailing_newline=True,
                      autoescape=False)
    today = today or dt.date.today()
    name = title or dest.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "Our partnership"
    context = {"title": name, "protocol_id": _key(dest.resolve().name), "version": __version__, "branch": branch,
               "review_date": today.replace(year=today.year + 1).isoformat()}
    dest.mkdir(parents=True, exist_ok=True)
    example = TEMPLATES[template]
    if example is None:
        for path in sorted((source / "blank").rglob("*.yaml")):
            target = dest / path.relative_to(source / "blank")
            target.parent.mkdir(parents=True, exist_ok=True)
            text = env.get_template(path.relative_to(source).as_posix()).render(context)
            target.write_text(text, encoding="utf-8")
    else:
        shutil.copytree(example_path(example), dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "out", ".ipynb_checkpoints"))
        from ..model.loading import load

        context["title"] = load(dest).metadata.title
    shutil.copytree(notebooks_dir(), dest / "notebooks", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _point_notebooks_at_parent(dest / "notebooks")
    (dest / "README.md").write_text(env.get_template("README.md.j2").render(context), encoding="utf-8")
    for name_, target in WORKFLOW_FILES.items():
        (dest / target).parent.mkdir(parents=True, exist_ok=True)
        (dest / target).write_text(env.get_template(name_).render(context), encoding="utf-8")
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return sorted(p for p in dest.rglob("*") if p.is_file())


def _point_notebooks_at_parent(folder: Path) -> None:
    """The copied notebooks open this repository's protocol (the folder above them), not the shipped example."""
    import json

    for path in sorted(folder.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                cell["source"] = source.replace('"../examples/mash"', '".."')
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _key(name: str) -> str:
    import re

    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return key if key and key[0].isalpha() else f"protocol_{key}".rstrip("_")
