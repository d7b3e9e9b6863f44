/* CIM_ReplicationSettingData: its properties with types and value maps, the checks every value
 * goes through, the MOF embedded-instance parser, and the text form stored in the database.
 * JSON is the api layer's; storage is cim_group's. */
#include "cim/cim_rsd.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM "ReplicationSettingData"
#define STR_MAX 1024 /* longest string a property without a MaxLen of its own may hold */

#define MAP(...) (const uint16_t[]){__VA_ARGS__}, sizeof((const uint16_t[]){__VA_ARGS__}) / 2

/* CIM CIM_ReplicationSettingData value maps (CIM-NOTES §6) */
static const struct cim_prop_def defs[] = {
    {"InstanceID", CIM_T_STRING, NULL, 0, STR_MAX},
    {"ElementName", CIM_T_STRING, NULL, 0, STR_MAX},
    {"Caption", CIM_T_STRING, NULL, 0, 64},
    {"Description", CIM_T_STRING, NULL, 0, STR_MAX},
    {"ChangeableType", CIM_T_UINT16, MAP(0, 1, 2, 3), 0},
    {"ConfigurationName", CIM_T_STRING, NULL, 0, STR_MAX},
    {"SoID", CIM_T_STRING, NULL, 0, STR_MAX},
    {"SoOrgID", CIM_T_STRING, NULL, 0, STR_MAX},
    {"Generation", CIM_T_UINT64, NULL, 0, 0},
    {"ConsistentPointInTime", CIM_T_BOOLEAN, NULL, 0, 0},
    {"DesiredCopyMethodology", CIM_T_UINT16, MAP(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 0},
    {"Multihop", CIM_T_UINT16, NULL, 0, 0},
    {"OnGroupOrListError", CIM_T_UINT16, MAP(2, 3), 0},
    {"UnequalGroupsAction", CIM_T_UINT16, MAP(2, 3, 4), 0},
    {"TargetElementSupplier", CIM_T_UINT16, MAP(1, 2, 3, 4, 5), 0},
    {"ThinProvisioningPolicy", CIM_T_UINT16, MAP(2, 3, 4, 5, 6, 7), 0},
    {"Pairing", CIM_T_UINT16, MAP(2, 3, 4), 0},
    {"FailedCopyStopsHostIO", CIM_T_BOOLEAN, NULL, 0, 0},
    {"CopyRecoveryMode", CIM_T_UINT16, MAP(0, 2, 3, 4), 0},
    {"UnequalListsAction", CIM_T_UINT16, MAP(2, 3, 4), 0},
    {"DeltaUpdateInterval", CIM_T_DATETIME, NULL, 0, 0},
    {"DeltaUpdateBlocks", CIM_T_UINT64, NULL, 0, 0},
    {"ReadOnly", CIM_T_UINT16, MAP(2, 3, 4), 0},
    {"CopyPriority", CIM_T_UINT16, MAP(0, 1, 2, 3, 4), 0},
    {"StorageCompressionPolicy", CIM_T_UINT16, MAP(2, 3, 4, 5, 6, 7), 0},
    {"AutoDelete", CIM_T_BOOLEAN, NULL, 0, 0},
    {"RRCHardwareCompressionEnabled", CIM_T_BOOLEAN, NULL, 0, 0},
    {"RRCSoftwareCompressionEnabled", CIM_T_BOOLEAN, NULL, 0, 0},
    {"TargetElementGoal", CIM_T_UINT16, MAP(2, 3), 0},
    {"TargetElementResourcePool", CIM_T_UINT16, MAP(2, 3), 0},
    {"TimeBeforeRemoval", CIM_T_DATETIME, NULL, 0, 0},
    {"ConsistencyExempt", CIM_T_BOOLEAN, NULL, 0, 0},
    {"ConsistentAsyncCopy", CIM_T_BOOLEAN, NULL, 0, 0},
    {"DesiredRPO", CIM_T_DATETIME, NULL, 0, 0},
    {"MaximumSkew", CIM_T_UINT64, NULL, 0, 0},
};

_Static_assert(sizeof(defs) / sizeof(defs[0]) <= CIM_RSD_MAX_PROPS, "props array too small");

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

const struct cim_prop_def *cim_rsd_find_def(const char *name)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(defs); i++)
        if (rg_strcasecmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

enum cim_rv cim_rsd_set_class(struct cim_rsd *rsd, const char *class_name, struct cim_err *err)
{
    static const char suffix[] = "_ReplicationSettingData";
    size_t len = strlen(class_name), sl = strlen(suffix);
    char *copy;

    /* CIM_ReplicationSettingData itself or a subclass named <Schema>_ReplicationSettingData. */
    bool ok = len > sl && rg_strcasecmp(class_name + len - sl, suffix) == 0 && len <= 256 &&
              isalpha((unsigned char)class_name[0]);
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)class_name[i]) || class_name[i] == '_';
    if (!ok)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM,
                           PARAM " must be an instance of " CIM_RSD_CLASS
                                 " or a subclass, not %.64s",
                           class_name);
    copy = rg_strdup(class_name);
    if (!copy)
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    free(rsd->class_name);
    rsd->class_name = copy;
    return CIM_RV_SUCCESS;
}

