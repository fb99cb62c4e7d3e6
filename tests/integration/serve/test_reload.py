"""Catalog reloads in process: when the working tree or --ref moves, none when nothing moved,
the old catalog kept when the new one fails, requests in flight finished on their catalog."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from tests.support.catalogs import LoopbackProvider, provider_yaml
from tests.support.fake_openai import Reply

CHAT = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}


def ids(gw) -> list[str]:
    return [m["id"] for m in gw.client.get("/v1/models").json()["data"]]


def reload(gw, force: bool = False) -> bool:
    return gw.client.portal.call(lambda: gw.service.reload(force=force))


def set_beta(repo: Path, server, models: dict[str, list[str]]) -> None:
    beta = LoopbackProvider("beta", server.url("beta"), models, "BETA_API_KEY")
    (repo / "catalog" / "providers" / "beta.yaml").write_text(provider_yaml(beta))


def commit(repo: Path, message: str) -> None:
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", message], check=True)


def test_a_changed_working_tree_is_reloaded_and_an_unchanged_one_is_not(gateway, repo, server):
    with gateway() as gw:
        assert reload(gw) is False
        set_beta(repo, server, {"b1": ["chat"], "b2": ["chat"]})
        assert reload(gw) is True
        assert "beta/b2" in ids(gw)
        assert reload(gw) is False
        assert any("reloaded catalog" in line for line in gw.log_lines)


def test_a_moved_ref_is_reloaded_and_the_working_tree_is_ignored(gateway, repo, server):
    with gateway(ref="main") as gw:
        set_beta(repo, server, {"b1": ["chat"], "b2": ["chat"]})
        assert reload(gw) is False  # uncommitted: not at the ref
        commit(repo, "beta b2")
        assert reload(gw) is True
        assert "beta/b2" in ids(gw)
        status = gw.client.get("/v1/freegin/status").json()["catalog"]
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert status["commit"] == head.stdout.strip()
    assert status["ref"] == "main"


def test_a_failing_reload_keeps_the_old_catalog_and_says_why_once(gateway, repo, server):
    server.script("beta", Reply.answer("still served"))
    with gateway() as gw:
        path = repo / "catalog" / "providers" / "beta.yaml"
        path.write_text(path.read_text().replace("models:", "modles:"))
        assert reload(gw) is False
        assert reload(gw) is False
        failures = [line for line in gw.log_lines if "reload failed" in line]
        assert len(failures) == 1
        assert "catalog/providers/beta.yaml" in failures[0] and "models" in failures[0]
        status = gw.client.get("/v1/freegin/status").json()["catalog"]
        assert "beta.yaml" in status["last_reload_error"]
        assert "beta/b1" in ids(gw)
        answer = gw.client.post("/v1/chat/completions", json={**CHAT, "model": "beta/b1"})
        assert answer.status_code == 200
        set_beta(repo, server, {"b1": ["chat"], "b3": ["chat"]})
        assert reload(gw) is True
        assert gw.client.get("/v1/freegin/status").json()["catalog"]["last_reload_error"] is None


def test_a_ref_that_stops_naming_a_commit_keeps_the_old_catalog(gateway, repo):
    subprocess.run(["git", "-C", str(repo), "branch", "pinned"], check=True)
    with gateway(ref="pinned") as gw:
        subprocess.run(["git", "-C", str(repo), "branch", "-D", "pinned"], check=True, capture_output=True)
        assert reload(gw) is False
        assert "pinned" in gw.service.reload_error
        assert "alpha/a1" in ids(gw)


def test_a_request_in_flight_finishes_on_the_catalog_it_started_with(gateway, repo, server):
    server.script("alpha", Reply(**{**Reply.answer("old catalog").__dict__, "delay_s": 0.5}))
    server.script("beta", Reply.answer("new catalog"))
    with gateway() as gw:
        results: list[str] = []
        thread = threading.Thread(
            target=lambda: results.append(gw.client.post("/v1/chat/completions", json=CHAT).text)
        )
        thread.start()
        while not server.calls("alpha"):
            pass
        (repo / "catalog" / "providers" / "alpha.yaml").unlink()
        config = repo / "catalog" / "config.yaml"
        config.write_text(
            config.read_text().replace("provider: alpha, model: a1", "provider: beta, model: b1")
        )
        config.write_text(
            config.read_text().replace("provider_order: [alpha, beta]", "provider_order: [beta]")
        )
        assert reload(gw) is True
        thread.join(10)
        after = gw.client.post("/v1/chat/completions", json=CHAT).json()
    assert "old catalog" in results[0]
    assert after["choices"][0]["message"]["content"] == "new catalog"
