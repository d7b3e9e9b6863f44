/* Strict JSON input and query strings: the body must be one object without duplicate keys,
 * every member must be known and of its declared type, and each failure names the field. Also
 * the pagination parameters shared by every list and its "next" link. */
#include "api/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a body is parsed. "\u0000" is valid JSON; every reader of a string then refuses one that
 * holds a NUL, which a C string would cut short (api_json_string); keys keep jansson's refusal.
 * Any JSON value parses, so that a body of another kind ("x", null) is told apart from one
 * that is not JSON at all. */
#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

/* The deepest nesting of arrays and objects in text, counted outside strings, before any
 * parser sees it: a hostile body cannot make the parser recurse deep. */
static unsigned nesting_depth(const char *text, size_t len)
{
    unsigned depth = 0, deepest = 0;
    bool in_string = false;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > deepest)
                deepest = depth;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

/* Integers beyond 64 bits. jansson refuses any integer literal outside int64, but the CIM
 * uint64 properties of ReplicationSettingData reach 2^64-1. When jansson refuses a body for
 * that alone, the body is parsed again with each such literal turned into the string
 * "\u0000<literal>", and every string of the body's own that begins with "\u0000" given a
 * second one. Once parsed, a string beginning with two NULs loses one again, and one beginning
 * with a NUL and a literal is a mark, which becomes "\xFF<literal>": no string jansson parses
 * can begin so (0xFF is never UTF-8), so a client cannot write a mark. A mark is allowed
 * nowhere else than as a property of ReplicationSettingData, where api_json_big_int reads it
 * back. */

/* Whether the integer literal s (an optional '-', then digits without a leading zero) fits in
 * int64. */
static bool fits_int64(const char *s, size_t n)
{
    const char *max = "9223372036854775807", *min = "9223372036854775808";
    bool neg = s[0] == '-';
    const char *limit = neg ? min : max;

    if (neg) {
        s++;
        n--;
    }
    return n < 19 || (n == 19 && memcmp(s, limit, 19) <= 0);
}

/* A copy of text (*out_len bytes, NUL-terminated) with every integer literal outside int64
 * marked as above. NULL on OOM. Caller frees. */
static char *mark_big_ints(const char *text, size_t len, size_t *out_len)
{
    struct rg_buf b = {0};
    bool in_string = false, opened = false;

    for (size_t i = 0; i < len;) {
        size_t start = i;

        if (in_string || !(text[i] == '-' || (text[i] >= '0' && text[i] <= '9'))) {
            if (opened && len - i >= 6 && memcmp(text + i, "\\u0000", 6) == 0)
                rg_buf_add(&b, "\\u0000", 6);
            opened = false;
            if (in_string && text[i] == '\\' && i + 1 < len) {
                i++;
            } else if (text[i] == '"') {
                in_string = !in_string;
                opened = in_string;
            }
            i++;
        } else {
            /* A number: an integer unless a fraction or an exponent follows its digits. */
            const char *digits = text + start + (text[start] == '-');
            bool real;

            for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++)
                ;
            real = i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E');
            while (real && i < len && text[i] && strchr("0123456789.eE+-", text[i]))
                i++;
            /* A leading zero is left to jansson, which refuses it. */
            if (!real && digits < text + i && digits[0] != '0' &&
                !fits_int64(text + start, i - start)) {
                rg_buf_add(&b, "\"\\u0000", 7);
                rg_buf_add(&b, text + start, i - start);
                rg_buf_add(&b, "\"", 1);
                continue;
            }
        }
        rg_buf_add(&b, text + start, i - start);
    }
    if (b.failed || !b.p) {
        free(b.p);
        return NULL;
    }
    *out_len = b.len;
    return b.p;
}

