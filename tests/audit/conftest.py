from tests.security import figures


def pytest_sessionfinish(session, exitstatus):
    figures.write()
