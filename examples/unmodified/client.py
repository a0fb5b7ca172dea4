"""An unmodified client of the provider, as public ones are written: `requests` and the
provider's origin as a literal. It knows nothing of sora-mock; pointing it at the mock is the
machine's business (a hosts entry for the host name, REQUESTS_CA_BUNDLE for the CA).

Usage: SORA_API_KEY=sk-... python client.py [out.mp4]
"""

import os
import sys
import time
from typing import Any

import requests

API = "https://freesoragenerator.com"
KEY = os.environ.get("SORA_API_KEY", "")
POLL_SECONDS = 0.5


def call(path: str, body: dict[str, Any]) -> Any:
    response = requests.post(
        API + path, json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    )
    answer = response.json()
    if answer["code"] != 0:
        raise RuntimeError(f"{path}: {answer['code']} {answer['message']}")
    return answer["data"]


def main() -> None:
    created = call(
        "/api/v1/video/sora-pro",
        {"model": "sora-2-text-to-video", "prompt": "a paper boat on a rainy street"},
    )
    task_id = created["taskId"]
    print(f"create: taskId {task_id}", flush=True)

    for polls in range(1, 61):
        task = call("/api/video-generations/check-result", {"taskId": task_id})
        if task["status"] == "succeeded":
            break
        if task["status"] in ("failed", "cancelled"):
            raise RuntimeError(f"check-result: {task['status']} after {polls} polls")
        time.sleep(POLL_SECONDS)
    else:
        raise RuntimeError("check-result: not done after 60 polls")
    print(f"check-result: {task['status']} {task['result_url']}", flush=True)

    credits = call("/api/get-user-credits", {})
    print(f"balance: {credits['left_credits']} credits", flush=True)

    video = requests.get(task["result_url"], timeout=30)
    video.raise_for_status()
    with open(sys.argv[1] if len(sys.argv) > 1 else f"{task_id}.mp4", "wb") as out:
        out.write(video.content)
    print(f"download: {len(video.content)} bytes, {video.headers['Content-Type']}", flush=True)
    print("done: create check-result balance download", flush=True)


if __name__ == "__main__":
    main()
