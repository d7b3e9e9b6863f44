/* The resources around CreateGroup over real HTTP: logical elements, reading and listing groups,
 * capabilities, operations endpoints, and the transport rules (404, 405, 406, 413, 415). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static int setup(void **state)
{
    static const char *const args[] = {"--max-body", "4096", NULL};
    struct h_server *s = calloc(1, sizeof(*s));

    if (!s || h_start(s, args) != 0)
        return -1;
    *state = s;
    return 0;
}

static void request(struct h_server *s, const char *method, const char *path, const char *body,
                    struct h_resp *r)
{
    assert_int_equal(h_req(s, method, path, NULL, body, r), 0);
}

static void assert_status(const struct h_resp *r, int status)
{
    if (r->status != status)
        fprintf(stderr, "unexpected answer %d: %.*s\n", r->status, (int)r->body_len, r->body);
    assert_int_equal(r->status, status);
}

/* ---- logical elements ---- */

static void test_element_create_defaults_and_get(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char loc[128];

    request(s, "POST", "/logical-elements", "{\"DeviceID\":\"vol1\",\"ElementName\":\"Volume 1\"}",
            &r);
    assert_status(&r, 201);
    assert_string_equal(h_str(r.json, "CreationClassName"), "MSISCSITARGET_StorageVolume");
    assert_string_equal(h_str(r.json, "SystemCreationClassName"), "CIM_ComputerSystem");
    assert_string_equal(h_str(r.json, "SystemName"), "tgt01");
    assert_string_equal(h_str(r.json, "ObjectPath"),
                        "/root/cimv2/storage/iscsitarget:msiscsitarget_storagevolume."
                        "CreationClassName=\"MSISCSITARGET_StorageVolume\",DeviceID=\"vol1\","
                        "SystemCreationClassName=\"CIM_ComputerSystem\",SystemName=\"tgt01\"");
    assert_non_null(h_header(&r, "Location", loc, sizeof(loc)));
    h_resp_free(&r);
    request(s, "GET", loc, NULL, &r);
    assert_status(&r, 200);
    assert_string_equal(h_str(r.json, "DeviceID"), "vol1");
    assert_string_equal(h_str(r.json, "ElementName"), "Volume 1");
    assert_int_equal(json_array_size(json_object_get(r.json, "Groups")), 0);
    h_resp_free(&r);
}

static void test_element_duplicate_keys_conflict(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    request(s, "POST", "/logical-elements", "{\"DeviceID\":\"vol1\"}", &r);
    h_resp_free(&r);
    /* Class names compare without regard to case. */
    request(s, "POST", "/logical-elements",
            "{\"DeviceID\":\"vol1\",\"CreationClassName\":\"msiscsitarget_storagevolume\"}", &r);
    assert_status(&r, 409);
    /* The detail names the element registered, as it was spelt then. */
    assert_non_null(strstr(h_str(r.json, "detail"),
                           "/logical-elements/1, /root/cimv2/storage/iscsitarget:"
                           "msiscsitarget_storagevolume.CreationClassName=\"MSISCSITARGET_"
                           "StorageVolume\""));
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM element"), 1);
}

