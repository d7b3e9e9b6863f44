/* db/: the real SQLite on a temporary file. Schema migration, the transaction runner, and the
 * row functions with their conflict and not-found outcomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db/db.h"
#include "db/db_int.h" /* DB_PATH_SLOTS, DB_COUNT_SLOTS, struct db */

struct fixture {
    char dir[64];
    char path[96];
    struct db *db;
};

static const struct db_options opts = {.busy_timeout_ms = 100, .max_pages = 0};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char why[256];

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/replgw-db-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
    if (db_open(f->path, &opts, &f->db, why, sizeof(why)) != DB_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    db_close(f->db);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static int64_t add_element(struct db *db, const char *dev)
{
    char path[64], key[64];
    struct db_element e = {.class_name = "C_StorageVolume", .device_id = (char *)dev,
                           .sys_class = "CIM_ComputerSystem", .sys_name = "h"};

    snprintf(path, sizeof(path), "p/%s", dev);
    snprintf(key, sizeof(key), "k/%s", dev);
    e.path = path;
    e.path_key = key;
    assert_int_equal(db_element_insert(db, &e), DB_OK);
    return e.id;
}

/* Closes the database, runs sql on the file as an older version of the schema would have
 * left it, and opens it again (which migrates it). */
static void reopen_after(struct fixture *f, const char *sql)
{
    sqlite3 *raw;
    char why[256];

    db_close(f->db);
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(db_open(f->path, &opts, &f->db, why, sizeof(why)), DB_OK);
}

/* The one number sql selects, read through a connection of its own. */
static int64_t raw_count(struct fixture *f, const char *sql)
{
    sqlite3 *raw;
    sqlite3_stmt *st;
    int64_t n;

    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return n;
}

/* Asserts that group g holds exactly the elements first, then second, in that order. */
static void assert_members(struct db *db, int64_t g, int64_t first, int64_t second)
{
    struct db_member *m;
    size_t n;

    assert_int_equal(db_member_list(db, g, &m, &n), DB_OK);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].element_id, first);
    assert_int_equal(m[1].element_id, second);
    for (size_t i = 0; i < n; i++)
        db_member_clear(&m[i]);
    free(m);
}

/* What migration 10 did, undone: member's columns in the order of migration 4. */
#define BACK_TO_SCHEMA_9                                                                          \
    "CREATE TABLE member_v4 ("                                                                   \
    "  group_id INTEGER NOT NULL REFERENCES rgroup(id) ON DELETE CASCADE,"                       \
    "  element_id INTEGER NOT NULL REFERENCES element(id),"                                      \
    "  seq INTEGER NOT NULL, PRIMARY KEY (group_id, seq)) WITHOUT ROWID;"                        \
    "INSERT INTO member_v4 (group_id, element_id, seq) SELECT group_id, element_id, seq"        \
    "  FROM member;"                                                                             \
    "DROP TABLE member; ALTER TABLE member_v4 RENAME TO member;"                                 \
    "CREATE UNIQUE INDEX member_by_element ON member(element_id, group_id);"

/* What migration 9 did, undone: the tally's insert trigger as migration 7 made it. */
#define BACK_TO_SCHEMA_8                                                                          \
    BACK_TO_SCHEMA_9                                                                             \
    "CREATE TRIGGER rgroup_tally_insert AFTER INSERT ON rgroup BEGIN"                            \
    "  UPDATE tally SET n = n + 1, persistent = persistent + (NEW.persistent <> 0)"              \
    "  WHERE name = 'rgroup'; END;"

/* What migration 8 did, undone: the element's Generation and group count back in its row. */
#define BACK_TO_SCHEMA_7                                                                          \
    BACK_TO_SCHEMA_8                                                                             \
    "DROP TRIGGER element_state_insert; DROP TRIGGER element_state_delete;"                      \
    "ALTER TABLE element ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;"                      \
    "ALTER TABLE element ADD COLUMN n_groups INTEGER NOT NULL DEFAULT 0;"                        \
    "UPDATE element SET generation = (SELECT generation FROM element_state s"                    \
    "  WHERE s.id = element.id), n_groups = (SELECT n_groups FROM element_state s"               \
    "  WHERE s.id = element.id);"                                                                \
    "DROP TABLE element_state;"

/* What migration 7 added, taken away again: the tally triggers as schema 3 made them, no count
 * of persistent groups and no (persistent, id) index. Each older-schema test starts with it. */
#define BACK_TO_SCHEMA_6                                                                          \
    BACK_TO_SCHEMA_7                                                                             \
    "DROP TRIGGER rgroup_tally_persistent; DROP TRIGGER rgroup_tally_insert;"                    \
    "DROP TRIGGER rgroup_tally_delete; ALTER TABLE tally DROP COLUMN persistent;"                \
    "DROP INDEX rgroup_by_persistent;"                                                           \
    "CREATE TRIGGER rgroup_tally_insert AFTER INSERT ON rgroup BEGIN"                            \
    "  UPDATE tally SET n = n + 1 WHERE name = 'rgroup'; END;"                                   \
    "CREATE TRIGGER rgroup_tally_delete AFTER DELETE ON rgroup BEGIN"                            \
    "  UPDATE tally SET n = n - 1 WHERE name = 'rgroup'; END;"

static int64_t add_group_as(struct db *db, const char *name, bool persistent)
{
    int64_t sys;
    struct db_group g = {.element_name = (char *)name, .persistent = persistent};

    assert_int_equal(db_system_ensure(db, "CIM_ComputerSystem", "h", &sys), DB_OK);
    g.system_id = sys;
    assert_int_equal(db_group_insert(db, &g), DB_OK);
    return g.id;
}

static int64_t add_group(struct db *db, const char *name)
{
    return add_group_as(db, name, true);
}

static void test_open_sets_schema_version_and_wal(void **state)
{
    struct fixture *f = *state;
    sqlite3 *raw;
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 10);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

