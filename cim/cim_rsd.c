/* CIM_ReplicationSettingData: the property table with types and value maps, the checks every
 * value goes through, a parser for the MOF embedded-instance form (DSP0004 instanceDeclaration)
 * and the text form stored in the database. JSON belongs to the api layer; which properties a
 * group keeps and how they are stored belongs to cim_group.
 */
#include "cim/cim_rsd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM "ReplicationSettingData"
#define STRING_MAX 1024    /* strings without a MaxLen of their own, so what we store is bounded */
#define CLASS_NAME_MAX 256 /* DSP0004 sets no limit; ours keeps stored class names bounded */
#define DATETIME_LEN 25
#define DETAIL_SIZE sizeof(((struct cim_err *)NULL)->detail)

/* CIM CIM_ReplicationSettingData value maps (CIM-NOTES §6)
 * Each labels array is sized by its values array, so a surplus label does not compile; a
 * missing one only drops that label from error messages. */
static const uint16_t changeable_type_values[] = {0, 1, 2, 3};
static const char *const changeable_type_labels[RG_ARRAY_LEN(changeable_type_values)] = {
    "Not Changeable - Persistent", "Changeable - Transient", "Changeable - Persistent",
    "Not Changeable - Transient"};
static const uint16_t copy_methodology_values[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const char *const copy_methodology_labels[RG_ARRAY_LEN(copy_methodology_values)] = {
    "Other",
    "Instrumentation decides",
    "Full-Copy",
    "Incremental-Copy",
    "Differential-Copy",
    "Copy-On-Write",
    "Copy-On-Access",
    "Delta-Update",
    "Snap-And-Clone",
    "Copy-before-Activation",
    "Redirect-On-Write"};
static const uint16_t on_error_values[] = {2, 3};
static const char *const on_error_labels[RG_ARRAY_LEN(on_error_values)] = {"Continue", "Stop"};
static const uint16_t unequal_groups_values[] = {2, 3, 4};
static const char *const unequal_groups_labels[RG_ARRAY_LEN(unequal_groups_values)] = {
    "Return an error", "Allow source group to be larger", "Allow target group to be larger"};
static const uint16_t supplier_values[] = {1, 2, 3, 4, 5};
static const char *const supplier_labels[RG_ARRAY_LEN(supplier_values)] = {
    "Use existing", "Create new", "Use and create", "Instrumentation decides",
    "Client must supply"};
static const uint16_t thin_values[] = {2, 3, 4, 5, 6, 7};
static const char *const thin_labels[RG_ARRAY_LEN(thin_values)] = {
    "Copy thin source to thin target",
    "Copy thin source to full target",
    "Copy full source to thin target",
    "Provisioning of target same as source",
    "Target pool decides provisioning of target element",
    "Implementation decides provisioning of target"};
/* CIM-NOTES gives no labels for compression ("analogous to ThinProvisioningPolicy"), so its
 * messages list the numbers only. */
static const uint16_t compression_values[] = {2, 3, 4, 5, 6, 7};
static const uint16_t pairing_values[] = {2, 3, 4};
static const char *const pairing_labels[RG_ARRAY_LEN(pairing_values)] = {"Instrumentation decides",
                                                                         "Exact order", "Optimum"};
static const uint16_t recovery_values[] = {0, 2, 3, 4};
static const char *const recovery_labels[RG_ARRAY_LEN(recovery_values)] = {
    "Unknown", "Automatic", "Manual", "Implementation decides"};
static const uint16_t unequal_lists_values[] = {2, 3, 4};
static const char *const unequal_lists_labels[RG_ARRAY_LEN(unequal_lists_values)] = {
    "Return an error", "Allow source list to be larger", "Allow target list to be larger"};
static const uint16_t read_only_values[] = {2, 3, 4};
static const char *const read_only_labels[RG_ARRAY_LEN(read_only_values)] = {
    "SystemElement", "SyncedElement", "Both"};
static const uint16_t priority_values[] = {0, 1, 2, 3, 4};
static const char *const priority_labels[RG_ARRAY_LEN(priority_values)] = {
    "Not Managed", "Low", "Same", "High", "Urgent"};
/* TargetElementGoal and TargetElementResourcePool share one map. */
static const uint16_t target_goal_values[] = {2, 3};
static const char *const target_goal_labels[RG_ARRAY_LEN(target_goal_values)] = {
    "Implementation decides", "Same as source element"};

#define VALUE_MAP(m) m##_values, RG_ARRAY_LEN(m##_values)

static const struct cim_prop_def defs[] = {
    /* Inherited from CIM_ManagedElement and CIM_SettingData. */
    {"InstanceID", CIM_T_STRING, NULL, 0, STRING_MAX},
    {"ElementName", CIM_T_STRING, NULL, 0, STRING_MAX},
    {"Caption", CIM_T_STRING, NULL, 0, 64},
    {"Description", CIM_T_STRING, NULL, 0, STRING_MAX},
    {"ChangeableType", CIM_T_UINT16, VALUE_MAP(changeable_type), 0},
    {"ConfigurationName", CIM_T_STRING, NULL, 0, STRING_MAX},
    {"SoID", CIM_T_STRING, NULL, 0, STRING_MAX},
    {"SoOrgID", CIM_T_STRING, NULL, 0, STRING_MAX},
    {"Generation", CIM_T_UINT64, NULL, 0, 0},
    /* CIM_ReplicationSettingData's own. */
    {"ConsistentPointInTime", CIM_T_BOOLEAN, NULL, 0, 0},
    {"DesiredCopyMethodology", CIM_T_UINT16, VALUE_MAP(copy_methodology), 0},
    {"Multihop", CIM_T_UINT16, NULL, 0, 0},
    {"OnGroupOrListError", CIM_T_UINT16, VALUE_MAP(on_error), 0},
    {"UnequalGroupsAction", CIM_T_UINT16, VALUE_MAP(unequal_groups), 0},
    {"TargetElementSupplier", CIM_T_UINT16, VALUE_MAP(supplier), 0},
    {"ThinProvisioningPolicy", CIM_T_UINT16, VALUE_MAP(thin), 0},
    {"Pairing", CIM_T_UINT16, VALUE_MAP(pairing), 0},
    {"FailedCopyStopsHostIO", CIM_T_BOOLEAN, NULL, 0, 0},
    {"CopyRecoveryMode", CIM_T_UINT16, VALUE_MAP(recovery), 0},
    {"UnequalListsAction", CIM_T_UINT16, VALUE_MAP(unequal_lists), 0},
    {"DeltaUpdateInterval", CIM_T_DATETIME, NULL, 0, 0},
    {"DeltaUpdateBlocks", CIM_T_UINT64, NULL, 0, 0},
    {"ReadOnly", CIM_T_UINT16, VALUE_MAP(read_only), 0},
    {"CopyPriority", CIM_T_UINT16, VALUE_MAP(priority), 0},
    {"StorageCompressionPolicy", CIM_T_UINT16, VALUE_MAP(compression), 0},
    {"AutoDelete", CIM_T_BOOLEAN, NULL, 0, 0},
    {"RRCHardwareCompressionEnabled", CIM_T_BOOLEAN, NULL, 0, 0},
    {"RRCSoftwareCompressionEnabled", CIM_T_BOOLEAN, NULL, 0, 0},
    {"TargetElementGoal", CIM_T_UINT16, VALUE_MAP(target_goal), 0},
    {"TargetElementResourcePool", CIM_T_UINT16, VALUE_MAP(target_goal), 0},
    {"TimeBeforeRemoval", CIM_T_DATETIME, NULL, 0, 0},
    {"ConsistencyExempt", CIM_T_BOOLEAN, NULL, 0, 0},
    {"ConsistentAsyncCopy", CIM_T_BOOLEAN, NULL, 0, 0},
    {"DesiredRPO", CIM_T_DATETIME, NULL, 0, 0},
    {"MaximumSkew", CIM_T_UINT64, NULL, 0, 0},
};

/* Each property is added at most once, so rsd->props can never overflow. */
_Static_assert(RG_ARRAY_LEN(defs) <= CIM_RSD_MAX_PROPS, "CIM_RSD_MAX_PROPS is too small");

struct value_labels {
    const uint16_t *values;
    const char *const *labels;
};

static const struct value_labels value_labels[] = {
    {changeable_type_values, changeable_type_labels},
    {copy_methodology_values, copy_methodology_labels},
    {on_error_values, on_error_labels},
    {unequal_groups_values, unequal_groups_labels},
    {supplier_values, supplier_labels},
    {thin_values, thin_labels},
    {pairing_values, pairing_labels},
    {recovery_values, recovery_labels},
    {unequal_lists_values, unequal_lists_labels},
    {read_only_values, read_only_labels},
    {priority_values, priority_labels},
    {target_goal_values, target_goal_labels},
};

/* The three shapes a value arrives in; each add function takes one of them. */
enum value_kind { VK_BOOL, VK_UINT, VK_STRING };

/* ==== Small helpers ==== */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_ident_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

static char fold_case(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Compares s (len bytes, not NUL-terminated) with word, ignoring ASCII case as CIM does. */
static bool equal_ignore_case(const char *s, size_t len, const char *word)
{
    for (size_t i = 0; i < len; i++)
        if (word[i] == '\0' || fold_case(s[i]) != fold_case(word[i]))
            return false;
    return word[len] == '\0';
}

/* The value of hex digit c, or -1. */
static int read_hex_digit(char c)
{
    if (is_digit(c))
        return c - '0';
    if (fold_case(c) >= 'a' && fold_case(c) <= 'f')
        return fold_case(c) - 'a' + 10;
    return -1;
}

/* Reads len digits of base 10 or 16 into *v; false on an empty string, any other character, or
 * a value past 64 bits. */
static bool parse_uint(const char *s, size_t len, unsigned base, uint64_t *v)
{
    uint64_t n = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        int d = base == 16 ? read_hex_digit(s[i]) : is_digit(s[i]) ? s[i] - '0' : -1;

        if (d < 0 || n > (UINT64_MAX - (unsigned)d) / base)
            return false;
        n = n * base + (unsigned)d;
    }
    *v = n;
    return true;
}

static enum value_kind kind_of(enum cim_type type)
{
    switch (type) {
    case CIM_T_BOOLEAN:
        return VK_BOOL;
    case CIM_T_UINT16:
    case CIM_T_UINT64:
        return VK_UINT;
    case CIM_T_STRING:
    case CIM_T_DATETIME:
        break;
    }
    return VK_STRING;
}

static const char *name_type(enum cim_type type)
{
    static const char *const names[] = {
        [CIM_T_BOOLEAN] = "a boolean", [CIM_T_UINT16] = "a uint16",     [CIM_T_UINT64] = "a uint64",
        [CIM_T_STRING] = "a string",   [CIM_T_DATETIME] = "a datetime",
    };

    return names[type];
}

static const char *name_kind(enum value_kind kind)
{
    static const char *const names[] = {
        [VK_BOOL] = "a boolean", [VK_UINT] = "an integer", [VK_STRING] = "a string"};

    return names[kind];
}

/* ==== Property table ==== */

static const struct cim_prop_def *find_def_n(const char *name, size_t len)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(defs); i++)
        if (equal_ignore_case(name, len, defs[i].name))
            return &defs[i];
    return NULL;
}

