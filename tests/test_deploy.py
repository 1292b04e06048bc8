"""The cluster files (Dockerfile, deploy/ray-cluster.yaml) against Ray's own schema and
against the repository they package. No image is built here (this machine has no Docker
daemon); what the image relies on, a prebuilt engine loaded through PYZERO_ENGINE_LIBRARY
without sources or compiler, is tested in test_native_build.py."""

import copy
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from pyzero.native import REPOSITORY_ROOT, SOURCE_PACKAGES

ray_util = pytest.importorskip("ray.autoscaler._private.util", reason="the test extra installs ray")

DOCKERFILE = (REPOSITORY_ROOT / "Dockerfile").read_text()
CLUSTER_FILE = REPOSITORY_ROOT / "deploy" / "ray-cluster.yaml"


def _checked(config: dict) -> dict:
    """What `ray up` does to a cluster file before it uses it: defaults, then the schema."""
    prepared = ray_util.prepare_config(copy.deepcopy(config))
    ray_util.validate_config(prepared)
    return prepared


def test_the_cluster_file_passes_rays_schema_and_a_misspelt_key_does_not():
    config = yaml.safe_load(CLUSTER_FILE.read_text())
    prepared = _checked(config)
    assert prepared["docker"]["image"] and prepared["provider"]["type"] == "local"
    misspelt = {**config, "dockr": config["docker"]}
    with pytest.raises(Exception, match="dockr"):
        _checked(misspelt)


def test_the_image_uses_the_pinned_ray_and_ships_a_built_engine():
    pinned = tomllib.loads((REPOSITORY_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["ray"]
    version = re.fullmatch(r"ray\[default\]==([\d.]+)", pinned[0]).group(1)
    assert f"ARG BASE_IMAGE=rayproject/ray:{version}-py311" in DOCKERFILE
    for package in SOURCE_PACKAGES:  # every engine source is in the image when it compiles
        assert f"COPY --chown=ray:users {package} ./{package}" in DOCKERFILE
    library = re.search(r"^ENV PYZERO_ENGINE_LIBRARY=(\S+)$", DOCKERFILE, re.MULTILINE).group(1)
    build_step = DOCKERFILE[DOCKERFILE.index("RUN python -m pyzero build"):DOCKERFILE.index("ENV PYZERO_ENGINE_LIBRARY")]
    assert f"cp pyzero/_native_build/pyzero_engine.*.so {library}" in build_step


def test_the_run_directory_mount_is_the_images_run_volume():
    config = yaml.safe_load(CLUSTER_FILE.read_text())
    volume = re.search(r"^VOLUME (\S+)$", DOCKERFILE, re.MULTILINE).group(1)
    workdir = re.findall(r"^WORKDIR (\S+)$", DOCKERFILE, re.MULTILINE)[-1]
    assert Path(volume) == Path(workdir) / "runs"  # `pyzero train configs/X.yaml` writes runs/X there
    mounts = [option.split()[1] for option in config["docker"]["run_options"] if option.startswith("-v ")]
    assert any(mount.endswith(f":{volume}") for mount in mounts)
