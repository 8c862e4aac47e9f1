"""deploy/: the compose file, the Dockerfile and the Kubernetes manifests checked against the code's
own settings, ports, health endpoints, topics and consumer groups. No container runs here: this
is what can be validated without an engine (see deploy/README.md)."""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from services.cli import main as amparo
from services.settings import secrets_of, settings_for, variables_for
from shared import service as shared_service
from shared.auth import ROLES
from shared.config import DEFAULT_PORTS, SERVICES
from shared.kafka import PRODUCTION, declared_topics
from tests.samples import registry_keys

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TOPICS = {t.name: t for t in declared_topics()}
HEALTH, READY = "/healthz", "/readyz"


def variables(service: str) -> set[str]:
    """Names a process of ``service`` reads: its documented variables, and ``…_FILE`` for the
    database URL and the secrets."""
    names = {v.name for v in variables_for(service)}
    with_files = {f"AMPARO_{service.upper()}_DATABASE_URL", *secrets_of(service)}
    return names | {f"{name}_FILE" for name in with_files}


@pytest.fixture(scope="module")
def wiring(tmp_path_factory):
    """Each service bootstrapped for real (on SQLite): its app's routes and its consumer groups."""
    groups: dict[str, dict[str, list[str]]] = {name: {} for name in SERVICES}
    routes: dict[str, set[str]] = {}
    original = shared_service.Runtime.add_consumer

    def recording(self, group_id, topics, handlers, batch_handlers=None, **options):
        groups[self.settings.service][group_id] = list(topics)
        return original(self, group_id, topics, handlers, batch_handlers, **options)

    shared_service.Runtime.add_consumer = recording
    try:
        for name in SERVICES:
            folder = tmp_path_factory.mktemp(name)
            settings = settings_for(name, {"AMPARO_DATA_DIR": str(folder), **registry_keys()})
            app_module = importlib.import_module(f"services.{name}.entrypoints.app")
            runtime = app_module.bootstrap(settings)
            app = app_module.create_app(runtime)
            routes[name] = {rule.rule for rule in app.url_map.iter_rules()}
            runtime.engine.dispose()
    finally:
        shared_service.Runtime.add_consumer = original
    return {"groups": groups, "routes": routes}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests() -> list[tuple[Path, dict]]:
    return [
        (path, document)
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def of_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for _, d in manifests() if d["kind"] == kind}


def test_the_services_answer_health_readiness_and_metrics(wiring):
    for name in SERVICES:
        assert {HEALTH, READY, "/metrics"} <= wiring["routes"][name]


def test_compose_runs_kafka_in_kraft_mode_with_three_replicas_and_two_in_sync():
    services = compose()["services"]
    brokers = {n: s for n, s in services.items() if s.get("image", "").startswith("apache/kafka:")}
    assert len(brokers) == 3
    ids = set()
    for name, broker in brokers.items():
        env = broker["environment"]
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller" and "ZOOKEEPER" not in str(env).upper()
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == str(PRODUCTION.factor)
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == str(PRODUCTION.min_insync)
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == str(PRODUCTION.factor)
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        ids.add(env["KAFKA_NODE_ID"])
        voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert sorted(v.split("@")[1] for v in voters) == sorted(f"{b}:9093" for b in brokers)
    assert len(ids) == 3
    servers = services["registry"]["environment"]["AMPARO_KAFKA_BOOTSTRAP_SERVERS"].split(",")
    assert sorted(servers) == sorted(f"{b}:9092" for b in brokers)