const struct cim_prop_def *cim_rsd_find_def(const char *name)
{
    return name ? find_def_n(name, strlen(name)) : NULL;
}

/* Callers may hand in any pointer, so look for it entry by entry: comparing it with the table's
 * bounds would be undefined for a pointer into another object. */
static bool is_table_def(const struct cim_prop_def *def)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(defs); i++)
        if (def == &defs[i])
            return true;
    return false;
}

static const char *const *find_labels(const uint16_t *values)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(value_labels); i++)
        if (value_labels[i].values == values)
            return value_labels[i].labels;
    return NULL;
}

/* ==== Errors ==== */

/* Records a problem with def's value: param "ReplicationSettingData.<Name>". */
static enum cim_rv fail_prop(struct cim_err *err, const struct cim_prop_def *def, const char *fmt,
                             ...) RG_PRINTF(3, 4);
static enum cim_rv fail_prop(struct cim_err *err, const struct cim_prop_def *def, const char *fmt,
                             ...)
{
    char param[sizeof(err->param)];
    char detail[DETAIL_SIZE];
    va_list ap;

    snprintf(param, sizeof(param), PARAM ".%s", def->name);
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s", detail);
}

static enum cim_rv fail_oom(struct cim_err *err)
{
    return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
}

/* Writes def's allowed values, "2 (Continue), 3 (Stop)" or with labels false "2, 3", to buf. */
static void format_allowed(const struct cim_prop_def *def, bool labels, char *buf, size_t size)
{
    const char *const *names = labels ? find_labels(def->values) : NULL;
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < def->n_values && len < size; i++) {
        const char *sep = i ? ", " : "";
        int n;

        if (names && names[i])
            n = snprintf(buf + len, size - len, "%s%u (%s)", sep, (unsigned)def->values[i],
                         names[i]);
        else
            n = snprintf(buf + len, size - len, "%s%u", sep, (unsigned)def->values[i]);
        if (n < 0)
            return;
        len += (size_t)n;
    }
}

