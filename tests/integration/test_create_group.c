/* CreateGroup over real HTTP: one test per rule of API.md "CreateGroup rules", each checking
 * the status, ReturnValue and Parameter of the answer and what the database holds afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define VOL(dev)                                                                                   \
    "/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume.CreationClassName="               \
    "\\\"MSISCSITARGET_StorageVolume\\\",DeviceID=\\\"" dev "\\\",SystemCreationClassName="        \
    "\\\"CIM_ComputerSystem\\\",SystemName=\\\"tgt01\\\""

#define COUNT_GROUPS "SELECT count(*) FROM rgroup"
#define COUNT_MEMBERS "SELECT count(*) FROM member"
#define COUNT_SETTINGS "SELECT count(*) FROM setting_prop"

/* ---- helpers ---- */

static int setup_default(void **state)
{
    *state = h_new(NULL);
    return 0;
}

/* Registers volume DeviceID=dev and returns its id. */
static long long add_volume(struct h_server *s, const char *dev)
{
    struct h_resp r;
    char body[256];
    long long id;

    snprintf(body, sizeof(body), "{\"DeviceID\":\"%s\"}", dev);
    assert_int_equal(h_req(s, "POST", "/logical-elements", NULL, body, &r), 0);
    assert_int_equal(r.status, 201);
    id = atoll(h_str(r.json, "id"));
    h_resp_free(&r);
    return id;
}

static void post_group(struct h_server *s, const char *body, struct h_resp *r)
{
    assert_int_equal(h_req(s, "POST", "/replication-groups", NULL, body, r), 0);
}

/* Asserts a problem+json answer with the given status, ReturnValue and Parameter (NULL = null). */
static void assert_problem(const struct h_resp *r, int status, int rv, const char *param)
{
    char ct[128];

    if (r->status != status)
        fprintf(stderr, "unexpected answer %d: %.*s\n", r->status, (int)r->body_len, r->body);
    assert_int_equal(r->status, status);
    assert_non_null(h_header(r, "Content-Type", ct, sizeof(ct)));
    assert_string_equal(ct, "application/problem+json");
    assert_non_null(r->json);
    assert_int_equal(h_int(r->json, "status"), status);
    assert_non_null(h_str(r->json, "title"));
    assert_non_null(h_str(r->json, "type"));
    assert_non_null(h_str(r->json, "detail"));
    if (rv < 0) {
        assert_null(json_object_get(r->json, "ReturnValue"));
        return;
    }
    assert_int_equal(h_int(r->json, "ReturnValue"), rv);
    assert_non_null(h_str(r->json, "ReturnValueName"));
    if (param)
        assert_string_equal(h_str(r->json, "Parameter"), param);
    else
        assert_true(json_is_null(json_object_get(r->json, "Parameter")));
}

/* Asserts a rejected create left no group, member or setting behind. */
static void assert_store_empty(const struct h_server *s)
{
    assert_int_equal(h_db_count(s, COUNT_GROUPS), 0);
    assert_int_equal(h_db_count(s, COUNT_MEMBERS), 0);
    assert_int_equal(h_db_count(s, COUNT_SETTINGS), 0);
}

/* ---- success and defaults ---- */

static void test_create_empty_body_gets_defaults(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char loc[128], etag[64];

    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    assert_int_equal(h_int(r.json, "ReturnValue"), 0);
    assert_string_equal(h_str(r.json, "ReturnValueName"), "Success");
    /* CIM CreateGroup/GroupName: absent, the gateway assigns a unique name. */
    assert_non_null(h_str(r.json, "ElementName"));
    assert_true(strlen(h_str(r.json, "ElementName")) > 0);
    /* CIM CreateGroup/Persistent: default persistency is true; Delete* default false. */
    assert_int_equal(h_bool(r.json, "Persistent"), 1);
    assert_int_equal(h_bool(r.json, "DeleteOnEmptyElement"), 0);
    assert_int_equal(h_bool(r.json, "DeleteOnUnassociated"), 0);
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 0);
    assert_true(json_is_null(json_object_get(r.json, "ReplicationSettingData")));
    assert_string_equal(h_str(r.json, "InstanceID"), "REPLGW:1");
    assert_non_null(strstr(h_str(r.json, "ReplicationGroup"), "InstanceID=\"REPLGW:1\""));
    assert_non_null(strstr(h_str(r.json, "HostingSystem"), "Name=\"tgt01\""));
    assert_non_null(h_header(&r, "Location", loc, sizeof(loc)));
    assert_string_equal(loc, "/replication-groups/1");
    assert_non_null(h_header(&r, "ETag", etag, sizeof(etag)));
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, COUNT_GROUPS), 1);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup r JOIN system s ON"
                                   " s.id = r.system_id WHERE s.name = 'tgt01'"),
                     1);
}

static void test_create_null_means_default(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s,
               "{\"GroupName\":null,\"Members\":null,\"Persistent\":null,"
               "\"DeleteOnEmptyElement\":null,\"DeleteOnUnassociated\":null,"
               "\"ServiceAccessPoint\":null,\"ReplicationSettingData\":null}",
               &r);
    assert_int_equal(r.status, 201);
    assert_int_equal(h_bool(r.json, "Persistent"), 1);
    assert_int_equal(h_bool(r.json, "DeleteOnEmptyElement"), 0);
    h_resp_free(&r);
}

static void test_create_keeps_flags(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s,
               "{\"GroupName\":\"g\",\"Persistent\":false,\"DeleteOnEmptyElement\":true,"
               "\"DeleteOnUnassociated\":true}",
               &r);
    assert_int_equal(r.status, 201);
    assert_int_equal(h_bool(r.json, "Persistent"), 0);
    assert_int_equal(h_bool(r.json, "DeleteOnEmptyElement"), 1);
    assert_int_equal(h_bool(r.json, "DeleteOnUnassociated"), 1);
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup WHERE persistent = 0 AND"
                                   " delete_on_empty = 1 AND delete_on_unassoc = 1"),
                     1);
}

/* CIM CreateGroup/Members: order kept as AssignedSequence 1, 2, 3, whatever form each
 * reference takes (WBEM URI, WMI path with a value in WMI's single quotes, element URL). */
