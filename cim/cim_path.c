/* CIM object paths: a tokenizer for the WBEM URI (DSP0207) and WMI forms, and the writer of the
 * canonical form. Which classes and keys make sense is left to the callers (cim_element). */
#include "cim/cim_path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rg_util.h"

/* Reasons echo client-supplied names; cut them so a reason stays one short sentence. */
#define NAME_ECHO "%.64s"

static const char *const schemes[] = {"http", "https", "cimxml-wbem", "cimxml-wbems"};
static const char *const booleans[] = {"TRUE", "FALSE"};

struct cursor {
    const char *p;
    bool wmi; /* the WMI form (a \\ prefix, '\' separators, or a relative path): '...' values */
    char *why;
    size_t why_len;
    char desc[40]; /* describe_char's output, one per reason */
};

static int fail(struct cursor *c, const char *fmt, ...) RG_PRINTF(2, 3);

static int fail(struct cursor *c, const char *fmt, ...)
{
    va_list ap;

    if (c->why && c->why_len) {
        va_start(ap, fmt);
        vsnprintf(c->why, c->why_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Names a character for a reason without copying raw bytes into it: reasons end up in JSON,
 * and a lone byte of a multi-byte character (or a control character) must not. */
static const char *describe_char(struct cursor *c, char ch)
{
    unsigned char u = (unsigned char)ch;

    if (!u)
        snprintf(c->desc, sizeof(c->desc), "the end of the path");
    else if (u < 0x20 || u == 0x7F)
        snprintf(c->desc, sizeof(c->desc), "control character 0x%02X", u);
    else if (u >= 0x80)
        snprintf(c->desc, sizeof(c->desc), "non-ASCII byte 0x%02X", u);
    else
        snprintf(c->desc, sizeof(c->desc), "'%c'", ch);
    return c->desc;
}

/* ASCII only, whatever the locale: CIM names and the canonical form are ASCII. */
static bool is_alpha(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_ident_start(char ch)
{
    return is_alpha(ch) || ch == '_';
}

static bool is_ident_char(char ch)
{
    return is_ident_start(ch) || is_digit(ch);
}

static bool is_ns_sep(char ch)
{
    return ch == '/' || ch == '\\';
}

/* RFC 3986 authority characters: host, port, user info and IP literals. */
static bool is_host_char(char ch)
{
    return is_ident_char(ch) || (ch && strchr("-.~%!$&'()*+,;=:@[]", ch));
}

static char fold_lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static char fold_upper(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* Length of word when p starts with it (ASCII case-insensitively), else 0. */
static size_t match_word(const char *p, const char *word)
{
    size_t n = 0;

    while (word[n] && fold_lower(p[n]) == fold_lower(word[n]))
        n++;
    return word[n] ? 0 : n;
}

/* Copies a CIM identifier at the cursor into *out. */
static int take_ident(struct cursor *c, char **out, const char *what)
{
    const char *start = c->p;

    if (!is_ident_start(*c->p)) {
        if (!*c->p || strchr(".,=:", *c->p))
            return fail(c, "missing %s", what);
        return fail(c, "a %s must start with a letter or '_', not %s", what,
                    describe_char(c, *c->p));
    }
    while (is_ident_char(*c->p))
        c->p++;
    *out = rg_strndup(start, (size_t)(c->p - start));
    return *out ? 0 : fail(c, "out of memory");
}

/* After "//" or "\\": the authority (WBEM) or server name (WMI), which ends at the first
 * separator, so a ':' of a port or of user info is never taken for the class's ':'. */
static int take_host(struct cursor *c, struct cim_path *out, bool wmi)
{
    const char *start = c->p;

    while (*c->p && *c->p != '/' && !(wmi && *c->p == '\\')) {
        if (!is_host_char(*c->p))
            return fail(c, "bad character %s in the host", describe_char(c, *c->p));
        c->p++;
    }
    if (c->p == start)
        return fail(c, "missing host after '%s'", wmi ? "\\\\" : "//");
    if (!*c->p)
        return fail(c, "missing namespace after the host");
    out->host = rg_strndup(start, (size_t)(c->p - start));
    if (!out->host)
        return fail(c, "out of memory");
    c->p++;
    return 0;
}

static int fail_namespace(struct cursor *c)
{
    char ch = *c->p;

    if (is_ns_sep(ch) || ch == ':')
        return fail(c, "empty segment in the namespace");
    if (!ch || ch == '.' || ch == '=' || ch == ',' || ch == '"')
        return fail(c, "missing ':' before the class name");
    return fail(c, "bad character %s in the namespace (segments are letters, digits and '_')",
                describe_char(c, ch));
}

/* Reads segments separated by '/' or '\' up to the ':' before the class, storing them with
 * '/'. An empty namespace (as in "/:Class.k=v") leaves *out NULL. */
static int take_namespace(struct cursor *c, char **out)
{
    const char *start = c->p;
    size_t len;

    if (*c->p != ':') {
        for (;;) {
            const char *seg = c->p;

            while (is_ident_char(*c->p))
                c->p++;
            if (c->p == seg)
                return fail_namespace(c);
            if (!is_ns_sep(*c->p))
                break;
            c->p++;
        }
        if (*c->p != ':')
            return fail_namespace(c);
    }
    len = (size_t)(c->p - start);
    c->p++;
    if (len == 0)
        return 0;
    *out = rg_strndup(start, len);
    if (!*out)
        return fail(c, "out of memory");
    for (char *s = *out; *s; s++)
        if (*s == '\\')
            *s = '/';
    return 0;
}

/* A scheme is "name:" followed by '/': no namespace can look like that, because a class name
 * never starts with '/'. */
static int take_scheme(struct cursor *c)
{
    size_t len = 0;

    if (!is_alpha(*c->p))
        return 0;
    while (is_alpha(c->p[len]) || is_digit(c->p[len]) || (c->p[len] && strchr("+-.", c->p[len])))
        len++;
    if (c->p[len] != ':' || c->p[len + 1] != '/')
        return 0;
    for (size_t i = 0; i < RG_ARRAY_LEN(schemes); i++) {
        if (strlen(schemes[i]) == len && match_word(c->p, schemes[i]) == len) {
            c->p += len + 1;
            return 0;
        }
    }
    return fail(c, "unsupported scheme '%.*s' (use http, https, cimxml-wbem or cimxml-wbems)",
                len > 32 ? 32 : (int)len, c->p);
}

/* True when the text before the first ':' is namespace-shaped: that tells "root/cimv2:C.k=v"
 * from the relative "C.k=v", whose quoted values may hold ':'. */
static bool starts_with_namespace(const char *p)
{
    while (is_ident_char(*p) || is_ns_sep(*p))
        p++;
    return *p == ':';
}

static int take_prefix(struct cursor *c, struct cim_path *out)
{
    const char *start = c->p;
    int rc;

    if (c->p[0] == '\\' && c->p[1] == '\\') {
        c->wmi = true;
        c->p += 2;
        return take_host(c, out, true) != 0 ? -1 : take_namespace(c, &out->ns);
    }
    if (take_scheme(c) != 0)
        return -1;
    if (c->p[0] == '/' && c->p[1] == '/') {
        c->p += 2;
        return take_host(c, out, false) != 0 ? -1 : take_namespace(c, &out->ns);
    }
    if (is_ns_sep(*c->p)) {
        c->wmi = *c->p == '\\';
        c->p++;
        return take_namespace(c, &out->ns);
    }
    if (starts_with_namespace(c->p)) {
        rc = take_namespace(c, &out->ns);
        c->wmi = memchr(start, '\\', (size_t)(c->p - start)) != NULL;
        return rc;
    }
    /* A relative path is either form; WMI's tools write 'single-quoted' values in it. */
    c->wmi = c->p == start;
    return 0;
}

static int take_class(struct cursor *c, struct cim_path *out)
{
    if (take_ident(c, &out->class_name, "class name") != 0)
        return -1;
    if (*c->p == '.') {
        c->p++;
        return 0;
    }
    if (!*c->p)
        return fail(c, "no keys: the path names a class, not an instance");
    if (c->p[0] == '=' && c->p[1] == '@')
        return fail(c, "singleton paths (Class=@) are not supported");
    return fail(c, "expected '.' after the class name, found %s", describe_char(c, *c->p));
}

/* A quoted string, in double quotes or (WMI) single ones, with \<quote> and \\ escapes; *kb
 * gets the unescaped copy. */
static int take_string(struct cursor *c, struct cim_keybinding *kb)
{
    char *v = malloc(strlen(c->p) + 1);
    char quote = *c->p;
    size_t n = 0;
    int rc = -1;

    if (!v)
        return fail(c, "out of memory");
    for (c->p++; *c->p != quote; c->p++) {
        if (*c->p == '\\') {
            c->p++;
            if (*c->p && *c->p != quote && *c->p != '\\') {
                fail(c, "bad escape: '\\' before %s in the value of key '" NAME_ECHO
                        "' (only \\%c and \\\\ are escapes)",
                     describe_char(c, *c->p), kb->name, quote);
                goto out;
            }
        }
        if (!*c->p) {
            fail(c, "unterminated string value for key '" NAME_ECHO "'", kb->name);
            goto out;
        }
        v[n++] = *c->p;
    }
    c->p++;
    v[n] = '\0';
    kb->value = v;
    kb->type = CIM_KEY_STRING;
    v = NULL;
    rc = 0;
out:
    free(v);
    return rc;
}

static int take_integer(struct cursor *c, struct cim_keybinding *kb)
{
    const char *start = c->p;

    if (!is_digit(*c->p))
        c->p++;
    while (is_digit(*c->p))
        c->p++;
    /* Only a digit-like tail makes a bad number; other text after it is the caller's to report. */
    if (!is_digit(c->p[-1]) || is_ident_char(*c->p) || *c->p == '.')
        return fail(c, "bad integer value for key '" NAME_ECHO "' (decimal digits, optional sign)",
                    kb->name);
    kb->value = rg_strndup(start, (size_t)(c->p - start));
    kb->type = CIM_KEY_INTEGER;
    return kb->value ? 0 : fail(c, "out of memory");
}

/* An unquoted value shaped like an object path ("/ns:C.k=v", "\\h\ns:...", "C.k=v",
 * "http://..."): a reference, which this gateway does not take as a key. */
static bool looks_like_reference(const char *p)
{
    if (is_ns_sep(*p))
        return true;
    if (!is_ident_start(*p))
        return false;
    while (is_ident_char(*p) || is_ns_sep(*p))
        p++;
    return *p == ':' || *p == '.';
}

/* A key value: "string", an integer, or TRUE/FALSE. */
static int take_value(struct cursor *c, struct cim_keybinding *kb)
{
    if (*c->p == '"' || (c->wmi && *c->p == '\''))
        return take_string(c, kb);
    if (*c->p == '+' || *c->p == '-' || is_digit(*c->p))
        return take_integer(c, kb);
    for (size_t i = 0; i < RG_ARRAY_LEN(booleans); i++) {
        size_t n = match_word(c->p, booleans[i]);

        if (n && !is_ident_char(c->p[n])) {
            c->p += n;
            kb->value = rg_strdup(booleans[i]);
            kb->type = CIM_KEY_BOOLEAN;
            return kb->value ? 0 : fail(c, "out of memory");
        }
    }
    if (!*c->p || *c->p == ',')
        return fail(c, "missing value for key '" NAME_ECHO "'", kb->name);
    if (looks_like_reference(c->p))
        return fail(c, "key '" NAME_ECHO "' has a reference value; reference keys are not "
                       "supported",
                    kb->name);
    return fail(c, "the value of key '" NAME_ECHO "' must be a quoted string, an integer, TRUE or "
                   "FALSE",
                kb->name);
}

static int take_keys(struct cursor *c, struct cim_path *out)
{
    struct cim_keybinding *kb;

    for (;;) {
        if (out->n_keys == CIM_PATH_MAX_KEYS)
            return fail(c, "more than %d keys", CIM_PATH_MAX_KEYS);
        kb = &out->keys[out->n_keys];
        if (take_ident(c, &kb->name, "key name") != 0)
            return -1;
        out->n_keys++;
        for (size_t i = 0; i + 1 < out->n_keys; i++)
            if (rg_strcasecmp(out->keys[i].name, kb->name) == 0)
                return fail(c, "key '" NAME_ECHO "' is given twice", kb->name);
        if (*c->p != '=')
            return fail(c, "expected '=' after key '" NAME_ECHO "', found %s", kb->name,
                        describe_char(c, *c->p));
        c->p++;
        if (take_value(c, kb) != 0)
            return -1;
        if (*c->p != ',')
            break;
        c->p++;
    }
    if (*c->p)
        return fail(c, "unexpected %s after the value of key '" NAME_ECHO "'",
                    describe_char(c, *c->p), kb->name);
    return 0;
}

int cim_path_parse(const char *text, struct cim_path *out, char *why, size_t why_len)
{
    struct cursor c = {.p = text, .why = why, .why_len = why_len};
    size_t len = text ? strnlen(text, CIM_PATH_MAX_LEN + 1) : 0;

    memset(out, 0, sizeof(*out));
    if (why && why_len)
        why[0] = '\0';
    if (len == 0)
        return fail(&c, "the path is empty");
    if (len > CIM_PATH_MAX_LEN)
        return fail(&c, "the path is longer than %d bytes", CIM_PATH_MAX_LEN);
    if (take_prefix(&c, out) != 0 || take_class(&c, out) != 0 || take_keys(&c, out) != 0) {
        cim_path_free(out);
        return -1;
    }
    return 0;
}

void cim_path_free(struct cim_path *p)
{
    if (!p)
        return;
    free(p->host);
    free(p->ns);
    free(p->class_name);
    for (size_t i = 0; i < p->n_keys; i++) {
        free(p->keys[i].name);
        free(p->keys[i].value);
    }
    memset(p, 0, sizeof(*p));
}

bool cim_path_namespace_ok(const char *ns)
{
    const char *seg = ns;

    for (;;) {
        const char *p = seg;

        while (is_ident_char(*p))
            p++;
        if (p == seg || (*p && *p != '/'))
            return false;
        if (!*p)
            return true;
        seg = p + 1;
    }
}

const struct cim_keybinding *cim_path_key(const struct cim_path *p, const char *name)
{
    if (!p || !name)
        return NULL;
    for (size_t i = 0; i < p->n_keys; i++)
        if (rg_strcasecmp(p->keys[i].name, name) == 0)
            return &p->keys[i];
    return NULL;
}

/* By case-insensitive name; ties (which parsed paths never have) fall back to exact name and
 * then input order, so the output never depends on qsort's instability. */
static int compare_keys(const void *a, const void *b)
{
    const struct cim_keybinding *ka = *(const struct cim_keybinding *const *)a;
    const struct cim_keybinding *kb = *(const struct cim_keybinding *const *)b;
    int rc = rg_strcasecmp(ka->name, kb->name);

    if (rc == 0)
        rc = strcmp(ka->name, kb->name);
    return rc ? rc : (ka > kb) - (ka < kb);
}

enum put_mode { PUT_AS_IS, PUT_LOWER, PUT_UPPER, PUT_ESCAPED };

/* Appends s at buf + at (the caller sized buf) and returns the new end. */
static size_t put(char *buf, size_t at, const char *s, enum put_mode mode)
{
    for (; *s; s++) {
        if (mode == PUT_ESCAPED && (*s == '"' || *s == '\\'))
            buf[at++] = '\\';
        buf[at++] = mode == PUT_LOWER ? fold_lower(*s) : mode == PUT_UPPER ? fold_upper(*s) : *s;
    }
    return at;
}

/* "+7", "007" and "7" name the same key, so the canonical form drops a '+' sign, leading zeros
 * and the sign of zero. Text that is no decimal integer is written as given. */
static size_t put_integer(char *buf, size_t at, const char *value)
{
    const char *d = value + (*value == '+' || *value == '-');

    if (!*d || d[strspn(d, "0123456789")])
        return put(buf, at, value, PUT_AS_IS);
    while (d[0] == '0' && d[1])
        d++;
    if (*value == '-' && strcmp(d, "0") != 0)
        buf[at++] = '-';
    return put(buf, at, d, PUT_AS_IS);
}

char *cim_path_format(const char *ns, const char *class_name, const struct cim_keybinding *keys,
                      size_t n_keys)
{
    const struct cim_keybinding **sorted = malloc((n_keys ? n_keys : 1) * sizeof(*sorted));
    size_t cap = 3 + (ns ? strlen(ns) : 0) + strlen(class_name), at = 0; /* '/' ':' NUL */
    char *buf = NULL;

    if (!sorted)
        goto out;
    for (size_t i = 0; i < n_keys; i++) {
        sorted[i] = &keys[i];
        cap += strlen(keys[i].name) + 2 * strlen(keys[i].value) + 4; /* '.' or ',', '=', "" */
    }
    qsort(sorted, n_keys, sizeof(*sorted), compare_keys);
    buf = malloc(cap);
    if (!buf)
        goto out;
    buf[at++] = '/';
    at = put(buf, at, ns ? ns : "", PUT_LOWER);
    buf[at++] = ':';
    at = put(buf, at, class_name, PUT_LOWER);
    for (size_t i = 0; i < n_keys; i++) {
        buf[at++] = i ? ',' : '.';
        at = put(buf, at, sorted[i]->name, PUT_AS_IS);
        buf[at++] = '=';
        if (sorted[i]->type == CIM_KEY_STRING) {
            buf[at++] = '"';
            at = put(buf, at, sorted[i]->value, PUT_ESCAPED);
            buf[at++] = '"';
        } else if (sorted[i]->type == CIM_KEY_INTEGER) {
            at = put_integer(buf, at, sorted[i]->value);
        } else {
            at = put(buf, at, sorted[i]->value, PUT_UPPER);
        }
    }
    buf[at] = '\0';
out:
    free(sorted);
    return buf;
}
