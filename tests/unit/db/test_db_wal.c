/* db/db_wal.c: the VFS that gathers WAL writes until the sync, on real files in a temporary
 * folder. What it gathers must reach the file at every call that could observe it, in pieces
 * the unix VFS accepts; other files must not be gathered; and a database written through it
 * must read back whole from a connection that does not use it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db/db.h"
#include "db/db_int.h"

struct fixture {
    char dir[64];
    char path[96];
    sqlite3_vfs *vfs;
    sqlite3_file *file; /* open through vfs, or NULL */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    FILE *db;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/replgw-wal-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    /* The unix VFS gives a WAL file its database's mode, so that file must exist. */
    snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
    db = fopen(f->path, "w");
    if (!db || fclose(db) != 0)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/t.db-wal", f->dir);
    /* The VFS is registered once per process, as db_open does it. */
    if (!sqlite3_vfs_find(DB_WAL_VFS) && db_wal_register() != SQLITE_OK)
        return -1;
    f->vfs = sqlite3_vfs_find(DB_WAL_VFS);
    *state = f;
    return f->vfs ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    if (f->file && f->file->pMethods)
        f->file->pMethods->xClose(f->file);
    free(f->file);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static sqlite3_file *open_file(struct fixture *f, int kind)
{
    int out = 0;

    f->file = calloc(1, (size_t)f->vfs->szOsFile);
    assert_non_null(f->file);
    assert_int_equal(f->vfs->xOpen(f->vfs, f->path, f->file,
                                   kind | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &out),
                     SQLITE_OK);
    return f->file;
}

static long long size_on_disk(const struct fixture *f)
{
    struct stat st;

    assert_int_equal(stat(f->path, &st), 0);
    return (long long)st.st_size;
}

static void fill(char *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)((i * 31u + seed) & 0xFF);
}

