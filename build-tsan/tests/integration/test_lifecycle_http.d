build-tsan/tests/integration/test_lifecycle_http: \
 tests/integration/test_lifecycle_http.c tests/integration/harness.h
tests/integration/harness.h:
