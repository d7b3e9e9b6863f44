/* server/: the route table and the command-line/environment parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/srv.h"

static void test_route_exact_and_id(void **state)
{
    const struct srv_route *r;
    char id[32], allow[128];

    (void)state;
    assert_int_equal(srv_route_find("POST", "/replication-groups", &r, id, sizeof(id), allow,
                                    sizeof(allow)),
                     SRV_MATCH_OK);
    assert_ptr_equal(r->handler, api_groups_create);
    assert_true(r->json_body);
    assert_int_equal(srv_route_find("GET", "/replication-groups/17", &r, id, sizeof(id), allow,
                                    sizeof(allow)),
                     SRV_MATCH_OK);
    assert_ptr_equal(r->handler, api_groups_get);
    assert_string_equal(id, "17");
}

static void test_route_unknown_path(void **state)
{
    static const char *const odd[] = {"/replication-groups/abc", "/replication-groups/01",
                                      "/replication-groups/0/members", "/logical-elements/-1",
                                      "/replication-groups/+1/add-members"};
    static const char *const methods[] = {"GET", "OPTIONS", "PUT", "POST", "DELETE"};
    const struct srv_route *r;
    char id[32], allow[128];

    (void)state;
    assert_int_equal(srv_route_find("GET", "/replication-groups/1/x", &r, id, sizeof(id), allow,
                                    sizeof(allow)),
                     SRV_MATCH_NO_PATH);
    assert_int_equal(srv_route_find("GET", "/replication-groups//", &r, id, sizeof(id), allow,
                                    sizeof(allow)),
                     SRV_MATCH_NO_PATH);
    assert_int_equal(srv_route_find("GET", "/", &r, id, sizeof(id), allow, sizeof(allow)),
                     SRV_MATCH_NO_PATH);
    /* An id not in its canonical form names no resource, whatever the method: 404, not an
     * OPTIONS answer or a 405 for a path that does not exist. */
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
            assert_int_equal(srv_route_find(methods[m], odd[i], &r, id, sizeof(id), allow,
                                            sizeof(allow)),
                             SRV_MATCH_NO_PATH);
}

static void test_route_wrong_method_lists_allowed(void **state)
{
    const struct srv_route *r;
    char id[32], allow[128];

    (void)state;
    assert_int_equal(srv_route_find("DELETE", "/replication-groups", &r, id, sizeof(id), allow,
                                    sizeof(allow)),
                     SRV_MATCH_NO_METHOD);
    assert_string_equal(allow, "POST, GET, HEAD, OPTIONS");
    assert_int_equal(srv_route_find("HEAD", "/replication-groups/7", &r, id, sizeof(id), allow,
                                    sizeof(allow)),
                     SRV_MATCH_OK);
    assert_string_equal(r->method, "GET");
    assert_string_equal(id, "7");
    assert_int_equal(srv_route_find("HEAD", "/replication-groups/7/add-members", &r, id,
                                    sizeof(id), allow, sizeof(allow)),
                     SRV_MATCH_NO_METHOD);
    assert_string_equal(allow, "POST, OPTIONS");
}

/* A 405, an OPTIONS or a refusal before routing is counted under its path's pattern and a
 * method from a fixed set; only a path no route has is "unmatched". */
