/* The group life cycle over real HTTP (CIM-NOTES §5): DeleteGroup, AddMembers, RemoveMembers,
 * ModifyInstance (PATCH), element removal, the member list, and concurrent member changes. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static int setup(void **state)
{
    *state = h_new(NULL);
    return 0;
}

static void call(struct h_server *s, const char *method, const char *path, const char *body,
                 struct h_resp *r)
{
    assert_int_equal(h_req(s, method, path, NULL, body, r), 0);
}

static void expect(struct h_server *s, const char *method, const char *path, const char *body,
                   int status)
{
    struct h_resp r;

    call(s, method, path, body, &r);
    if (r.status != status)
        fprintf(stderr, "%s %s: %d %.*s\n", method, path, r.status, (int)r.body_len, r.body);
    assert_int_equal(r.status, status);
    h_resp_free(&r);
}

static void assert_problem(const struct h_resp *r, int status, int rv, const char *param)
{
    if (r->status != status)
        fprintf(stderr, "unexpected answer %d: %.*s\n", r->status, (int)r->body_len, r->body);
    assert_int_equal(r->status, status);
    if (rv < 0)
        assert_null(json_object_get(r->json, "ReturnValue"));
    else
        assert_int_equal(h_int(r->json, "ReturnValue"), rv);
    if (param)
        assert_string_equal(h_str(r->json, "Parameter"), param);
}

/* Registers volumes d1..dn. */
static void add_volumes(struct h_server *s, int n)
{
    char body[64];

    for (int i = 1; i <= n; i++) {
        snprintf(body, sizeof(body), "{\"DeviceID\":\"d%d\"}", i);
        expect(s, "POST", "/logical-elements", body, 201);
    }
}

/* The DeviceIDs of group id's members in AssignedSequence order, as "d1,d3,...". Also checks
 * that the sequences strictly increase. */
static void members_of(struct h_server *s, int id, char *out, size_t len)
{
    struct h_resp r;
    char path[64];
    const json_t *items;
    long long last = 0;

    snprintf(path, sizeof(path), "/replication-groups/%d/members", id);
    call(s, "GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    items = json_object_get(r.json, "items");
    assert_int_equal(h_int(r.json, "count"), (long long)json_array_size(items));
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *m = h_str(json_array_get(items, i), "Member");
        const char *dev = strstr(m, "DeviceID=\"");
        long long seq = h_int(json_array_get(items, i), "AssignedSequence");

        assert_true(seq > last);
        last = seq;
        assert_non_null(dev);
        dev += strlen("DeviceID=\"");
        snprintf(out + strlen(out), len - strlen(out), "%s%.*s", i ? "," : "",
                 (int)strcspn(dev, "\""), dev);
    }
    h_resp_free(&r);
}

/* ---- DeleteGroup ---- */

static void test_delete_empty_group_then_404(void **state)
{
    struct h_server *s = *state;

    expect(s, "POST", "/replication-groups", "{}", 201);
    expect(s, "DELETE", "/replication-groups/1", NULL, 204);
    expect(s, "DELETE", "/replication-groups/1", NULL, 404);
    expect(s, "GET", "/replication-groups/1", NULL, 404);
    /* Ids are never reused. */
    {
        struct h_resp r;
        call(s, "POST", "/replication-groups", "{}", &r);
        assert_string_equal(h_str(r.json, "id"), "2");
        h_resp_free(&r);
    }
}

static void test_delete_non_empty_needs_remove_elements(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"]}", 201);
    call(s, "DELETE", "/replication-groups/1", NULL, &r);
    assert_problem(&r, 409, 6, "RemoveElements"); /* CIM DeleteGroup/RemoveElements */
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member"), 2);
    call(s, "DELETE", "/replication-groups/1?RemoveElements=maybe", NULL, &r);
    assert_problem(&r, 400, -1, "RemoveElements");
    h_resp_free(&r);
    expect(s, "DELETE", "/replication-groups/1?RemoveElements=true", NULL, 204);
    /* The member elements are never deleted. */
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM element"), 2);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member"), 0);
    call(s, "GET", "/logical-elements/1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Groups")), 0);
    h_resp_free(&r);
}

/* ---- AddMembers ---- */

