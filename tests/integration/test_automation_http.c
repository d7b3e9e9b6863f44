/* Automation-grade HTTP over the real binary: Idempotency-Key (replay, mismatch, running,
 * restart, expiry), ETag with If-None-Match and If-Match, --require-if-match, list filters and
 * pagination that stays correct while rows change, CORS, request ids and the access log,
 * /readyz, /metrics and a SIGTERM with requests in flight. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static int setup(void **state)
{
    static const char *const args[] = {"--cors-origin", "https://dash.example", "--busy-timeout",
                                       "200", NULL};
    *state = h_new(args);
    return 0;
}

static void call(struct h_server *s, const char *method, const char *path, const char *headers,
                 const char *body, struct h_resp *r)
{
    assert_int_equal(h_req(s, method, path, headers, body, r), 0);
}

/* ---- Idempotency-Key ---- */

static void test_idempotent_retry_gets_same_answer(void **state)
{
    struct h_server *s = *state;
    struct h_resp a, b;
    char loc_a[64], loc_b[64], replayed[16];
    const char *key = "Idempotency-Key: create-1\r\n";

    call(s, "POST", "/replication-groups", key, "{}", &a);
    assert_int_equal(a.status, 201);
    call(s, "POST", "/replication-groups", key, "{}", &b);
    assert_int_equal(b.status, 201);
    assert_int_equal(a.body_len, b.body_len);
    assert_memory_equal(a.body, b.body, a.body_len);
    h_header(&a, "Location", loc_a, sizeof(loc_a));
    h_header(&b, "Location", loc_b, sizeof(loc_b));
    assert_string_equal(loc_a, loc_b);
    assert_non_null(h_header(&b, "Idempotent-Replayed", replayed, sizeof(replayed)));
    h_resp_free(&a);
    h_resp_free(&b);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 1);
    /* The stored answer survives a restart. */
    h_kill(s);
    assert_int_equal(h_restart(s), 0);
    call(s, "POST", "/replication-groups", key, "{}", &b);
    assert_int_equal(b.status, 201);
    assert_string_equal(h_str(b.json, "id"), "1");
    h_resp_free(&b);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 1);
    /* Without a key, POST stays non-idempotent. */
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{}"), 201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{}"), 201);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 3);
}

static void test_idempotency_key_reuse_and_errors(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    const char *key = "Idempotency-Key: k2\r\n";
    char replayed[16];

    assert_int_equal(h_status(s, "POST", "/replication-groups", key, "{\"GroupName\":\"a\"}"),
                     201);
    call(s, "POST", "/replication-groups", key, "{\"GroupName\":\"b\"}", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(h_str(r.json, "Parameter"), "Idempotency-Key");
    h_resp_free(&r);
    /* The same JSON spaced and ordered otherwise is the same request: a client library's
     * retry need not write it byte for byte; a body that is not JSON is compared as bytes. */
    assert_int_equal(h_status(s, "POST", "/replication-groups", "Idempotency-Key: k5\r\n",
                              "{\"GroupName\":\"c\",\"Persistent\":false}"),
                     201);
    call(s, "POST", "/replication-groups", "Idempotency-Key: k5\r\n",
         "{ \"Persistent\": false,\n  \"GroupName\": \"c\" }", &r);
    assert_int_equal(r.status, 201);
    assert_non_null(h_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    h_resp_free(&r);
    assert_int_equal(h_status(s, "POST", "/replication-groups", "Idempotency-Key: k5\r\n",
                              "{\"GroupName\":\"c\",\"Persistent\":true}"),
                     422);
    assert_int_equal(h_status(s, "POST", "/replication-groups", "Idempotency-Key: k6\r\n", "{x"),
                     400);
    assert_int_equal(h_status(s, "POST", "/replication-groups", "Idempotency-Key: k6\r\n", "{x"),
                     400);
    assert_int_equal(h_status(s, "POST", "/replication-groups", "Idempotency-Key: k6\r\n", "{y"),
                     422);
    /* An error answer is replayed as well (the first answer, not a new attempt). */
    assert_int_equal(
        h_status(s, "POST", "/replication-groups", "Idempotency-Key: k3\r\n", "{\"GroupName\":\"a\"}"),
        409);
    assert_int_equal(
        h_status(s, "POST", "/replication-groups", "Idempotency-Key: k3\r\n", "{\"GroupName\":\"a\"}"),
        409);
    call(s, "POST", "/replication-groups", "Idempotency-Key: " "\x01" "bad\r\n", "{}", &r);
    assert_int_equal(r.status, 400);
    h_resp_free(&r);
    /* The first request with a key is still running (its claim is in the store). */
    assert_int_equal(h_db_exec(s, "INSERT INTO idempotency (key, fingerprint, status, created)"
                                  " VALUES ('busy', 'x', 0, strftime('%s','now') + 5)"),
                     SQLITE_OK);
    call(s, "POST", "/replication-groups", "Idempotency-Key: busy\r\n", "{}", &r);
    assert_int_equal(r.status, 409);
    assert_string_equal(h_str(r.json, "Parameter"), "Idempotency-Key");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 2);
    /* A 412 is not kept: it judged the If-Match, not the request, and the retry with the
     * current tag runs (group 1 is at generation 1). */
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"v\"}"), 201);
    assert_int_equal(h_status(s, "POST", "/replication-groups/1/add-members",
                              "Idempotency-Key: k4\r\nIf-Match: \"g1.9\"\r\n",
                              "{\"Members\":[\"/logical-elements/1\"]}"),
                     412);
    call(s, "POST", "/replication-groups/1/add-members",
         "Idempotency-Key: k4\r\nIf-Match: \"g1.1\"\r\n", "{\"Members\":[\"/logical-elements/1\"]}",
         &r);
    assert_int_equal(r.status, 200);
    assert_null(h_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    h_resp_free(&r);
}