static void test_create_members_keep_order_in_all_forms(void **state)
{
    struct h_server *s = *state;
    struct h_resp r, g;
    const json_t *members;
    long long v1 = add_volume(s, "v1"), v2 = add_volume(s, "v2"), v3 = add_volume(s, "v3");
    char body[1024];

    (void)v1;
    (void)v2;
    snprintf(body, sizeof(body),
             "{\"GroupName\":\"ordered\",\"Members\":[\"/logical-elements/%lld\","
             "\"\\\\\\\\TGT01\\\\root\\\\cimv2\\\\Storage\\\\iScsiTarget:MSISCSITARGET_"
             "StorageVolume.CreationClassName=\\\"MSISCSITARGET_StorageVolume\\\",DeviceID="
             "'v1',SystemCreationClassName=\\\"CIM_ComputerSystem\\\",SystemName="
             "\\\"tgt01\\\"\",\"//tgt01" VOL("v2") "\"]}",
             v3);
    post_group(s, body, &r);
    assert_int_equal(r.status, 201);
    members = json_object_get(r.json, "Members");
    assert_int_equal(json_array_size(members), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(h_int(json_array_get(members, i), "AssignedSequence"), (long long)i + 1);
    assert_non_null(strstr(h_str(json_array_get(members, 0), "Member"), "DeviceID=\"v3\""));
    assert_non_null(strstr(h_str(json_array_get(members, 1), "Member"), "DeviceID=\"v1\""));
    assert_non_null(strstr(h_str(json_array_get(members, 2), "Member"), "DeviceID=\"v2\""));
    /* Canonical references: namespace and class folded to lower case. */
    assert_non_null(strstr(h_str(json_array_get(members, 0), "Member"),
                           "/root/cimv2/storage/iscsitarget:msiscsitarget_storagevolume."));
    h_resp_free(&r);
    assert_int_equal(h_req(s, "GET", "/replication-groups/1", NULL, NULL, &g), 0);
    assert_int_equal(g.status, 200);
    assert_non_null(
        strstr(h_str(json_array_get(json_object_get(g.json, "Members"), 0), "Member"), "v3"));
    h_resp_free(&g);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member m JOIN element e ON"
                                   " e.id = m.element_id WHERE (e.device_id, m.seq) IN"
                                   " (VALUES ('v3', 1), ('v1', 2), ('v2', 3))"),
                     3);
}

/* ---- GroupName ---- */

static void test_create_taken_name_is_in_use(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s, "{\"GroupName\":\"db-set\"}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    post_group(s, "{\"GroupName\":\"db-set\"}", &r);
    assert_problem(&r, 409, 6, "GroupName"); /* CIM CreateGroup/ReturnValue=6 */
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, COUNT_GROUPS), 1);
}

static void test_create_generated_names_are_unique(void **state)
{
    struct h_server *s = *state;
    struct h_resp a, b, c;

    /* A client takes the name the gateway would generate for the second group. */
    post_group(s, "{}", &a);
    post_group(s, "{\"GroupName\":\"RG-3\"}", &b);
    post_group(s, "{}", &c);
    assert_int_equal(c.status, 201);
    assert_string_not_equal(h_str(c.json, "ElementName"), "RG-3");
    assert_string_not_equal(h_str(c.json, "ElementName"), h_str(a.json, "ElementName"));
    h_resp_free(&a);
    h_resp_free(&b);
    h_resp_free(&c);
}

/* Names taken ahead of the groups that would be given them cannot block unnamed creates. */
static void test_create_generated_name_cannot_be_squatted(void **state)
{
    static const char *const taken[] = {"RG-5", "RG-5-2", "RG-5-3", "RG-5-4"};
    struct h_server *s = *state;
    struct h_resp r;
    char body[64];
    const char *name;

    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
        snprintf(body, sizeof(body), "{\"GroupName\":\"%s\"}", taken[i]);
        post_group(s, body, &r);
        assert_int_equal(r.status, 201);
        h_resp_free(&r);
    }
    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(h_str(r.json, "id"), "5");
    name = h_str(r.json, "ElementName");
    assert_int_equal(strlen(name), strlen("RG-5-") + 16);
    assert_int_equal(strncmp(name, "RG-5-", 5), 0);
    assert_int_equal(strspn(name + 5, "0123456789abcdef"), 16);
    h_resp_free(&r);
    post_group(s, "{}", &r);
    assert_string_equal(h_str(r.json, "ElementName"), "RG-6");
    h_resp_free(&r);
}

static void test_create_rejects_bad_names(void **state)
{
    struct h_server *s = *state;
    static const char *const bodies[] = {
        "{\"GroupName\":\"\"}",
        "{\"GroupName\":\"tab\\there\"}",
        "{\"GroupName\":\"bell\\u0007\"}",
        "{\"GroupName\":\"c1\\u0085\"}",
    };
    char body[400];
    struct h_resp r;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        post_group(s, bodies[i], &r);
        assert_problem(&r, 422, 5, "GroupName");
        h_resp_free(&r);
    }
    snprintf(body, sizeof(body), "{\"GroupName\":\"%0257d\"}", 0);
    post_group(s, body, &r);
    assert_problem(&r, 422, 5, "GroupName");
    h_resp_free(&r);
    assert_store_empty(s);
    /* 256 bytes is the limit, and multi-byte UTF-8 is fine. */
    snprintf(body, sizeof(body), "{\"GroupName\":\"%0256d\"}", 0);
    post_group(s, body, &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    post_group(s, "{\"GroupName\":\"gruppe-\\u00e4\\u4e2d\"}", &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(h_str(r.json, "ElementName"), "gruppe-\xc3\xa4\xe4\xb8\xad");
    h_resp_free(&r);
}

/* JSON may write a NUL as "\u0000"; a C string would end there, so every string the request
 * gives holds it as a control character: refused like "\u0001", never cut short. */
static void test_create_nul_in_strings_is_refused(void **state)
{
    struct h_server *s = *state;
    static const struct {
        const char *body;
        const char *param;
    } bodies[] = {
        {"{\"GroupName\":\"nul\\u0000x\"}", "GroupName"},
        {"{\"GroupName\":\"\\u0000\"}", "GroupName"},
        {"{\"Members\":[\"/logical-elements/1\\u0000x\"]}", "Members[0]"},
        {"{\"Members\":[\"/logical-elements/1\",\"/logical-elements/1\\u0000\"]}", "Members[1]"},
        {"{\"ServiceAccessPoint\":\"" VOL("v1") "\\u0000\"}", "ServiceAccessPoint"},
        {"{\"ReplicationSettingData\":{\"ElementName\":\"a\\u0000b\"}}",
         "ReplicationSettingData.ElementName"},
        {"{\"ReplicationSettingData\":\"instance of CIM_ReplicationSettingData { ElementName = "
         "\\\"x\\\"; };\\u0000junk\"}",
         "ReplicationSettingData"},
        {"{\"ReplicationSettingData\":\"instance of CIM_ReplicationSettingData { ElementName = "
         "\\\"x\\u0000y\\\"; };\"}",
         "ReplicationSettingData.ElementName"},
    };
    struct h_resp r;

    add_volume(s, "v1");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        post_group(s, bodies[i].body, &r);
        assert_problem(&r, 422, 5, bodies[i].param);
        h_resp_free(&r);
    }
    assert_store_empty(s);
    /* A key holding a NUL stays malformed JSON. */
    post_group(s, "{\"Group\\u0000Name\":\"x\"}", &r);
    assert_problem(&r, 400, 5, NULL);
    h_resp_free(&r);
    assert_store_empty(s);
}

