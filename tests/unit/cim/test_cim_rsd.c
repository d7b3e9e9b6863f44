/* cim/cim_rsd: the CIM_ReplicationSettingData property table, the checks every value goes
 * through, the MOF embedded-instance parser (every syntax error with its position) and the
 * stored text form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cim/cim_rsd.h"

#define PARAM "ReplicationSettingData"
/* The first property of a one-line instance starts at column 42. */
#define HEAD "instance of CIM_ReplicationSettingData { "
#define NOTES_EXAMPLE                                                                              \
    "instance of CIM_ReplicationSettingData {\n   ElementName = \"rsd\";\n"                        \
    "   ConsistentPointInTime = TRUE;\n   OnGroupOrListError = 3;\n};"

static int setup(void **state)
{
    struct cim_rsd *rsd = malloc(sizeof(*rsd));

    if (!rsd)
        return -1;
    if (cim_rsd_init(rsd) != 0) {
        free(rsd);
        return -1;
    }
    *state = rsd;
    return 0;
}

static int teardown(void **state)
{
    cim_rsd_free(*state);
    free(*state);
    return 0;
}

static const struct cim_prop_def *def_of(const char *name)
{
    const struct cim_prop_def *def = cim_rsd_find_def(name);

    if (!def)
        fail_msg("no property %s", name);
    return def;
}

static const struct cim_prop *find_prop(const struct cim_rsd *rsd, const char *name)
{
    for (size_t i = 0; i < rsd->n_props; i++)
        if (strcmp(rsd->props[i].def->name, name) == 0)
            return &rsd->props[i];
    fail_msg("rsd holds no %s", name);
    return NULL;
}

/* err must be a 5 naming param, with a detail holding fragment in printable ASCII (it ends up
 * in a JSON reply). */
static void assert_err(const struct cim_err *err, const char *param, const char *fragment)
{
    assert_int_equal(err->rv, CIM_RV_INVALID_PARAMETER);
    assert_string_equal(err->param, param);
    if (!strstr(err->detail, fragment))
        fail_msg("detail \"%s\" does not mention \"%s\"", err->detail, fragment);
    for (const char *s = err->detail; *s; s++)
        assert_true(*s >= 0x20 && *s < 0x7F);
}

static void add_string_fails(struct cim_rsd *rsd, const char *name, const char *v,
                             const char *fragment)
{
    struct cim_err err;
    size_t before = rsd->n_props;
    char param[64];

    cim_err_clear(&err);
    snprintf(param, sizeof(param), PARAM ".%s", name);
    assert_int_equal(cim_rsd_add_string(rsd, def_of(name), v, &err), CIM_RV_INVALID_PARAMETER);
    assert_err(&err, param, fragment);
    assert_int_equal(rsd->n_props, before);
}

static void add_uint_fails(struct cim_rsd *rsd, const char *name, uint64_t v, const char *fragment)
{
    struct cim_err err;
    size_t before = rsd->n_props;
    char param[64];

    cim_err_clear(&err);
    snprintf(param, sizeof(param), PARAM ".%s", name);
    assert_int_equal(cim_rsd_add_uint(rsd, def_of(name), v, &err), CIM_RV_INVALID_PARAMETER);
    assert_err(&err, param, fragment);
    assert_int_equal(rsd->n_props, before);
}

static void parse_ok(struct cim_rsd *rsd, const char *text)
{
    struct cim_err err;

    cim_err_clear(&err);
    if (cim_rsd_parse_mof(text, rsd, &err) != CIM_RV_SUCCESS)
        fail_msg("rejected %s: %s", text, err.detail);
}

/* The parse must fail with a 5 naming param and fragment, and leave rsd initialised but empty:
 * no properties, and the class it had. */
static void parse_fails(struct cim_rsd *rsd, const char *text, const char *param,
                        const char *fragment)
{
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_parse_mof(text, rsd, &err), CIM_RV_INVALID_PARAMETER);
    assert_err(&err, param, fragment);
    assert_int_equal(rsd->n_props, 0);
    assert_string_equal(rsd->class_name, CIM_RSD_CLASS);
}

/* ---- property table ---- */

static void test_find_def_ignores_case(void **state)
{
    (void)state;
    assert_ptr_equal(cim_rsd_find_def("consistentpointintime"),
                     cim_rsd_find_def("ConsistentPointInTime"));
    assert_string_equal(cim_rsd_find_def("ONGROUPORLISTERROR")->name, "OnGroupOrListError");
}

static void test_find_def_of_unknown_name_is_null(void **state)
{
    (void)state;
    assert_null(cim_rsd_find_def("NoSuchProperty"));
    assert_null(cim_rsd_find_def("ComponentSetting")); /* an array: not supported */
    assert_null(cim_rsd_find_def("ElementNam"));
    assert_null(cim_rsd_find_def(""));
    assert_null(cim_rsd_find_def(NULL));
}

static void test_table_has_every_property_with_its_type(void **state)
{
    static const struct {
        const char *name;
        enum cim_type type;
    } expected[] = {
        {"InstanceID", CIM_T_STRING},
        {"ElementName", CIM_T_STRING},
        {"Caption", CIM_T_STRING},
        {"Description", CIM_T_STRING},
        {"ChangeableType", CIM_T_UINT16},
        {"ConfigurationName", CIM_T_STRING},
        {"SoID", CIM_T_STRING},
        {"SoOrgID", CIM_T_STRING},
        {"Generation", CIM_T_UINT64},
        {"ConsistentPointInTime", CIM_T_BOOLEAN},
        {"DesiredCopyMethodology", CIM_T_UINT16},
        {"Multihop", CIM_T_UINT16},
        {"OnGroupOrListError", CIM_T_UINT16},
        {"UnequalGroupsAction", CIM_T_UINT16},
        {"TargetElementSupplier", CIM_T_UINT16},
        {"ThinProvisioningPolicy", CIM_T_UINT16},
        {"Pairing", CIM_T_UINT16},
        {"FailedCopyStopsHostIO", CIM_T_BOOLEAN},
        {"CopyRecoveryMode", CIM_T_UINT16},
        {"UnequalListsAction", CIM_T_UINT16},
        {"DeltaUpdateInterval", CIM_T_DATETIME},
        {"DeltaUpdateBlocks", CIM_T_UINT64},
        {"ReadOnly", CIM_T_UINT16},
        {"CopyPriority", CIM_T_UINT16},
        {"StorageCompressionPolicy", CIM_T_UINT16},
        {"AutoDelete", CIM_T_BOOLEAN},
        {"RRCHardwareCompressionEnabled", CIM_T_BOOLEAN},
        {"RRCSoftwareCompressionEnabled", CIM_T_BOOLEAN},
        {"TargetElementGoal", CIM_T_UINT16},
        {"TargetElementResourcePool", CIM_T_UINT16},
        {"TimeBeforeRemoval", CIM_T_DATETIME},
        {"ConsistencyExempt", CIM_T_BOOLEAN},
        {"ConsistentAsyncCopy", CIM_T_BOOLEAN},
        {"DesiredRPO", CIM_T_DATETIME},
        {"MaximumSkew", CIM_T_UINT64},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        const struct cim_prop_def *def = def_of(expected[i].name);

        assert_string_equal(def->name, expected[i].name); /* exact CIM spelling */
        assert_int_equal(def->type, expected[i].type);
    }
}

