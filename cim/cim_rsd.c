/* CIM_ReplicationSettingData as a model: the property table with types and value maps, the
 * checks every value goes through, and the text form stored in the database. The MOF
 * embedded-instance parser is cim_rsd_mof.c; JSON belongs to the api layer; which properties a
 * group keeps and how they are stored belongs to cim_group.
 */
#include "cim/cim_rsd_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRING_MAX 1024    /* strings without a MaxLen of their own, so what we store is bounded */
#define CLASS_NAME_MAX 256 /* DSP0004 sets no limit; ours keeps stored class names bounded */
#define DATETIME_LEN 25

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
    {"InstanceID", CIM_T_STRING, NULL, 0, STRING_MAX, false},
    {"ElementName", CIM_T_STRING, NULL, 0, STRING_MAX, false},
    {"Caption", CIM_T_STRING, NULL, 0, 64, false},
    {"Description", CIM_T_STRING, NULL, 0, STRING_MAX, false},
    {"ChangeableType", CIM_T_UINT16, VALUE_MAP(changeable_type), 0, false},
    {"ConfigurationName", CIM_T_STRING, NULL, 0, STRING_MAX, false},
    {"SoID", CIM_T_STRING, NULL, 0, STRING_MAX, false},
    {"SoOrgID", CIM_T_STRING, NULL, 0, STRING_MAX, false},
    {"Generation", CIM_T_UINT64, NULL, 0, 0, false},
    /* CIM_ReplicationSettingData's own. */
    {"ConsistentPointInTime", CIM_T_BOOLEAN, NULL, 0, 0, false},
    {"DesiredCopyMethodology", CIM_T_UINT16, VALUE_MAP(copy_methodology), 0, false},
    {"Multihop", CIM_T_UINT16, NULL, 0, 0, false},
    {"OnGroupOrListError", CIM_T_UINT16, VALUE_MAP(on_error), 0, false},
    {"UnequalGroupsAction", CIM_T_UINT16, VALUE_MAP(unequal_groups), 0, false},
    {"TargetElementSupplier", CIM_T_UINT16, VALUE_MAP(supplier), 0, false},
    {"ThinProvisioningPolicy", CIM_T_UINT16, VALUE_MAP(thin), 0, false},
    {"Pairing", CIM_T_UINT16, VALUE_MAP(pairing), 0, false},
    {"FailedCopyStopsHostIO", CIM_T_BOOLEAN, NULL, 0, 0, false},
    {"CopyRecoveryMode", CIM_T_UINT16, VALUE_MAP(recovery), 0, false},
    {"UnequalListsAction", CIM_T_UINT16, VALUE_MAP(unequal_lists), 0, false},
    {"DeltaUpdateInterval", CIM_T_DATETIME, NULL, 0, 0, true},
    {"DeltaUpdateBlocks", CIM_T_UINT64, NULL, 0, 0, false},
    {"ReadOnly", CIM_T_UINT16, VALUE_MAP(read_only), 0, false},
    {"CopyPriority", CIM_T_UINT16, VALUE_MAP(priority), 0, false},
    {"StorageCompressionPolicy", CIM_T_UINT16, VALUE_MAP(compression), 0, false},
    {"AutoDelete", CIM_T_BOOLEAN, NULL, 0, 0, false},
    {"RRCHardwareCompressionEnabled", CIM_T_BOOLEAN, NULL, 0, 0, false},
    {"RRCSoftwareCompressionEnabled", CIM_T_BOOLEAN, NULL, 0, 0, false},
    {"TargetElementGoal", CIM_T_UINT16, VALUE_MAP(target_goal), 0, false},
    {"TargetElementResourcePool", CIM_T_UINT16, VALUE_MAP(target_goal), 0, false},
    {"TimeBeforeRemoval", CIM_T_DATETIME, NULL, 0, 0, false},
    {"ConsistencyExempt", CIM_T_BOOLEAN, NULL, 0, 0, false},
    {"ConsistentAsyncCopy", CIM_T_BOOLEAN, NULL, 0, 0, false},
    {"DesiredRPO", CIM_T_DATETIME, NULL, 0, 0, true},
    {"MaximumSkew", CIM_T_UINT64, NULL, 0, 0, false},
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