static void test_route_labels(void **state)
{
    static const char *const cases[][4] = {
        /* method, path, route label, method label */
        {"PUT", "/replication-groups", "/replication-groups", "PUT"},
        {"OPTIONS", "/replication-groups/7/members", "/replication-groups/{id}/members",
         "OPTIONS"},
        {"BREW", "/livez", "/livez", "other"},
        {"GET", "/nowhere", "unmatched", "-"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *pattern, *method;

        srv_route_labels(cases[i][0], cases[i][1], &pattern, &method);
        assert_string_equal(pattern, cases[i][2]);
        assert_string_equal(method, cases[i][3]);
    }
}

static void test_accept_weights(void **state)
{
    const char *json = "application/json";

    (void)state;
    assert_true(srv_accepts(NULL, json));
    assert_true(srv_accepts("*/*", json));
    assert_true(srv_accepts("application/*;q=0.5", json));
    assert_true(srv_accepts("application/problem+json", json)); /* takes only problems */
    assert_false(srv_accepts("text/html", json));
    assert_false(srv_accepts("application/json;q=0", json));
    assert_false(srv_accepts("application/json;q=0, */*", json)); /* the exact range decides */
    assert_true(srv_accepts("application/*;q=0, application/json", json));
    assert_true(srv_is_json_type("application/merge-patch+json; charset=utf-8"));
    assert_false(srv_is_json_type("text/plain"));
    assert_true(srv_is_json_type("application/json;charset=\"UTF-8\""));
    assert_true(srv_is_json_type("application/json; foo=bar; charset=utf8 "));
    assert_false(srv_is_json_type("application/json; charset=utf-16"));
    assert_false(srv_is_json_type("application/json; charset=iso-8859-1"));
    assert_false(srv_is_json_type("application/json; foo; charset=latin1"));
}

/* "%HH" decodes but "%00", which would end the C string a handler reads. */
static void test_unescape_keeps_nul_escaped(void **state)
{
    char a[] = "/replication-groups/92%00/members", b[] = "/x%2fy%41%4", c[] = "%00%30";

    (void)state;
    assert_int_equal(srv_unescape(NULL, NULL, a), strlen("/replication-groups/92%00/members"));
    assert_string_equal(a, "/replication-groups/92%00/members");
    assert_int_equal(srv_unescape(NULL, NULL, b), 7);
    assert_string_equal(b, "/x/yA%4");
    srv_unescape(NULL, NULL, c);
    assert_string_equal(c, "%000");
}

static void test_none_match(void **state)
{
    (void)state;
    assert_true(api_etag_listed("\"g1.2\"", "\"g1.2\"", true));
    assert_true(api_etag_listed("\"e1.1\", W/\"g1.2\"", "\"g1.2\"", true));
    assert_false(api_etag_listed("\"e1.1\", W/\"g1.2\"", "\"g1.2\"", false));
    assert_true(api_etag_listed("\"e1.1\" ,\t\"g1.2\"", "\"g1.2\"", false));
    assert_true(api_etag_listed("*", "\"g1.2\"", false));
    assert_false(api_etag_listed("\"g1.3\"", "\"g1.2\"", true));
    assert_false(api_etag_listed("\"g1.2", "\"g1.2\"", true));
    assert_false(api_etag_listed(NULL, "\"g1.2\"", true));
}

/* Parses args as a command line. They are copied first: a real argv is writable, and the
 * parser cuts comma-separated lists in place. cfg points into the copies until the next call. */
static int parse(struct srv_config *cfg, const char *const *args)
{
    static char copies[16][160];
    char *argv[17];
    int argc = 0;
    FILE *null = fopen("/dev/null", "w");
    int rc;

    argv[argc++] = "replgw";
    for (; *args && argc <= 16; args++, argc++) {
        snprintf(copies[argc - 1], sizeof(copies[0]), "%s", *args);
        argv[argc] = copies[argc - 1];
    }
    rc = srv_config_parse(cfg, argc, argv, null, null);
    fclose(null);
    return rc;
}

static void test_config_defaults(void **state)
{
    static const char *const none[] = {NULL};
    struct srv_config cfg;

    (void)state;
    unsetenv("REPLGW_THREADS");
    assert_int_equal(parse(&cfg, none), 0);
    assert_true(cfg.threads >= 1 && cfg.threads <= SRV_MAX_THREADS);
    assert_string_equal(cfg.listen, "127.0.0.1");
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.db_path, "replgw.db");
    assert_true(cfg.caps.nameable);
    assert_true(cfg.caps.empty_groups);
    assert_true(cfg.caps.temporary_groups);
    assert_false(cfg.caps.multiple_membership);
    assert_int_equal(cfg.caps.default_persistency, CIM_PERSISTENCY_PERSISTENT);
    assert_string_equal(cfg.caps.ns, "root/cimv2/storage/iscsitarget");
}

static void test_config_flags(void **state)
{
    static const char *const args[] = {"--port=0", "--no-nameable", "--multiple-membership",
                                       "--max-members", "8", "--access-point", "a",
                                       "--access-point=b", "--access-point", "a, c ",
                                       "--default-persistency", "none", "--threads", "4",
                                       NULL};
    struct srv_config cfg;

    (void)state;
    assert_int_equal(parse(&cfg, args), 0);
    assert_int_equal(cfg.port, 0);
    assert_false(cfg.caps.nameable);
    assert_true(cfg.caps.multiple_membership);
    assert_int_equal(cfg.caps.max_members, 8);
    /* A list in one flag adds up with the others; a name given twice is one. */
    assert_int_equal(cfg.caps.n_access_points, 3);
    assert_string_equal(cfg.caps.access_points[1], "b");
    assert_string_equal(cfg.caps.access_points[2], "c");
    assert_int_equal(cfg.caps.default_persistency, CIM_PERSISTENCY_NONE);
    assert_int_equal(cfg.threads, 4);
}