static void test_every_string_property_is_bounded(void **state)
{
    static const char *const strings[] = {"InstanceID",        "ElementName", "Description",
                                          "ConfigurationName", "SoID",        "SoOrgID"};

    (void)state;
    assert_int_equal(def_of("Caption")->max_len, 64);
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        assert_int_equal(def_of(strings[i])->max_len, 1024);
}

/* CIM CIM_ReplicationSettingData value maps (CIM-NOTES §6) */
static void test_value_maps_match_the_notes(void **state)
{
    static const struct {
        const char *name;
        uint16_t values[11];
        size_t n;
    } maps[] = {
        {"ChangeableType", {0, 1, 2, 3}, 4},
        {"DesiredCopyMethodology", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 11},
        {"OnGroupOrListError", {2, 3}, 2},
        {"UnequalGroupsAction", {2, 3, 4}, 3},
        {"TargetElementSupplier", {1, 2, 3, 4, 5}, 5},
        {"ThinProvisioningPolicy", {2, 3, 4, 5, 6, 7}, 6},
        {"Pairing", {2, 3, 4}, 3},
        {"CopyRecoveryMode", {0, 2, 3, 4}, 4},
        {"UnequalListsAction", {2, 3, 4}, 3},
        {"ReadOnly", {2, 3, 4}, 3},
        {"CopyPriority", {0, 1, 2, 3, 4}, 5},
        {"StorageCompressionPolicy", {2, 3, 4, 5, 6, 7}, 6},
        {"TargetElementGoal", {2, 3}, 2},
        {"TargetElementResourcePool", {2, 3}, 2},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        const struct cim_prop_def *def = def_of(maps[i].name);

        assert_int_equal(def->n_values, maps[i].n);
        assert_memory_equal(def->values, maps[i].values, maps[i].n * sizeof(uint16_t));
    }
    assert_null(def_of("Multihop")->values);
}

/* ---- init, free, class ---- */

static void test_init_sets_the_base_class(void **state)
{
    struct cim_rsd *rsd = *state;

    assert_string_equal(rsd->class_name, CIM_RSD_CLASS);
    assert_int_equal(rsd->n_props, 0);
}

static void test_free_zeroes_and_accepts_null_and_zeroed(void **state)
{
    static const struct cim_rsd zero;
    struct cim_rsd rsd = {0};
    struct cim_err err;

    (void)state;
    cim_rsd_free(NULL);
    cim_rsd_free(&rsd);
    assert_int_equal(cim_rsd_init(&rsd), 0);
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_string(&rsd, def_of("ElementName"), "x", &err), 0);
    cim_rsd_free(&rsd);
    assert_memory_equal(&rsd, &zero, sizeof(zero));
}

static void test_set_class_accepts_schema_subclasses(void **state)
{
    static const char *const ok[] = {"CIM_ReplicationSettingData", "cim_replicationsettingdata",
                                     "MSISCSITARGET_ReplicationSettingData",
                                     "SNIA_ReplicationSettingData", "Acme2_REPLICATIONSETTINGDATA"};
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cim_err_clear(&err);
        assert_int_equal(cim_rsd_set_class(rsd, ok[i], &err), CIM_RV_SUCCESS);
        assert_string_equal(rsd->class_name, ok[i]); /* stored as given */
    }
}

static void test_set_class_rejects_other_classes(void **state)
{
    static const char *const bad[] = {
        "CIM_SettingData",
        "ReplicationSettingData",
        "_ReplicationSettingData",
        "1X_ReplicationSettingData",
        "A_B_ReplicationSettingData",
        "CIM_ReplicationSettingDataX",
        "CIM ReplicationSettingData",
        "",
    };
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cim_err_clear(&err);
        assert_int_equal(cim_rsd_set_class(rsd, bad[i], &err), CIM_RV_INVALID_PARAMETER);
        assert_err(&err, PARAM, "subclass named <Schema>_ReplicationSettingData");
        assert_string_equal(rsd->class_name, CIM_RSD_CLASS);
    }
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_set_class(rsd, NULL, &err), CIM_RV_INVALID_PARAMETER);
}

static void test_set_class_rejects_overlong_schema(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;
    char name[300];

    memset(name, 'A', 250);
    strcpy(name + 250, "_ReplicationSettingData");
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_set_class(rsd, name, &err), CIM_RV_INVALID_PARAMETER);
    assert_string_equal(rsd->class_name, CIM_RSD_CLASS);
}

static void test_set_class_does_not_echo_control_bytes(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_set_class(rsd, "Bad\x01Class", &err), CIM_RV_INVALID_PARAMETER);
    assert_err(&err, PARAM, "the class must be CIM_ReplicationSettingData");
    assert_null(strstr(err.detail, "Bad"));
}

/* ---- add_bool, and what every add shares ---- */

static void test_add_bool_stores_value(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("ConsistentPointInTime"), true, &err), 0);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("AutoDelete"), false, &err), 0);
    assert_int_equal(rsd->n_props, 2);
    assert_true(find_prop(rsd, "ConsistentPointInTime")->b);
    assert_false(find_prop(rsd, "AutoDelete")->b);
    assert_int_equal(err.rv, CIM_RV_SUCCESS);
}

static void test_add_bool_rejects_non_boolean_property(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("ElementName"), true, &err),
                     CIM_RV_INVALID_PARAMETER);
    assert_err(&err, PARAM ".ElementName", "ElementName is a string, not a boolean");
    assert_int_equal(rsd->n_props, 0);
}

