build-tsan/tests/integration/test_resources_http: \
 tests/integration/test_resources_http.c tests/integration/harness.h
tests/integration/harness.h:
