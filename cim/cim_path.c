/* CIM object paths: a tokenizer for the WBEM URI (DSP0207) and WMI forms, and the writer of the
 * canonical form. Which classes and keys make sense is left to the callers (cim_element). */
#include "cim/cim_path.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rg_util.h"

static const char *const schemes[] = {"http", "https", "cimxml-wbem", "cimxml-wbems"};

struct cursor {
    const char *p;
    char *why;
    size_t why_len;
};

static int fail(struct cursor *c, const char *fmt, ...) RG_PRINTF(2, 3);

static int fail(struct cursor *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->why, c->why_len, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_ident_start(char ch)
{
    return isalpha((unsigned char)ch) || ch == '_';
}

static bool is_ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

static int strncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);

        if (ca != cb || !ca)
            return ca - cb;
    }
    return 0;
}

/* Copies an identifier at the cursor into *out; -1 when there is none. */
static int take_ident(struct cursor *c, char **out, const char *what)
{
    const char *start = c->p;

    if (!is_ident_start(*c->p))
        return fail(c, "expected %s", what);
    while (is_ident_char(*c->p))
        c->p++;
    *out = rg_strndup(start, (size_t)(c->p - start));
    return *out ? 0 : fail(c, "out of memory");
}

/* Reads a namespace up to ':' (exclusive), segments separated by '/' or '\', stored with '/'.
 * An empty namespace (as in "/:Class.k=v") leaves *out NULL. */
static int take_namespace(struct cursor *c, char **out)
{
    size_t len = strcspn(c->p, ":");
    char *ns;

    *out = NULL;
    if (c->p[len] != ':')
        return fail(c, "missing ':' before the class name");
    if (len == 0) {
        c->p++;
        return 0;
    }
    ns = rg_strndup(c->p, len);
    if (!ns)
        return fail(c, "out of memory");
    for (size_t i = 0; i < len; i++) {
        bool sep = ns[i] == '/' || ns[i] == '\\';

        if (sep)
            ns[i] = '/';
        if (sep ? (i == 0 || i == len - 1 || ns[i - 1] == '/') : !is_ident_char(ns[i])) {
            free(ns);
            return fail(c, "bad namespace: segments are letters, digits and '_'");
        }
    }
    *out = ns;
    c->p += len + 1;
    return 0;
}

/* A key value: "string" with \" and \\ escapes, an integer, or TRUE/FALSE. */
static int take_value(struct cursor *c, struct cim_keybinding *kb)
{
    if (*c->p == '"') {
        const char *s = ++c->p;
        char *v = malloc(strlen(s) + 1);
        size_t n = 0;

        if (!v)
            return fail(c, "out of memory");
        for (; *c->p && *c->p != '"'; c->p++) {
            if (*c->p == '\\') {
                c->p++;
                if (*c->p != '"' && *c->p != '\\') {
                    free(v);
                    return fail(c, "bad escape in the value of key '%s' (only \\\" and \\\\)",
                                kb->name);
                }
            }
            v[n++] = *c->p;
        }
        if (*c->p != '"') {
            free(v);
            return fail(c, "unterminated string value for key '%s'", kb->name);
        }
        c->p++;
        v[n] = '\0';
        kb->value = v;
        kb->type = CIM_KEY_STRING;
        return 0;
    }
    if (*c->p == '+' || *c->p == '-' || isdigit((unsigned char)*c->p)) {
        const char *start = c->p;

        c->p += (*c->p == '+' || *c->p == '-');
        if (!isdigit((unsigned char)*c->p))
            return fail(c, "bad number for key '%s'", kb->name);
        while (isdigit((unsigned char)*c->p))
            c->p++;
        kb->value = rg_strndup(start, (size_t)(c->p - start));
        kb->type = CIM_KEY_INTEGER;
        return kb->value ? 0 : fail(c, "out of memory");
    }
    for (int b = 0; b < 2; b++) {
        const char *word = b ? "FALSE" : "TRUE";
        size_t wl = strlen(word);

        if (strncasecmp_ascii(c->p, word, wl) == 0 && !is_ident_char(c->p[wl])) {
            c->p += wl;
            kb->value = rg_strdup(word);
            kb->type = CIM_KEY_BOOLEAN;
            return kb->value ? 0 : fail(c, "out of memory");
        }
    }
    return fail(c, "the value of key '%s' must be a quoted string, a number, TRUE or FALSE",
                kb->name);
}

static int take_keys(struct cursor *c, struct cim_path *out)
{
    do {
        struct cim_keybinding *kb;

        if (out->n_keys == CIM_PATH_MAX_KEYS)
            return fail(c, "more than %d keys", CIM_PATH_MAX_KEYS);
        kb = &out->keys[out->n_keys];
        if (take_ident(c, &kb->name, "a key name") != 0)
            return -1;
        out->n_keys++;
        for (size_t i = 0; i + 1 < out->n_keys; i++)
            if (rg_strcasecmp(out->keys[i].name, kb->name) == 0)
                return fail(c, "key '%s' is given twice", kb->name);
        if (*c->p != '=')
            return fail(c, "expected '=' after key '%s'", kb->name);
        c->p++;
        if (*c->p == '@')
            return fail(c, "singleton references (=@) are not supported");
        if (take_value(c, kb) != 0)
            return -1;
    } while (*c->p == ',' && c->p++);
    if (*c->p)
        return *c->p > ' ' && *c->p < 0x7F ? fail(c, "unexpected '%c' after the keys", *c->p)
                                          : fail(c, "unexpected character after the keys");
    return 0;
}