static void test_element_invalid_input(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char body[200];

    request(s, "POST", "/logical-elements", "{}", &r);
    assert_status(&r, 422);
    assert_string_equal(h_str(r.json, "Parameter"), "DeviceID");
    h_resp_free(&r);
    request(s, "POST", "/logical-elements", "{\"DeviceID\":5}", &r);
    assert_status(&r, 400);
    assert_string_equal(h_str(r.json, "Parameter"), "DeviceID");
    h_resp_free(&r);
    request(s, "POST", "/logical-elements", "{\"DeviceID\":\"v\",\"Size\":1}", &r);
    assert_status(&r, 400);
    assert_string_equal(h_str(r.json, "Parameter"), "Size");
    h_resp_free(&r);
    request(s, "POST", "/logical-elements",
            "{\"DeviceID\":\"v\",\"CreationClassName\":\"CIM_ComputerSystem\"}", &r);
    assert_status(&r, 422);
    assert_string_equal(h_str(r.json, "Parameter"), "CreationClassName");
    h_resp_free(&r);
    /* The system's class is a class name too, as the element's is. */
    request(s, "POST", "/logical-elements",
            "{\"DeviceID\":\"v\",\"SystemCreationClassName\":\"a b\"}", &r);
    assert_status(&r, 422);
    assert_string_equal(h_str(r.json, "Parameter"), "SystemCreationClassName");
    h_resp_free(&r);
    snprintf(body, sizeof(body), "{\"DeviceID\":\"%065d\"}", 0);
    request(s, "POST", "/logical-elements", body, &r);
    assert_status(&r, 422);
    h_resp_free(&r);
    /* A "\u0000" is a control character like any other, not the end of the value. */
    request(s, "POST", "/logical-elements", "{\"DeviceID\":\"v\\u0000x\"}", &r);
    assert_status(&r, 422);
    assert_string_equal(h_str(r.json, "Parameter"), "DeviceID");
    assert_null(json_object_get(r.json, "ReturnValue"));
    h_resp_free(&r);
    request(s, "POST", "/logical-elements", "{\"DeviceID\":\"v\",\"ElementName\":\"\\u0000\"}",
            &r);
    assert_status(&r, 422);
    assert_string_equal(h_str(r.json, "Parameter"), "ElementName");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM element"), 0);
}

static void test_element_delete(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    request(s, "POST", "/logical-elements", "{\"DeviceID\":\"a\"}", &r);
    h_resp_free(&r);
    request(s, "POST", "/logical-elements", "{\"DeviceID\":\"b\"}", &r);
    h_resp_free(&r);
    request(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/2\"]}", &r);
    assert_status(&r, 201);
    h_resp_free(&r);
    /* The element shows the group it belongs to. */
    request(s, "GET", "/logical-elements/2", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Groups")), 1);
    h_resp_free(&r);
    request(s, "DELETE", "/logical-elements/1", NULL, &r);
    assert_status(&r, 204);
    h_resp_free(&r);
    request(s, "DELETE", "/logical-elements/1", NULL, &r);
    assert_status(&r, 404);
    h_resp_free(&r);
    request(s, "GET", "/logical-elements/1", NULL, &r);
    assert_status(&r, 404);
    h_resp_free(&r);
}

static void test_element_list_pages(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char body[64];

    for (int i = 0; i < 5; i++) {
        snprintf(body, sizeof(body), "{\"DeviceID\":\"d%d\"}", i);
        request(s, "POST", "/logical-elements", body, &r);
        h_resp_free(&r);
    }
    request(s, "GET", "/logical-elements?limit=3", NULL, &r);
    assert_status(&r, 200);
    assert_int_equal(h_int(r.json, "count"), 5);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 3);
    assert_non_null(h_str(r.json, "next"));
    {
        char next[128];
        snprintf(next, sizeof(next), "%s", h_str(r.json, "next"));
        h_resp_free(&r);
        request(s, "GET", next, NULL, &r);
    }
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    assert_string_equal(h_str(json_array_get(json_object_get(r.json, "items"), 0), "DeviceID"),
                        "d3");
    assert_true(json_is_null(json_object_get(r.json, "next")));
    h_resp_free(&r);
}

/* ---- reading and listing groups ---- */

static void test_group_get_unknown_is_404(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    request(s, "GET", "/replication-groups/42", NULL, &r);
    assert_status(&r, 404);
    assert_null(json_object_get(r.json, "ReturnValue"));
    h_resp_free(&r);
    request(s, "GET", "/replication-groups/abc", NULL, &r);
    assert_status(&r, 404);
    h_resp_free(&r);
}

/* One resource answers at one URL: an id is a decimal number in its canonical form, and a
 * "%00" in the path is not a NUL that ends it ("/replication-groups/1%00/members" once read as
 * /replication-groups/1, and DELETE deleted the group). */