/* Whether visit returns true for any string under j, visiting them in order until one does. */
static bool any_string(json_t *j, bool (*visit)(json_t *s))
{
    const char *key;
    json_t *value;
    size_t i;

    if (json_is_string(j))
        return visit(j);
    json_object_foreach(j, key, value) {
        if (any_string(value, visit))
            return true;
    }
    if (json_is_array(j)) {
        json_array_foreach(j, i, value) {
            if (any_string(value, visit))
                return true;
        }
    }
    return false;
}

/* Undoes the marking in string j (see above). Returns false on OOM. */
static bool settle_string(json_t *j)
{
    const char *v = json_string_value(j);
    size_t len = json_string_length(j);
    char *mark;
    bool ok;

    if (len == 0 || v[0] != '\0')
        return true;
    if (len > 1 && v[1] == '\0')
        return json_string_setn_nocheck(j, v + 1, len - 1) == 0;
    mark = rg_strndup(v, len);
    ok = mark != NULL;
    if (ok) {
        mark[0] = (char)0xFF;
        ok = json_string_setn_nocheck(j, mark, len) == 0;
    }
    free(mark);
    return ok;
}

/* any_string's visit for settle_string: true (stop) when memory ran out. */
static bool settle_failed(json_t *s)
{
    return !settle_string(s);
}

bool api_json_big_int(const json_t *v, const char **literal)
{
    if (!json_is_string(v) || json_string_length(v) < 2 ||
        (unsigned char)json_string_value(v)[0] != 0xFF)
        return false;
    *literal = json_string_value(v) + 1;
    return true;
}

/* any_string's visit: whether s is a mark. */
static bool is_mark(json_t *s)
{
    const char *literal;

    return api_json_big_int(s, &literal);
}

/* Parses the body again with its big integers marked (see above), after jansson refused it
 * for one of them. Returns the object; or NULL, having answered the problem when *answered,
 * else leaving the caller to answer jansson's first error. */
static json_t *load_big_ints(const struct api_request *req, struct api_reply *reply,
                             bool with_rv, bool *answered)
{
    size_t len;
    json_error_t jerr;
    char *marked = mark_big_ints(req->body, req->body_len, &len);
    json_t *j = marked ? json_loadb(marked, len, LOAD_FLAGS, &jerr)
                       : NULL;
    const char *key;
    json_t *value;

    *answered = false;
    free(marked);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    if (any_string(j, settle_failed)) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        *answered = true;
        json_decref(j);
        return NULL;
    }
    json_object_foreach(j, key, value) {
        const char *prop, *literal;
        json_t *v;

        if (strcmp(key, "ReplicationSettingData") == 0 && json_is_object(value)) {
            json_object_foreach(value, prop, v) {
                if (!api_json_big_int(v, &literal) && any_string(v, is_mark)) {
                    char param[96];

                    snprintf(param, sizeof(param), "ReplicationSettingData.%.64s", prop);
                    api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, param,
                                      "%s holds an integer outside the 64-bit range", param);
                    *answered = true;
                    json_decref(j);
                    return NULL;
                }
            }
        } else if (any_string(value, is_mark)) {
            api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, key,
                              "%.64s holds an integer outside the 64-bit range", key);
            *answered = true;
            json_decref(j);
            return NULL;
        }
    }
    return j;
}

/* Appends a segment to path (len bytes of cap used), cut at cap; returns the new length. */
static size_t path_add(char *path, size_t len, size_t cap, const char *fmt, ...) RG_PRINTF(4, 5);
static size_t path_add(char *path, size_t len, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(path + len, cap - len, fmt, ap);
    va_end(ap);
    return n < 0 ? len : len + (size_t)n < cap ? len + (size_t)n : cap - 1;
}

/* Whether a string (key or value) under j is longer than max; path (len bytes of cap used)
 * then names where it is, as Parameter does: "GroupName", "Members[1]",
 * "ReplicationSettingData.Description"; for a key too long, its object (at the top, the key). */
