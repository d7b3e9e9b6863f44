/* api/: handlers driven with JSON strings and no socket, over a real database in a temporary
 * file. jansson allocates through cmocka, so a leaked json_t fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "db/db.h"

struct fixture {
    char dir[64];
    struct db *db;
    struct cim_service svc;
    struct api_ctx ctx;
};

static void *json_test_malloc(size_t n)
{
    return test_malloc(n);
}

static void json_test_free(void *p)
{
    test_free(p);
}

static int setup(void **state)
{
    static const struct db_options opts = {.busy_timeout_ms = 100};
    struct cim_caps caps = {.system_name = "tgt01", .ns = CIM_DEFAULT_NAMESPACE,
                            .nameable = true, .empty_groups = true, .temporary_groups = true,
                            .default_persistency = CIM_PERSISTENCY_PERSISTENT};
    struct fixture *f = calloc(1, sizeof(*f));
    char path[96], why[256];

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/replgw-api-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(path, sizeof(path), "%s/t.db", f->dir);
    if (db_open(path, &opts, &f->db, why, sizeof(why)) != DB_OK ||
        cim_service_init(&f->svc, f->db, &caps, why, sizeof(why)) != 0)
        return -1;
    f->ctx.svc = &f->svc;
    f->ctx.openapi = "openapi: 3.1.0\n";
    f->ctx.openapi_len = strlen(f->ctx.openapi);
    json_set_alloc_funcs(json_test_malloc, json_test_free);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    json_set_alloc_funcs(malloc, free);
    cim_service_fini(&f->svc);
    db_close(f->db);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Renders reply as the server does before it sends; group answers are JSON text, read back into
 * body for the assertions. */
static void render(struct api_reply *reply)
{
    api_reply_render(reply);
    if (!reply->body && reply->text && !reply->content_type)
        reply->body = json_loads(reply->text, 0, NULL);
}

static void call(struct fixture *f, api_handler h, const char *id, const char *body,
                 struct api_reply *reply)
{
    struct api_request req = {.method = "POST", .path = "/x", .id = id, .body = body,
                              .body_len = body ? strlen(body) : 0};

    memset(reply, 0, sizeof(*reply));
    h(&f->ctx, &req, reply);
    render(reply);
}

static const char *str(const struct api_reply *r, const char *name)
{
    return json_string_value(json_object_get(r->body, name));
}

static json_int_t num(const struct api_reply *r, const char *name)
{
    return json_integer_value(json_object_get(r->body, name));
}

static void test_create_group_reply_shape(void **state)
{
    struct fixture *f = *state;
    struct api_reply r;

    call(f, api_groups_create, NULL, "{\"GroupName\":\"g\"}", &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.location, "/replication-groups/1");
    assert_non_null(r.etag);
    assert_int_equal(num(&r, "ReturnValue"), 0);
    assert_string_equal(str(&r, "InstanceID"), "REPLGW:1");
    assert_string_equal(str(&r, "ReplicationGroup"),
                        "/root/cimv2/storage/iscsitarget:cim_replicationgroup."
                        "InstanceID=\"REPLGW:1\"");
    assert_string_equal(str(&r, "HostingSystem"),
                        "/root/cimv2/storage/iscsitarget:cim_computersystem."
                        "CreationClassName=\"CIM_ComputerSystem\",Name=\"tgt01\"");
    api_reply_clear(&r);
}