static void test_reopen_keeps_rows(void **state)
{
    struct fixture *f = *state;
    struct db_element e;
    char why[256];
    int64_t id = add_element(f->db, "v1");

    db_close(f->db);
    assert_int_equal(db_open(f->path, &opts, &f->db, why, sizeof(why)), DB_OK);
    assert_int_equal(db_element_get(f->db, id, &e), DB_OK);
    assert_string_equal(e.device_id, "v1");
    db_element_clear(&e);
}

static void test_open_missing_directory_fails_with_reason(void **state)
{
    struct db *db = (struct db *)1;
    char why[256];

    (void)state;
    assert_int_not_equal(db_open("/nonexistent-dir/x/y.db", &opts, &db, why, sizeof(why)), DB_OK);
    assert_null(db);
    assert_non_null(strstr(why, "/nonexistent-dir/x/y.db"));
}

/* A --db naming another program's database is refused before anything is written to it. */
static void test_open_foreign_database_fails_untouched(void **state)
{
    struct fixture *f = *state;
    struct db *db = NULL;
    char path[128], why[256];
    sqlite3 *raw;
    sqlite3_stmt *st;

    snprintf(path, sizeof(path), "%s/other.db", f->dir);
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE foo (x); INSERT INTO foo VALUES (1)", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    assert_int_not_equal(db_open(path, &opts, &db, why, sizeof(why)), DB_OK);
    assert_null(db);
    assert_non_null(strstr(why, "another application's"));
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT (SELECT count(*) FROM sqlite_schema),"
                                             " (SELECT journal_mode FROM pragma_journal_mode)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "delete");
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

static void test_open_corrupt_file_fails(void **state)
{
    struct fixture *f = *state;
    struct db *db = NULL;
    char path[128], why[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/junk.db", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is not an SQLite database, but it is long enough to look like one..........\n"
          "..................................................................................\n",
          fp);
    fclose(fp);
    assert_int_not_equal(db_open(path, &opts, &db, why, sizeof(why)), DB_OK);
    assert_null(db);
    assert_true(strlen(why) > 0);
}

static int insert_then_fail(struct db *db, void *cls)
{
    add_element(db, "rolled-back");
    (void)cls;
    return 1;
}

static int insert_then_commit(struct db *db, void *cls)
{
    *(int64_t *)cls = add_element(db, "kept");
    return 0;
}

static void test_txn_rolls_back_when_callback_fails(void **state)
{
    struct fixture *f = *state;
    int64_t n, id;

    assert_int_equal(db_txn_run(f->db, insert_then_fail, NULL), DB_ABORT);
    assert_int_equal(db_element_count(f->db, &n), DB_OK);
    assert_int_equal(n, 0);
    assert_int_equal(db_txn_run(f->db, insert_then_commit, &id), DB_OK);
    assert_int_equal(db_element_count(f->db, &n), DB_OK);
    assert_int_equal(n, 1);
}

static int insert_named(struct db *db, void *cls)
{
    add_element(db, cls);
    return 0;
}

static int fail_without_writing(struct db *db, void *cls)
{
    (void)db;
    (void)cls;
    return 1;
}

/* A refused change that wrote nothing leaves the rest of its batch to commit. */
static void test_batch_commits_around_a_clean_failure(void **state)
{
    struct fixture *f = *state;
    int64_t n;

    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    assert_int_equal(db_txn_run(f->db, insert_named, "a"), DB_OK);
    assert_int_equal(db_txn_run(f->db, fail_without_writing, NULL), DB_ABORT);
    assert_int_equal(db_txn_run(f->db, insert_named, "b"), DB_OK);
    assert_int_equal(db_batch_end(f->db, true), DB_OK);
    assert_int_equal(db_element_count(f->db, &n), DB_OK);
    assert_int_equal(n, 2);
}

static int64_t count_groups(struct db *db, int persistent)
{
    struct db_group_filter flt = {NULL, NULL, persistent, 0};
    int64_t n;

    assert_int_equal(db_group_count(db, persistent < 0 ? NULL : &flt, &n), DB_OK);
    return n;
}

static int insert_group(struct db *db, void *cls)
{
    add_group_as(db, cls, strcmp(cls, "temp") != 0);
    return 0;
}

/* The tally takes a batch's groups at its commit; a count inside the batch (a limit checked
 * before each create) already sees those created before it, and after a rollback none. */
static void test_group_counts_inside_a_batch(void **state)
{
    struct fixture *f = *state;

    add_group(f->db, "before");
    for (int commit = 1; commit >= 0; commit--) {
        assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
        assert_int_equal(db_txn_run(f->db, insert_group, commit ? "a" : "c"), DB_OK);
        assert_int_equal(db_txn_run(f->db, insert_group, commit ? "temp" : "d"), DB_OK);
        assert_int_equal(count_groups(f->db, -1), commit ? 3 : 5);
        assert_int_equal(count_groups(f->db, 1), commit ? 2 : 4);
        assert_int_equal(count_groups(f->db, 0), 1);
        assert_int_equal(db_batch_end(f->db, commit), DB_OK);
    }
    assert_int_equal(count_groups(f->db, -1), 3);
    assert_int_equal(count_groups(f->db, 1), 2);
    assert_int_equal(count_groups(f->db, 0), 1);
}

/* A change that fails after writing cannot be undone alone: the whole batch goes, and the
 * caller is told to run each change again. Later batches work as before. */
static void test_batch_spoiled_by_a_half_written_change(void **state)
{
    struct fixture *f = *state;
    int64_t n, id;

    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    assert_int_equal(db_txn_run(f->db, insert_then_commit, &id), DB_OK);
    assert_int_equal(db_txn_run(f->db, insert_then_fail, NULL), DB_ABORT);
    assert_int_equal(db_batch_end(f->db, true), DB_ABORT);
    assert_int_equal(db_element_count(f->db, &n), DB_OK);
    assert_int_equal(n, 0);

    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    assert_int_equal(db_txn_run(f->db, insert_then_commit, &id), DB_OK);
    assert_int_equal(db_batch_end(f->db, true), DB_OK);
    assert_int_equal(db_element_count(f->db, &n), DB_OK);
    assert_int_equal(n, 1);
}

static void test_txn_busy_when_locked_elsewhere(void **state)
{
    struct fixture *f = *state;
    sqlite3 *other;
    int64_t id;

    assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(db_txn_run(f->db, insert_then_commit, &id), DB_BUSY);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
}

static void test_element_key_is_unique(void **state)
{
    struct fixture *f = *state;
    struct db_element e = {.class_name = "C", .device_id = "v1", .sys_class = "S",
                           .sys_name = "h", .path = "p", .path_key = "k/v1"};
    int64_t id;

    add_element(f->db, "v1");
    assert_int_equal(db_element_insert(f->db, &e), DB_CONFLICT);
    assert_int_equal(db_element_find_key(f->db, "k/v1", &id, NULL), DB_OK);
    assert_int_equal(db_element_find_key(f->db, "k/none", &id, NULL), DB_NOTFOUND);
}

static void test_element_path_reads_only_when_asked(void **state)
{
    struct fixture *f = *state;
    char *path;
    int64_t id = add_element(f->db, "v1");

    assert_int_equal(db_element_path(f->db, id, &path), DB_OK);
    assert_string_equal(path, "p/v1");
    free(path);
    assert_int_equal(db_element_path(f->db, id, NULL), DB_OK);
    assert_int_equal(db_element_path(f->db, id + 1, &path), DB_NOTFOUND);
    assert_null(path);
}

static void test_element_found_by_key_with_its_path(void **state)
{
    struct fixture *f = *state;
    char *path;
    int64_t id = add_element(f->db, "v1"), found;

    add_element(f->db, "v2");
    assert_int_equal(db_element_find_key(f->db, "k/v1", &found, &path), DB_OK);
    assert_int_equal(found, id);
    assert_string_equal(path, "p/v1");
    free(path);
    assert_int_equal(db_element_find_key(f->db, "k/v2", &found, NULL), DB_OK);
    assert_int_equal(found, id + 1);
    assert_int_equal(db_element_find_key(f->db, "k/none", &found, &path), DB_NOTFOUND);
    assert_null(path);
}

static void test_element_list_and_delete(void **state)
{
    struct fixture *f = *state;
    struct db_element *rows;
    size_t n;
    int64_t a = add_element(f->db, "a"), b = add_element(f->db, "b");

    assert_int_equal(db_element_list(f->db, a, 10, &rows, &n), DB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, b);
    db_element_clear(&rows[0]);
    free(rows);
    assert_int_equal(db_element_delete(f->db, a), DB_OK);
    assert_int_equal(db_element_delete(f->db, a), DB_NOTFOUND);
}

static void test_group_name_is_unique(void **state)
{
    struct fixture *f = *state;
    struct db_group g = {.element_name = "same", .persistent = true};
    int64_t id;

    add_group(f->db, "same");
    assert_int_equal(db_system_ensure(f->db, "CIM_ComputerSystem", "h", &g.system_id), DB_OK);
    assert_int_equal(db_group_insert(f->db, &g), DB_CONFLICT);
    assert_int_equal(db_group_find_name(f->db, "same", &id), DB_OK);
}

/* A name made of the next id (CreateGroup without GroupName) names the row that id goes to,
 * and an id is never given twice, not even after its group was deleted. */
static void test_group_next_id_is_the_id_given(void **state)
{
    struct fixture *f = *state;
    struct db_group g = {.element_name = "RG-2", .persistent = true};
    int64_t next, first;

    assert_int_equal(db_group_next_id(f->db, &next), DB_OK);
    assert_int_equal(next, 1);
    first = add_group(f->db, NULL);
    assert_int_equal(first, 1);
    assert_int_equal(db_group_next_id(f->db, &next), DB_OK);
    assert_int_equal(next, 2);
    assert_int_equal(db_system_ensure(f->db, "CIM_ComputerSystem", "h", &g.system_id), DB_OK);
    g.id = next;
    assert_int_equal(db_group_insert(f->db, &g), DB_OK);
    assert_int_equal(g.id, 2);
    assert_int_equal(db_group_delete(f->db, 2), DB_OK);
    assert_int_equal(db_group_next_id(f->db, &next), DB_OK);
    assert_int_equal(next, 3);
    assert_int_equal(add_group(f->db, NULL), 3);
    g.id = first;
    g.element_name = "other";
    assert_int_equal(db_group_insert(f->db, &g), DB_CONFLICT);
}

static void test_members_come_back_in_sequence(void **state)
{
    struct fixture *f = *state;
    int64_t g = add_group(f->db, "g"), a = add_element(f->db, "a"), b = add_element(f->db, "b");
    struct db_member *m;
    size_t n;
    int64_t count;

    assert_int_equal(db_member_insert(f->db, g, a, 2), DB_OK);
    assert_int_equal(db_member_insert(f->db, g, b, 1), DB_OK);
    assert_int_equal(db_member_insert(f->db, g, b, 3), DB_CONFLICT);
    assert_int_equal(db_member_list(f->db, g, &m, &n), DB_OK);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].element_id, b);
    assert_string_equal(m[1].path, "p/a");
    for (size_t i = 0; i < n; i++)
        db_member_clear(&m[i]);
    free(m);
    assert_int_equal(db_member_group_count(f->db, a, &count), DB_OK);
    assert_int_equal(count, 1);
}