/* A refusal that wrote before it failed (RemoveMembers past a member not in the group) is kept
 * under its key as any answer is: the retry is replayed the 409, not run again once the member
 * has come (it was, after the writer began to run keyed changes in batches of their own). */
static void test_idempotency_keeps_a_refusal_that_wrote(void **state)
{
    struct h_server *s = *state;
    static const char body[] = "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/3\"]}";
    struct h_resp r;
    char replayed[16];

    for (int i = 0; i < 3; i++)
        assert_int_equal(h_status(s, "POST", "/logical-elements", NULL,
                                  i == 0 ? "{\"DeviceID\":\"a\"}"
                                  : i == 1 ? "{\"DeviceID\":\"b\"}"
                                           : "{\"DeviceID\":\"c\"}"),
                         201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL,
                              "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"]}"),
                     201);
    call(s, "POST", "/replication-groups/1/remove-members", "Idempotency-Key: rm-1\r\n", body, &r);
    assert_int_equal(r.status, 409);
    assert_int_equal(h_int(r.json, "ReturnValue"), 8);
    h_resp_free(&r);
    assert_int_equal(h_status(s, "POST", "/replication-groups/1/add-members", NULL,
                              "{\"Members\":[\"/logical-elements/3\"]}"),
                     200);
    call(s, "POST", "/replication-groups/1/remove-members", "Idempotency-Key: rm-1\r\n", body, &r);
    assert_int_equal(r.status, 409);
    assert_non_null(h_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member WHERE group_id = 1"), 3);
}

static void test_idempotency_keys_expire(void **state)
{
    static const char *const args[] = {"--idempotency-ttl", "1", NULL};
    struct h_server *s = h_new(args);
    const char *key = "Idempotency-Key: short-lived\r\n";

    (void)state;
    assert_int_equal(h_status(s, "POST", "/replication-groups", key, "{}"), 201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", key, "{}"), 201);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 1);
    sleep(2);
    assert_int_equal(h_status(s, "POST", "/replication-groups", key, "{}"), 201);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 2);
    h_free(s);
}

/* A retry that comes while the first request with its key still waits for the database is
 * 409 at once (it queued behind the first, and was answered the replay only when that ended);
 * another key goes on waiting, and the key is free again when the first is answered. */
