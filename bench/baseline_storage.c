/* The storage ceiling: the SQL of one create (a group, its 8 ordered members, a setting row) in
 * a loop, WAL with synchronous=FULL as replgw uses, committed one create per transaction and
 * then 16 creates per transaction (what group commit could reach). Prints creates per second for
 * both. Usage: baseline_storage DB SECONDS */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "baseline_sql.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void must(int rc, sqlite3 *db)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "baseline_storage: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
}

static double run(sqlite3 *db, sqlite3_stmt **st, int per_txn, double seconds)
{
    double start = now();
    long creates = 0;

    while (now() - start < seconds) {
        must(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), db);
        for (int g = 0; g < per_txn; g++) {
            sqlite3_int64 id;

            must(sqlite3_step(st[0]), db);
            sqlite3_reset(st[0]);
            id = sqlite3_last_insert_rowid(db);
            for (int m = 1; m <= 8; m++) {
                sqlite3_bind_int64(st[1], 1, id);
                sqlite3_bind_int(st[1], 2, m);
                must(sqlite3_step(st[1]), db);
                sqlite3_reset(st[1]);
            }
            sqlite3_bind_int64(st[2], 1, id);
            must(sqlite3_step(st[2]), db);
            sqlite3_reset(st[2]);
            creates++;
        }
        must(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db);
    }
    return (double)creates / (now() - start);
}

int main(int argc, char **argv)
{
    sqlite3 *db;
    sqlite3_stmt *st[3];
    double seconds = argc > 2 ? atof(argv[2]) : 3;

    if (argc < 2 || sqlite3_open(argv[1], &db) != SQLITE_OK)
        return 1;
    must(sqlite3_exec(db,
                      BASELINE_SCHEMA,
                      NULL, NULL, NULL),
         db);
    must(sqlite3_prepare_v2(db, "INSERT INTO g (name, p, s) VALUES (NULL, 1, 1)", -1, &st[0], NULL),
         db);
    must(sqlite3_prepare_v2(db, "INSERT INTO m VALUES (?1, ?2, ?2)", -1, &st[1], NULL), db);
    must(sqlite3_prepare_v2(db, "INSERT INTO sp VALUES (?1, 0, 'ElementName', 'x')", -1, &st[2],
                            NULL),
         db);
    printf("single %.0f\n", run(db, st, 1, seconds));
    printf("batch16 %.0f\n", run(db, st, 16, seconds));
    for (int i = 0; i < 3; i++)
        sqlite3_finalize(st[i]);
    sqlite3_close(db);
    return 0;
}