static void test_groups_of_an_element_by_id_up_to_a_limit(void **state)
{
    struct fixture *f = *state;
    int64_t e = add_element(f->db, "e"), g[3], *groups, *seqs;
    size_t n;

    for (int i = 0; i < 3; i++) {
        g[i] = add_group(f->db, NULL);
        assert_int_equal(db_member_insert(f->db, g[i], e, 3 - i), DB_OK);
    }
    assert_int_equal(db_member_groups_of(f->db, e, 2, &groups, &seqs, &n), DB_OK);
    assert_int_equal(n, 2);
    assert_int_equal(groups[0], g[0]);
    assert_int_equal(groups[1], g[1]);
    assert_int_equal(seqs[1], 2);
    free(groups);
    free(seqs);
    assert_int_equal(db_member_groups_of(f->db, e, -1, &groups, &seqs, &n), DB_OK);
    assert_int_equal(n, 3);
    assert_int_equal(groups[2], g[2]);
    assert_int_equal(seqs[2], 1);
    free(groups);
    free(seqs);
}

static void test_settings_keep_order(void **state)
{
    struct fixture *f = *state;
    int64_t g = add_group(f->db, "g");
    struct db_prop *p;
    size_t n;

    assert_int_equal(db_setting_insert(f->db, g, 0, "B", "2"), DB_OK);
    assert_int_equal(db_setting_insert(f->db, g, 1, "A", "1"), DB_OK);
    assert_int_equal(db_setting_list(f->db, g, &p, &n), DB_OK);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "B");
    assert_string_equal(p[1].value, "1");
    for (size_t i = 0; i < n; i++)
        db_prop_clear(&p[i]);
    free(p);
}