/* A value outside def's value map. The labelled list is preferred; when it would not fit the
 * detail buffer, the bare numbers are listed so the message still says what is allowed. */
#define VALUE_MAP_FMT "%s must be one of %s; got %" PRIu64
static enum cim_rv fail_value_map(struct cim_err *err, const struct cim_prop_def *def, uint64_t v)
{
    char allowed[DETAIL_SIZE];
    int n;

    format_allowed(def, true, allowed, sizeof(allowed));
    n = snprintf(NULL, 0, VALUE_MAP_FMT, def->name, allowed, v);
    if (n < 0 || (size_t)n >= DETAIL_SIZE)
        format_allowed(def, false, allowed, sizeof(allowed));
    return fail_prop(err, def, VALUE_MAP_FMT, def->name, allowed, v);
}

/* ==== Value checks ==== */

/* UTF-8 without control characters, except that tab, CR and LF may appear in strings. Those are
 * single bytes that never occur inside a multi-byte sequence, so checking the runs between them
 * with rg_utf8_is_clean_text checks the whole string. */
static bool is_clean_string(const char *s, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            continue;
        if (!rg_utf8_is_clean_text(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

static unsigned read_2_digits(const char *s)
{
    return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

/* Returns NULL when s is a DSP0004 datetime, else what is wrong with it. A timestamp is
 * yyyymmddhhmmss.mmmmmmsutc (s is '+' or '-'); an interval ddddddddhhmmss.mmmmmm:000. The '*'
 * wildcards DSP0004 also allows are refused: a setting needs a definite value. */
static const char *check_datetime(const char *s, size_t len)
{
    bool interval;

    if (len != DATETIME_LEN)
        return "it must be 25 characters long";
    if (s[14] != '.')
        return "character 15 must be '.'";
    if (s[21] != '+' && s[21] != '-' && s[21] != ':')
        return "character 22 must be '+', '-' (timestamp) or ':' (interval)";
    for (size_t i = 0; i < DATETIME_LEN; i++)
        if (i != 14 && i != 21 && !is_digit(s[i]))
            return "all other characters must be digits";
    interval = s[21] == ':';
    if (read_2_digits(s + 8) > 23)
        return "hours must be 00 to 23";
    if (read_2_digits(s + 10) > 59)
        return "minutes must be 00 to 59";
    if (read_2_digits(s + 12) > 59)
        return "seconds must be 00 to 59";
    if (interval)
        return memcmp(s + 22, "000", 3) == 0 ? NULL : "an interval must end in \":000\"";
    if (read_2_digits(s + 4) < 1 || read_2_digits(s + 4) > 12)
        return "the month must be 01 to 12";
    if (read_2_digits(s + 6) < 1 || read_2_digits(s + 6) > 31)
        return "the day must be 01 to 31";
    return NULL;
}

/* What every add checks first: def is one of ours, takes this kind of value, and rsd does not
 * hold it yet. */
static enum cim_rv check_new_prop(const struct cim_rsd *rsd, const struct cim_prop_def *def,
                                  enum value_kind kind, struct cim_err *err)
{
    if (!def || !is_table_def(def))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM,
                           PARAM ": not a CIM_ReplicationSettingData property definition");
    if (kind_of(def->type) != kind)
        return fail_prop(err, def, "%s is %s, not %s", def->name, name_type(def->type),
                         name_kind(kind));
    for (size_t i = 0; i < rsd->n_props; i++)
        if (rsd->props[i].def == def)
            return fail_prop(err, def, "%s is given more than once", def->name);
    return CIM_RV_SUCCESS;
}

static enum cim_rv check_string(const struct cim_prop_def *def, const char *s, size_t len,
                                struct cim_err *err)
{
    const char *why;

    if (def->type == CIM_T_DATETIME) {
        why = check_datetime(s, len);
        if (why)
            return fail_prop(err, def,
                             "%s must be a DSP0004 timestamp yyyymmddhhmmss.mmmmmmsutc or "
                             "interval ddddddddhhmmss.mmmmmm:000: %s",
                             def->name, why);
        return CIM_RV_SUCCESS;
    }
    if (def->max_len && len > def->max_len)
        return fail_prop(err, def, "%s is %zu bytes long; at most %zu are allowed", def->name, len,
                         def->max_len);
    if (!is_clean_string(s, len))
        return fail_prop(err, def,
                         "%s must be UTF-8 text without control characters other than tab, "
                         "CR and LF",
                         def->name);
    return CIM_RV_SUCCESS;
}

/* ==== The instance ==== */

int cim_rsd_init(struct cim_rsd *rsd)
{
    memset(rsd, 0, sizeof(*rsd));
    rsd->class_name = rg_strdup(CIM_RSD_CLASS);
    return rsd->class_name ? 0 : -1;
}

static void clear_props(struct cim_rsd *rsd)
{
    for (size_t i = 0; i < rsd->n_props; i++)
        free(rsd->props[i].s);
    memset(rsd->props, 0, sizeof(rsd->props));
    rsd->n_props = 0;
}

void cim_rsd_free(struct cim_rsd *rsd)
{
    if (!rsd)
        return;
    clear_props(rsd);
    free(rsd->class_name);
    memset(rsd, 0, sizeof(*rsd));
}

/* CIM_ReplicationSettingData itself or a subclass named <Schema>_ReplicationSettingData, where
 * a DSP0004 schema name is a letter followed by letters and digits. */
static bool is_rsd_class_name(const char *s, size_t len)
{
    static const char suffix[] = "_ReplicationSettingData";
    const size_t suffix_len = sizeof(suffix) - 1;

    if (len <= suffix_len || len > CLASS_NAME_MAX || !is_alpha(s[0]))
        return false;
    for (size_t i = 1; i < len - suffix_len; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i]))
            return false;
    return equal_ignore_case(s + len - suffix_len, suffix_len, suffix);
}

static bool is_printable_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7E)
            return false;
    return true;
}