static void test_problem_body_carries_return_value(void **state)
{
    struct fixture *f = *state;
    struct api_reply r;

    call(f, api_groups_create, NULL, "{\"GroupName\":\"\"}", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_int_equal(num(&r, "status"), 422);
    assert_int_equal(num(&r, "ReturnValue"), 5);
    assert_string_equal(str(&r, "ReturnValueName"), "Invalid Parameter");
    assert_string_equal(str(&r, "Parameter"), "GroupName");
    assert_non_null(strstr(str(&r, "type"), "invalid-parameter"));
    api_reply_clear(&r);
}

static void test_every_return_value_maps_to_its_status(void **state)
{
    static const struct {
        enum cim_rv rv;
        unsigned status;
    } map[] = {{CIM_RV_NOT_SUPPORTED, 501}, {CIM_RV_UNKNOWN, 500},  {CIM_RV_TIMEOUT, 503},
               {CIM_RV_FAILED, 500},        {CIM_RV_INVALID_PARAMETER, 422},
               {CIM_RV_IN_USE, 409},        {CIM_RV_NOT_NAMEABLE, 422}};
    struct api_reply r = {0};
    struct cim_err err;

    (void)state;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        cim_err_clear(&err);
        cim_err_set(&err, map[i].rv, "P", "d");
        api_reply_cim(&r, &err, API_M_CREATE_GROUP);
        assert_int_equal(r.status, map[i].status);
        assert_int_equal(num(&r, "ReturnValue"), map[i].rv);
        assert_int_equal(r.retry_after, map[i].rv == CIM_RV_TIMEOUT ? 1 : 0);
        api_reply_clear(&r);
    }
    cim_err_clear(&err);
    cim_err_set(&err, CIM_RV_NOT_FOUND, NULL, "gone");
    api_reply_cim(&r, &err, API_M_CREATE_GROUP);
    assert_int_equal(r.status, 404);
    assert_null(json_object_get(r.body, "ReturnValue"));
    api_reply_clear(&r);
}

/* A detail cut inside a multi-byte character still makes a problem body (found by fuzzing). */
static void test_problem_with_cut_utf8_detail(void **state)
{
    struct api_reply r = {0};
    struct cim_err err;

    (void)state;
    cim_err_clear(&err);
    cim_err_set(&err, CIM_RV_INVALID_PARAMETER, "Members[1]", "bad path \xd9");
    api_reply_cim(&r, &err, API_M_CREATE_GROUP);
    assert_int_equal(r.status, 422);
    assert_non_null(r.body);
    assert_string_equal(str(&r, "detail"), "bad path ?");
    api_reply_clear(&r);
}

/* A name too long for Parameter is cut with an ellipsis, never passed off as the whole. */
static void test_problem_cut_parameter_is_marked(void **state)
{
    struct fixture *f = *state;
    char body[512], name[301];
    struct api_reply r;
    const char *param;

    memset(name, 'k', 300);
    name[300] = '\0';
    snprintf(body, sizeof(body), "{\"%s\":1}", name);
    call(f, api_groups_create, NULL, body, &r);
    assert_int_equal(r.status, 400);
    param = str(&r, "Parameter");
    assert_true(strlen(param) < 100);
    assert_string_equal(param + strlen(param) - 3, "\xE2\x80\xA6");
    assert_int_equal(strspn(param, "k"), strlen(param) - 3);
    api_reply_clear(&r);
    snprintf(body, sizeof(body), "{\"ReplicationSettingData\":{\"%s\":1}}", name);
    call(f, api_groups_create, NULL, body, &r);
    assert_int_equal(r.status, 400);
    param = str(&r, "Parameter");
    assert_true(strncmp(param, "ReplicationSettingData.kkk", 26) == 0);
    assert_string_equal(param + strlen(param) - 3, "\xE2\x80\xA6");
    api_reply_clear(&r);
}

static void test_strict_json(void **state)
{
    struct fixture *f = *state;
    static const char *const bodies[][2] = {
        {"", NULL},
        {"nope", NULL},
        /* A duplicate key is named where it stands, whatever the text around it holds. */
        {"{\"a\":1,\"a\":2}", "a"},
        {"{\"ReplicationSettingData\":{\"Pairing\":3,\"Pairing\":3}}",
         "ReplicationSettingData.Pairing"},
        {"{\"Members\":[\"x\", {\"b\":[1,{}],\"a\":1 , \"a\":1}]}", "Members[1].a"},
        {"{\"s\":\"\\\"{[,\",\"q\\\"\\u0041\":{},\"q\\\"A\":0}", "q\"A"},
        {"{\"GroupName\":\"x\",\"Extra\":true}", "Extra"},
        {"{\"DeleteOnEmptyElement\":1}", "DeleteOnEmptyElement"},
        {"{\"ServiceAccessPoint\":[]}", "ServiceAccessPoint"},
        {"{\"\":1}", ""}, /* an empty name is named, not left null */
    };
    struct api_reply r;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        call(f, api_groups_create, NULL, bodies[i][0], &r);
        assert_int_equal(r.status, 400);
        assert_int_equal(num(&r, "ReturnValue"), 5);
        if (bodies[i][1])
            assert_string_equal(str(&r, "Parameter"), bodies[i][1]);
        else
            assert_true(json_is_null(json_object_get(r.body, "Parameter")));
        api_reply_clear(&r);
    }
}

