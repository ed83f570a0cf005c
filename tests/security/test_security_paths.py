"""Every file the tool reads lies inside the protocol folder, is a regular file and is not too large."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import protocolkit
from protocolkit.errors import ProtocolValidationError
from protocolkit.model import source as source_module
from protocolkit.model.cases import load_cases
from protocolkit.model.loading import load_with_findings

from helpers import CASE, FileAudit, add_include, rules_file, run_cli, small_copy

SECRET = "very-secret-line-4711"


def secret_file(path: Path) -> Path:
    """A file outside the protocol folder that would add a rule if it were read."""
    path.write_text(rules_file("R_OUT", title=SECRET) + f"# {SECRET}\n", encoding="utf-8")
    return path


def errors_of(folder: Path) -> list:
    protocol, findings = load_with_findings(folder)
    return [f for f in findings if f.severity == "error"]


def assert_refused_quietly(folder: Path, include_line_marker: str = "include") -> list:
    """The include is refused at the include line of protocol.yaml and nothing of the target is shown."""
    with FileAudit() as audit:
        errors = errors_of(folder)
    assert errors, "an include leaving the folder must be refused"
    text = "\n".join(f.format() for f in errors)
    assert SECRET not in text
    assert all(f.file.endswith("protocol.yaml") for f in errors), text
    lines = (folder / "protocol.yaml").read_text().splitlines()
    include_lines = [i + 1 for i, line in enumerate(lines) if line.startswith("  - ") and i > lines.index("include:")]
    assert {f.line for f in errors} <= set(include_lines), text
    assert not [p for p in audit.reads if p.endswith("outside.yaml")], audit.reads
    return errors


def test_include_climbing_out_with_dotdot_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    secret_file(tmp_path / "outside.yaml")
    add_include(folder, "../outside.yaml")
    assert_refused_quietly(folder)
    with pytest.raises(ProtocolValidationError):
        protocolkit.load(folder)


def test_absolute_include_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    target = secret_file(tmp_path / "outside.yaml")
    add_include(folder, str(target))
    assert_refused_quietly(folder)


def test_include_of_a_system_file_quotes_none_of_its_lines(tmp_path):
    folder = small_copy(tmp_path)
    add_include(folder, "/etc/passwd")
    errors = errors_of(folder)
    assert errors and all("root:" not in f.format() for f in errors)


def test_symlink_leaving_the_folder_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    secret_file(tmp_path / "outside.yaml")
    (folder / "rules.yaml").symlink_to(tmp_path / "outside.yaml")
    add_include(folder, "rules.yaml")
    assert_refused_quietly(folder)


def test_glob_reaching_outside_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    secret_file(tmp_path / "outside.yaml")
    add_include(folder, "../*.yaml")
    assert_refused_quietly(folder)


def test_symlink_inside_the_folder_is_followed(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "parts").mkdir()
    (folder / "parts" / "rules.yaml").write_text(rules_file("R9"), encoding="utf-8")
    (folder / "rules.yaml").symlink_to(folder / "parts" / "rules.yaml")
    add_include(folder, "rules.yaml")
    assert protocolkit.load(folder).rule("R9").title == "A rule from an included file"


def test_dotdot_that_stays_inside_the_folder_is_allowed(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "parts").mkdir()
    (folder / "rules.yaml").write_text(rules_file("R9"), encoding="utf-8")
    add_include(folder, "parts/../rules.yaml")
    assert protocolkit.load(folder).rule("R9")


def test_include_symlink_loop_is_a_located_error(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "a.yaml").symlink_to(folder / "b.yaml")
    (folder / "b.yaml").symlink_to(folder / "a.yaml")
    add_include(folder, "a.yaml")
    errors = errors_of(folder)
    assert len(errors) == 1 and errors[0].line and "loop" in errors[0].message


def test_include_of_a_device_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "zero.yaml").symlink_to("/dev/zero")
    add_include(folder, "zero.yaml")
    errors = errors_of(folder)
    assert len(errors) == 1 and "outside the protocol folder" in errors[0].message


def test_include_of_a_fifo_inside_the_folder_does_not_hang(tmp_path):
    folder = small_copy(tmp_path)
    os.mkfifo(folder / "pipe.yaml")
    add_include(folder, "pipe.yaml")
    result = fifo_does_not_hang(folder / "pipe.yaml", lambda: errors_of(folder))
    errors = result["value"]
    assert len(errors) == 1 and "not a regular file" in errors[0].message and errors[0].line


def test_include_of_a_folder_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "rules.yaml").mkdir()
    add_include(folder, "rules.yaml")
    errors = errors_of(folder)
    assert len(errors) == 1 and "not a regular file" in errors[0].message


# -- the main file and case files get the same checks -------------------------------------------

def test_main_file_that_is_a_device_is_refused_without_reading_it():
    protocol, findings = load_with_findings("/dev/zero")
    assert protocol is None and len(findings) == 1 and "not a regular file" in findings[0].message
    code, out, err = run_cli("validate", "/dev/zero")
    assert code == 1 and "not a regular file" in out


def test_main_file_symlinked_to_a_device_is_refused(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").symlink_to("/dev/zero")
    protocol, findings = load_with_findings(folder)
    assert protocol is None and len(findings) == 1 and "outside" in findings[0].message


def test_main_file_symlinked_out_of_its_folder_is_refused(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    secret_file(tmp_path / "outside.yaml")
    (folder / "protocol.yaml").symlink_to(tmp_path / "outside.yaml")
    protocol, findings = load_with_findings(folder)
    assert protocol is None and SECRET not in "".join(f.format() for f in findings)
    assert "outside" in findings[0].message


def fifo_does_not_hang(fifo: Path, action) -> object:
    """Run ``action`` in a thread; if it blocks opening the FIFO, unblock it and fail."""
    result: dict = {}

    def target():
        try:
            result["value"] = action()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(15)
    if thread.is_alive():  # blocked in open(): give it a writer that closes at once, so it ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail("reading a FIFO blocked")
    return result


def test_case_file_that_is_a_fifo_does_not_hang(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "cases").mkdir()
    fifo = folder / "cases" / "x.yaml"
    os.mkfifo(fifo)
    result = fifo_does_not_hang(fifo, lambda: load_cases(folder))
    assert isinstance(result.get("error"), ProtocolValidationError), result
    assert "regular file" in str(result["error"])


def test_case_file_symlinked_to_dev_zero_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "cases").mkdir()
    (folder / "cases" / "x.yaml").symlink_to("/dev/zero")
    with pytest.raises(ProtocolValidationError, match="outside the protocol folder"):
        load_cases(folder)


def test_main_file_given_as_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "protocol.yaml"
    os.mkfifo(fifo)
    result = fifo_does_not_hang(fifo, lambda: load_with_findings(fifo))
    protocol, findings = result["value"]
    assert protocol is None and "regular file" in findings[0].message


def test_files_over_the_size_cap_are_refused_before_parsing(tmp_path, monkeypatch):
    folder = small_copy(tmp_path)
    (folder / "rules.yaml").write_text(rules_file("R9") + "#" * 5000 + "\n", encoding="utf-8")
    add_include(folder, "rules.yaml")
    monkeypatch.setenv("PROTOCOLKIT_MAX_FILE_BYTES", "4000")
    parsed = []
    real = source_module.round_trip_yaml
    monkeypatch.setattr(source_module, "round_trip_yaml", lambda: parsed.append(1) or real())
    errors = errors_of(folder)
    assert len(errors) == 1 and "4,000 bytes" in errors[0].message and errors[0].line, errors
    assert "PROTOCOLKIT_MAX_FILE_BYTES" in errors[0].fix
    assert len(parsed) == 1  # the main file only
    monkeypatch.setenv("PROTOCOLKIT_MAX_FILE_BYTES", "100000")
    assert errors_of(folder) == []


def test_the_default_size_cap_is_a_few_megabytes(monkeypatch):
    monkeypatch.delenv("PROTOCOLKIT_MAX_FILE_BYTES", raising=False)
    assert 2_000_000 <= source_module.max_file_bytes() <= 16_000_000


# -- loops and unreadable folders ----------------------------------------------------------------

def test_symlink_loop_as_the_protocol_file_exits_2_with_a_located_error(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").symlink_to(folder / "protocol.yaml")
    code, out, err = run_cli("summary", folder)
    assert code == 2 and "protocol.yaml" in err and "loop" in err and "Traceback" not in err


def test_symlink_loop_in_cases_is_a_located_error(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "cases").mkdir()
    (folder / "cases" / "x.yaml").symlink_to(folder / "cases" / "x.yaml")
    with pytest.raises(ProtocolValidationError, match="loop"):
        load_cases(folder)
    code, out, err = run_cli("test", folder)
    assert code == 2 and "x.yaml" in err


def deny(monkeypatch, folder: Path) -> None:
    """Make ``folder`` unreadable, as chmod 000 would for a user other than root (tests may run as root)."""
    real_scandir = os.scandir
    real_listdir = os.listdir

    def scandir(path="."):
        if Path(path).resolve() == folder.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def listdir(path="."):
        if Path(path).resolve() == folder.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)


def test_unreadable_cases_folder_is_a_located_error(tmp_path, monkeypatch):
    folder = small_copy(tmp_path)
    (folder / "cases").mkdir()
    (folder / "cases" / "a.yaml").write_text(CASE.format(id="a"), encoding="utf-8")
    deny(monkeypatch, folder / "cases")
    with pytest.raises(ProtocolValidationError, match="cannot list") as info:
        load_cases(folder)
    assert info.value.findings[0].file.endswith("cases")
    code, out, err = run_cli("test", folder)
    assert code == 2 and "cannot list" in err


def test_glob_into_an_unreadable_folder_is_a_located_error(tmp_path, monkeypatch):
    folder = small_copy(tmp_path)
    (folder / "rules").mkdir()
    (folder / "rules" / "a.yaml").write_text(rules_file("R9"), encoding="utf-8")
    add_include(folder, "rules/*.yaml")
    deny(monkeypatch, folder / "rules")
    errors = errors_of(folder)
    assert len(errors) == 1 and "cannot list" in errors[0].message and errors[0].line
    code, out, err = run_cli("summary", folder)
    assert code == 2 and "cannot list" in err


def test_yml_case_files_are_read_like_yaml(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "cases").mkdir()
    (folder / "cases" / "a.yaml").write_text(CASE.format(id="a"), encoding="utf-8")
    (folder / "cases" / "b.yml").write_text(CASE.format(id="b"), encoding="utf-8")
    assert [c.id for c in load_cases(folder)] == ["a", "b"]


@pytest.mark.parametrize("command", ["validate", "test", "review", "summary"])
def test_each_file_is_parsed_once_per_command(tmp_path, monkeypatch, command):
    """A huge file costs one parse, not one per step of the command."""
    import collections

    from protocolkit.model import cases as cases_module
    from protocolkit.model import loading as loading_module

    folder = small_copy(tmp_path)
    (folder / "rules.yaml").write_text(rules_file("R9"), encoding="utf-8")
    add_include(folder, "rules.yaml")
    (folder / "cases").mkdir()
    (folder / "cases" / "a.yaml").write_text(CASE.format(id="a"), encoding="utf-8")
    parsed = collections.Counter()
    real = source_module.read_yaml

    def counting(path, display, **kwargs):
        parsed[os.path.realpath(path)] += 1
        return real(path, display, **kwargs)

    for module in (source_module, loading_module, cases_module):
        monkeypatch.setattr(module, "read_yaml", counting)
    run_cli(command, folder)
    assert parsed and max(parsed.values()) == 1, parsed