static void test_group_list_and_count(void **state)
{
    struct fixture *f = *state;
    struct db_group_ref *refs;
    size_t n;
    int64_t count, matches, x = add_group(f->db, "x");

    add_group(f->db, "y");
    add_group(f->db, "x2");
    assert_int_equal(db_group_touch(f->db, x), DB_OK);
    assert_int_equal(db_group_page(f->db, 0, 2, NULL, &refs, &n, &matches), DB_OK);
    assert_int_equal(n, 2);
    assert_int_equal(matches, 3);
    assert_int_equal(refs[0].id, x);
    assert_int_equal(refs[0].generation, 2);
    assert_int_equal(refs[1].generation, 1);
    free(refs);
    {
        struct db_group_filter by_name = {.name = "y", .persistent = -1};
        struct db_group_filter by_prefix = {.prefix = "x", .persistent = -1};

        assert_int_equal(db_group_page(f->db, 0, 10, &by_name, &refs, &n, &matches), DB_OK);
        assert_int_equal(n, 1);
        assert_int_equal(matches, 1);
        free(refs);
        assert_int_equal(db_group_count(f->db, &by_prefix, &count), DB_OK);
        assert_int_equal(count, 2);
    }
    /* The unfiltered count is the triggers' tally: it follows inserts and deletes. */
    assert_int_equal(db_group_count(f->db, NULL, &count), DB_OK);
    assert_int_equal(count, 3);
    assert_int_equal(db_group_delete(f->db, x), DB_OK);
    assert_int_equal(db_group_count(f->db, NULL, &count), DB_OK);
    assert_int_equal(count, 2);
}

static size_t listed(struct db *db, const struct db_group_filter *f)
{
    struct db_group_ref *refs;
    size_t n;
    int64_t count, matches;

    assert_int_equal(db_group_page(db, 0, 100, f, &refs, &n, &matches), DB_OK);
    free(refs);
    assert_int_equal(matches, (int64_t)n);
    assert_int_equal(db_group_count(db, f, &count), DB_OK);
    assert_int_equal(count, (int64_t)n);
    return n;
}

/* Each filter and their combinations, list and count agreeing: the prefix is a byte range of
 * the name index, so its edges (the name itself, the next byte, multibyte UTF-8) matter. */
static void test_group_filters(void **state)
{
    struct fixture *f = *state;
    int64_t e = add_element(f->db, "v"), g;
    const char *names[] = {"x", "x2", "xz\xc3\xa9", "y", "w", "\xc3\xa9t\xc3\xa9", "\xc3\xa9", "xy"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        g = add_group(f->db, names[i]);
        if (i % 2 == 0)
            assert_int_equal(db_member_insert(f->db, g, e, 1), DB_OK);
    }
    {
        struct db_group_filter all = {.persistent = -1}, empty = {.prefix = "", .persistent = -1};
        struct db_group_filter x = {.prefix = "x", .persistent = -1};
        struct db_group_filter xz = {.prefix = "xz\xc3", .persistent = -1};
        struct db_group_filter e_acute = {.prefix = "\xc3\xa9", .persistent = -1};
        struct db_group_filter none = {.prefix = "z", .persistent = -1};
        struct db_group_filter member = {.persistent = -1, .member = e};
        struct db_group_filter x_member = {.prefix = "x", .persistent = -1, .member = e};
        struct db_group_filter name_persistent = {.name = "y", .persistent = 1};
        struct db_group_filter name_not_persistent = {.name = "y", .persistent = 0};

        assert_int_equal(listed(f->db, &all), 8);
        assert_int_equal(listed(f->db, &empty), 8);
        assert_int_equal(listed(f->db, &x), 4);
        assert_int_equal(listed(f->db, &xz), 1);
        assert_int_equal(listed(f->db, &e_acute), 2);
        assert_int_equal(listed(f->db, &none), 0);
        assert_int_equal(listed(f->db, &member), 4);
        assert_int_equal(listed(f->db, &x_member), 2); /* "x" and "xz\xc3\xa9" */
        assert_int_equal(listed(f->db, &name_persistent), 1);
        assert_int_equal(listed(f->db, &name_not_persistent), 0);
    }
}

/* A database written by schema version 2 (no tally) gets its tally from the rows it holds. */
static void test_tally_counts_rows_of_an_older_schema(void **state)
{
    struct fixture *f = *state;
    int64_t count;

    add_group(f->db, "a");
    add_group(f->db, "b");
    reopen_after(f, BACK_TO_SCHEMA_7 "DROP TABLE tally; DROP TRIGGER IF EXISTS rgroup_tally_insert;"
                    "DROP TRIGGER IF EXISTS rgroup_tally_delete;"
                    "DROP TRIGGER IF EXISTS rgroup_tally_persistent;"
                    "DROP INDEX rgroup_by_persistent;"
                    "ALTER TABLE element DROP COLUMN n_groups; PRAGMA user_version = 2");
    assert_int_equal(db_group_count(f->db, NULL, &count), DB_OK);
    assert_int_equal(count, 2);
}

/* The member count of db_store_counts, checked against the rows themselves. */
static int64_t tallied_members(struct fixture *f)
{
    int64_t groups, members;
    sqlite3 *raw;
    sqlite3_stmt *st;

    assert_int_equal(db_store_counts(f->db, &groups, &members), DB_OK);
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM member", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), members);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return members;
}

