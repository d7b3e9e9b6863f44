/* cim/: CreateGroup's rules and element resolution on a real database in a temporary file,
 * without JSON or HTTP. Tags name the CIM rule each test proves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cim/cim.h"
#include "db/db.h"

struct fixture {
    char dir[64];
    struct db *db;
    struct cim_service svc;
};

static int setup_with(void **state, const struct cim_caps *caps)
{
    static const struct db_options opts = {.busy_timeout_ms = 100};
    struct fixture *f = calloc(1, sizeof(*f));
    char path[96], why[256];

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/replgw-cim-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(path, sizeof(path), "%s/t.db", f->dir);
    if (db_open(path, &opts, &f->db, why, sizeof(why)) != DB_OK ||
        cim_service_init(&f->svc, f->db, caps, why, sizeof(why)) != 0)
        return -1;
    *state = f;
    return 0;
}

static struct cim_caps default_caps(void)
{
    struct cim_caps caps = {.system_name = "tgt01", .ns = CIM_DEFAULT_NAMESPACE,
                            .nameable = true, .empty_groups = true, .temporary_groups = true,
                            .default_persistency = CIM_PERSISTENCY_PERSISTENT};
    return caps;
}

static int setup(void **state)
{
    struct cim_caps caps = default_caps();
    return setup_with(state, &caps);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    cim_service_fini(&f->svc);
    db_close(f->db);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static int64_t add_volume(struct fixture *f, const char *dev)
{
    struct cim_element_req req = {.device_id = dev};
    struct cim_element e;
    struct cim_err err;
    int64_t id;

    cim_err_clear(&err);
    assert_int_equal(cim_element_create(&f->svc, &req, &e, &err), CIM_RV_SUCCESS);
    id = e.id;
    cim_element_clear(&e);
    return id;
}

static struct cim_create_req empty_req(void)
{
    struct cim_create_req req = {.persistent = -1, .delete_on_empty = -1,
                                 .delete_on_unassoc = -1};
    return req;
}

static enum cim_rv create(struct fixture *f, const struct cim_create_req *req, struct cim_err *err)
{
    struct cim_group g;
    enum cim_rv rv;

    cim_err_clear(err);
    rv = cim_group_create(&f->svc, req, &g, err);
    cim_group_clear(&g);
    return rv;
}

static void test_resolve_all_three_forms(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_volume(f, "v1"), got;
    struct cim_err err;
    char url[64];
    static const char *const forms[] = {
        "/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume.DeviceID=\"v1\","
        "CreationClassName=\"MSISCSITARGET_StorageVolume\",SystemName=\"tgt01\","
        "SystemCreationClassName=\"CIM_ComputerSystem\"",
        "//TGT01/ROOT/CIMV2/Storage/iScsiTarget:msiscsitarget_storagevolume.creationclassname="
        "\"msiscsitarget_storagevolume\",deviceid=\"v1\",systemcreationclassname="
        "\"cim_computersystem\",systemname=\"tgt01\"",
        "\\\\.\\root\\cimv2\\storage\\iscsitarget:MSISCSITARGET_StorageVolume.CreationClassName="
        "\"MSISCSITARGET_StorageVolume\",DeviceID=\"v1\",SystemCreationClassName="
        "\"CIM_ComputerSystem\",SystemName=\"tgt01\"",
        "MSISCSITARGET_StorageVolume.CreationClassName=\"MSISCSITARGET_StorageVolume\","
        "DeviceID=\"v1\",SystemCreationClassName=\"CIM_ComputerSystem\",SystemName=\"tgt01\"",
    };

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        cim_err_clear(&err);
        assert_int_equal(cim_element_resolve(&f->svc, forms[i], "M", &got, NULL, &err),
                         CIM_RV_SUCCESS);
        assert_int_equal(got, id);
    }
    snprintf(url, sizeof(url), "/logical-elements/%lld", (long long)id);
    assert_int_equal(cim_element_resolve(&f->svc, url, "M", &got, NULL, &err), CIM_RV_SUCCESS);
    snprintf(url, sizeof(url), "http://127.0.0.1:8080/logical-elements/%lld", (long long)id);
    assert_int_equal(cim_element_resolve(&f->svc, url, "M", &got, NULL, &err), CIM_RV_SUCCESS);
    assert_int_equal(got, id);
    snprintf(url, sizeof(url), "HTTPS://gw.example/logical-elements/%lld", (long long)id);
    assert_int_equal(cim_element_resolve(&f->svc, url, "M", &got, NULL, &err), CIM_RV_SUCCESS);
    assert_int_equal(got, id);
}

static void test_resolve_rejections_name_the_parameter(void **state)
{
    struct fixture *f = *state;
    struct cim_err err;
    int64_t got;
    static const char *const bad[] = {
        "", "/logical-elements/", "/logical-elements/0", "/logical-elements/7",
        "/logical-elements/01", /* its URL is 404: no other spelling of an id */
        "http:///logical-elements/1", /* an http URL names a host */
        /* DeviceID is case-sensitive: a different element */
        "/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume.CreationClassName="
        "\"MSISCSITARGET_StorageVolume\",DeviceID=\"V1\",SystemCreationClassName="
        "\"CIM_ComputerSystem\",SystemName=\"tgt01\"",
        /* missing key */
        "/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume.CreationClassName="
        "\"MSISCSITARGET_StorageVolume\",DeviceID=\"v1\",SystemName=\"tgt01\"",
        /* class does not match CreationClassName */
        "/root/cimv2/storage/iscsitarget:CIM_StorageVolume.CreationClassName="
        "\"MSISCSITARGET_StorageVolume\",DeviceID=\"v1\",SystemCreationClassName="
        "\"CIM_ComputerSystem\",SystemName=\"tgt01\"",
        /* not an element class */
        "/root/cimv2/storage/iscsitarget:CIM_ComputerSystem.Name=\"tgt01\","
        "CreationClassName=\"CIM_ComputerSystem\"",
    };

    add_volume(f, "v1");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cim_err_clear(&err);
        assert_int_equal(cim_element_resolve(&f->svc, bad[i], "Members[3]", &got, NULL, &err),
                         CIM_RV_INVALID_PARAMETER);
        assert_string_equal(err.param, "Members[3]");
        assert_true(strlen(err.detail) > 0);
    }
}

