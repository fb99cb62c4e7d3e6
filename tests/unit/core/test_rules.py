"""Cross-file rules over small documents that already passed their schemas."""

from __future__ import annotations

from typing import Any

import pytest

from freegin_gitops.core.problems import PendingProblem
from freegin_gitops.core.rules import check_catalog, did_you_mean, parse_timestamp
from tests.documents import (
    CONFIG,
    GROQ,
    SUGGESTIONS,
    WORKLOADS,
    catalog,
    edited,
    model,
    provider,
    suggestion,
)


def messages(problems: list[PendingProblem]) -> list[str]:
    return [p.message for p in problems]


def only(problems: list[PendingProblem]) -> PendingProblem:
    assert len(problems) == 1, messages(problems)
    return problems[0]


def test_the_small_catalog_is_valid() -> None:
    assert check_catalog(catalog()) == []


def test_unknown_workload_in_a_model() -> None:
    documents = edited(GROQ, lambda d: d["models"][0]["workloads"].append("summarization"))
    problem = only(check_catalog(documents))
    assert (problem.file, problem.path) == (GROQ, ("models", 0, "workloads", 2))
    assert "unknown workload 'summarization'" in problem.message
    assert "did you mean 'summarisation'?" in problem.message


def test_duplicate_model_id() -> None:
    documents = edited(GROQ, lambda d: d["models"].append(model("llama", "code")))
    problem = only(check_catalog(documents))
    assert problem.path == ("models", 2, "id")
    assert "listed twice (first at models[0])" in problem.message


def test_provider_must_equal_the_file_name() -> None:
    documents = edited(GROQ, lambda d: d.update(provider="grok"))
    assert only(check_catalog(documents)).path == ("provider",)


def test_file_name_must_be_a_provider_id() -> None:
    documents = catalog(**{"catalog/providers/Big_Co.yaml": provider("Big_Co")})
    assert "is not a valid provider id" in only(check_catalog(documents)).message


@pytest.mark.parametrize(
    ("field", "value"),
    [("added", "2026-02-30"), ("added", "2026-13-01"), ("retired", "2025-02-29")],
)
def test_impossible_dates(field: str, value: str) -> None:
    extra = {"status": "retired", "retired": "2026-11-21"} if field == "retired" else {}
    documents = edited(GROQ, lambda d: d["models"][0].update(extra, **{field: value}))
    problem = only(check_catalog(documents))
    assert (problem.path, problem.message) == (
        ("models", 0, field),
        f"'{value}' is not a real calendar date (YYYY-MM-DD)",
    )


def test_limits_checked_must_be_a_real_date() -> None:
    documents = edited(GROQ, lambda d: d.update(limits={"checked": "2026-04-31"}))
    assert only(check_catalog(documents)).path == ("limits", "checked")


@pytest.mark.parametrize(
    ("limits", "where", "message"),
    [
        (
            {"requests_per_minute": 100, "requests_per_day": 50},
            "requests_per_minute",
            "requests_per_minute (100) is more than requests_per_day (50):"
            " a minute cannot allow more than its day",
        ),
        (
            {"tokens_per_minute": 10, "tokens_per_hour": 9, "tokens_per_day": 1000},
            "tokens_per_minute",
            "tokens_per_minute (10) is more than tokens_per_hour (9):"
            " a minute cannot allow more than its hour",
        ),
        (
            {"requests_per_hour": 901, "requests_per_day": 900},
            "requests_per_hour",
            "requests_per_hour (901) is more than requests_per_day (900):"
            " an hour cannot allow more than its day",
        ),
    ],
)
def test_a_shorter_window_may_not_allow_more_than_a_longer_one(limits, where, message) -> None:
    on_provider = only(check_catalog(edited(GROQ, lambda d: d.update(limits=limits))))
    assert (on_provider.path, on_provider.message) == (("limits", where), message)
    on_model = only(check_catalog(edited(GROQ, lambda d: d["models"][0].update(limits=limits))))
    assert on_model.path == ("models", 0, "limits", where)


def test_consistent_limits_and_equal_ones_pass() -> None:
    limits = {
        "requests_per_minute": 30,
        "requests_per_hour": 30,
        "requests_per_day": 1000,
        "tokens_per_day": 1,
    }
    assert check_catalog(edited(GROQ, lambda d: d["models"][0].update(limits=limits))) == []


def test_active_model_with_a_retired_date() -> None:
    documents = edited(GROQ, lambda d: d["models"][0].update(retired="2026-11-21"))
    assert "is active but has a retired date" in only(check_catalog(documents)).message


def test_retired_before_added() -> None:
    documents = edited(GROQ, lambda d: d["models"][0].update(status="retired", retired="2026-01-01"))
    assert "was retired (2026-01-01) before it was added" in only(check_catalog(documents)).message


def test_workload_both_served_and_retired() -> None:
    gone = [{"workload": "chat", "retired": "2026-11-21"}]
    documents = edited(GROQ, lambda d: d["models"][0].update(retired_workloads=gone))
    assert "listed both as served and as retired" in only(check_catalog(documents)).message


def test_a_retired_workload_needs_a_real_date() -> None:
    chat_only = {"workloads": ["chat"]}
    gone = [{"workload": "code", "retired": "2026-02-30"}]
    documents = edited(GROQ, lambda d: d["models"][0].update(retired_workloads=gone, **chat_only))
    problem = only(check_catalog(documents))
    assert problem.message == "'2026-02-30' is not a real calendar date (YYYY-MM-DD)"
    assert problem.path == ("models", 0, "retired_workloads", 0, "retired")


def test_a_retired_workload_with_a_real_date_is_fine() -> None:
    gone = [{"workload": "code", "retired": "2026-11-21"}]
    documents = edited(GROQ, lambda d: d["models"][0].update(retired_workloads=gone, workloads=["chat"]))
    assert check_catalog(documents) == []


@pytest.mark.parametrize("header", ["Authorization", "x-api-key", "Cookie"])
def test_secret_headers(header: str) -> None:
    documents = edited(GROQ, lambda d: d["api"].update(headers={"X-Title": "t", header: "v"}))
    problem = only(check_catalog(documents))
    assert (problem.path, problem.key) == (("api", "headers"), header)


def test_credentials_in_the_base_url() -> None:
    documents = edited(GROQ, lambda d: d["api"].update(base_url="https://user:sk-secret@api.groq.example/v1"))
    assert "must not carry credentials" in only(check_catalog(documents)).message


@pytest.mark.parametrize(
    ("url", "carried"),
    [
        ("https://generativelanguage.example/v1beta?key=AIzaSy-not-a-real-key", "the query parameter 'key'"),
        ("https://api.example/v1?api-version=1&access_token=${TOKEN}", "the query parameter 'access_token'"),
        ("https://${USER}:${PASSWORD}@api.example/v1", "a user name or password"),
    ],
)
def test_credentials_in_the_base_url_query_or_placeholders(url: str, carried: str) -> None:
    documents = edited(GROQ, lambda d: d["api"].update(base_url=url))
    assert only(check_catalog(documents)).message == (
        f"the base URL must not carry credentials ({carried}); name the key's variable in api_key_env"
    )


def test_a_harmless_query_is_allowed() -> None:
    documents = edited(
        GROQ, lambda d: d["api"].update(base_url="https://api.example/v1?api-version=2024-10-21")
    )
    assert check_catalog(documents) == []


def test_base_url_placeholder_must_name_a_variable() -> None:
    documents = edited(GROQ, lambda d: d["api"].update(base_url="https://api.example/${account id}/v1"))
    assert "is not an environment variable name" in only(check_catalog(documents)).message


def test_base_url_placeholder_naming_a_variable_is_allowed() -> None:
    documents = edited(GROQ, lambda d: d["api"].update(base_url="https://api.example/${ACCOUNT_ID}/v1"))
    assert check_catalog(documents) == []


def test_suggestions_for_an_unknown_provider() -> None:
    documents = catalog(**{"catalog/suggestions/grok.yaml": {"suggestions": [suggestion("kimi")]}})
    problem = only(check_catalog(documents))
    assert (problem.file, problem.path) == ("catalog/suggestions/grok.yaml", ())
    assert "did you mean 'groq'?" in problem.message