static void test_add_rejects_duplicate_property(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("AutoDelete"), true, &err), 0);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("autodelete"), false, &err),
                     CIM_RV_INVALID_PARAMETER);
    assert_err(&err, PARAM ".AutoDelete", "AutoDelete is given more than once");
    assert_int_equal(rsd->n_props, 1);
    assert_true(rsd->props[0].b);
}

static void test_add_rejects_definition_not_from_the_table(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_prop_def copy = *def_of("AutoDelete");
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, &copy, true, &err), CIM_RV_INVALID_PARAMETER);
    assert_err(&err, PARAM, "not a CIM_ReplicationSettingData property");
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_uint(rsd, NULL, 1, &err), CIM_RV_INVALID_PARAMETER);
    assert_int_equal(rsd->n_props, 0);
}

static void test_add_keeps_the_first_error(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    cim_rsd_add_uint(rsd, def_of("OnGroupOrListError"), 7, &err);
    cim_rsd_add_bool(rsd, def_of("ElementName"), true, &err);
    assert_err(&err, PARAM ".OnGroupOrListError", "got 7");
}

/* ---- add_uint ---- */

static void test_add_uint_accepts_value_in_map(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_uint(rsd, def_of("OnGroupOrListError"), 3, &err), 0);
    assert_int_equal(cim_rsd_add_uint(rsd, def_of("CopyRecoveryMode"), 0, &err), 0);
    assert_int_equal(find_prop(rsd, "OnGroupOrListError")->u, 3);
    assert_int_equal(find_prop(rsd, "CopyRecoveryMode")->u, 0);
}

/* CIM CIM_ReplicationSettingData value maps (CIM-NOTES §6) */
static void test_add_uint_rejects_value_outside_map_listing_allowed(void **state)
{
    add_uint_fails(*state, "OnGroupOrListError", 7,
                   "OnGroupOrListError must be one of 2 (Continue), 3 (Stop); got 7");
}

static void test_add_uint_lists_a_long_value_map_whole(void **state)
{
    add_uint_fails(*state, "DesiredCopyMethodology", 99,
                   "DesiredCopyMethodology must be one of 1 (Other), 2 (Instrumentation decides), "
                   "3 (Full-Copy), 4 (Incremental-Copy), 5 (Differential-Copy), 6 (Copy-On-Write), "
                   "7 (Copy-On-Access), 8 (Delta-Update), 9 (Snap-And-Clone), "
                   "10 (Copy-before-Activation), 11 (Redirect-On-Write); got 99");
}

static void test_add_uint_map_is_not_fooled_by_uint16_wraparound(void **state)
{
    add_uint_fails(*state, "OnGroupOrListError", 65536 + 3, "got 65539");
}

static void test_add_uint_accepts_any_uint16_without_map(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_uint(rsd, def_of("Multihop"), 65535, &err), 0);
    assert_int_equal(find_prop(rsd, "Multihop")->u, 65535);
}

static void test_add_uint_rejects_uint16_overflow(void **state)
{
    add_uint_fails(*state, "Multihop", 65536, "Multihop must be at most 65535; got 65536");
}

static void test_add_uint_accepts_full_uint64(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_uint(rsd, def_of("Generation"), UINT64_MAX, &err), 0);
    assert_true(find_prop(rsd, "Generation")->u == UINT64_MAX);
}

static void test_add_uint_rejects_non_integer_property(void **state)
{
    add_uint_fails(*state, "DeltaUpdateInterval", 1,
                   "DeltaUpdateInterval is a datetime, not an integer");
}

/* ---- add_string ---- */

static void test_add_string_copies_value(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;
    char value[] = "group label";

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_string(rsd, def_of("ElementName"), value, &err), 0);
    value[0] = 'X';
    assert_string_equal(find_prop(rsd, "ElementName")->s, "group label");
}

static void test_add_string_accepts_tab_cr_lf_and_utf8(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(
        cim_rsd_add_string(rsd, def_of("Description"), "a\tb\r\nc caf\xC3\xA9 \xE2\x82\xAC", &err),
        0);
}

static void test_add_string_rejects_other_control_characters(void **state)
{
    static const char *const bad[] = {"a\x01", "\x1B[0m", "del\x7F", "c1\xC2\x85"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        add_string_fails(*state, "ElementName", bad[i],
                         "without control characters other than tab, CR and LF");
}

static void test_add_string_rejects_invalid_utf8(void **state)
{
    static const char *const bad[] = {"\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x82",
                                      "\xE2\t\x82\xAC"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        add_string_fails(*state, "ElementName", bad[i], "must be UTF-8 text");
}

static void test_add_string_rejects_caption_over_64_bytes(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;
    char v[66];

    memset(v, 'c', 65);
    v[65] = '\0';
    add_string_fails(rsd, "Caption", v, "Caption is 65 bytes long; at most 64 are allowed");
    v[64] = '\0';
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_string(rsd, def_of("Caption"), v, &err), 0);
}

static void test_add_string_bounds_other_strings_at_1024_bytes(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;
    char v[1026];

    memset(v, 'e', 1025);
    v[1025] = '\0';
    add_string_fails(rsd, "ElementName", v, "ElementName is 1025 bytes long; at most 1024");
    v[1024] = '\0';
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_string(rsd, def_of("ElementName"), v, &err), 0);
}

static void test_add_string_rejects_non_string_property(void **state)
{
    add_string_fails(*state, "ConsistentPointInTime", "true",
                     "ConsistentPointInTime is a boolean, not a string");
}

static void test_add_string_rejects_null_value(void **state)
{
    add_string_fails(*state, "ElementName", NULL, "ElementName has no value");
}

static void test_add_datetime_accepts_interval_and_timestamp(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(
        cim_rsd_add_string(rsd, def_of("DeltaUpdateInterval"), "00000000002300.000000:000", &err),
        0);
    assert_int_equal(
        cim_rsd_add_string(rsd, def_of("DesiredRPO"), "99999999235959.999999:000", &err), 0);
    assert_int_equal(
        cim_rsd_add_string(rsd, def_of("TimeBeforeRemoval"), "20240229235959.123456+060", &err), 0);
    /* 2000 is a leap year (divisible by 400), as 2024 is. */
    {
        struct cim_rsd other;

        assert_int_equal(cim_rsd_init(&other), 0);
        assert_int_equal(cim_rsd_add_string(&other, def_of("TimeBeforeRemoval"),
                                            "20000229000000.000000+000", &err),
                         0);
        cim_rsd_free(&other);
    }
    assert_string_equal(find_prop(rsd, "DeltaUpdateInterval")->s, "00000000002300.000000:000");
}