static enum cim_rv set_class_n(struct cim_rsd *rsd, const char *name, size_t len,
                               struct cim_err *err)
{
    char *copy;

    if (!is_rsd_class_name(name, len)) {
        /* Echo the name only when it cannot smuggle control bytes into the reply. */
        if (len > 0 && len <= 64 && is_printable_ascii(name, len))
            return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM,
                               PARAM ": the class must be " CIM_RSD_CLASS
                                     " or a subclass named <Schema>_ReplicationSettingData; "
                                     "got %.*s",
                               (int)len, name);
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM,
                           PARAM ": the class must be " CIM_RSD_CLASS
                                 " or a subclass named <Schema>_ReplicationSettingData");
    }
    copy = rg_strndup(name, len);
    if (!copy)
        return fail_oom(err);
    free(rsd->class_name);
    rsd->class_name = copy;
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_rsd_set_class(struct cim_rsd *rsd, const char *class_name, struct cim_err *err)
{
    return set_class_n(rsd, class_name ? class_name : "", class_name ? strlen(class_name) : 0, err);
}

enum cim_rv cim_rsd_add_bool(struct cim_rsd *rsd, const struct cim_prop_def *def, bool v,
                             struct cim_err *err)
{
    enum cim_rv rv = check_new_prop(rsd, def, VK_BOOL, err);

