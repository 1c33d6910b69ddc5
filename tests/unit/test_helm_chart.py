"""The Helm chart (deploy/helm/autodevops), rendered by the real helm for several values
combinations: every manifest valid for current Kubernetes (kubernetes-validate's strict
schemas), every ScaledObject valid for KEDA's documented spec, and the properties the
deployment relies on (probes, locked-down pods, secrets only by reference, migrations before
new pods, one worker Deployment per queue, a worker that never scales to zero)."""

from __future__ import annotations

import json
import subprocess
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from libs.common.config import SecretStr, Settings
from libs.common.schemas import KINDS
from scripts.ensure_helm import helm_path
from services.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy/helm/autodevops"
KEDA_SCHEMA = ROOT / "deploy/helm/keda-scaledobject.schema.json"
# KEDA's floor (it requires 1.30) and the newest the bundled schemas know.
KUBE_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SECRET = "existing-autodevops-secret"
Manifest = dict[str, Any]

COMBINATIONS: dict[str, list[str]] = {
    "defaults": [],
    "ingress": [
        "ingress.enabled=true",
        "ingress.className=nginx",
        "ingress.host=ado.example.org",
        "ingress.tlsSecretName=ado-tls",
        "networkPolicy.postgres.to[0].ipBlock.cidr=10.20.0.0/16",
        "networkPolicy.redis.to[0].podSelector.matchLabels.app=redis",
        "networkPolicy.apiFrom[0].namespaceSelector.matchLabels.name=ingress-nginx",
        'keda.metricSelector=namespace="ado"',
    ],
    "fixed": [
        "keda.enabled=false",
        "api.autoscaling.enabled=false",
        "api.replicas=3",
        "workers.analysis.replicas=2",
        "backups.existingClaim=ado-backups",
        "networkPolicy.enabled=false",
        "migrations.enabled=false",
    ],
}


def _helm(*args: str) -> subprocess.CompletedProcess[str]:
    helm = helm_path()
    if not helm.exists():
        pytest.fail(f"{helm} is missing: `make tools` (scripts/ensure_helm.py) installs it")
    return subprocess.run(
        [str(helm), *args], capture_output=True, text=True, timeout=120, check=False
    )


def _template(*sets: str) -> subprocess.CompletedProcess[str]:
    args = ["template", "ado", str(CHART), "--namespace", "ado"]
    for item in sets:
        args += ["--set", item]
    return _helm(*args)


@cache
def _render(combination: str) -> tuple[str, tuple[Manifest, ...]]:
    result = _template(f"existingSecret={SECRET}", *COMBINATIONS[combination])
    assert result.returncode == 0, result.stderr
    docs = tuple(d for d in yaml.safe_load_all(result.stdout) if d)
    return result.stdout, docs


def _docs(combination: str) -> tuple[Manifest, ...]:
    return _render(combination)[1]


def _of_kind(docs: tuple[Manifest, ...], kind: str) -> list[Manifest]:
    return [d for d in docs if d["kind"] == kind]


def _pod_specs(docs: tuple[Manifest, ...]) -> Iterator[tuple[str, Manifest]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def _workers(docs: tuple[Manifest, ...]) -> dict[str, Manifest]:
    """Worker Deployments by the queue their command serves."""
    found: dict[str, Manifest] = {}
    for deployment in _of_kind(docs, "Deployment"):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        if container["command"][:2] == ["autodevops", "worker"]:
            queue = container["command"][-1]
            assert queue not in found, f"two Deployments serve {queue}"
            found[queue] = deployment
    return found


def _env(container: Manifest) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_helm_lint_passes() -> None:
    result = _helm("lint", str(CHART), "--strict", "--set", f"existingSecret={SECRET}")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("combination", COMBINATIONS)
@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_every_manifest_is_valid_kubernetes(combination: str, version: str) -> None:
    docs = _docs(combination)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "PodDisruptionBudget"} <= kinds
    for doc in docs:
        if doc["apiVersion"].startswith("keda.sh/"):
            continue  # not a Kubernetes kind: KEDA's schema below
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']}: {exc}")