struct member_change {
    int64_t group, element, seq;
    bool fail_after; /* ask for a rollback once written */
};

static int insert_member_txn(struct db *db, void *cls)
{
    struct member_change *c = cls;

    assert_int_equal(db_member_insert(db, c->group, c->element, c->seq), DB_OK);
    return c->fail_after;
}

static int delete_group_txn(struct db *db, void *cls)
{
    return db_group_delete(db, *(int64_t *)cls) != DB_OK;
}

/* Every way a member row comes or goes reaches the tally with its commit, and only then. */
static void test_member_tally_follows_commits(void **state)
{
    struct fixture *f = *state;
    int64_t g1 = add_group(f->db, "g1"), g2 = add_group(f->db, "g2");
    int64_t a = add_element(f->db, "a"), b = add_element(f->db, "b"), d = add_element(f->db, "d");
    struct member_change c = {g1, a, 1, false};

    assert_int_equal(tallied_members(f), 0);
    assert_int_equal(db_txn_run(f->db, insert_member_txn, &c), DB_OK);
    c = (struct member_change){g1, b, 2, true};
    assert_int_equal(db_txn_run(f->db, insert_member_txn, &c), DB_ABORT);
    assert_int_equal(tallied_members(f), 1);

    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    c = (struct member_change){g1, b, 2, false};
    assert_int_equal(db_txn_run(f->db, insert_member_txn, &c), DB_OK);
    c = (struct member_change){g2, a, 1, false};
    assert_int_equal(db_txn_run(f->db, insert_member_txn, &c), DB_OK);
    assert_int_equal(db_batch_end(f->db, true), DB_OK);
    assert_int_equal(tallied_members(f), 3);

    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    c = (struct member_change){g2, b, 2, false};
    assert_int_equal(db_txn_run(f->db, insert_member_txn, &c), DB_OK);
    c = (struct member_change){g2, d, 3, true}; /* fails after writing: the batch is spoiled */
    db_txn_run(f->db, insert_member_txn, &c);
    assert_int_equal(db_batch_end(f->db, true), DB_ABORT);
    assert_int_equal(tallied_members(f), 3);

    assert_int_equal(db_member_delete(f->db, g2, a), DB_OK); /* outside a transaction */
    assert_int_equal(db_member_delete(f->db, g2, a), DB_NOTFOUND);
    assert_int_equal(tallied_members(f), 2);
    assert_int_equal(db_txn_run(f->db, delete_group_txn, &g1), DB_OK); /* its 2 members go */
    assert_int_equal(tallied_members(f), 0);
}

/* A database written by schema version 4 (no member tally) gets it from the rows it holds. */
static void test_member_tally_of_an_older_schema(void **state)
{
    struct fixture *f = *state;
    int64_t g = add_group(f->db, "g"), a = add_element(f->db, "a"), b = add_element(f->db, "b");

    assert_int_equal(db_member_insert(f->db, g, a, 1), DB_OK);
    assert_int_equal(db_member_insert(f->db, g, b, 2), DB_OK);
    reopen_after(f, BACK_TO_SCHEMA_6 "DELETE FROM tally WHERE name = 'member';"
                    "ALTER TABLE element DROP COLUMN n_groups; PRAGMA user_version = 4");
    assert_int_equal(tallied_members(f), 2);
}

/* Asserts the element's Generation and group count, as the db module reads them. */
static void assert_element_state(struct fixture *f, int64_t id, int64_t generation,
                                 int64_t groups)
{
    struct db_element e;
    int64_t n;

    assert_int_equal(db_element_get(f->db, id, &e), DB_OK);
    assert_int_equal(e.generation, generation);
    db_element_clear(&e);
    assert_int_equal(db_member_group_count(f->db, id, &n), DB_OK);
    assert_int_equal(n, groups);
}

/* Every member row that comes or goes moves its element's group count and Generation. */
static void test_element_group_count_follows_members(void **state)
{
    struct fixture *f = *state;
    int64_t g1 = add_group(f->db, "g1"), g2 = add_group(f->db, "g2");
    int64_t a = add_element(f->db, "a"), b = add_element(f->db, "b"), groups;
    const struct db_group_filter of_a = {.persistent = -1, .member = a};

    assert_element_state(f, a, 1, 0);
    assert_int_equal(db_member_insert(f->db, g1, a, 1), DB_OK);
    assert_int_equal(db_member_insert(f->db, g2, a, 1), DB_OK);
    assert_int_equal(db_member_insert(f->db, g1, b, 2), DB_OK);
    assert_int_equal(db_member_insert(f->db, g1, a, 3), DB_CONFLICT); /* changes nothing */
    assert_element_state(f, a, 3, 2);
    assert_int_equal(db_group_count(f->db, &of_a, &groups), DB_OK);
    assert_int_equal(groups, 2);

    assert_int_equal(db_member_delete(f->db, g2, a), DB_OK);
    assert_int_equal(db_member_delete(f->db, g2, a), DB_NOTFOUND);
    assert_element_state(f, a, 4, 1);
    assert_int_equal(db_group_delete(f->db, g1), DB_OK); /* a and b go with it */
    assert_element_state(f, a, 5, 0);
    assert_element_state(f, b, 3, 0);
    assert_int_equal(db_member_group_count(f->db, b + 1, &groups), DB_OK); /* no such element */
    assert_int_equal(groups, 0);
}

/* A database written by schema version 7 (Generation and group count in the element's row)
 * keeps both, and elements added or deleted after the migration get or lose their state. */
static void test_element_state_of_an_older_schema(void **state)
{
    struct fixture *f = *state;
    int64_t g = add_group(f->db, "g"), h = add_group(f->db, "h");
    int64_t a = add_element(f->db, "a"), b = add_element(f->db, "b"), c;

    assert_int_equal(db_member_insert(f->db, g, a, 1), DB_OK);
    assert_int_equal(db_member_insert(f->db, h, a, 1), DB_OK);
    reopen_after(f, BACK_TO_SCHEMA_7 "PRAGMA user_version = 7");
    assert_element_state(f, a, 3, 2);
    assert_element_state(f, b, 1, 0);
    c = add_element(f->db, "c");
    assert_element_state(f, c, 1, 0);
    assert_int_equal(db_element_delete(f->db, b), DB_OK);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM element_state"), 2);
}