static void test_config_environment_then_flags(void **state)
{
    static const char *const args[] = {"--port", "9000", NULL};
    struct srv_config cfg;

    (void)state;
    setenv("REPLGW_PORT", "7000", 1);
    setenv("REPLGW_EMPTY_GROUPS", "false", 1);
    setenv("REPLGW_ACCESS_POINTS", "p1,p2", 1);
    assert_int_equal(parse(&cfg, args), 0);
    unsetenv("REPLGW_PORT");
    unsetenv("REPLGW_EMPTY_GROUPS");
    unsetenv("REPLGW_ACCESS_POINTS");
    assert_int_equal(cfg.port, 9000);
    assert_false(cfg.caps.empty_groups);
    assert_int_equal(cfg.caps.n_access_points, 2);
}

/* --help shows "--nameable BOOL" as it shows "--port N": both forms take the value. */
static void test_config_bool_value_as_next_argument(void **state)
{
    static const char *const spaced[] = {"--nameable", "FALSE", "--empty-groups", "Off",
                                         "--multiple-membership", "--port", "1", NULL};
    static const char *const alone[] = {"--temporary-groups", NULL};
    struct srv_config cfg;

    (void)state;
    assert_int_equal(parse(&cfg, spaced), 0);
    assert_false(cfg.caps.nameable);
    assert_false(cfg.caps.empty_groups);
    assert_true(cfg.caps.multiple_membership);
    assert_int_equal(cfg.port, 1);
    assert_int_equal(parse(&cfg, alone), 0);
    assert_true(cfg.caps.temporary_groups);
}

static void test_origins(void **state)
{
    static const char *const list = "https://a.example, http://b.example:8080 ,https://c.example";

    (void)state;
    assert_true(srv_origin_allowed(list, "https://a.example"));
    assert_true(srv_origin_allowed(list, "http://b.example:8080"));
    assert_true(srv_origin_allowed(list, "https://c.example"));
    assert_false(srv_origin_allowed(list, "https://b.example:8080"));
    assert_false(srv_origin_allowed(list, " https://a.example"));
    assert_true(srv_origin_allowed("*", "https://any.example"));
    assert_null(srv_origin_list_fault(list));
    assert_null(srv_origin_list_fault("*"));
    assert_non_null(srv_origin_list_fault("https://a.example/"));
    assert_non_null(srv_origin_list_fault("https://"));
    assert_non_null(srv_origin_list_fault("https://a.example?x"));
    assert_non_null(srv_origin_list_fault("https://u@a.example"));
    assert_non_null(srv_origin_list_fault("https://a.example:99999"));
    assert_non_null(srv_origin_list_fault("https://a.example:0"));
    assert_non_null(srv_origin_list_fault("https://a.example:"));
    assert_non_null(srv_origin_list_fault("https://a.example:443"));
    assert_non_null(srv_origin_list_fault("http://a.example:80"));
    assert_null(srv_origin_list_fault("http://a.example:443"));
    assert_null(srv_origin_list_fault("HTTPS://A.example:8443, http://[::1]:3000"));
    assert_true(srv_origin_allowed("https://A.Example", "https://a.example"));
}

static void test_framing(void **state)
{
    (void)state;
    assert_int_equal(srv_framing(0, 0, ""), SRV_FRAMING_OK);
    assert_int_equal(srv_framing(1, 0, ""), SRV_FRAMING_OK);
    assert_int_equal(srv_framing(0, 1, "chunked"), SRV_FRAMING_OK);
    assert_int_equal(srv_framing(0, 1, "Chunked"), SRV_FRAMING_OK);
    assert_int_equal(srv_framing(2, 0, ""), SRV_FRAMING_AMBIGUOUS);
    assert_int_equal(srv_framing(1, 1, "chunked"), SRV_FRAMING_AMBIGUOUS);
    assert_int_equal(srv_framing(0, 2, "chunked"), SRV_FRAMING_AMBIGUOUS);
    assert_int_equal(srv_framing(0, 1, "gzip"), SRV_FRAMING_UNKNOWN);
    assert_int_equal(srv_framing(0, 1, "gzip, chunked"), SRV_FRAMING_UNKNOWN);
}