def test_a_broken_provider_file_does_not_make_its_suggestions_unknown() -> None:
    assert check_catalog(catalog(**{GROQ: None}), broken=[GROQ]) == []


def test_a_missing_provider_file_makes_its_suggestions_and_references_unknown() -> None:
    unknown = [p for p in check_catalog(catalog(**{GROQ: None})) if "unknown provider" in p.message]
    assert {(p.file, p.path) for p in unknown} == {
        (SUGGESTIONS, ()),
        (CONFIG, ("refresh", "provider")),
        (CONFIG, ("routing", "provider_order", 0)),
    }


def test_a_provider_file_with_the_yml_extension_does_not_make_its_provider_unknown() -> None:
    """The .yml file is reported by itself; its suggestions and references must not cascade."""
    yml = GROQ.removesuffix(".yaml") + ".yml"
    assert check_catalog(catalog(**{GROQ: None}), broken=[yml]) == []


def test_duplicate_suggestion() -> None:
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"].append(suggestion("kimi")))
    problem = only(check_catalog(documents))
    assert problem.path == ("suggestions", 1, "model")
    assert "is suggested twice for 'code' (first at suggestions[0])" in problem.message


def test_same_model_for_two_workloads_is_not_a_duplicate() -> None:
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"].append(suggestion("kimi", "chat")))
    assert check_catalog(documents) == []


def test_suggestion_for_an_unknown_workload() -> None:
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"][0].update(workload="coding"))
    assert "unknown workload 'coding'" in only(check_catalog(documents)).message


def test_updated_at_before_created_at() -> None:
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"][0].update(updated_at="2026-11-19T23:59:59Z"))
    problem = only(check_catalog(documents))
    assert (problem.path, problem.message) == (
        ("suggestions", 0, "updated_at"),
        "updated_at is earlier than created_at",
    )


def test_timestamps_compare_across_time_zones() -> None:
    later_in_utc = "2026-11-20T10:30:00+02:00"  # 08:30Z, before created_at 09:00Z
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"][0].update(updated_at=later_in_utc))
    assert messages(check_catalog(documents)) == ["updated_at is earlier than created_at"]


def test_impossible_timestamp() -> None:
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"][0].update(created_at="2026-11-31T09:00:00Z"))
    assert "is not a real date and time" in only(check_catalog(documents)).message


def test_pending_suggestion_for_a_model_already_active_for_that_workload() -> None:
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"][0].update(model="qwen"))
    problem = only(check_catalog(documents))
    assert problem.path == ("suggestions", 0, "status")
    assert "is already active for 'code'" in problem.message


def test_adopted_suggestion_for_an_active_model_is_fine() -> None:
    documents = edited(SUGGESTIONS, lambda d: d["suggestions"][0].update(model="qwen", status="adopted"))
    assert check_catalog(documents) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda c: c["refresh"].update(provider="grok"), ("refresh", "provider")),
        (
            lambda c: c["refresh"].update(fallback=[{"provider": "x", "model": "y"}]),
            ("refresh", "fallback", 0, "provider"),
        ),
        (lambda c: c["routing"].update(provider_order=["groq", "gemeni"]), ("routing", "provider_order", 1)),
        (
            lambda c: c["defaults"]["chat"].append({"provider": "gemeni", "model": "flash"}),
            ("defaults", "chat", 1, "provider"),
        ),
    ],
)
def test_config_naming_an_unknown_provider(change: Any, path: tuple[str | int, ...]) -> None:
    problem = only(check_catalog(edited(CONFIG, change)))
    assert (problem.file, problem.path) == (CONFIG, path)


def test_config_defaults_for_an_unknown_workload_point_at_the_key() -> None:
    documents = edited(CONFIG, lambda c: c["defaults"].update(coding=[]))
    problem = only(check_catalog(documents))
    assert (problem.path, problem.key) == (("defaults",), "coding")