/* CIM CreateGroup/ReturnValue=7: a service whose groups are not nameable refuses GroupName. */
static void test_create_not_nameable(void **state)
{
    static const char *const args[] = {"--nameable=false", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    post_group(s, "{\"GroupName\":\"x\"}", &r);
    assert_problem(&r, 422, 7, "GroupName");
    h_resp_free(&r);
    /* Rule 1 comes first, whatever the name holds. */
    post_group(s, "{\"GroupName\":\"nul\\u0000x\"}", &r);
    assert_problem(&r, 422, 7, "GroupName");
    h_resp_free(&r);
    assert_store_empty(s);
    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    h_free(s);
}

/* ---- Members ---- */

static void test_create_unknown_member(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volume(s, "v1");
    post_group(s, "{\"Members\":[\"" VOL("v1") "\",\"" VOL("nope") "\"]}", &r);
    assert_problem(&r, 422, 5, "Members[1]");
    h_resp_free(&r);
    post_group(s, "{\"Members\":[\"/logical-elements/999\"]}", &r);
    assert_problem(&r, 422, 5, "Members[0]");
    h_resp_free(&r);
    assert_store_empty(s);
}

static void test_create_malformed_member(void **state)
{
    struct h_server *s = *state;
    static const char *const bodies[] = {
        "{\"Members\":[\"not a path\"]}",
        "{\"Members\":[\"/root/cimv2:MSISCSITARGET_StorageVolume\"]}",
        "{\"Members\":[\"/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume."
        "DeviceID=\\\"unterminated\"]}",
        "{\"Members\":[\"/root/other:MSISCSITARGET_StorageVolume.CreationClassName="
        "\\\"MSISCSITARGET_StorageVolume\\\",DeviceID=\\\"v\\\",SystemCreationClassName="
        "\\\"CIM_ComputerSystem\\\",SystemName=\\\"tgt01\\\"\"]}",
        "{\"Members\":[\"/logical-elements/abc\"]}",
    };
    struct h_resp r;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        post_group(s, bodies[i], &r);
        assert_problem(&r, 422, 5, "Members[0]");
        h_resp_free(&r);
    }
    post_group(s, "{\"Members\":[42]}", &r);
    assert_problem(&r, 400, 5, "Members[0]");
    h_resp_free(&r);
    post_group(s, "{\"Members\":\"" VOL("v1") "\"}", &r);
    assert_problem(&r, 400, 5, "Members");
    h_resp_free(&r);
    assert_store_empty(s);
}

static void test_create_duplicate_member(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    long long id = add_volume(s, "v1");
    char body[600];

    /* The same element named twice, in two different forms. */
    snprintf(body, sizeof(body), "{\"Members\":[\"" VOL("v1") "\",\"/logical-elements/%lld\"]}",
             id);
    post_group(s, body, &r);
    assert_problem(&r, 422, 5, "Members[1]");
    h_resp_free(&r);
    assert_store_empty(s);
}