    if (rv != CIM_RV_SUCCESS)
        return rv;
    rsd->props[rsd->n_props++] = (struct cim_prop){.def = def, .b = v};
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_rsd_add_uint(struct cim_rsd *rsd, const struct cim_prop_def *def, uint64_t v,
                             struct cim_err *err)
{
    enum cim_rv rv = check_new_prop(rsd, def, VK_UINT, err);
    bool in_map = false;

    if (rv != CIM_RV_SUCCESS)
        return rv;
    /* A value map only holds uint16 values, so it also enforces the range. */
    if (def->values) {
        for (size_t i = 0; i < def->n_values && !in_map; i++)
            in_map = def->values[i] == v;
        if (!in_map)
            return fail_value_map(err, def, v);
    } else if (def->type == CIM_T_UINT16 && v > UINT16_MAX) {
        return fail_prop(err, def, "%s must be at most 65535; got %" PRIu64, def->name, v);
    }
    rsd->props[rsd->n_props++] = (struct cim_prop){.def = def, .u = v};
    return CIM_RV_SUCCESS;
}

/* The string adds take a length so the MOF parser can pass a decoded value that holds a NUL
 * from a \x0 escape; the length check then sees it and refuses it as a control character. */
static enum cim_rv add_string_n(struct cim_rsd *rsd, const struct cim_prop_def *def, const char *v,
                                size_t len, struct cim_err *err)
{
    enum cim_rv rv = check_new_prop(rsd, def, VK_STRING, err);
    char *copy;

    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (!v)
        return fail_prop(err, def, "%s has no value", def->name);
    rv = check_string(def, v, len, err);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    copy = rg_strndup(v, len);
    if (!copy)
        return fail_oom(err);
    rsd->props[rsd->n_props++] = (struct cim_prop){.def = def, .s = copy};
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_rsd_add_string(struct cim_rsd *rsd, const struct cim_prop_def *def, const char *v,
                               struct cim_err *err)
{
    return add_string_n(rsd, def, v, v ? strlen(v) : 0, err);
}

/* ==== Stored text ==== */

char *cim_prop_to_text(const struct cim_prop *prop)
{
    switch (kind_of(prop->def->type)) {
    case VK_BOOL:
        return rg_strdup(prop->b ? "true" : "false");
    case VK_UINT:
        return rg_asprintf("%" PRIu64, prop->u);
    case VK_STRING:
        break;
    }
    return rg_strdup(prop->s);
}

enum cim_rv cim_rsd_add_text(struct cim_rsd *rsd, const char *name, const char *text,
                             struct cim_err *err)
{
    const struct cim_prop_def *def = cim_rsd_find_def(name);
    uint64_t v;

    if (!def)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM,
                           PARAM ": stored property '%.64s' is not a property of " CIM_RSD_CLASS,
                           name ? name : "");
    if (!text)
        return fail_prop(err, def, "%s has no stored value", def->name);
    switch (kind_of(def->type)) {
    case VK_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return fail_prop(err, def, "%s: stored value is not \"true\" or \"false\"", def->name);
        return cim_rsd_add_bool(rsd, def, text[0] == 't', err);
    case VK_UINT:
        if (!parse_uint(text, strlen(text), 10, &v))
            return fail_prop(err, def, "%s: stored value is not a 64-bit decimal integer",
                             def->name);
        return cim_rsd_add_uint(rsd, def, v, err);
    case VK_STRING:
        break;
    }
    return cim_rsd_add_string(rsd, def, text, err);
}

/* ==== MOF parser ====
 * The grammar is flat, so the parser needs no recursion: one token of lookahead, a cursor that
 * only moves forward, and every read checked against the text's length, because the fuzzer and
 * the clients feed it whatever they like.
 *   instance of <Class> { (<Property> = <value> ;)* } [;]
 *   value: TRUE | FALSE | NULL | integer | string+
 */

enum tok_kind {
    TOK_END,
    TOK_IDENT,
    TOK_NUMBER,
    TOK_STRING,
    TOK_LBRACE,
    TOK_RBRACE,
    TOK_EQUALS,
    TOK_SEMICOLON
};

struct mof_token {
    enum tok_kind kind;
    size_t start; /* offset in the text */
    size_t len;   /* bytes, quotes included for a string */
};

struct mof {
    const char *text;
    size_t len;
    size_t pos; /* where the next token is looked for */
    struct mof_token tok;
    char *buf; /* len + 1 bytes: decoded strings are never longer than their literals */
    bool seen[RG_ARRAY_LEN(defs)];
    struct cim_err *err;
};

/* 1-based line and byte column of offset pos, worked out only when a message needs them. */
static void locate(const struct mof *m, size_t pos, size_t *line, size_t *col)
{
    size_t line_start = 0;

    *line = 1;
    for (size_t i = 0; i < pos; i++)
        if (m->text[i] == '\n') {
            ++*line;
            line_start = i + 1;
        }
    *col = pos - line_start + 1;
}

/* Records an error at offset pos: about def's value when def is given, else about the text. */
static enum cim_rv fail_at(struct mof *m, const struct cim_prop_def *def, size_t pos,
                           const char *fmt, ...) RG_PRINTF(4, 5);
static enum cim_rv fail_at(struct mof *m, const struct cim_prop_def *def, size_t pos,
                           const char *fmt, ...)
{
    char detail[DETAIL_SIZE];
    size_t line, col;
    va_list ap;

    locate(m, pos, &line, &col);
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (def)
        return fail_prop(m->err, def, "%s at %zu:%zu", detail, line, col);
    return cim_err_set(m->err, CIM_RV_INVALID_PARAMETER, PARAM, PARAM ": %s at %zu:%zu", detail,
                       line, col);
}

/* Passes on an error an add function wrote to a scratch record, adding where the value is. */
static enum cim_rv relay_at(struct mof *m, size_t pos, const struct cim_err *inner)
{
    size_t line, col;