/* A body parsed ahead (on a request thread) is what the handler uses; a body that fails any
 * check is not prepared, so the handler parses it again and answers the problem. */
static void test_prepared_body(void **state)
{
    struct fixture *f = *state;
    const struct api_limits limits = {.max_depth = 4, .max_string = 16};
    static const char *const bad[] = {"nope", "[1]", "{\"a\":1,\"a\":2}",
                                      "{\"a\":[[[[[1]]]]]}", "{\"a\":\"12345678901234567\"}"};
    const char *good = "{\"GroupName\":\"ahead\"}";
    struct api_request req = {.method = "POST", .path = "/x", .body = good,
                              .body_len = strlen(good)};
    struct api_reply r = {0};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct api_request b = {.body = bad[i], .body_len = strlen(bad[i])};

        assert_null(api_json_prepare(&b, &limits));
    }
    req.json = api_json_prepare(&req, &limits);
    assert_non_null(req.json);
    /* The raw body no longer matters once prepared. */
    req.body = "garbage";
    req.body_len = strlen(req.body);
    api_groups_create(&f->ctx, &req, &r);
    render(&r);
    assert_int_equal(r.status, 201);
    assert_string_equal(str(&r, "ElementName"), "ahead");
    api_reply_clear(&r);
    json_decref(req.json);
}

static void test_rsd_round_trip(void **state)
{
    struct fixture *f = *state;
    struct api_reply r;
    const json_t *rsd;

    call(f, api_groups_create, NULL,
         "{\"ReplicationSettingData\":{\"DesiredCopyMethodology\":4,\"DeltaUpdateInterval\":"
         "\"00000000002300.000000:000\",\"FailedCopyStopsHostIO\":false,\"OnGroupOrListError\":"
         "null}}",
         &r);
    assert_int_equal(r.status, 201);
    rsd = json_object_get(r.body, "ReplicationSettingData");
    assert_int_equal(json_integer_value(json_object_get(rsd, "DesiredCopyMethodology")), 4);
    assert_string_equal(json_string_value(json_object_get(rsd, "DeltaUpdateInterval")),
                        "00000000002300.000000:000");
    assert_true(json_is_false(json_object_get(rsd, "FailedCopyStopsHostIO")));
    assert_null(json_object_get(rsd, "OnGroupOrListError"));
    api_reply_clear(&r);
    call(f, api_groups_create, NULL, "{\"ReplicationSettingData\":{\"Multihop\":-1}}", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(str(&r, "Parameter"), "ReplicationSettingData.Multihop");
    api_reply_clear(&r);
}

/* A property named twice, in any spelling, is refused as the MOF form refuses it, even when
 * one of the two is null and so never added. */
static void test_rsd_property_given_twice(void **state)
{
    struct fixture *f = *state;
    static const char *const bodies[] = {
        "{\"ReplicationSettingData\":{\"Multihop\":1,\"MULTIHOP\":2}}",
        "{\"ReplicationSettingData\":{\"Multihop\":1,\"MULTIHOP\":null}}",
        "{\"ReplicationSettingData\":{\"multihop\":null,\"Multihop\":1}}",
        "{\"ReplicationSettingData\":{\"multihop\":null,\"Multihop\":null}}",
    };
    struct api_reply r;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        call(f, api_groups_create, NULL, bodies[i], &r);
        assert_int_equal(r.status, 422);
        assert_int_equal(num(&r, "ReturnValue"), 5);
        assert_string_equal(str(&r, "Parameter"), "ReplicationSettingData.Multihop");
        api_reply_clear(&r);
    }
    call(f, api_groups_create, NULL, "{\"ReplicationSettingData\":{\"Multihop\":null}}", &r);
    assert_int_equal(r.status, 201);
    api_reply_clear(&r);
}

