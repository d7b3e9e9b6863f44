/* Bearer tokens: a file of SHA-256 hashes, one per line with its scope ("<hex> read" or
 * "<hex> write"; '#' starts a comment), the check of an Authorization header against it in
 * constant time, and `replgw token add`, which makes a token and appends its hash. Only hashes
 * are stored, so the file does not give the tokens away. */
#include "server/srv.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_LEN 32
#define TOKEN_BYTES 32

struct srv_token {
    unsigned char hash[HASH_LEN];
    bool write;
};

static int sha256(const char *text, size_t len, unsigned char out[HASH_LEN])
{
    return gnutls_hash_fast(GNUTLS_DIG_SHA256, text, len, out) == 0 ? 0 : -1;
}

/* Parses "<64 hex> read|write"; returns 0, or -1 for a malformed line. */
static int parse_line(const char *line, struct srv_token *t)
{
    const char *p = line;
    char scope[16];
    size_t len;

    for (int i = 0; i < HASH_LEN; i++, p += 2) {
        int hi = rg_hex_value(p[0]), lo = hi < 0 ? -1 : rg_hex_value(p[1]);

        if (hi < 0 || lo < 0)
            return -1;
        t->hash[i] = (unsigned char)(hi * 16 + lo);
    }
    if (*p != ' ' && *p != '\t')
        return -1;
    p += strspn(p, " \t");
    len = strcspn(p, " \t");
    /* One word, and nothing after it: "write extra" may mean something the server would not. */
    if (len >= sizeof(scope) || p[len + strspn(p + len, " \t")] != '\0')
        return -1;
    memcpy(scope, p, len);
    scope[len] = '\0';
    if (strcmp(scope, "write") == 0)
        t->write = true;
    else if (strcmp(scope, "read") == 0)
        t->write = false;
    else
        return -1;
    return 0;
}