/* Starts a new property after the checks common to every type; NULL (err set) on failure. */
static struct cim_prop *new_prop(struct cim_rsd *rsd, const struct cim_prop_def *def,
                                 bool type_ok, char *param, size_t param_len, struct cim_err *err)
{
    snprintf(param, param_len, PARAM ".%s", def ? def->name : "?");
    if (!def || def < defs || def >= defs + RG_ARRAY_LEN(defs) || !type_ok) {
        cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s has the wrong type", param);
        return NULL;
    }
    for (size_t i = 0; i < rsd->n_props; i++)
        if (rsd->props[i].def == def) {
            cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s is given twice", param);
            return NULL;
        }
    memset(&rsd->props[rsd->n_props], 0, sizeof(rsd->props[0]));
    rsd->props[rsd->n_props].def = def;
    return &rsd->props[rsd->n_props];
}

enum cim_rv cim_rsd_add_bool(struct cim_rsd *rsd, const struct cim_prop_def *def, bool v,
                             struct cim_err *err)
{
    char param[80];
    struct cim_prop *p =
        new_prop(rsd, def, def && def->type == CIM_T_BOOLEAN, param, sizeof(param), err);

    if (!p)
        return CIM_RV_INVALID_PARAMETER;
    p->b = v;
    rsd->n_props++;
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_rsd_add_uint(struct cim_rsd *rsd, const struct cim_prop_def *def, uint64_t v,
                             struct cim_err *err)
{
    char param[80], allowed[160];
    size_t used = 0;
    struct cim_prop *p = new_prop(
        rsd, def, def && (def->type == CIM_T_UINT16 || def->type == CIM_T_UINT64), param,
        sizeof(param), err);

    if (!p)
        return CIM_RV_INVALID_PARAMETER;
    if (def->type == CIM_T_UINT16 && v > 65535)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s is a uint16; %llu is out of range", param, (unsigned long long)v);
    if (def->values) {
        for (size_t i = 0; i < def->n_values; i++)
            if (def->values[i] == v)
                goto ok;
        allowed[0] = '\0';
        for (size_t i = 0; i < def->n_values && used < sizeof(allowed); i++)
            used += (size_t)snprintf(allowed + used, sizeof(allowed) - used, "%s%u",
                                     i ? ", " : "", def->values[i]);
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s must be one of %s; got %llu", param, allowed,
                           (unsigned long long)v);
    }
ok:
    p->u = v;
    rsd->n_props++;
    return CIM_RV_SUCCESS;
}