static void test_add_members_appends_in_order(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char got[128];

    add_volumes(s, 4);
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/2\",\"/logical-elements/1\"]}", 201);
    /* d1 is already in the group: not an error, and it keeps its place. */
    call(s, "POST", "/replication-groups/1/add-members",
         "{\"Members\":[\"/logical-elements/4\",\"/logical-elements/1\",\"/logical-elements/3\"]}",
         &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 4);
    assert_int_equal(h_int(r.json, "Generation"), 2);
    h_resp_free(&r);
    members_of(s, 1, got, sizeof(got));
    assert_string_equal(got, "d2,d1,d4,d3");
    assert_int_equal(h_db_count(s, "SELECT max(seq) FROM member WHERE group_id = 1"), 4);
}

/* AddMembers and RemoveMembers are CIM methods: their answer, like CreateGroup's, carries
 * ReturnValue 0. ModifyInstance (PATCH) and GetInstance are not, and carry none. */
static void test_method_answers_carry_return_value(void **state)
{
    struct h_server *s = *state;
    static const char *const calls[][3] = {
        {"POST", "/replication-groups/1/add-members", "{\"Members\":[\"/logical-elements/2\"]}"},
        {"POST", "/replication-groups/1/remove-members",
         "{\"Members\":[\"/logical-elements/1\"]}"},
        {"PATCH", "/replication-groups/1", "{\"ElementName\":\"renamed\"}"},
        {"GET", "/replication-groups/1", NULL},
    };
    struct h_resp r;

    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        bool method = strcmp(calls[i][0], "POST") == 0;

        call(s, calls[i][0], calls[i][1], calls[i][2], &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(h_str(r.json, "id"), "1");
        if (method) {
            assert_int_equal(h_int(r.json, "ReturnValue"), 0);
            assert_string_equal(h_str(r.json, "ReturnValueName"), "Success");
        } else {
            assert_null(json_object_get(r.json, "ReturnValue"));
            assert_null(json_object_get(r.json, "ReturnValueName"));
        }
        h_resp_free(&r);
    }
}

static void test_add_members_errors(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volumes(s, 3);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    expect(s, "POST", "/replication-groups", "{}", 201);
    call(s, "POST", "/replication-groups/9/add-members",
         "{\"Members\":[\"/logical-elements/2\"]}", &r);
    assert_problem(&r, 404, 7, NULL); /* CIM AddMembers/ReturnValue=7 */
    h_resp_free(&r);
    /* A missing group is told before what the body holds, as for PATCH. */
    static const char *const bodies[] = {"{\"Members\":[]}", "{\"Membrs\":[]}", "{bad"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        call(s, "POST", "/replication-groups/9/add-members", bodies[i], &r);
        assert_problem(&r, 404, 7, "ReplicationGroup");
        h_resp_free(&r);
        call(s, "POST", "/replication-groups/9/remove-members", bodies[i], &r);
        assert_problem(&r, 404, 7, "ReplicationGroup");
        h_resp_free(&r);
    }
    call(s, "POST", "/replication-groups/2/add-members",
         "{\"Members\":[\"/logical-elements/2\",\"/logical-elements/77\"]}", &r);
    assert_problem(&r, 422, 5, "Members[1]");
    h_resp_free(&r);
    call(s, "POST", "/replication-groups/2/add-members", "{\"Members\":[\"bogus path\"]}", &r);
    assert_problem(&r, 422, 5, "Members[0]");
    h_resp_free(&r);
    /* "\u0000" ends a C string: the reference must not be read as /logical-elements/2. */
    call(s, "POST", "/replication-groups/2/add-members",
         "{\"Members\":[\"/logical-elements/2\\u0000junk\"]}", &r);
    assert_problem(&r, 422, 5, "Members[0]");
    h_resp_free(&r);
    call(s, "POST", "/replication-groups/2/add-members",
         "{\"Members\":[\"/logical-elements/2\"],\"ServiceAccessPoint\":\"x\\u0000\"}", &r);
    assert_problem(&r, 422, 5, "ServiceAccessPoint");
    h_resp_free(&r);
    call(s, "POST", "/replication-groups/2/add-members",
         "{\"Members\":[\"/logical-elements/2\",\"/logical-elements/1\"]}", &r);
    assert_problem(&r, 409, 6, "Members[1]");
    h_resp_free(&r);
    call(s, "POST", "/replication-groups/2/add-members", "{\"Members\":[]}", &r);
    assert_problem(&r, 422, 5, "Members");
    h_resp_free(&r);
    call(s, "POST", "/replication-groups/2/add-members", "{\"Members\":[1]}", &r);
    assert_problem(&r, 400, 5, "Members[0]");
    h_resp_free(&r);
    call(s, "POST", "/replication-groups/2/add-members",
         "{\"Members\":[\"/logical-elements/2\"],\"Extra\":1}", &r);
    assert_problem(&r, 400, 5, "Extra");
    h_resp_free(&r);
    /* Nothing of the failed calls stayed: d2 was never added to group 2. */
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member WHERE group_id = 2"), 0);
}

