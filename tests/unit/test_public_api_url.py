"""After `chalice deploy`, the e-mails' action links get the API's public URL (infra/deploy.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from chalicelib import config
from infra import deploy

REPO = Path(__file__).resolve().parents[2]
URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/api"


class FakeLambda:
    def __init__(self) -> None:
        self.env = {"arn:fn:api": {"ORDERGATE_TABLE": "t"}, "arn:fn:stream": {"ORDERGATE_TABLE": "t"}}
        self.updates = 0

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        return {"Environment": {"Variables": dict(self.env[FunctionName])}}

    def update_function_configuration(self, FunctionName: str, Environment: dict[str, Any]) -> None:
        self.env[FunctionName] = Environment["Variables"]
        self.updates += 1


def chalice_dir(tmp_path: Path, deployed: bool = True) -> Path:
    target = tmp_path / ".chalice"
    shutil.copytree(REPO / ".chalice", target, ignore=shutil.ignore_patterns("deployed", "deployments", "venv"))
    if deployed:
        (target / "deployed").mkdir()
        resources = [
            {"name": "api_handler", "resource_type": "lambda_function", "lambda_arn": "arn:fn:api"},
            {"name": "on_table_change", "resource_type": "lambda_function", "lambda_arn": "arn:fn:stream"},
            {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "abc123", "rest_api_url": URL + "/"},
        ]
        (target / "deployed" / "dev.json").write_text(json.dumps({"resources": resources}))
    return target


def test_the_deployed_api_url_reaches_the_stage_config_and_the_functions_once(tmp_path: Path) -> None:
    cdir, fake = chalice_dir(tmp_path), FakeLambda()
    assert deploy.set_public_api_url(fake, "dev", cdir) == URL
    assert deploy.stage_environment("dev", cdir)[config.PUBLIC_API_URL] == URL  # the next deploys carry it
    assert {fn: env[config.PUBLIC_API_URL] for fn, env in fake.env.items()} == {"arn:fn:api": URL, "arn:fn:stream": URL}
    assert fake.env["arn:fn:api"]["ORDERGATE_TABLE"] == "t"  # the rest of the environment kept
    assert deploy.set_public_api_url(fake, "dev", cdir) == URL and fake.updates == 2  # already there: no update


def test_before_the_first_deploy_there_is_no_url_and_nothing_changes(tmp_path: Path) -> None:
    cdir, fake = chalice_dir(tmp_path, deployed=False), FakeLambda()
    assert deploy.set_public_api_url(fake, "dev", cdir) is None
    assert config.PUBLIC_API_URL not in deploy.stage_environment("dev", cdir) and fake.updates == 0