    if (inner->rv != CIM_RV_INVALID_PARAMETER)
        return cim_err_set(m->err, inner->rv, inner->param[0] ? inner->param : NULL, "%s",
                           inner->detail);
    locate(m, pos, &line, &col);
    return cim_err_set(m->err, inner->rv, inner->param, "%s at %zu:%zu", inner->detail, line, col);
}

/* Skips whitespace, // line comments and C comments. */
static enum cim_rv skip_blanks(struct mof *m)
{
    const char *t = m->text;

    while (m->pos < m->len) {
        char c = t[m->pos];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
            m->pos++;
        } else if (c == '/' && m->pos + 1 < m->len && t[m->pos + 1] == '/') {
            while (m->pos < m->len && t[m->pos] != '\n')
                m->pos++;
        } else if (c == '/' && m->pos + 1 < m->len && t[m->pos + 1] == '*') {
            size_t start = m->pos;

            m->pos += 2;
            while (m->pos + 1 < m->len && !(t[m->pos] == '*' && t[m->pos + 1] == '/'))
                m->pos++;
            if (m->pos + 1 >= m->len)
                return fail_at(m, NULL, start, "unterminated comment");
            m->pos += 2;
        } else {
            break;
        }
    }
    return CIM_RV_SUCCESS;
}

/* Finds the end of the string literal at m->pos. Escapes are only stepped over here and decoded
 * by decode_string, which can then rely on every backslash having a character after it. */
static enum cim_rv scan_string(struct mof *m)
{
    const char *t = m->text;
    size_t start = m->pos;
    size_t p = start + 1;

    while (p < m->len && t[p] != '"') {
        if (t[p] == '\n' || t[p] == '\r')
            return fail_at(m, NULL, p, "line break inside a string (write it as \\n)");
        if (t[p] == '\\') {
            if (p + 1 < m->len && (t[p + 1] == '\n' || t[p + 1] == '\r'))
                return fail_at(m, NULL, p + 1, "line break inside a string (write it as \\n)");
            p++;
        }
        p++;
    }
    if (p >= m->len)
        return fail_at(m, NULL, start, "unterminated string");
    m->tok = (struct mof_token){TOK_STRING, start, p + 1 - start};
    m->pos = p + 1;
    return CIM_RV_SUCCESS;
}

static enum cim_rv next_token(struct mof *m)
{
    const char *t = m->text;
    enum cim_rv rv = skip_blanks(m);
    size_t p = m->pos;
    char c;

    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (p == m->len) {
        m->tok = (struct mof_token){TOK_END, p, 0};
        return CIM_RV_SUCCESS;
    }
    c = t[p];
    if (c == '"')
        return scan_string(m);
    if (is_alpha(c) || c == '_' || is_digit(c) ||
        ((c == '+' || c == '-') && p + 1 < m->len && is_digit(t[p + 1]))) {
        /* A number takes in letters, '.' and '_' too, so that 1.5, 0x1G or 12abc become one
         * token and get one clear message instead of a confusing one about what follows. */
        bool number = !is_alpha(c) && c != '_';

        p++;
        while (p < m->len && (is_ident_char(t[p]) || (number && t[p] == '.')))
            p++;
        m->tok = (struct mof_token){number ? TOK_NUMBER : TOK_IDENT, m->pos, p - m->pos};
        m->pos = p;
        return CIM_RV_SUCCESS;
    }
    switch (c) {
    case '{':
        m->tok.kind = TOK_LBRACE;
        break;
    case '}':
        m->tok.kind = TOK_RBRACE;
        break;
    case '=':
        m->tok.kind = TOK_EQUALS;
        break;
    case ';':
        m->tok.kind = TOK_SEMICOLON;
        break;
    default:
        if (c > 0x20 && c < 0x7F)
            return fail_at(m, NULL, p, "unexpected character '%c'", c);
        return fail_at(m, NULL, p, "unexpected byte 0x%02X", (unsigned)(unsigned char)c);
    }
    m->tok.start = p;
    m->tok.len = 1;
    m->pos = p + 1;
    return CIM_RV_SUCCESS;
}

static bool is_keyword(const struct mof *m, const char *word)
{
    return m->tok.kind == TOK_IDENT && equal_ignore_case(m->text + m->tok.start, m->tok.len, word);
}