static void test_add_members_limits(void **state)
{
    static const char *const args[] = {"--max-members", "2", "--multiple-membership", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    add_volumes(s, 3);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    call(s, "POST", "/replication-groups/2/add-members",
         "{\"Members\":[\"/logical-elements/2\",\"/logical-elements/3\"]}", &r);
    assert_problem(&r, 422, 5, "Members");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member WHERE group_id = 2"), 1);
    expect(s, "POST", "/replication-groups/2/add-members", "{\"Members\":[\"/logical-elements/2\"]}",
           200);
    h_free(s);
}

/* ---- RemoveMembers ---- */

static void test_remove_members_errors(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    call(s, "POST", "/replication-groups/1/remove-members",
         "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"]}", &r);
    assert_problem(&r, 409, 8, "Members[1]"); /* CIM RemoveMembers/ReturnValue=8 */
    h_resp_free(&r);
    /* The whole call failed: d1 is still a member. */
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member"), 1);
    call(s, "POST", "/replication-groups/5/remove-members", "{\"Members\":[\"/logical-elements/1\"]}",
         &r);
    assert_problem(&r, 404, 7, NULL);
    h_resp_free(&r);
    call(s, "POST", "/replication-groups/1/remove-members",
         "{\"Members\":[\"/logical-elements/1\"],\"DeleteOnEmptyElement\":\"yes\"}", &r);
    assert_problem(&r, 400, 5, "DeleteOnEmptyElement");
    h_resp_free(&r);
}

static void test_remove_to_empty_keeps_group_by_default(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volumes(s, 1);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    call(s, "POST", "/replication-groups/1/remove-members", "{\"Members\":[\"/logical-elements/1\"]}",
         &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 0);
    h_resp_free(&r);
    expect(s, "GET", "/replication-groups/1", NULL, 200);
}

/* CIM RemoveMembers/DeleteOnEmptyElement overrides the group's property for this call. */
static void test_remove_override_deletes_empty_group(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/2\"],\"DeleteOnEmptyElement\":true}", 201);
    call(s, "POST", "/replication-groups/1/remove-members",
         "{\"Members\":[\"/logical-elements/1\"],\"DeleteOnEmptyElement\":true}", &r);
    assert_int_equal(r.status, 204);
    h_resp_free(&r);
    expect(s, "GET", "/replication-groups/1", NULL, 404);
    /* The group's own true is overridden by an explicit false. */
    call(s, "POST", "/replication-groups/2/remove-members",
         "{\"Members\":[\"/logical-elements/2\"],\"DeleteOnEmptyElement\":false}", &r);
    assert_int_equal(r.status, 200);
    h_resp_free(&r);
    expect(s, "GET", "/replication-groups/2", NULL, 200);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM element"), 2);
}

static void test_remove_group_flag_deletes_empty_group(void **state)
{
    struct h_server *s = *state;

    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"],"
           "\"DeleteOnEmptyElement\":true}",
           201);
    expect(s, "POST", "/replication-groups/1/remove-members",
           "{\"Members\":[\"/logical-elements/2\"]}", 200);
    expect(s, "POST", "/replication-groups/1/remove-members",
           "{\"Members\":[\"/logical-elements/1\"]}", 204);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 0);
}

static void test_remove_without_empty_groups_deletes_group(void **state)
{
    static const char *const args[] = {"--empty-groups=false", NULL};
    struct h_server *s = h_new(args);

    (void)state;
    add_volumes(s, 1);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    expect(s, "POST", "/replication-groups/1/remove-members",
           "{\"Members\":[\"/logical-elements/1\"],\"DeleteOnEmptyElement\":false}", 204);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 0);
    h_free(s);
}

static void test_order_after_adds_and_removes(void **state)
{
    struct h_server *s = *state;
    char got[128];

    add_volumes(s, 5);
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\",\"/logical-elements/3\"]}",
           201);
    expect(s, "POST", "/replication-groups/1/remove-members",
           "{\"Members\":[\"/logical-elements/2\"]}", 200);
    expect(s, "POST", "/replication-groups/1/add-members",
           "{\"Members\":[\"/logical-elements/5\",\"/logical-elements/2\"]}", 200);
    expect(s, "POST", "/replication-groups/1/remove-members",
           "{\"Members\":[\"/logical-elements/1\"]}", 200);
    expect(s, "POST", "/replication-groups/1/add-members", "{\"Members\":[\"/logical-elements/4\"]}",
           200);
    members_of(s, 1, got, sizeof(got));
    assert_string_equal(got, "d3,d5,d2,d4");
}