static void test_group_ids_are_canonical_and_nul_ends_nothing(void **state)
{
    struct h_server *s = *state;
    static const char *const not_group_1[] = {
        "/replication-groups/01",   "/replication-groups/1%00",
        "/replication-groups/1%00x", "/replication-groups/1%00/members",
        "/replication-groups%00/1",
    };
    char etag[64], hdr[96];
    struct h_resp r;

    request(s, "POST", "/replication-groups", "{\"GroupName\":\"one\"}", &r);
    assert_status(&r, 201);
    assert_non_null(h_header(&r, "ETag", etag, sizeof(etag)));
    h_resp_free(&r);
    for (size_t i = 0; i < sizeof(not_group_1) / sizeof(not_group_1[0]); i++) {
        assert_int_equal(h_status(s, "GET", not_group_1[i], NULL, NULL), 404);
        assert_int_not_equal(h_status(s, "DELETE", not_group_1[i], NULL, NULL), 204);
    }
    assert_int_equal(h_status(s, "POST", "/replication-groups%00x", NULL, "{}"), 404);
    assert_int_equal(h_status(s, "GET", "/replication-groups?limit=1%000", NULL, NULL), 400);
    assert_int_equal(h_status(s, "GET", "/replication-groups?limit=01", NULL, NULL), 400);
    assert_int_equal(h_status(s, "GET", "/logical-elements/1%00", NULL, NULL), 404);
    /* Other escapes still decode, in the path and in the query. */
    assert_int_equal(h_status(s, "GET", "/replication-groups/%31", NULL, NULL), 200);
    request(s, "GET", "/replication-groups?ElementName=%6Fne", NULL, &r);
    assert_status(&r, 200);
    assert_int_equal(h_int(r.json, "count"), 1);
    h_resp_free(&r);
    /* The group's tag matches only as sent: "g1.1", not "g01.1" or "g1.01". */
    snprintf(hdr, sizeof(hdr), "If-Match: %s\r\n", "\"g01.1\"");
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"x\"}"),
                     412);
    snprintf(hdr, sizeof(hdr), "If-Match: %s\r\n", "\"g1.01\"");
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"x\"}"),
                     412);
    snprintf(hdr, sizeof(hdr), "If-Match: \"e1.1\", %s\r\n", etag);
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"x\"}"),
                     200);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1", NULL, NULL), 200);
}

/* openapi.yaml: more than 32 query parameters is 400, up to 256; past that the connection is
 * closed at once (before the 32 KiB MHD has for a connection runs out, which left it hanging
 * unanswered until the idle timeout), and the server goes on answering. */
static void test_many_query_parameters_are_400(void **state)
{
    struct h_server *s = *state;
    static const size_t counts[] = {32, 33, 256, 257, 3000};
    static char path[40000];

    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        size_t len = (size_t)snprintf(path, sizeof(path), "/capabilities?");

        for (size_t i = 0; i < counts[c]; i++)
            len += (size_t)snprintf(path + len, sizeof(path) - len, "a%zu=%s", i,
                                    i + 1 < counts[c] ? "1&" : "1");
        assert_true(len < sizeof(path));
        assert_int_equal(h_status(s, "GET", path, NULL, NULL),
                         counts[c] > 256 ? -1 : counts[c] > 32 ? 400 : 200);
    }
    assert_int_equal(h_status(s, "GET", "/capabilities", NULL, NULL), 200);
    /* An empty segment is no parameter: 40 of them and one limit are one parameter. */
    memset(path, 0, sizeof(path));
    strcpy(path, "/replication-groups?");
    memset(path + strlen(path), '&', 40);
    strcat(path, "limit=1&");
    assert_int_equal(h_status(s, "GET", path, NULL, NULL), 200);
}

static void test_group_list_pages_without_gaps(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char body[64], next[256] = "/replication-groups?limit=2";
    int seen = 0, pages = 0;

    for (int i = 0; i < 5; i++) {
        snprintf(body, sizeof(body), "{\"GroupName\":\"g%d\"}", i);
        request(s, "POST", "/replication-groups", body, &r);
        h_resp_free(&r);
    }
    while (next[0]) {
        const json_t *items;

        request(s, "GET", next, NULL, &r);
        assert_status(&r, 200);
        assert_int_equal(h_int(r.json, "count"), 5);
        items = json_object_get(r.json, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            snprintf(body, sizeof(body), "g%d", seen++);
            assert_string_equal(h_str(json_array_get(items, i), "ElementName"), body);
        }
        snprintf(next, sizeof(next), "%s", h_str(r.json, "next") ? h_str(r.json, "next") : "");
        h_resp_free(&r);
        pages++;
    }
    assert_int_equal(seen, 5);
    assert_int_equal(pages, 3);
}