static void test_idempotency_key_still_running(void **state)
{
    static const char *const args[] = {"--busy-timeout", "3000", NULL};
    static const char first[] = "POST /replication-groups HTTP/1.1\r\nHost: a\r\n"
                                "Content-Type: application/json\r\nContent-Length: 2\r\n"
                                "Idempotency-Key: slow\r\nConnection: close\r\n\r\n{}";
    struct h_server *s = h_new(args);
    struct h_resp r;
    sqlite3 *other;
    char got[16], replayed[16];
    int fd;

    (void)state;
    assert_int_equal(sqlite3_open(s->db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    fd = h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, first, sizeof(first) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(first) - 1);
    usleep_ms(300);
    call(s, "POST", "/replication-groups", "Idempotency-Key: slow\r\n", "{}", &r);
    assert_int_equal(r.status, 409);
    assert_string_equal(h_str(r.json, "Parameter"), "Idempotency-Key");
    assert_null(h_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    h_resp_free(&r);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_true(recv(fd, got, sizeof(got), MSG_WAITALL) > 12);
    assert_int_equal(strncmp(got, "HTTP/1.1 201", 12), 0);
    close(fd);
    call(s, "POST", "/replication-groups", "Idempotency-Key: slow\r\n", "{}", &r);
    assert_int_equal(r.status, 201);
    assert_non_null(h_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 1);
    h_free(s);
}

/* ---- ETags ---- */

/* Creates group 1 and copies the ETag its GET answers into etag (64 bytes). */
static void create_group_1(struct h_server *s, char etag[64])
{
    struct h_resp r;

    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{}"), 201);
    call(s, "GET", "/replication-groups/1", NULL, NULL, &r);
    assert_non_null(h_header(&r, "ETag", etag, 64));
    h_resp_free(&r);
}

static void test_if_none_match_gives_304(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char etag[64], hdr[128], length[32], full[32];

    create_group_1(s, etag);
    call(s, "GET", "/replication-groups/1", NULL, NULL, &r);
    snprintf(full, sizeof(full), "%zu", r.body_len);
    h_resp_free(&r);
    snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
    call(s, "GET", "/replication-groups/1", hdr, NULL, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    /* RFC 9110 8.6: a 304's Content-Length, if any, is the length the 200 would have had. */
    assert_non_null(h_header(&r, "Content-Length", length, sizeof(length)));
    assert_string_equal(length, full);
    assert_null(h_header(&r, "Content-Type", length, sizeof(length)));
    h_resp_free(&r);
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", NULL, "{\"ElementName\":\"n\"}"),
                     200);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1", hdr, NULL), 200);
}

/* RFC 9110 13.1.1: If-Match holds for a GET too, before If-None-Match; a representation
 * without an ETag (a list) matches only "*" in either, and a 404 stays a 404. */
static void test_if_match_on_get(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char etag[64], hdr[160];

    create_group_1(s, etag);
    snprintf(hdr, sizeof(hdr), "If-Match: \"g1.0\", %s\r\n", etag);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1", hdr, NULL), 200);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1", "If-Match: *\r\n", NULL), 200);
    snprintf(hdr, sizeof(hdr), "If-Match: W/%s\r\n", etag);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1", hdr, NULL), 412);
    call(s, "GET", "/replication-groups/1", "If-Match: \"g1.0\"\r\n", NULL, &r);
    assert_int_equal(r.status, 412);
    assert_string_equal(h_str(r.json, "type"), "https://replgw.dev/problems/precondition-failed");
    assert_string_equal(h_str(r.json, "Parameter"), "If-Match");
    h_resp_free(&r);
    snprintf(hdr, sizeof(hdr), "If-Match: \"g1.0\"\r\nIf-None-Match: %s\r\n", etag);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1", hdr, NULL), 412);
    assert_int_equal(h_status(s, "GET", "/replication-groups", "If-Match: \"g1.1\"\r\n", NULL),
                     412);
    assert_int_equal(h_status(s, "GET", "/replication-groups", "If-Match: *\r\n", NULL), 200);
    assert_int_equal(h_status(s, "GET", "/replication-groups/2", "If-Match: *\r\n", NULL), 404);
    /* If-None-Match likewise: "*" holds for any representation (304), a tag never for a list. */
    assert_int_equal(h_status(s, "GET", "/replication-groups", "If-None-Match: *\r\n", NULL),
                     304);
    assert_int_equal(h_status(s, "GET", "/replication-groups", "If-None-Match: \"g1.1\"\r\n",
                              NULL),
                     200);
}

/* RFC 9110 13.1.2: a change whose If-None-Match names the current version, or is "*", is 412
 * naming that header, and changes nothing; one naming an older version goes ahead. A failing
 * If-Match is named first. */
static void test_if_none_match_on_a_change(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char etag[64], hdr[128];

    create_group_1(s, etag);
    snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
    call(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"n\"}", &r);
    assert_int_equal(r.status, 412);
    assert_string_equal(h_str(r.json, "Parameter"), "If-None-Match");
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/1", "If-Match: \"g1.0\"\r\nIf-None-Match: *\r\n",
         "{\"ElementName\":\"n\"}", &r);
    assert_int_equal(r.status, 412);
    assert_string_equal(h_str(r.json, "Parameter"), "If-Match");
    h_resp_free(&r);
    assert_int_equal(h_status(s, "DELETE", "/replication-groups/1", "If-None-Match: *\r\n", NULL),
                     412);
    assert_int_equal(h_db_count(s, "SELECT generation FROM rgroup WHERE id = 1"), 1);
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", "If-None-Match: \"g1.0\"\r\n",
                              "{\"ElementName\":\"n\"}"),
                     200);
    assert_int_equal(h_status(s, "DELETE", "/replication-groups/1", hdr, NULL), 204);
}

