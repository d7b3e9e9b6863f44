build-tsan/tests/integration/test_automation_http: \
 tests/integration/test_automation_http.c tests/integration/harness.h
tests/integration/harness.h:
