/* cim/cim_rsd: CIM_ReplicationSettingData property checks, the MOF embedded-instance parser and
 * the stored text form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cim/cim_rsd.h"

static int setup(void **state)
{
    struct cim_rsd *rsd = malloc(sizeof(*rsd));

    if (!rsd || cim_rsd_init(rsd) != 0)
        return -1;
    *state = rsd;
    return 0;
}

static int teardown(void **state)
{
    cim_rsd_free(*state);
    free(*state);
    return 0;
}

static const struct cim_prop *prop(const struct cim_rsd *rsd, const char *name)
{
    for (size_t i = 0; i < rsd->n_props; i++)
        if (strcmp(rsd->props[i].def->name, name) == 0)
            return &rsd->props[i];
    return NULL;
}

static enum cim_rv parse(struct cim_rsd *rsd, const char *mof, struct cim_err *err)
{
    cim_err_clear(err);
    return cim_rsd_parse_mof(mof, rsd, err);
}

static void test_find_def_is_case_insensitive(void **state)
{
    (void)state;
    assert_string_equal(cim_rsd_find_def("consistentpointintime")->name, "ConsistentPointInTime");
    assert_int_equal(cim_rsd_find_def("OnGroupOrListError")->type, CIM_T_UINT16);
    assert_null(cim_rsd_find_def("Colour"));
}

static void test_value_maps(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_uint(rsd, cim_rsd_find_def("OnGroupOrListError"), 3, &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_uint(rsd, cim_rsd_find_def("CopyRecoveryMode"), 1, &err),
                     CIM_RV_INVALID_PARAMETER);
    assert_string_equal(err.param, "ReplicationSettingData.CopyRecoveryMode");
    assert_non_null(strstr(err.detail, "0, 2, 3, 4"));
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_uint(rsd, cim_rsd_find_def("Multihop"), 70000, &err),
                     CIM_RV_INVALID_PARAMETER);
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_uint(rsd, cim_rsd_find_def("DeltaUpdateBlocks"), UINT64_MAX, &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(rsd->n_props, 2);
}

static void test_types_duplicates_and_strings(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;
    char long_caption[80];

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, cim_rsd_find_def("OnGroupOrListError"), true, &err),
                     CIM_RV_INVALID_PARAMETER);
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, cim_rsd_find_def("AutoDelete"), true, &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_bool(rsd, cim_rsd_find_def("AutoDelete"), false, &err),
                     CIM_RV_INVALID_PARAMETER);
    cim_err_clear(&err);
    memset(long_caption, 'c', 65);
    long_caption[65] = '\0';
    assert_int_equal(cim_rsd_add_string(rsd, cim_rsd_find_def("Caption"), long_caption, &err),
                     CIM_RV_INVALID_PARAMETER);
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_string(rsd, cim_rsd_find_def("ElementName"), "bell\a", &err),
                     CIM_RV_INVALID_PARAMETER);
    cim_err_clear(&err);
    assert_int_equal(
        cim_rsd_add_string(rsd, cim_rsd_find_def("Description"), "two\nlines\tok", &err),
        CIM_RV_SUCCESS);
    assert_int_equal(rsd->n_props, 2);
}

static void test_datetimes(void **state)
{
    struct cim_rsd *rsd = *state;
    const struct cim_prop_def *interval = cim_rsd_find_def("DeltaUpdateInterval");
    const struct cim_prop_def *stamp = cim_rsd_find_def("TimeBeforeRemoval");
    static const char *const bad[] = {"", "00000000002300.000000", "00000000240000.000000:000",
                                      "00000000002360.000000:000", "0000000000230x.000000:000",
                                      "00000000002300.000000:001"};
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_string(rsd, interval, "00000000002300.000000:000", &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_add_string(rsd, stamp, "20261125063000.000000+060", &err),
                     CIM_RV_SUCCESS);
    cim_rsd_free(rsd);
    cim_rsd_init(rsd);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cim_err_clear(&err);
        assert_int_equal(cim_rsd_add_string(rsd, interval, bad[i], &err),
                         CIM_RV_INVALID_PARAMETER);
    }
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_string(rsd, stamp, "20261325063000.000000+060", &err),
                     CIM_RV_INVALID_PARAMETER);
}

static void test_class_names(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_set_class(rsd, "MSISCSITARGET_ReplicationSettingData", &err),
                     CIM_RV_SUCCESS);
    assert_string_equal(rsd->class_name, "MSISCSITARGET_ReplicationSettingData");
    assert_int_equal(cim_rsd_set_class(rsd, "cim_replicationsettingdata", &err), CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_set_class(rsd, "CIM_StorageSetting", &err),
                     CIM_RV_INVALID_PARAMETER);
    assert_string_equal(err.param, "ReplicationSettingData");
}

static void test_mof_example(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    assert_int_equal(parse(rsd,
                           "instance of CIM_ReplicationSettingData {\n   ElementName = \"rsd\";\n"
                           "   ConsistentPointInTime = TRUE;\n   OnGroupOrListError = 3;\n};",
                           &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(rsd->n_props, 3);
    assert_string_equal(prop(rsd, "ElementName")->s, "rsd");
    assert_true(prop(rsd, "ConsistentPointInTime")->b);
    assert_int_equal(prop(rsd, "OnGroupOrListError")->u, 3);
}

static void test_mof_lexical_forms(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    assert_int_equal(parse(rsd,
                           "// a comment\nINSTANCE OF MSISCSITARGET_ReplicationSettingData /* c */ {"
                           " Description = \"a\\\"b\" \" and \\x41\\n\"; Multihop = 0x10;"
                           " AutoDelete = false; ElementName = NULL; }",
                           &err),
                     CIM_RV_SUCCESS);
    assert_string_equal(rsd->class_name, "MSISCSITARGET_ReplicationSettingData");
    assert_string_equal(prop(rsd, "Description")->s, "a\"b and A\n");
    assert_int_equal(prop(rsd, "Multihop")->u, 16);
    assert_false(prop(rsd, "AutoDelete")->b);
    assert_null(prop(rsd, "ElementName"));
}