@pytest.mark.parametrize("path", [WORKLOADS, CONFIG])
def test_a_missing_workloads_or_config_file(path: str) -> None:
    problem = only(check_catalog(catalog(**{path: None})))
    assert (problem.file, "the file is missing" in problem.message) == (path, True)


def test_an_unread_providers_folder_makes_no_provider_unknown() -> None:
    without_providers = catalog(**{GROQ: None})
    assert messages(check_catalog(without_providers)) != []  # suggestions and config name groq
    assert check_catalog(without_providers, broken=["catalog/providers/"]) == []


def test_an_unread_catalog_folder_misses_no_file() -> None:
    assert check_catalog({}, broken=["catalog/"]) == []
    assert len(check_catalog({})) == 2  # workloads.yaml and config.yaml are missing


def test_a_broken_workloads_file_does_not_make_every_workload_unknown() -> None:
    assert check_catalog(catalog(**{WORKLOADS: None}), broken=[WORKLOADS]) == []


def test_every_problem_is_reported_not_only_the_first() -> None:
    def break_twice(d: dict[str, Any]) -> None:
        d["models"][0]["workloads"].append("coding")
        d["models"][1]["added"] = "2026-02-30"

    assert len(check_catalog(edited(GROQ, break_twice))) == 2


def test_did_you_mean_lists_known_names_when_nothing_is_close() -> None:
    assert did_you_mean("zzz", ["b", "a"]) == " (known: a, b)"


def test_parse_timestamp_without_zone_is_utc() -> None:
    stamp = parse_timestamp("2026-11-20T09:00:00")
    assert stamp is not None and stamp.utcoffset() is not None


# -- the lifecycle: active -> deprecated -> retired --------------------------------------------


def deprecated(model_id: str, **extra: Any) -> dict[str, Any]:
    return model(model_id, **{"status": "deprecated", "deprecated": "2026-11-22", **extra})


def lifecycle_problems(*models: dict[str, Any]) -> list[PendingProblem]:
    return check_catalog(catalog(**{GROQ: provider("groq", model("llama"), *models)}))


def test_a_deprecated_model_with_a_date_reason_and_active_successor_is_valid() -> None:
    assert lifecycle_problems(deprecated("old", reason="gone", successor="llama")) == []


def test_a_retired_model_keeps_its_deprecation_history() -> None:
    old = deprecated("old", successor="llama", missing_since="2026-11-22")
    assert lifecycle_problems({**old, "status": "retired", "retired": "2026-12-06"}) == []


@pytest.mark.parametrize("key", ["deprecated", "successor", "missing_since"])
def test_an_active_model_has_no_deprecation_keys(key: str) -> None:
    value = "llama" if key == "successor" else "2026-11-22"
    problem = only(lifecycle_problems(model("old", **{key: value})))
    assert problem.path == ("models", 1, key)
    assert f"is active but has {key!r}" in problem.message


def test_a_deprecated_model_has_no_retired_date() -> None:
    problem = only(lifecycle_problems(deprecated("old", retired="2026-11-23")))
    assert problem.path == ("models", 1, "retired")
    assert "deprecated but has a retired date" in problem.message


def test_deprecated_before_added_is_a_problem() -> None:
    problem = only(lifecycle_problems(deprecated("old", deprecated="2026-11-01")))
    assert problem.path == ("models", 1, "deprecated")
    assert "deprecated (2026-11-01) before it was added (2026-11-20)" in problem.message


def test_retired_before_deprecated_is_a_problem() -> None:
    old = {**deprecated("old"), "status": "retired", "retired": "2026-11-21"}
    problem = only(lifecycle_problems(old))
    assert "retired (2026-11-21) before it was deprecated (2026-11-22)" in problem.message


def test_missing_before_added_and_impossible_dates_are_problems() -> None:
    found = messages(lifecycle_problems(deprecated("old", missing_since="2026-11-19")))
    assert found == ["model 'old' went missing (2026-11-19) before it was added (2026-11-20)"]
    found = messages(lifecycle_problems(deprecated("old", deprecated="2026-02-30")))
    assert found == ["'2026-02-30' is not a real calendar date (YYYY-MM-DD)"]


