/* ReplicationSettingData in JSON: the CreateGroup parameter arrives as a JSON object of CIM
 * properties or as a MOF embedded-instance string (CIM-NOTES §9.2); either becomes a
 * struct cim_rsd whose values cim_rsd has checked against the class's value maps. */
#include "api/api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM "ReplicationSettingData"

/* A uint16 or uint64 property given as an integer literal beyond int64 (api_json_big_int):
 * negative, above uint64, or a uint64 from 2^63 up. */
static enum cim_rv add_big_uint(struct cim_rsd *rsd, const struct cim_prop_def *def,
                                const char *literal, const char *param, struct cim_err *err)
{
    uint64_t u;

    if (literal[0] == '-')
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s must not be negative",
                           param);
    errno = 0;
    u = strtoull(literal, NULL, 10);
    if (errno == ERANGE)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s must be at most %" PRIu64 "; got %s", param,
                           def->type == CIM_T_UINT16 ? (uint64_t)UINT16_MAX : UINT64_MAX, literal);
    return cim_rsd_add_uint(rsd, def, u, err);
}

/* 2^53: below it a double holds every whole number exactly. */
#define TWO_53 9007199254740992.0

/* Whether v is a JSON number with no fraction written with one ("2.0", "1E2"): an integer to
 * JSON Schema, so to the contract, though jansson reads it as a double. Only below 2^53, where
 * the double is the number written: 9007199254740993.0 would be stored as ...992. */
static bool is_integral_real(const json_t *v)
{
    double d = json_is_real(v) ? json_real_value(v) : 0.5;

    return d > -TWO_53 && d < TWO_53 && (double)(int64_t)d == d;
}

/* Whether v has the JSON type of def's CIM type (a big-integer mark, api_json_big_int, is an
 * integer, not a string). */
static bool has_type(const struct cim_prop_def *def, const json_t *v)
{
    const char *literal;
    bool big = api_json_big_int(v, &literal);

    switch (def->type) {
    case CIM_T_BOOLEAN:
        return json_is_boolean(v);
    case CIM_T_UINT16:
    case CIM_T_UINT64:
        return big || json_is_integer(v) || is_integral_real(v);
    default:
        return !big && json_is_string(v);
    }
}

/* Adds v, of def's type (has_type), to rsd; 0, or -1 after a 422 reply. */
static int add_json_value(struct cim_rsd *rsd, const struct cim_prop_def *def, const json_t *v,
                          struct cim_err *err, enum api_method m, struct api_reply *reply)
{
    char param[96];
    const char *literal;
    enum cim_rv rv;

    snprintf(param, sizeof(param), PARAM ".%s", def->name);
    switch (def->type) {
    case CIM_T_BOOLEAN:
        rv = cim_rsd_add_bool(rsd, def, json_is_true(v), err);
        break;
    case CIM_T_UINT16:
    case CIM_T_UINT64:
        if (api_json_big_int(v, &literal))
            rv = add_big_uint(rsd, def, literal, param, err);
        else if (json_is_real(v))
            rv = json_real_value(v) < 0
                     ? cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                                   "%s must not be negative", param)
                     : cim_rsd_add_uint(rsd, def, (uint64_t)json_real_value(v), err);
        else if (json_integer_value(v) < 0)
            rv = cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s must not be negative",
                             param);
        else
            rv = cim_rsd_add_uint(rsd, def, (uint64_t)json_integer_value(v), err);
        break;
    default:
        /* With its length: a NUL inside (JSON "\u0000") is refused as a control character. */
        rv = cim_rsd_add_string_n(rsd, def, json_string_value(v), json_string_length(v), err);
        break;
    }
    if (rv != CIM_RV_SUCCESS)
        api_reply_cim(reply, err, m);
    return rv == CIM_RV_SUCCESS ? 0 : -1;
}

int api_rsd_check_json(const json_t *j, struct api_reply *reply)
{
    const char *key;
    json_t *value;

    if (json_is_string(j))
        return 0;
    if (!json_is_object(j)) {
        api_reply_problem(reply, API_P_BAD_REQUEST, true, PARAM,
                          PARAM " must be an object of CIM_ReplicationSettingData properties or "
                                "an embedded instance string (MOF or CIM-XML)");
        return -1;
    }
    json_object_foreach((json_t *)j, key, value) {
        const struct cim_prop_def *def = cim_rsd_find_def(key);
        char param[160]; /* longer than a problem's Parameter, which marks the cut */

        if (!def && json_is_null(value) && cim_rsd_is_untaken(key, strlen(key)))
            continue;
        if (!def) {
            snprintf(param, sizeof(param), PARAM ".%s", key);
            api_reply_problem(reply, API_P_BAD_REQUEST, true, param, "'%.64s' %s", key,
                              cim_rsd_undefined_why(key, strlen(key)));
            return -1;
        }
        /* null means "not given", as everywhere in the API. */
        if (json_is_null(value) || has_type(def, value))
            continue;
        snprintf(param, sizeof(param), PARAM ".%s", def->name);
        api_reply_problem(reply, API_P_BAD_REQUEST, true, param, "%s must be %s", param,
                          def->type == CIM_T_BOOLEAN ? "true or false"
                          : def->type != CIM_T_UINT16 && def->type != CIM_T_UINT64 ? "a string"
                          : json_is_real(value)
                              ? "a whole number (from 2^53 up, written without a fraction or "
                                "exponent)"
                              : "an integer");
        return -1;
    }
    return 0;
}

/* An embedded instance's text is CIM-XML when it starts (after white space) with '<' or a UTF-8
 * byte-order mark (0xEF first), neither of which a MOF instance declaration can; else MOF. */
static enum cim_rv parse_embedded(const char *text, size_t len, struct cim_rsd *rsd,
                                  struct cim_err *err)
{
    size_t i = 0;

    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i < len && (text[i] == '<' || (unsigned char)text[i] == 0xEF))
        return cim_rsd_parse_xml_n(text, len, rsd, err);
    return cim_rsd_parse_mof_n(text, len, rsd, err);
}

int api_rsd_from_json(const json_t *j, struct cim_rsd *rsd, enum api_method m,
                      struct api_reply *reply)
{
    bool given[CIM_RSD_MAX_PROPS] = {false};
    struct cim_err err;
    const char *key;
    json_t *value;

    cim_err_clear(&err);
    if (api_rsd_check_json(j, reply) != 0)
        return -1;
    if (json_is_string(j)) {
        if (parse_embedded(json_string_value(j), json_string_length(j), rsd, &err) !=
            CIM_RV_SUCCESS) {
            api_reply_cim(reply, &err, m);
            return -1;
        }
        return 0;
    }
    /* Every property is known and of its type (api_rsd_check_json): now their values. */
    json_object_foreach((json_t *)j, key, value) {
        const struct cim_prop_def *def = cim_rsd_find_def(key);

        if (!def) /* a NULL ComponentSetting, which api_rsd_check_json let by */
            continue;
        if (cim_rsd_mark_given(given, def, &err) != CIM_RV_SUCCESS) {
            api_reply_cim(reply, &err, m);
            return -1;
        }
        if (!json_is_null(value) && add_json_value(rsd, def, value, &err, m, reply) != 0)
            return -1;
    }
    return 0;
}