/* ---- ModifyInstance (PATCH) ---- */

static void test_patch_renames_and_bumps_generation(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char etag1[64], etag2[64];

    call(s, "POST", "/replication-groups", "{\"GroupName\":\"old\"}", &r);
    assert_non_null(h_header(&r, "ETag", etag1, sizeof(etag1)));
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/1",
         "{\"ElementName\":\"new\",\"Persistent\":false,\"DeleteOnUnassociated\":true}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(h_str(r.json, "ElementName"), "new");
    assert_string_equal(h_str(r.json, "InstanceID"), "REPLGW:1");
    assert_int_equal(h_bool(r.json, "Persistent"), 0);
    assert_int_equal(h_bool(r.json, "DeleteOnUnassociated"), 1);
    assert_int_equal(h_int(r.json, "Generation"), 2);
    assert_non_null(h_header(&r, "ETag", etag2, sizeof(etag2)));
    assert_string_not_equal(etag1, etag2);
    h_resp_free(&r);
    /* Merge-patch null returns a flag to its default. */
    call(s, "PATCH", "/replication-groups/1", "{\"Persistent\":null}", &r);
    assert_int_equal(h_bool(r.json, "Persistent"), 1);
    assert_int_equal(h_bool(r.json, "DeleteOnUnassociated"), 1);
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup WHERE element_name = 'new'"
                                   " AND generation = 3"),
                     1);
}

/* A PATCH that changes nothing (no field, or each field its current value, given or by its
 * default) keeps the Generation and the ETag; a stale If-Match is still refused. */
static void test_patch_without_change_keeps_generation(void **state)
{
    struct h_server *s = *state;
    static const char *const same[] = {
        "{}",
        "{\"ElementName\":\"kept\"}",
        "{\"Persistent\":true,\"DeleteOnEmptyElement\":null,\"DeleteOnUnassociated\":false}",
    };
    struct h_resp r;
    char etag[64], now[64];

    call(s, "POST", "/replication-groups", "{\"GroupName\":\"kept\"}", &r);
    assert_non_null(h_header(&r, "ETag", etag, sizeof(etag)));
    h_resp_free(&r);
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        call(s, "PATCH", "/replication-groups/1", same[i], &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(h_int(r.json, "Generation"), 1);
        assert_non_null(h_header(&r, "ETag", now, sizeof(now)));
        assert_string_equal(now, etag);
        h_resp_free(&r);
    }
    assert_int_equal(h_db_count(s, "SELECT generation FROM rgroup WHERE id = 1"), 1);
    assert_int_equal(h_req(s, "PATCH", "/replication-groups/1", "If-Match: \"g1.9\"\r\n", "{}", &r),
                     0);
    assert_int_equal(r.status, 412);
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/1", "{\"DeleteOnEmptyElement\":true}", &r);
    assert_int_equal(h_int(r.json, "Generation"), 2);
    h_resp_free(&r);
}

/* ElementName null is the default, as for the flags: the name CreateGroup gives a group it is
 * not given one for, "RG-{id}", or the next of its generated names when another group holds
 * that one; a group that has its default name already keeps it and its Generation. */
