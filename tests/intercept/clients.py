"""Clients of the provider written as the public ones are: the provider's origin is a string
literal inside each function (in several of the forms they use), one module per HTTP library.
Each is written to a file and imported as it is; not one byte names the mock.

Every module has create, check, balance, download (the whole flow) and fetch (any URL), each
sending `X-Client: <library>` so that the journal shows which library sent a request.
"""

from __future__ import annotations

from typing import Final

REQUESTS: Final = """
import requests

BASE = "https://freesoragenerator.com"
SESSION = requests.Session()  # made at import time, before any interception
SESSION.headers["X-Client"] = "requests"


def create(key, prompt):
    answer = SESSION.post(
        BASE + "/api/v1/video/sora-pro",
        json={"model": "sora-2-text-to-video", "prompt": prompt},
        headers={"Authorization": f"Bearer {key}"},
    )
    return answer.json()["data"]["taskId"]


def check(key, task_id):
    answer = requests.post(
        "https://FreeSoraGenerator.com/api/video-generations/check-result",
        json={"taskId": task_id},
        headers={"Authorization": f"Bearer {key}", "X-Client": "requests"},
    )
    return answer.json()["data"]


def balance(key):
    answer = SESSION.post(
        "http://www.freesoragenerator.com/api/get-user-credits",
        json={},
        headers={"Authorization": f"Bearer {key}"},
    )
    return answer.json()["data"]["left_credits"]


def download(url):
    answer = SESSION.get(url)
    answer.raise_for_status()
    return answer.content


def fetch(url):
    return SESSION.get(url).status_code
"""

HTTPX: Final = """
import httpx

BASE = "https://freesoragenerator.com"
CLIENT = httpx.Client(headers={"X-Client": "httpx"})  # made at import time


def create(key, prompt):
    answer = CLIENT.post(
        BASE + "/api/v1/video/sora-pro",
        json={"model": "sora-2-text-to-video", "prompt": prompt},
        headers={"Authorization": f"Bearer {key}"},
    )
    return answer.json()["data"]["taskId"]


def check(key, task_id):
    answer = httpx.post(
        "https://FreeSoraGenerator.com/api/video-generations/check-result",
        json={"taskId": task_id},
        headers={"Authorization": f"Bearer {key}", "X-Client": "httpx"},
    )
    return answer.json()["data"]


def balance(key):
    answer = CLIENT.post(
        "https://www.freesoragenerator.com:443/api/get-user-credits",
        json={},
        headers={"Authorization": f"Bearer {key}"},
    )
    return answer.json()["data"]["left_credits"]


def download(url):
    answer = CLIENT.get(url)
    answer.raise_for_status()
    return answer.content


def fetch(url):
    return httpx.get(url, headers={"X-Client": "httpx"}).status_code
"""

HTTPX_ASYNC: Final = """
import httpx

BASE = "https://freesoragenerator.com"
HEADERS = {"X-Client": "httpx-async"}


async def create(key, prompt):
    async with httpx.AsyncClient(headers=HEADERS) as client:
        answer = await client.post(
            BASE + "/api/v1/video/sora-pro",
            json={"model": "sora-2-text-to-video", "prompt": prompt},
            headers={"Authorization": f"Bearer {key}"},
        )
    return answer.json()["data"]["taskId"]


async def check(key, task_id):
    async with httpx.AsyncClient(headers=HEADERS) as client:
        answer = await client.post(
            "https://FreeSoraGenerator.com/api/video-generations/check-result",
            json={"taskId": task_id},
            headers={"Authorization": f"Bearer {key}"},
        )
    return answer.json()["data"]


async def balance(key):
    async with httpx.AsyncClient(base_url="https://WWW.FreeSoraGenerator.com/api") as client:
        answer = await client.post(
            "/get-user-credits", json={}, headers={"Authorization": f"Bearer {key}", **HEADERS}
        )
    return answer.json()["data"]["left_credits"]


async def download(url):
    async with httpx.AsyncClient(headers=HEADERS) as client:
        answer = await client.get(url)
    answer.raise_for_status()
    return answer.content


async def fetch(url):
    async with httpx.AsyncClient(headers=HEADERS) as client:
        return (await client.get(url)).status_code
"""

