/* Integration-test harness: starts the real replgw binary ($REPLGW_BIN) on 127.0.0.1 with
 * --port 0 and a database in a fresh temporary folder, reads the port it prints, and speaks
 * HTTP/1.1 to it over a plain socket. Also opens the database file so tests can check what was
 * stored, and tamper with it to inject storage faults. Nothing here is mocked. */
#ifndef HARNESS_H
#define HARNESS_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <sys/types.h>

struct h_server {
    pid_t pid;
    unsigned port;
    int out_fd;      /* the server's standard output */
    char dir[256];   /* temporary folder holding the database and the server's log */
    char db[320];
    char args[16][128]; /* extra flags, kept for restarts */
    int n_args;
};

struct h_resp {
    int status;
    char *head; /* status line and headers */
    char *body;
    size_t body_len;
    json_t *json; /* parsed body, or NULL */
};

/* Starts a server in a new temporary folder with extra flags (NULL-terminated list, may be
 * NULL). Returns 0, or -1 after printing why. */
int h_start(struct h_server *s, const char *const *args);

/* h_start on a new heap struct; fails the running cmocka test when the server does not come
 * up. Release with h_free. */
struct h_server *h_new(const char *const *args);

/* h_cleanup, then frees s. NULL-safe. */
void h_free(struct h_server *s);

/* cmocka teardown for a fixture whose state is a server from h_new. */
int h_teardown(void **state);

/* The status of one request (see h_req), or -1 on a transport failure. */
int h_status(const struct h_server *s, const char *method, const char *path, const char *headers,
             const char *body);

/* Starts the server again on the same folder and database (after h_stop or h_kill). */
int h_restart(struct h_server *s);

/* SIGTERM, then waits; returns the exit status (or -1). */
int h_stop(struct h_server *s);

/* SIGKILL, then waits. */
void h_kill(struct h_server *s);

/* Stops the server if it runs and removes its folder. */
void h_cleanup(struct h_server *s);

/* Sends one request (Connection: close). headers: extra raw header lines each ending in
 * "\r\n", or NULL. body: NULL for none; with a body and no Content-Type in headers,
 * "Content-Type: application/json" is sent. Returns 0, or -1 on a transport failure. */
int h_req(const struct h_server *s, const char *method, const char *path, const char *headers,
          const char *body, struct h_resp *out);

/* Opens a TCP connection to the server and leaves it idle; returns the socket or -1. */
int h_connect(const struct h_server *s);
/* h_connect with a receive buffer of rcvbuf bytes (0: the system's), for a client that reads
 * slowly and must not have the server's answer sit in its own buffer. */
int h_connect_rcvbuf(const struct h_server *s, int rcvbuf);

/* Sleeps ms milliseconds. */
void usleep_ms(unsigned ms);

/* Copies the value of header name (case-insensitive) into buf; returns buf or NULL. */
const char *h_header(const struct h_resp *r, const char *name, char *buf, size_t len);

void h_resp_free(struct h_resp *r);

/* Runs a one-number query on the server's database file; -1 on error. */
long long h_db_count(const struct h_server *s, const char *sql);

/* Runs SQL on the server's database file (fault injection, locks); returns the SQLite code. */
int h_db_exec(const struct h_server *s, const char *sql);

/* Shorthands on a parsed JSON body: the string / integer / boolean member name, or NULL/-1. */
const char *h_str(const json_t *j, const char *name);
long long h_int(const json_t *j, const char *name);
int h_bool(const json_t *j, const char *name);

#endif
