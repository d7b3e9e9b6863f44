/* Implementation of util/rg_util.h. */
#include "util/rg_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum rg_log_level min_level = RG_LOG_INFO;

void rg_log_set_level(enum rg_log_level level)
{
    min_level = level;
}

bool rg_log_enabled(enum rg_log_level level)
{
    return level >= min_level;
}

void rg_log(enum rg_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char line[1024];
    va_list ap;

    if (!rg_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "replgw: %s: %s\n", names[level], line);
}

char *rg_strdup(const char *s)
{
    return s ? rg_strndup(s, strlen(s)) : NULL;
}

char *rg_strndup(const char *s, size_t n)
{
    char *copy = malloc(n + 1);

    if (!copy)
        return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *rg_asprintf(const char *fmt, ...)
{
    va_list ap;
    int len;
    char *s;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    s = malloc((size_t)len + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

int rg_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int rg_strcasecmp(const char *a, const char *b)
{
    return rg_strncasecmp(a, b, SIZE_MAX);
}

size_t rg_http_scheme_len(const char *s)
{
    return rg_strncasecmp(s, "http://", 7) == 0 ? 7 : rg_strncasecmp(s, "https://", 8) == 0 ? 8 : 0;
}

int rg_strncasecmp(const char *a, const char *b, size_t n)
{
    unsigned char ca, cb;

    if (n == 0)
        return 0;
    do {
        ca = (unsigned char)*a++;
        cb = (unsigned char)*b++;
        if (ca >= 'A' && ca <= 'Z')
            ca = (unsigned char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (unsigned char)(cb - 'A' + 'a');
    } while (ca && ca == cb && --n);
    return ca - cb;
}

size_t rg_utf8_char(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c;
    size_t n;

    if (len == 0)
        return 0;
    if (*p < 0x80) {
        c = *p;
        n = 1;
    } else if ((*p & 0xE0) == 0xC0) {
        c = *p & 0x1F;
        n = 2;
    } else if ((*p & 0xF0) == 0xE0) {
        c = *p & 0x0F;
        n = 3;
    } else if ((*p & 0xF8) == 0xF0) {
        c = *p & 0x07;
        n = 4;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
        (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0;
    if (cp)
        *cp = c;
    return n;
}

bool rg_utf8_is_clean_text(const char *s, size_t len)
{
    while (len > 0) {
        uint32_t cp;
        size_t n = rg_utf8_char(s, len, &cp);

        if (n == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
            return false;
        s += n;
        len -= n;
    }
    return true;
}

void rg_buf_add(struct rg_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *grown;

        while (cap < b->len + n + 1)
            cap *= 2;
        grown = realloc(b->p, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

double rg_monotonic_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