/* jansson refuses integers outside int64; the uint64 properties still take the whole range,
 * and a big integer anywhere else is refused naming its field. */
static void test_rsd_integers_beyond_int64(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *body;
        unsigned status;
        const char *param; /* NULL: none */
    } refused[] = {
        {"{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":18446744073709551616}}", 422,
         "ReplicationSettingData.DeltaUpdateBlocks"},
        {"{\"ReplicationSettingData\":{\"MaximumSkew\":-9223372036854775809}}", 422,
         "ReplicationSettingData.MaximumSkew"},
        {"{\"ReplicationSettingData\":{\"Multihop\":9223372036854775808}}", 422,
         "ReplicationSettingData.Multihop"},
        {"{\"ReplicationSettingData\":{\"ElementName\":9223372036854775808}}", 400,
         "ReplicationSettingData.ElementName"},
        {"{\"ReplicationSettingData\":{\"Generation\":[9223372036854775808]}}", 400,
         "ReplicationSettingData.Generation"},
        {"{\"GroupName\":99999999999999999999}", 400, "GroupName"},
        {"{\"Members\":[\"/logical-elements/1\",-99999999999999999999]}", 400, "Members"},
        /* A "\u0000" of the body's own is a control character beside a big integer too... */
        {"{\"GroupName\":\"a\\u0000\",\"ReplicationSettingData\":{\"Generation\":"
         "9223372036854775808}}",
         422, "GroupName"},
        {"{\"ReplicationSettingData\":{\"ElementName\":\"\\u0000x\",\"MaximumSkew\":"
         "9223372036854775808}}",
         422, "ReplicationSettingData.ElementName"},
        /* ...and a string that looks like a mark is a string, with or without big integers. */
        {"{\"ReplicationSettingData\":{\"Generation\":\"\\u00009223372036854775808\"}}", 400,
         "ReplicationSettingData.Generation"},
        {"{\"ReplicationSettingData\":{\"Generation\":\"\\u0000123\",\"MaximumSkew\":"
         "9223372036854775808}}",
         400, "ReplicationSettingData.Generation"},
        /* A leading zero: the body stays malformed. */
        {"{\"ReplicationSettingData\":{\"Generation\":09223372036854775808}}", 400, NULL},
    };
    struct api_reply r;

    call(f, api_groups_create, NULL,
         "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":18446744073709551615,"
         "\"MaximumSkew\":9223372036854775808,\"Generation\":9223372036854775807}}",
         &r);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.text, "\"DeltaUpdateBlocks\":18446744073709551615"));
    assert_non_null(strstr(r.text, "\"MaximumSkew\":9223372036854775808"));
    assert_non_null(strstr(r.text, "\"Generation\":9223372036854775807"));
    api_reply_clear(&r);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        call(f, api_groups_create, NULL, refused[i].body, &r);
        assert_int_equal(r.status, refused[i].status);
        assert_int_equal(num(&r, "ReturnValue"), 5);
        if (refused[i].param)
            assert_string_equal(str(&r, "Parameter"), refused[i].param);
        else
            assert_true(json_is_null(json_object_get(r.body, "Parameter")));
        api_reply_clear(&r);
    }
}

/* API.md: 400 for wrong types and unknown fields, 422 for well-formed values refused. The first
 * fault is of the 400 kind whenever there is one, whatever the order of the keys and of the
 * array's entries, in CreateGroup and in AddMembers alike. */
