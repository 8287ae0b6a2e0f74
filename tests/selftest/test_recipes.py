"""The CI recipes a user copies: they run after a deployment as well as on demand and on a schedule,
pin the suite, tolerate an optional secret that does not exist, and never hold a credential.
(actionlint checks the GitHub one as GitHub reads it: python3 run.py lint.)"""

import re

import yaml

from chaser_conformance.settings import resolve
from runner import ROOT

RECIPES = ROOT / "ci-recipes"
TAG = re.compile(r"v\d+\.\d+\.\d+")


def test_the_github_recipe_runs_after_a_deployment_on_demand_and_on_a_schedule_with_a_pinned_suite():
    text = (RECIPES / "github-actions.yml").read_text()
    workflow = yaml.safe_load(text)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"workflow_dispatch", "schedule"} <= set(triggers)
    assert {"deployment_status", "workflow_run"} & set(triggers)
    assert TAG.fullmatch(workflow["env"]["SUITE_REF"])
    (job,) = workflow["jobs"].values()
    assert "deployment_status.state == 'success'" in job["if"] and "conclusion == 'success'" in job["if"]
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "${{ env.SUITE_REF }}"
    assert checkout["with"]["token"] == "${{ secrets.SUITE_CHECKOUT_TOKEN || github.token }}"  # private copy
    run = next(s for s in job["steps"] if "chaser-conformance" in s.get("run", "") and "env" in s)
    assert run["env"]["CHASER_API_TOKEN"] == "${{ secrets.CHASER_API_TOKEN }}" and "::add-mask::" in run["run"]
    assert {k for k, v in run["env"].items() if "secrets." in v} == {
        "CHASER_BASE_URL",
        "CHASER_API_TOKEN",
        "CHASER_SESSION_ID",
        "CHASER_FOREIGN_SESSION_ID",
    }


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


def test_the_gitlab_recipe_likewise():
    jobs = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())
    (job,) = jobs.values()
    assert TAG.fullmatch(job["variables"]["SUITE_REF"])
    assert any("@${SUITE_REF}" in line and "${CI_JOB_TOKEN}" in line for line in job["script"])
    assert job["script"][-1] == "chaser-conformance"
    assert job["needs"][0]["job"] == "deploy_staging" and job["needs"][0]["optional"] is True
    sources = " ".join(rule["if"] for rule in job["rules"])
    assert '"schedule"' in sources and '"web"' in sources
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert not any(k.startswith("CHASER_") and k != "CHASER_PROFILE" for k in job["variables"])  # CI/CD variables