/* ==== Small helpers ==== */

bool cim_rsd_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool cim_rsd_is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char fold_case(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool cim_rsd_equal_ignore_case(const char *s, size_t len, const char *word)
{
    for (size_t i = 0; i < len; i++)
        if (word[i] == '\0' || fold_case(s[i]) != fold_case(word[i]))
            return false;
    return word[len] == '\0';
}

int cim_rsd_read_hex_digit(char c)
{
    if (cim_rsd_is_digit(c))
        return c - '0';
    if (fold_case(c) >= 'a' && fold_case(c) <= 'f')
        return fold_case(c) - 'a' + 10;
    return -1;
}

bool cim_rsd_parse_uint(const char *s, size_t len, unsigned base, uint64_t *v)
{
    uint64_t n = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        int d = base == 16               ? cim_rsd_read_hex_digit(s[i])
                : cim_rsd_is_digit(s[i]) ? s[i] - '0'
                                         : -1;

        if (d < 0 || n > (UINT64_MAX - (unsigned)d) / base)
            return false;
        n = n * base + (unsigned)d;
    }
    *v = n;
    return true;
}

enum cim_rsd_value_kind cim_rsd_kind_of(enum cim_type type)
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

const char *cim_rsd_name_type(enum cim_type type)
{
    static const char *const names[] = {
        [CIM_T_BOOLEAN] = "a boolean", [CIM_T_UINT16] = "a uint16",     [CIM_T_UINT64] = "a uint64",
        [CIM_T_STRING] = "a string",   [CIM_T_DATETIME] = "a datetime",
    };

    return names[type];
}

const char *cim_rsd_name_kind(enum cim_rsd_value_kind kind)
{
    static const char *const names[] = {
        [VK_BOOL] = "a boolean", [VK_UINT] = "an integer", [VK_STRING] = "a string"};

    return names[kind];
}

/* ==== Property table ==== */

const struct cim_prop_def *cim_rsd_find_def_n(const char *name, size_t len)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(defs); i++)
        if (cim_rsd_equal_ignore_case(name, len, defs[i].name))
            return &defs[i];
    return NULL;
}

const struct cim_prop_def *cim_rsd_find_def(const char *name)
{
    return name ? cim_rsd_find_def_n(name, strlen(name)) : NULL;
}

bool cim_rsd_is_untaken(const char *name, size_t len)
{
    return cim_rsd_equal_ignore_case(name, len, "ComponentSetting");
}

const char *cim_rsd_undefined_why(const char *name, size_t len)
{
    return cim_rsd_is_untaken(name, len)
               ? "is a property of " CIM_RSD_CLASS " (an array of embedded instances) that this "
                 "service does not take"
               : "is not a property of " CIM_RSD_CLASS;
}

size_t cim_rsd_def_index(const struct cim_prop_def *def)
{
    return (size_t)(def - defs);
}

enum cim_rv cim_rsd_mark_given(bool given[CIM_RSD_MAX_PROPS], const struct cim_prop_def *def,
                               struct cim_err *err)
{
    size_t i = cim_rsd_def_index(def);