def _keda_errors(doc: Manifest, deployments: set[str]) -> list[str]:
    """KEDA's schema, then the rules its docs state between fields."""
    schema = json.loads(KEDA_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
    if errors:
        return errors
    spec = doc["spec"]
    if spec["scaleTargetRef"]["name"] not in deployments:
        errors.append(f"scaleTargetRef {spec['scaleTargetRef']['name']} is no Deployment here")
    if spec.get("minReplicaCount", 0) > spec.get("maxReplicaCount", 100):
        errors.append("minReplicaCount above maxReplicaCount")
    if "idleReplicaCount" in spec and spec["idleReplicaCount"] >= spec.get("minReplicaCount", 0):
        errors.append("idleReplicaCount must be less than minReplicaCount")
    names = [t.get("name", t["type"]) for t in spec["triggers"]]
    if len(names) != len(set(names)):
        errors.append(f"trigger names repeat: {names}")
    if "fallback" in spec and any(t.get("metricType") == "Utilization" for t in spec["triggers"]):
        errors.append("fallback needs AverageValue or Value triggers")
    return errors


def test_keda_check_rejects_what_keda_would() -> None:
    [good, *_] = _of_kind(_docs("defaults"), "ScaledObject")
    target = good["spec"]["scaleTargetRef"]["name"]
    assert _keda_errors(good, {target}) == []
    typo = json.loads(json.dumps(good))
    typo["spec"]["minReplicas"] = 1  # the HPA's spelling, not KEDA's
    assert any("minReplicas" in e for e in _keda_errors(typo, {target}))
    unknown = json.loads(json.dumps(good))
    unknown["spec"]["triggers"][0]["metadata"]["serverAdress"] = "http://p:9090"
    assert _keda_errors(unknown, {target})
    inverted = json.loads(json.dumps(good))
    inverted["spec"]["minReplicaCount"] = 20
    assert _keda_errors(inverted, {target}) == ["minReplicaCount above maxReplicaCount"]
    assert _keda_errors(good, {"another"})


@pytest.mark.parametrize("combination", ["defaults", "ingress"])
def test_every_scaled_object_is_valid_keda(combination: str) -> None:
    docs = _docs(combination)
    deployments = {d["metadata"]["name"] for d in _of_kind(docs, "Deployment")}
    scaled = _of_kind(docs, "ScaledObject")
    assert len(scaled) == len(KINDS)
    for doc in scaled:
        assert _keda_errors(doc, deployments) == [], doc["metadata"]["name"]


def test_each_queue_scales_on_its_depth_and_the_ingest_worker_never_reaches_zero() -> None:
    docs = _docs("defaults")
    workers = _workers(docs)
    by_target = {s["spec"]["scaleTargetRef"]["name"]: s for s in _of_kind(docs, "ScaledObject")}
    for queue, deployment in workers.items():
        spec = by_target[deployment["metadata"]["name"]]["spec"]
        [depth] = [t for t in spec["triggers"] if t["name"] == "queue-depth"]
        assert depth["metadata"]["query"] == f'max(autodevops_queue_depth{{queue="{queue}"}})'
        assert depth["metadata"]["ignoreNullValues"] == "false"
        assert "replicas" not in deployment["spec"]  # KEDA owns the count
        env = _env(deployment["spec"]["template"]["spec"]["containers"][0])
        # Every worker consumes webhooks; the maintenance one must always run.
        if env["WORKER_MAINTENANCE"] == "true":
            assert spec["minReplicaCount"] >= 1, queue
            assert any(t["name"] == "webhook-backlog" for t in spec["triggers"])
    assert [
        q
        for q, d in workers.items()
        if by_target[d["metadata"]["name"]]["spec"]["minReplicaCount"] == 0
    ] == ["analysis", "ci_generation"]
    selected = _docs("ingress")
    queries = [
        t["metadata"]["query"]
        for s in _of_kind(selected, "ScaledObject")
        for t in s["spec"]["triggers"]
    ]
    assert all('namespace="ado"' in q for q in queries)


def test_one_worker_deployment_per_queue_with_real_commands() -> None:
    parser = build_parser()
    for combination in COMBINATIONS:
        docs = _docs(combination)
        workers = _workers(docs)
        assert sorted(workers) == sorted(KINDS), combination
        maintenance = [
            q
            for q, d in workers.items()
            if _env(d["spec"]["template"]["spec"]["containers"][0])["WORKER_MAINTENANCE"] == "true"
        ]
        assert maintenance == ["sync"]
        for _, pod in _pod_specs(docs):
            for container in pod["containers"]:
                parser.parse_args(container["command"][1:])  # exits on an unknown command
                assert container["command"][0] == "autodevops"


def test_without_keda_the_replicas_are_fixed_and_the_api_has_no_hpa() -> None:
    docs = _docs("fixed")
    assert _of_kind(docs, "ScaledObject") == []
    assert _of_kind(docs, "HorizontalPodAutoscaler") == []
    assert _of_kind(docs, "NetworkPolicy") == []
    deployments = _of_kind(docs, "Deployment")
    replicas = {d["metadata"]["name"]: d["spec"].get("replicas") for d in deployments}
    assert replicas == {
        "ado-autodevops-api": 3,
        "ado-autodevops-scheduler": 2,
        "ado-autodevops-worker-analysis": 2,
        "ado-autodevops-worker-ci-generation": 1,
        "ado-autodevops-worker-sync": 1,
    }
    [sync] = [d for d in deployments if d["metadata"]["name"].endswith("sync")]
    volumes = {v["name"]: v for v in sync["spec"]["template"]["spec"]["volumes"]}
    assert volumes["backups"]["persistentVolumeClaim"] == {"claimName": "ado-backups"}


def test_the_api_has_probes_a_service_an_hpa_and_an_optional_ingress() -> None:
    docs = _docs("defaults")
    [api] = [d for d in _of_kind(docs, "Deployment") if d["metadata"]["name"].endswith("-api")]
    [container] = api["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    [hpa] = _of_kind(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == api["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    assert _of_kind(docs, "Ingress") == []
    [ingress] = _of_kind(_docs("ingress"), "Ingress")
    assert ingress["spec"]["tls"] == [{"hosts": ["ado.example.org"], "secretName": "ado-tls"}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    [service] = _of_kind(docs, "Service")
    assert backend["name"] == service["metadata"]["name"]


def test_workers_and_scheduler_are_probed_on_their_metrics_ports() -> None:
    for name, pod in _pod_specs(_docs("defaults")):
        [container] = pod["containers"]
        if container["command"][1] in ("worker", "scheduler"):
            port = {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"]
            assert port == (9101 if container["command"][1] == "worker" else 9102), name
            assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "metrics"}


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_pod_is_non_root_read_only_and_unprivileged(combination: str) -> None:
    pods = list(_pod_specs(_docs(combination)))
    assert len(pods) >= 5
    for name, pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["privileged"] is False, name
            assert ctx["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in ctx["capabilities"], name
            assert set(container["resources"]) == {"requests", "limits"}, name
            # What the process writes lands on an emptyDir, never the image's filesystem.
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, name
            if container["command"][1] == "worker":
                env = _env(container)
                assert {env["WORKDIR"], env["DATA_DIR"]} <= mounts, name


def test_migrations_run_as_a_hook_before_new_pods() -> None:
    [job] = _of_kind(_docs("defaults"), "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "hook-succeeded" in annotations["helm.sh/hook-delete-policy"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["autodevops", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # The hook runs before the chart's own objects exist: only the user's Secret is used.
    assert container["envFrom"] == [{"secretRef": {"name": SECRET}}]
    assert _of_kind(_docs("fixed"), "Job") == []


def test_every_process_has_a_disruption_budget() -> None:
    docs = _docs("defaults")
    budgets = {
        tuple(sorted(p["spec"]["selector"]["matchLabels"].items()))
        for p in _of_kind(docs, "PodDisruptionBudget")
    }
    for deployment in _of_kind(docs, "Deployment"):
        selector = tuple(sorted(deployment["spec"]["selector"]["matchLabels"].items()))
        assert selector in budgets, deployment["metadata"]["name"]


def _secret_setting_names() -> set[str]:
    hints = typing.get_type_hints(Settings, include_extras=True)
    secret = {name.upper() for name, hint in hints.items() if SecretStr in typing.get_args(hint)}
    return secret | {"DATABASE_URL", "REDIS_URL"}  # their passwords


def test_secrets_come_only_from_the_existing_secret() -> None:
    names = set(_template_output_names())
    assert _secret_setting_names() <= names
    for combination in COMBINATIONS:
        text, docs = _render(combination)
        assert _of_kind(docs, "Secret") == []
        for name, pod in _pod_specs(docs):
            for container in pod["containers"]:
                assert container["envFrom"] == [{"secretRef": {"name": SECRET}}], name
                assert not (set(_env(container)) & names), name
                known = {f.upper() for f in Settings.__struct_fields__}
                assert set(_env(container)) <= known, name
    # A secret offered as a plain value is refused, and its value never printed.
    for name in sorted(names):
        value = f"s3cr3t-{name.lower()}-do-not-render"
        result = _template(f"existingSecret={SECRET}", f"config.{name}={value}")
        assert result.returncode != 0, name
        assert "is a secret" in result.stderr
        assert value not in result.stdout + result.stderr
    missing = _template()
    assert missing.returncode != 0
    assert "existingSecret" in missing.stderr


def _template_output_names() -> list[str]:
    """The chart's list of secret settings (templates/_helpers.tpl)."""
    text = (CHART / "templates/_helpers.tpl").read_text()
    block = text.split('define "autodevops.secretSettings" -}}', 1)[1].split("{{- end", 1)[0]
    return block.split()


def test_plain_settings_reach_every_process() -> None:
    result = _template(
        f"existingSecret={SECRET}",
        "config.PUBLIC_URL=https://ado.example.org",
        "config.TRUSTED_PROXY_COUNT=1",
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    for name, pod in _pod_specs(tuple(docs)):
        env = _env(pod["containers"][0])
        assert env["PUBLIC_URL"] == "https://ado.example.org", name
        assert env["TRUSTED_PROXY_COUNT"] == "1", name
        assert env["METRICS_ADVERTISE_HOST"] == {"fieldRef": {"fieldPath": "status.podIP"}}


def test_workers_egress_only_to_dns_databases_and_https() -> None:
    docs = _docs("ingress")
    policies = {p["metadata"]["name"]: p["spec"] for p in _of_kind(docs, "NetworkPolicy")}
    workers = _workers(docs)
    assert len(policies) == len(workers) + 3  # api, scheduler, migrate
    for deployment in workers.values():
        spec = policies[deployment["metadata"]["name"]]
        assert spec["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
        ports = sorted(p["port"] for rule in spec["egress"] for p in rule["ports"])
        assert ports == [53, 53, 443, 5432, 6379]
        [postgres] = [r for r in spec["egress"] if r["ports"][0]["port"] == 5432]
        assert postgres["to"] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
        [https] = [r for r in spec["egress"] if r["ports"][0]["port"] == 443]
        assert "10.0.0.0/8" in https["to"][0]["ipBlock"]["except"]  # not the internal network
        assert [p["port"] for rule in spec["ingress"] for p in rule["ports"]] == [9101]
    scheduler = policies["ado-autodevops-scheduler"]
    assert 443 not in [p["port"] for rule in scheduler["egress"] for p in rule["ports"]]
    api = policies["ado-autodevops-api"]
    assert api["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"name": "ingress-nginx"}}}
    ]


def test_the_cluster_prometheus_gets_the_jobs_and_rules_the_alerts_expect() -> None:
    result = _template(f"existingSecret={SECRET}", "prometheus.prometheusRule=true")
    assert result.returncode == 0, result.stderr
    docs = tuple(d for d in yaml.safe_load_all(result.stdout) if d)
    [config_map] = [d for d in _of_kind(docs, "ConfigMap") if "scrape-configs.yml" in d["data"]]
    alerts = (ROOT / "deploy/prometheus/alerts.yml").read_text()
    assert config_map["data"]["alerts.yml"] == alerts.rstrip("\n")
    [rule] = _of_kind(docs, "PrometheusRule")
    assert rule["spec"] == yaml.safe_load(alerts)
    jobs = yaml.safe_load(config_map["data"]["scrape-configs.yml"])
    compose = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    assert [j["job_name"] for j in jobs] == [j["job_name"] for j in compose["scrape_configs"]]
    # Each job finds this release's pods of its components, on the port its pods name.
    pods = {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in _of_kind(docs, "Deployment")
    }
    for job in jobs:
        [sd] = job["kubernetes_sd_configs"]
        assert sd["namespaces"]["names"] == ["ado"]
        selector = sd["selectors"][0]["label"]
        components = selector.split(" in (")[1].rstrip(")").split(",")
        assert "app.kubernetes.io/instance=ado" in selector
        port = job["relabel_configs"][0]["regex"]
        for component in components:
            [container] = pods.pop(component)["spec"]["template"]["spec"]["containers"]
            assert port in [p["name"] for p in container["ports"]], (job["job_name"], component)
    assert pods == {}  # every Deployment is scraped
    # (Debian's promtool is built without Kubernetes discovery, so it cannot check these.)
    for job in jobs:
        assert set(job) == {"job_name", "kubernetes_sd_configs", "relabel_configs"}
        assert {r["target_label"] for r in job["relabel_configs"][1:]} == {"namespace", "pod"}