static bool has_long_string(const json_t *j, size_t max, char *path, size_t len, size_t cap)
{
    const char *key;
    json_t *value;
    size_t i;

    if (json_is_string(j))
        return json_string_length(j) > max;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, value) {
            size_t at = path_add(path, len, cap, len ? ".%s" : "%s", key);

            if (strlen(key) > max) {
                if (len)
                    path[len] = '\0';
                return true;
            }
            if (has_long_string(value, max, path, at, cap))
                return true;
        }
    }
    if (json_is_array(j)) {
        json_array_foreach(j, i, value) {
            if (has_long_string(value, max, path, path_add(path, len, cap, "[%zu]", i), cap))
                return true;
        }
    }
    path[len] = '\0';
    return false;
}

/* Where the scan of key_path_at stands in one object or array of the text. */
struct key_frame {
    bool object;
    size_t index;        /* arrays: the element being read */
    size_t key, key_len; /* objects: the last key read, quotes included, as it stands */
};

/* Names the object key that ends at byte pos of text, jansson's position for a duplicate key,
 * as Parameter does ("GroupName", "ReplicationSettingData.Pairing", "Members[0].x"), in path
 * (cap bytes). Returns false, path empty, when it cannot tell (OOM, or no key before pos). The
 * text is known to be valid JSON up to pos, so the scan needs no more than its structure. */
static bool key_path_at(const char *text, size_t pos, char *path, size_t cap)
{
    struct key_frame *frames = calloc(nesting_depth(text, pos) + 1, sizeof(*frames));
    size_t depth = 0, len = 0;
    bool want_key = false;

    path[0] = '\0';
    if (!frames)
        return false;
    for (size_t i = 0; i < pos; i++) {
        char c = text[i];

        if (c == '"') {
            size_t start = i;

            while (++i < pos && text[i] != '"')
                if (text[i] == '\\')
                    i++;
            if (want_key && i < pos) {
                frames[depth - 1].key = start;
                frames[depth - 1].key_len = i + 1 - start;
                want_key = false;
            }
        } else if (c == '{' || c == '[') {
            frames[depth++] = (struct key_frame){.object = c == '{'};
            want_key = c == '{';
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
            want_key = false;
        } else if (c == ',' && depth > 0) {
            want_key = frames[depth - 1].object;
            frames[depth - 1].index++;
        }
    }
    for (size_t d = 0; d < depth; d++) {
        json_t *key;

        if (!frames[d].object) {
            len = path_add(path, len, cap, "[%zu]", frames[d].index);
            continue;
        }
        key = frames[d].key_len
                  ? json_loadb(text + frames[d].key, frames[d].key_len, JSON_DECODE_ANY, NULL)
                  : NULL;
        if (!json_is_string(key)) {
            json_decref(key);
            path[0] = '\0';
            break;
        }
        len = path_add(path, len, cap, len ? ".%s" : "%s", json_string_value(key));
        json_decref(key);
    }
    free(frames);
    return path[0] != '\0';
}

char *api_json_text(const json_t *j)
{
    json_malloc_t jmalloc;
    json_free_t jfree;
    char *text = json_dumps(j, JSON_COMPACT), *copy;

    json_get_alloc_funcs(&jmalloc, &jfree);
    if (!text || jfree == free)
        return text;
    copy = rg_strdup(text);
    jfree(text);
    return copy;
}

json_t *api_json_body(const struct api_request *req, const struct api_limits *limits,
                      struct api_reply *reply, bool with_rv)
{
    char where[96];
    json_error_t jerr;
    json_t *j;

