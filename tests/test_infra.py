"""infra/: the CloudFormation template, the Lambda HTTP handler and the Dockerfile.

* cfn-lint and checkov pass offline, and every checkov skip carries a reason;
* the security settings are parsed out of the template (moto drops SSE, TTL and PITR
  when it creates a table from a template, so only a parse can check them);
* the IAM policy is exactly what ``skill.store.dynamodb`` calls, on the table only;
* the Alexa+ pieces are parsed too: the Cognito pool's policies, the two app clients (code
  grant, client credentials), the /mcp and metadata routes and the function's MCP variables;
* the stack is created in moto and the DynamoDB store contract runs on the table it
  made, so the key schema of the template and of the code cannot drift;
* the Lambda handler answers an API Gateway HTTP API (payload 2.0) event.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import lint_file  # type: ignore[import-untyped]
from cfnlint.decode import decode_str  # type: ignore[import-untyped]
from moto import mock_aws
from moto.cloudformation.parsing import get_model_map

from skill.constants import DEV_SALT
from skill.errors import ConfigError
from skill.store import Change, Entry, hash_id
from skill.store.dynamodb import PK, SK, TTL_ATTRIBUTE, DynamoStore
from skill.web import lambda_http
from tests.conftest import PROD_SALT

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.yaml"
DOCKERFILE = ROOT / "Dockerfile"
STORE_SOURCE = ROOT / "skill" / "store" / "dynamodb.py"
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"

# What skill.store.dynamodb calls, as IAM actions. TransactWriteItems has no IAM action
# of its own: its Put, Update and Delete parts are authorised as PutItem, UpdateItem and
# DeleteItem ("undo that").
STORE_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
}
KEY_ACTIONS = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}
# X-Ray has no resource-level permissions: the only statement allowed on "*".
TRACING_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# The checkov checks skipped in the template (each with its reason in the template).
EXPECTED_SKIPS = {"CKV_AWS_116", "CKV_AWS_117"}
# Alexa+ (MCP): the routes on the HTTP API, the one resource scope, and the function's
# variables naming the pool, its clients and the public URL of /mcp.
MCP_ROUTES = {
    "POST /mcp",
    "GET /mcp",
    "DELETE /mcp",
    "GET /.well-known/oauth-protected-resource",
    "GET /.well-known/oauth-protected-resource/mcp",
    "GET /.well-known/oauth-authorization-server",
}
SCOPE = "together/practice"
ISSUER = {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"}
MCP_URL = {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/mcp"}
MCP_VARIABLES = {
    "TOGETHER_MCP_ISSUER": ISSUER,
    "TOGETHER_MCP_AUDIENCE": {"Fn::Sub": "${AlexaPlusClient},${ServiceClient}"},
    "TOGETHER_MCP_RESOURCE": MCP_URL,
    # Cognito has no RFC 8414 metadata: the app publishes it, so the API is the server
    "TOGETHER_MCP_AUTHORIZATION_SERVER": {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    },
    "TOGETHER_MCP_AUTHORIZE_URL": {
        "Fn::Sub": "https://${AuthDomainPrefix}.auth.${AWS::Region}.amazoncognito.com/oauth2/authorize"
    },
    "TOGETHER_MCP_TOKEN_URL": {
        "Fn::Sub": "https://${AuthDomainPrefix}.auth.${AWS::Region}.amazoncognito.com/oauth2/token"
    },
}


def load_template() -> dict[str, Any]:
    template, matches = decode_str(TEMPLATE.read_text())
    assert not matches, matches
    assert template is not None
    # Plain dicts and strings: !Ref, !GetAtt and !Sub become {"Ref": ...} and friends.
    plain: dict[str, Any] = json.loads(json.dumps(template))
    return plain


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    ((name, resource),) = found.items()
    return name, resource


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def names_in(value: Any) -> set[str]:
    """The resources and parameters a template value refers to (Ref, GetAtt, Sub)."""
    if isinstance(value, list):
        return set().union(*map(names_in, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, inner in value.items():
        if key == "Ref":
            found.add(inner)
        elif key == "Fn::GetAtt":
            found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
        elif key == "Fn::Sub":
            text, variables = (inner, {}) if isinstance(inner, str) else inner
            found |= set(re.findall(r"\$\{([A-Za-z0-9]+)[.}]", text)) - set(variables)
            found |= names_in(list(variables.values()))
        else:
            found |= names_in(inner)
    return found


# --- linters -------------------------------------------------------------------------------
def test_cfn_lint_is_clean() -> None:
    matches = lint_file(TEMPLATE)
    assert matches == [], "\n".join(str(m) for m in matches)


def test_checkov_passes_offline() -> None:
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "PYTHONWARNINGS": "ignore",
        # Nothing may leave the machine: any attempt fails fast on a closed local port.
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
    }
    env.pop("BC_API_KEY", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "-f",
            str(TEMPLATE),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    report = json.loads(run.stdout)
    reports = report if isinstance(report, list) else [report]
    (cfn,) = [r for r in reports if r["check_type"] == "cloudformation"]
    results = cfn["results"]
    assert results["failed_checks"] == []
    assert len(results["passed_checks"]) >= 20  # it really ran the CloudFormation checks
    assert {c["check_id"] for c in results["skipped_checks"]} == EXPECTED_SKIPS


def test_every_checkov_skip_has_a_reason(template: dict[str, Any]) -> None:
    skipped = set()
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
            assert len(skip.get("comment", "").split()) >= 8, f"{name}: {skip['id']} needs a reason"
            skipped.add(skip["id"])
    assert skipped == EXPECTED_SKIPS


# --- the table and the key -----------------------------------------------------------------
def test_table_matches_the_store_and_is_protected(template: dict[str, Any]) -> None:
    key_name, key = only(template, "AWS::KMS::Key")
    _, table = only(template, "AWS::DynamoDB::Table")
    props = table["Properties"]

    assert props["KeySchema"] == [
        {"AttributeName": PK, "KeyType": "HASH"},
        {"AttributeName": SK, "KeyType": "RANGE"},
    ]
    assert props["AttributeDefinitions"] == [
        {"AttributeName": PK, "AttributeType": "S"},
        {"AttributeName": SK, "AttributeType": "S"},
    ]
    assert "GlobalSecondaryIndexes" not in props and "LocalSecondaryIndexes" not in props
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": [key_name, "Arn"]},
    }
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert {t["Key"] for t in props["Tags"]} >= {"project", "stage"}

    assert key["Properties"]["EnableKeyRotation"] is True
    # The retained table must stay readable after the stack is deleted.
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    principals = [s["Principal"] for s in statements]
    assert all(p != "*" and p.get("AWS") != "*" for p in principals)
    assert {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}} in principals
    (role_use,) = [
        s for s in statements if s["Principal"] == {"AWS": {"Fn::GetAtt": ["FunctionRole", "Arn"]}}
    ]
    assert set(role_use["Action"]) == KEY_ACTIONS

    # Every log group is encrypted with the key and expires.
    for log_group in resources(template, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_name, "Arn"]}
        assert "RetentionInDays" in log_group["Properties"]


# --- least privilege -----------------------------------------------------------------------
def store_iam_actions() -> set[str]:
    """The IAM actions skill.store.dynamodb needs, read from the calls in its source."""
    source = STORE_SOURCE.read_text()
    calls = set(re.findall(r"self\.client\.([a-z_]+)\(", source)) - {"close"}
    actions = set()
    for call in calls:
        if call == "transact_write_items":
            parts = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
            parts["ConditionCheck"] = "ConditionCheckItem"
            actions |= {f"dynamodb:{a}" for p, a in parts.items() if f'"{p}":' in source}
        else:
            actions.add("dynamodb:" + "".join(w.title() for w in call.split("_")))
    return actions


def test_the_store_calls_exactly_the_expected_actions() -> None:
    assert store_iam_actions() == STORE_ACTIONS


def test_the_role_has_least_privilege(template: dict[str, Any]) -> None:
    role_name, role = only(template, "AWS::IAM::Role")
    assert "Policies" not in role["Properties"]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert not resources(template, "AWS::IAM::ManagedPolicy")
    _, policy = only(template, "AWS::IAM::Policy")
    assert policy["Properties"]["Roles"] == [{"Ref": role_name}]
    table_arn = {"Fn::GetAtt": ["HouseholdTable", "Arn"]}
    key_arn = {"Fn::GetAtt": ["DataKey", "Arn"]}
    log_arn = {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}

    granted: dict[str, list[Any]] = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
            granted.setdefault(action, []).extend(as_list(statement["Resource"]))

    dynamodb = {a for a in granted if a.startswith("dynamodb:")}
    assert dynamodb == STORE_ACTIONS == store_iam_actions()
    assert all(granted[a] == [table_arn] for a in dynamodb)
    kms = {a for a in granted if a.startswith("kms:")}
    assert kms == KEY_ACTIONS
    assert all(granted[a] == [key_arn] for a in kms)
    logs = {a for a in granted if a.startswith("logs:")}
    assert logs == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert all(granted[a] == [log_arn] for a in logs)
    on_star = {a for a, res in granted.items() if "*" in res}
    assert on_star == TRACING_ACTIONS
    assert set(granted) == STORE_ACTIONS | KEY_ACTIONS | logs | TRACING_ACTIONS
    # The MCP tokens are checked against the pool's public JWKS over HTTPS: no Cognito API.
    assert not any(a.startswith("cognito") for a in granted)


# --- function, API and settings ------------------------------------------------------------
def test_function_runs_the_flask_app_in_production(template: dict[str, Any]) -> None:
    _, function = only(template, "AWS::Lambda::Function")
    props = function["Properties"]
    module, _, attribute = props["Handler"].rpartition(".")
    assert (module, attribute) == ("skill.web.lambda_http", "handler")
    assert callable(lambda_http.handler)
    assert props["Runtime"] in {"python3.11", "python3.12"}
    assert props["Timeout"] == 10 and props["MemorySize"] == 512
    assert props["TracingConfig"] == {"Mode": "Active"}
    variables = props["Environment"]["Variables"]
    assert variables["TOGETHER_STORE"] == {"Fn::Sub": "dynamodb://${HouseholdTable}"}
    assert variables["TOGETHER_SKILL_ID"] == {"Ref": "SkillId"}
    assert "TOGETHER_DEV" not in variables
    # Every variable is one the settings read (the MCP server's included).
    from skill import constants

    read = {value for name, value in vars(constants).items() if name.startswith("ENV_")}
    assert set(variables) <= read
    assert set(MCP_VARIABLES) <= set(variables)

    params = template["Parameters"]
    assert re.fullmatch(params["SkillId"]["AllowedPattern"], SKILL_ID)
    assert params["IdSalt"]["NoEcho"] is True
    assert params["RetentionDays"]["Default"] == 90


def test_http_api_routes_reach_the_function(template: dict[str, Any]) -> None:
    _, integration = only(template, "AWS::ApiGatewayV2::Integration")
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == {"POST /alexa", "GET /healthz"} | MCP_ROUTES
    # Every route reaches the one Lambda integration, with no gateway authorizer: the
    # function authenticates (Alexa signatures on /alexa, bearer tokens on /mcp).
    for props in routes.values():
        assert props["Target"] == {"Fn::Sub": "integrations/${HttpIntegration}"}
        assert props["AuthorizationType"] == "NONE"
        assert props["ApiId"] == {"Ref": "HttpApi"}
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": ["Function", "Arn"]}
    assert not resources(template, "AWS::ApiGatewayV2::Authorizer")
    _, stage = only(template, "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["StageName"] == "$default"
    assert "DestinationArn" in stage["Properties"]["AccessLogSettings"]
    assert stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    _, permission = only(template, "AWS::Lambda::Permission")
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    assert "SourceArn" in permission["Properties"]
    outputs = template["Outputs"]
    assert outputs["EndpointUrl"]["Value"] == {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.amazonaws.com/alexa"
    }
    assert outputs["TableName"]["Value"] == {"Ref": "HouseholdTable"}


# --- Alexa+: the Cognito pool, its clients, the MCP variables and outputs -------------------
def test_user_pool_is_locked_down(template: dict[str, Any]) -> None:
    name, pool = only(template, "AWS::Cognito::UserPool")
    props = pool["Properties"]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[f"Require{kind}"] is True for kind in ("Lowercase", "Uppercase"))
    assert policy["RequireNumbers"] is True and policy["RequireSymbols"] is True
    assert policy["TemporaryPasswordValidityDays"] <= 7
    assert props["DeletionProtection"] == "ACTIVE"
    # The households' logins survive a stack delete, like the table.
    assert pool["DeletionPolicy"] == pool["UpdateReplacePolicy"] == "Retain"
    assert props["UsernameAttributes"] == ["email"]
    assert props["AutoVerifiedAttributes"] == ["email"]
    assert props["UsernameConfiguration"] == {"CaseSensitive": False}
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["AccountRecoverySetting"]["RecoveryMechanisms"] == [
        {"Name": "verified_email", "Priority": 1}
    ]
    # Threat protection needs the Plus plan; ENFORCED acts on risky sign-ins.
    assert props["UserPoolTier"] == "PLUS"
    assert props["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    # Admin-only sign-up unless the stack opens it (AllowSelfSignUp, default false).
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] == {
        "Fn::If": ["SelfSignUp", False, True]
    }
    params = template["Parameters"]
    assert params["AllowSelfSignUp"]["Default"] == "false"
    assert template["Conditions"]["SelfSignUp"] == {
        "Fn::Equals": [{"Ref": "AllowSelfSignUp"}, "true"]
    }

    _, domain = only(template, "AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["Domain"] == {"Ref": "AuthDomainPrefix"}
    assert domain["Properties"]["UserPoolId"] == {"Ref": name}
    assert re.fullmatch(params["AuthDomainPrefix"]["AllowedPattern"], "resilient-together")
    assert not re.fullmatch(params["AuthDomainPrefix"]["AllowedPattern"], "Bad_Prefix")

    _, server = only(template, "AWS::Cognito::UserPoolResourceServer")
    identifier = server["Properties"]["Identifier"]
    scopes = [s["ScopeName"] for s in server["Properties"]["Scopes"]]
    assert [f"{identifier}/{scope}" for scope in scopes] == [SCOPE]


def app_clients(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    clients = resources(template, "AWS::Cognito::UserPoolClient")
    assert set(clients) == {"AlexaPlusClient", "ServiceClient"}
    for client in clients.values():
        props = client["Properties"]
        assert props["UserPoolId"] == {"Ref": "UserPool"}
        assert props["GenerateSecret"] is True
        assert props["AllowedOAuthFlowsUserPoolClient"] is True
        assert props["PreventUserExistenceErrors"] == "ENABLED"
        assert props["EnableTokenRevocation"] is True
        # No password API flow on either client: sign-in is on the managed login page.
        assert props["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
        # The resource scope must exist before a client can be granted it.
        assert client["DependsOn"] == "ResourceServer"
    return clients


def test_the_code_grant_client_is_for_account_linking(template: dict[str, Any]) -> None:
    props = app_clients(template)["AlexaPlusClient"]["Properties"]
    assert props["AllowedOAuthFlows"] == ["code"]
    assert set(props["AllowedOAuthScopes"]) == {"openid", SCOPE}
    assert props["CallbackURLs"] == {"Ref": "AlexaRedirectUrls"}
    assert template["Parameters"]["AlexaRedirectUrls"]["Type"] == "CommaDelimitedList"
    assert "Default" not in template["Parameters"]["AlexaRedirectUrls"]
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    units = props["TokenValidityUnits"]
    assert (units["AccessToken"], props["AccessTokenValidity"]) == ("minutes", 60)
    assert units["RefreshToken"] == "days" and 1 <= props["RefreshTokenValidity"] <= 365
    # Managed login (v2) is active for this client through a style.
    _, style = only(template, "AWS::Cognito::ManagedLoginBranding")
    assert style["Properties"]["ClientId"] == {"Ref": "AlexaPlusClient"}
    _, domain = only(template, "AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["ManagedLoginVersion"] == 2


def test_the_service_client_has_only_client_credentials(template: dict[str, Any]) -> None:
    props = app_clients(template)["ServiceClient"]["Properties"]
    assert props["AllowedOAuthFlows"] == ["client_credentials"]
    assert props["AllowedOAuthScopes"] == [SCOPE]
    assert "CallbackURLs" not in props and "SupportedIdentityProviders" not in props


def test_the_function_is_told_the_pool_clients_and_resource(template: dict[str, Any]) -> None:
    _, function = only(template, "AWS::Lambda::Function")
    variables = function["Properties"]["Environment"]["Variables"]
    assert {k: v for k, v in variables.items() if k.startswith("TOGETHER_MCP_")} == MCP_VARIABLES
    assert names_in(variables["TOGETHER_MCP_AUDIENCE"]) == set(app_clients(template))
    assert names_in(variables["TOGETHER_MCP_ISSUER"]) == {"UserPool"}
    outputs = template["Outputs"]
    assert outputs["McpUrl"]["Value"] == variables["TOGETHER_MCP_RESOURCE"] == MCP_URL
    assert outputs["Issuer"]["Value"] == ISSUER
    assert outputs["UserPoolId"]["Value"] == {"Ref": "UserPool"}
    assert outputs["AlexaPlusClientId"]["Value"] == {"Ref": "AlexaPlusClient"}
    assert outputs["ServiceClientId"]["Value"] == {"Ref": "ServiceClient"}
    domain = "https://${AuthDomainPrefix}.auth.${AWS::Region}.amazoncognito.com"
    assert outputs["AuthorizeUrl"]["Value"] == {"Fn::Sub": domain + "/oauth2/authorize"}
    assert outputs["TokenUrl"]["Value"] == {"Fn::Sub": domain + "/oauth2/token"}
    assert outputs["ResourceMetadataUrl"]["Value"] == {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
        "/.well-known/oauth-protected-resource/mcp"
    }
    assert outputs["Scope"]["Value"] == SCOPE
    # No secret leaves the stack as an output (read it with describe-user-pool-client).
    assert not any("Secret" in name for name in outputs)


# --- the stack in moto, and the store contract on its table --------------------------------
# moto's CloudFormation cannot create AWS::ApiGatewayV2::* or AWS::Cognito::* (it warns and
# stops), and its AWS::KMS::Key handler expects TagKey/TagValue tags. The copy created here
# therefore drops the HTTP API resources, the Cognito pool and everything on it, the API's
# invoke permission (its SourceArn names the API), the function's MCP variables and the
# outputs that name any of these, and the key's tags; the key, alias, table, log groups,
# role, policy and function are created.
MOTO_UNSUPPORTED = {
    "HttpApi",
    "HttpIntegration",
    "AlexaRoute",
    "HealthRoute",
    "McpPostRoute",
    "McpGetRoute",
    "McpDeleteRoute",
    "ResourceMetadataRoute",
    "McpResourceMetadataRoute",
    "AuthorizationServerMetadataRoute",
    "HttpStage",
    "ApiInvokePermission",
    "UserPool",
    "UserPoolDomain",
    "ResourceServer",
    "AlexaPlusClient",
    "AlexaPlusLoginStyle",
    "ServiceClient",
}


def test_moto_drops_exactly_what_it_cannot_create() -> None:
    """If moto learns a type, or the template gains one it lacks, this list must change."""
    template = load_template()
    lacking = {
        name for name, r in template["Resources"].items() if r["Type"] not in get_model_map()
    }
    assert lacking | {"ApiInvokePermission"} == MOTO_UNSUPPORTED


def moto_template() -> dict[str, Any]:
    template = load_template()
    for name in MOTO_UNSUPPORTED:
        del template["Resources"][name]
    variables = template["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
    for name in [v for v, value in variables.items() if names_in(value) & MOTO_UNSUPPORTED]:
        del variables[name]
    for name in [v for v in variables if v.startswith("TOGETHER_MCP_")]:
        del variables[name]  # all of them or none (the app refuses a partial set)
    assert set(MCP_VARIABLES).isdisjoint(variables)
    outputs = template["Outputs"]
    for name in [o for o, output in outputs.items() if names_in(output) & MOTO_UNSUPPORTED]:
        del outputs[name]
    for resource in template["Resources"].values():
        assert not names_in(resource) & MOTO_UNSUPPORTED, resource
    del template["Resources"]["DataKey"]["Properties"]["Tags"]
    return template


@pytest.fixture
def stack() -> Iterator[dict[str, str]]:
    with mock_aws():
        s3: Any = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="together-code")
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("placeholder.py", "")
        s3.put_object(Bucket="together-code", Key="skill.zip", Body=package.getvalue())
        cloudformation: Any = boto3.client("cloudformation", region_name="us-east-1")
        parameters = {
            "SkillId": SKILL_ID,
            "IdSalt": "a-test-salt-of-enough-length",
            "CodeBucket": "together-code",
            "CodeKey": "skill.zip",
            "Stage": "dev",
            "AuthDomainPrefix": "resilient-together-test",
            "AlexaRedirectUrls": "https://example.com/one,https://example.com/two",
        }
        cloudformation.create_stack(
            StackName="resilient-together",
            TemplateBody=json.dumps(moto_template()),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        )
        (described,) = cloudformation.describe_stacks(StackName="resilient-together")["Stacks"]
        assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
        yield outputs


def test_the_store_contract_runs_on_the_table_the_stack_made(stack: dict[str, str]) -> None:
    table = stack["TableName"]
    client = boto3.client("dynamodb", region_name="us-east-1")
    description = client.describe_table(TableName=table)["Table"]
    assert description["KeySchema"] == [
        {"AttributeName": PK, "KeyType": "HASH"},
        {"AttributeName": SK, "KeyType": "RANGE"},
    ]

    store = DynamoStore(table, boto3.client("dynamodb", region_name="us-east-1"))
    household = hash_id("amzn1.ask.account.TEST", salt="test")
    now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    entry = Entry(
        kind="gratitude", text="the walk in the rain", at=now, expires_at=now + timedelta(days=90)
    )
    try:
        store.ping()
        after = store.apply(household, Change(add={"count.gratitude": 1}, entry=entry), now=now)
        assert after.int("count.gratitude") == 1
        assert store.read(household).int("count.gratitude") == 1
        assert store.entries(household, "gratitude", now=now, limit=5) == [entry]

        items = client.scan(TableName=table)["Items"]
        assert all(PK in item and SK in item for item in items)
        # The TTL attribute the template enables is the one the store writes, as a Number.
        assert any("N" in item.get(TTL_ATTRIBUTE, {}) for item in items)

        store.erase(household)
        assert store.read(household).attrs == {}
        assert store.entries(household, "gratitude", now=now, limit=5) == []
        # Only the health probe's item is left (ping writes it).
        left = client.scan(TableName=table)["Items"]
        assert [item[PK]["S"] for item in left] == ["HEALTH"]
    finally:
        store.close()
        client.close()


# --- the Lambda HTTP handler ---------------------------------------------------------------
@pytest.fixture
def fresh_handler() -> Iterator[None]:
    lambda_http.reset()
    yield
    lambda_http.reset()


def http_api_event(
    method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway HTTP API event, payload format 2.0, as the $default stage sends it."""
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "user-agent": "test",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "test",
            },
            "requestId": "test-request",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "25/Nov/2026:18:00:00 +0000",
            "timeEpoch": 1795629600000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def test_lambda_handler_answers_health(
    fresh_handler: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOGETHER_STORE", f"sqlite:///{tmp_path / 'together.db'}")
    monkeypatch.setenv("TOGETHER_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("TOGETHER_ID_SALT", PROD_SALT)
    response = lambda_http.handler(http_api_event("GET", "/healthz"), None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}
    assert response["headers"]["x-content-type-options"] == "nosniff"


def test_lambda_handler_verifies_alexa_signatures(
    fresh_handler: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOGETHER_STORE", f"sqlite:///{tmp_path / 'together.db'}")
    monkeypatch.setenv("TOGETHER_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("TOGETHER_ID_SALT", PROD_SALT)
    monkeypatch.setenv("TOGETHER_DEV", "1")  # ignored: the Lambda host is production only
    body = json.dumps({"version": "1.0", "request": {"type": "LaunchRequest"}})
    event = http_api_event("POST", "/alexa", body, {"content-type": "application/json"})
    response = lambda_http.handler(event, None)
    assert response["statusCode"] == 400
    assert "error" in json.loads(response["body"])


def test_lambda_handler_requires_the_skill_id(
    fresh_handler: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOGETHER_STORE", f"sqlite:///{tmp_path / 'together.db'}")
    with pytest.raises(ConfigError, match="TOGETHER_SKILL_ID"):
        lambda_http.handler(http_api_event("GET", "/healthz"), None)
    lambda_http.reset()
    monkeypatch.setenv("TOGETHER_SKILL_ID", SKILL_ID)
    for salt in (None, DEV_SALT, "short-salt"):
        if salt is None:
            monkeypatch.delenv("TOGETHER_ID_SALT", raising=False)
        else:
            monkeypatch.setenv("TOGETHER_ID_SALT", salt)
        with pytest.raises(ConfigError, match="TOGETHER_ID_SALT"):
            lambda_http.handler(http_api_event("GET", "/healthz"), None)
        lambda_http.reset()


def test_lambda_handler_checks_health_of_the_stack_table(
    fresh_handler: None, stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOGETHER_STORE", f"dynamodb://{stack['TableName']}")
    monkeypatch.setenv("TOGETHER_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("TOGETHER_ID_SALT", PROD_SALT)
    response = lambda_http.handler(http_api_event("GET", "/healthz"), None)
    assert response["statusCode"] == 200, response


# --- the container image -------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_runs_production_gunicorn_as_non_root() -> None:
    instructions = dockerfile_instructions()
    values = {word: [rest for w, rest in instructions if w == word] for word, _ in instructions}
    assert re.fullmatch(r"python:3\.1[12]-slim", values["FROM"][0])
    (user,) = values["USER"]
    assert user not in {"root", "0"} and not user.startswith("0:")
    assert [w for w, _ in instructions].index("USER") > max(
        i for i, (w, _) in enumerate(instructions) if w == "RUN"
    )
    installs = [r for r in values["RUN"] if "pip install" in r]
    assert installs and all(re.search(r"pip install \.(\s|$)", r) for r in installs)
    assert not any("[dev]" in r or " -e " in r or "requirements-dev" in r for r in values["RUN"])
    assert values["EXPOSE"] == ["8000"]
    (health,) = values["HEALTHCHECK"]
    assert "urllib.request" in health and "/healthz" in health and "curl" not in health
    (cmd,) = values["CMD"]
    command = " ".join(json.loads(cmd))
    assert "gunicorn --bind 0.0.0.0:8000 --workers 2 --threads 2 --worker-class gthread" in command
    assert "'skill.web.server:app()'" in command
    assert "${TOGETHER_SKILL_ID:?" in command  # refuses to start without the skill id
    assert "${TOGETHER_ID_SALT:?" in command  # ... and without a salt of its own
    assert not any("TOGETHER_DEV" in r for r in values.get("ENV", []))


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "tests", "var", ".env", "*.db"} <= ignored


MCP_ENV = {
    "TOGETHER_MCP_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test",
    "TOGETHER_MCP_AUDIENCE": "client-a,client-b",
    "TOGETHER_MCP_RESOURCE": "https://abc123.execute-api.us-east-1.amazonaws.com/mcp",
}


def test_lambda_handler_serves_mcp_only_behind_a_token(
    fresh_handler: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/mcp on Lambda (apig-wsgi -> the WSGI app -> a2wsgi -> the SDK): no token, or one
    that is not a JWT, is a 401 naming the metadata (no JWKS is fetched for either)."""
    monkeypatch.setenv("TOGETHER_STORE", f"sqlite:///{tmp_path / 'together.db'}")
    monkeypatch.setenv("TOGETHER_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("TOGETHER_ID_SALT", PROD_SALT)
    for name, value in MCP_ENV.items():
        monkeypatch.setenv(name, value)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    for extra in ({}, {"authorization": "Bearer not-a-jwt"}):
        response = lambda_http.handler(
            http_api_event("POST", "/mcp", body, {**headers, **extra}), None
        )
        assert response["statusCode"] == 401
        challenge = response["headers"]["www-authenticate"]
        assert "oauth-protected-resource/mcp" in challenge
        assert response["headers"]["x-content-type-options"] == "nosniff"
    meta = lambda_http.handler(http_api_event("GET", "/.well-known/oauth-protected-resource"), None)
    assert meta["statusCode"] == 200
    document = json.loads(meta["body"])
    assert document["resource"] == MCP_ENV["TOGETHER_MCP_RESOURCE"]
    assert document["authorization_servers"] == [MCP_ENV["TOGETHER_MCP_ISSUER"]]


def test_without_the_mcp_settings_lambda_serves_no_mcp(
    fresh_handler: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOGETHER_STORE", f"sqlite:///{tmp_path / 'together.db'}")
    monkeypatch.setenv("TOGETHER_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("TOGETHER_ID_SALT", PROD_SALT)
    response = lambda_http.handler(http_api_event("POST", "/mcp", "{}"), None)
    assert response["statusCode"] == 404


@pytest.mark.parametrize(
    "env",
    [
        {"TOGETHER_MCP_ISSUER": MCP_ENV["TOGETHER_MCP_ISSUER"]},  # only one of three
        {**MCP_ENV, "TOGETHER_MCP_ISSUER": "http://issuer.example"},  # not https
        {**MCP_ENV, "TOGETHER_MCP_RESOURCE": "http://abc123.example/mcp"},
    ],
)
def test_the_mcp_settings_are_all_or_none_and_https(
    fresh_handler: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setenv("TOGETHER_STORE", f"sqlite:///{tmp_path / 'together.db'}")
    monkeypatch.setenv("TOGETHER_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("TOGETHER_ID_SALT", PROD_SALT)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=r"TOGETHER_MCP|https"):
        lambda_http.handler(http_api_event("GET", "/healthz"), None)