static void test_patch_null_name_is_the_generated_one(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    expect(s, "POST", "/replication-groups", "{\"GroupName\":\"a\"}", 201);
    expect(s, "POST", "/replication-groups", "{\"GroupName\":\"RG-3\"}", 201);
    expect(s, "POST", "/replication-groups", "{}", 201); /* RG-3 taken: RG-3-2 */
    for (int i = 0; i < 2; i++) {
        call(s, "PATCH", "/replication-groups/1", "{\"ElementName\":null}", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(h_str(r.json, "ElementName"), "RG-1");
        assert_int_equal(h_int(r.json, "Generation"), 2);
        h_resp_free(&r);
    }
    call(s, "PATCH", "/replication-groups/3", "{\"ElementName\":null,\"Persistent\":false}", &r);
    assert_string_equal(h_str(r.json, "ElementName"), "RG-3-2");
    assert_false(h_bool(r.json, "Persistent"));
    h_resp_free(&r);
    expect(s, "PATCH", "/replication-groups/2", "{\"ElementName\":\"b\"}", 200);
    call(s, "PATCH", "/replication-groups/3", "{\"ElementName\":null}", &r);
    assert_string_equal(h_str(r.json, "ElementName"), "RG-3");
    assert_int_equal(h_int(r.json, "Generation"), 3);
    h_resp_free(&r);
    /* Group 2, named by its client twice, gets the name it would have had unnamed. */
    call(s, "PATCH", "/replication-groups/2", "{\"ElementName\":null}", &r);
    assert_string_equal(h_str(r.json, "ElementName"), "RG-2");
    h_resp_free(&r);
}

/* Past its four sequential names a group gets a random one; holding one, it keeps it and its
 * Generation when ElementName null is applied again. */
static void test_patch_null_name_keeps_a_random_one(void **state)
{
    static const char *const taken[] = {"RG-1", "RG-1-2", "RG-1-3", "RG-1-4"};
    struct h_server *s = *state;
    char first[64];
    struct h_resp r;

    expect(s, "POST", "/replication-groups", "{\"GroupName\":\"target\"}", 201);
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
        char body[64];

        snprintf(body, sizeof(body), "{\"GroupName\":\"%s\"}", taken[i]);
        expect(s, "POST", "/replication-groups", body, 201);
    }
    call(s, "PATCH", "/replication-groups/1", "{\"ElementName\":null}", &r);
    assert_int_equal(r.status, 200);
    snprintf(first, sizeof(first), "%s", h_str(r.json, "ElementName"));
    assert_int_equal(strlen(first), strlen("RG-1-") + 16);
    assert_int_equal(h_int(r.json, "Generation"), 2);
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/1", "{\"ElementName\":null}", &r);
    assert_string_equal(h_str(r.json, "ElementName"), first);
    assert_int_equal(h_int(r.json, "Generation"), 2);
    h_resp_free(&r);
}

static void test_patch_errors(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    expect(s, "POST", "/replication-groups", "{\"GroupName\":\"a\"}", 201);
    expect(s, "POST", "/replication-groups", "{\"GroupName\":\"b\"}", 201);
    call(s, "PATCH", "/replication-groups/2", "{\"ElementName\":\"a\"}", &r);
    assert_problem(&r, 409, -1, "ElementName");
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/2", "{\"ElementName\":\"\"}", &r);
    assert_problem(&r, 422, -1, "ElementName");
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/2", "{\"ElementName\":\"b\\u0000c\"}", &r);
    assert_problem(&r, 422, -1, "ElementName");
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/2", "{\"InstanceID\":\"REPLGW:9\"}", &r);
    assert_problem(&r, 400, -1, "InstanceID");
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/2", "{\"Members\":[]}", &r);
    assert_problem(&r, 400, -1, "Members");
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/2", "{\"Persistent\":1}", &r);
    assert_problem(&r, 400, -1, "Persistent");
    h_resp_free(&r);
    expect(s, "PATCH", "/replication-groups/9", "{\"ElementName\":\"z\"}", 404);
    /* An unknown group is 404 before its body is read. */
    expect(s, "PATCH", "/replication-groups/9", "{bad", 404);
    expect(s, "PATCH", "/replication-groups/9", "{\"Foo\":1}", 404);
    expect(s, "DELETE", "/replication-groups/2?limit=5", NULL, 400);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup WHERE generation = 1"), 2);
}