static void test_add_datetime_rejects_malformed_values(void **state)
{
    static const struct {
        const char *value;
        const char *why;
    } bad[] = {
        {"", "25 characters long"},
        {"00000000002300.000000:0000", "25 characters long"},
        {"0000000000230.0000000:000", "character 15 must be '.'"},
        {"00000000002300.000000*000", "character 22 must be"},
        {"********002300.000000:000", "must be digits"},
        {"0000000000230a.000000:000", "must be digits"},
        {"00000000240000.000000:000", "hours must be 00 to 23"},
        {"00000000006000.000000:000", "minutes must be 00 to 59"},
        {"00000000000060.000000:000", "seconds must be 00 to 59"},
        {"00000000002300.000000:001", "must end in \":000\""},
        {"20241301000000.000000+000", "the month must be 01 to 12"},
        {"20240001000000.000000+000", "the month must be 01 to 12"},
        {"20240132000000.000000-000", "the day is not one of that month"},
        {"20240100000000.000000-000", "the day is not one of that month"},
        {"20250230000000.000000+000", "the day is not one of that month"},
        {"20230229000000.000000+000", "the day is not one of that month"},
        {"21000229000000.000000+000", "the day is not one of that month"},
        {"20240431000000.000000+000", "the day is not one of that month"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        add_string_fails(*state, "TimeBeforeRemoval", bad[i].value, bad[i].why);
}

static void test_add_datetime_message_names_both_forms(void **state)
{
    add_string_fails(*state, "TimeBeforeRemoval", "soon",
                     "TimeBeforeRemoval must be a DSP0004 timestamp yyyymmddhhmmss.mmmmmmsutc or "
                     "interval ddddddddhhmmss.mmmmmm:000");
}

/* CIM_ReplicationSettingData types DeltaUpdateInterval and DesiredRPO as intervals
 * (CIM-NOTES.md section 6): a well-formed timestamp is no value of theirs. */
static void test_add_interval_refuses_timestamp(void **state)
{
    add_string_fails(*state, "DeltaUpdateInterval", "20240101120000.000000+000",
                     "DeltaUpdateInterval must be a DSP0004 interval "
                     "ddddddddhhmmss.mmmmmm:000: character 22 must be ':'");
    add_string_fails(*state, "DesiredRPO", "20240101120000.000000-060",
                     "a timestamp is not an interval");
    add_string_fails(*state, "DesiredRPO", "soon",
                     "DesiredRPO must be a DSP0004 interval ddddddddhhmmss.mmmmmm:000: it must be");
}

/* ---- MOF: what is accepted ---- */

static void test_mof_parses_the_notes_example(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, NOTES_EXAMPLE);
    assert_string_equal(rsd->class_name, CIM_RSD_CLASS);
    assert_int_equal(rsd->n_props, 3);
    assert_string_equal(rsd->props[0].def->name, "ElementName");
    assert_string_equal(rsd->props[0].s, "rsd");
    assert_string_equal(rsd->props[1].def->name, "ConsistentPointInTime");
    assert_true(rsd->props[1].b);
    assert_string_equal(rsd->props[2].def->name, "OnGroupOrListError");
    assert_int_equal(rsd->props[2].u, 3);
}

static void test_mof_keywords_and_names_ignore_case(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "INSTANCE Of cim_replicationsettingdata { consistentpointintime = false;"
                  " autodelete = True; elementname = Null; }");
    assert_string_equal(rsd->class_name, "cim_replicationsettingdata");
    assert_int_equal(rsd->n_props, 2);
    assert_false(find_prop(rsd, "ConsistentPointInTime")->b);
    assert_true(find_prop(rsd, "AutoDelete")->b);
}

static void test_mof_accepts_a_subclass(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "instance of MSISCSITARGET_ReplicationSettingData { Pairing = 3; };");
    assert_string_equal(rsd->class_name, "MSISCSITARGET_ReplicationSettingData");
}

static void test_mof_skips_comments(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "// leading comment\n/* block */instance/**/of // here\n"
                  "CIM_ReplicationSettingData/* x */{ // open\n"
                  "  Multihop /* y */ = /* z */ 2 /* w */; // done\n"
                  "} /* end */ ; // trailing");
    assert_int_equal(find_prop(rsd, "Multihop")->u, 2);
}

static void test_mof_decodes_escapes(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "Description = \"q\\\" b\\\\ a\\' n\\n t\\t r\\r\"; }");
    assert_string_equal(find_prop(rsd, "Description")->s, "q\" b\\ a' n\n t\t r\r");
}

static void test_mof_decodes_hex_escapes_as_characters(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "Description = \"\\x41\\X62 caf\\xe9 \\x20AC \\x7e\"; }");
    assert_string_equal(find_prop(rsd, "Description")->s, "Ab caf\xC3\xA9 \xE2\x82\xAC ~");
}

static void test_mof_concatenates_adjacent_strings(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "ElementName = \"ab\" \"\" /* c */ \"cd\"\n  \"e\\\"\"; }");
    assert_string_equal(find_prop(rsd, "ElementName")->s, "abcde\"");
}

static void test_mof_reads_hex_integers(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "OnGroupOrListError = 0x3; Multihop = 0XfFfF;"
                       " Generation = 0xFFFFFFFFFFFFFFFF; }");
    assert_int_equal(find_prop(rsd, "OnGroupOrListError")->u, 3);
    assert_int_equal(find_prop(rsd, "Multihop")->u, 65535);
    assert_true(find_prop(rsd, "Generation")->u == UINT64_MAX);
}

/* ComponentSetting[] is the class's but not taken: NULL, as a default instance read back has
 * it, is left out; a value is 5 naming it. */
static void test_mof_takes_a_null_component_setting(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "componentsetting = NULL; Multihop = 1; }");
    assert_int_equal(rsd->n_props, 1);
    parse_fails(rsd, HEAD "ComponentSetting = \"x\"; }", PARAM ".ComponentSetting",
                "that this service does not take at 1:42");
    parse_fails(rsd, HEAD "Unknown = NULL; }", PARAM ".Unknown", "is not a property");
}

