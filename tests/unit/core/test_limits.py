"""The caps and deadlines, and how the environment sets them."""

from __future__ import annotations

import pytest

from freegin_gitops.core.limits import MIB, Limits, limits_from, parse_seconds, parse_size
from freegin_gitops.errors import BadUsage


def test_defaults_leave_room_for_a_57_mb_provider_file():
    limits = limits_from({})
    assert limits == Limits()
    assert limits.max_response_bytes == 16 * MIB
    assert limits.max_file_bytes >= 4 * 57 * 1000 * 1000
    assert limits.git_timeout_s == 180
    assert limits.git_local_timeout_s == 60
    assert limits.github_timeout_s == 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1024", 1024),
        ("16MiB", 16 * MIB),
        ("16M", 16 * MIB),
        ("512k", 512 * 1024),
        ("1 GiB", 1024 * MIB),
        ("7b", 7),
        ("16 mb", 16 * MIB),
        ("lots", None),
        ("-5", None),
        ("1.5M", None),
        ("", None),
    ],
)
def test_sizes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", 2.0), ("0.25", 0.25), ("0", None), ("-1", None), ("inf", None), ("nan", None), ("x", None)],
)
def test_seconds(text, expected):
    assert parse_seconds(text) == expected


def test_the_environment_sets_each_limit():
    limits = limits_from(
        {
            "FREEGIN_MAX_RESPONSE_BYTES": "1MiB",
            "FREEGIN_MAX_FILE_BYTES": "300M",
            "FREEGIN_GITHUB_TIMEOUT_S": "5",
            "FREEGIN_GIT_TIMEOUT_S": "2.5",
            "FREEGIN_GIT_LOCAL_TIMEOUT_S": "7",
            "FREEGIN_UNRELATED": "x",
        }
    )
    assert limits == Limits(MIB, 300 * MIB, 5.0, 2.5, 7.0)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "FREEGIN_MAX_RESPONSE_BYTES",
            "huge",
            "FREEGIN_MAX_RESPONSE_BYTES='huge' is not a size in bytes such as 16MiB",
        ),
        ("FREEGIN_MAX_FILE_BYTES", "0", "FREEGIN_MAX_FILE_BYTES='0' is not a size in bytes such as 16MiB"),
        ("FREEGIN_GIT_TIMEOUT_S", "soon", "FREEGIN_GIT_TIMEOUT_S='soon' is not a number of seconds above 0"),
        (
            "FREEGIN_GITHUB_TIMEOUT_S",
            "inf",
            "FREEGIN_GITHUB_TIMEOUT_S='inf' is not a number of seconds above 0",
        ),
    ],
)
def test_a_bad_value_is_bad_usage_naming_the_variable(variable, value, message):
    with pytest.raises(BadUsage) as caught:
        limits_from({variable: value})
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


def test_the_documented_defaults_in_bytes_and_seconds():
    # README and man page: 16MiB answers, 256MiB catalog files, 60 s GitHub, 180 s / 60 s git
    assert limits_from({}) == Limits(16_777_216, 268_435_456, 60.0, 180.0, 60.0)
    assert (parse_size("16MiB"), parse_size("2m"), parse_size("1g")) == (16_777_216, 2_097_152, 1_073_741_824)


def test_a_deadline_under_a_second_and_a_one_byte_cap_are_allowed():
    limits = limits_from({"FREEGIN_GITHUB_TIMEOUT_S": "0.5", "FREEGIN_MAX_RESPONSE_BYTES": "1"})
    assert (limits.github_timeout_s, limits.max_response_bytes) == (0.5, 1)