static void test_bad_types_before_bad_values(void **state)
{
    struct fixture *f = *state;
    static const struct {
        api_handler h;
        const char *body, *param;
    } cases[] = {
        {api_groups_create, "{\"ReplicationSettingData\":{\"Pairing\":9,\"Foo\":1}}",
         "ReplicationSettingData.Foo"},
        {api_groups_create, "{\"ReplicationSettingData\":{\"Pairing\":9,\"Multihop\":true}}",
         "ReplicationSettingData.Multihop"},
        {api_groups_create, "{\"Members\":[\"a\\u0000\",5]}", "Members[1]"},
        {api_groups_create,
         "{\"Members\":[\"a\\u0000\"],\"ReplicationSettingData\":{\"Multihop\":\"x\"}}",
         "ReplicationSettingData.Multihop"},
        {api_groups_add_members,
         "{\"Members\":[\"a\\u0000\"],\"ReplicationSettingData\":{\"Foo\":1}}",
         "ReplicationSettingData.Foo"},
    };
    struct api_reply r;

    /* Group 1, for AddMembers: a missing group would be told first. */
    call(f, api_groups_create, NULL, "{}", &r);
    assert_int_equal(r.status, 201);
    api_reply_clear(&r);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        call(f, cases[i].h, cases[i].h == api_groups_create ? NULL : "1", cases[i].body, &r);
        assert_int_equal(r.status, 400);
        assert_string_equal(str(&r, "Parameter"), cases[i].param);
        api_reply_clear(&r);
    }
    /* The same faults alone keep their own kind. */
    call(f, api_groups_create, NULL, "{\"ReplicationSettingData\":{\"Pairing\":9}}", &r);
    assert_int_equal(r.status, 422);
    api_reply_clear(&r);
    call(f, api_groups_create, NULL, "{\"Members\":[\"/logical-elements/1\",\"a\\u0000\"]}", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(str(&r, "Parameter"), "Members[1]");
    api_reply_clear(&r);
}

static void test_get_and_list(void **state)
{
    struct fixture *f = *state;
    struct api_reply r;
    struct api_kv q[] = {{"limit", "1"}};
    struct api_request req = {.method = "GET", .path = "/replication-groups", .query = q,
                              .n_query = 1};

    call(f, api_groups_create, NULL, "{}", &r);
    api_reply_clear(&r);
    call(f, api_groups_create, NULL, "{}", &r);
    api_reply_clear(&r);
    call(f, api_groups_get, "2", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.text, "\"id\":\"2\""));
    api_reply_clear(&r);
    call(f, api_groups_get, "0", NULL, &r);
    assert_int_equal(r.status, 404);
    api_reply_clear(&r);
    memset(&r, 0, sizeof(r));
    api_groups_list(&f->ctx, &req, &r);
    assert_int_equal(r.status, 200);
    /* A list page is sent as text built from the cached items. */
    r.body = json_loads(r.text, 0, NULL);
    assert_non_null(r.body);
    assert_int_equal(num(&r, "count"), 2);
    assert_string_equal(str(&r, "next"), "/replication-groups?limit=1&cursor=1");
    assert_int_equal(json_array_size(json_object_get(r.body, "items")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r.body, "items"), 0), "id")),
                        "1");
    api_reply_clear(&r);
}

static void test_next_link_encodes_filter(void **state)
{
    static const char *const keep[] = {"ElementName", "Persistent"};
    struct api_kv q[] = {{"ElementName", "a b&c"}, {"limit", "3"}};
    struct api_request req = {.query = q, .n_query = 2};
    char *link = api_next_link("/replication-groups", 10, 5, &req, keep, 2);

    (void)state;
    assert_string_equal(link, "/replication-groups?limit=10&cursor=5&ElementName=a%20b%26c");
    free(link);
}

/* Empty segments ("?&&limit=5", a "&" at the end) are no parameter; a value holding "%00",
 * which srv_unescape keeps as written, is 400 naming its parameter, as a name with no key. */
static void test_query_segments_and_nul(void **state)
{
    static const char *const names[] = {"limit", "ElementName"};
    struct api_kv empty[] = {{"", NULL}, {"limit", "5"}, {"", NULL}};
    struct api_kv nul[] = {{"ElementName", "a%00b"}};
    struct api_kv unnamed[] = {{"", "x"}};
    struct api_request req = {.query = empty, .n_query = 3};
    struct api_reply r = {0};

    (void)state;
    assert_int_equal(api_query_only(&req, names, 2, &r), 0);
    req.query = nul;
    req.n_query = 1;
    assert_int_equal(api_query_only(&req, names, 2, &r), -1);
    assert_int_equal(r.status, 400);
    render(&r);
    assert_string_equal(str(&r, "Parameter"), "ElementName");
    api_reply_clear(&r);
    req.query = unnamed;
    assert_int_equal(api_query_only(&req, names, 2, &r), -1);
    assert_int_equal(r.status, 400);
    api_reply_clear(&r);
}

