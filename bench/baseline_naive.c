/* The naive server issue 6 measures creates against: libmicrohttpd with one epoll thread per CPU
 * (as replgw), the POST body of create.lua parsed with jansson, and each create written and
 * committed alone (WAL, synchronous=FULL) under one mutex before it is answered with 201.
 * The SQL is baseline_storage.c's: a group, its 8 ordered members, a setting row.
 * Usage: baseline_naive DB. Prints "listening on PORT" and serves until killed. */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline_sql.h"

#define MAX_BODY 65536

struct req {
    char body[MAX_BODY];
    size_t len;
};

static sqlite3 *db;
static sqlite3_stmt *st[3];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int must(int rc)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "baseline_naive: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    return rc;
}

/* One create, committed alone: returns the new group's id. */
static sqlite3_int64 create(const long long *elements, size_t n)
{
    sqlite3_int64 id;

    pthread_mutex_lock(&lock);
    must(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
    must(sqlite3_step(st[0]));
    sqlite3_reset(st[0]);
    id = sqlite3_last_insert_rowid(db);
    for (size_t m = 0; m < n; m++) {
        sqlite3_bind_int64(st[1], 1, id);
        sqlite3_bind_int64(st[1], 2, elements[m]);
        sqlite3_bind_int64(st[1], 3, (sqlite3_int64)m + 1);
        must(sqlite3_step(st[1]));
        sqlite3_reset(st[1]);
    }
    sqlite3_bind_int64(st[2], 1, id);
    must(sqlite3_step(st[2]));
    sqlite3_reset(st[2]);
    must(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
    pthread_mutex_unlock(&lock);
    return id;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                                MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Reads {"Members": ["/logical-elements/N", ...]} and creates the group. */
static enum MHD_Result handle(struct MHD_Connection *conn, const struct req *r)
{
    long long elements[64];
    size_t n = 0, i;
    json_t *root = json_loadb(r->body, r->len, 0, NULL), *members, *m;
    char text[96];

    members = json_object_get(root, "Members");
    if (!json_is_array(members) || json_array_size(members) > 64) {
        json_decref(root);
        return reply(conn, 400, "{\"detail\":\"Members must be an array\"}");
    }
    json_array_foreach(members, i, m) {
        const char *s = json_string_value(m);

        if (!s || sscanf(s, "/logical-elements/%lld", &elements[n]) != 1) {
            json_decref(root);
            return reply(conn, 400, "{\"detail\":\"bad member\"}");
        }
        n++;
    }
    json_decref(root);
    snprintf(text, sizeof(text), "{\"id\":\"%lld\",\"ReturnValue\":0}",
             (long long)create(elements, n));
    return reply(conn, 201, text);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    struct req *r = *state;

    (void)cls, (void)url, (void)method, (void)version;
    if (!r) {
        *state = calloc(1, sizeof(*r));
        return *state ? MHD_YES : MHD_NO;
    }
    if (*size) {
        if (r->len + *size > MAX_BODY)
            return MHD_NO;
        memcpy(r->body + r->len, data, *size);
        r->len += *size;
        *size = 0;
        return MHD_YES;
    }
    return handle(conn, r);
}

static void done(void *cls, struct MHD_Connection *conn, void **state,
                 enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    free(*state);
    *state = NULL;
}

int main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (argc < 2 || sqlite3_open(argv[1], &db) != SQLITE_OK)
        return 1;
    must(sqlite3_exec(db,
                      BASELINE_SCHEMA,
                      NULL, NULL, NULL));
    must(sqlite3_prepare_v2(db, "INSERT INTO g (name, p, s) VALUES (NULL, 1, 1)", -1, &st[0],
                            NULL));
    must(sqlite3_prepare_v2(db, "INSERT INTO m VALUES (?1, ?2, ?3)", -1, &st[1], NULL));
    must(sqlite3_prepare_v2(db, "INSERT INTO sp VALUES (?1, 0, 'ElementName', 'bench')", -1,
                            &st[2], NULL));
    d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, answer, NULL,
                         MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_THREAD_POOL_SIZE,
                         (unsigned)(cpus > 1 ? cpus : 1), MHD_OPTION_NOTIFY_COMPLETED, done,
                         NULL, MHD_OPTION_END);
    if (!d)
        return 1;
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on %u\n", info->port);
    fflush(stdout);
    pause();
    MHD_stop_daemon(d);
    return 0;
}