static void test_create_empty_members_when_empty_groups_disallowed(void **state)
{
    static const char *const args[] = {"--empty-groups=false", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    post_group(s, "{\"Members\":[]}", &r);
    assert_problem(&r, 422, 5, "Members");
    h_resp_free(&r);
    post_group(s, "{}", &r);
    assert_problem(&r, 422, 5, "Members");
    h_resp_free(&r);
    assert_store_empty(s);
    add_volume(s, "v1");
    post_group(s, "{\"Members\":[\"" VOL("v1") "\"]}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    h_free(s);
}

static void test_create_member_of_another_group_is_in_use(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volume(s, "v1");
    add_volume(s, "v2");
    post_group(s, "{\"GroupName\":\"a\",\"Members\":[\"" VOL("v1") "\"]}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    post_group(s, "{\"GroupName\":\"b\",\"Members\":[\"" VOL("v2") "\",\"" VOL("v1") "\"]}", &r);
    assert_problem(&r, 409, 6, "Members[1]");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, COUNT_GROUPS), 1);
    assert_int_equal(h_db_count(s, COUNT_MEMBERS), 1);
}

static void test_create_multiple_membership_allowed(void **state)
{
    static const char *const args[] = {"--multiple-membership", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    add_volume(s, "v1");
    post_group(s, "{\"GroupName\":\"a\",\"Members\":[\"" VOL("v1") "\"]}", &r);
    h_resp_free(&r);
    post_group(s, "{\"GroupName\":\"b\",\"Members\":[\"" VOL("v1") "\"]}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, COUNT_MEMBERS), 2);
    h_free(s);
}

static void test_create_over_max_members(void **state)
{
    static const char *const args[] = {"--max-members", "2", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    add_volume(s, "v1");
    add_volume(s, "v2");
    add_volume(s, "v3");
    post_group(s, "{\"Members\":[\"" VOL("v1") "\",\"" VOL("v2") "\",\"" VOL("v3") "\"]}", &r);
    assert_problem(&r, 422, 5, "Members");
    h_resp_free(&r);
    assert_store_empty(s);
    post_group(s, "{\"Members\":[\"" VOL("v1") "\",\"" VOL("v2") "\"]}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    h_free(s);
}

static void test_create_over_max_groups(void **state)
{
    static const char *const args[] = {"--max-groups", "1", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    post_group(s, "{}", &r);
    assert_problem(&r, 422, 5, NULL);
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, COUNT_GROUPS), 1);
    h_free(s);
}

/* Creates sent together reach the writer as one batch: the limit counts the groups the batch
 * created before each, not only those of the last commit. */
#define RACERS 12

static void *post_empty(void *cls)
{
    struct h_server *s = cls;
    struct h_resp r;
    intptr_t status = h_req(s, "POST", "/replication-groups", NULL, "{}", &r) == 0 ? r.status : -1;

    h_resp_free(&r);
    return (void *)status;
}

static void test_create_max_groups_holds_under_concurrency(void **state)
{
    static const char *const args[] = {"--max-groups", "3", NULL};
    struct h_server *s = h_new(args);
    pthread_t threads[RACERS];
    int created = 0, refused = 0;

    (void)state;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < RACERS; i++)
            assert_int_equal(pthread_create(&threads[i], NULL, post_empty, s), 0);
        for (int i = 0; i < RACERS; i++) {
            void *status;

            assert_int_equal(pthread_join(threads[i], &status), 0);
            created += (intptr_t)status == 201;
            refused += (intptr_t)status == 422;
        }
    }
    assert_int_equal(created, 3);
    assert_int_equal(refused, 3 * RACERS - 3);
    assert_int_equal(h_db_count(s, COUNT_GROUPS), 3);
    h_free(s);
}

/* ---- Persistent ---- */

static void test_create_temporary_not_supported(void **state)
{
    static const char *const args[] = {"--temporary-groups=false", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    post_group(s, "{\"Persistent\":false}", &r);
    assert_problem(&r, 422, 5, "Persistent");
    h_resp_free(&r);
    assert_store_empty(s);
    post_group(s, "{\"Persistent\":true}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    h_free(s);
}

static void test_create_default_persistency_from_capabilities(void **state)
{
    static const char *const args[] = {"--default-persistency", "not-persistent", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;

    (void)state;
    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    assert_int_equal(h_bool(r.json, "Persistent"), 0);
    h_resp_free(&r);
    assert_int_equal(h_req(s, "GET", "/capabilities", NULL, NULL, &r), 0);
    assert_int_equal(h_int(r.json, "DefaultGroupPersistency"), 3);
    h_resp_free(&r);
    h_free(s);
}

/* CIM-NOTES Implications 3: without Composite Groups (group feature 7) a group's members are
 * hosted by its own system; with --composite-groups they may come from others. */
static void test_create_member_of_another_system(void **state)
{
    static const char *const composite[] = {"--composite-groups", NULL};
    struct h_server *s = *state, *c;
    struct h_resp r;

    add_volume(s, "v1");
    post_group(s, "{\"Members\":[\"/logical-elements/1\"]}", &r);
    assert_int_equal(r.status, 201); /* SystemName defaulted to the service's */
    h_resp_free(&r);
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL,
                              "{\"DeviceID\":\"far\",\"SystemName\":\"array2\"}"),
                     201);
    post_group(s, "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"]}", &r);
    assert_problem(&r, 422, 5, "Members[1]");
    h_resp_free(&r);
    assert_int_equal(h_status(s, "POST", "/replication-groups/1/add-members", NULL,
                              "{\"Members\":[\"/logical-elements/2\"]}"),
                     422);
    assert_int_equal(h_db_count(s, COUNT_MEMBERS), 1);
    /* The system's class name compares without case; its name exactly, as element identity
     * compares it: "v1" on "TGT01" is another element than "v1" on "tgt01", on another system,
     * and one group cannot hold both. */
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL,
                              "{\"DeviceID\":\"v1\",\"SystemName\":\"TGT01\"}"),
                     201);
    assert_int_equal(h_status(s, "POST", "/replication-groups/1/add-members", NULL,
                              "{\"Members\":[\"/logical-elements/3\"]}"),
                     422);
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL,
                              "{\"DeviceID\":\"near\",\"SystemCreationClassName\":"
                              "\"cim_computersystem\"}"),
                     201);
    assert_int_equal(h_status(s, "POST", "/replication-groups/1/add-members", NULL,
                              "{\"Members\":[\"/logical-elements/4\"]}"),
                     200);

    c = h_new(composite);
    assert_int_equal(h_status(c, "POST", "/logical-elements", NULL,
                              "{\"DeviceID\":\"far\",\"SystemName\":\"array2\"}"),
                     201);
    post_group(c, "{\"Members\":[\"/logical-elements/1\"]}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    assert_int_equal(h_req(c, "GET", "/capabilities", NULL, NULL, &r), 0);
    assert_non_null(strstr(r.body, "\"SupportedGroupFeatures\":[5,7,13,14]"));
    h_resp_free(&r);
    /* Composite Groups off again: the foreign member it holds may be sent again (a client
     * re-applying its list), and the local one beside it is added. */
    assert_int_equal(h_stop(c), 0);
    c->n_args = 0;
    assert_int_equal(h_restart(c), 0);
    assert_int_equal(h_status(c, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"near\"}"),
                     201);
    assert_int_equal(h_status(c, "POST", "/replication-groups/1/add-members", NULL,
                              "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"]}"),
                     200);
    assert_int_equal(h_db_count(c, COUNT_MEMBERS), 2);
    h_free(c);
}

/* ---- ServiceAccessPoint ---- */

#define PEER9_SAP                                                                                  \
    "{\"ServiceAccessPoint\":\"/root/cimv2/storage/iscsitarget:"                                   \
    "CIM_RemoteServiceAccessPoint.CreationClassName=\\\"CIM_RemoteServiceAccessPoint\\\""          \
    ",Name=\\\"peer9\\\",SystemCreationClassName=\\\"CIM_ComputerSystem\\\","                      \
    "SystemName=\\\"tgt01\\\"\"}"

