"""The suite's GitHub Action (action.yml) and the CI recipes a user copies.

The action's steps are run here as a GitHub runner runs them (`run_action`), against a reference
server, and its inputs are checked against the real settings. The recipes run after a deployment
as well as on demand and on a schedule, pin the suite, tolerate an optional secret that does not
exist, and never hold a credential. (The linters check them as GitHub reads them: python3 run.py
lint runs actionlint on the workflow and a schema check on action.yml.)"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

import yaml

from chaser_conformance.reports.files import ARTIFACTS
from chaser_conformance.server import serve_in_thread
from chaser_conformance.settings import FIELDS, resolve
from runner import ROOT, target_env

RECIPES = ROOT / "ci-recipes"
ACTION = ROOT / "action.yml"
TAG = re.compile(r"v\d+\.\d+\.\d+")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_TIMEOUT = 600


def action():
    return yaml.safe_load(ACTION.read_text())


def input_of_setting():
    """{CHASER_X: the input it comes from}, as the run step's `env:` maps them."""
    (run,) = [s for s in action()["runs"]["steps"] if any(k.startswith("CHASER_") for k in s.get("env", {}))]
    found = {name: EXPRESSION.fullmatch(value) for name, value in run["env"].items() if name.startswith("CHASER_")}
    return {name: match.group(1).removeprefix("inputs.") for name, match in found.items()}


# --- the runner, as far as this action uses it ---

# actions/setup-python is a `uses:` step, which the harness does not run: STAND_IN_PYTHON, on top of
# the Python running these tests, stands in for the Python it installs (its python-path output). A
# real `pip install` of the suite downloads some forty packages from PyPI (about 25 s here with a
# warm cache, for each run of the action), so the stand-in's venv is a folder whose `pip install`
# asks the real pip, offline, whether the path the install step gives it installs (`--dry-run
# --no-deps --no-build-isolation --no-index`: its metadata is built for real) and then runs that
# path's package on the dependencies installed here. The install step's own script runs unchanged.
STAND_IN_PYTHON = '''#!{python}
"""Stands in for actions/setup-python's Python (see tests/selftest/test_recipes.py)."""
import os
import shutil
import subprocess
import sys

PYTHON = {python!r}
here = os.path.dirname(os.path.abspath(__file__))
installed = os.path.join(here, "installed-from")
args = sys.argv[1:]
if args[:2] == ["-m", "venv"]:  # a venv: a bin/ folder with this file as its python
    os.makedirs(os.path.join(args[-1], "bin"))
    shutil.copy(__file__, os.path.join(args[-1], "bin", "python"))
    sys.exit(0)
if args[:3] == ["-m", "pip", "install"]:
    (project,) = [a for a in args[3:] if not a.startswith("-")]
    dry_run = ["--dry-run", "--no-deps", "--no-build-isolation", "--no-index"]
    code = subprocess.call([PYTHON, "-m", "pip", "install", *dry_run, *args[3:]])
    if code:
        sys.exit(code)
    with open(installed, "w") as file:
        file.write(os.path.abspath(project))
    with open(os.path.join(here, "chaser-conformance"), "w") as file:
        file.write('#!/bin/sh\\nexec "' + here + '/python" -m chaser_conformance "$@"\\n')
    os.chmod(os.path.join(here, "chaser-conformance"), 0o755)
    sys.exit(0)
env = dict(os.environ)
if os.path.exists(installed):  # the installed path's package, not whichever one this venv holds
    env["PYTHONPATH"] = open(installed).read()
os.execve(PYTHON, [PYTHON, *args], env)
'''


def stand_ins(tmp_path):
    """The outputs of the `uses:` steps the harness skips: setup-python's python-path is the stand-in."""
    python = tmp_path / "setup-python" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(STAND_IN_PYTHON.format(python=sys.executable))
    python.chmod(0o755)
    return {"actions/setup-python": {"python-path": str(python)}, "actions/upload-artifact": {}}


def evaluate(text, contexts):
    """Substitutes `${{ inputs.x }}`, `${{ github.x }}`, `${{ runner.x }}` and `${{ steps.id.outputs.x }}`
    as GitHub does (an output never set is ''). Any other expression fails the test: the harness would
    not be faithful to it."""

    def value(match):
        path = match.group(1).split(".")
        if len(path) == 4 and path[0] == "steps" and path[2] == "outputs":
            return contexts["steps"].get(path[1], {}).get(path[3], "")
        if len(path) == 2 and path[0] in ("inputs", "github", "runner"):
            return contexts[path[0]][path[1]]
        raise AssertionError(f"the test's runner does not evaluate ${{{{ {match.group(1)} }}}}")

    return EXPRESSION.sub(value, str(text))