struct element_in_txn {
    int64_t id;
    char *path;
};

/* Transaction body: adds an element and looks its path up, then asks for a rollback. */
static int add_and_find_then_fail(struct db *db, void *cls)
{
    struct element_in_txn *t = cls;

    t->id = add_element(db, "gone");
    assert_int_equal(db_element_path(db, t->id, &t->path), DB_OK);
    return 1;
}

/* With cache_paths the connection keeps the paths it found, and never one of an element that
 * is not in the store: deleted, or written by a transaction that did not commit. */
static void test_cached_paths_follow_the_store(void **state)
{
    static const struct db_options cached = {.busy_timeout_ms = 100, .cache_paths = true};
    struct fixture *f = *state;
    struct element_in_txn t = {0};
    char why[256], *path;
    int64_t a;

    db_close(f->db);
    assert_int_equal(db_open(f->path, &cached, &f->db, why, sizeof(why)), DB_OK);
    a = add_element(f->db, "a");
    for (int i = 0; i < 2; i++) { /* found, then kept */
        assert_int_equal(db_element_path(f->db, a, &path), DB_OK);
        assert_string_equal(path, "p/a");
        free(path);
    }
    assert_int_equal(db_element_path(f->db, a + DB_PATH_SLOTS, &path), DB_NOTFOUND);
    assert_null(path);
    assert_int_equal(db_element_delete(f->db, a), DB_OK);
    assert_int_equal(db_element_path(f->db, a, &path), DB_NOTFOUND);
    /* A rolled-back element, alone and in a batch. */
    assert_int_equal(db_txn_run(f->db, add_and_find_then_fail, &t), DB_ABORT);
    free(t.path);
    assert_int_equal(db_element_path(f->db, t.id, &path), DB_NOTFOUND);
    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    assert_int_equal(db_txn_run(f->db, add_and_find_then_fail, &t), DB_ABORT);
    free(t.path);
    db_batch_end(f->db, false);
    assert_int_equal(db_element_path(f->db, t.id, &path), DB_NOTFOUND);
}

/* Counts the statements that count matching groups (SQLITE_TRACE_STMT of a connection). */
static int count_statements(unsigned type, void *cls, void *p, void *x)
{
    (void)type;
    (void)x;
    if (strstr(sqlite3_sql(p), "count(*)"))
        ++*(int *)cls;
    return 0;
}

static int64_t count_prefix(struct db *db, const char *prefix, int persistent)
{
    struct db_group_filter flt = {NULL, prefix, persistent, 0};
    int64_t n;

    assert_int_equal(db_group_count(db, &flt, &n), DB_OK);
    return n;
}

static int add_group_then_fail(struct db *db, void *cls)
{
    add_group(db, cls);
    return 1;
}

/* With cache_counts a filtered count is kept while the store is unchanged, and counted again
 * after any change: another connection's commit, this connection's own write, or its
 * rolled-back one; more filters than slots, and two filters that differ only in Persistent,
 * each keep their own count. */
static void test_cached_counts_follow_the_store(void **state)
{
    static const struct db_options cached = {.busy_timeout_ms = 100, .cache_counts = true};
    struct fixture *f = *state;
    struct db *reader;
    char why[256], prefix[16];
    int counted = 0;

    assert_int_equal(db_open(f->path, &cached, &reader, why, sizeof(why)), DB_OK);
    sqlite3_trace_v2(reader->conn, SQLITE_TRACE_STMT, count_statements, &counted);
    add_group(f->db, "ab1");
    add_group_as(f->db, "ab2", false);
    for (int i = 0; i < 2; i++) { /* counted, then kept */
        assert_int_equal(count_prefix(reader, "ab", -1), 2);
        assert_int_equal(count_prefix(reader, "ab", 0), 1);
        assert_int_equal(counted, 2);
    }
    add_group(f->db, "ab3");
    assert_int_equal(count_prefix(reader, "ab", -1), 3);
    assert_int_equal(counted, 3);
    assert_int_equal(db_read_begin(reader), DB_OK); /* a snapshot sees its own state */
    assert_int_equal(count_prefix(reader, "ab", -1), 3);
    add_group(f->db, "ab4");
    assert_int_equal(count_prefix(reader, "ab", -1), 3);
    /* A snapshot begun inside one joins it: its end leaves the outer one open. */
    assert_int_equal(db_read_begin(reader), DB_OK);
    db_read_end(reader);
    assert_int_equal(count_prefix(reader, "ab", -1), 3);
    db_read_end(reader);
    assert_int_equal(count_prefix(reader, "ab", -1), 4);
    add_group(reader, "ab5");
    assert_int_equal(count_prefix(reader, "ab", -1), 5);
    assert_int_equal(db_txn_run(reader, add_group_then_fail, "ab6"), DB_ABORT);
    assert_int_equal(count_prefix(reader, "ab", -1), 5);
    for (int i = 0; i < DB_COUNT_SLOTS + 2; i++) {
        snprintf(prefix, sizeof(prefix), "ab%d", i % 7);
        assert_int_equal(count_prefix(reader, prefix, -1), i % 7 >= 1 && i % 7 <= 5);
    }
    assert_int_equal(count_prefix(reader, "ab", 1), 4);
    db_close(reader);
}

/* A database written by schema version 5 (no group counts) gets them from its member rows. */
static void test_element_group_count_of_an_older_schema(void **state)
{
    struct fixture *f = *state;
    int64_t g = add_group(f->db, "g"), h = add_group(f->db, "h");
    int64_t a = add_element(f->db, "a"), b = add_element(f->db, "b"), groups;

    assert_int_equal(db_member_insert(f->db, g, a, 1), DB_OK);
    assert_int_equal(db_member_insert(f->db, h, a, 1), DB_OK);
    reopen_after(f, BACK_TO_SCHEMA_6 "ALTER TABLE element DROP COLUMN n_groups;"
                    "PRAGMA user_version = 5");
    assert_int_equal(db_member_group_count(f->db, a, &groups), DB_OK);
    assert_int_equal(groups, 2);
    assert_int_equal(db_member_group_count(f->db, b, &groups), DB_OK);
    assert_int_equal(groups, 0);
}