/* --verbose adds debug lines: the writer's batches and the connections; without it there are
 * none. */
static void test_verbose_logs_debug_lines(void **state)
{
    static const char *const verbose[] = {"--verbose", NULL};
    struct h_server *v = h_new(verbose), *s = *state;
    char cmd[1200];

    (void)state;
    assert_int_equal(h_status(v, "POST", "/replication-groups", NULL, "{}"), 201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{}"), 201);
    snprintf(cmd, sizeof(cmd),
             "grep -q 'replgw: debug: writer: 1 change in .* ms, committed as one batch' "
             "'%s/server.log' && grep -q 'replgw: debug: connection from 127.0.0.1 port' "
             "'%s/server.log' && ! grep -q 'replgw: debug:' '%s/server.log'",
             v->dir, v->dir, s->dir);
    assert_int_equal(system(cmd), 0);
    h_free(v);
}

/* RFC 9110 13.1: a create's target is the collection, which exists and has no ETag, as a GET
 * of the list finds: If-Match holds only as "*", If-None-Match: * never. Nothing is written. */
static void test_preconditions_on_a_create(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    call(s, "POST", "/replication-groups", "If-Match: \"g1.1\"\r\n", "{}", &r);
    assert_int_equal(r.status, 412);
    assert_string_equal(h_str(r.json, "Parameter"), "If-Match");
    h_resp_free(&r);
    call(s, "POST", "/logical-elements", "If-None-Match: *\r\n", "{\"DeviceID\":\"v\"}", &r);
    assert_int_equal(r.status, 412);
    assert_string_equal(h_str(r.json, "Parameter"), "If-None-Match");
    h_resp_free(&r);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), 0);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM element"), 0);
    assert_int_equal(h_status(s, "POST", "/replication-groups", "If-Match: *\r\n"
                              "If-None-Match: \"g1.1\"\r\n", "{}"),
                     201);
}

/* If-Match and If-None-Match given as several lines are one list (RFC 9110 section 5.3): the
 * current tag on the second line counts as it does in a list on one line. */
static void test_repeated_condition_lines_are_one_list(void **state)
{
    struct h_server *s = *state;
    char etag[64], hdr[256];

    create_group_1(s, etag);
    snprintf(hdr, sizeof(hdr), "If-None-Match: \"x\"\r\nIf-None-Match: W/%s\r\n", etag);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1", hdr, NULL), 304);
    assert_int_equal(h_status(s, "GET", "/replication-groups/1",
                              "If-None-Match: \"x\"\r\nIf-None-Match: \"y\"\r\n", NULL),
                     200);
    snprintf(hdr, sizeof(hdr), "If-Match: \"x\"\r\nIf-Match: \"y\", %s\r\n", etag);
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"n\"}"),
                     200);
    /* The same lines again: the tag is stale now. */
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"m\"}"),
                     412);
    /* A client may send every tag it holds: an older version first does not hide the current. */
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"v\"}"), 201);
    assert_int_equal(h_status(s, "DELETE", "/logical-elements/1", "If-Match: \"e1.0\", \"e1.1\"\r\n",
                              NULL),
                     204);
    snprintf(hdr, sizeof(hdr), "If-Match: \"x\"\r\nIf-Match: \"g1.1\", \"g1.2\"\r\n");
    assert_int_equal(h_status(s, "DELETE", "/replication-groups/1", hdr, NULL), 204);
}

static void test_require_if_match(void **state)
{
    static const char *const args[] = {"--require-if-match", NULL};
    struct h_server *s = h_new(args);
    struct h_resp r;
    char etag[64], hdr[128];

    (void)state;
    call(s, "POST", "/replication-groups", NULL, "{}", &r);
    h_header(&r, "ETag", etag, sizeof(etag));
    h_resp_free(&r);
    call(s, "PATCH", "/replication-groups/1", NULL, "{\"ElementName\":\"x\"}", &r);
    assert_int_equal(r.status, 428);
    assert_string_equal(h_str(r.json, "Parameter"), "If-Match");
    h_resp_free(&r);
    assert_int_equal(h_status(s, "DELETE", "/replication-groups/1", NULL, NULL), 428);
    snprintf(hdr, sizeof(hdr), "If-Match: %s\r\n", etag);
    assert_int_equal(h_status(s, "PATCH", "/replication-groups/1", hdr, "{\"ElementName\":\"x\"}"),
                     200);
    /* What does not exist is 404 all the same: a client that deleted a group can see it gone
     * (add-members' with ReturnValue 7, as always). */
    assert_int_equal(h_status(s, "DELETE", "/replication-groups/9", NULL, NULL), 404);
    assert_int_equal(h_status(s, "DELETE", "/logical-elements/9", NULL, NULL), 404);
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"v\"}"), 201);
    call(s, "POST", "/replication-groups/9/add-members", NULL,
         "{\"Members\":[\"/logical-elements/1\"]}", &r);
    assert_int_equal(r.status, 404);
    assert_int_equal(h_int(r.json, "ReturnValue"), 7);
    h_resp_free(&r);
    /* A 428 is not kept under an Idempotency-Key: the retry with If-Match runs. */
    assert_int_equal(h_status(s, "POST", "/replication-groups/1/add-members",
                              "Idempotency-Key: k428\r\n", "{\"Members\":[\"/logical-elements/1\"]}"),
                     428);
    call(s, "GET", "/replication-groups/1", NULL, NULL, &r);
    h_header(&r, "ETag", etag, sizeof(etag));
    h_resp_free(&r);
    snprintf(hdr, sizeof(hdr), "Idempotency-Key: k428\r\nIf-Match: %s\r\n", etag);
    assert_int_equal(h_status(s, "POST", "/replication-groups/1/add-members", hdr,
                              "{\"Members\":[\"/logical-elements/1\"]}"),
                     200);
    h_free(s);
}