/* DSP0004: decimalValue and hexValue may carry a sign; "+" changes nothing. */
static void test_mof_reads_a_plus_sign(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "Multihop = +2; Generation = +0x10; DeltaUpdateBlocks = +0; }");
    assert_int_equal(find_prop(rsd, "Multihop")->u, 2);
    assert_int_equal(find_prop(rsd, "Generation")->u, 16);
    assert_int_equal(find_prop(rsd, "DeltaUpdateBlocks")->u, 0);
}

static void test_mof_skips_null_values(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "ElementName = NULL; Multihop = null; AutoDelete = NULL; Pairing = 2; }");
    assert_int_equal(rsd->n_props, 1);
    assert_string_equal(rsd->props[0].def->name, "Pairing");
}

static void test_mof_final_semicolon_is_optional(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, HEAD "Pairing = 2; }  \n");
    assert_int_equal(rsd->n_props, 1);
}

static void test_mof_accepts_an_empty_property_list(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "instance of SNIA_ReplicationSettingData {};");
    assert_int_equal(rsd->n_props, 0);
    assert_string_equal(rsd->class_name, "SNIA_ReplicationSettingData");
}

static void test_mof_accepts_text_of_the_maximum_length(void **state)
{
    struct cim_rsd *rsd = *state;
    char *text = malloc(CIM_RSD_MAX_TEXT + 1);
    size_t head = strlen(HEAD "}");

    assert_non_null(text);
    memcpy(text, HEAD "}", head);
    memset(text + head, ' ', CIM_RSD_MAX_TEXT - head);
    text[CIM_RSD_MAX_TEXT] = '\0';
    parse_ok(rsd, text);
    free(text);
}

static void test_mof_replaces_what_rsd_held(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("AutoDelete"), true, &err), 0);
    parse_ok(rsd, "instance of SNIA_ReplicationSettingData { Pairing = 4; }");
    assert_int_equal(rsd->n_props, 1);
    assert_string_equal(rsd->props[0].def->name, "Pairing");
    assert_string_equal(rsd->class_name, "SNIA_ReplicationSettingData");
}

/* ---- MOF: syntax errors, each with its line and column ---- */

static void test_mof_rejects_empty_text(void **state)
{
    parse_fails(*state, "", PARAM, "the MOF text is empty");
    parse_fails(*state, NULL, PARAM, "the MOF text is empty");
}

static void test_mof_rejects_blank_text(void **state)
{
    parse_fails(*state, " \n // nothing\n", PARAM, "expected 'instance' at 3:1");
}

static void test_mof_rejects_text_too_long(void **state)
{
    char *text = malloc(CIM_RSD_MAX_TEXT + 2);
    size_t head = strlen(HEAD "}");

    assert_non_null(text);
    memcpy(text, HEAD "}", head);
    memset(text + head, ' ', CIM_RSD_MAX_TEXT + 1 - head);
    text[CIM_RSD_MAX_TEXT + 1] = '\0';
    parse_fails(*state, text, PARAM, "longer than 65536 bytes");
    free(text);
}

static void test_mof_rejects_missing_instance_keyword(void **state)
{
    parse_fails(*state, "class CIM_ReplicationSettingData { };", PARAM,
                "expected 'instance' at 1:1");
}

/* DSP0004 instanceDeclaration: a qualifier list may stand before the instance and before each
 * property; it describes and sets nothing, its strings may hold ']'. */
static void test_mof_skips_qualifier_lists(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "[Description(\"a ] b\"), Version(\"2.1\")] instance of "
                  "CIM_ReplicationSettingData { [Key, Description(\"x\") : ToSubclass] "
                  "Multihop = 2; };");
    assert_int_equal(rsd->n_props, 1);
    parse_fails(rsd, "[Description(\"x\") instance of CIM_ReplicationSettingData {};", PARAM,
                "unterminated qualifier list (no ']') at 1:1");
    parse_fails(rsd, "[Description(\"x)] instance of CIM_ReplicationSettingData {};", PARAM,
                "unterminated string at 1:14");
}

static void test_mof_rejects_missing_of(void **state)
{
    parse_fails(*state, "instance CIM_ReplicationSettingData { };", PARAM,
                "expected 'of' after 'instance' at 1:10");
}

static void test_mof_rejects_missing_class_name(void **state)
{
    parse_fails(*state, "instance of { };", PARAM,
                "expected a class name after 'instance of' at 1:13");
}

/* An alias names the instance for other declarations of its file: nothing here. */
static void test_mof_takes_an_alias(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "instance of CIM_ReplicationSettingData as $rsd_1 { Multihop = 2; };");
    assert_int_equal(rsd->n_props, 1);
    parse_fails(rsd, "instance of CIM_ReplicationSettingData as rsd { };", PARAM,
                "expected an alias ($name) after 'as' at 1:43");
    parse_fails(rsd, "instance of CIM_ReplicationSettingData $rsd { };", PARAM,
                "expected '{' after the class name at 1:40");
}

static void test_mof_rejects_missing_equals(void **state)
{
    parse_fails(*state, HEAD "ElementName \"x\"; };", PARAM,
                "expected '=' after property name at 1:54");
}

static void test_mof_rejects_missing_value(void **state)
{
    parse_fails(*state, HEAD "Multihop = ; };", PARAM,
                "expected a value (TRUE, FALSE, NULL, an integer or a string) after '=' at 1:53");
}

static void test_mof_rejects_bare_word_value(void **state)
{
    parse_fails(*state, HEAD "OnGroupOrListError = Stop; };", PARAM,
                "expected a value (TRUE, FALSE, NULL, an integer or a string) after '=' at 1:63");
}

static void test_mof_rejects_missing_semicolon_after_value(void **state)
{
    parse_fails(*state,
                "instance of CIM_ReplicationSettingData {\n  Multihop = 2\n  Pairing = 2;\n};",
                PARAM, "expected ';' after the value at 3:3");
}

static void test_mof_rejects_missing_closing_brace(void **state)
{
    parse_fails(*state, HEAD "Multihop = 2;\n", PARAM, "expected a property name or '}' at 2:1");
}

static void test_mof_rejects_stray_token_in_property_list(void **state)
{
    parse_fails(*state, HEAD "; Multihop = 2; };", PARAM,
                "expected a property name or '}' at 1:42");
}