static void test_mof_errors(void **state)
{
    static const struct {
        const char *mof;
        const char *param;
        const char *detail;
    } bad[] = {
        {"", "ReplicationSettingData", "1:1"},
        {"instance CIM_ReplicationSettingData {};", "ReplicationSettingData", "instance of"},
        {"instance of CIM_StorageSetting {};", "ReplicationSettingData", "subclass"},
        {"instance of CIM_ReplicationSettingData", "ReplicationSettingData", "'{'"},
        {"instance of CIM_ReplicationSettingData {", "ReplicationSettingData", "'}'"},
        {"instance of CIM_ReplicationSettingData { Pairing 3; };", "ReplicationSettingData",
         "'='"},
        {"instance of CIM_ReplicationSettingData { Pairing = 3 };", "ReplicationSettingData",
         "';'"},
        {"instance of CIM_ReplicationSettingData { Pairing = 9; };",
         "ReplicationSettingData.Pairing", "2, 3, 4"},
        {"instance of CIM_ReplicationSettingData { Pairing = \"3\"; };",
         "ReplicationSettingData.Pairing", "integer"},
        {"instance of CIM_ReplicationSettingData { AutoDelete = 1; };",
         "ReplicationSettingData.AutoDelete", "TRUE or FALSE"},
        {"instance of CIM_ReplicationSettingData { Colour = 1; };",
         "ReplicationSettingData.Colour", "no property"},
        {"instance of CIM_ReplicationSettingData { Multihop = -1; };", "ReplicationSettingData",
         "unsigned"},
        {"instance of CIM_ReplicationSettingData { Multihop = {1,2}; };",
         "ReplicationSettingData", "array"},
        {"instance of CIM_ReplicationSettingData { ElementName = \"open; };",
         "ReplicationSettingData", "unterminated"},
        {"instance of CIM_ReplicationSettingData { ElementName = \"\\q\"; };",
         "ReplicationSettingData", "escape"},
        {"instance of CIM_ReplicationSettingData { }; extra", "ReplicationSettingData",
         "after the instance"},
        {"instance of CIM_ReplicationSettingData { /* open comment", "ReplicationSettingData",
         "comment"},
        {"instance of CIM_ReplicationSettingData { Pairing = 3; Pairing = 4; };",
         "ReplicationSettingData.Pairing", "twice"},
    };
    struct cim_rsd rsd;
    struct cim_err err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cim_rsd_init(&rsd), 0);
        if (parse(&rsd, bad[i].mof, &err) != CIM_RV_INVALID_PARAMETER)
            fail_msg("accepted: %s", bad[i].mof);
        if (strcmp(err.param, bad[i].param) != 0 || !strstr(err.detail, bad[i].detail))
            fail_msg("%s: param %s, detail %s", bad[i].mof, err.param, err.detail);
        assert_int_equal(rsd.n_props, 0);
        cim_rsd_free(&rsd);
    }
}

static void test_mof_position_in_message(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    parse(rsd, "instance of CIM_ReplicationSettingData {\n  Pairing 3;\n};", &err);
    assert_non_null(strstr(err.detail, "2:11"));
}

static void test_mof_too_long(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;
    char *text = malloc(CIM_RSD_MAX_TEXT + 2);

    assert_non_null(text);
    memset(text, ' ', CIM_RSD_MAX_TEXT + 1);
    text[CIM_RSD_MAX_TEXT + 1] = '\0';
    assert_int_equal(parse(rsd, text, &err), CIM_RV_INVALID_PARAMETER);
    free(text);
}

static void test_text_round_trip(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_rsd back;
    struct cim_err err;

    assert_int_equal(parse(rsd,
                           "instance of CIM_ReplicationSettingData { AutoDelete = TRUE;"
                           " DeltaUpdateBlocks = 18446744073709551615; Caption = \"c\"; };",
                           &err),
                     CIM_RV_SUCCESS);
    assert_int_equal(cim_rsd_init(&back), 0);
    for (size_t i = 0; i < rsd->n_props; i++) {
        char *text = cim_prop_to_text(&rsd->props[i]);

        assert_int_equal(cim_rsd_add_text(&back, rsd->props[i].def->name, text, &err),
                         CIM_RV_SUCCESS);
        free(text);
    }
    assert_true(prop(&back, "AutoDelete")->b);
    assert_true(prop(&back, "DeltaUpdateBlocks")->u == UINT64_MAX);
    assert_string_equal(prop(&back, "Caption")->s, "c");
    assert_int_equal(cim_rsd_add_text(&back, "Multihop", "x", &err), CIM_RV_INVALID_PARAMETER);
    cim_rsd_free(&back);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_def_is_case_insensitive),
        T(test_value_maps),
        T(test_types_duplicates_and_strings),
        T(test_datetimes),
        T(test_class_names),
        T(test_mof_example),
        T(test_mof_lexical_forms),
        cmocka_unit_test(test_mof_errors),
        T(test_mof_position_in_message),
        T(test_mof_too_long),
        T(test_text_round_trip),
    };

    return cmocka_run_group_tests_name("cim_rsd", tests, NULL, NULL);
}
