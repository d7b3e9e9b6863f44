/* Reliability over the real binary: racing clients get exactly one winner, and a server killed
 * with SIGKILL at random moments keeps every change it acknowledged, whole, and nothing half
 * made. REPLGW_CRASH_ROUNDS sets how many kills (default 3; `make soak` runs more). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define RACERS 8

struct racer {
    struct h_server *s;
    const char *method;
    char path[64];
    const char *body;
    pthread_barrier_t *start;
    int status;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct h_resp resp;

    pthread_barrier_wait(r->start);
    r->status = h_req(r->s, r->method, r->path, NULL, r->body, &resp) == 0 ? resp.status : -1;
    h_resp_free(&resp);
    return NULL;
}

/* Runs RACERS requests at once, racer i to paths[i]. */
static void run_race(struct h_server *s, const char *method, char paths[RACERS][64],
                     const char *body, int statuses[RACERS])
{
    struct racer racers[RACERS];
    pthread_t threads[RACERS];
    pthread_barrier_t start;

    pthread_barrier_init(&start, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){.s = s, .method = method, .body = body, .start = &start};
        memcpy(racers[i].path, paths[i], sizeof(racers[i].path));
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        statuses[i] = racers[i].status;
    }
    pthread_barrier_destroy(&start);
}

static int count(const int statuses[RACERS], int status)
{
    int n = 0;

    for (int i = 0; i < RACERS; i++)
        n += statuses[i] == status;
    return n;
}

static void test_same_name_has_one_winner(void **state)
{
    struct h_server s;
    int statuses[RACERS];
    char paths[RACERS][64];

    (void)state;
    for (int i = 0; i < RACERS; i++)
        snprintf(paths[i], sizeof(paths[i]), "/replication-groups");
    assert_int_equal(h_start(&s, NULL), 0);
    run_race(&s, "POST", paths, "{\"GroupName\":\"contended\"}", statuses);
    assert_int_equal(count(statuses, 201), 1);
    assert_int_equal(count(statuses, 409), RACERS - 1);
    assert_int_equal(h_db_count(&s, "SELECT count(*) FROM rgroup"), 1);
    h_cleanup(&s);
}

static void test_one_element_into_many_groups_has_one_winner(void **state)
{
    struct h_server s;
    struct h_resp r;
    int statuses[RACERS];
    char paths[RACERS][64];

    (void)state;
    for (int i = 0; i < RACERS; i++)
        snprintf(paths[i], sizeof(paths[i]), "/replication-groups/%d/add-members", i + 1);
    assert_int_equal(h_start(&s, NULL), 0);
    assert_int_equal(h_req(&s, "POST", "/logical-elements", NULL, "{\"DeviceID\":\"shared\"}", &r),
                     0);
    h_resp_free(&r);
    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(h_req(&s, "POST", "/replication-groups", NULL, "{}", &r), 0);
        assert_int_equal(r.status, 201);
        h_resp_free(&r);
    }
    run_race(&s, "POST", paths, "{\"Members\":[\"/logical-elements/1\"]}", statuses);
    assert_int_equal(count(statuses, 200), 1);
    assert_int_equal(count(statuses, 409), RACERS - 1);
    assert_int_equal(h_db_count(&s, "SELECT count(*) FROM member"), 1);
    h_cleanup(&s);
}

/* ---- crash test ---- */

#define WORKERS 3
#define MAX_OPS 200

struct worker {
    struct h_server *s;
    int acked_groups[MAX_OPS]; /* ids created with 201 */
    bool acked_add[MAX_OPS];   /* and whose add-members got 200 */
    int n;
};

/* Creates groups of three elements and adds a fourth, until the server stops answering. */
static void *work(void *arg)
{
    struct worker *w = arg;

    while (w->n < MAX_OPS) {
        struct h_resp r;
        char path[64];
        int id;

        if (h_req(w->s, "POST", "/replication-groups", NULL,
                  "{\"Members\":[\"/logical-elements/1\",\"/logical-elements/2\","
                  "\"/logical-elements/3\"],\"ReplicationSettingData\":{\"ElementName\":\"c\"}}",
                  &r) != 0)
            return NULL;
        if (r.status != 201) {
            h_resp_free(&r);
            return NULL;
        }
        id = atoi(h_str(r.json, "id"));
        h_resp_free(&r);
        w->acked_groups[w->n] = id;
        w->acked_add[w->n] = false;
        w->n++;
        snprintf(path, sizeof(path), "/replication-groups/%d/add-members", id);
        if (h_req(w->s, "POST", path, NULL, "{\"Members\":[\"/logical-elements/4\"]}", &r) != 0)
            return NULL;
        w->acked_add[w->n - 1] = r.status == 200;
        h_resp_free(&r);
    }
    return NULL;
}

static void verify_after_crash(struct h_server *s, struct worker *workers)
{
    char sql[256];

    /* The file itself is sound, as SQLite's own check sees it. */
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM pragma_integrity_check"
                                   " WHERE integrity_check <> 'ok'"),
                     0);
    /* Nothing half made: every group has its three first members in order, plus at most the
     * fourth, and every setting row belongs to a group. */
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup g WHERE"
                                   " (SELECT count(*) FROM member m WHERE m.group_id = g.id)"
                                   " NOT IN (3, 4)"),
                     0);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member m JOIN element e ON"
                                   " e.id = m.element_id WHERE m.seq <> CAST(substr(e.device_id, 2)"
                                   " AS INTEGER)"),
                     0);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM rgroup g WHERE NOT EXISTS"
                                   " (SELECT 1 FROM setting_prop p WHERE p.group_id = g.id)"),
                     0);
    assert_int_equal(h_db_count(s, "SELECT count(*) FROM member WHERE group_id NOT IN"
                                   " (SELECT id FROM rgroup)"),
                     0);
    assert_int_equal(h_db_count(s, "PRAGMA integrity_check") == -1, 0);
    /* Everything acknowledged is there. */
    for (int w = 0; w < WORKERS; w++) {
        for (int i = 0; i < workers[w].n; i++) {
            snprintf(sql, sizeof(sql), "SELECT count(*) FROM member WHERE group_id = %d",
                     workers[w].acked_groups[i]);
            if (workers[w].acked_add[i])
                assert_int_equal(h_db_count(s, sql), 4);
            else
                assert_true(h_db_count(s, sql) >= 3);
        }
    }
}

