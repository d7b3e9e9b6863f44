/* api_text.c: a group's JSON text written directly must be, byte for byte, what json_dumps
 * (JSON_COMPACT) gives for the same values, escapes included: the GET cache, list pages and the
 * answers of changes all use it, and clients and the Idempotency-Key store see that text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"

/* Every character jansson escapes, one it leaves as it is (/), and UTF-8 of two and three
 * bytes. */
static const char tricky[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f \xc3\xa9 \xe2\x82\xac";

/* The same group as a jansson value, keys in the representation's order. */
static json_t *group_as_jansson(const struct cim_group *g, bool created)
{
    json_t *members = json_array(), *rsd = g->rsd ? json_object() : json_null(), *j;
    char id[24];

    for (size_t i = 0; i < g->n_members; i++) {
        char eid[24];

        snprintf(eid, sizeof(eid), "%lld", (long long)g->members[i].element_id);
        json_array_append_new(members, json_pack("{s:I, s:s, s:s, s:s+}", "AssignedSequence",
                                                 (json_int_t)g->members[i].seq, "Member",
                                                 g->members[i].path, "id", eid, "href",
                                                 "/logical-elements/", eid));
    }
    for (size_t i = 0; g->rsd && i < g->rsd->n_props; i++) {
        const struct cim_prop *p = &g->rsd->props[i];

        json_object_set_new(rsd, p->def->name,
                            p->def->type == CIM_T_BOOLEAN  ? json_boolean(p->b)
                            : p->def->type == CIM_T_STRING ? json_string(p->s)
                                                           : json_integer((json_int_t)p->u));
    }
    snprintf(id, sizeof(id), "%lld", (long long)g->id);
    j = json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b, s:b, s:I, s:s, s:s, s:o, s:o}", "id", id,
                  "InstanceID", g->instance_id, "ElementName", g->element_name, "Description",
                  g->description, "Persistent", g->persistent, "DeleteOnEmptyElement",
                  g->delete_on_empty, "DeleteOnUnassociated", g->delete_on_unassoc, "Generation",
                  (json_int_t)g->generation, "ReplicationGroup", g->path, "HostingSystem",
                  g->system_path, "Members", members, "ReplicationSettingData", rsd);
    if (created) {
        json_object_set_new(j, "ReturnValue", json_integer(0));
        json_object_set_new(j, "ReturnValueName", json_string("Success"));
    }
    return j;
}

static void assert_same_text(const struct cim_group *g, bool created)
{
    json_t *j = group_as_jansson(g, created);
    char *want = json_dumps(j, JSON_COMPACT);
    struct rg_buf b = {0};

    assert_non_null(want);
    api_text_group(&b, g, created);
    assert_false(b.failed);
    assert_string_equal(b.p, want);
    assert_int_equal(b.len, strlen(want));
    free(b.p);
    free(want);
    json_decref(j);
}

static void test_group_text_is_what_jansson_dumps(void **state)
{
    struct cim_member members[] = {{7, 1, "/root/ns:c.K=\"a\\\\b\""}, {12, 3, (char *)tricky}};
    struct cim_group g = {.id = 42, .instance_id = "REPLGW:42", .element_name = (char *)tricky,
                          .persistent = true, .delete_on_unassoc = true, .generation = 3,
                          .path = "/root/ns:cim_replicationgroup.InstanceID=\"REPLGW:42\"",
                          .system_path = "/root/ns:cim_computersystem.Name=\"h\"",
                          .members = members, .n_members = 2};
    struct cim_rsd rsd;
    struct cim_err err;

    (void)state;
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_init(&rsd), 0);
    assert_int_equal(cim_rsd_add_uint(&rsd, cim_rsd_find_def("DesiredCopyMethodology"), 4, &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_bool(&rsd, cim_rsd_find_def("FailedCopyStopsHostIO"), true,
                                      &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_string(&rsd, cim_rsd_find_def("ElementName"),
                                        "tab\there \"q\" \xc3\xa9", &err),
                     CIM_RV_SUCCESS);
    assert_same_text(&g, false);
    assert_same_text(&g, true);

    g.rsd = &rsd;
    g.description = "d\\";
    g.persistent = false;
    g.delete_on_empty = true;
    assert_same_text(&g, false);
    assert_same_text(&g, true);

    /* No members and an empty setting data object. */
    cim_rsd_free(&rsd);
    assert_int_equal(cim_rsd_init(&rsd), 0);
    g.n_members = 0;
    assert_same_text(&g, false);
    cim_rsd_free(&rsd);
}

static void test_members_text_is_what_jansson_dumps(void **state)
{
    struct cim_member members[] = {{1, 1, "/root/ns:v.DeviceID=\"vol1\""}, {2, 2, (char *)tricky}};
    struct cim_group g = {.instance_id = "i", .element_name = "n", .path = "p",
                          .system_path = "s", .members = members, .n_members = 2};
    json_t *j = group_as_jansson(&g, false);
    char *want = json_dumps(json_object_get(j, "Members"), JSON_COMPACT);
    struct rg_buf b = {0};

    (void)state;
    api_text_members(&b, &g);
    assert_string_equal(b.p, want);
    free(b.p);
    free(want);
    json_decref(j);
}

static void test_string_escapes(void **state)
{
    struct rg_buf b = {0};

    (void)state;
    api_text_string(&b, "");
    api_text_string(&b, "a\x02z");
    api_text_string(&b, "\"\\");
    assert_string_equal(b.p, "\"\"\"a\\u0002z\"\"\\\"\\\\\"");
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_text_is_what_jansson_dumps),
        cmocka_unit_test(test_members_text_is_what_jansson_dumps),
        cmocka_unit_test(test_string_escapes),
    };

    return cmocka_run_group_tests_name("api_text", tests, NULL, NULL);
}
