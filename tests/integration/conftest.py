"""The integration layer's session summary: how many asserts each target ran."""

from tests.integration import test_amazon_aws_targets
from tests.integration import test_targets


def pytest_terminal_summary(terminalreporter):
    if test_targets.ASSERTS_RUN:
        terminalreporter.section("integration targets: asserts run")
        for target, count in sorted(test_targets.ASSERTS_RUN.items()):
            terminalreporter.write_line("%-40s %d" % (target, count))
    if test_amazon_aws_targets.AMAZON_AWS_ASSERTS:
        terminalreporter.section("amazon.aws targets with the FQCN swapped: asserts")
        for target, (run_count, passed, failures) in sorted(test_amazon_aws_targets.AMAZON_AWS_ASSERTS.items()):
            terminalreporter.write_line("%-40s %d run, %d passed, %d failing"
                                        % (target, run_count, passed, len(failures)))
            for where, name, message in failures:
                terminalreporter.write_line("    %s  %s: %s" % (where, name, message))