static void test_patch_name_when_not_nameable(void **state)
{
    static const char *const args[] = {"--nameable=false", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    expect(s, "POST", "/replication-groups", "{}", 201);
    call(s, "PATCH", "/replication-groups/1", "{\"ElementName\":\"x\"}", &r);
    assert_problem(&r, 422, -1, "ElementName");
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/1", "{\"ElementName\":\"\"}", &r);
    assert_problem(&r, 422, -1, "ElementName");
    h_resp_free(&r);
    /* The group's own name, sent back with a whole state, is no change. */
    expect(s, "PATCH", "/replication-groups/1", "{\"ElementName\":\"RG-1\",\"Persistent\":true}",
           200);
    assert_int_equal(h_db_count(s, "SELECT generation FROM rgroup WHERE id = 1"), 1);
    expect(s, "PATCH", "/replication-groups/1", "{\"ElementName\":\"RG-1\",\"Persistent\":false}",
           200);
    assert_int_equal(h_db_count(s, "SELECT persistent FROM rgroup WHERE id = 1"), 0);
    h_free(s);
}

/* Without temporary groups a PATCH may not make a group temporary; a group already so (made
 * before the service ran with --temporary-groups=false) may stay so, renamed or re-applied. */
static void test_patch_without_temporary_groups(void **state)
{
    static const char *const args[] = {"--temporary-groups=false", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    expect(s, "POST", "/replication-groups", "{}", 201);
    expect(s, "POST", "/replication-groups", "{}", 201);
    assert_int_equal(h_db_exec(s, "UPDATE rgroup SET persistent = 0 WHERE id = 1"), 0);
    expect(s, "PATCH", "/replication-groups/1", "{}", 200);
    expect(s, "PATCH", "/replication-groups/1", "{\"Persistent\":false}", 200);
    expect(s, "PATCH", "/replication-groups/1", "{\"ElementName\":\"legacy\"}", 200);
    call(s, "PATCH", "/replication-groups/2", "{\"Persistent\":false}", &r);
    assert_problem(&r, 422, -1, "Persistent");
    h_resp_free(&r);
    expect(s, "PATCH", "/replication-groups/1", "{\"Persistent\":true}", 200);
    call(s, "PATCH", "/replication-groups/1", "{\"Persistent\":false}", &r);
    assert_problem(&r, 422, -1, "Persistent");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup WHERE persistent"), 2);
    h_free(s);
}

static void test_if_match(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char etag[64], hdr[128];

    call(s, "POST", "/replication-groups", "{}", &r);
    h_header(&r, "ETag", etag, sizeof(etag));
    h_resp_free(&r);
    snprintf(hdr, sizeof(hdr), "If-Match: %s\r\n", etag);
    assert_int_equal(
        h_req(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"x\"}", &r), 0);
    assert_int_equal(r.status, 200);
    h_resp_free(&r);
    /* The same tag is stale now, and the answer says which generation is current. */
    assert_int_equal(
        h_req(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"y\"}", &r), 0);
    assert_int_equal(r.status, 412);
    assert_non_null(strstr(h_str(r.json, "detail"), "generation is 2"));
    h_resp_free(&r);
    assert_int_equal(h_req(s, "DELETE", "/replication-groups/1", hdr, NULL, &r), 0);
    assert_int_equal(r.status, 412);
    h_resp_free(&r);
    assert_int_equal(h_req(s, "DELETE", "/replication-groups/1", "If-Match: *\r\n", NULL, &r), 0);
    assert_int_equal(r.status, 204);
    h_resp_free(&r);
    /* Elements too: a tag of another version (or another object) is 412. */
    expect(s, "POST", "/logical-elements", "{\"DeviceID\":\"e\"}", 201);
    assert_int_equal(h_req(s, "DELETE", "/logical-elements/1", "If-Match: \"e1.7\"\r\n", NULL, &r),
                     0);
    assert_int_equal(r.status, 412);
    h_resp_free(&r);
    assert_int_equal(h_req(s, "DELETE", "/logical-elements/1", "If-Match: \"g1.1\"\r\n", NULL, &r),
                     0);
    assert_int_equal(r.status, 412);
    h_resp_free(&r);
    assert_int_equal(h_req(s, "DELETE", "/logical-elements/1", "If-Match: \"e1.1\"\r\n", NULL, &r),
                     0);
    assert_int_equal(r.status, 204);
    h_resp_free(&r);
}

/* An element's Generation (and ETag) grows whenever its list of groups changes, whichever call
 * changed it: CreateGroup, AddMembers, RemoveMembers or DeleteGroup. */
static long long element_generation(struct h_server *s, int id)
{
    struct h_resp r;
    char path[64], etag[64], want[64];
    long long gen;

    snprintf(path, sizeof(path), "/logical-elements/%d", id);
    call(s, "GET", path, NULL, &r);
    gen = h_int(r.json, "Generation");
    snprintf(want, sizeof(want), "\"e%d.%lld\"", id, gen);
    assert_string_equal(h_header(&r, "ETag", etag, sizeof(etag)), want);
    h_resp_free(&r);
    return gen;
}

static void test_element_generation_follows_its_groups(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volumes(s, 2);
    assert_int_equal(element_generation(s, 1), 1);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    assert_int_equal(element_generation(s, 1), 2);
    assert_int_equal(element_generation(s, 2), 1);
    /* A tag read before the element joined the group is stale. */
    assert_int_equal(h_req(s, "DELETE", "/logical-elements/1", "If-Match: \"e1.1\"\r\n", NULL, &r),
                     0);
    assert_int_equal(r.status, 412);
    h_resp_free(&r);
    expect(s, "POST", "/replication-groups/1/add-members",
           "{\"Members\":[\"/logical-elements/2\"]}", 200);
    assert_int_equal(element_generation(s, 2), 2);
    expect(s, "POST", "/replication-groups/1/remove-members",
           "{\"Members\":[\"/logical-elements/1\"]}", 200);
    assert_int_equal(element_generation(s, 1), 3);
    expect(s, "DELETE", "/replication-groups/1?RemoveElements=true", NULL, 204);
    assert_int_equal(element_generation(s, 2), 3);
    assert_int_equal(element_generation(s, 1), 3);
}

/* ---- deleting an element ---- */

static void test_element_delete_leaves_every_group(void **state)
{
    static const char *const args[] = {"--multiple-membership", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"]}", 201);
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/1\"],\"DeleteOnEmptyElement\":true}", 201);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/1\"]}", 201);
    call(s, "GET", "/logical-elements/1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Groups")), 3);
    h_resp_free(&r);
    call(s, "DELETE", "/logical-elements/1", NULL, &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body_len, 0);
    h_resp_free(&r);
    /* Group 1 keeps its other member, under a new Generation. */
    call(s, "GET", "/replication-groups/1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 1);
    assert_int_equal(h_int(r.json, "Generation"), 2);
    h_resp_free(&r);
    expect(s, "GET", "/replication-groups/2", NULL, 404);
    call(s, "GET", "/replication-groups/3", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 0);
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member WHERE element_id = 1"), 0);
    expect(s, "DELETE", "/logical-elements/1", NULL, 404);
    h_free(s);
}