static void test_group_list_filter_by_name(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    request(s, "POST", "/replication-groups", "{\"GroupName\":\"db set\"}", &r);
    h_resp_free(&r);
    request(s, "POST", "/replication-groups", "{\"GroupName\":\"web\"}", &r);
    h_resp_free(&r);
    request(s, "GET", "/replication-groups?ElementName=db%20set", NULL, &r);
    assert_status(&r, 200);
    assert_int_equal(h_int(r.json, "count"), 1);
    assert_string_equal(h_str(json_array_get(json_object_get(r.json, "items"), 0), "ElementName"),
                        "db set");
    h_resp_free(&r);
}

static void test_group_list_bad_query(void **state)
{
    struct h_server *s = *state;
    static const char *const bad[][2] = {
        {"/replication-groups?limit=0", "limit"},
        {"/replication-groups?limit=1001", "limit"},
        {"/replication-groups?limit=x", "limit"},
        {"/replication-groups?cursor=-1", "cursor"},
        {"/replication-groups?colour=red", "colour"},
    };
    struct h_resp r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        request(s, "GET", bad[i][0], NULL, &r);
        assert_status(&r, 400);
        assert_string_equal(h_str(r.json, "Parameter"), bad[i][1]);
        h_resp_free(&r);
    }
}

/* ---- service resources ---- */

/* The same capabilities from flags and from a --config file (API.md: "set at start-up by flags
 * or a config file"). */
static void check_capabilities(const char *const *args)
{
    struct h_server s;
    struct h_resp r;
    const json_t *features;
    bool has23 = false, has14 = false;

    assert_int_equal(h_start(&s, args), 0);
    request(&s, "GET", "/capabilities", NULL, &r);
    assert_status(&r, 200);
    features = json_object_get(r.json, "SupportedGroupFeatures");
    for (size_t i = 0; i < json_array_size(features); i++) {
        has23 |= json_integer_value(json_array_get(features, i)) == 23;
        has14 |= json_integer_value(json_array_get(features, i)) == 14;
    }
    assert_true(has23);
    assert_false(has14);
    assert_int_equal(h_int(r.json, "MaxMembersPerGroup"), 8);
    assert_int_equal(h_int(json_object_get(r.json, "SupportedMaximum"), "ElementsPerGroup"), 8);
    assert_int_equal(h_int(r.json, "DefaultGroupPersistency"), 2);
    assert_int_equal(h_bool(r.json, "GroupsNameable"), 0);
    assert_string_equal(h_str(r.json, "Namespace"), "root/cimv2/storage/iscsitarget");
    h_resp_free(&r);
    /* CIM CreateGroup/ReturnValue=7: not nameable, however it was configured. */
    request(&s, "POST", "/replication-groups", "{\"GroupName\":\"n\"}", &r);
    assert_status(&r, 422);
    assert_int_equal(h_int(r.json, "ReturnValue"), 7);
    h_resp_free(&r);
    h_cleanup(&s);
}

static void test_capabilities_follow_flags(void **state)
{
    static const char *const args[] = {"--multiple-membership", "--nameable=false",
                                       "--max-members", "8", NULL};

    (void)state;
    check_capabilities(args);
}

static void test_capabilities_follow_a_config_file(void **state)
{
    char path[] = "/tmp/replgw-conf-XXXXXX";
    const char *args[] = {"--config", path, NULL};
    static const char text[] = "# capabilities\nmultiple-membership = true\nnameable = false\n"
                               "max-members = 8\n";
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    check_capabilities(args);
    unlink(path);
}

static void test_livez_and_openapi(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char ct[64];

    request(s, "GET", "/livez", NULL, &r);
    assert_status(&r, 200);
    assert_string_equal(h_str(r.json, "status"), "ok");
    h_resp_free(&r);
    request(s, "GET", "/openapi.yaml", NULL, &r);
    assert_status(&r, 200);
    assert_non_null(h_header(&r, "Content-Type", ct, sizeof(ct)));
    assert_string_equal(ct, "application/yaml");
    assert_non_null(strstr(r.body, "openapi:"));
    h_resp_free(&r);
}