/* ---- lists ---- */

static void test_list_filters(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"v\"}"), 201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL,
                               "{\"GroupName\":\"db-1\",\"Members\":[\"/logical-elements/1\"]}"),
                     201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL,
                               "{\"GroupName\":\"db-2\",\"Persistent\":false}"),
                     201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{\"GroupName\":\"web\"}"),
                     201);
    call(s, "GET", "/replication-groups?ElementNamePrefix=db-", NULL, NULL, &r);
    assert_int_equal(h_int(r.json, "count"), 2);
    h_resp_free(&r);
    call(s, "GET", "/replication-groups?ElementNamePrefix=db-&Persistent=false", NULL, NULL, &r);
    assert_int_equal(h_int(r.json, "count"), 1);
    assert_string_equal(h_str(json_array_get(json_object_get(r.json, "items"), 0), "ElementName"),
                        "db-2");
    h_resp_free(&r);
    call(s, "GET", "/replication-groups?Member=/logical-elements/1", NULL, NULL, &r);
    assert_int_equal(h_int(r.json, "count"), 1);
    h_resp_free(&r);
    call(s, "GET", "/replication-groups?Persistent=maybe", NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(h_str(r.json, "Parameter"), "Persistent");
    h_resp_free(&r);
    call(s, "GET", "/replication-groups?Member=nonsense", NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(h_str(r.json, "Parameter"), "Member");
    h_resp_free(&r);
    /* The next link keeps the filters. */
    call(s, "GET", "/replication-groups?ElementNamePrefix=db-&limit=1", NULL, NULL, &r);
    assert_non_null(strstr(h_str(r.json, "next"), "ElementNamePrefix=db-"));
    h_resp_free(&r);
}

/* Rows added and deleted between pages: every row that exists throughout is seen exactly once. */
static void test_pagination_stable_under_changes(void **state)
{
    struct h_server *s = *state;
    char next[256] = "/replication-groups?limit=4", body[64];
    int seen[64] = {0}, page = 0;

    for (int i = 1; i <= 10; i++) {
        snprintf(body, sizeof(body), "{\"GroupName\":\"g%d\"}", i);
        assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, body), 201);
    }
    while (next[0]) {
        struct h_resp r;
        const json_t *items;

        call(s, "GET", next, NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        items = json_object_get(r.json, "items");
        for (size_t i = 0; i < json_array_size(items); i++)
            seen[atoi(h_str(json_array_get(items, i), "id"))]++;
        snprintf(next, sizeof(next), "%s", h_str(r.json, "next") ? h_str(r.json, "next") : "");
        h_resp_free(&r);
        if (page++ == 0) {
            /* Delete one row already seen and one not yet seen, add two new ones. */
            assert_int_equal(h_status(s, "DELETE", "/replication-groups/2", NULL, NULL), 204);
            assert_int_equal(h_status(s, "DELETE", "/replication-groups/7", NULL, NULL), 204);
            assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{}"), 201);
            assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{}"), 201);
        }
    }
    for (int id = 1; id <= 12; id++) {
        if (id == 7)
            assert_int_equal(seen[id], 0);
        else
            assert_int_equal(seen[id], 1);
    }
}

/* ---- browsers, ids, operations ---- */