/* The precondition of a change with these If-Match and If-None-Match headers (NULL: absent). */
static const struct cim_cond *conds(struct api_if_match *m, const char *if_match,
                                    const char *if_none_match, char kind, int64_t id)
{
    static struct api_request req; /* m borrows its headers only */

    req.if_match = if_match;
    req.if_none_match = if_none_match;
    return api_if_match(m, &req, kind, id);
}

/* If-Match holds when any member of the list is "*" or the current tag, whatever comes before
 * it: older versions of the same object, other objects, malformed members; and If-None-Match
 * (RFC 9110 13.1.2) fails when it names the current version (weakly) or is "*", both having
 * to hold when both are given. Objects are group 4 unless the kind says 'e' (element 7). */
static void test_change_preconditions(void **state)
{
    static const struct {
        const char *if_match, *if_none_match;
        char kind;
        int64_t generation;
        const char *failed; /* the header that fails, or NULL */
    } cases[] = {
        {"\"g4.1\", \"g4.8\"", NULL, 'g', 8, NULL},
        {"\"g4.1\", \"g4.8\"", NULL, 'g', 1, NULL},
        {"\"g4.1\", \"g4.8\"", NULL, 'g', 9, "If-Match"},
        {"x,\t\"g1.8\" ,\"g4.8\"\t", NULL, 'g', 8, NULL},
        {"\"g1.8\"", NULL, 'g', 8, "If-Match"},
        {"\"e4.8\"", NULL, 'g', 8, "If-Match"},
        {"W/\"g4.8\"", NULL, 'g', 8, "If-Match"}, /* strong comparison */
        {"\"g4.08\", \"g4.8x\", \"g4.8", NULL, 'g', 8, "If-Match"},
        {"\"\"", NULL, 'g', 8, "If-Match"},
        {" * ", NULL, 'e', 3, NULL},
        {NULL, "\"g4.8\"", 'g', 8, "If-None-Match"},
        {NULL, "\"g4.8\"", 'g', 9, NULL},
        {NULL, "W/\"g4.8\"", 'g', 8, "If-None-Match"}, /* weak comparison */
        {NULL, "*", 'g', 1, "If-None-Match"},
        {"\"g4.8\"", "\"g4.7\"", 'g', 8, NULL},
        {"\"g4.8\"", "\"g4.7\"", 'g', 7, "If-Match"}, /* If-Match is judged first */
        {"\"g4.7\"", "\"g4.7\"", 'g', 7, "If-None-Match"},
    };
    struct api_if_match m;

    (void)state;
    assert_null(conds(&m, NULL, NULL, 'g', 4));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct cim_cond *c = conds(&m, cases[i].if_match, cases[i].if_none_match,
                                         cases[i].kind, cases[i].kind == 'e' ? 7 : 4);
        const char *failed = c->failed(c, cases[i].generation);

        if (cases[i].failed)
            assert_string_equal(failed, cases[i].failed);
        else
            assert_null(failed);
    }
}

static void test_capabilities_and_livez(void **state)
{
    struct fixture *f = *state;
    struct api_reply r;

    call(f, api_capabilities, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(num(&r, "DefaultGroupPersistency"), 2);
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(r.body, "SupportedSynchronousActions"),
                                          0)),
        12);
    api_reply_clear(&r);
    call(f, api_livez, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    api_reply_clear(&r);
    call(f, api_openapi, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.text_len, strlen("openapi: 3.1.0\n"));
    api_reply_clear(&r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_create_group_reply_shape),
        T(test_problem_body_carries_return_value),
        cmocka_unit_test(test_every_return_value_maps_to_its_status),
        cmocka_unit_test(test_problem_with_cut_utf8_detail),
        T(test_problem_cut_parameter_is_marked),
        T(test_strict_json),
        T(test_prepared_body),
        T(test_rsd_round_trip),
        T(test_rsd_property_given_twice),
        T(test_rsd_integers_beyond_int64),
        T(test_bad_types_before_bad_values),
        T(test_get_and_list),
        cmocka_unit_test(test_next_link_encodes_filter),
        T(test_capabilities_and_livez),
        cmocka_unit_test(test_query_segments_and_nul),
        cmocka_unit_test(test_change_preconditions),
    };

    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
