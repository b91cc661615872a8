"""The integration layer's session summary: how many asserts each target ran.

The tests may run in pytest-xdist workers, so what they counted comes here in their reports (each test's
record_property), not through module globals, which a worker's process keeps to itself."""

# target -> asserts run (test_targets.py); target -> (asserts run, passed, failures) (test_amazon_aws_targets.py)
ASSERTS_RUN = {}
AMAZON_AWS_ASSERTS = {}


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "asserts_run":
            target, count = value
            ASSERTS_RUN[target] = count
        elif name == "amazon_aws_asserts":
            target, run_count, passed, failures = value
            AMAZON_AWS_ASSERTS[target] = (run_count, passed, failures)


def pytest_terminal_summary(terminalreporter):
    if ASSERTS_RUN:
        terminalreporter.section("integration targets: asserts run")
        for target, count in sorted(ASSERTS_RUN.items()):
            terminalreporter.write_line("%-40s %d" % (target, count))
    if AMAZON_AWS_ASSERTS:
        terminalreporter.section("amazon.aws targets with the FQCN swapped: asserts")
        for target, (run_count, passed, failures) in sorted(AMAZON_AWS_ASSERTS.items()):
            terminalreporter.write_line("%-40s %d run, %d passed, %d failing"
                                        % (target, run_count, passed, len(failures)))
            for where, name, message in failures:
                terminalreporter.write_line("    %s  %s: %s" % (where, name, message))