/* CIM CreateGroup/ReturnValue=1: with no access point configured (the default) remote creation
 * is not supported, whatever the reference names. */
static void test_create_access_point_without_remote_creation(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s, PEER9_SAP, &r);
    assert_problem(&r, 501, 1, "ServiceAccessPoint");
    h_resp_free(&r);
    post_group(s, "{\"ServiceAccessPoint\":\"garbage\"}", &r);
    assert_problem(&r, 501, 1, "ServiceAccessPoint");
    h_resp_free(&r);
    post_group(s, "{\"ServiceAccessPoint\":null}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
}

/* CIM CreateGroup/ReturnValue=1: remote creation through a known access point. */
static void test_create_remote_access_point_not_supported(void **state)
{
    static const char *const args[] = {"--access-point", "peer1", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;
    const char *sap;
    char body[600];

    (void)state;
    assert_int_equal(h_req(s, "GET", "/capabilities", NULL, NULL, &r), 0);
    sap = json_string_value(json_array_get(json_object_get(r.json, "ServiceAccessPoints"), 0));
    assert_non_null(sap);
    {
        json_t *j = json_pack("{s:s}", "ServiceAccessPoint", sap);
        char *text = json_dumps(j, 0);
        snprintf(body, sizeof(body), "%s", text);
        free(text);
        json_decref(j);
    }
    h_resp_free(&r);
    post_group(s, body, &r);
    assert_problem(&r, 501, 1, "ServiceAccessPoint");
    h_resp_free(&r);
    /* CIM CreateGroup/ReturnValue=5: with access points configured, a reference to another
     * one, or no reference at all, is an invalid parameter. */
    post_group(s, PEER9_SAP, &r);
    assert_problem(&r, 422, 5, "ServiceAccessPoint");
    h_resp_free(&r);
    post_group(s, "{\"ServiceAccessPoint\":\"garbage\"}", &r);
    assert_problem(&r, 422, 5, "ServiceAccessPoint");
    h_resp_free(&r);
    /* peer1's Name on another system, or without the other keys, names no known one. */
    post_group(s,
               "{\"ServiceAccessPoint\":\"/root/cimv2/storage/iscsitarget:"
               "CIM_RemoteServiceAccessPoint.CreationClassName=\\\"CIM_RemoteServiceAccessPoint\\\""
               ",Name=\\\"peer1\\\",SystemCreationClassName=\\\"CIM_ComputerSystem\\\","
               "SystemName=\\\"othersys\\\"\"}",
               &r);
    assert_problem(&r, 422, 5, "ServiceAccessPoint");
    h_resp_free(&r);
    post_group(s, "{\"ServiceAccessPoint\":\"CIM_RemoteServiceAccessPoint.Name=\\\"peer1\\\"\"}",
               &r);
    assert_problem(&r, 422, 5, "ServiceAccessPoint");
    h_resp_free(&r);
    assert_store_empty(s);
    h_free(s);
}

/* ---- ReplicationSettingData ---- */

static void test_create_rsd_json_stored_and_returned(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    const json_t *rsd;

    post_group(s,
               "{\"ReplicationSettingData\":{\"ElementName\":\"rsd\",\"ConsistentPointInTime\":"
               "true,\"OnGroupOrListError\":3,\"Description\":\"nightly\"}}",
               &r);
    assert_int_equal(r.status, 201);
    rsd = json_object_get(r.json, "ReplicationSettingData");
    assert_int_equal(h_bool(rsd, "ConsistentPointInTime"), 1);
    assert_int_equal(h_int(rsd, "OnGroupOrListError"), 3);
    assert_string_equal(h_str(rsd, "ElementName"), "rsd");
    /* The setting data's Description labels the group (CIM-NOTES §1). */
    assert_string_equal(h_str(r.json, "Description"), "nightly");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, COUNT_SETTINGS), 4);
    assert_int_equal(h_req(s, "GET", "/replication-groups/1", NULL, NULL, &r), 0);
    rsd = json_object_get(r.json, "ReplicationSettingData");
    assert_int_equal(h_int(rsd, "OnGroupOrListError"), 3);
    h_resp_free(&r);
}

static void test_create_rsd_mof_string(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    const json_t *rsd;

    post_group(s,
               "{\"ReplicationSettingData\":\"instance of CIM_ReplicationSettingData {\\n"
               "   ElementName = \\\"rsd\\\";\\n   ConsistentPointInTime = TRUE;\\n"
               "   OnGroupOrListError = 2;\\n};\"}",
               &r);
    assert_int_equal(r.status, 201);
    rsd = json_object_get(r.json, "ReplicationSettingData");
    assert_int_equal(h_bool(rsd, "ConsistentPointInTime"), 1);
    assert_int_equal(h_int(rsd, "OnGroupOrListError"), 2);
    h_resp_free(&r);
    /* The class's ComponentSetting[], which the service does not take, may come as null: a
     * default instance read back has it so. */
    post_group(s, "{\"ReplicationSettingData\":{\"ComponentSetting\":null,\"Multihop\":1}}", &r);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"ReplicationSettingData\":{\"Multihop\":1}"));
    h_resp_free(&r);
}

/* CIM-NOTES §9.2: the CIM-XML form of the embedded instance, as pywbem writes it, is stored
 * and read back as the other forms are; a bad one is 5 naming the property or the parameter,
 * and leaves nothing. */