static void test_mof_rejects_unterminated_string(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"abc\\\"", PARAM, "unterminated string at 1:56");
}

static void test_mof_rejects_line_break_in_string(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"ab\ncd\"; };", PARAM,
                "line break inside a string (write it as \\n) at 1:59");
}

static void test_mof_rejects_unterminated_comment(void **state)
{
    parse_fails(*state, HEAD "Multihop = 2; /* never closed };", PARAM,
                "unterminated comment at 1:56");
}

static void test_mof_rejects_unexpected_character(void **state)
{
    parse_fails(*state, HEAD "Multihop @ 2; };", PARAM, "unexpected character '@' at 1:51");
}

static void test_mof_rejects_control_byte_without_echoing_it(void **state)
{
    parse_fails(*state, HEAD "Multihop \x01 2; };", PARAM, "unexpected byte 0x01 at 1:51");
}

static void test_mof_rejects_non_ascii_outside_strings(void **state)
{
    parse_fails(*state, HEAD "\xC3\xB6 = 2; };", PARAM, "unexpected byte 0xC3 at 1:42");
}

static void test_mof_rejects_unknown_escape(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"a\\qb\"; };", PARAM,
                "unknown escape '\\q' in a string at 1:58");
}

static void test_mof_rejects_hex_escape_without_digits(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"a\\xg\"; };", PARAM,
                "\\x must be followed by 1 to 4 hex digits at 1:58");
}

static void test_mof_rejects_hex_escape_of_a_surrogate(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"\\xD800\"; };", PARAM,
                "\\xD800 is a UTF-16 surrogate, not a character at 1:57");
}

static void test_mof_rejects_trailing_text(void **state)
{
    parse_fails(*state, HEAD "Multihop = 2; }; instance", PARAM,
                "unexpected text after the instance at 1:59");
}

static void test_mof_rejects_a_second_instance(void **state)
{
    parse_fails(*state, HEAD "}\n" HEAD "};", PARAM, "unexpected text after the instance at 2:1");
}

static void test_mof_rejects_array_values(void **state)
{
    parse_fails(*state, HEAD "Multihop = {1, 2}; };", PARAM ".Multihop",
                "Multihop: array values are not supported at 1:53");
}

/* ---- MOF: what the values must satisfy ---- */

static void test_mof_rejects_unknown_property(void **state)
{
    parse_fails(*state, HEAD "NoSuchProp = 1; };", PARAM ".NoSuchProp",
                "NoSuchProp is not a property of CIM_ReplicationSettingData at 1:42");
    /* An inherited property this service does not take is not called unknown. */
    parse_fails(*state, HEAD "componentSetting = {\"x\"}; };", PARAM ".componentSetting",
                "componentSetting is a property of CIM_ReplicationSettingData (an array of "
                "embedded instances) that this service does not take at 1:42");
}

/* CIM CIM_ReplicationSettingData value maps (CIM-NOTES §6) */
static void test_mof_rejects_value_outside_map(void **state)
{
    parse_fails(*state,
                "instance of CIM_ReplicationSettingData {\n   ElementName = \"rsd\";\n"
                "   ConsistentPointInTime = TRUE;\n   OnGroupOrListError = 7;\n};",
                PARAM ".OnGroupOrListError",
                "OnGroupOrListError must be one of 2 (Continue), 3 (Stop); got 7 at 4:25");
}

static void test_mof_rejects_wrong_class(void **state)
{
    parse_fails(*state, "instance of CIM_SettingData { };", PARAM,
                "the class must be CIM_ReplicationSettingData or a subclass named "
                "<Schema>_ReplicationSettingData; got CIM_SettingData at 1:13");
}

static void test_mof_rejects_string_for_boolean(void **state)
{
    parse_fails(*state, HEAD "ConsistentPointInTime = \"TRUE\"; };", PARAM ".ConsistentPointInTime",
                "ConsistentPointInTime is a boolean, not a string at 1:66");
}

static void test_mof_rejects_number_for_string(void **state)
{
    parse_fails(*state, HEAD "ElementName = 5; };", PARAM ".ElementName",
                "ElementName is a string, not an integer at 1:56");
}

static void test_mof_rejects_boolean_for_integer(void **state)
{
    parse_fails(*state, HEAD "Multihop = TRUE; };", PARAM ".Multihop",
                "Multihop is a uint16, not a boolean at 1:53");
}

static void test_mof_rejects_negative_integer(void **state)
{
    parse_fails(*state, HEAD "Multihop = -1; };", PARAM ".Multihop",
                "Multihop must not be negative at 1:53");
}

/* -0 is zero, as JSON's -0 is: the two forms take the same values. */
static void test_mof_negative_zero_is_zero(void **state)
{
    parse_ok(*state, HEAD "Multihop = -0; };");
    assert_int_equal(find_prop(*state, "Multihop")->u, 0);
}

static void test_mof_rejects_leading_zero(void **state)
{
    parse_fails(*state, HEAD "Multihop = 010; };", PARAM ".Multihop",
                "leading zeros are not allowed (octal is not supported) at 1:53");
}

static void test_mof_rejects_malformed_integers(void **state)
{
    static const char *const bad[] = {"1.5", "0x", "0xG1", "12abc", "+0x", "+1.0", "1010b"};
    char text[128];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), HEAD "Generation = %s; };", bad[i]);
        parse_fails(*state, text, PARAM ".Generation",
                    "Generation must be a decimal or 0x hexadecimal integer of at most 64 bits");
    }
}

static void test_mof_rejects_integer_past_64_bits(void **state)
{
    parse_fails(*state, HEAD "Generation = 18446744073709551616; };", PARAM ".Generation",
                "got '18446744073709551616' at 1:55");
}

static void test_mof_rejects_uint16_overflow(void **state)
{
    parse_fails(*state, HEAD "Multihop = 65536; };", PARAM ".Multihop",
                "Multihop must be at most 65535; got 65536 at 1:53");
}

static void test_mof_rejects_duplicate_property(void **state)
{
    parse_fails(*state, HEAD "Multihop = 1; multihop = 2; };", PARAM ".Multihop",
                "Multihop is given more than once at 1:56");
}

static void test_mof_rejects_duplicate_property_set_to_null(void **state)
{
    parse_fails(*state, HEAD "Multihop = NULL; Multihop = 2; };", PARAM ".Multihop",
                "Multihop is given more than once at 1:59");
}