static void test_cors(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char v[256];

    call(s, "GET", "/capabilities", "Origin: https://dash.example\r\n", NULL, &r);
    assert_non_null(h_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
    assert_string_equal(v, "https://dash.example");
    assert_non_null(h_header(&r, "Access-Control-Expose-Headers", v, sizeof(v)));
    assert_non_null(strstr(v, "ETag"));
    /* A dashboard reads the 401's challenge as it reads the ETag. */
    assert_non_null(strstr(v, "WWW-Authenticate"));
    h_resp_free(&r);
    call(s, "OPTIONS", "/replication-groups/1",
         "Origin: https://dash.example\r\nAccess-Control-Request-Method: PATCH\r\n"
         "Access-Control-Request-Headers: if-match, content-type\r\n",
         NULL, &r);
    assert_int_equal(r.status, 204);
    assert_non_null(h_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)));
    assert_non_null(strstr(v, "PATCH"));
    assert_non_null(h_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)));
    assert_non_null(strstr(v, "If-Match"));
    /* Asked for only by Chromium's Private Network Access preflight. */
    assert_null(h_header(&r, "Access-Control-Allow-Private-Network", v, sizeof(v)));
    h_resp_free(&r);
    for (int allowed = 1; allowed >= 0; allowed--) {
        char hdr[200];

        snprintf(hdr, sizeof(hdr),
                 "Origin: https://%s.example\r\nAccess-Control-Request-Method: POST\r\n"
                 "Access-Control-Request-Private-Network: true\r\n",
                 allowed ? "dash" : "evil");
        call(s, "OPTIONS", "/replication-groups", hdr, NULL, &r);
        assert_int_equal(r.status, 204);
        if (allowed)
            assert_string_equal(h_header(&r, "Access-Control-Allow-Private-Network", v, sizeof(v)),
                                "true");
        else
            assert_null(h_header(&r, "Access-Control-Allow-Private-Network", v, sizeof(v)));
        h_resp_free(&r);
    }
    call(s, "GET", "/capabilities", "Origin: https://evil.example\r\n", NULL, &r);
    assert_null(h_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
    /* The refusal too depends on Origin: a shared cache must not serve it to an allowed one. */
    assert_non_null(h_header(&r, "Vary", v, sizeof(v)));
    assert_string_equal(v, "Origin");
    h_resp_free(&r);
    call(s, "GET", "/capabilities", NULL, NULL, &r);
    assert_non_null(h_header(&r, "Vary", v, sizeof(v)));
    h_resp_free(&r);
}

static void test_request_id_echoed_and_logged(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;
    char v[160], log[400], cmd[600];

    call(s, "GET", "/livez", "X-Request-Id: trace-42\r\n", NULL, &r);
    assert_non_null(h_header(&r, "X-Request-Id", v, sizeof(v)));
    assert_string_equal(v, "trace-42");
    h_resp_free(&r);
    call(s, "GET", "/livez", NULL, NULL, &r);
    assert_non_null(h_header(&r, "X-Request-Id", v, sizeof(v)));
    assert_true(strlen(v) > 8);
    h_resp_free(&r);
    snprintf(log, sizeof(log), "%s/server.log", s->dir);
    snprintf(cmd, sizeof(cmd),
             "grep -q '\"method\":\"GET\",\"path\":\"/livez\",\"status\":200.*\"request_id\":"
             "\"trace-42\"' '%s'",
             log);
    assert_int_equal(system(cmd), 0);
    /* The bytes are those sent: none for HEAD, whose Content-Length is the GET's. */
    assert_int_equal(h_status(s, "HEAD", "/capabilities", "X-Request-Id: head-1\r\n", NULL), 200);
    snprintf(cmd, sizeof(cmd),
             "grep -q '\"method\":\"HEAD\",\"path\":\"/capabilities\",\"status\":200,"
             "\"bytes\":0,.*\"request_id\":\"head-1\"' '%s'",
             log);
    assert_int_equal(system(cmd), 0);
    /* A target that is not UTF-8 once unescaped is logged with its bytes escaped again. */
    assert_int_equal(h_status(s, "GET", "/x%E9y", "X-Request-Id: latin-1\r\n", NULL), 404);
    snprintf(cmd, sizeof(cmd),
             "grep -q '\"path\":\"/x%%E9y\",\"status\":404,.*\"request_id\":\"latin-1\"' '%s'",
             log);
    assert_int_equal(system(cmd), 0);
}

static void test_readyz_follows_the_database(void **state)
{
    struct h_server *s = *state;
    sqlite3 *other;

    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 200);
    assert_int_equal(sqlite3_open(s->db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 503);
    assert_int_equal(h_status(s, "GET", "/livez", NULL, NULL), 200);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 200);
}

/* A probe waits a second or so for its answer: with the lock held, /readyz says 503 within
 * half a second, not after the whole --busy-timeout a write would wait. */