/* ---- transport rules ---- */

static void test_unknown_path_is_404(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    request(s, "GET", "/no-such-thing", NULL, &r);
    assert_status(&r, 404);
    assert_non_null(h_str(r.json, "type"));
    h_resp_free(&r);
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char allow[64];

    request(s, "PUT", "/replication-groups", "{}", &r);
    assert_status(&r, 405);
    assert_non_null(h_header(&r, "Allow", allow, sizeof(allow)));
    assert_non_null(strstr(allow, "GET"));
    assert_non_null(strstr(allow, "POST"));
    h_resp_free(&r);
    request(s, "OPTIONS", "/replication-groups", NULL, &r);
    assert_status(&r, 204);
    assert_non_null(h_header(&r, "Allow", allow, sizeof(allow)));
    h_resp_free(&r);
}

/* RFC 9110 9.3.2: HEAD is GET's status and headers without the body, for curl -I and link
 * checkers; a conditional one is 304 as the GET is, and one on a path without GET is 405. */
static void test_head_is_get_without_body(void **state)
{
    struct h_server *s = *state;
    struct h_resp get, head;
    char etag[64], inm[96], len_get[32], len_head[32], allow[64];

    request(s, "POST", "/replication-groups", "{\"GroupName\":\"h\"}", &get);
    assert_status(&get, 201);
    h_resp_free(&get);
    request(s, "GET", "/replication-groups/1", NULL, &get);
    request(s, "HEAD", "/replication-groups/1", NULL, &head);
    assert_status(&head, 200);
    assert_int_equal(head.body_len, 0);
    assert_non_null(h_header(&get, "ETag", etag, sizeof(etag)));
    assert_string_equal(h_header(&head, "ETag", inm, sizeof(inm)), etag);
    assert_non_null(h_header(&get, "Content-Length", len_get, sizeof(len_get)));
    assert_string_equal(h_header(&head, "Content-Length", len_head, sizeof(len_head)), len_get);
    h_resp_free(&get);
    h_resp_free(&head);
    snprintf(inm, sizeof(inm), "If-None-Match: %s\r\n", etag);
    assert_int_equal(h_status(s, "HEAD", "/replication-groups/1", inm, NULL), 304);
    assert_int_equal(h_status(s, "HEAD", "/replication-groups/2", NULL, NULL), 404);
    assert_int_equal(h_status(s, "HEAD", "/livez", NULL, NULL), 200);
    request(s, "HEAD", "/replication-groups/1/add-members", NULL, &head);
    assert_status(&head, 405);
    assert_int_equal(head.body_len, 0);
    assert_string_equal(h_header(&head, "Allow", allow, sizeof(allow)), "POST, OPTIONS");
    h_resp_free(&head);
}

static void test_not_json_is_415(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    assert_int_equal(h_req(s, "POST", "/replication-groups", "Content-Type: text/plain\r\n",
                           "{}", &r),
                     0);
    assert_status(&r, 415);
    h_resp_free(&r);
    assert_int_equal(h_req(s, "POST", "/replication-groups",
                           "Content-Type: application/json; charset=utf-8\r\n", "{}", &r),
                     0);
    assert_status(&r, 201);
    h_resp_free(&r);
}

/* No body is no body of another media type: the 400 of a missing body, not 415. */
static void test_no_body_is_400_not_415(void **state)
{
    struct h_server *s = *state;
    static const struct {
        const char *method, *path;
        int rv; /* -1: no ReturnValue */
    } routes[] = {
        {"POST", "/replication-groups", 5},
        {"POST", "/logical-elements", -1},
        {"POST", "/replication-groups/1/add-members", 5},
        {"POST", "/replication-groups/1/remove-members", 5},
        {"PATCH", "/replication-groups/1", -1},
    };
    static const char *const headers[] = {NULL, "Content-Length: 0\r\n",
                                          "Content-Type: application/json\r\n"};
    struct h_resp r;

    request(s, "POST", "/replication-groups", "{}", &r);
    assert_status(&r, 201);
    h_resp_free(&r);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        for (size_t k = 0; k < sizeof(headers) / sizeof(headers[0]); k++) {
            assert_int_equal(h_req(s, routes[i].method, routes[i].path, headers[k], NULL, &r), 0);
            assert_status(&r, 400);
            if (routes[i].rv < 0) {
                assert_null(json_object_get(r.json, "ReturnValue"));
            } else {
                assert_int_equal(h_int(r.json, "ReturnValue"), routes[i].rv);
                assert_true(json_is_null(json_object_get(r.json, "Parameter")));
            }
            h_resp_free(&r);
        }
    }
}

