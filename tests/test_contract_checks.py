"""Every check of the channel contract fails for a channel that breaks its rule, and a channel
that keeps every rule passes them all: the contract run by pytest itself, on a module such as
a plugin's suite holds (one run for all of them; each test here reads its part)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from publisher.testing import hard_editions, temporary_state
from support.contract_channels import BROKEN, ThreadContract

PER_EDITION = (  # the render checks run once for each hard edition
    "test_render_is_pure",
    "test_every_part_is_within_its_limit",
    "test_replies_name_earlier_parts",
)
_reports: dict[str, list[pytest.TestReport]] = {}


def contract_module() -> str:
    """Test classes as a plugin's suite writes them: the well-behaved thread, and each
    broken channel in its own."""
    names = ", ".join(channel.__name__ for channel in BROKEN)
    classes = "".join(
        f"\n\nclass Test{channel.__name__}(ThreadContract):\n"
        f"    channel_class = {channel.__name__}\n"
        for channel in BROKEN
    )
    return (
        f"from support.contract_channels import ThreadContract, {names}\n\n\n"
        f"class TestThread(ThreadContract):\n    pass\n{classes}"
    )


@pytest.fixture
def reports(pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each test class's reports, from one run: every test of the well-behaved channel, and
    for each broken one the check it should fail."""
    if not _reports:
        # What the run imports (the plugins, the migrations) is imported before pytester
        # takes its snapshot of the loaded modules, and stays.
        temporary_state(tmp_path_factory.mktemp("warm"))
        pytester.makepyfile(test_contracts=contract_module())
        chosen = " or ".join(
            f"(Test{channel.__name__} and {check})" for channel, (check, _) in BROKEN.items()
        )
        result = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "-q", "-k", f"TestThread or {chosen}"
        )
        grouped = defaultdict(list)
        for report in result.reprec.getreports("pytest_runtest_logreport"):
            if report.when == "call" or report.failed:
                grouped[report.nodeid.split("::")[1]].append(report)
        _reports.update(grouped)
    return _reports


def test_a_channel_that_keeps_every_rule_passes(reports: dict) -> None:
    tests = [name for name in dir(ThreadContract) if name.startswith("test_")]
    expected = len(tests) + (len(hard_editions()) - 1) * len(PER_EDITION)
    outcomes = [report.outcome for report in reports["TestThread"]]
    assert outcomes == ["passed"] * expected, [
        report.longreprtext for report in reports["TestThread"] if report.failed
    ]


@pytest.mark.parametrize("channel", list(BROKEN), ids=lambda channel: channel.__name__)
def test_each_check_fails_for_the_channel_that_breaks_its_rule(
    reports: dict, channel: type
) -> None:
    check, message = BROKEN[channel]
    ran = reports[f"Test{channel.__name__}"]
    failed = [report for report in ran if report.failed]
    assert failed, f"the contract's {check} let {channel.__name__} pass"
    assert {r.nodeid.split("::")[2].partition("[")[0] for r in failed} == {check}
    assert all(message in report.longreprtext for report in failed), failed[0].longreprtext