    if (req->json)
        return json_incref(req->json);
    if (!req->body || req->body_len == 0) {
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, NULL,
                          "the request needs a JSON object body");
        return NULL;
    }
    if (limits && limits->max_depth &&
        nesting_depth(req->body, req->body_len) > limits->max_depth) {
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, NULL,
                          "the JSON body nests deeper than %u levels", limits->max_depth);
        return NULL;
    }
    j = json_loadb(req->body, req->body_len, LOAD_FLAGS, &jerr);
    if (!j && json_error_code(&jerr) == json_error_numeric_overflow) {
        bool answered;

        j = load_big_ints(req, reply, with_rv, &answered);
        if (answered)
            return NULL;
    }
    if (!j && json_error_code(&jerr) == json_error_duplicate_key && jerr.position > 0 &&
        (size_t)jerr.position <= req->body_len &&
        key_path_at(req->body, (size_t)jerr.position, where, sizeof(where))) {
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, where,
                          "%s is given more than once (line %d, column %d)", where, jerr.line,
                          jerr.column);
        return NULL;
    }
    if (!j) {
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, NULL,
                          "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                          jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, NULL,
                          "the request body must be a JSON object");
        return NULL;
    }
    if (limits && limits->max_string &&
        has_long_string(j, limits->max_string, where, 0, sizeof(where))) {
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, where,
                          "%.64s holds a string longer than %zu bytes", where, limits->max_string);
        json_decref(j);
        return NULL;
    }
    return j;
}

json_t *api_json_prepare(const struct api_request *req, const struct api_limits *limits)
{
    struct api_reply unused = {0};
    json_t *j = api_json_body(req, limits, &unused, false);

    api_reply_clear(&unused);
    return j;
}

/* Whether string j holds a NUL (JSON "\u0000"), where a C string would end. */
static bool holds_nul(const json_t *j)
{
    return strlen(json_string_value(j)) != json_string_length(j);
}

/* Replies that Members[i] is refused (what, after its name) and frees *refs; returns -1. */
static int refuse_member(const char ***refs, size_t i, enum api_problem kind, const char *what,
                         struct api_reply *reply)
{
    char param[32];

    snprintf(param, sizeof(param), "Members[%zu]", i);
    api_reply_problem(reply, kind, true, param, "%s %s", param, what);
    free(*refs);
    *refs = NULL;
    return -1;
}

int api_json_members(const json_t *j_members, const struct api_limits *limits, const char ***refs,
                     size_t *n, struct api_reply *reply)
{
    size_t len;

    *refs = NULL;
    *n = 0;
    if (!json_is_array(j_members)) {
        api_reply_problem(reply, API_P_BAD_REQUEST, true, "Members",
                          "Members must be an array of object paths");
        return -1;
    }
    len = json_array_size(j_members);
    if (limits->max_members && len > limits->max_members) {
        api_reply_problem(reply, API_P_BAD_REQUEST, true, "Members",
                          "Members holds %zu references; at most %zu are accepted in one request",
                          len, limits->max_members);
        return -1;
    }
    *refs = calloc(len ? len : 1, sizeof(**refs));
    if (!*refs) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return -1;
    }
    /* Wrong types (400) first, whatever their place, then a NUL in a string (422). */
    for (size_t i = 0; i < len; i++)
        if (!json_is_string(json_array_get(j_members, i)))
            return refuse_member(refs, i, API_P_BAD_REQUEST,
                                 "must be a string (an object path or element URL)", reply);
    for (size_t i = 0; i < len; i++) {
        const json_t *j_ref = json_array_get(j_members, i);

        if (holds_nul(j_ref))
            return refuse_member(refs, i, API_P_INVALID_VALUE,
                                 "is not an object path: it holds a NUL (\\u0000)", reply);
        (*refs)[i] = json_string_value(j_ref);
    }
    *n = len;
    return 0;
}

int api_json_known_fields(const json_t *obj, const char *const *names, size_t n,
                          struct api_reply *reply, bool with_rv)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)obj, key, value) {
        size_t i;

        for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
            ;
        if (i == n) {
            api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, key, "unknown field '%s'", key);
            return -1;
        }
    }
    return 0;
}

int api_json_stringn(const json_t *obj, const char *name, const char **out, size_t *len,
                     struct api_reply *reply, bool with_rv)
{
    const json_t *j = json_object_get(obj, name);