static void test_mof_rejects_escaped_control_character(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"bell\\b\"; };", PARAM ".ElementName",
                "ElementName must be UTF-8 text without control characters other than tab, CR "
                "and LF at 1:56");
}

static void test_mof_rejects_escaped_nul(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"a\\x0b\"; };", PARAM ".ElementName",
                "without control characters");
    parse_fails(*state, HEAD "ElementName = \"a\\x0\"; };", PARAM ".ElementName",
                "without control characters");
}

static void test_mof_rejects_invalid_utf8_in_string(void **state)
{
    parse_fails(*state, HEAD "ElementName = \"\xC3\x28\"; };", PARAM ".ElementName",
                "must be UTF-8 text");
}

static void test_mof_rejects_string_too_long(void **state)
{
    char text[256];

    snprintf(text, sizeof(text), HEAD "Caption = \"%065d\"; };", 0);
    parse_fails(*state, text, PARAM ".Caption",
                "Caption is 65 bytes long; at most 64 are allowed at 1:52");
}

static void test_mof_rejects_bad_datetime(void **state)
{
    parse_fails(*state, HEAD "DesiredRPO = \"00000000240000.000000:000\"; };", PARAM ".DesiredRPO",
                "hours must be 00 to 23 at 1:55");
}

static void test_mof_failure_keeps_class_and_empties_rsd(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("AutoDelete"), true, &err), 0);
    /* The subclass and first property parse, then the second property fails. */
    parse_fails(rsd,
                "instance of SNIA_ReplicationSettingData { ElementName = \"x\"; Pairing = 9; };",
                PARAM ".Pairing", "got 9");
}

/* Every prefix of a valid text, in a buffer of exactly its size so that ASan sees any read past
 * the end, is either accepted or rejected with a message. */
static void test_mof_every_prefix_of_the_example_is_handled(void **state)
{
    static const char full[] = "/* c */ instance of CIM_ReplicationSettingData {\n"
                               "  ElementName = \"a\\x41\\\"b\" \"c\"; // x\n"
                               "  Generation = 0x1F; AutoDelete = NULL;\n};";
    struct cim_rsd *rsd = *state;

    for (size_t len = 0; len < sizeof(full); len++) {
        char *text = malloc(len + 1);
        struct cim_err err;
        enum cim_rv rv;

        assert_non_null(text);
        memcpy(text, full, len);
        text[len] = '\0';
        cim_err_clear(&err);
        rv = cim_rsd_parse_mof(text, rsd, &err);
        if (rv == CIM_RV_SUCCESS)
            assert_true(len >= sizeof(full) - 2); /* ends in "}", with or without ";" */
        else
            assert_true(strlen(err.detail) > 0);
        free(text);
    }
    assert_int_equal(rsd->n_props, 2);
}

/* ---- stored text ---- */

static void test_to_text_writes_each_type(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;
    const char *expected[] = {
        "true", "false", "65535", "18446744073709551615", "a\tb", "00000000002300.000000:000"};

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("AutoDelete"), true, &err), 0);
    assert_int_equal(cim_rsd_add_bool(rsd, def_of("ConsistencyExempt"), false, &err), 0);
    assert_int_equal(cim_rsd_add_uint(rsd, def_of("Multihop"), 65535, &err), 0);
    assert_int_equal(cim_rsd_add_uint(rsd, def_of("MaximumSkew"), UINT64_MAX, &err), 0);
    assert_int_equal(cim_rsd_add_string(rsd, def_of("Description"), "a\tb", &err), 0);
    assert_int_equal(
        cim_rsd_add_string(rsd, def_of("DesiredRPO"), "00000000002300.000000:000", &err), 0);
    for (size_t i = 0; i < rsd->n_props; i++) {
        char *text = cim_prop_to_text(&rsd->props[i]);

        assert_non_null(text);
        assert_string_equal(text, expected[i]);
        free(text);
    }
}

static void test_add_text_round_trips_every_property(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_rsd back;
    struct cim_err err;

    parse_ok(rsd, HEAD "ElementName = \"r\\tsd\"; ConsistentPointInTime = TRUE; AutoDelete = "
                       "FALSE; OnGroupOrListError = 2; DeltaUpdateBlocks = 0xFFFFFFFFFFFFFFFF;"
                       " TimeBeforeRemoval = \"20240101000000.000000-300\"; }");
    assert_int_equal(cim_rsd_init(&back), 0);
    cim_err_clear(&err);
    for (size_t i = 0; i < rsd->n_props; i++) {
        char *text = cim_prop_to_text(&rsd->props[i]);

        assert_non_null(text);
        assert_int_equal(cim_rsd_add_text(&back, rsd->props[i].def->name, text, &err), 0);
        free(text);
    }
    assert_int_equal(back.n_props, rsd->n_props);
    for (size_t i = 0; i < rsd->n_props; i++) {
        assert_ptr_equal(back.props[i].def, rsd->props[i].def);
        assert_int_equal(back.props[i].b, rsd->props[i].b);
        assert_true(back.props[i].u == rsd->props[i].u);
        if (rsd->props[i].s)
            assert_string_equal(back.props[i].s, rsd->props[i].s);
        else
            assert_null(back.props[i].s);
    }
    cim_rsd_free(&back);
}

static void test_add_text_rejects_unknown_name(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_text(rsd, "Bogus", "1", &err), CIM_RV_INVALID_PARAMETER);
    assert_err(&err, PARAM, "stored property 'Bogus' is not a property");
    assert_int_equal(rsd->n_props, 0);
}

static void test_add_text_rejects_malformed_boolean(void **state)
{
    static const char *const bad[] = {"TRUE", "1", "", "true "};
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cim_err_clear(&err);
        assert_int_equal(cim_rsd_add_text(rsd, "AutoDelete", bad[i], &err),
                         CIM_RV_INVALID_PARAMETER);
        assert_err(&err, PARAM ".AutoDelete", "is not \"true\" or \"false\"");
    }
    assert_int_equal(rsd->n_props, 0);
}

static void test_add_text_rejects_malformed_integer(void **state)
{
    static const char *const bad[] = {"", "-1", "12a", "0x10", "18446744073709551616"};
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cim_err_clear(&err);
        assert_int_equal(cim_rsd_add_text(rsd, "Generation", bad[i], &err),
                         CIM_RV_INVALID_PARAMETER);
        assert_err(&err, PARAM ".Generation", "is not a 64-bit decimal integer");
    }
    assert_int_equal(rsd->n_props, 0);
}