static int two_digits(const char *s, int at)
{
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

/* DSP0004 datetime, 25 characters: a timestamp yyyymmddhhmmss.mmmmmmsutc (s is + or -) or an
 * interval ddddddddhhmmss.mmmmmm:000. Hours, minutes and seconds sit at 8, 10 and 12 in both. */
static bool is_datetime(const char *s)
{
    if (strlen(s) != 25 || s[14] != '.')
        return false;
    for (int i = 0; i < 25; i++)
        if (i != 14 && i != 21 && !isdigit((unsigned char)s[i]))
            return false;
    if (two_digits(s, 8) > 23 || two_digits(s, 10) > 59 || two_digits(s, 12) > 59)
        return false;
    if (s[21] == ':')
        return strcmp(s + 22, "000") == 0;
    return (s[21] == '+' || s[21] == '-') && two_digits(s, 4) >= 1 && two_digits(s, 4) <= 12 &&
           two_digits(s, 6) >= 1 && two_digits(s, 6) <= 31;
}

/* Valid UTF-8 where the only control characters are tab, CR and LF. */
static bool is_clean_string(const char *s)
{
    for (const char *p = s; *p;) {
        size_t run = strcspn(p, "\t\r\n");

        if (!rg_utf8_is_clean_text(p, run))
            return false;
        p += run;
        if (*p)
            p++;
    }
    return true;
}

enum cim_rv cim_rsd_add_string(struct cim_rsd *rsd, const struct cim_prop_def *def, const char *v,
                               struct cim_err *err)
{
    char param[80];
    struct cim_prop *p = new_prop(
        rsd, def, def && (def->type == CIM_T_STRING || def->type == CIM_T_DATETIME), param,
        sizeof(param), err);

    if (!p)
        return CIM_RV_INVALID_PARAMETER;
    if (def->type == CIM_T_DATETIME && !is_datetime(v))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s must be a CIM datetime: yyyymmddhhmmss.mmmmmm+utc or the interval "
                           "ddddddddhhmmss.mmmmmm:000",
                           param);
    if (def->max_len && strlen(v) > def->max_len)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s is longer than %zu bytes",
                           param, def->max_len);
    if (!is_clean_string(v))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s must be UTF-8 text without control characters", param);
    p->s = rg_strdup(v);
    if (!p->s)
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    rsd->n_props++;
    return CIM_RV_SUCCESS;
}

char *cim_prop_to_text(const struct cim_prop *prop)
{
    switch (prop->def->type) {
    case CIM_T_BOOLEAN:
        return rg_strdup(prop->b ? "true" : "false");
    case CIM_T_UINT16:
    case CIM_T_UINT64:
        return rg_asprintf("%llu", (unsigned long long)prop->u);
    default:
        return rg_strdup(prop->s);
    }
}

enum cim_rv cim_rsd_add_text(struct cim_rsd *rsd, const char *name, const char *text,
                             struct cim_err *err)
{
    const struct cim_prop_def *def = cim_rsd_find_def(name);
    unsigned long long v;
    char *end;

    if (!def)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM, "unknown property %s", name);
    switch (def->type) {
    case CIM_T_BOOLEAN:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            break;
        return cim_rsd_add_bool(rsd, def, text[0] == 't', err);
    case CIM_T_UINT16:
    case CIM_T_UINT64:
        errno = 0;
        v = strtoull(text, &end, 10);
        if (errno || *end || !isdigit((unsigned char)*text))
            break;
        return cim_rsd_add_uint(rsd, def, v, err);
    default:
        return cim_rsd_add_string(rsd, def, text, err);
    }
    return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM, "bad stored value for %s", name);
}

/* ==== MOF embedded instances (DSP0004 instanceDeclaration) ==== */

struct mof {
    const char *text;
    const char *p;
    struct cim_err *err;
};

/* Records a syntax error with its 1-based line and column. */
static enum cim_rv mof_fail(struct mof *m, const char *what)
{
    int line = 1, col = 1;

