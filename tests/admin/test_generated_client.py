"""A typed client generated from /openapi.json (openapi-python-client), used as a user would.

The generator is in the test extra, so CI has it; a checkout without it skips, saying why.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from sora_mock.http.openapi import body_name
from sora_mock.routes.sora_pro import MODELS
from sora_mock.testing.server import MockServer

from ..helpers import PNG_DATA_URL

GENERATOR: Final = Path(sys.executable).with_name("openapi-python-client")
# the generator config the README gives: the video as bytes, no formatter run after it
CONFIG: Final = "post_hooks: []\ncontent_type_overrides:\n  video/mp4: application/octet-stream\n"
KEY: Final = "sk-generated-0001"
IMAGE_URL: Final = "https://example.com/cat.png"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(clock="manual", port=0) as running:
        yield running


@pytest.fixture(scope="module")
def generated(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The generated package `sora_mock_client`, imported from a folder outside the tree."""
    if not GENERATOR.exists() and shutil.which("openapi-python-client") is None:
        pytest.skip("openapi-python-client is not installed (it is in the [test] extra)")
    folder = tmp_path_factory.mktemp("generated")
    with urllib.request.urlopen(f"{server.url}/openapi.json", timeout=10) as response:
        (folder / "openapi.json").write_bytes(response.read())
    (folder / "config.yml").write_text(CONFIG)
    command = [str(GENERATOR) if GENERATOR.exists() else "openapi-python-client"]
    command += ["generate", "--path", "openapi.json", "--config", "config.yml"]
    command += ["--output-path", "client", "--meta", "none"]
    result = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )
    assert 0 == result.returncode, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("client")
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "client" or n.startswith("client.")]:
            del sys.modules[name]


def body_for(models: Any, model: str, n: int) -> Any:
    """The generated class of this model's create body, filled as its kind needs."""
    spec = MODELS[model]
    cls = getattr(models, body_name(model))
    if spec.kind == "storyboard":
        shot = models.Sora2ProStoryboardBodyShot(scene="a city at dusk", duration=5)
        return cls(model=model, shots=[shot])
    if spec.kind == "image":
        # both alternatives are fields of the generated class; alternate between them
        image = {"image_data": PNG_DATA_URL} if n % 2 else {"image_url": IMAGE_URL}
        return cls(model=model, prompt="a cat", **image)
    return cls(model=model, prompt="a fox")


def test_each_models_body_is_a_named_class_with_every_field(generated: Any) -> None:
    models = importlib.import_module(f"{generated.__name__}.models")
    for model, spec in MODELS.items():
        fields = set(getattr(models, body_name(model)).__annotations__)
        assert "model" in fields
        if spec.kind == "image":
            assert {"prompt", "image_data", "image_url"} <= fields
    assert not [name for name in dir(models) if "BodyType" in name]


def test_the_generated_client_creates_a_task_of_each_model_and_downloads_it(
    generated: Any, server: MockServer
) -> None:
    name = generated.__name__
    models = importlib.import_module(f"{name}.models")
    create = importlib.import_module(f"{name}.api.default.post_video_sora_pro")
    check = importlib.import_module(f"{name}.api.default.post_video_generations_check_result")
    video = importlib.import_module(f"{name}.api.default.get_files_by_taskid_mp4")
    client = generated.AuthenticatedClient(base_url=server.url, token=KEY)
    task_ids = []
    for n, model in enumerate(MODELS):
        envelope = create.sync(client=client, body=body_for(models, model, n))
        assert (0, "ok") == (envelope.code, envelope.message), (model, envelope)
        task_ids.append(envelope.data.task_id)
    assert len(MODELS) == len(set(task_ids))
    request = urllib.request.Request(
        f"{server.url}/__mock/clock/advance",
        data=json.dumps({"seconds": 60}).encode(),
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()
    for task_id in task_ids:
        result = check.sync(client=client, body=models.CheckResultBody(task_id=task_id))
        assert "succeeded" == result.data.status
    downloaded = video.sync(client=client, task_id=task_ids[0])
    assert b"ftyp" == downloaded.payload.read()[4:8]