int srv_auth_load(const char *path, struct srv_auth *out, char *why, size_t why_len)
{
    /* Not blocking: opening a FIFO to read would wait for a writer, with the stop signals
     * already blocked. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f = NULL;
    struct stat st;
    char line[256];
    int lineno = 0, rc = -1;

    memset(out, 0, sizeof(*out));
    if (fd < 0) {
        snprintf(why, why_len, "cannot read the tokens file %s: %s", path, strerror(errno));
        return -1;
    }
    /* A device or a FIFO (/dev/zero) would be read for ever, before the signals are heard. */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SRV_TOKENS_MAX_BYTES) {
        snprintf(why, why_len, "the tokens file %s is %s", path,
                 S_ISDIR(st.st_mode)   ? "a directory"
                 : !S_ISREG(st.st_mode) ? "not a regular file"
                                        : "larger than 1 MiB");
        close(fd);
        return -1;
    }
    if (!(f = fdopen(fd, "r"))) {
        snprintf(why, why_len, "cannot read the tokens file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        struct srv_token t;
        size_t len = strcspn(line, "#\r\n");

        lineno++;
        line[len] = '\0';
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (parse_line(line, &t) != 0) {
            snprintf(why, why_len,
                     "%s line %d: expected a SHA-256 hex hash and 'read' or 'write' (make tokens "
                     "with 'replgw token add')",
                     path, lineno);
            goto out;
        }
        /* Which of two scopes would count is no guess to leave to the order of the lines. */
        for (size_t i = 0; i < out->n; i++)
            if (memcmp(out->tokens[i].hash, t.hash, HASH_LEN) == 0) {
                snprintf(why, why_len,
                         "%s line %d: the token is already listed above; keep one line for it",
                         path, lineno);
                goto out;
            }
        if (out->n == out->cap) {
            size_t ncap = out->cap ? out->cap * 2 : 8;
            struct srv_token *grown = realloc(out->tokens, ncap * sizeof(*grown));

            if (!grown) {
                snprintf(why, why_len, "out of memory");
                goto out;
            }
            out->tokens = grown;
            out->cap = ncap;
        }
        out->tokens[out->n++] = t;
    }
    /* A folder opens, then fails to read (EISDIR): that is no empty file. */
    if (ferror(f)) {
        snprintf(why, why_len, "cannot read the tokens file %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    fclose(f);
    if (rc != 0)
        srv_auth_free(out);
    return rc;
}

void srv_auth_warn(const char *path, const struct srv_auth *a)
{
    struct stat st;

    /* Both are allowed (a server locked for everyone; a file another tool keeps), but neither
     * is likely meant. */
    if (a->n == 0)
        rg_log(RG_LOG_WARN, "the tokens file %s holds no token: every request but the probes "
                            "will be 401",
               path);
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        rg_log(RG_LOG_WARN, "the tokens file %s can be read by others (mode %03o): it holds "
                            "hashes, not tokens, but chmod 600 it",
               path, (unsigned)(st.st_mode & 0777));
}

void srv_auth_free(struct srv_auth *a)
{
    if (!a)
        return;
    free(a->tokens);
    memset(a, 0, sizeof(*a));
}

/* Writes the n bytes of b as 2n lowercase hex digits and a NUL at out. */
static void to_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

enum srv_auth_result srv_auth_check(const struct srv_auth *a, const char *header, bool write,
                                    char client[SRV_CLIENT_LEN + 1])
{
    unsigned char hash[HASH_LEN];
    const char *token;
    size_t len;
    int found = -1;

    /* Another scheme (Basic, say) is no Bearer token at all: RFC 6750 §3.1 asks for the bare
     * challenge then, without an error code. */
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return SRV_AUTH_MISSING;
    token = header + 7;
    token += strspn(token, " \t");
    len = strlen(token);
    /* Whitespace around a field value is not part of it (RFC 9110 5.5). */
    while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
        len--;
    if (len == 0 || sha256(token, len, hash) != 0)
        return SRV_AUTH_BAD;
    /* Compare with every stored hash, all bytes each time: the time taken tells nothing about
     * which token, or how much of one, matched. */
    for (size_t i = 0; i < a->n; i++) {
        unsigned char diff = 0;

        for (int b = 0; b < HASH_LEN; b++)
            diff |= (unsigned char)(a->tokens[i].hash[b] ^ hash[b]);
        if (diff == 0 && found < 0)
            found = (int)i;
    }
    if (found < 0)
        return SRV_AUTH_BAD;
    if (write && !a->tokens[found].write)
        return SRV_AUTH_FORBIDDEN;
    to_hex(a->tokens[found].hash, SRV_CLIENT_LEN / 2, client);
    return SRV_AUTH_OK;
}

int srv_token_add(const char *path, const char *scope, FILE *out, char *why, size_t why_len)
{
    unsigned char raw[TOKEN_BYTES], hash[HASH_LEN];
    char token[2 * TOKEN_BYTES + 8], line[2 * HASH_LEN + 16];
    struct stat st;
    size_t at = 0;
    char last = '\n';
    int fd;

    if (strcmp(scope, "read") != 0 && strcmp(scope, "write") != 0) {
        snprintf(why, why_len, "--scope must be read or write");
        return -1;
    }
    if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) != 0) {
        snprintf(why, why_len, "no random numbers available");
        return -1;
    }
    memcpy(token, "rgw_", 4);
    to_hex(raw, TOKEN_BYTES, token + 4);
    if (sha256(token, strlen(token), hash) != 0) {
        snprintf(why, why_len, "cannot hash the token");
        return -1;
    }
    /* A file the server would refuse stays as it is: a token added to it would never work. */
    if (access(path, F_OK) == 0) {
        struct srv_auth existing;

        if (srv_auth_load(path, &existing, why, why_len) != 0)
            return -1;
        srv_auth_free(&existing);
    }
    /* The file holds only hashes, but keep it private all the same. */
    fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0600);
    /* A file edited by hand may end without a newline: the new line must not join its last. */
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 &&
        pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
        line[at++] = '\n';
    to_hex(hash, HASH_LEN, line + at);
    snprintf(line + at + 2 * HASH_LEN, sizeof(line) - at - 2 * HASH_LEN, " %s\n", scope);
    if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd) != 0) {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    fprintf(out, "%s\n", token);
    return 0;
}