static void test_readyz_answers_within_a_probe_timeout(void **state)
{
    static const char *const args[] = {"--busy-timeout", "5000", NULL};
    struct h_server *s = h_new(args);
    struct timespec t0, t1;
    sqlite3 *other;
    double took;

    (void)state;
    assert_int_equal(sqlite3_open(s->db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 503);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(took < 2.5);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 200);
    h_free(s);
}

/* README: /readyz means "the database takes writes". A file moved away from its path takes
 * them no more (they would go to an inode no start opens again), whatever the lock says: a
 * write is refused, not acknowledged and then lost. */
static void test_readyz_sees_the_file_gone(void **state)
{
    struct h_server *s = *state;
    char moved[sizeof(s->db) + 8];

    snprintf(moved, sizeof(moved), "%s.moved", s->db);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 200);
    assert_int_equal(rename(s->db, moved), 0);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 503);
    assert_int_equal(h_status(s, "GET", "/livez", NULL, NULL), 200);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{\"GroupName\":\"lost\"}"),
                     500);
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"lost\"}"), 500);
    /* With an Idempotency-Key the key's claim is refused first: still CreateGroup's 4 Failed. */
    {
        struct h_resp r;

        call(s, "POST", "/replication-groups", "Idempotency-Key: lost\r\n", "{}", &r);
        assert_int_equal(r.status, 500);
        assert_int_equal(h_int(r.json, "ReturnValue"), 4);
        h_resp_free(&r);
    }
    assert_int_equal(rename(moved, s->db), 0);
    assert_int_equal(h_status(s, "GET", "/readyz", NULL, NULL), 200);
    /* Not written: the name and the keys are free (taken ones would be 409). */
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{\"GroupName\":\"lost\"}"),
                     201);
    assert_int_equal(h_status(s, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"lost\"}"), 201);
}

static void test_metrics(void **state)
{
    struct h_server *s = *state;
    struct h_resp r;

    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL, "{}"), 201);
    assert_int_equal(h_status(s, "GET", "/replication-groups/77", NULL, NULL), 404);
    call(s, "GET", "/metrics", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "replgw_http_requests_total{route=\"/replication-groups\","
                                   "method=\"POST\",status=\"201\"} 1"));
    assert_non_null(strstr(r.body, "route=\"/replication-groups/{id}\",method=\"GET\","
                                   "status=\"404\"} 1"));
    assert_non_null(strstr(r.body, "replgw_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "replgw_db_transaction_duration_seconds_count"));
    assert_non_null(strstr(r.body, "replgw_groups 1\n"));
    assert_non_null(strstr(r.body, "replgw_members 0\n"));
    h_resp_free(&r);

    /* The member count follows creates, removals and deletes. */
    for (int i = 1; i <= 3; i++) {
        char body[32];

        snprintf(body, sizeof(body), "{\"DeviceID\":\"m%d\"}", i);
        assert_int_equal(h_status(s, "POST", "/logical-elements", NULL, body), 201);
    }
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL,
                              "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\"]}"),
                     201);
    assert_int_equal(h_status(s, "POST", "/replication-groups", NULL,
                              "{\"Members\":[\"/logical-elements/3\"]}"),
                     201);
    assert_int_equal(h_status(s, "POST", "/replication-groups/2/remove-members", NULL,
                              "{\"Members\":[\"/logical-elements/2\"]}"),
                     200);
    call(s, "GET", "/metrics", NULL, NULL, &r);
    assert_non_null(strstr(r.body, "replgw_groups 3\n"));
    assert_non_null(strstr(r.body, "replgw_members 2\n"));
    h_resp_free(&r);
    assert_int_equal(h_status(s, "DELETE", "/replication-groups/2?RemoveElements=true", NULL, NULL),
                     204);
    call(s, "GET", "/metrics", NULL, NULL, &r);
    assert_non_null(strstr(r.body, "replgw_groups 2\n"));
    assert_non_null(strstr(r.body, "replgw_members 1\n"));
    h_resp_free(&r);
}

/* ---- stopping ---- */

#define STOP_CLIENTS 4
#define STOP_ROUNDS 40

struct stop_client {
    struct h_server *s;
    int created;
    int bad;
};

static void *create_until_refused(void *arg)
{
    struct stop_client *c = arg;

    for (int i = 0; i < STOP_ROUNDS; i++) {
        struct h_resp r;

        if (h_req(c->s, "POST", "/replication-groups", NULL, "{}", &r) != 0)
            break; /* refused: the server has stopped listening */
        if (r.status == 201)
            c->created++;
        else if (r.status != 503)
            c->bad++;
        h_resp_free(&r);
    }
    return NULL;
}