/* An element in more groups than its representation lists: Groups holds the first 100 by id and
 * GroupsNext is the filtered group list that carries on from there; deleting the element still
 * takes it out of every group. */
static void test_element_lists_its_first_groups_and_links_the_rest(void **state)
{
    static const char *const args[] = {"--multiple-membership", NULL};
    struct h_server *s = h_new(args);
    const char *body = "{\"Members\":[\"/logical-elements/1\"]}";
    const json_t *groups;
    struct h_resp r;
    char next[256];

    (void)state;
    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups", "{\"Members\":[\"/logical-elements/2\"]}", 201);
    for (int i = 0; i < 103; i++)
        expect(s, "POST", "/replication-groups", body, 201);
    call(s, "GET", "/logical-elements/2", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Groups")), 1);
    assert_true(json_is_null(json_object_get(r.json, "GroupsNext")));
    h_resp_free(&r);

    call(s, "GET", "/logical-elements/1", NULL, &r);
    groups = json_object_get(r.json, "Groups");
    assert_int_equal(json_array_size(groups), 100);
    assert_string_equal(h_str(json_array_get(groups, 0), "id"), "2");
    assert_string_equal(h_str(json_array_get(groups, 99), "id"), "101");
    snprintf(next, sizeof(next), "%s", h_str(r.json, "GroupsNext"));
    h_resp_free(&r);
    call(s, "GET", next, NULL, &r);
    assert_int_equal(r.status, 200);
    groups = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(groups), 3);
    assert_string_equal(h_str(json_array_get(groups, 0), "id"), "102");
    assert_string_equal(h_str(json_array_get(groups, 2), "id"), "104");
    assert_true(json_is_null(json_object_get(r.json, "next")));
    h_resp_free(&r);

    /* The element list caps each element's groups the same way. */
    call(s, "GET", "/logical-elements", NULL, &r);
    groups = json_object_get(json_array_get(json_object_get(r.json, "items"), 0), "Groups");
    assert_int_equal(json_array_size(groups), 100);
    assert_string_equal(h_str(json_array_get(json_object_get(r.json, "items"), 0), "GroupsNext"),
                        next);
    h_resp_free(&r);

    expect(s, "DELETE", "/logical-elements/1", NULL, 204);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member WHERE element_id = 1"), 0);
    h_free(s);
}

/* GET answers from a cache of serialized groups keyed by Generation: after every kind of
 * change, a GET that was just cached shows the change. */