    *out = NULL;
    *len = 0;
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_string(j)) {
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, name, "%s must be a string", name);
        return -1;
    }
    *out = json_string_value(j);
    *len = json_string_length(j);
    return 0;
}

int api_json_string(const json_t *obj, const char *name, const char **out,
                    struct api_reply *reply, bool with_rv)
{
    size_t len;

    if (api_json_stringn(obj, name, out, &len, reply, with_rv) != 0)
        return -1;
    if (*out && len != strlen(*out)) {
        *out = NULL;
        api_reply_problem(reply, API_P_INVALID_VALUE, with_rv, name,
                          "%s must be UTF-8 text without control characters; it holds a NUL "
                          "(\\u0000)",
                          name);
        return -1;
    }
    return 0;
}

int api_json_bool(const json_t *obj, const char *name, int *out, struct api_reply *reply,
                  bool with_rv)
{
    const json_t *j = json_object_get(obj, name);

    *out = -1;
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_boolean(j)) {
        api_reply_problem(reply, API_P_BAD_REQUEST, with_rv, name, "%s must be true or false",
                          name);
        return -1;
    }
    *out = json_is_true(j);
    return 0;
}

const char *api_query_get(const struct api_request *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].key, key) == 0)
            return req->query[i].value ? req->query[i].value : "";
    return NULL;
}

/* Parses a whole decimal number in [min, max], in its one canonical form (no sign, no leading
 * zero), so that one resource never answers at two URLs (/replication-groups/01 is not group 1).
 * Returns 0 or -1. */
static int parse_number(const char *s, long long min, long long max, long long *out)
{
    char *end;
    long long v;

    if (!s || *s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int api_query_only(const struct api_request *req, const char *const *names, size_t n,
                   struct api_reply *reply)
{
    for (size_t i = 0; i < req->n_query; i++) {
        const char *key = req->query[i].key, *value = req->query[i].value;
        size_t k;

        /* "?a=1&&b=2", or a "&" at the end: an empty segment is no parameter. */
        if (!*key && !value)
            continue;
        if (!*key) {
            api_reply_problem(reply, API_P_BAD_QUERY, false, NULL,
                              "a query parameter has a value ('=%s') but no name", value);
            return -1;
        }
        for (k = 0; k < n && strcmp(key, names[k]) != 0; k++)
            ;
        if (k == n) {
            api_reply_problem(reply, API_P_BAD_QUERY, false, key,
                              "unknown query parameter '%s'", key);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->query[j].key, key) == 0) {
                api_reply_problem(reply, API_P_BAD_QUERY, false, key,
                                  "query parameter '%s' is given twice", key);
                return -1;
            }
        /* srv_unescape keeps "%00" as written: a NUL, which no value may hold, would end it. */
        if (value && strstr(value, "%00")) {
            api_reply_problem(reply, API_P_BAD_QUERY, false, key,
                              "query parameter '%s' holds %%00 (a NUL byte)", key);
            return -1;
        }
    }
    return 0;
}

int api_query_page(const struct api_request *req, const char *const *extra, size_t n_extra,
                   struct api_page *page, struct api_reply *reply)
{
    const char *names[API_MAX_FILTERS + 2] = {"limit", "cursor"};
    const char *s;
    long long v;

    page->limit = API_DEFAULT_LIMIT;
    page->after_id = 0;
    for (size_t i = 0; i < n_extra && i < API_MAX_FILTERS; i++)
        names[i + 2] = extra[i];
    if (api_query_only(req, names, 2 + (n_extra < API_MAX_FILTERS ? n_extra : API_MAX_FILTERS),
                       reply) != 0)
        return -1;
    if ((s = api_query_get(req, "limit"))) {
        if (parse_number(s, 1, API_MAX_LIMIT, &v) != 0) {
            api_reply_problem(reply, API_P_BAD_QUERY, false, "limit",
                              "limit must be a whole number from 1 to %d", API_MAX_LIMIT);
            return -1;
        }
        page->limit = (int)v;
    }
    /* The cursor is the id of the last item of the previous page: keyset pagination stays
     * correct while rows are added and deleted. Clients treat it as opaque. */
    if ((s = api_query_get(req, "cursor"))) {
        if (parse_number(s, 0, INT64_MAX, &v) != 0) {
            api_reply_problem(reply, API_P_BAD_QUERY, false, "cursor",
                              "cursor is not one this server gave out");
            return -1;
        }
        page->after_id = v;
    }
    return 0;
}

bool api_path_id(const char *s, int64_t *id)
{
    long long v;

    if (!s || parse_number(s, 1, INT64_MAX, &v) != 0)
        return false;
    *id = v;
    return true;
}

char *api_etag(char kind, int64_t id, int64_t generation)
{
    return rg_asprintf("\"%c%lld.%lld\"", kind, (long long)id, (long long)generation);
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept) to buf at *len. */
static void append_encoded(char *buf, size_t *len, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            buf[(*len)++] = (char)*p;
        } else {
            buf[(*len)++] = '%';
            buf[(*len)++] = hex[*p >> 4];
            buf[(*len)++] = hex[*p & 15];
        }
    }
    buf[*len] = '\0';
}