#define VERSIONS 120 /* members added one at a time: at Generation g the group has g - 1 */
#define READERS 3

struct version_reader {
    struct h_server *s;
    atomic_bool *done;
    int reads, torn;
};

/* Reads the group and its members until done, counting answers whose members are not those of
 * the Generation (or ETag) they carry. */
static void *read_versions(void *arg)
{
    struct version_reader *v = arg;

    while (!atomic_load(v->done)) {
        struct h_resp r;
        char etag[32];
        long long generation;

        if (h_req(v->s, "GET", "/replication-groups/1", NULL, NULL, &r) == 0 && r.json) {
            v->reads++;
            v->torn += (long long)json_array_size(json_object_get(r.json, "Members")) !=
                       h_int(r.json, "Generation") - 1;
        }
        h_resp_free(&r);
        if (h_req(v->s, "GET", "/replication-groups/1/members", NULL, NULL, &r) == 0 && r.json &&
            h_header(&r, "ETag", etag, sizeof(etag)) && sscanf(etag, "\"g1.%lld\"", &generation) == 1) {
            v->reads++;
            v->torn += h_int(r.json, "count") != generation - 1;
        }
        h_resp_free(&r);
    }
    return NULL;
}

/* A group's answer is of one version: its row, members and settings are read in one snapshot,
 * so the Members are those of the Generation its ETag names, while a writer changes them. The
 * cache is off so that every read goes to the store. */
static void test_reads_are_of_one_version(void **state)
{
    static const char *const args[] = {"--group-cache", "0", NULL};
    struct version_reader readers[READERS];
    pthread_t threads[READERS];
    atomic_bool done = false;
    struct h_server s;
    char body[96];

    (void)state;
    assert_int_equal(h_start(&s, args), 0);
    assert_int_equal(h_status(&s, "POST", "/replication-groups", NULL, "{}"), 201);
    for (int i = 1; i <= VERSIONS; i++) {
        snprintf(body, sizeof(body), "{\"DeviceID\":\"v%d\"}", i);
        assert_int_equal(h_status(&s, "POST", "/logical-elements", NULL, body), 201);
    }
    for (int i = 0; i < READERS; i++) {
        readers[i] = (struct version_reader){.s = &s, .done = &done};
        assert_int_equal(pthread_create(&threads[i], NULL, read_versions, &readers[i]), 0);
    }
    for (int i = 1; i <= VERSIONS; i++) {
        snprintf(body, sizeof(body), "{\"Members\":[\"/logical-elements/%d\"]}", i);
        assert_int_equal(h_status(&s, "POST", "/replication-groups/1/add-members", NULL, body),
                         200);
    }
    atomic_store(&done, true);
    for (int i = 0; i < READERS; i++) {
        pthread_join(threads[i], NULL);
        assert_true(readers[i].reads > 0);
        assert_int_equal(readers[i].torn, 0);
    }
    h_cleanup(&s);
}

static void test_kill_keeps_every_acknowledged_change(void **state)
{
    static const char *const args[] = {"--multiple-membership", "--access-log=false", NULL};
    const char *env = getenv("REPLGW_CRASH_ROUNDS");
    int rounds = env ? atoi(env) : 3;
    struct h_server s;
    unsigned seed = 12345;

    (void)state;
    assert_int_equal(h_start(&s, args), 0);
    for (int i = 1; i <= 4; i++) {
        struct h_resp r;
        char body[64];

        snprintf(body, sizeof(body), "{\"DeviceID\":\"d%d\"}", i);
        assert_int_equal(h_req(&s, "POST", "/logical-elements", NULL, body, &r), 0);
        h_resp_free(&r);
    }
    for (int round = 0; round < rounds; round++) {
        struct worker workers[WORKERS];
        pthread_t threads[WORKERS];

        for (int w = 0; w < WORKERS; w++) {
            workers[w] = (struct worker){.s = &s};
            assert_int_equal(pthread_create(&threads[w], NULL, work, &workers[w]), 0);
        }
        usleep_ms(20 + (unsigned)(rand_r(&seed) % 150));
        h_kill(&s);
        for (int w = 0; w < WORKERS; w++)
            pthread_join(threads[w], NULL);
        assert_int_equal(h_restart(&s), 0);
        verify_after_crash(&s, workers);
        {
            int acked = 0;

            for (int w = 0; w < WORKERS; w++)
                acked += workers[w].n;
            fprintf(stderr, "crash round %d: %d creates acknowledged, %lld groups stored\n",
                    round + 1, acked, h_db_count(&s, "SELECT count(*) FROM rgroup"));
        }
    }
    h_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_name_has_one_winner),
        cmocka_unit_test(test_one_element_into_many_groups_has_one_winner),
        cmocka_unit_test(test_reads_are_of_one_version),
        cmocka_unit_test(test_kill_keeps_every_acknowledged_change),
    };

    return cmocka_run_group_tests_name("reliability_http", tests, NULL, NULL);
}