/* Moves past a token of the given kind, or fails saying what was expected. */
static enum cim_rv expect(struct mof *m, enum tok_kind kind, const char *what)
{
    if (m->tok.kind != kind)
        return fail_at(m, NULL, m->tok.start, "expected %s", what);
    return next_token(m);
}

static size_t encode_utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Appends the current string literal, escapes decoded, to m->buf at *n. \x and \X take 1 to 4
 * hex digits naming a UCS-2 character (DSP0004 escapedUCS2), written as UTF-8; each escape is
 * at least as long as what it decodes to, so m->buf cannot overflow. */
static enum cim_rv decode_string(struct mof *m, size_t *n)
{
    const char *t = m->text;
    size_t p = m->tok.start + 1;
    size_t end = m->tok.start + m->tok.len - 1;

    while (p < end) {
        static const char simple_from[] = "btnfr\"'\\";
        static const char simple_to[] = "\b\t\n\f\r\"'\\";
        size_t esc = p;
        const char *simple;
        uint32_t cp = 0;
        size_t digits = 0;

        if (t[p] != '\\') {
            m->buf[(*n)++] = t[p++];
            continue;
        }
        p++;
        simple = memchr(simple_from, t[p], sizeof(simple_from) - 1);
        if (simple) {
            m->buf[(*n)++] = simple_to[simple - simple_from];
            p++;
            continue;
        }
        if (t[p] != 'x' && t[p] != 'X') {
            if (t[p] > 0x20 && t[p] < 0x7F)
                return fail_at(m, NULL, esc, "unknown escape '\\%c' in a string", t[p]);
            return fail_at(m, NULL, esc, "unknown escape in a string");
        }
        p++;
        while (p < end && digits < 4 && read_hex_digit(t[p]) >= 0) {
            cp = cp * 16 + (uint32_t)read_hex_digit(t[p]);
            p++;
            digits++;
        }
        if (digits == 0)
            return fail_at(m, NULL, esc, "\\x must be followed by 1 to 4 hex digits");
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return fail_at(m, NULL, esc, "\\x%04X is a UTF-16 surrogate, not a character",
                           (unsigned)cp);
        *n += encode_utf8(cp, m->buf + *n);
    }
    return CIM_RV_SUCCESS;
}

/* Converts the current number token: decimal, or hex after 0x. Leading zeros are refused
 * because DSP0004 reads them as octal, which the header does not promise to support. */
static enum cim_rv convert_number(struct mof *m, const struct cim_prop_def *def, uint64_t *v)
{
    const char *s = m->text + m->tok.start;
    size_t len = m->tok.len;
    bool ok;

    if (s[0] == '-')
        return fail_at(m, def, m->tok.start, "%s must not be negative", def->name);
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        ok = parse_uint(s + 2, len - 2, 16, v);
    else if (len >= 2 && s[0] == '0')
        return fail_at(m, def, m->tok.start,
                       "%s: leading zeros are not allowed (octal is not supported)", def->name);
    else
        ok = parse_uint(s, len, 10, v);
    if (!ok)
        return fail_at(m, def, m->tok.start,
                       "%s must be a decimal or 0x hexadecimal integer of at most 64 bits; "
                       "got '%.*s'",
                       def->name, (int)(len < 32 ? len : 32), s);
    return CIM_RV_SUCCESS;
}

/* What kind of value the current token starts, or false when it starts none. */
static bool read_value_kind(const struct mof *m, enum value_kind *kind)
{
    if (m->tok.kind == TOK_NUMBER)
        *kind = VK_UINT;
    else if (m->tok.kind == TOK_STRING)
        *kind = VK_STRING;
    else if (is_keyword(m, "true") || is_keyword(m, "false"))
        *kind = VK_BOOL;
    else
        return false;
    return true;
}

/* Adds the value at the current token to rsd and moves past it. */
static enum cim_rv parse_value(struct mof *m, const struct cim_prop_def *def, struct cim_rsd *rsd)
{
    size_t pos = m->tok.start;
    struct cim_err inner;
    enum value_kind kind;
    enum cim_rv rv = CIM_RV_INVALID_PARAMETER; /* every kind below sets it */
    uint64_t u = 0;
    size_t n = 0;

    if (m->tok.kind == TOK_LBRACE)
        return fail_at(m, def, pos, "%s: array values are not supported", def->name);
    if (!read_value_kind(m, &kind))
        return fail_at(m, NULL, pos,
                       "expected a value (TRUE, FALSE, NULL, an integer or a string) after '='");
    if (kind != kind_of(def->type))
        return fail_at(m, def, pos, "%s is %s, not %s", def->name, name_type(def->type),
                       name_kind(kind));
    cim_err_clear(&inner);
    switch (kind) {
    case VK_BOOL:
        rv = cim_rsd_add_bool(rsd, def, is_keyword(m, "true"), &inner);
        break;
    case VK_UINT:
        rv = convert_number(m, def, &u);
        if (rv != CIM_RV_SUCCESS)
            return rv;
        rv = cim_rsd_add_uint(rsd, def, u, &inner);
        break;
    case VK_STRING:
        /* Adjacent literals form one value: "ab" "cd" is "abcd". */
        while (m->tok.kind == TOK_STRING) {
            rv = decode_string(m, &n);
            if (rv == CIM_RV_SUCCESS)
                rv = next_token(m);
            if (rv != CIM_RV_SUCCESS)
                return rv;
        }
        rv = add_string_n(rsd, def, m->buf, n, &inner);
        break;
    }
    if (rv != CIM_RV_SUCCESS)
        return relay_at(m, pos, &inner);
    /* The string loop has already moved past its literals. */
    return kind == VK_STRING ? CIM_RV_SUCCESS : next_token(m);
}