    if (given[i])
        return cim_rsd_fail_prop(err, def, "%s is given more than once", def->name);
    given[i] = true;
    return CIM_RV_SUCCESS;
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

enum cim_rv cim_rsd_fail_prop(struct cim_err *err, const struct cim_prop_def *def, const char *fmt,
                              ...)
{
    char param[sizeof(err->param)];
    char detail[CIM_RSD_DETAIL_SIZE];
    va_list ap;

    snprintf(param, sizeof(param), CIM_RSD_PARAM ".%s", def->name);
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s", detail);
}

enum cim_rv cim_rsd_fail_oom(struct cim_err *err)
{
    return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
}

enum cim_rv cim_rsd_parse_text(const char *form, cim_rsd_parse_fn parse, const char *text,
                               size_t len, struct cim_rsd *rsd, struct cim_err *err)
{
    struct cim_rsd parsed;
    enum cim_rv rv;
    char *buf;

    cim_rsd_clear_props(rsd);
    if (!text)
        len = 0;
    if (len > CIM_RSD_MAX_TEXT)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, CIM_RSD_PARAM,
                           CIM_RSD_PARAM ": the %s text is longer than %d bytes", form,
                           CIM_RSD_MAX_TEXT);
    if (len == 0)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, CIM_RSD_PARAM,
                           CIM_RSD_PARAM ": the %s text is empty", form);
    buf = malloc(len + 1);
    if (!buf || cim_rsd_init(&parsed) != 0) {
        free(buf);
        return cim_rsd_fail_oom(err);
    }
    rv = parse(text, len, buf, &parsed, err);
    if (rv == CIM_RV_SUCCESS) {
        free(rsd->class_name);
        *rsd = parsed;
    } else {
        cim_rsd_free(&parsed);
    }
    free(buf);
    return rv;
}

/* 1-based line and byte column of offset pos, worked out only when a message needs them. */
static void locate(const char *text, size_t pos, size_t *line, size_t *col)
{
    size_t line_start = 0;

    *line = 1;
    for (size_t i = 0; i < pos; i++)
        if (text[i] == '\n') {
            ++*line;
            line_start = i + 1;
        }
    *col = pos - line_start + 1;
}

enum cim_rv cim_rsd_fail_at(struct cim_err *err, const char *text, size_t pos,
                            const struct cim_prop_def *def, const char *fmt, ...)
{
    char detail[CIM_RSD_DETAIL_SIZE];
    size_t line, col;
    va_list ap;

    locate(text, pos, &line, &col);
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (def)
        return cim_rsd_fail_prop(err, def, "%s at %zu:%zu", detail, line, col);
    return cim_err_set(err, CIM_RV_INVALID_PARAMETER, CIM_RSD_PARAM,
                       CIM_RSD_PARAM ": %s at %zu:%zu", detail, line, col);
}

enum cim_rv cim_rsd_relay_at(struct cim_err *err, const char *text, size_t pos,
                             const struct cim_err *inner)
{
    size_t line, col;

    if (inner->rv != CIM_RV_INVALID_PARAMETER)
        return cim_err_set(err, inner->rv, inner->param[0] ? inner->param : NULL, "%s",
                           inner->detail);
    locate(text, pos, &line, &col);
    return cim_err_set(err, inner->rv, inner->param, "%s at %zu:%zu", inner->detail, line, col);
}

enum cim_rv cim_rsd_fail_undefined_at(struct cim_err *err, const char *text, size_t pos,
                                      const char *name, size_t len)
{
    /* Named as the JSON form names it: ReplicationSettingData.<the name given>. */
    int shown = (int)(len < 64 ? len : 64);
    char param[96];
    size_t line, col;

    locate(text, pos, &line, &col);
    snprintf(param, sizeof(param), CIM_RSD_PARAM ".%.*s", shown, name);
    return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, CIM_RSD_PARAM ": %.*s %s at %zu:%zu",
                       shown, name, cim_rsd_undefined_why(name, len), line, col);
}

size_t cim_rsd_encode_utf8(uint32_t cp, char *out)
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
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Writes def's allowed values, "2 (Continue), 3 (Stop)", to buf (labels where the class has
 * them). */