/* A key whose value is not quoted is said to be so, not to be an unknown key. */
static void test_resolve_unquoted_key_value_says_so(void **state)
{
    struct fixture *f = *state;
    struct cim_err err;
    int64_t got;
    const char *ref = "/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume."
                      "CreationClassName=\"MSISCSITARGET_StorageVolume\",DeviceID=1,"
                      "SystemCreationClassName=\"CIM_ComputerSystem\",SystemName=\"tgt01\"";

    add_volume(f, "v1");
    cim_err_clear(&err);
    assert_int_equal(cim_element_resolve(&f->svc, ref, "Members[0]", &got, NULL, &err),
                     CIM_RV_INVALID_PARAMETER);
    assert_string_equal(err.param, "Members[0]");
    assert_non_null(strstr(err.detail, "DeviceID must be a quoted string"));
}

/* CIM CreateGroup/Members: order kept; duplicates are 5 naming the later reference. */
static void test_duplicate_member_names_later_index(void **state)
{
    struct fixture *f = *state;
    struct cim_create_req req = empty_req();
    struct cim_err err;
    const char *refs[] = {"/logical-elements/1", "/logical-elements/2", "/logical-elements/1"};

    add_volume(f, "a");
    add_volume(f, "b");
    req.members = refs;
    req.n_members = 3;
    req.members_given = true;
    assert_int_equal(create(f, &req, &err), CIM_RV_INVALID_PARAMETER);
    assert_string_equal(err.param, "Members[2]");
}

/* Every member must resolve (API.md: else 5 naming Members[i]) before duplicates are looked
 * for: a reference that names nothing after a duplicate is the one reported. */
static void test_unresolved_member_reported_before_duplicate(void **state)
{
    struct fixture *f = *state;
    struct cim_create_req req = empty_req();
    struct cim_err err;
    const char *refs[] = {"/logical-elements/1", "/logical-elements/1", "garbage"};

    add_volume(f, "a");
    req.members = refs;
    req.n_members = 3;
    req.members_given = true;
    assert_int_equal(create(f, &req, &err), CIM_RV_INVALID_PARAMETER);
    assert_string_equal(err.param, "Members[2]");
    assert_null(strstr(err.detail, "same element"));
}

/* CIM CreateGroup/ReturnValue=7 comes before any other check of the request. */
static void test_not_nameable_checked_first(void **state)
{
    struct cim_caps caps = default_caps();
    struct fixture *f;
    struct cim_create_req req = empty_req();
    struct cim_err err;

    (void)state;
    caps.nameable = false;
    assert_int_equal(setup_with((void **)&f, &caps), 0);
    req.group_name = "";
    assert_int_equal(create(f, &req, &err), CIM_RV_NOT_NAMEABLE);
    assert_string_equal(err.param, "GroupName");
    teardown((void **)&f);
}