static void test_get_reflects_every_change(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char etag[64], before[64];

    add_volumes(s, 2);
    expect(s, "POST", "/replication-groups", "{\"GroupName\":\"c\"}", 201);
    for (int i = 0; i < 2; i++)
        expect(s, "GET", "/replication-groups/1", NULL, 200); /* miss, then hit */
    expect(s, "POST", "/replication-groups/1/add-members", "{\"Members\":[\"/logical-elements/1\","
           "\"/logical-elements/2\"]}", 200);
    call(s, "GET", "/replication-groups/1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 2);
    h_header(&r, "ETag", before, sizeof(before));
    h_resp_free(&r);
    expect(s, "PATCH", "/replication-groups/1", "{\"ElementName\":\"renamed\"}", 200);
    call(s, "GET", "/replication-groups/1", NULL, &r);
    assert_string_equal(h_str(r.json, "ElementName"), "renamed");
    h_header(&r, "ETag", etag, sizeof(etag));
    assert_string_not_equal(etag, before);
    h_resp_free(&r);
    expect(s, "POST", "/replication-groups/1/remove-members", "{\"Members\":[\"/logical-elements/1\"]}",
           200);
    call(s, "GET", "/replication-groups/1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 1);
    h_resp_free(&r);
    expect(s, "DELETE", "/logical-elements/2", NULL, 204);
    call(s, "GET", "/replication-groups/1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 0);
    h_resp_free(&r);
    expect(s, "DELETE", "/replication-groups/1", NULL, 204);
    expect(s, "GET", "/replication-groups/1", NULL, 404);
}

/* ---- concurrency ---- */

#define CLIENTS 6
#define ROUNDS 15

struct client {
    struct h_server *s;
    int element;
    int failures;
};

/* Adds and removes its own element ROUNDS times, ending with it added. */
static void *churn(void *arg)
{
    struct client *c = arg;
    char body[64];

    snprintf(body, sizeof(body), "{\"Members\":[\"/logical-elements/%d\"]}", c->element);
    for (int i = 0; i < ROUNDS; i++) {
        struct h_resp r;

        if (h_req(c->s, "POST", "/replication-groups/1/add-members", NULL, body, &r) != 0 ||
            r.status != 200)
            c->failures++;
        h_resp_free(&r);
        if (i == ROUNDS - 1)
            break;
        if (h_req(c->s, "POST", "/replication-groups/1/remove-members", NULL, body, &r) != 0 ||
            r.status != 200)
            c->failures++;
        h_resp_free(&r);
    }
    return NULL;
}

static void test_concurrent_add_remove_loses_nothing(void **state)
{
    struct h_server *s = *state;
    struct client clients[CLIENTS];
    pthread_t threads[CLIENTS];
    char got[256];

    add_volumes(s, CLIENTS + 1);
    /* A first member keeps the group from ever becoming empty. */
    expect(s, "POST", "/replication-groups",
           "{\"Members\":[\"/logical-elements/" "7" "\"]}", 201);
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (struct client){s, i + 1, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, churn, &clients[i]), 0);
    }
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(clients[i].failures, 0);
    }
    members_of(s, 1, got, sizeof(got));
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member WHERE group_id = 1"), CLIENTS + 1);
    assert_int_equal(h_db_count(s, "SELECT count(DISTINCT seq) FROM member WHERE group_id = 1"),
                     CLIENTS + 1);
    assert_non_null(strstr(got, "d7"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, h_teardown)
    const struct CMUnitTest tests[] = {
        T(test_delete_empty_group_then_404),
        T(test_delete_non_empty_needs_remove_elements),
        T(test_add_members_appends_in_order),
        T(test_method_answers_carry_return_value),
        T(test_add_members_errors),
        cmocka_unit_test(test_add_members_limits),
        T(test_remove_members_errors),
        T(test_remove_to_empty_keeps_group_by_default),
        T(test_remove_override_deletes_empty_group),
        T(test_remove_group_flag_deletes_empty_group),
        cmocka_unit_test(test_remove_without_empty_groups_deletes_group),
        T(test_order_after_adds_and_removes),
        T(test_patch_renames_and_bumps_generation),
        T(test_patch_without_change_keeps_generation),
        T(test_patch_null_name_is_the_generated_one),
        T(test_patch_null_name_keeps_a_random_one),
        T(test_patch_errors),
        cmocka_unit_test(test_patch_name_when_not_nameable),
        cmocka_unit_test(test_patch_without_temporary_groups),
        T(test_if_match),
        T(test_element_generation_follows_its_groups),
        cmocka_unit_test(test_element_delete_leaves_every_group),
        cmocka_unit_test(test_element_lists_its_first_groups_and_links_the_rest),
        T(test_get_reflects_every_change),
        T(test_concurrent_add_remove_loses_nothing),
    };

    return cmocka_run_group_tests_name("lifecycle_http", tests, NULL, NULL);
}
