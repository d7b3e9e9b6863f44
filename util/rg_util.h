/* Small helpers every module may use: array length, string duplication with a NULL-safe free,
 * logging. libc only; nothing here knows about HTTP, JSON or SQL. */
#ifndef RG_UTIL_H
#define RG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define RG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RG_PRINTF(fmt, args)
#endif

enum rg_log_level { RG_LOG_DEBUG, RG_LOG_INFO, RG_LOG_WARN, RG_LOG_ERROR };

/* Writes one line "replgw: LEVEL: message" to stderr. Thread-safe (one fprintf per line). */
void rg_log(enum rg_log_level level, const char *fmt, ...) RG_PRINTF(2, 3);

/* Sets the lowest level that rg_log prints (default RG_LOG_INFO); called before any thread
 * starts, as rg_log reads it unlocked. */
void rg_log_set_level(enum rg_log_level level);
/* Whether rg_log prints level: for a debug line whose figures cost something to gather. */
bool rg_log_enabled(enum rg_log_level level);

/* Seconds on CLOCK_MONOTONIC: for durations and deadlines, which the wall clock may jump. */
double rg_monotonic_seconds(void);

/* Returns a new copy of s (caller frees), or NULL when s is NULL or memory runs out. */
char *rg_strdup(const char *s);

/* Returns a new copy of the first n bytes of s plus a NUL (caller frees), NULL on OOM. */
char *rg_strndup(const char *s, size_t n);

/* Returns a new string formatted like printf (caller frees), NULL on OOM. */
char *rg_asprintf(const char *fmt, ...) RG_PRINTF(1, 2);

/* Case-insensitive ASCII comparison, as CIM uses for namespace, class and property names. */
int rg_strcasecmp(const char *a, const char *b);
/* rg_strcasecmp on at most the first n bytes of each. */
int rg_strncasecmp(const char *a, const char *b, size_t n);
/* The length of a leading "http://" or "https://" in s, the scheme in any case as RFC 3986
 * compares it; 0 when s starts otherwise. */
size_t rg_http_scheme_len(const char *s);
/* The value of hex digit c (either case), or -1 when it is none. */
int rg_hex_value(char c);

/* The length (1 to 4 bytes) of the UTF-8 character at the start of s (len bytes), its code
 * point in *cp when cp is not NULL; 0 when s starts with no character: a broken sequence, an
 * overlong form, a surrogate, a value past U+10FFFF, or len 0. */
size_t rg_utf8_char(const char *s, size_t len, uint32_t *cp);
/* True when s (len bytes) is valid UTF-8 with no control characters (C0, DEL or C1). */
bool rg_utf8_is_clean_text(const char *s, size_t len);

/* A growing text. Start from {0}; p is NUL-terminated once anything was added. After an
 * allocation failure failed stays set and further adds do nothing; free p either way. */
struct rg_buf {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
};

/* Appends n bytes of s. */
void rg_buf_add(struct rg_buf *b, const char *s, size_t n);

#endif
