"""The deployment files stay valid: yamllint on every YAML file, the Kubernetes manifests against the
API schemas (kubernetes-validate ships them: offline), and the compose file's shape (2 app replicas,
PostgreSQL, Redis, a load balancer whose config exists, probes on /readyz and /healthz)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = sorted((ROOT / "k8s").glob("*.yaml"))
KUBERNETES_VERSION = "1.33.0"


def test_yamllint_passes():
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    config = YamlLintConfig(file=str(ROOT / ".yamllint.yaml"))
    problems = []
    for path in [ROOT / "docker-compose.yml", ROOT / ".yamllint.yaml", *K8S]:
        problems += [f"{path.name}:{p.line}: {p.desc}" for p in linter.run(path.read_text(), config, str(path))
                     if p.level == "error"]
    assert not problems, problems


@pytest.mark.parametrize("path", [p for p in K8S if p.name != "kustomization.yaml"], ids=lambda p: p.name)
def test_kubernetes_manifest_matches_the_api_schema(path):
    import kubernetes_validate

    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def _k8s(kind: str) -> dict:
    for path in K8S:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc.get("kind") == kind:
                return doc
    raise AssertionError(f"no {kind}")


def test_kubernetes_set_is_complete_and_consistent():
    kustomization = yaml.safe_load((ROOT / "k8s" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in K8S if p.name != "kustomization.yaml")
    deployment = _k8s("Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = _k8s("Service")
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
    hpa = _k8s("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    job = _k8s("Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["yourmusic", "migrate"]
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    config = _k8s("ConfigMap")["data"]
    assert grace > float(config["SHUTDOWN_TIMEOUT"]) + 5  # uvicorn's drain + the preStop pause fit


def test_compose_has_two_app_replicas_a_balancer_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["app"]["deploy"]["replicas"] == 2
    assert {"postgres", "redis", "lb", "migrate"} <= set(services)
    env = services["app"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
    assert services["migrate"]["command"] == ["yourmusic", "migrate"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    for volume in services["lb"]["volumes"]:
        source = volume.split(":")[0]
        assert (ROOT / source).exists(), source
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server app:8000" in nginx and "location = /metrics" in nginx