static void test_generated_name_and_instance_id(void **state)
{
    struct fixture *f = *state;
    struct cim_create_req req = empty_req();
    struct cim_group g;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_group_create(&f->svc, &req, &g, &err), CIM_RV_SUCCESS);
    assert_string_equal(g.element_name, "RG-1");
    assert_string_equal(g.instance_id, "REPLGW:1");
    assert_true(g.persistent);
    assert_false(g.delete_on_empty);
    assert_null(g.rsd);
    cim_group_clear(&g);
}

static void test_is_generated_name(void **state)
{
    char name[CIM_GENERATED_NAME_MAX];

    (void)state;
    assert_true(cim_is_generated_name(12, 1, "RG-12"));
    assert_true(cim_is_generated_name(12, 3, "RG-12-3"));
    assert_false(cim_is_generated_name(12, 2, "RG-12-3"));
    assert_false(cim_is_generated_name(1, 1, "RG-12"));
    cim_generated_name(12, 7, name);
    assert_true(cim_is_generated_name(12, 5, name));
    assert_true(cim_is_generated_name(12, 99, "RG-12-0123456789abcdef"));
    assert_false(cim_is_generated_name(12, 99, "RG-12-0123456789ABCDEF"));
    assert_false(cim_is_generated_name(12, 99, "RG-12-0123456789abcde"));
    assert_false(cim_is_generated_name(12, 99, "RG-1-0123456789abcdef0"));
    assert_false(cim_is_generated_name(12, 99, "RG-12-3"));
}

/* CreateGroup answers from what it wrote, without reading the group back: the answer must be
 * what GET gives for the same group, field by field. */
static void assert_same_group(const struct cim_group *a, const struct cim_group *b)
{
    assert_int_equal(a->id, b->id);
    assert_string_equal(a->instance_id, b->instance_id);
    assert_string_equal(a->element_name, b->element_name);
    if (a->description || b->description)
        assert_string_equal(a->description, b->description);
    assert_int_equal(a->persistent, b->persistent);
    assert_int_equal(a->delete_on_empty, b->delete_on_empty);
    assert_int_equal(a->delete_on_unassoc, b->delete_on_unassoc);
    assert_int_equal(a->generation, b->generation);
    assert_string_equal(a->path, b->path);
    assert_string_equal(a->system_path, b->system_path);
    assert_int_equal(a->n_members, b->n_members);
    for (size_t i = 0; i < a->n_members; i++) {
        assert_int_equal(a->members[i].element_id, b->members[i].element_id);
        assert_int_equal(a->members[i].seq, b->members[i].seq);
        assert_string_equal(a->members[i].path, b->members[i].path);
    }
    assert_int_equal(a->rsd == NULL, b->rsd == NULL);
    if (!a->rsd)
        return;
    assert_string_equal(a->rsd->class_name, b->rsd->class_name);
    assert_int_equal(a->rsd->n_props, b->rsd->n_props);
    for (size_t i = 0; i < a->rsd->n_props; i++) {
        char *ta = cim_prop_to_text(&a->rsd->props[i]), *tb = cim_prop_to_text(&b->rsd->props[i]);

        assert_ptr_equal(a->rsd->props[i].def, b->rsd->props[i].def);
        assert_string_equal(ta, tb);
        free(ta);
        free(tb);
    }
}

static void create_and_compare(struct fixture *f, const struct cim_create_req *req,
                               struct cim_group *made)
{
    struct cim_group got;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_group_create(&f->svc, req, made, &err), CIM_RV_SUCCESS);
    assert_int_equal(cim_group_get(&f->svc, made->id, &got, &err), CIM_RV_SUCCESS);
    assert_same_group(made, &got);
    cim_group_clear(&got);
}