def test_compose_services_match_the_code_settings_ports_probes_and_secrets():
    document = compose()
    services, secrets = document["services"], document["secrets"]
    for name in SERVICES:
        service = services[name]
        port = DEFAULT_PORTS[name]
        assert service["build"]["target"] == name and service["image"] == f"amparo-{name}"
        assert service["ports"] == [f"{port}:{port}"]
        assert f"http://127.0.0.1:{port}{READY}" in " ".join(service["healthcheck"]["test"])
        env = service["environment"]
        assert set(env) <= variables(name), set(env) - variables(name)
        assert env["AMPARO_MIGRATE_ON_START"] == "false"
        for secret in [f"AMPARO_{name.upper()}_DATABASE_URL", *secrets_of(name)]:
            assert secret not in env, f"{secret} is given in the compose file itself"
            assert env[f"{secret}_FILE"].startswith("/run/secrets/")
        for variable, value in env.items():
            if variable.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in service["secrets"] and secret in secrets
                assert secrets[secret]["file"] == f"./secrets/{secret}"
        assert service["user"] == "10001:10001" and service["read_only"] is True
        migrate = services[f"migrate-{name}"]
        assert migrate["command"] == ["amparo", "migrate", "--service", name]
        assert migrate["environment"][f"AMPARO_{name.upper()}_DATABASE_URL_FILE"]
        assert service["depends_on"][f"migrate-{name}"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["topics"] == {"condition": "service_completed_successfully"}
    assert (
        services["transfers"]["environment"]["AMPARO_REGISTRY_URL"]
        == f"http://registry:{DEFAULT_PORTS['registry']}"
    )
    topics = services["topics"]["command"]
    assert topics[:3] == ["amparo", "topics", "--apply"] and "production" in topics
    assert {"migrate", "topics", "check-config"} <= set(amparo.commands)


def test_the_secrets_script_makes_every_file_compose_reads_and_the_settings_accept_them(tmp_path):
    shutil.copy(DEPLOY / "make-secrets.sh", tmp_path)
    subprocess.run(["sh", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True, timeout=60)
    declared = compose()["secrets"]
    for secret, source in declared.items():
        made = tmp_path / source["file"]
        assert made.read_text().strip(), secret
        assert made.stat().st_mode & 0o077 == 0, f"{secret} is readable by others"
    env_file = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines())
    assert set(env_file) == set(re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yaml").read_text()))
    services = compose()["services"]
    for name in SERVICES:
        env = {
            k: v.replace("/run/secrets/", f"{tmp_path}/secrets/")
            for k, v in services[name]["environment"].items()
        }
        settings = settings_for(name, env)
        assert settings.database_url.startswith(f"postgresql+psycopg://amparo_{name}:")
        assert settings.database_url.endswith(f"@postgres:5432/{name}")
    before = (tmp_path / "secrets" / "registry_hashing_key").read_text()
    subprocess.run(["sh", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True, timeout=60)
    assert (tmp_path / "secrets" / "registry_hashing_key").read_text() == before  # never overwritten


def test_postgres_gets_one_database_and_owner_per_service():
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    assert "for service in registry alerts transfers; do" in script and tuple(SERVICES) == (
        "registry",
        "alerts",
        "transfers",
    )
    assert 'create "$service" "amparo_$service"' in script
    postgres = compose()["services"]["postgres"]
    assert {f"{name}_db_password" for name in SERVICES} <= set(postgres["secrets"])
    assert "./postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-amparo.sh:ro" in postgres["volumes"]


def test_the_keycloak_realm_holds_amparo_roles_jurisdiction_and_audience():
    realm = json.loads((DEPLOY / "keycloak" / "amparo-realm.json").read_text())
    assert [r["name"] for r in realm["roles"]["realm"]] == list(ROLES)
    mappers = {m["protocolMapper"]: m["config"] for c in realm["clients"] for m in c["protocolMappers"]}
    jurisdiction = mappers["oidc-usermodel-attribute-mapper"]
    assert jurisdiction["user.attribute"] == jurisdiction["claim.name"] == "jurisdiction"
    assert jurisdiction["multivalued"] == jurisdiction["access.token.claim"] == "true"
    env = compose()["services"]["registry"]["environment"]
    assert mappers["oidc-audience-mapper"]["included.custom.audience"] == env["AMPARO_JWT_AUDIENCE"]
    assert mappers["oidc-audience-mapper"]["access.token.claim"] == "true"
    assert env["AMPARO_JWT_ISSUER"].endswith(f"/realms/{realm['realm']}")
    assert f"/realms/{realm['realm']}/protocol/openid-connect/certs" in env["AMPARO_JWKS_URL"]
    profile = realm["components"]["org.keycloak.userprofile.UserProfileProvider"][0]
    attributes = json.loads(profile["config"]["kc.user.profile.config"][0])["attributes"]
    assert {"name": "jurisdiction", "multivalued": True}.items() <= next(
        a for a in attributes if a["name"] == "jurisdiction"
    ).items()


def dockerfile_stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current = None
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if match := re.match(r"FROM (\S+) AS (\w+)", line):
            current = match.group(2)
            stages[current] = [line]
        elif current and line.strip() and not line.startswith("#"):
            stages[current].append(line.strip())
    return stages


def test_the_dockerfile_builds_each_service_non_root_from_exact_pins_without_secrets():
    stages = dockerfile_stages()
    runtime = stages["runtime"]
    user = next(line for line in runtime if line.startswith("USER "))
    assert user.split()[1].split(":")[0] not in ("0", "root")
    text = (DEPLOY / "Dockerfile").read_text()
    for secret in [*secrets_of("registry"), "PASSWORD", "DATABASE_URL"]:
        assert secret not in text
    for name in SERVICES:
        stage = stages[name]
        port = DEFAULT_PORTS[name]
        assert stage[0].startswith("FROM runtime AS")
        assert f"EXPOSE {port}" in stage
        command = json.loads(next(line for line in stage if line.startswith("CMD "))[4:])
        assert command == [
            "gunicorn",
            "--bind",
            f"0.0.0.0:{port}",
            f"services.{name}.entrypoints.wsgi:application()",
        ]
        assert callable(importlib.import_module(f"services.{name}.entrypoints.wsgi").application)
        assert f"http://127.0.0.1:{port}{HEALTH}" in next(
            line for line in stage if line.startswith("HEALTHCHECK")
        )
    pinned = {}
    for line in (DEPLOY / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert re.fullmatch(r"[\w.+-]+", version), line
            pinned[name] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dependency in project["dependencies"]:
        requirement = Requirement(dependency)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pinned and requirement.specifier.contains(pinned[name]), dependency
    assert "-r /src/deploy/requirements.lock" in text and "--no-deps" in text


def test_every_kubernetes_manifest_is_valid_for_its_kind():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    checked = 0
    for path, document in manifests():
        if document["apiVersion"].startswith(("keda.sh/", "kustomize.config.k8s.io/")):
            continue  # custom resources: checked field by field below
        try:
            kubernetes_validate.validate(document, "1.30", strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.name}: {document['kind']} {document['metadata']['name']}: {exc.message}")
        checked += 1
    assert checked >= 17
    listed = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml"
    )


def test_kubernetes_deployments_match_the_code_settings_ports_probes_and_secrets():
    deployments, services = of_kind("Deployment"), of_kind("Service")
    config_maps, budgets, jobs = of_kind("ConfigMap"), of_kind("PodDisruptionBudget"), of_kind("Job")
    assert set(config_maps["amparo-common"]["data"]) <= set.intersection(*(variables(n) for n in SERVICES))
    assert config_maps["amparo-common"]["data"]["AMPARO_MIGRATE_ON_START"] == "false"
    for name in SERVICES:
        port = DEFAULT_PORTS[name]
        pod = deployments[name]["spec"]["template"]["spec"]
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        (container,) = pod["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["livenessProbe"]["httpGet"] == {"path": HEALTH, "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": READY, "port": "http"}
        assert container["startupProbe"]["httpGet"]["path"] == HEALTH
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["image"].endswith(f"/{name}:0.1.0")
        assert [r["configMapRef"]["name"] for r in container["envFrom"]] == ["amparo-common", name]
        assert set(config_maps[name]["data"]) <= variables(name)
        assert config_maps[name]["data"][f"AMPARO_{name.upper()}_PORT"] == str(port)
        env = {e["name"]: e for e in container["env"]}
        assert set(env) <= variables(name)
        assert env["AMPARO_CONSUMER_INSTANCE_ID"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["secrets"]["secret"]["secretName"] == f"amparo-{name}"
        mounted = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        for secret in [f"AMPARO_{name.upper()}_DATABASE_URL", *secrets_of(name)]:
            assert secret not in env and secret not in config_maps[name]["data"]
            assert env[f"{secret}_FILE"]["value"].startswith(mounted["secrets"] + "/")
        service = services[name]["spec"]
        assert service["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]
        assert service["selector"].items() <= labels.items()
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        job = jobs[f"{name}-migrate"]["spec"]["template"]["spec"]
        assert job["containers"][0]["command"] == ["amparo", "migrate", "--service", name]
        assert {e["name"]: e for e in job["containers"][0]["env"]} == {
            k: v for k, v in env.items() if k.endswith("_FILE")
        }
    topics_job = jobs["kafka-topics"]["spec"]["template"]["spec"]["containers"][0]
    assert topics_job["command"][:3] == ["amparo", "topics", "--apply"]


def test_keda_scales_each_consumer_deployment_by_the_code_groups_and_topics(wiring):
    scaled = of_kind("ScaledObject")
    deployments = of_kind("Deployment")
    servers = of_kind("ConfigMap")["amparo-common"]["data"]["AMPARO_KAFKA_BOOTSTRAP_SERVERS"]
    for name, groups in wiring["groups"].items():
        if not groups:
            assert name not in scaled
            continue
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"]["name"] == name and name in deployments
        triggers = {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in spec["triggers"]}
        assert triggers == {(g, topic) for g, topics in groups.items() for topic in topics}
        for trigger in spec["triggers"]:
            assert trigger["type"] == "kafka" and trigger["metadata"]["bootstrapServers"] == servers
            assert trigger["metadata"]["allowIdleConsumers"] == "false"
        widest = max(TOPICS[topic].partitions for topics in groups.values() for topic in topics)
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= widest


def test_topics_are_declared_nowhere_but_shared_kafka(wiring):
    for folder in ("services", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "shared" / "kafka.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and node.value in TOPICS:
                    pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} names topic {node.value!r}")
    groups = {group for service in wiring["groups"].values() for group in service}
    # A dotted name starting with a service's name, not a module path, host name or file name.
    named = re.compile(r"(?<![\w./])(?:registry|alerts|transfers)\.[a-z][a-z.-]*[a-z](?![\w./-])")
    found_in_deploy = set()
    for path in DEPLOY.rglob("*"):
        if path.suffix in (".yaml", ".sh", ".json") or path.name == "Dockerfile":
            for found in named.findall(path.read_text()):
                if found.endswith(".yaml"):
                    continue  # a manifest's file name
                assert found in TOPICS or found in groups, f"{path.name} names {found!r}"
                found_in_deploy.add(found)
    assert groups <= found_in_deploy