static void test_config_rejects_bad_input(void **state)
{
    static const char *const bad[][3] = {
        {"--port", "70000", NULL}, {"--port", "x", NULL},       {"--nameable=maybe", NULL, NULL},
        {"--nameable", "maybe"},
        {"--bogus", NULL, NULL},   {"positional", NULL, NULL}, {"--db", NULL, NULL},
        {"--no-port", NULL, NULL}, {"--threads", "0", NULL},    {"--threads", "17", NULL},
        {"--max-connections", "0", NULL}, {"--cors-origin", "https://a.example/", NULL},
        {"--cors-origin", "a.example", NULL}, {"--cors-origin", "https://a.example, *", NULL},
        {"--cors-origin", "https://a.example/path", NULL},
        {"--no-multiple-membership=true", NULL, NULL}, {"--no-port", "1", NULL},
        {"--access-point", "a, ,b", NULL},
        /* Beyond int64, which counts in the store and integers in /capabilities are. */
        {"--max-groups", "9223372036854775808", NULL},
        {"--max-members", "18446744073709551615", NULL},
        /* SQLite takes the busy timeout as an int. */
        {"--busy-timeout", "2147483648", NULL}, {"--max-json-depth", "2049", NULL},
        {"--max-body", "0", NULL},
        /* The namespace starts every path the service writes, which must parse back. */
        {"--namespace", "/root/x/", NULL}, {"--namespace", "a b", NULL},
        {"--namespace", "root//x", NULL}, {"--namespace", "root/x:y", NULL},
        {"--namespace", "root\\x", NULL},
    };
    static const char *const largest[] = {"--max-groups", "9223372036854775807", "--max-members",
                                          "9223372036854775807", "--busy-timeout", "2147483647",
                                          "--namespace", "Root/My_NS2", NULL};
    struct srv_config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(&cfg, bad[i]), -1);
    assert_int_equal(parse(&cfg, largest), 0);
    assert_true(cfg.caps.max_groups == INT64_MAX && cfg.caps.max_members == INT64_MAX);
    assert_int_equal(cfg.busy_timeout_ms, 2147483647);
}

/* Writes text to a new temporary file; returns its path (static storage, one at a time). */
static const char *config_file(const char *text)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/replgw-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* API.md: capabilities "are set at start-up by flags or a config file". The file sets what the
 * flags set; the environment wins over it, and flags over both. */
static void test_config_file_then_environment_then_flags(void **state)
{
    const char *path = config_file("\xEF\xBB\xBF# replgw.conf, with an editor's byte-order mark\n"
                                   "port = 9100\n"
                                   "  nameable=false   # no GroupName\n"
                                   "\n"
                                   "multiple-membership\n"
                                   "max-members 8\n"
                                   "access-point = a\n"
                                   "access-point = b,c\r\n"
                                   "system-name = \"tgt #01\"  # a '#' in quotes is kept\n"
                                   "namespace = 'root/x'\n"
                                   "default-persistency = none\n");
    const char *args[] = {"--config", path, "--max-members", "9", NULL};
    const char *args_eq[] = {NULL, NULL};
    char eq[96];
    struct srv_config cfg;

    (void)state;
    setenv("REPLGW_PORT", "9200", 1);
    assert_int_equal(parse(&cfg, args), 0);
    unsetenv("REPLGW_PORT");
    assert_int_equal(cfg.port, 9200);
    assert_false(cfg.caps.nameable);
    assert_true(cfg.caps.multiple_membership);
    assert_int_equal(cfg.caps.max_members, 9);
    assert_int_equal(cfg.caps.n_access_points, 3);
    assert_string_equal(cfg.caps.access_points[2], "c");
    assert_string_equal(cfg.caps.system_name, "tgt #01"); /* the quotes are not the value */
    assert_string_equal(cfg.caps.ns, "root/x");
    assert_int_equal(cfg.caps.default_persistency, CIM_PERSISTENCY_NONE);
    /* --config=FILE, and REPLGW_CONFIG when no flag names one. */
    snprintf(eq, sizeof(eq), "--config=%s", path);
    args_eq[0] = eq;
    assert_int_equal(parse(&cfg, args_eq), 0);
    assert_int_equal(cfg.port, 9100);
    setenv("REPLGW_CONFIG", path, 1);
    assert_int_equal(parse(&cfg, args + 4), 0);
    unsetenv("REPLGW_CONFIG");
    assert_false(cfg.caps.nameable);
    unlink(path);
}

/* The access points are one option with a list for value: a stronger source replaces the
 * list of a weaker one (flags over the environment over the file), as for any other option;
 * an empty flag value leaves none. */