def test_a_successor_must_be_a_model_of_the_provider() -> None:
    problem = only(lifecycle_problems(deprecated("old", successor="lama")))
    assert problem.path == ("models", 1, "successor")
    assert "successor 'lama' of model 'old' is not a model of this provider" in problem.message
    assert "did you mean 'llama'?" in problem.message


def test_a_successor_of_a_deprecated_model_must_be_active() -> None:
    problem = only(lifecycle_problems(deprecated("old", successor="older"), deprecated("older")))
    assert "successor 'older' of model 'old' is deprecated; name an active model" in problem.message


def test_a_retired_model_may_name_a_successor_that_is_no_longer_active() -> None:
    gone = {**deprecated("old", successor="older"), "status": "retired", "retired": "2026-12-01"}
    assert lifecycle_problems(gone, deprecated("older")) == []


def test_a_model_is_not_its_own_successor() -> None:
    assert (
        "names itself as its successor"
        in only(lifecycle_problems(deprecated("old", successor="old"))).message
    )


def test_a_deprecated_model_may_also_have_a_pending_suggestion() -> None:
    documents = catalog(
        **{
            GROQ: provider("groq", model("llama"), deprecated("old", workloads=["code"])),
            SUGGESTIONS: {"suggestions": [suggestion("old")]},
        }
    )
    assert check_catalog(documents) == []


def test_a_retired_workload_of_a_deprecated_model_is_not_also_served() -> None:
    gone = [{"workload": "chat", "retired": "2026-11-21"}]
    problem = only(lifecycle_problems(deprecated("old", retired_workloads=gone)))
    assert "listed both as served and as retired" in problem.message


# -- dates on the same day, model ids, look-alikes ----------------------------------------------


def test_a_model_deprecated_missing_and_retired_on_the_day_it_was_added_is_valid() -> None:
    same_day = {"deprecated": "2026-11-20", "missing_since": "2026-11-20", "retired": "2026-11-20"}
    assert lifecycle_problems({**deprecated("old"), **same_day, "status": "retired"}) == []


def test_a_model_retired_on_the_day_it_was_deprecated_is_valid() -> None:
    old = {**deprecated("old", deprecated="2026-11-25"), "status": "retired", "retired": "2026-11-25"}
    assert lifecycle_problems(old) == []


def test_a_model_id_with_an_invisible_character_is_named_escaped() -> None:
    documents = edited(GROQ, lambda d: d["models"].append(model("kimi\u200b", "code")))
    problem = only(check_catalog(documents))
    assert (problem.path, problem.message) == (
        ("models", 2, "id"),
        "the model id 'kimi\\u200b' holds an invisible character (U+200B ZERO WIDTH SPACE)",
    )


def test_a_model_id_that_only_looks_like_another_is_a_likely_duplicate() -> None:
    fullwidth = "\uff4clama"  # FULLWIDTH LATIN SMALL LETTER L, then "lama": it reads "llama"
    documents = edited(GROQ, lambda d: d["models"].append(model(fullwidth, "code")))
    problem = only(check_catalog(documents))
    assert problem.path == ("models", 2, "id")
    assert problem.message == (
        f"model {fullwidth!r} looks exactly like 'llama' (models[0]) but is not the same id: "
        "likely a duplicate"
    )


def test_a_suggested_model_id_with_a_control_character_is_a_problem() -> None:
    documents = catalog(**{SUGGESTIONS: {"suggestions": [suggestion("kimi\x00k2")]}})
    problem = only(check_catalog(documents))
    assert (problem.file, problem.path) == (SUGGESTIONS, ("suggestions", 0, "model"))
    assert problem.message == "the model id 'kimi\\x00k2' holds a control character (U+0000)"


def test_a_retired_workload_must_be_a_known_workload() -> None:
    gone = [{"workload": "summarization", "retired": "2026-11-21"}]
    documents = edited(GROQ, lambda d: d["models"][1].update(retired_workloads=gone))
    problem = only(check_catalog(documents))
    assert problem.path == ("models", 1, "retired_workloads", 0, "workload")
    assert "unknown workload 'summarization'" in problem.message
