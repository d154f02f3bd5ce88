"""deploy/: the compose file and the Kubernetes manifests, checked offline against their schemas.

No container engine runs here, so these files are checked, not run: the compose file against
the Compose Specification's JSON schema (vendored in check-jsonschema), each Kubernetes
resource against the Kubernetes schemas (bundled in kubernetes-validate, strict: unknown
fields fail), the names that tie them together, and every fastswarm command line in them
through fastswarm's own option parsing. Each check also fails a broken copy, to show it can.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from fastswarm.cli.main import build_config, command
from fastswarm.config.settings import Config
from fastswarm.ipc.keys import generate, load_master_keys, load_worker_keys
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.30.0"
MANIFESTS = ("master.yaml", "worker.yaml", "target.yaml")


def _docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _by_kind(kind: str, name: str) -> dict[str, Any]:
    for manifest in MANIFESTS:
        for doc in _docs(K8S / manifest):
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name} in deploy/k8s")


def _check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` with the variable unset: the default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def _config(args: list[str]) -> Config:
    """The Config fastswarm builds from ``args``, with no stray words left over."""
    ctx = command.make_context("fastswarm", list(args))
    config = build_config(ctx, ctx.params)
    assert config.user_class_names == (), f"unknown options or words in {args}"
    return config


def test_the_compose_file_matches_the_compose_spec(tmp_path: Path) -> None:
    result = _check_compose(DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text((DEPLOY / "compose.yaml").read_text().replace("    command:", "    comand:", 1))
    rejected = _check_compose(broken)
    assert rejected.returncode != 0 and "'comand' was unexpected" in rejected.stdout


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_the_kubernetes_manifests_match_the_schemas(manifest: str) -> None:
    docs = _docs(K8S / manifest)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_schema_check_rejects_a_misspelt_field() -> None:
    doc = _by_kind("Deployment", "fastswarm-worker")
    doc["spec"]["replica"] = doc["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_kustomization_gives_each_side_only_its_keys() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(MANIFESTS)
    secrets = {s["name"]: sorted(s["files"]) for s in kustomization["secretGenerator"]}
    assert secrets == {
        "fastswarm-master-keys": ["keys/master.key_secret", "keys/worker.key"],
        "fastswarm-worker-keys": ["keys/master.key", "keys/worker.key_secret"],
    }
    (tasks,) = kustomization["configMapGenerator"]
    assert all((K8S / name).is_file() for name in tasks["files"])
    for component in ("master", "worker"):
        pod = _by_kind("Deployment", f"fastswarm-{component}")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["keys"]["secret"]["secretName"] == f"fastswarm-{component}-keys"
        assert volumes["tasks"]["configMap"]["name"] == tasks["name"]
    assert "keys/" in (K8S / ".gitignore").read_text()


def test_every_command_line_in_deploy_is_a_valid_fastswarm_run() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    master = _config([_interpolate(a) for a in compose["master"]["command"]])
    worker = _config([_interpolate(a) for a in compose["worker"]["command"]])
    replicas = int(_interpolate(str(compose["worker"]["deploy"]["replicas"])))
    assert master.master and master.curve_dir == "/keys" and master.master_bind_host == "0.0.0.0"
    assert worker.worker and worker.curve_dir == "/keys" and worker.master_host == "master"
    assert master.expect_workers == replicas * worker.processes
    assert compose["keygen"]["command"] == ["keygen", "/keys"]

    def args(name: str) -> list[str]:
        return list(_by_kind("Deployment", name)["spec"]["template"]["spec"]["containers"][0]["args"])

    k8s_master, k8s_worker = _config(args("fastswarm-master")), _config(args("fastswarm-worker"))
    worker_replicas = _by_kind("Deployment", "fastswarm-worker")["spec"]["replicas"]
    assert k8s_master.master and k8s_master.curve_dir == "/keys"
    assert (
        k8s_worker.worker
        and k8s_worker.master_host == _by_kind("Service", "fastswarm-master")["metadata"]["name"]
    )
    assert k8s_master.expect_workers == worker_replicas * k8s_worker.processes
    assert k8s_master.host == "http://fastswarm-target:8080"
    assert args("fastswarm-target")[:1] == ["target"]


def test_keys_load_from_a_kubernetes_secret_volume(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A Secret volume: files are symlinks into ..data/, group-readable (0440 with fsGroup)."""
    made = tmp_path / "made"
    generate(made)
    for side, names in {
        "master": ("master.key_secret", "worker.key"),
        "worker": ("worker.key_secret", "master.key"),
    }.items():
        volume = tmp_path / side
        data = volume / "..2026_01_01_00_00_00.000000000"
        data.mkdir(parents=True)
        for name in names:
            (data / name).write_bytes((made / name).read_bytes())
            os.chmod(data / name, 0o440)
        os.symlink(data.name, volume / "..data")
        for name in names:
            os.symlink(f"..data/{name}", volume / name)
    with caplog.at_level(logging.WARNING):
        master, worker = load_master_keys(tmp_path / "master"), load_worker_keys(tmp_path / "worker")
    assert master.workers == {worker.public} and worker.master == master.public
    assert not caplog.records  # group-readable is how Kubernetes mounts it: no warning
    os.chmod(tmp_path / "master" / "..2026_01_01_00_00_00.000000000" / "master.key_secret", 0o444)
    with caplog.at_level(logging.WARNING):
        load_master_keys(tmp_path / "master")
    assert "can be read by other users" in caplog.text