def read_file_commands(path):
    """GITHUB_OUTPUT's and GITHUB_ENV's format: NAME=value lines and NAME<<DELIMITER blocks."""
    values, lines = {}, path.read_text().splitlines()
    while lines:
        line = lines.pop(0)
        name, _, delimiter = line.partition("<<")
        if delimiter and "=" not in name:
            end = lines.index(delimiter)
            values[name], lines = "\n".join(lines[:end]), lines[end + 1 :]
        elif line:
            name, _, text = line.partition("=")
            values[name] = text
    return values


@dataclass
class ActionRun:
    steps: list = field(default_factory=list)  # (step name, exit code, or why it did not run)
    outputs: dict = field(default_factory=dict)
    summary: str = ""  # the job summary: every step's GITHUB_STEP_SUMMARY, in order
    log: str = ""  # what the steps printed, less the workflow commands the runner consumes
    masks: list = field(default_factory=list)  # the values of ::add-mask:: commands

    @property
    def exit_code(self):
        """The exit code of the last step that ran."""
        return [code for _, code in self.steps if isinstance(code, int)][-1]


def run_action(tmp_path, inputs, uses=None):
    """The action's steps, as the runner runs a composite action's: each `run:` step's script in a
    file run by `bash --noprofile --norc -eo pipefail {0}` (shell: bash) in the workspace, with the
    runner's variables, what earlier steps wrote to GITHUB_ENV and GITHUB_PATH, then the step's own
    `env:` with its expressions substituted; a failed step skips the later ones but for
    `if: always()`. `uses:` steps are skipped (see STAND_IN_PYTHON for setup-python's); upload-artifact
    needs GitHub's artifact service. `uses`: other outputs for those steps."""
    spec = action()
    assert set(inputs) <= set(spec["inputs"]), "the test gives an input the action does not declare"
    workspace, temp, files = tmp_path / "workspace", tmp_path / "runner-temp", tmp_path / "runner-files"
    for folder in (workspace, temp, files):
        folder.mkdir(exist_ok=True)  # the workspace may hold the user's files already
    defaults = {name: str(declared.get("default", "")) for name, declared in spec["inputs"].items()}
    contexts = {
        "inputs": defaults | inputs,
        "github": {"action_path": str(ROOT), "workspace": str(workspace)},
        "runner": {"temp": str(temp)},
        "steps": {},
    }
    uses_outputs = stand_ins(tmp_path) | dict(uses or {})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHASER_", "GITHUB_", "RUNNER_"))}
    env |= {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(temp),
    }
    paths, failed, run, log = [], False, ActionRun(), []
    for index, step in enumerate(spec["runs"]["steps"]):
        name = step.get("name", f"step {index}")
        condition = step.get("if", "success()")
        assert condition in ("success()", "always()"), f"the test's runner does not evaluate if: {condition}"
        if failed and condition != "always()":
            run.steps.append((name, "not run: an earlier step failed"))
            continue
        if "uses" in step:
            contexts["steps"][step.get("id")] = uses_outputs[step["uses"].split("@")[0]]
            run.steps.append((name, f"skipped: uses {step['uses']}"))
            continue
        assert step.get("shell") == "bash", f"{name}: the test's runner runs bash steps only"
        assert "${{" not in step["run"], f"{name}: an expression in a script (script injection)"
        script = files / f"step{index}.sh"
        script.write_text(step["run"])
        commands = {var: files / f"{var}.{index}" for var in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")}
        commands["GITHUB_STEP_SUMMARY"] = files / f"summary.{index}.md"
        for path in commands.values():
            path.touch()
        step_env = env | {k: str(v) for k, v in commands.items()}
        step_env |= {k: evaluate(v, contexts) for k, v in step.get("env", {}).items()}
        step_env["PATH"] = os.pathsep.join([*reversed(paths), env["PATH"]])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace / step.get("working-directory", "."),
            env=step_env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        for line in done.stdout.splitlines():
            if line.startswith("::add-mask::"):
                run.masks.append(line.removeprefix("::add-mask::"))
            else:
                log.append(line)
        log += done.stderr.splitlines()
        contexts["steps"][step.get("id")] = read_file_commands(commands["GITHUB_OUTPUT"])
        env |= read_file_commands(commands["GITHUB_ENV"])
        paths += [line for line in commands["GITHUB_PATH"].read_text().splitlines() if line]
        run.summary += commands["GITHUB_STEP_SUMMARY"].read_text()
        run.steps.append((name, done.returncode))
        failed = failed or done.returncode != 0
    run.outputs = {name: evaluate(output["value"], contexts) for name, output in spec["outputs"].items()}
    run.log = "\n".join(log)
    return run


def inputs_for(server):
    """The action's inputs that name a reference server, from the CHASER_* a user would set for it."""
    names = input_of_setting()
    return {names[k]: v for k, v in target_env(server).items() if k in names}


def assert_no_token_anywhere(tmp_path, run, token):
    assert token in run.masks and token not in run.log + run.summary + str(run.outputs)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_the_actions_steps_run_against_a_conformant_server(tmp_path):
    with serve_in_thread() as server:
        inputs = inputs_for(server)
        run = run_action(tmp_path, inputs)
    assert run.exit_code == 0 and run.outputs == {"verdict": "conformant", "exit-code": "0"}, run.log[-3000:]
    assert [code for _, code in run.steps] == [
        "skipped: uses actions/setup-python@v5",
        0,
        0,
        0,
        "skipped: uses actions/upload-artifact@v4",
        0,
    ]
    # The install step installed the action's own checkout (github.action_path).
    venv_bin = tmp_path / "runner-temp" / "chaser-conformance-venv" / "bin"
    assert (venv_bin / "installed-from").read_text() == str(ROOT) and "Would install chaser-conformance-" in run.log
    reports = tmp_path / "workspace" / "reports"  # the reports-dir input's default
    assert run.summary == (reports / "summary.md").read_text() and "conformant" in run.summary
    assert {p.name for p in reports.iterdir()} == {*ARTIFACTS}
    assert "chaser profile ci:" in run.log  # the profile input's default
    assert "set but empty" not in run.log  # the empty optional inputs (token-command, baseline) are not passed
    assert_no_token_anywhere(tmp_path, run, inputs["token"])


def test_the_actions_steps_against_a_fault_end_with_exit_code_1_and_still_write_the_summary(tmp_path):
    (tmp_path / "workspace").mkdir()
    waiver = '[[waiver]]\ntest = "test_that_does_not_exist"\nreason = "a waiver that matches no test"\n'
    (tmp_path / "workspace" / "chaser-baseline.toml").write_text(waiver)
    with serve_in_thread(["missing-id"]) as server:
        inputs = inputs_for(server) | {
            "profile": "quick",
            "reports-dir": "out/chaser",
            "baseline": "chaser-baseline.toml",
        }
        run = run_action(tmp_path, inputs)
    assert run.outputs == {"verdict": "not conformant", "exit-code": "1"}, run.log[-3000:]
    assert run.steps[-1] == ("Exit with the suite's exit code", 1) and run.exit_code == 1
    assert "::error title=Chaser conformance::not conformant (exit code 1)" in run.log
    reports = tmp_path / "workspace" / "out" / "chaser"
    assert run.summary == (reports / "summary.md").read_text() and "not conformant" in run.summary
    assert "waiver matched no test: test\\_that\\_does\\_not\\_exist" in run.summary  # the baseline input
    assert_no_token_anywhere(tmp_path, run, inputs["token"])


def test_secrets_that_arrive_empty_stop_the_action_with_a_usage_error_that_names_them(tmp_path):
    # What a job without `environment:` passes for environment secrets: empty strings.
    run = run_action(tmp_path, {"base-url": "", "token": "", "session-ids": "", "foreign-session-id": ""})
    assert run.outputs == {"verdict": "usage error", "exit-code": "4"} and run.exit_code == 4
    assert "CHASER_BASE_URL" in run.summary and "environment secret" in run.summary
    assert "CHASER_FOREIGN_SESSION_ID" not in run.summary  # an empty optional input is not passed


def test_a_failed_install_still_leaves_a_job_summary_that_says_so(tmp_path):
    # What a Python that cannot install the suite (pip refuses, or no Python at all) leaves.
    run = run_action(
        tmp_path, {"base-url": "http://127.0.0.1:9"}, {"actions/setup-python": {"python-path": "/nonexistent"}}
    )
    assert [code for _, code in run.steps][1:] == [
        127,
        "not run: an earlier step failed",
        0,  # the job summary, if: always()
        "skipped: uses actions/upload-artifact@v4",  # if: always() too
        "not run: an earlier step failed",
    ]
    assert run.summary.startswith("chaser-conformance wrote no reports/summary.md")
    assert run.outputs == {"verdict": "", "exit-code": ""}


def test_every_input_is_documented_used_and_every_variable_the_action_sets_is_a_setting():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert all(declared["description"].strip() for declared in [*spec["inputs"].values(), *spec["outputs"].values()])
    text = ACTION.read_text()
    used = {m.group(1).removeprefix("inputs.") for m in EXPRESSION.finditer(text) if "inputs." in m.group(1)}
    used = {re.split(r"\s", name)[0] for name in used}  # `inputs.reports-dir || 'reports'`
    assert used == set(spec["inputs"])
    settings = {f.env for f in FIELDS}
    set_by_action = {k for s in spec["runs"]["steps"] for k in s.get("env", {}) if k.startswith("CHASER_")}
    assert set_by_action <= settings and set(input_of_setting()) == set_by_action
    assert spec["inputs"]["profile"]["default"] == "ci" and spec["inputs"]["strict"]["default"] == "false"
    for step in spec["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"{step['name']}: an expression in a script (script injection)"


def test_the_github_recipe_uses_the_action_pinned_and_names_the_environment_of_its_secrets():
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"workflow_dispatch", "schedule"} <= set(triggers)
    assert {"deployment_status", "workflow_run"} & set(triggers)
    assert workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    assert "deployment_status.state == 'success'" in job["if"] and "conclusion == 'success'" in job["if"]
    assert job["environment"] == {"name": "staging", "deployment": False}
    (step,) = job["steps"]
    repository, _, ref = step["uses"].partition("@")
    assert repository.count("/") == 1 and TAG.fullmatch(ref)
    assert step["with"] == {
        "base-url": "${{ secrets.CHASER_BASE_URL }}",
        "token": "${{ secrets.CHASER_API_TOKEN }}",
        "session-ids": "${{ secrets.CHASER_SESSION_ID }}",
        "foreign-session-id": "${{ secrets.CHASER_FOREIGN_SESSION_ID }}",
    }
    assert set(step["with"]) <= set(action()["inputs"])
    # The README's "paste these lines" are the recipe's job.
    readme = (ROOT / "README.md").read_text()
    (pasted,) = yaml.safe_load(readme.split("```yaml\n", 1)[1].split("```", 1)[0])["jobs"].values()
    assert pasted["steps"] == job["steps"] and pasted["environment"] == job["environment"]


def test_a_missing_optional_secret_as_github_passes_it_does_not_stop_the_run(tmp_path):
    # What the job's environment holds when CHASER_FOREIGN_SESSION_ID is not a secret: "".
    env = {
        "CHASER_BASE_URL": "https://staging.example.test",
        "CHASER_API_TOKEN": "tok",
        "CHASER_SESSION_ID": "s1",
        "CHASER_FOREIGN_SESSION_ID": "",
        "CHASER_PROFILE": "ci",
    }
    settings = resolve({}, env=env, rootdir=tmp_path)
    assert settings.foreign_session_id is None and settings.empty == ("CHASER_FOREIGN_SESSION_ID",)


def test_the_gitlab_recipe_likewise_and_in_merge_request_pipelines():
    jobs = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())
    (job,) = jobs.values()
    assert TAG.fullmatch(job["variables"]["SUITE_REF"])
    assert any("@${SUITE_REF}" in line and "${CI_JOB_TOKEN}" in line for line in job["script"])
    assert job["script"][-1] == "chaser-conformance"
    assert job["needs"][0]["job"] == "deploy_staging" and job["needs"][0]["optional"] is True
    sources = " ".join(rule["if"] for rule in job["rules"])
    assert '"schedule"' in sources and '"web"' in sources
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in sources  # JUnit in the merge request
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert not any(k.startswith("CHASER_") and k != "CHASER_PROFILE" for k in job["variables"])  # CI/CD variables


def test_the_gitlab_recipe_stops_before_the_embedded_server_when_the_base_url_is_missing(tmp_path):
    # A protected CHASER_BASE_URL does not reach a merge request's pipeline: the variable is unset.
    (job,) = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text()).values()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    guard = subprocess.run(["sh", "-ec", job["script"][0]], env=env, capture_output=True, text=True, timeout=30)
    assert guard.returncode == 4 and "CHASER_BASE_URL is not set" in guard.stdout
    given = subprocess.run(["sh", "-ec", job["script"][0]], env=env | {"CHASER_BASE_URL": "https://x.test"}, timeout=30)
    assert given.returncode == 0