/* <Property> = <value> ; with the current token on the property name. */
static enum cim_rv parse_property(struct mof *m, struct cim_rsd *rsd)
{
    const struct cim_prop_def *def = find_def_n(m->text + m->tok.start, m->tok.len);
    size_t pos = m->tok.start;
    enum cim_rv rv;

    if (!def) {
        /* Named as the JSON form names it: ReplicationSettingData.<the name given>. */
        int len = (int)(m->tok.len < 64 ? m->tok.len : 64);
        char param[96];
        size_t line, col;

        locate(m, pos, &line, &col);
        snprintf(param, sizeof(param), PARAM ".%.*s", len, m->text + m->tok.start);
        return cim_err_set(m->err, CIM_RV_INVALID_PARAMETER, param,
                           PARAM ": %.*s is not a property of " CIM_RSD_CLASS " at %zu:%zu", len,
                           m->text + m->tok.start, line, col);
    }
    /* Checked here rather than left to the adds, because a property set to NULL is never
     * added yet may not be given twice either. */
    if (m->seen[def - defs])
        return fail_at(m, def, pos, "%s is given more than once", def->name);
    m->seen[def - defs] = true;
    rv = next_token(m);
    if (rv == CIM_RV_SUCCESS)
        rv = expect(m, TOK_EQUALS, "'=' after property name");
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (is_keyword(m, "null"))
        rv = next_token(m);
    else
        rv = parse_value(m, def, rsd);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    return expect(m, TOK_SEMICOLON, "';' after the value");
}

static enum cim_rv parse_instance(struct mof *m, struct cim_rsd *rsd)
{
    struct cim_err inner;
    enum cim_rv rv = next_token(m);

    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (!is_keyword(m, "instance"))
        return fail_at(m, NULL, m->tok.start, "expected 'instance'");
    rv = next_token(m);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (!is_keyword(m, "of"))
        return fail_at(m, NULL, m->tok.start, "expected 'of' after 'instance'");
    rv = next_token(m);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (m->tok.kind != TOK_IDENT)
        return fail_at(m, NULL, m->tok.start, "expected a class name after 'instance of'");
    cim_err_clear(&inner);
    if (set_class_n(rsd, m->text + m->tok.start, m->tok.len, &inner) != CIM_RV_SUCCESS)
        return relay_at(m, m->tok.start, &inner);
    rv = next_token(m);
    if (rv == CIM_RV_SUCCESS)
        rv = expect(m, TOK_LBRACE, "'{' after the class name");
    while (rv == CIM_RV_SUCCESS && m->tok.kind != TOK_RBRACE) {
        if (m->tok.kind != TOK_IDENT)
            return fail_at(m, NULL, m->tok.start, "expected a property name or '}'");
        rv = parse_property(m, rsd);
    }
    if (rv == CIM_RV_SUCCESS)
        rv = next_token(m);
    if (rv == CIM_RV_SUCCESS && m->tok.kind == TOK_SEMICOLON)
        rv = next_token(m);
    if (rv == CIM_RV_SUCCESS && m->tok.kind != TOK_END)
        return fail_at(m, NULL, m->tok.start, "unexpected text after the instance");
    return rv;
}

enum cim_rv cim_rsd_parse_mof(const char *text, struct cim_rsd *rsd, struct cim_err *err)
{
    struct cim_rsd parsed;
    struct mof m;
    enum cim_rv rv = CIM_RV_INVALID_PARAMETER;

    /* The instance is built apart and moved in only when complete, so a failure leaves rsd's
     * class as it was and its properties empty. */
    memset(&parsed, 0, sizeof(parsed));
    memset(&m, 0, sizeof(m));
    clear_props(rsd);
    m.text = text ? text : "";
    m.len = strnlen(m.text, CIM_RSD_MAX_TEXT + 1);
    m.err = err;
    if (m.len > CIM_RSD_MAX_TEXT) {
        rv = cim_err_set(err, rv, PARAM, PARAM ": the MOF text is longer than %d bytes",
                         CIM_RSD_MAX_TEXT);
        goto out;
    }
    if (m.len == 0) {
        rv = cim_err_set(err, rv, PARAM, PARAM ": the MOF text is empty");
        goto out;
    }
    m.buf = malloc(m.len + 1);
    if (!m.buf) {
        rv = fail_oom(err);
        goto out;
    }
    rv = parse_instance(&m, &parsed);
    if (rv != CIM_RV_SUCCESS)
        goto out;
    free(rsd->class_name);
    *rsd = parsed;
    memset(&parsed, 0, sizeof(parsed));
out:
    cim_rsd_free(&parsed);
    free(m.buf);
    return rv;
}
