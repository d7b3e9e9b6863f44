/* The only place that writes error replies: one table from CIM return values and transport
 * problems to HTTP status, title and problem type, and one builder of application/problem+json
 * bodies (RFC 9457) that also carry ReturnValue, ReturnValueName and Parameter. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBLEM_TYPE_BASE "https://replgw.dev/problems/"
#define PROBLEM_JSON "application/problem+json"

struct problem_def {
    unsigned status;
    const char *slug;
    const char *title;
};

/* API.md "Errors": ReturnValue -> HTTP. 5 is 422 here (a well-formed request with an invalid
 * value); the 400 flavour of 5 (malformed JSON, wrong types, unknown fields) is
 * API_P_BAD_REQUEST below. */
static const struct problem_def rv_defs[] = {
    [CIM_RV_NOT_SUPPORTED] = {501, "not-supported", "Not Supported"},
    [CIM_RV_UNKNOWN] = {500, "unknown", "Unknown"},
    [CIM_RV_TIMEOUT] = {503, "timeout", "Timeout"},
    [CIM_RV_FAILED] = {500, "failed", "Failed"},
    [CIM_RV_INVALID_PARAMETER] = {422, "invalid-parameter", "Invalid Parameter"},
    [CIM_RV_IN_USE] = {409, "in-use", "In Use"},
};

/* The method-specific values: 7 and 8 differ per method (CIM-NOTES §4.4, §5). cim/ reports a
 * missing group as CIM_RV_NOT_FOUND; AddMembers and RemoveMembers call that 7. */
static const struct {
    enum api_method method;
    enum cim_rv rv;
    int wire_rv;
    struct problem_def def;
} method_defs[] = {
    {API_M_CREATE_GROUP, CIM_RV_NOT_NAMEABLE, 7,
     {422, "not-nameable", "Groups are not nameable"}},
    /* ModifyInstance (PATCH) is no CIM method: the same refusal, without a ReturnValue. */
    {API_M_NONE, CIM_RV_NOT_NAMEABLE, -1, {422, "not-nameable", "Groups are not nameable"}},
    {API_M_ADD_MEMBERS, CIM_RV_NOT_FOUND, 7, {404, "group-not-found", "Group does not exist"}},
    {API_M_REMOVE_MEMBERS, CIM_RV_NOT_FOUND, 7, {404, "group-not-found", "Group does not exist"}},
    {API_M_REMOVE_MEMBERS, CIM_RV_NOT_MEMBER, 8, {409, "not-member", "Member not in group"}},
};

static const struct problem_def transport_defs[] = {
    [API_P_BAD_REQUEST] = {400, "invalid-parameter", "Invalid Parameter"},
    [API_P_BAD_QUERY] = {400, "bad-query", "Bad query parameter"},
    [API_P_NOT_FOUND] = {404, "not-found", "Not Found"},
    [API_P_METHOD] = {405, "method-not-allowed", "Method Not Allowed"},
    [API_P_NOT_ACCEPTABLE] = {406, "not-acceptable", "Not Acceptable"},
    [API_P_TOO_LARGE] = {413, "too-large", "Content Too Large"},
    [API_P_MEDIA_TYPE] = {415, "unsupported-media-type", "Unsupported Media Type"},
    [API_P_INTERNAL] = {500, "internal", "Internal Server Error"},
    [API_P_UNAVAILABLE] = {503, "unavailable", "Service Unavailable"},
    [API_P_PRECONDITION_REQUIRED] = {428, "precondition-required", "Precondition Required"},
    [API_P_BAD_HEADER] = {400, "bad-header", "Bad request header"},
    [API_P_KEY_REUSED] = {422, "idempotency-key-reused", "Idempotency-Key reused"},
    [API_P_KEY_RUNNING] = {409, "idempotency-key-in-use", "Idempotency-Key in use"},
    [API_P_UNAUTHORIZED] = {401, "unauthorized", "Unauthorized"},
    [API_P_FORBIDDEN] = {403, "forbidden", "Forbidden"},
    [API_P_TOO_MANY] = {429, "too-many-requests", "Too Many Requests"},
    /* The 422 flavour of 5 for a value api/ refuses itself, as cim/ would (rv_defs above). */
    [API_P_INVALID_VALUE] = {422, "invalid-parameter", "Invalid Parameter"},
    [API_P_NOT_IMPLEMENTED] = {501, "not-implemented", "Not Implemented"},
    /* Also the answer to cim's CIM_RV_PRECONDITION. */
    [API_P_PRECONDITION_FAILED] = {412, "precondition-failed", "Precondition Failed"},
};

void api_reply_text(struct api_reply *reply, struct rg_buf *b)
{
    api_reply_clear(reply);
    if (b->failed || !b->p) {
        free(b->p);
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return;
    }
    reply->status = 200;
    reply->text = b->p;
    reply->text_len = b->len;
}

void api_reply_clear(struct api_reply *reply)
{
    if (!reply)
        return;
    json_decref(reply->body);
    free(reply->text);
    free(reply->location);
    free(reply->etag);
    if (reply->group) {
        cim_group_clear(reply->group);
        free(reply->group);
    }
    memset(reply, 0, sizeof(*reply));
}

