/* Implementation of the integration-test harness (see harness.h). */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#define PORT_TIMEOUT_MS 30000

/* Reads the server's first output line until it names the port. */
static int read_port(struct h_server *s)
{
    char line[256];
    size_t len = 0;

    while (len < sizeof(line) - 1) {
        struct pollfd pfd = {.fd = s->out_fd, .events = POLLIN};
        ssize_t n;
        char *colon;

        if (poll(&pfd, 1, PORT_TIMEOUT_MS) <= 0)
            break;
        n = read(s->out_fd, line + len, 1);
        if (n <= 0)
            break;
        len++;
        if (line[len - 1] != '\n')
            continue;
        line[len] = '\0';
        colon = strrchr(line, ':');
        if (strstr(line, "listening on") && colon) {
            s->port = (unsigned)atoi(colon + 1);
            return s->port ? 0 : -1;
        }
        len = 0;
    }
    fprintf(stderr, "harness: the server did not report its port (see %s/server.log)\n", s->dir);
    return -1;
}

static int spawn(struct h_server *s)
{
    const char *bin = getenv("REPLGW_BIN");
    char log[320];
    int pipefd[2];

    if (!bin)
        bin = "build/replgw";
    snprintf(log, sizeof(log), "%s/server.log", s->dir);
    if (pipe(pipefd) != 0)
        return -1;
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        const char *argv[48], *vg_dir = getenv("REPLGW_VALGRIND_DIR");
        char vg_log[320];
        int a = 0, fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

        /* A test that fails between h_start and h_cleanup (cmocka's failure jumps past the
         * cleanup) would leave its server running after the suite: it dies with the suite. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pipefd[1], 1);
        if (fd >= 0)
            dup2(fd, 2);
        close(pipefd[0]);
        /* make valgrind: the same tests with the server under memcheck, one log per process. */
        if (vg_dir) {
            snprintf(vg_log, sizeof(vg_log), "--log-file=%s/vg-%%p.log", vg_dir);
            argv[a++] = "valgrind";
            argv[a++] = "--leak-check=full";
            argv[a++] = "--errors-for-leak-kinds=definite";
            argv[a++] = vg_log;
        }
        argv[a++] = bin;
        argv[a++] = "--listen";
        argv[a++] = "127.0.0.1";
        argv[a++] = "--port";
        argv[a++] = "0";
        argv[a++] = "--db";
        argv[a++] = s->db;
        argv[a++] = "--system-name";
        argv[a++] = "tgt01";
        for (int i = 0; i < s->n_args; i++)
            argv[a++] = s->args[i];
        argv[a] = NULL;
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    s->out_fd = pipefd[0];
    return read_port(s);
}

int h_start(struct h_server *s, const char *const *args)
{
    memset(s, 0, sizeof(*s));
    s->out_fd = -1;
    snprintf(s->dir, sizeof(s->dir), "%s/replgw-test-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(s->dir)) {
        perror("harness: mkdtemp");
        return -1;
    }
    snprintf(s->db, sizeof(s->db), "%s/replgw.db", s->dir);
    for (int i = 0; args && args[i] && i < 16; i++) {
        snprintf(s->args[i], sizeof(s->args[i]), "%s", args[i]);
        s->n_args = i + 1;
    }
    return spawn(s);
}

struct h_server *h_new(const char *const *args)
{
    struct h_server *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    assert_int_equal(h_start(s, args), 0);
    return s;
}

void h_free(struct h_server *s)
{
    if (!s)
        return;
    h_cleanup(s);
    free(s);
}

int h_teardown(void **state)
{
    h_free(*state);
    return 0;
}

int h_status(const struct h_server *s, const char *method, const char *path, const char *headers,
             const char *body)
{
    struct h_resp r;
    int status;

    if (h_req(s, method, path, headers, body, &r) != 0)
        return -1;
    status = r.status;
    h_resp_free(&r);
    return status;
}

int h_restart(struct h_server *s)
{
    return spawn(s);
}