static void format_allowed(const struct cim_prop_def *def, char *buf, size_t size)
{
    const char *const *names = find_labels(def->values);
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

/* A value outside def's value map; the message lists what is allowed (the longest list, of
 * ThinProvisioningPolicy, takes about half of a detail). */
static enum cim_rv fail_value_map(struct cim_err *err, const struct cim_prop_def *def, uint64_t v)
{
    char allowed[CIM_RSD_DETAIL_SIZE];

    format_allowed(def, allowed, sizeof(allowed));
    return cim_rsd_fail_prop(err, def, "%s must be one of %s; got %" PRIu64, def->name, allowed,
                             v);
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

/* The days of the month of timestamp s (yyyymm..., month 1 to 12). */
static unsigned days_in_month(const char *s)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned year = read_2_digits(s) * 100 + read_2_digits(s + 2), month = read_2_digits(s + 4);
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* Returns NULL when s is a DSP0004 datetime (an interval when interval_only), else what is
 * wrong with it. A timestamp is yyyymmddhhmmss.mmmmmmsutc (s is '+' or '-'); an interval
 * ddddddddhhmmss.mmmmmm:000. The '*' wildcards DSP0004 also allows are refused: a setting needs
 * a definite value. */
static const char *check_datetime(const char *s, size_t len, bool interval_only)
{
    bool interval;

    if (len != DATETIME_LEN)
        return "it must be 25 characters long";
    if (s[14] != '.')
        return "character 15 must be '.'";
    if (s[21] != '+' && s[21] != '-' && s[21] != ':')
        return "character 22 must be '+', '-' (timestamp) or ':' (interval)";
    if (interval_only && s[21] != ':')
        return "character 22 must be ':' (a timestamp is not an interval)";
    for (size_t i = 0; i < DATETIME_LEN; i++)
        if (i != 14 && i != 21 && !cim_rsd_is_digit(s[i]))
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
    if (read_2_digits(s + 6) < 1 || read_2_digits(s + 6) > days_in_month(s))
        return "the day is not one of that month (Gregorian calendar, leap years included)";
    return NULL;
}

/* What every add checks first: def is one of ours, takes this kind of value, and rsd does not
 * hold it yet. */
static enum cim_rv check_new_prop(const struct cim_rsd *rsd, const struct cim_prop_def *def,
                                  enum cim_rsd_value_kind kind, struct cim_err *err)
{
    if (!def || !is_table_def(def))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, CIM_RSD_PARAM,
                           CIM_RSD_PARAM ": not a CIM_ReplicationSettingData property definition");
    if (cim_rsd_kind_of(def->type) != kind)
        return cim_rsd_fail_prop(err, def, "%s is %s, not %s", def->name,
                                 cim_rsd_name_type(def->type), cim_rsd_name_kind(kind));
    for (size_t i = 0; i < rsd->n_props; i++)
        if (rsd->props[i].def == def)
            return cim_rsd_fail_prop(err, def, "%s is given more than once", def->name);
    return CIM_RV_SUCCESS;
}

static enum cim_rv check_string(const struct cim_prop_def *def, const char *s, size_t len,
                                struct cim_err *err)
{
    const char *why;

    if (def->type == CIM_T_DATETIME) {
        why = check_datetime(s, len, def->interval);
        if (why)
            return cim_rsd_fail_prop(err, def, "%s must be a DSP0004 %s: %s", def->name,
                                     def->interval ? "interval ddddddddhhmmss.mmmmmm:000"
                                                   : "timestamp yyyymmddhhmmss.mmmmmmsutc or "
                                                     "interval ddddddddhhmmss.mmmmmm:000",
                                     why);
        return CIM_RV_SUCCESS;
    }
    if (def->max_len && len > def->max_len)
        return cim_rsd_fail_prop(err, def, "%s is %zu bytes long; at most %zu are allowed",
                                 def->name, len, def->max_len);
    if (!is_clean_string(s, len))
        return cim_rsd_fail_prop(err, def,
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

void cim_rsd_clear_props(struct cim_rsd *rsd)
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
    cim_rsd_clear_props(rsd);
    free(rsd->class_name);
    memset(rsd, 0, sizeof(*rsd));
}

/* CIM_ReplicationSettingData itself or a subclass named <Schema>_ReplicationSettingData, where
 * a DSP0004 schema name is a letter followed by letters and digits. */
static bool is_rsd_class_name(const char *s, size_t len)
{
    static const char suffix[] = "_ReplicationSettingData";
    const size_t suffix_len = sizeof(suffix) - 1;

    if (len <= suffix_len || len > CLASS_NAME_MAX || !cim_rsd_is_alpha(s[0]))
        return false;
    for (size_t i = 1; i < len - suffix_len; i++)
        if (!cim_rsd_is_alpha(s[i]) && !cim_rsd_is_digit(s[i]))
            return false;
    return cim_rsd_equal_ignore_case(s + len - suffix_len, suffix_len, suffix);
}

static bool is_printable_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7E)
            return false;
    return true;
}