char *api_next_link(const char *path, int limit, long long cursor, const struct api_request *req,
                    const char *const *keep, size_t n_keep)
{
    size_t cap = strlen(path) + 64, len;
    char *buf;

    for (size_t i = 0; i < n_keep; i++) {
        const char *v = api_query_get(req, keep[i]);
        if (v)
            cap += strlen(keep[i]) + 3 * strlen(v) + 2;
    }
    buf = malloc(cap);
    if (!buf)
        return NULL;
    len = (size_t)snprintf(buf, cap, "%s?limit=%d&cursor=%lld", path, limit, cursor);
    for (size_t i = 0; i < n_keep; i++) {
        const char *v = api_query_get(req, keep[i]);

        if (!v)
            continue;
        len += (size_t)snprintf(buf + len, cap - len, "&%s=", keep[i]);
        append_encoded(buf, &len, v);
    }
    return buf;
}

bool api_etag_listed(const char *header, const char *etag, bool weak)
{
    size_t elen = strlen(etag);

    if (!header)
        return false;
    for (const char *p = header; *p;) {
        size_t len;

        p += strspn(p, " \t,");
        len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if ((len == 1 && *p == '*') || (len == elen && memcmp(p, etag, len) == 0) ||
            (weak && len == elen + 2 && memcmp(p, "W/", 2) == 0 && memcmp(p + 2, etag, elen) == 0))
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

/* The header whose condition fails for the object's ETag at this generation, If-Match first
 * (RFC 9110 13.2.2), or NULL when both hold. */
static const char *if_match_failed(const struct cim_cond *cond, int64_t generation)
{
    const struct api_if_match *m = (const struct api_if_match *)cond;
    char want[64];

    snprintf(want, sizeof(want), "\"%c%lld.%lld\"", m->kind, (long long)m->id,
             (long long)generation);
    if (m->header && !api_etag_listed(m->header, want, false))
        return "If-Match";
    if (api_etag_listed(m->none_match, want, true))
        return "If-None-Match";
    return NULL;
}

const struct cim_cond *api_if_match(struct api_if_match *m, const struct api_request *req,
                                    char kind, int64_t id)
{
    if (!req->if_match && !req->if_none_match && !req->if_match_required)
        return NULL;
    m->cond.failed = if_match_failed;
    m->cond.missing = req->if_match_required;
    m->header = req->if_match;
    m->none_match = req->if_none_match;
    m->kind = kind;
    m->id = id;
    return &m->cond;
}