    for (const char *q = m->text; q < m->p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return cim_err_set(m->err, CIM_RV_INVALID_PARAMETER, PARAM, PARAM ": %s at %d:%d", what, line,
                       col);
}

/* Skips white space and // and C comments; -1 on an unterminated comment. */
static int mof_skip(struct mof *m)
{
    for (;;) {
        while (isspace((unsigned char)*m->p))
            m->p++;
        if (m->p[0] == '/' && m->p[1] == '/') {
            m->p += strcspn(m->p, "\n");
        } else if (m->p[0] == '/' && m->p[1] == '*') {
            const char *end = strstr(m->p + 2, "*/");
            if (!end)
                return -1;
            m->p = end + 2;
        } else {
            return 0;
        }
    }
}

/* Reads an identifier into buf; false when there is none or it does not fit. */
static bool mof_ident(struct mof *m, char *buf, size_t len)
{
    size_t n = 0;

    if (!isalpha((unsigned char)*m->p) && *m->p != '_')
        return false;
    while (isalnum((unsigned char)m->p[n]) || m->p[n] == '_')
        n++;
    if (n >= len)
        return false;
    memcpy(buf, m->p, n);
    buf[n] = '\0';
    m->p += n;
    return true;
}

static bool mof_keyword(struct mof *m, const char *word)
{
    char buf[32];
    const char *save = m->p;

    if (mof_ident(m, buf, sizeof(buf)) && rg_strcasecmp(buf, word) == 0)
        return true;
    m->p = save;
    return false;
}

static int hex_value(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* Reads one or more adjacent string literals into a new string (*out). */
static enum cim_rv mof_string(struct mof *m, char **out)
{
    size_t cap = strlen(m->p) + 1, n = 0;
    char *s = malloc(cap);

    *out = NULL;
    if (!s)
        return cim_err_set(m->err, CIM_RV_FAILED, NULL, "out of memory");
    while (*m->p == '"') {
        for (m->p++; *m->p != '"'; m->p++) {
            char c = *m->p;

            if (!c || c == '\n') {
                free(s);
                return mof_fail(m, "unterminated string");
            }
            if (c == '\\') {
                static const char from[] = "\"\\\'ntrbf", to[] = "\"\\\'\n\t\r\b\f";
                const char *hit = m->p[1] ? strchr(from, m->p[1]) : NULL;

                m->p++;
                if (hit) {
                    c = to[hit - from];
                } else if ((*m->p == 'x' || *m->p == 'X') && isxdigit((unsigned char)m->p[1]) &&
                           isxdigit((unsigned char)m->p[2])) {
                    c = (char)(hex_value(m->p[1]) * 16 + hex_value(m->p[2]));
                    m->p += 2;
                } else {
                    free(s);
                    return mof_fail(m, "unknown escape in string");
                }
            }
            s[n++] = c;
        }
        m->p++;
        if (mof_skip(m) != 0) {
            free(s);
            return mof_fail(m, "unterminated comment");
        }
    }
    s[n] = '\0';
    if (strlen(s) != n) {
        free(s);
        return mof_fail(m, "a string must not contain NUL");
    }
    *out = s;
    return CIM_RV_SUCCESS;
}

/* Reads a decimal or 0x hex integer; a sign is rejected for these unsigned properties. */
static enum cim_rv mof_number(struct mof *m, uint64_t *v)
{
    int base = 10;
    char *end;

    if (*m->p == '-' || *m->p == '+')
        return mof_fail(m, "expected an unsigned integer");
    if (m->p[0] == '0' && (m->p[1] == 'x' || m->p[1] == 'X')) {
        base = 16;
        m->p += 2;
        if (!isxdigit((unsigned char)*m->p))
            return mof_fail(m, "expected hex digits after 0x");
    }
    errno = 0;
    *v = strtoull(m->p, &end, base);
    if (errno || end == m->p || isalnum((unsigned char)*end))
        return mof_fail(m, "bad integer");
    m->p = end;
    return CIM_RV_SUCCESS;
}

/* One "Name = value;" — the value's kind must fit the property's type. */
static enum cim_rv mof_property(struct mof *m, struct cim_rsd *rsd)
{
    const struct cim_prop_def *def;
    char name[64], param[96];
    enum cim_rv rv;

    if (!mof_ident(m, name, sizeof(name)))
        return mof_fail(m, "expected a property name");
    def = cim_rsd_find_def(name);
    if (!def) {
        snprintf(param, sizeof(param), PARAM ".%s", name);
        return cim_err_set(m->err, CIM_RV_INVALID_PARAMETER, param,
                           CIM_RSD_CLASS " has no property '%s'", name);
    }
    snprintf(param, sizeof(param), PARAM ".%s", def->name);
    if (mof_skip(m) != 0 || *m->p != '=')
        return mof_fail(m, "expected '=' after property name");
    m->p++;
    if (mof_skip(m) != 0)
        return mof_fail(m, "unterminated comment");
    if (mof_keyword(m, "NULL")) {
        rv = CIM_RV_SUCCESS; /* NULL: not given */
    } else if (*m->p == '{') {
        return mof_fail(m, "array values are not supported");
    } else if (def->type == CIM_T_BOOLEAN) {
        if (mof_keyword(m, "TRUE"))
            rv = cim_rsd_add_bool(rsd, def, true, m->err);
        else if (mof_keyword(m, "FALSE"))
            rv = cim_rsd_add_bool(rsd, def, false, m->err);
        else
            return cim_err_set(m->err, CIM_RV_INVALID_PARAMETER, param,
                               "%s must be TRUE or FALSE", param);
    } else if (def->type == CIM_T_UINT16 || def->type == CIM_T_UINT64) {
        uint64_t v = 0;

        if (!isdigit((unsigned char)*m->p) && *m->p != '-' && *m->p != '+')
            return cim_err_set(m->err, CIM_RV_INVALID_PARAMETER, param,
                               "%s must be an integer", param);
        if ((rv = mof_number(m, &v)) != CIM_RV_SUCCESS)
            return rv;
        rv = cim_rsd_add_uint(rsd, def, v, m->err);
    } else {
        char *s;

        if (*m->p != '"')
            return cim_err_set(m->err, CIM_RV_INVALID_PARAMETER, param,
                               "%s must be a string", param);
        if ((rv = mof_string(m, &s)) != CIM_RV_SUCCESS)
            return rv;
        rv = cim_rsd_add_string(rsd, def, s, m->err);
        free(s);
    }
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (mof_skip(m) != 0 || *m->p != ';')
        return mof_fail(m, "expected ';' after the value");
    m->p++;
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_rsd_parse_mof(const char *text, struct cim_rsd *rsd, struct cim_err *err)
{
    struct mof m = {.text = text, .p = text, .err = err};
    char class_name[300];
    enum cim_rv rv = CIM_RV_INVALID_PARAMETER;

    if (strnlen(text, CIM_RSD_MAX_TEXT + 1) > CIM_RSD_MAX_TEXT)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, PARAM,
                           PARAM " is longer than %d bytes", CIM_RSD_MAX_TEXT);
    if (mof_skip(&m) != 0 || !mof_keyword(&m, "instance") || mof_skip(&m) != 0 ||
        !mof_keyword(&m, "of") || mof_skip(&m) != 0) {
        rv = mof_fail(&m, "expected 'instance of'");
        goto out;
    }
    if (!mof_ident(&m, class_name, sizeof(class_name))) {
        rv = mof_fail(&m, "expected a class name");
        goto out;
    }
    if ((rv = cim_rsd_set_class(rsd, class_name, err)) != CIM_RV_SUCCESS)
        goto out;
    rv = CIM_RV_INVALID_PARAMETER;
    if (mof_skip(&m) != 0 || *m.p != '{') {
        rv = mof_fail(&m, "expected '{' after the class name");
        goto out;
    }
    m.p++;
    for (;;) {
        if (mof_skip(&m) != 0) {
            rv = mof_fail(&m, "unterminated comment");
            goto out;
        }
        if (*m.p == '}')
            break;
        if (!*m.p) {
            rv = mof_fail(&m, "expected '}' before the end");
            goto out;
        }
        if ((rv = mof_property(&m, rsd)) != CIM_RV_SUCCESS)
            goto out;
    }
    m.p++;
    if (mof_skip(&m) == 0 && *m.p == ';')
        m.p++;
    if (mof_skip(&m) != 0 || *m.p) {
        rv = mof_fail(&m, "unexpected text after the instance");
        goto out;
    }
    rv = CIM_RV_SUCCESS;
out:
    if (rv != CIM_RV_SUCCESS)
        clear_props(rsd);
    return rv;
}