static void test_add_text_applies_the_value_checks(void **state)
{
    struct cim_rsd *rsd = *state;
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_text(rsd, "OnGroupOrListError", "7", &err),
                     CIM_RV_INVALID_PARAMETER);
    assert_err(&err, PARAM ".OnGroupOrListError", "must be one of 2 (Continue), 3 (Stop)");
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_text(rsd, "DesiredRPO", "tomorrow", &err),
                     CIM_RV_INVALID_PARAMETER);
    cim_err_clear(&err);
    assert_int_equal(cim_rsd_add_text(rsd, "ElementName", NULL, &err), CIM_RV_INVALID_PARAMETER);
    assert_int_equal(rsd->n_props, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_find_def_ignores_case),
        T(test_find_def_of_unknown_name_is_null),
        T(test_table_has_every_property_with_its_type),
        T(test_every_string_property_is_bounded),
        T(test_value_maps_match_the_notes),
        T(test_init_sets_the_base_class),
        T(test_free_zeroes_and_accepts_null_and_zeroed),
        T(test_set_class_accepts_schema_subclasses),
        T(test_set_class_rejects_other_classes),
        T(test_set_class_rejects_overlong_schema),
        T(test_set_class_does_not_echo_control_bytes),
        T(test_add_bool_stores_value),
        T(test_add_bool_rejects_non_boolean_property),
        T(test_add_rejects_duplicate_property),
        T(test_add_rejects_definition_not_from_the_table),
        T(test_add_keeps_the_first_error),
        T(test_add_uint_accepts_value_in_map),
        T(test_add_uint_rejects_value_outside_map_listing_allowed),
        T(test_add_uint_lists_a_long_value_map_whole),
        T(test_add_uint_map_is_not_fooled_by_uint16_wraparound),
        T(test_add_uint_accepts_any_uint16_without_map),
        T(test_add_uint_rejects_uint16_overflow),
        T(test_add_uint_accepts_full_uint64),
        T(test_add_uint_rejects_non_integer_property),
        T(test_add_string_copies_value),
        T(test_add_string_accepts_tab_cr_lf_and_utf8),
        T(test_add_string_rejects_other_control_characters),
        T(test_add_string_rejects_invalid_utf8),
        T(test_add_string_rejects_caption_over_64_bytes),
        T(test_add_string_bounds_other_strings_at_1024_bytes),
        T(test_add_string_rejects_non_string_property),
        T(test_add_string_rejects_null_value),
        T(test_add_datetime_accepts_interval_and_timestamp),
        T(test_add_datetime_rejects_malformed_values),
        T(test_add_datetime_message_names_both_forms),
        T(test_add_interval_refuses_timestamp),
        T(test_mof_parses_the_notes_example),
        T(test_mof_keywords_and_names_ignore_case),
        T(test_mof_accepts_a_subclass),
        T(test_mof_skips_comments),
        T(test_mof_decodes_escapes),
        T(test_mof_decodes_hex_escapes_as_characters),
        T(test_mof_concatenates_adjacent_strings),
        T(test_mof_reads_hex_integers),
        T(test_mof_reads_a_plus_sign),
        T(test_mof_takes_a_null_component_setting),
        T(test_mof_skips_null_values),
        T(test_mof_final_semicolon_is_optional),
        T(test_mof_accepts_an_empty_property_list),
        T(test_mof_accepts_text_of_the_maximum_length),
        T(test_mof_replaces_what_rsd_held),
        T(test_mof_rejects_empty_text),
        T(test_mof_rejects_blank_text),
        T(test_mof_rejects_text_too_long),
        T(test_mof_rejects_missing_instance_keyword),
        T(test_mof_skips_qualifier_lists),
        T(test_mof_rejects_missing_of),
        T(test_mof_rejects_missing_class_name),
        T(test_mof_takes_an_alias),
        T(test_mof_rejects_missing_equals),
        T(test_mof_rejects_missing_value),
        T(test_mof_rejects_bare_word_value),
        T(test_mof_rejects_missing_semicolon_after_value),
        T(test_mof_rejects_missing_closing_brace),
        T(test_mof_rejects_stray_token_in_property_list),
        T(test_mof_rejects_unterminated_string),
        T(test_mof_rejects_line_break_in_string),
        T(test_mof_rejects_unterminated_comment),
        T(test_mof_rejects_unexpected_character),
        T(test_mof_rejects_control_byte_without_echoing_it),
        T(test_mof_rejects_non_ascii_outside_strings),
        T(test_mof_rejects_unknown_escape),
        T(test_mof_rejects_hex_escape_without_digits),
        T(test_mof_rejects_hex_escape_of_a_surrogate),
        T(test_mof_rejects_trailing_text),
        T(test_mof_rejects_a_second_instance),
        T(test_mof_rejects_array_values),
        T(test_mof_rejects_unknown_property),
        T(test_mof_rejects_value_outside_map),
        T(test_mof_rejects_wrong_class),
        T(test_mof_rejects_string_for_boolean),
        T(test_mof_rejects_number_for_string),
        T(test_mof_rejects_boolean_for_integer),
        T(test_mof_rejects_negative_integer),
        T(test_mof_negative_zero_is_zero),
        T(test_mof_rejects_leading_zero),
        T(test_mof_rejects_malformed_integers),
        T(test_mof_rejects_integer_past_64_bits),
        T(test_mof_rejects_uint16_overflow),
        T(test_mof_rejects_duplicate_property),
        T(test_mof_rejects_duplicate_property_set_to_null),
        T(test_mof_rejects_escaped_control_character),
        T(test_mof_rejects_escaped_nul),
        T(test_mof_rejects_invalid_utf8_in_string),
        T(test_mof_rejects_string_too_long),
        T(test_mof_rejects_bad_datetime),
        T(test_mof_failure_keeps_class_and_empties_rsd),
        T(test_mof_every_prefix_of_the_example_is_handled),
        T(test_to_text_writes_each_type),
        T(test_add_text_round_trips_every_property),
        T(test_add_text_rejects_unknown_name),
        T(test_add_text_rejects_malformed_boolean),
        T(test_add_text_rejects_malformed_integer),
        T(test_add_text_applies_the_value_checks),
    };

    return cmocka_run_group_tests_name("cim_rsd", tests, NULL, NULL);
}