static void test_create_rsd_cim_xml_string(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    const json_t *rsd;

    post_group(s,
               "{\"ReplicationSettingData\":\"<INSTANCE CLASSNAME=\\\"CIM_ReplicationSettingData\\\">"
               "<PROPERTY NAME=\\\"ConsistentPointInTime\\\" TYPE=\\\"boolean\\\"><VALUE>TRUE</VALUE>"
               "</PROPERTY><PROPERTY NAME=\\\"Description\\\" TYPE=\\\"string\\\"><VALUE>db &amp; "
               "logs</VALUE></PROPERTY></INSTANCE>\"}",
               &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(h_str(r.json, "Description"), "db & logs");
    h_resp_free(&r);
    assert_int_equal(h_req(s, "GET", "/replication-groups/1", NULL, NULL, &r), 0);
    rsd = json_object_get(r.json, "ReplicationSettingData");
    assert_int_equal(h_bool(rsd, "ConsistentPointInTime"), 1);
    assert_string_equal(h_str(rsd, "Description"), "db & logs");
    h_resp_free(&r);
    post_group(s,
               "{\"GroupName\":\"x\",\"ReplicationSettingData\":\" <INSTANCE CLASSNAME="
               "\\\"CIM_ReplicationSettingData\\\"><PROPERTY NAME=\\\"Multihop\\\" TYPE=\\\"string\\\">"
               "<VALUE>2</VALUE></PROPERTY></INSTANCE>\"}",
               &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData.Multihop");
    h_resp_free(&r);
    post_group(s, "{\"GroupName\":\"x\",\"ReplicationSettingData\":\"<INSTANCE>\"}", &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData");
    h_resp_free(&r);
    /* An interval property is no timestamp, in JSON as in MOF (CIM-NOTES.md section 6). */
    post_group(s,
               "{\"GroupName\":\"x\",\"ReplicationSettingData\":"
               "{\"DeltaUpdateInterval\":\"20240101120000.000000+000\"}}",
               &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData.DeltaUpdateInterval");
    h_resp_free(&r);
    post_group(s,
               "{\"GroupName\":\"x\",\"ReplicationSettingData\":\"instance of "
               "CIM_ReplicationSettingData { DesiredRPO = \\\"20240101120000.000000+000\\\"; };\"}",
               &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData.DesiredRPO");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 1);
    assert_int_equal(h_db_count(s, COUNT_SETTINGS), 2);
}

/* A uint64 property keeps its whole range through the store, beyond what jansson parses. */
static void test_create_rsd_uint64_range(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s, "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":18446744073709551615}}",
               &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    assert_int_equal(h_req(s, "GET", "/replication-groups/1", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":"
                                   "18446744073709551615}"));
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":18446744073709551616}}",
               &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData.DeltaUpdateBlocks");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, COUNT_SETTINGS), 1);
    /* A whole number written with a fraction or an exponent is an integer (JSON Schema's
     * integer); one with a fraction is not. */
    post_group(s, "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":1E2,"
                  "\"OnGroupOrListError\":2.0}}",
               &r);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"DeltaUpdateBlocks\":100"));
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":2.5}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.DeltaUpdateBlocks");
    assert_non_null(strstr(h_str(r.json, "detail"), "must be a whole number"));
    h_resp_free(&r);
    /* The detail of a value that is no number at all says only what it must be. */
    post_group(s, "{\"ReplicationSettingData\":{\"Multihop\":\"x\"}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.Multihop");
    assert_string_equal(h_str(r.json, "detail"), "ReplicationSettingData.Multihop must be an integer");
    h_resp_free(&r);
    /* From 2^53 up a double is not the number written: such a one is not taken. */
    post_group(s, "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":9007199254740993.0}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.DeltaUpdateBlocks");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":1e30}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.DeltaUpdateBlocks");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"DeltaUpdateBlocks\":-3.0}}", &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData.DeltaUpdateBlocks");
    h_resp_free(&r);
}

static void test_create_rsd_invalid(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s, "{\"ReplicationSettingData\":{\"OnGroupOrListError\":7}}", &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData.OnGroupOrListError");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"NoSuchProperty\":1}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.NoSuchProperty");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"NoSuchProperty\":null}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.NoSuchProperty");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"ComponentSetting\":[\"x\"]}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.ComponentSetting");
    assert_non_null(strstr(h_str(r.json, "detail"), "that this service does not take"));
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":{\"ConsistentPointInTime\":\"yes\"}}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData.ConsistentPointInTime");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":\"instance of CIM_StorageSetting { };\"}", &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":\"instance of CIM_ReplicationSettingData {\"}", &r);
    assert_problem(&r, 422, 5, "ReplicationSettingData");
    h_resp_free(&r);
    post_group(s, "{\"ReplicationSettingData\":42}", &r);
    assert_problem(&r, 400, 5, "ReplicationSettingData");
    h_resp_free(&r);
    assert_store_empty(s);
}

/* ---- malformed requests (400) ---- */

static void test_create_malformed_json(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s, "{\"GroupName\":", &r);
    assert_problem(&r, 400, 5, NULL);
    h_resp_free(&r);
    post_group(s, "[]", &r);
    assert_problem(&r, 400, 5, NULL);
    h_resp_free(&r);
    /* Well-formed JSON of another kind is not called malformed. */
    post_group(s, "\"x\"", &r);
    assert_problem(&r, 400, 5, NULL);
    assert_string_equal(h_str(r.json, "detail"), "the request body must be a JSON object");
    h_resp_free(&r);
    post_group(s, "{\"GroupName\":\"a\",\"GroupName\":\"b\"}", &r);
    assert_problem(&r, 400, 5, "GroupName");
    assert_string_equal(h_str(r.json, "detail"),
                        "GroupName is given more than once (line 1, column 28)");
    h_resp_free(&r);
    post_group(s, "{\"Colour\":\"red\"}", &r);
    assert_problem(&r, 400, 5, "Colour");
    h_resp_free(&r);
    post_group(s, "{\"Persistent\":\"false\"}", &r);
    assert_problem(&r, 400, 5, "Persistent");
    h_resp_free(&r);
    post_group(s, "{\"GroupName\":7}", &r);
    assert_problem(&r, 400, 5, "GroupName");
    h_resp_free(&r);
    /* A detail too long to keep whole is cut and says so. */
    {
        char body[1200];
        const char *detail;

        snprintf(body, sizeof(body),
                 "{\"Members\":[\"/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume."
                 "CreationClassName=\\\"MSISCSITARGET_StorageVolume\\\",DeviceID=\\\"%0900d\\\","
                 "SystemCreationClassName=\\\"CIM_ComputerSystem\\\",SystemName=\\\"tgt01\\\"\"]}",
                 7);
        post_group(s, body, &r);
        assert_problem(&r, 422, 5, "Members[0]");
        detail = h_str(r.json, "detail");
        assert_true(strlen(detail) > 500 && strlen(detail) < 600);
        assert_string_equal(detail + strlen(detail) - 3, "\xE2\x80\xA6");
        h_resp_free(&r);
    }
    assert_store_empty(s);
}