AIOHTTP: Final = """
import aiohttp

BASE = "https://freesoragenerator.com"
HEADERS = {"X-Client": "aiohttp"}


async def create(key, prompt):
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        async with session.post(
            BASE + "/api/v1/video/sora-pro",
            json={"model": "sora-2-text-to-video", "prompt": prompt},
            headers={"Authorization": f"Bearer {key}"},
        ) as answer:
            return (await answer.json())["data"]["taskId"]


async def check(key, task_id):
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        async with session.request(
            "POST",
            "https://FreeSoraGenerator.com/api/video-generations/check-result",
            json={"taskId": task_id},
            headers={"Authorization": f"Bearer {key}"},
        ) as answer:
            return (await answer.json())["data"]


async def balance(key):
    async with aiohttp.request(
        "POST",
        "http://www.freesoragenerator.com/api/get-user-credits",
        json={},
        headers={"Authorization": f"Bearer {key}", **HEADERS},
    ) as answer:
        return (await answer.json())["data"]["left_credits"]


async def download(url):
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        async with session.get(url) as answer:
            answer.raise_for_status()
            return await answer.read()


async def fetch(url):
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        async with session.get(url) as answer:
            return answer.status
"""

URLLIB3: Final = """
import json

import urllib3

BASE = "https://freesoragenerator.com"
HTTP = urllib3.PoolManager(headers={"X-Client": "urllib3"})  # made at import time


def create(key, prompt):
    answer = HTTP.request(
        "POST",
        BASE + "/api/v1/video/sora-pro",
        json={"model": "sora-2-text-to-video", "prompt": prompt},
        headers={"Authorization": f"Bearer {key}", "X-Client": "urllib3"},
    )
    return answer.json()["data"]["taskId"]


def check(key, task_id):
    pool = urllib3.HTTPSConnectionPool("FreeSoraGenerator.com", port=443)
    answer = pool.urlopen(
        "POST",
        "/api/video-generations/check-result",
        body=json.dumps({"taskId": task_id}),
        headers={"Authorization": f"Bearer {key}", "X-Client": "urllib3",
                 "Content-Type": "application/json"},
    )
    return json.loads(answer.data)["data"]


def balance(key):
    answer = urllib3.request(
        "POST",
        "http://www.freesoragenerator.com/api/get-user-credits",
        json={},
        headers={"Authorization": f"Bearer {key}", "X-Client": "urllib3"},
    )
    return answer.json()["data"]["left_credits"]


def download(url):
    answer = HTTP.request("GET", url)
    assert answer.status == 200, answer.status
    return answer.data


def fetch(url):
    return HTTP.request("GET", url, retries=False).status
"""

URLLIB: Final = """
import json
import urllib.request

BASE = "https://freesoragenerator.com"


def _post(url, body, key):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                 "X-Client": "urllib"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def create(key, prompt):
    body = {"model": "sora-2-text-to-video", "prompt": prompt}
    return _post(BASE + "/api/v1/video/sora-pro", body, key)["data"]["taskId"]


def check(key, task_id):
    url = "https://FreeSoraGenerator.com/api/video-generations/check-result"
    return _post(url, {"taskId": task_id}, key)["data"]


def balance(key):
    url = "http://www.freesoragenerator.com/api/get-user-credits"
    return _post(url, {}, key)["data"]["left_credits"]


def download(url):
    request = urllib.request.Request(url, headers={"X-Client": "urllib"})
    with urllib.request.urlopen(request) as answer:
        return answer.read()


def fetch(url):
    request = urllib.request.Request(url, headers={"X-Client": "urllib"})
    with urllib.request.urlopen(request) as answer:
        return answer.status
"""

CLIENTS: Final = {
    "requests": REQUESTS,
    "httpx": HTTPX,
    "httpx-async": HTTPX_ASYNC,
    "aiohttp": AIOHTTP,
    "urllib3": URLLIB3,
    "urllib": URLLIB,
}