static void test_config_access_points_follow_precedence(void **state)
{
    const char *path = config_file("access-point = fileA\naccess-point = fileB\n");
    const char *file_only[] = {"--config", path, NULL};
    const char *with_flags[] = {"--config", path, "--access-point", "f1", "--access-point=f2",
                                NULL};
    const char *emptied[] = {"--config", path, "--access-point=", NULL};
    struct srv_config cfg;

    (void)state;
    assert_int_equal(parse(&cfg, file_only), 0);
    assert_int_equal(cfg.caps.n_access_points, 2);
    setenv("REPLGW_ACCESS_POINTS", "e1,e2,e3", 1);
    assert_int_equal(parse(&cfg, file_only), 0);
    assert_int_equal(cfg.caps.n_access_points, 3);
    assert_string_equal(cfg.caps.access_points[0], "e1");
    assert_int_equal(parse(&cfg, with_flags), 0);
    assert_int_equal(cfg.caps.n_access_points, 2);
    assert_string_equal(cfg.caps.access_points[0], "f1");
    assert_string_equal(cfg.caps.access_points[1], "f2");
    assert_int_equal(parse(&cfg, emptied), 0);
    assert_int_equal(cfg.caps.n_access_points, 0);
    unsetenv("REPLGW_ACCESS_POINTS");
    unlink(path);
}

static void test_config_file_rejects_bad_input(void **state)
{
    static const char *const bad[] = {
        "bogus = 1\n", "port = x\n", "nameable = maybe\n", "= 5\n", "port\n", "threads = 0\n",
        /* a quote opened and not closed at the value's end */
        "system-name = \"tgt\n", "system-name = 'tgt\" # x\n", "system-name = \"a\" b\n",
    };
    const char *args[] = {"--config", NULL, NULL};
    const char *missing[] = {"--config", "/nonexistent/replgw.conf", NULL};
    const char *no_value[] = {"--config", NULL};
    struct srv_config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        args[1] = config_file(bad[i]);
        assert_int_equal(parse(&cfg, args), -1);
        unlink(args[1]);
    }
    assert_int_equal(parse(&cfg, missing), -1);
    assert_int_equal(parse(&cfg, no_value), -1);
}

/* Only the value that is used is judged: a bad one that a stronger source overrides is not. */
static void test_config_judges_the_value_used(void **state)
{
    const char *path = config_file("port = x\nnameable = maybe\n");
    const char *flags[] = {"--config", path, "--port", "9300", "--no-nameable", NULL};
    const char *file_only[] = {"--config", path, "--port", "9300", NULL};
    struct srv_config cfg;

    (void)state;
    setenv("REPLGW_THREADS", "zero", 1);
    assert_int_equal(parse(&cfg, (const char *[]){"--threads", "2", NULL}), 0);
    assert_int_equal(cfg.threads, 2);
    assert_int_equal(parse(&cfg, (const char *[]){NULL}), -1);
    unsetenv("REPLGW_THREADS");
    assert_int_equal(parse(&cfg, flags), 0);
    assert_int_equal(cfg.port, 9300);
    assert_false(cfg.caps.nameable);
    assert_int_equal(parse(&cfg, file_only), -1); /* nameable = maybe is used, and bad */
    setenv("REPLGW_NAMEABLE", "true", 1);
    assert_int_equal(parse(&cfg, file_only), 0);
    unsetenv("REPLGW_NAMEABLE");
    unlink(path);
}

static void test_config_help(void **state)
{
    static const char *const args[] = {"--help", NULL};
    struct srv_config cfg;

    (void)state;
    assert_int_equal(parse(&cfg, args), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_exact_and_id),
        cmocka_unit_test(test_route_unknown_path),
        cmocka_unit_test(test_route_wrong_method_lists_allowed),
        cmocka_unit_test(test_route_labels),
        cmocka_unit_test(test_accept_weights),
        cmocka_unit_test(test_unescape_keeps_nul_escaped),
        cmocka_unit_test(test_none_match),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_flags),
        cmocka_unit_test(test_config_environment_then_flags),
        cmocka_unit_test(test_config_bool_value_as_next_argument),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_origins),
        cmocka_unit_test(test_config_rejects_bad_input),
        cmocka_unit_test(test_config_file_then_environment_then_flags),
        cmocka_unit_test(test_config_access_points_follow_precedence),
        cmocka_unit_test(test_config_file_rejects_bad_input),
        cmocka_unit_test(test_config_judges_the_value_used),
        cmocka_unit_test(test_config_help),
    };

    return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