/* Copies text into out as valid UTF-8: a sequence cut short (detail messages are cut at their
 * buffer's end, possibly inside a character) or an invalid byte becomes '?', which JSON can
 * carry. A text longer than out ends in "\u2026" (an ellipsis), so that a cut name is not
 * taken for the whole one. */
static void copy_valid_utf8(const char *text, char *out, size_t out_len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t at = 0;

    while (*p && at + 8 < out_len) { /* room for a character, the ellipsis and the NUL */
        size_t n = rg_utf8_char((const char *)p, strnlen((const char *)p, 4), NULL);

        if (n == 0) {
            out[at++] = '?';
            p++;
            continue;
        }
        memcpy(out + at, p, n);
        at += n;
        p += n;
    }
    if (*p) {
        memcpy(out + at, "\xE2\x80\xA6", 3);
        at += 3;
    }
    out[at] = '\0';
}

/* Builds the body; on OOM the reply keeps its status with no body, which the server sends as is.
 * rv < 0 leaves out ReturnValue and ReturnValueName (then rv_name is unused). */
static void write_problem(struct api_reply *reply, const struct problem_def *def, int rv,
                          const char *rv_name, const char *param, const char *detail)
{
    json_t *j = NULL;
    char type[128], clean_detail[600], clean_param[96];

    api_reply_clear(reply);
    reply->status = def->status;
    reply->content_type = PROBLEM_JSON;
    snprintf(type, sizeof(type), "%s%s", PROBLEM_TYPE_BASE, def->slug);
    copy_valid_utf8(detail && *detail ? detail : def->title, clean_detail, sizeof(clean_detail));
    copy_valid_utf8(param ? param : "", clean_param, sizeof(clean_param));
    j = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", def->title, "status",
                  (int)def->status, "detail", clean_detail);
    if (!j)
        return;
    if (rv >= 0 && (json_object_set_new(j, "ReturnValue", json_integer(rv)) ||
                    json_object_set_new(j, "ReturnValueName", json_string(rv_name)))) {
        json_decref(j);
        return;
    }
    /* Parameter is always present after a CIM method call (null when no parameter is to blame)
     * and otherwise only when one is, such as a bad query parameter. A field named "" is
     * named as "". */
    if ((rv >= 0 || param) &&
        json_object_set_new(j, "Parameter", param ? json_string(clean_param) : json_null())) {
        json_decref(j);
        return;
    }
    reply->body = j;
}

void api_reply_cim(struct api_reply *reply, const struct cim_err *err, enum api_method m)
{
    bool with_rv = m != API_M_NONE;
    const char *param = err->param[0] ? err->param : NULL; /* cim_err keeps "" for none */

    for (size_t i = 0; i < RG_ARRAY_LEN(method_defs); i++) {
        if (method_defs[i].method == m && method_defs[i].rv == err->rv) {
            write_problem(reply, &method_defs[i].def, method_defs[i].wire_rv,
                          method_defs[i].def.title, param, err->detail);
            return;
        }
    }
    if (err->rv == CIM_RV_NOT_FOUND) {
        write_problem(reply, &transport_defs[API_P_NOT_FOUND], -1, NULL, NULL, err->detail);
        return;
    }
    if (err->rv == CIM_RV_PRECONDITION) {
        write_problem(reply, &transport_defs[API_P_PRECONDITION_FAILED], -1, NULL, param,
                      err->detail);
        return;
    }
    if (err->rv == CIM_RV_PRECONDITION_REQUIRED) {
        write_problem(reply, &transport_defs[API_P_PRECONDITION_REQUIRED], -1, NULL, "If-Match",
                      err->detail);
        return;
    }
    if ((unsigned)err->rv >= RG_ARRAY_LEN(rv_defs) || rv_defs[err->rv].status == 0) {
        /* An unmapped outcome is our bug: log it and answer 500 Unknown. */
        rg_log(RG_LOG_ERROR, "api: unmapped return value %d: %s", (int)err->rv, err->detail);
        write_problem(reply, &rv_defs[CIM_RV_UNKNOWN], with_rv ? CIM_RV_UNKNOWN : -1,
                      rv_defs[CIM_RV_UNKNOWN].title, NULL, err->detail);
        return;
    }
    write_problem(reply, &rv_defs[err->rv], with_rv ? (int)err->rv : -1, rv_defs[err->rv].title,
                  param, err->detail);
    if (err->rv == CIM_RV_TIMEOUT)
        reply->retry_after = 1;
}

void api_reply_problem(struct api_reply *reply, enum api_problem p, bool with_rv,
                       const char *param, const char *fmt, ...)
{
    char detail[640]; /* more than write_problem keeps, so that a cut one ends in "\u2026" */
    va_list ap;
    int rv = -1;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if ((p == API_P_BAD_REQUEST || p == API_P_INVALID_VALUE) && with_rv)
        rv = CIM_RV_INVALID_PARAMETER;
    write_problem(reply, &transport_defs[p], rv, transport_defs[p].title, param, detail);
    if (p == API_P_UNAVAILABLE)
        reply->retry_after = 1;
}