/* After "//" or "\\": the authority (WBEM) or server name (WMI), up to the next separator. */
static int take_host(struct cursor *c, struct cim_path *out, const char *seps)
{
    size_t len = strcspn(c->p, seps);

    if (len == 0 || !c->p[len])
        return fail(c, "a host must be followed by a namespace");
    out->host = rg_strndup(c->p, len);
    if (!out->host)
        return fail(c, "out of memory");
    c->p += len + 1;
    return 0;
}

/* True when the text before the first ':' could be a namespace (and so is one): that tells
 * "root/cimv2:Class.k=v" from the relative "Class.k=v" whose quoted values may hold ':'. */
static bool starts_with_namespace(const char *p)
{
    size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/\\");

    return p[len] == ':';
}

static int parse_prefix(struct cursor *c, struct cim_path *out)
{
    if (c->p[0] == '\\' && c->p[1] == '\\') {
        c->p += 2;
        if (take_host(c, out, "\\/") != 0)
            return -1;
        return take_namespace(c, &out->ns);
    }
    for (size_t i = 0; i < RG_ARRAY_LEN(schemes); i++) {
        size_t sl = strlen(schemes[i]);

        if (strncasecmp_ascii(c->p, schemes[i], sl) == 0 && c->p[sl] == ':' &&
            c->p[sl + 1] == '/' && c->p[sl + 2] == '/') {
            c->p += sl + 1;
            break;
        }
    }
    if (c->p[0] == '/' && c->p[1] == '/') {
        c->p += 2;
        if (take_host(c, out, "/") != 0)
            return -1;
        return take_namespace(c, &out->ns);
    }
    if (c->p[0] == '/') {
        c->p++;
        return take_namespace(c, &out->ns);
    }
    if (starts_with_namespace(c->p))
        return take_namespace(c, &out->ns);
    return 0;
}

int cim_path_parse(const char *text, struct cim_path *out, char *why, size_t why_len)
{
    struct cursor c = {.p = text, .why = why, .why_len = why_len};
    size_t len;

    memset(out, 0, sizeof(*out));
    why[0] = '\0';
    len = strnlen(text, CIM_PATH_MAX_LEN + 1);
    if (len == 0)
        return fail(&c, "the path is empty");
    if (len > CIM_PATH_MAX_LEN)
        return fail(&c, "the path is longer than %d bytes", CIM_PATH_MAX_LEN);
    if (parse_prefix(&c, out) != 0 || take_ident(&c, &out->class_name, "a class name") != 0)
        goto bad;
    if (*c.p != '.') {
        fail(&c, *c.p ? "expected '.' after the class name" : "the path names a class, not an "
                                                               "instance (no keys)");
        goto bad;
    }
    c.p++;
    if (take_keys(&c, out) != 0)
        goto bad;
    return 0;
bad:
    cim_path_free(out);
    return -1;
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

const struct cim_keybinding *cim_path_key(const struct cim_path *p, const char *name)
{
    for (size_t i = 0; i < p->n_keys; i++)
        if (rg_strcasecmp(p->keys[i].name, name) == 0)
            return &p->keys[i];
    return NULL;
}

/* Appends s to buf (capacity checked by the caller's sizing), lower-cased when fold is set and
 * with " and \ escaped when escape is set. */
static size_t put(char *buf, size_t at, const char *s, bool fold, bool escape)
{
    for (; *s; s++) {
        if (escape && (*s == '"' || *s == '\\'))
            buf[at++] = '\\';
        buf[at++] = fold ? (char)tolower((unsigned char)*s) : *s;
    }
    buf[at] = '\0';
    return at;
}

char *cim_path_format(const char *ns, const char *class_name, const struct cim_keybinding *keys,
                      size_t n_keys)
{
    const struct cim_keybinding *sorted[CIM_PATH_MAX_KEYS];
    size_t cap = 4 + (ns ? strlen(ns) : 0) + strlen(class_name), at = 0;
    char *buf;

    if (n_keys > CIM_PATH_MAX_KEYS)
        return NULL;
    for (size_t i = 0; i < n_keys; i++) {
        size_t j = i;

        /* Insertion sort by case-insensitive key name: at most CIM_PATH_MAX_KEYS keys. */
        while (j > 0 && rg_strcasecmp(sorted[j - 1]->name, keys[i].name) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = &keys[i];
        cap += strlen(keys[i].name) + 2 * strlen(keys[i].value) + 4;
    }
    buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[at++] = '/';
    at = put(buf, at, ns ? ns : "", true, false);
    buf[at++] = ':';
    at = put(buf, at, class_name, true, false);
    for (size_t i = 0; i < n_keys; i++) {
        bool quoted = sorted[i]->type == CIM_KEY_STRING;

        buf[at++] = i ? ',' : '.';
        at = put(buf, at, sorted[i]->name, false, false);
        buf[at++] = '=';
        if (quoted)
            buf[at++] = '"';
        at = put(buf, at, sorted[i]->value, false, quoted);
        if (quoted)
            buf[at++] = '"';
    }
    buf[at] = '\0';
    return buf;
}