static void test_create_answer_is_what_get_reads(void **state)
{
    struct fixture *f = *state;
    struct cim_create_req req = empty_req();
    struct cim_rsd rsd;
    struct cim_group g;
    struct cim_err err;
    const char *refs[] = {
        "/logical-elements/2",
        "MSISCSITARGET_StorageVolume.CreationClassName=\"MSISCSITARGET_StorageVolume\","
        "DeviceID=\"v1\",SystemCreationClassName=\"CIM_ComputerSystem\",SystemName=\"tgt01\"",
    };

    add_volume(f, "v1");
    add_volume(f, "v2");
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_init(&rsd), 0);
    assert_int_equal(cim_rsd_add_string(&rsd, cim_rsd_find_def("Description"), "say \"hi\"\n",
                                        &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_bool(&rsd, cim_rsd_find_def("ConsistentPointInTime"), true,
                                      &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_uint(&rsd, cim_rsd_find_def("DeltaUpdateBlocks"), UINT64_MAX,
                                      &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_uint(&rsd, cim_rsd_find_def("DesiredCopyMethodology"), 2, &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_string(&rsd, cim_rsd_find_def("DesiredRPO"),
                                        "00000000001500.000000:000", &err),
                     CIM_RV_SUCCESS);
    req.group_name = "named";
    req.members = refs;
    req.n_members = 2;
    req.persistent = 0;
    req.delete_on_unassoc = 1;
    req.rsd = &rsd;
    create_and_compare(f, &req, &g);
    assert_string_equal(g.description, "say \"hi\"\n");
    assert_int_equal(g.members[0].element_id, 2);
    assert_int_equal(g.members[1].seq, 2);
    assert_int_equal(g.rsd->n_props, 5);
    cim_group_clear(&g);
    cim_rsd_free(&rsd);

    /* A generated name that a client already took gets a suffix; no members, no settings. */
    req = empty_req();
    req.group_name = "RG-3";
    create_and_compare(f, &req, &g);
    cim_group_clear(&g);
    req.group_name = NULL;
    create_and_compare(f, &req, &g);
    assert_string_equal(g.element_name, "RG-3-2");
    assert_null(g.rsd);
    cim_group_clear(&g);
}

static void test_rename_does_not_change_instance_id(void **state)
{
    struct fixture *f = *state;
    struct cim_create_req req = empty_req();
    struct cim_group g;
    struct cim_err err;

    cim_err_clear(&err);
    req.group_name = "REPLGW:9";
    assert_int_equal(cim_group_create(&f->svc, &req, &g, &err), CIM_RV_SUCCESS);
    /* The key never derives from the name. */
    assert_string_equal(g.instance_id, "REPLGW:1");
    cim_group_clear(&g);
}

static void test_service_rejects_contradictory_caps(void **state)
{
    struct cim_caps caps = default_caps();
    struct fixture f = {0};
    char why[128];

    (void)state;
    caps.temporary_groups = false;
    caps.default_persistency = CIM_PERSISTENCY_NOT_PERSISTENT;
    assert_int_not_equal(cim_service_init(&f.svc, NULL, &caps, why, sizeof(why)), 0);
    assert_true(strlen(why) > 0);
}

/* Deleting a member element removes it from its group; the group's DeleteOnEmptyElement
 * decides whether the emptied group goes too. */
static void test_element_delete_leaves_groups(void **state)
{
    struct fixture *f = *state;
    struct cim_create_req req = empty_req();
    struct cim_group g;
    struct cim_err err;
    const char *refs[] = {"/logical-elements/1"};
    const char *refs2[] = {"/logical-elements/2"};

    add_volume(f, "a");
    add_volume(f, "b");
    req.members = refs;
    req.n_members = 1;
    assert_int_equal(create(f, &req, &err), CIM_RV_SUCCESS);
    req.members = refs2;
    req.delete_on_empty = 1;
    assert_int_equal(create(f, &req, &err), CIM_RV_SUCCESS);
    cim_err_clear(&err);
    assert_int_equal(cim_element_delete(&f->svc, 1, NULL, &err), CIM_RV_SUCCESS);
    assert_int_equal(cim_element_delete(&f->svc, 2, NULL, &err), CIM_RV_SUCCESS);
    assert_int_equal(cim_group_get(&f->svc, 2, &g, &err), CIM_RV_NOT_FOUND);
    assert_int_equal(cim_group_get(&f->svc, 1, &g, &err), CIM_RV_SUCCESS);
    assert_int_equal(g.n_members, 0);
    cim_group_clear(&g);
    cim_err_clear(&err);
    assert_int_equal(cim_group_get(&f->svc, 2, &g, &err), CIM_RV_NOT_FOUND);
    cim_err_clear(&err);
    assert_int_equal(cim_element_delete(&f->svc, 99, NULL, &err), CIM_RV_NOT_FOUND);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_resolve_all_three_forms),
        T(test_resolve_rejections_name_the_parameter),
        T(test_resolve_unquoted_key_value_says_so),
        T(test_duplicate_member_names_later_index),
        T(test_unresolved_member_reported_before_duplicate),
        cmocka_unit_test(test_not_nameable_checked_first),
        T(test_generated_name_and_instance_id),
        cmocka_unit_test(test_is_generated_name),
        T(test_create_answer_is_what_get_reads),
        T(test_rename_does_not_change_instance_id),
        cmocka_unit_test(test_service_rejects_contradictory_caps),
        T(test_element_delete_leaves_groups),
    };

    return cmocka_run_group_tests_name("cim_group", tests, NULL, NULL);
}