static int wait_exit(struct h_server *s)
{
    int status = 0;

    if (s->pid <= 0)
        return -1;
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    if (s->out_fd >= 0)
        close(s->out_fd);
    s->out_fd = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int h_stop(struct h_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    return wait_exit(s);
}

void h_kill(struct h_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    wait_exit(s);
}

void h_cleanup(struct h_server *s)
{
    char cmd[400];

    h_stop(s);
    if (s->dir[0] && !getenv("REPLGW_KEEP_TEST_DIRS")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", s->dir);
    }
    s->dir[0] = '\0';
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int h_connect(const struct h_server *s)
{
    return h_connect_rcvbuf(s, 0);
}

int h_connect_rcvbuf(const struct h_server *s, int rcvbuf)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    /* Before connect: the window the handshake offers follows the buffer. */
    if (fd >= 0 && rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    addr.sin_port = htons((uint16_t)s->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

void usleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

int h_req(const struct h_server *s, const char *method, const char *path, const char *headers,
          const char *body, struct h_resp *out)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    struct timeval tv = {.tv_sec = 15};
    char *buf = NULL, *sep;
    size_t len = 0, cap = 0;
    char head[32768]; /* a request line with hundreds of query parameters fits */
    int fd, hlen;
    bool has_ct = headers && contains_nocase(headers, "content-type:");

    memset(out, 0, sizeof(*out));
    addr.sin_port = htons((uint16_t)s->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        goto fail;
    hlen = snprintf(head, sizeof(head),
                    "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s%s",
                    method, path, s->port, headers ? headers : "",
                    body && !has_ct ? "Content-Type: application/json\r\n" : "");
    if (hlen < 0 || (size_t)hlen >= sizeof(head) - 64) { /* 64: room for the lines below */
        fprintf(stderr, "h_req: request head longer than %zu bytes\n", sizeof(head) - 64);
        goto fail;
    }
    if (body)
        hlen += snprintf(head + hlen, sizeof(head) - (size_t)hlen, "Content-Length: %zu\r\n",
                         strlen(body));
    hlen += snprintf(head + hlen, sizeof(head) - (size_t)hlen, "\r\n");
    if (send_all(fd, head, (size_t)hlen) != 0 || (body && send_all(fd, body, strlen(body)) != 0))
        goto fail;
    for (;;) {
        ssize_t n;

        if (cap - len < 4096) {
            char *grown = realloc(buf, cap + 65536);
            if (!grown)
                goto fail;
            buf = grown;
            cap += 65536;
        }
        n = recv(fd, buf + len, cap - len - 1, 0);
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!buf)
        return -1;
    buf[len] = '\0';
    sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) {
        free(buf);
        return -1;
    }
    *sep = '\0';
    out->head = buf;
    out->body = sep + 4;
    out->body_len = len - (size_t)(out->body - buf);
    if (out->body_len)
        out->json = json_loadb(out->body, out->body_len, 0, NULL);
    return 0;
fail:
    close(fd);
    free(buf);
    return -1;
}

const char *h_header(const struct h_resp *r, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);

    for (const char *line = r->head ? strstr(r->head, "\r\n") : NULL; line;
         line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2;
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            size_t vlen;

            v += strspn(v, " ");
            vlen = strcspn(v, "\r");
            snprintf(buf, len, "%.*s", (int)vlen, v);
            return buf;
        }
    }
    return NULL;
}

void h_resp_free(struct h_resp *r)
{
    json_decref(r->json);
    free(r->head);
    memset(r, 0, sizeof(*r));
}

long long h_db_count(const struct h_server *s, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;

    if (sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

int h_db_exec(const struct h_server *s, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READWRITE, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

const char *h_str(const json_t *j, const char *name)
{
    return json_string_value(json_object_get(j, name));
}

long long h_int(const json_t *j, const char *name)
{
    const json_t *v = json_object_get(j, name);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

int h_bool(const json_t *j, const char *name)
{
    const json_t *v = json_object_get(j, name);
    return json_is_boolean(v) ? json_is_true(v) : -1;
}