static void test_sigterm_finishes_requests_in_flight(void **state)
{
    struct h_server *s = *state;
    struct stop_client clients[STOP_CLIENTS];
    pthread_t threads[STOP_CLIENTS];
    int created = 0;

    for (int i = 0; i < STOP_CLIENTS; i++) {
        clients[i] = (struct stop_client){s, 0, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, create_until_refused, &clients[i]), 0);
    }
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    assert_int_equal(h_stop(s), 0);
    for (int i = 0; i < STOP_CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(clients[i].bad, 0);
        created += clients[i].created;
    }
    /* Every acknowledged create is stored, and nothing else. */
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup"), created);
}

/* A request still unfinished when --shutdown-grace runs out does not hold the stop, and the log
 * says it was cut off. */
static void test_sigterm_after_the_grace_says_so(void **state)
{
    static const char *const args[] = {"--shutdown-grace", "1", NULL};
    static const char partial[] = "POST /replication-groups HTTP/1.1\r\nHost: a\r\n"
                                  "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{";
    struct h_server *s = h_new(args);
    char cmd[600];
    int fd = h_connect(s);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, partial, sizeof(partial) - 1), (ssize_t)(sizeof(partial) - 1));
    usleep_ms(200);
    assert_int_equal(h_stop(s), 0);
    close(fd);
    snprintf(cmd, sizeof(cmd),
             "grep -q 'stopping with 1 request(s) cut off after --shutdown-grace 1 s' "
             "'%s/server.log'",
             s->dir);
    assert_int_equal(system(cmd), 0);
    h_free(s);
}

static void *commit_later(void *db)
{
    usleep_ms(1500);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

/* A change still waiting for the database when the grace runs out is finished, not cut off: it
 * commits once the lock is free, its client gets the 201, and the log cuts nothing off. */
static void test_sigterm_finishes_a_change_past_the_grace(void **state)
{
    static const char *const args[] = {"--shutdown-grace", "1", "--busy-timeout", "5000", NULL};
    static const char post[] = "POST /replication-groups HTTP/1.1\r\nHost: a\r\n"
                               "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    struct h_server *s = h_new(args);
    struct pollfd pfd = {.events = POLLIN};
    char out[2048] = "", cmd[700];
    sqlite3 *other;
    pthread_t t;
    ssize_t n;

    (void)state;
    assert_int_equal(sqlite3_open(s->db, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    pfd.fd = h_connect(s);
    assert_true(pfd.fd >= 0);
    assert_int_equal(write(pfd.fd, post, sizeof(post) - 1), (ssize_t)(sizeof(post) - 1));
    usleep_ms(200);
    assert_int_equal(pthread_create(&t, NULL, commit_later, other), 0);
    assert_int_equal(h_stop(s), 0);
    pthread_join(t, NULL);
    sqlite3_close(other);
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    n = read(pfd.fd, out, sizeof(out) - 1);
    assert_true(n > 0);
    out[n] = '\0';
    close(pfd.fd);
    assert_true(strncmp(out, "HTTP/1.1 201 ", 13) == 0);
    snprintf(cmd, sizeof(cmd),
             "! grep -q 'cut off' '%s/server.log' && "
             "grep -q '\"status\":201,.*\"completed\":true' '%s/server.log'",
             s->dir, s->dir);
    assert_int_equal(system(cmd), 0);
    h_free(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, h_teardown)
    const struct CMUnitTest tests[] = {
        T(test_idempotent_retry_gets_same_answer),
        T(test_idempotency_key_reuse_and_errors),
        T(test_idempotency_keeps_a_refusal_that_wrote),
        cmocka_unit_test(test_idempotency_keys_expire),
        cmocka_unit_test(test_idempotency_key_still_running),
        cmocka_unit_test(test_readyz_answers_within_a_probe_timeout),
        T(test_if_none_match_gives_304),
        T(test_if_match_on_get),
        T(test_if_none_match_on_a_change),
        T(test_repeated_condition_lines_are_one_list),
        cmocka_unit_test(test_require_if_match),
        T(test_list_filters),
        T(test_pagination_stable_under_changes),
        T(test_cors),
        T(test_request_id_echoed_and_logged),
        T(test_preconditions_on_a_create),
        T(test_verbose_logs_debug_lines),
        T(test_readyz_follows_the_database),
        T(test_readyz_sees_the_file_gone),
        T(test_metrics),
        T(test_sigterm_finishes_requests_in_flight),
        cmocka_unit_test(test_sigterm_after_the_grace_says_so),
        cmocka_unit_test(test_sigterm_finishes_a_change_past_the_grace),
    };

    return cmocka_run_group_tests_name("automation_http", tests, NULL, NULL);
}