static void test_unacceptable_is_406(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    assert_int_equal(h_req(s, "GET", "/capabilities", "Accept: text/html\r\n", NULL, &r), 0);
    assert_status(&r, 406);
    h_resp_free(&r);
    assert_int_equal(
        h_req(s, "GET", "/capabilities", "Accept: text/html, application/*;q=0.5\r\n", NULL, &r),
        0);
    assert_status(&r, 200);
    h_resp_free(&r);
    /* Lines of Accept are one list (RFC 9110 5.3): the second admits JSON. */
    assert_int_equal(h_req(s, "GET", "/capabilities", "Accept: text/html\r\n"
                           "Accept: application/json\r\n", NULL, &r),
                     0);
    assert_status(&r, 200);
    h_resp_free(&r);
}

/* Accept as RFC 9110 weighs it: q=0 refuses a type, the most specific matching range decides,
 * and a client that takes only application/problem+json is served. */
static void test_accept_weights_and_problem_json(void **state)
{
    struct h_server *s = *state;
    static const struct {
        const char *accept;
        int status;
    } cases[] = {
        {"application/problem+json", 200},
        {"application/*;q=0.1", 200},
        {"application/json;q=0", 406},
        {"application/json; Q=0.000", 406},
        {"text/html;q=1, application/json;q=0", 406},
        {"application/json;q=0, */*", 406},
        {"*/*;q=0", 406},
        {"application/*;q=0, application/json;q=0.001", 200},
        {"application/json;q=0.5", 200},
        {"text/html;q=0.9, application/json;charset=utf-8;q=1", 200},
    };
    struct h_resp r;
    char header[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(header, sizeof(header), "Accept: %s\r\n", cases[i].accept);
        assert_int_equal(h_req(s, "GET", "/replication-groups", header, NULL, &r), 0);
        if (r.status != cases[i].status)
            fprintf(stderr, "Accept: %s\n", cases[i].accept);
        assert_status(&r, cases[i].status);
        h_resp_free(&r);
    }
}

static void test_large_body_is_413(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char *body = malloc(8192);

    assert_non_null(body);
    snprintf(body, 8192, "{\"GroupName\":\"%08000d\"}", 0);
    request(s, "POST", "/replication-groups", body, &r);
    assert_status(&r, 413);
    h_resp_free(&r);
    free(body);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 0);
}

static void test_sigterm_stops_cleanly(void **state)
{
    struct h_server *s = *state;

    assert_int_equal(h_stop(s), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, h_teardown)
    const struct CMUnitTest tests[] = {
        T(test_element_create_defaults_and_get),
        T(test_element_duplicate_keys_conflict),
        T(test_element_invalid_input),
        T(test_element_delete),
        T(test_element_list_pages),
        T(test_group_get_unknown_is_404),
        T(test_group_ids_are_canonical_and_nul_ends_nothing),
        T(test_many_query_parameters_are_400),
        T(test_group_list_pages_without_gaps),
        T(test_group_list_filter_by_name),
        T(test_group_list_bad_query),
        cmocka_unit_test(test_capabilities_follow_flags),
        cmocka_unit_test(test_capabilities_follow_a_config_file),
        T(test_livez_and_openapi),
        T(test_unknown_path_is_404),
        T(test_wrong_method_is_405_with_allow),
        T(test_head_is_get_without_body),
        T(test_not_json_is_415),
        T(test_no_body_is_400_not_415),
        T(test_unacceptable_is_406),
        T(test_accept_weights_and_problem_json),
        T(test_large_body_is_413),
        T(test_sigterm_stops_cleanly),
    };

    return cmocka_run_group_tests_name("resources_http", tests, NULL, NULL);
}