enum cim_rv cim_rsd_set_class_n(struct cim_rsd *rsd, const char *name, size_t len,
                                struct cim_err *err)
{
    char *copy;

    if (!is_rsd_class_name(name, len)) {
        /* Echo the name only when it cannot smuggle control bytes into the reply. */
        if (len > 0 && len <= 64 && is_printable_ascii(name, len))
            return cim_err_set(err, CIM_RV_INVALID_PARAMETER, CIM_RSD_PARAM,
                               CIM_RSD_PARAM
                               ": the class must be " CIM_RSD_CLASS
                               " or a subclass named <Schema>_ReplicationSettingData; "
                               "got %.*s",
                               (int)len, name);
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, CIM_RSD_PARAM,
                           CIM_RSD_PARAM ": the class must be " CIM_RSD_CLASS
                                         " or a subclass named <Schema>_ReplicationSettingData");
    }
    copy = rg_strndup(name, len);
    if (!copy)
        return cim_rsd_fail_oom(err);
    free(rsd->class_name);
    rsd->class_name = copy;
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_rsd_set_class(struct cim_rsd *rsd, const char *class_name, struct cim_err *err)
{
    return cim_rsd_set_class_n(rsd, class_name ? class_name : "",
                               class_name ? strlen(class_name) : 0, err);
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
        return cim_rsd_fail_prop(err, def, "%s must be at most 65535; got %" PRIu64, def->name, v);
    }
    rsd->props[rsd->n_props++] = (struct cim_prop){.def = def, .u = v};
    return CIM_RV_SUCCESS;
}

/* The string adds take a length so the MOF parser can pass a decoded value that holds a NUL
 * from a \x0 escape; the length check then sees it and refuses it as a control character. */
enum cim_rv cim_rsd_add_string_n(struct cim_rsd *rsd, const struct cim_prop_def *def, const char *v,
                                 size_t len, struct cim_err *err)
{
    enum cim_rv rv = check_new_prop(rsd, def, VK_STRING, err);
    char *copy;

    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (!v)
        return cim_rsd_fail_prop(err, def, "%s has no value", def->name);
    rv = check_string(def, v, len, err);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    copy = rg_strndup(v, len);
    if (!copy)
        return cim_rsd_fail_oom(err);
    rsd->props[rsd->n_props++] = (struct cim_prop){.def = def, .s = copy};
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_rsd_add_string(struct cim_rsd *rsd, const struct cim_prop_def *def, const char *v,
                               struct cim_err *err)
{
    return cim_rsd_add_string_n(rsd, def, v, v ? strlen(v) : 0, err);
}

/* ==== Stored text ==== */

char *cim_prop_to_text(const struct cim_prop *prop)
{
    switch (cim_rsd_kind_of(prop->def->type)) {
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
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, CIM_RSD_PARAM,
                           CIM_RSD_PARAM
                           ": stored property '%.64s' is not a property of " CIM_RSD_CLASS,
                           name ? name : "");
    if (!text)
        return cim_rsd_fail_prop(err, def, "%s has no stored value", def->name);
    switch (cim_rsd_kind_of(def->type)) {
    case VK_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return cim_rsd_fail_prop(err, def, "%s: stored value is not \"true\" or \"false\"",
                                     def->name);
        return cim_rsd_add_bool(rsd, def, text[0] == 't', err);
    case VK_UINT:
        if (!cim_rsd_parse_uint(text, strlen(text), 10, &v))
            return cim_rsd_fail_prop(err, def, "%s: stored value is not a 64-bit decimal integer",
                                     def->name);
        return cim_rsd_add_uint(rsd, def, v, err);
    case VK_STRING:
        break;
    }
    return cim_rsd_add_string(rsd, def, text, err);
}
