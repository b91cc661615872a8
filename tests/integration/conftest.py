"""The integration layer's session summary: how many asserts each target ran."""

from tests.integration import test_targets


def pytest_terminal_summary(terminalreporter):
    if test_targets.ASSERTS_RUN:
        terminalreporter.section("integration targets: asserts run")
        for target, count in sorted(test_targets.ASSERTS_RUN.items()):
            terminalreporter.write_line("%-40s %d" % (target, count))