/* Members written by schema version 3 (keyed by group and element) keep their order, their
 * uniqueness and their lookup by element once migrated to the (group, seq) key. */
static void test_members_of_an_older_schema_migrate(void **state)
{
    struct fixture *f = *state;
    int64_t g = add_group(f->db, "g"), a = add_element(f->db, "a"), b = add_element(f->db, "b");
    int64_t c = add_element(f->db, "c");
    char sql[2048];
    int64_t count;

    snprintf(sql, sizeof(sql),
             BACK_TO_SCHEMA_6 "DROP TABLE member;"
             "CREATE TABLE member (group_id INTEGER NOT NULL REFERENCES rgroup(id) ON DELETE CASCADE,"
             " element_id INTEGER NOT NULL REFERENCES element(id), seq INTEGER NOT NULL,"
             " PRIMARY KEY (group_id, element_id), UNIQUE (group_id, seq)) WITHOUT ROWID;"
             "CREATE INDEX member_by_element ON member(element_id);"
             "INSERT INTO member VALUES (%lld, %lld, 2), (%lld, %lld, 1);"
             "ALTER TABLE element DROP COLUMN n_groups;"
             "PRAGMA user_version = 3",
             (long long)g, (long long)a, (long long)g, (long long)b);
    reopen_after(f, sql);
    assert_members(f->db, g, b, a);
    assert_int_equal(db_member_insert(f->db, g, a, 3), DB_CONFLICT); /* the element again */
    assert_int_equal(db_member_insert(f->db, g, c, 2), DB_CONFLICT); /* the position again */
    assert_int_equal(db_member_insert(f->db, g, c, 3), DB_OK);
    assert_int_equal(db_member_group_count(f->db, a, &count), DB_OK);
    assert_int_equal(count, 1);
}

/* count(*) of the groups with this persistence, read on a connection of its own. */
static int64_t persistent_rows(struct fixture *f, int persistent)
{
    sqlite3 *raw;
    sqlite3_stmt *st;
    int64_t n;

    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM rgroup WHERE persistent = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int(st, 1, persistent);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return n;
}

/* The Persistent= counts come from the tally; each is checked against the rows themselves and
 * returned as "persistent temporary". */
static void tallied_persistence(struct fixture *f, int64_t *yes, int64_t *no)
{
    struct db_group_filter p = {.persistent = 1}, t = {.persistent = 0};

    assert_int_equal(db_group_count(f->db, &p, yes), DB_OK);
    assert_int_equal(db_group_count(f->db, &t, no), DB_OK);
    assert_int_equal(*yes, persistent_rows(f, 1));
    assert_int_equal(*no, persistent_rows(f, 0));
}

static int insert_temporary_then_fail(struct db *db, void *cls)
{
    (void)cls;
    add_group_as(db, "rolled back", false);
    return 1;
}

/* Inserts, a change of Persistent either way, a change of something else, deletes and a
 * rollback: the tally follows the rows. */
static void test_persistent_tally_follows_the_rows(void **state)
{
    struct fixture *f = *state;
    int64_t a = add_group_as(f->db, "a", true), b = add_group_as(f->db, "b", false), yes, no;
    struct db_group g;

    add_group_as(f->db, "c", false);
    tallied_persistence(f, &yes, &no);
    assert_int_equal(yes, 1);
    assert_int_equal(no, 2);
    assert_int_equal(db_group_get(f->db, b, &g), DB_OK);
    g.persistent = true;
    assert_int_equal(db_group_update(f->db, &g), DB_OK);
    tallied_persistence(f, &yes, &no);
    assert_int_equal(yes, 2);
    assert_int_equal(no, 1);
    assert_int_equal(db_group_update(f->db, &g), DB_OK); /* the same value again */
    tallied_persistence(f, &yes, &no);
    assert_int_equal(yes, 2);
    g.persistent = false;
    assert_int_equal(db_group_update(f->db, &g), DB_OK);
    db_group_clear(&g);
    tallied_persistence(f, &yes, &no);
    assert_int_equal(yes, 1);
    assert_int_equal(no, 2);
    assert_int_equal(db_txn_run(f->db, insert_temporary_then_fail, NULL), DB_ABORT);
    assert_int_equal(db_group_delete(f->db, a), DB_OK);
    assert_int_equal(db_group_delete(f->db, b), DB_OK);
    tallied_persistence(f, &yes, &no);
    assert_int_equal(yes, 0);
    assert_int_equal(no, 1);
}

/* A database written by schema version 6 (no count of persistent groups) gets it from its rows,
 * and its triggers move it from then on. */
static void test_persistent_tally_of_an_older_schema(void **state)
{
    struct fixture *f = *state;
    int64_t yes, no;

    add_group_as(f->db, "a", true);
    add_group_as(f->db, "b", false);
    add_group_as(f->db, "c", true);
    reopen_after(f, BACK_TO_SCHEMA_6 "PRAGMA user_version = 6");
    tallied_persistence(f, &yes, &no);
    assert_int_equal(yes, 2);
    assert_int_equal(no, 1);
    add_group_as(f->db, "d", false);
    tallied_persistence(f, &yes, &no);
    assert_int_equal(no, 2);
}

/* PRAGMA integrity_check of f's file, through a connection of its own: "ok", or its first
 * complaint (into buf). */
static const char *integrity(struct fixture *f, char *buf, size_t len)
{
    sqlite3 *raw;
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return buf;
}

/* Schema 10 puts member's key columns first; with the old order Debian's SQLite reported a
 * NULL element_id for every member row. A store of schema 9 keeps its members, in order. */