/* ---- storage outcomes: 3 Timeout, 4 Failed, 2 Unknown ---- */

static void test_create_locked_database_is_timeout(void **state)
{
    static const char *const args[] = {"--busy-timeout", "100", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;
    sqlite3 *other = NULL;
    char retry[16];

    (void)state;
    /* Another process holds the write lock past the gateway's busy timeout. */
    assert_int_equal(sqlite3_open(s->db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    post_group(s, "{\"GroupName\":\"blocked\"}", &r);
    assert_problem(&r, 503, 3, NULL);
    assert_non_null(h_header(&r, "Retry-After", retry, sizeof(retry)));
    h_resp_free(&r);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_store_empty(s);
    post_group(s, "{\"GroupName\":\"blocked\"}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    h_free(s);
}

/* --busy-timeout bounds a write's wait for the lock: the batch that waited it out does not make
 * its change wait a second time alone (it did: 2 s for a 1 s timeout). The bound is wide, as a
 * server under valgrind is slow; the question is one wait or two. */
static void test_locked_database_waits_the_busy_timeout_once(void **state)
{
    static const char *const args[] = {"--busy-timeout", "1000", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;
    sqlite3 *other = NULL;
    struct timespec t0, t1;
    double waited;

    (void)state;
    assert_int_equal(sqlite3_open(s->db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    post_group(s, "{}", &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_problem(&r, 503, 3, NULL);
    h_resp_free(&r);
    waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(waited >= 0.9);
    assert_true(waited < 1.9);
    /* A change queued behind a batch waiting for the lock waits only what is left of its own
     * timeout, not one more whole timeout after that batch gives up (it did: 1.8 s here). */
    {
        static const char req[] = "POST /replication-groups HTTP/1.1\r\nHost: a\r\n"
                                  "Content-Type: application/json\r\nContent-Length: 2\r\n"
                                  "Connection: close\r\n\r\n{}";
        int first = h_connect(s), second = h_connect(s);
        struct pollfd pfd = {.fd = second, .events = POLLIN};
        char got[16];

        assert_true(first >= 0 && second >= 0);
        assert_int_equal(send(first, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
        usleep_ms(200);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(send(second, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true(recv(second, got, sizeof(got), 0) > 12);
        assert_int_equal(strncmp(got, "HTTP/1.1 503", 12), 0);
        waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        assert_true(waited < 1.5);
        close(first);
        close(second);
    }
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    /* The next batch waits again, and finds the lock free. */
    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    h_free(s);
}

/* A failure in the middle of writing the members (the third of four) leaves nothing behind:
 * no group, no member, no setting data. CIM CreateGroup/ReturnValue=4. */
static void test_create_failure_mid_members_leaves_nothing(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volume(s, "v1");
    add_volume(s, "v2");
    add_volume(s, "v3");
    add_volume(s, "v4");
    assert_int_equal(h_db_exec(s, "CREATE TRIGGER fail_third BEFORE INSERT ON member"
                                  " WHEN NEW.seq = 3 BEGIN SELECT RAISE(ABORT, 'injected'); END"),
                     SQLITE_OK);
    post_group(s,
               "{\"GroupName\":\"half\",\"ReplicationSettingData\":{\"ElementName\":\"x\"},"
               "\"Members\":[\"" VOL("v1") "\",\"" VOL("v2") "\",\"" VOL("v3") "\",\"" VOL(
                   "v4") "\"]}",
               &r);
    assert_problem(&r, 500, 4, "Members[2]");
    h_resp_free(&r);
    assert_store_empty(s);
    assert_int_equal(h_req(s, "GET", "/replication-groups?ElementName=half", NULL, NULL, &r), 0);
    assert_int_equal(h_int(r.json, "count"), 0);
    h_resp_free(&r);
    /* The gateway goes on working once the fault is gone. */
    assert_int_equal(h_db_exec(s, "DROP TRIGGER fail_third"), SQLITE_OK);
    post_group(s, "{\"GroupName\":\"half\",\"Members\":[\"" VOL("v1") "\"]}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
}

static void test_create_full_database_is_failed(void **state)
{
    static const char *const args[] = {"--db-max-pages", "24", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;
    char body[2048];
    int status = 201, created = 0;

    (void)state;
    /* Fill the capped file with large names until the storage refuses. */
    for (int i = 0; i < 200 && status == 201; i++) {
        snprintf(body, sizeof(body), "{\"GroupName\":\"%04d%0250d\"}", i, 0);
        post_group(s, body, &r);
        status = r.status;
        if (status == 201)
            created++;
        else
            assert_problem(&r, 500, 4, NULL);
        h_resp_free(&r);
    }
    assert_int_equal(status, 500);
    /* Everything acknowledged is still there, and the store says it takes no more writes. */
    assert_int_equal(h_db_count(s, COUNT_GROUPS), created);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 503);
    h_free(s);
}

/* A full disk inside a batch of changes made SQLite roll the batch back under the writer, whose
 * later statements then committed one by one: counts for groups that were never stored, and
 * answers whose Idempotency-Key was not kept (the retry made the group again). Now the store's
 * counts are its rows', and every acknowledged key replays. */
static void test_full_database_keeps_counts_and_keys(void **state)
{
    static const char *const args[] = {"--db-max-pages", "22", "--multiple-membership", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;
    char body[4096], key[64], members[1024] = "", replayed[16];
    int acked[40] = {0};
    int failures = 0;

    (void)state;
    for (int i = 0; i < 8; i++) {
        char dev[8];

        snprintf(dev, sizeof(dev), "v%d", i);
        add_volume(s, dev);
        snprintf(members + strlen(members), sizeof(members) - strlen(members),
                 "%s\"/logical-elements/%d\"", i ? "," : "", i + 1);
    }
    for (int i = 0; i < 40 && failures < 3; i++) {
        snprintf(body, sizeof(body),
                 "{\"GroupName\":\"g%02d%0200d\",\"Members\":[%s],"
                 "\"ReplicationSettingData\":{\"ElementName\":\"%0300d\"}}",
                 i, 0, members, 0);
        snprintf(key, sizeof(key), "Idempotency-Key: full-%d\r\n", i);
        assert_int_equal(h_req(s, "POST", "/replication-groups", key, body, &r), 0);
        acked[i] = r.status == 201;
        if (!acked[i]) {
            assert_problem(&r, 500, 4, NULL);
            failures++;
        }
        h_resp_free(&r);
    }
    assert_int_equal(failures, 3);
    assert_int_equal(h_db_count(s, "SELECT n FROM tally WHERE name = 'rgroup'"),
                     h_db_count(s, COUNT_GROUPS));
    assert_int_equal(h_db_count(s, "SELECT n FROM tally WHERE name = 'member'"),
                     h_db_count(s, COUNT_MEMBERS));
    for (int i = 0; i < 40; i++) {
        if (!acked[i])
            continue;
        snprintf(body, sizeof(body),
                 "{\"GroupName\":\"g%02d%0200d\",\"Members\":[%s],"
                 "\"ReplicationSettingData\":{\"ElementName\":\"%0300d\"}}",
                 i, 0, members, 0);
        snprintf(key, sizeof(key), "Idempotency-Key: full-%d\r\n", i);
        assert_int_equal(h_req(s, "POST", "/replication-groups", key, body, &r), 0);
        assert_int_equal(r.status, 201);
        assert_non_null(h_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
        h_resp_free(&r);
    }
    h_free(s);
}

static void test_create_unclassified_storage_error_is_unknown(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    /* A broken trigger makes SQLite fail with a plain SQL error the gateway cannot classify. */
    assert_int_equal(h_db_exec(s, "CREATE TRIGGER broken BEFORE INSERT ON rgroup"
                                  " BEGIN SELECT no_such_function(); END"),
                     SQLITE_OK);
    post_group(s, "{\"GroupName\":\"x\"}", &r);
    assert_problem(&r, 500, 2, NULL);
    h_resp_free(&r);
    assert_int_equal(h_db_exec(s, "DROP TRIGGER broken"), SQLITE_OK);
    assert_store_empty(s);
}

/* ---- durability ---- */

static void test_acknowledged_group_survives_kill(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    add_volume(s, "v1");
    add_volume(s, "v2");
    post_group(s,
               "{\"GroupName\":\"durable\",\"Members\":[\"" VOL("v2") "\",\"" VOL("v1") "\"],"
               "\"ReplicationSettingData\":{\"ElementName\":\"r\"}}",
               &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    h_kill(s);
    assert_int_equal(h_restart(s), 0);
    assert_int_equal(h_req(s, "GET", "/replication-groups/1", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(h_str(r.json, "ElementName"), "durable");
    assert_int_equal(json_array_size(json_object_get(r.json, "Members")), 2);
    assert_non_null(
        strstr(h_str(json_array_get(json_object_get(r.json, "Members"), 0), "Member"), "v2"));
    assert_string_equal(h_str(json_object_get(r.json, "ReplicationSettingData"), "ElementName"),
                        "r");
    h_resp_free(&r);
}

/* API.md: the hosting link is written with the group. A restart under another --system-name
 * hosts new groups there; the groups made before keep the system they were made on. */
static void test_hosting_system_is_the_stored_one(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    h_resp_free(&r);
    assert_int_equal(h_stop(s), 0);
    snprintf(s->args[s->n_args++], sizeof(s->args[0]), "--system-name");
    snprintf(s->args[s->n_args++], sizeof(s->args[0]), "tgt02");
    assert_int_equal(h_restart(s), 0);
    assert_int_equal(h_req(s, "GET", "/replication-groups/1", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(h_str(r.json, "HostingSystem"), "Name=\"tgt01\""));
    h_resp_free(&r);
    post_group(s, "{}", &r);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(h_str(r.json, "HostingSystem"), "Name=\"tgt02\""));
    h_resp_free(&r);
    assert_int_equal(h_req(s, "GET", "/replication-groups/2", NULL, NULL, &r), 0);
    assert_non_null(strstr(h_str(r.json, "HostingSystem"), "Name=\"tgt02\""));
    h_resp_free(&r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_default, h_teardown)
#define T_OWN(f) cmocka_unit_test(f)
    const struct CMUnitTest tests[] = {
        T(test_create_empty_body_gets_defaults),
        T(test_create_null_means_default),
        T(test_create_keeps_flags),
        T(test_create_members_keep_order_in_all_forms),
        T(test_create_taken_name_is_in_use),
        T(test_create_generated_names_are_unique),
        T(test_create_generated_name_cannot_be_squatted),
        T(test_create_rejects_bad_names),
        T(test_create_nul_in_strings_is_refused),
        T_OWN(test_create_not_nameable),
        T(test_create_unknown_member),
        T(test_create_malformed_member),
        T(test_create_duplicate_member),
        T_OWN(test_create_empty_members_when_empty_groups_disallowed),
        T(test_create_member_of_another_group_is_in_use),
        T_OWN(test_create_multiple_membership_allowed),
        T(test_create_member_of_another_system),
        T_OWN(test_create_over_max_members),
        T_OWN(test_create_over_max_groups),
        T_OWN(test_create_max_groups_holds_under_concurrency),
        T_OWN(test_create_temporary_not_supported),
        T_OWN(test_create_default_persistency_from_capabilities),
        T(test_create_access_point_without_remote_creation),
        T_OWN(test_create_remote_access_point_not_supported),
        T(test_create_rsd_json_stored_and_returned),
        T(test_create_rsd_mof_string),
        T(test_create_rsd_cim_xml_string),
        T(test_create_rsd_uint64_range),
        T(test_create_rsd_invalid),
        T(test_create_malformed_json),
        T_OWN(test_create_locked_database_is_timeout),
        T_OWN(test_locked_database_waits_the_busy_timeout_once),
        T(test_create_failure_mid_members_leaves_nothing),
        T_OWN(test_create_full_database_is_failed),
        T_OWN(test_full_database_keeps_counts_and_keys),
        T(test_create_unclassified_storage_error_is_unknown),
        T(test_acknowledged_group_survives_kill),
        T(test_hosting_system_is_the_stored_one),
    };

    return cmocka_run_group_tests_name("create_group_http", tests, NULL, NULL);
}