static void test_contiguous_writes_wait_for_the_sync(void **state)
{
    struct fixture *f = *state;
    sqlite3_file *w = open_file(f, SQLITE_OPEN_WAL);
    char data[3 * 4096], back[sizeof(data)];

    fill(data, sizeof(data), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(w->pMethods->xWrite(w, data + i * 4096, 4096, i * 4096), SQLITE_OK);
    assert_int_equal(size_on_disk(f), 0);
    assert_int_equal(w->pMethods->xSync(w, SQLITE_SYNC_FULL), SQLITE_OK);
    assert_int_equal(size_on_disk(f), (long long)sizeof(data));
    assert_int_equal(w->pMethods->xRead(w, back, (int)sizeof(back), 0), SQLITE_OK);
    assert_memory_equal(back, data, sizeof(data));
}

static void test_read_size_and_truncate_see_what_is_gathered(void **state)
{
    struct fixture *f = *state;
    sqlite3_file *w = open_file(f, SQLITE_OPEN_WAL);
    char data[100], back[100];
    sqlite3_int64 size = 0;

    fill(data, sizeof(data), 2);
    assert_int_equal(w->pMethods->xWrite(w, data, 100, 0), SQLITE_OK);
    assert_int_equal(w->pMethods->xRead(w, back, 100, 0), SQLITE_OK);
    assert_memory_equal(back, data, 100);
    assert_int_equal(w->pMethods->xWrite(w, data, 100, 100), SQLITE_OK);
    assert_int_equal(w->pMethods->xFileSize(w, &size), SQLITE_OK);
    assert_int_equal(size, 200);
    assert_int_equal(w->pMethods->xWrite(w, data, 100, 200), SQLITE_OK);
    assert_int_equal(w->pMethods->xTruncate(w, 250), SQLITE_OK);
    assert_int_equal(size_on_disk(f), 250);
}

/* A write elsewhere in the file (as the WAL header at offset 0 after a restart) sends what was
 * gathered first, so the file ends up as if every write had gone straight through. */
static void test_a_write_elsewhere_writes_out_first(void **state)
{
    struct fixture *f = *state;
    sqlite3_file *w = open_file(f, SQLITE_OPEN_WAL);
    char a[64], b[32], back[96];

    fill(a, sizeof(a), 3);
    fill(b, sizeof(b), 4);
    assert_int_equal(w->pMethods->xWrite(w, a, 64, 32), SQLITE_OK);
    assert_int_equal(w->pMethods->xWrite(w, b, 32, 0), SQLITE_OK);
    assert_int_equal(size_on_disk(f), 96);
    assert_int_equal(w->pMethods->xSync(w, SQLITE_SYNC_NORMAL), SQLITE_OK);
    assert_int_equal(w->pMethods->xRead(w, back, 96, 0), SQLITE_OK);
    assert_memory_equal(back, b, 32);
    assert_memory_equal(back + 32, a, 64);
}

/* More than the unix VFS takes in one call (128 KiB - 1) and more than is gathered at once. */
static void test_a_large_commit_reaches_the_file_whole(void **state)
{
    struct fixture *f = *state;
    sqlite3_file *w = open_file(f, SQLITE_OPEN_WAL);
    const size_t total = 600 * 1024;
    char *data = malloc(total), *back = malloc(total);

    assert_non_null(data);
    assert_non_null(back);
    fill(data, total, 5);
    for (size_t off = 0; off < total; off += 4120) {
        size_t n = total - off < 4120 ? total - off : 4120;

        assert_int_equal(w->pMethods->xWrite(w, data + off, (int)n, (sqlite3_int64)off),
                         SQLITE_OK);
    }
    /* One write longer than is gathered goes straight through, in pieces. */
    assert_int_equal(w->pMethods->xWrite(w, data, 300 * 1024, (sqlite3_int64)total), SQLITE_OK);
    assert_int_equal(w->pMethods->xSync(w, SQLITE_SYNC_FULL), SQLITE_OK);
    assert_int_equal(size_on_disk(f), (long long)(total + 300 * 1024));
    assert_int_equal(w->pMethods->xRead(w, back, (int)total, 0), SQLITE_OK);
    assert_memory_equal(back, data, total);
    free(data);
    free(back);
}

static void test_close_writes_out(void **state)
{
    struct fixture *f = *state;
    sqlite3_file *w = open_file(f, SQLITE_OPEN_WAL);
    char data[50];

    fill(data, sizeof(data), 6);
    assert_int_equal(w->pMethods->xWrite(w, data, 50, 0), SQLITE_OK);
    assert_int_equal(w->pMethods->xClose(w), SQLITE_OK);
    w->pMethods = NULL;
    assert_int_equal(size_on_disk(f), 50);
}

static void test_other_files_are_not_gathered(void **state)
{
    struct fixture *f = *state;
    sqlite3_file *w = open_file(f, SQLITE_OPEN_MAIN_DB);
    char data[100];

    fill(data, sizeof(data), 7);
    assert_int_equal(w->pMethods->xWrite(w, data, 100, 0), SQLITE_OK);
    assert_int_equal(size_on_disk(f), 100);
}

/* Enough commits through db_open's connection to checkpoint and restart the WAL several times;
 * a plain SQLite connection then reads every row, and the file passes integrity_check. */
static void test_a_database_written_through_it_reads_back(void **state)
{
    struct fixture *f = *state;
    const struct db_options opts = {.busy_timeout_ms = 100, .max_pages = 0};
    char path[128], why[256], name[32];
    struct db *db;
    int64_t sys;
    sqlite3 *raw;
    sqlite3_stmt *st;

    snprintf(path, sizeof(path), "%s/g.db", f->dir);
    assert_int_equal(db_open(path, &opts, &db, why, sizeof(why)), DB_OK);
    assert_int_equal(db_system_ensure(db, "CIM_ComputerSystem", "h", &sys), DB_OK);
    for (int i = 0; i < 3000; i++) {
        struct db_group g = {.element_name = name, .persistent = true, .system_id = sys};

        snprintf(name, sizeof(name), "g%d", i);
        assert_int_equal(db_group_insert(db, &g), DB_OK);
    }
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*), max(element_name = 'g2999')"
                                             " FROM rgroup",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 3000);
    assert_int_equal(sqlite3_column_int(st, 1), 1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(raw);
    db_close(db);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_contiguous_writes_wait_for_the_sync),
        T(test_read_size_and_truncate_see_what_is_gathered),
        T(test_a_write_elsewhere_writes_out_first),
        T(test_a_large_commit_reaches_the_file_whole),
        T(test_close_writes_out),
        T(test_other_files_are_not_gathered),
        T(test_a_database_written_through_it_reads_back),
    };

    return cmocka_run_group_tests_name("db_wal", tests, NULL, NULL);
}