static void test_member_layout_passes_integrity_check(void **state)
{
    struct fixture *f = *state;
    int64_t g = add_group(f->db, "g"), a = add_element(f->db, "a"), b = add_element(f->db, "b");
    char buf[256];

    assert_int_equal(db_member_insert(f->db, g, a, 2), DB_OK);
    assert_int_equal(db_member_insert(f->db, g, b, 1), DB_OK);
    assert_string_equal(integrity(f, buf, sizeof(buf)), "ok");
    reopen_after(f, BACK_TO_SCHEMA_9 "PRAGMA user_version = 9");
    assert_members(f->db, g, b, a);
    assert_string_equal(integrity(f, buf, sizeof(buf)), "ok");
    assert_int_equal(raw_count(f, "SELECT count(*) FROM pragma_table_info('member')"
                                  " WHERE name = 'element_id' AND cid = 2"),
                     1);
}

/* A store of schema version 8 (groups counted by a trigger) loses the trigger, and each group
 * created after is counted once, in a batch too, where a rollback counts none. */
static void test_group_tally_of_an_older_schema(void **state)
{
    struct fixture *f = *state;
    int64_t yes, no, all;

    add_group_as(f->db, "a", true);
    add_group_as(f->db, "b", false);
    reopen_after(f, BACK_TO_SCHEMA_8 "PRAGMA user_version = 8");
    add_group_as(f->db, "c", true);
    tallied_persistence(f, &yes, &no);
    assert_int_equal(yes, 2);
    assert_int_equal(no, 1);
    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    add_group_as(f->db, "d", false);
    db_batch_end(f->db, false);
    assert_int_equal(db_batch_begin(f->db, 0), DB_OK);
    add_group_as(f->db, "e", false);
    assert_int_equal(db_batch_end(f->db, true), DB_OK);
    tallied_persistence(f, &yes, &no);
    assert_int_equal(no, 2);
    assert_int_equal(db_group_count(f->db, NULL, &all), DB_OK);
    assert_int_equal(all, 4);
}

/* Every page of f with limit 2 from the start, following each page's last id: the ids in
 * order, and each page's count. */
static size_t walk_pages(struct db *db, const struct db_group_filter *f, int64_t *ids, size_t max)
{
    int64_t after = 0, matches;
    size_t got = 0;

    for (;;) {
        struct db_group_ref *refs;
        size_t n;

        assert_int_equal(db_group_page(db, after, 2, f, &refs, &n, &matches), DB_OK);
        for (size_t i = 0; i < n; i++) {
            assert_true(got < max);
            ids[got++] = refs[i].id;
        }
        if (n > 0)
            after = refs[n - 1].id;
        free(refs);
        if (n < 2)
            break;
    }
    assert_int_equal(matches, (int64_t)got);
    return got;
}

/* Prefix pages come through the name index when the prefix matches few groups and in id order
 * when it matches many (db_group_page); Persistent= pages through the (persistent, id) index.
 * Either way a walk with the cursor gives each match once, in id order. Here 40 groups "a<i>",
 * 3 of them temporary, and 3 groups "b<i>" among them: "b" is 3 matches of 43 (3 * 3 <= 2 * 43,
 * the index) and "a" 40 (the id order). */
static void test_pages_of_few_and_of_many_matches(void **state)
{
    struct fixture *f = *state;
    int64_t b_ids[3], a_ids[40], temporary[3], ids[64];
    struct db_group_filter a = {.prefix = "a", .persistent = -1};
    struct db_group_filter b = {.prefix = "b", .persistent = -1};
    struct db_group_filter t = {.persistent = 0};
    size_t nb = 0, nt = 0;
    char name[16];

    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "a%d", i);
        a_ids[i] = add_group_as(f->db, name, i % 13 != 5);
        if (i % 13 == 5)
            temporary[nt++] = a_ids[i];
        if (i % 15 == 7) {
            snprintf(name, sizeof(name), "b%d", i);
            b_ids[nb++] = add_group_as(f->db, name, true);
        }
    }
    assert_int_equal(nb, 3);
    assert_int_equal(nt, 3);
    assert_int_equal(walk_pages(f->db, &b, ids, 64), 3);
    assert_memory_equal(ids, b_ids, sizeof(b_ids));
    assert_int_equal(walk_pages(f->db, &a, ids, 64), 40);
    assert_memory_equal(ids, a_ids, sizeof(a_ids));
    assert_int_equal(walk_pages(f->db, &t, ids, 64), 3);
    assert_memory_equal(ids, temporary, sizeof(temporary));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_sets_schema_version_and_wal),
        T(test_reopen_keeps_rows),
        cmocka_unit_test(test_open_missing_directory_fails_with_reason),
        T(test_open_corrupt_file_fails),
        T(test_open_foreign_database_fails_untouched),
        T(test_txn_rolls_back_when_callback_fails),
        T(test_txn_busy_when_locked_elsewhere),
        T(test_batch_commits_around_a_clean_failure),
        T(test_group_counts_inside_a_batch),
        T(test_batch_spoiled_by_a_half_written_change),
        T(test_element_key_is_unique),
        T(test_element_path_reads_only_when_asked),
        T(test_element_found_by_key_with_its_path),
        T(test_element_list_and_delete),
        T(test_group_name_is_unique),
        T(test_group_next_id_is_the_id_given),
        T(test_members_come_back_in_sequence),
        T(test_groups_of_an_element_by_id_up_to_a_limit),
        T(test_settings_keep_order),
        T(test_group_list_and_count),
        T(test_tally_counts_rows_of_an_older_schema),
        T(test_members_of_an_older_schema_migrate),
        T(test_member_tally_follows_commits),
        T(test_member_tally_of_an_older_schema),
        T(test_element_group_count_follows_members),
        T(test_element_group_count_of_an_older_schema),
        T(test_group_filters),
        T(test_persistent_tally_follows_the_rows),
        T(test_persistent_tally_of_an_older_schema),
        T(test_group_tally_of_an_older_schema),
        T(test_member_layout_passes_integrity_check),
        T(test_element_state_of_an_older_schema),
        T(test_cached_paths_follow_the_store),
        T(test_cached_counts_follow_the_store),
        T(test_pages_of_few_and_of_many_matches),
    };

    return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
