/* db internals shared by the files of db/: the connection struct, the prepared-statement cache and the
 * SQLite-code mapping. Nothing outside db/ includes this. */
#ifndef DB_INT_H
#define DB_INT_H

#include <pthread.h>
#include <sys/types.h>
#include <sqlite3.h>

#include "db/db.h"

/* Every SQL statement the gateway runs; the text lives in db.c's table. */
enum db_q {
    Q_SYSTEM_FIND,
    Q_SYSTEM_INSERT,
    Q_SYSTEM_GET,
    Q_ELEMENT_INSERT,
    Q_ELEMENT_GET,
    Q_ELEMENT_FIND_KEY,
    Q_ELEMENT_LIST,
    Q_ELEMENT_COUNT,
    Q_ELEMENT_DELETE,
    Q_GROUP_INSERT,
    Q_GROUP_NEXT_ID,
    Q_GROUP_GET,
    Q_GROUP_FIND_NAME,
    Q_GROUP_TALLY,
    Q_GROUP_TALLY_PERSISTENT,
    Q_MEMBER_INSERT,
    Q_MEMBER_LIST,
    Q_MEMBER_GROUP_COUNT,
    Q_MEMBER_GROUPS_OF,
    Q_SETTING_INSERT,
    Q_SETTING_LIST,
    Q_GROUP_DELETE,
    Q_GROUP_UPDATE,
    Q_GROUP_TOUCH,
    Q_MEMBER_DELETE,
    Q_MEMBER_MAX_SEQ,
    Q_MEMBER_COUNT,
    Q_MEMBER_EXISTS,
    Q_ELEMENT_JOINED,
    Q_ELEMENT_LEFT,
    Q_ELEMENT_LEFT_GROUP,
    Q_MEMBER_TOTAL,
    Q_MEMBER_TALLY_ADD,
    Q_GROUP_TALLY_ADD,
    Q_GROUP_GENERATION,
    Q_ELEMENT_PATH,
    Q_IDEM_PURGE,
    Q_IDEM_GET,
    Q_IDEM_CLAIM,
    Q_IDEM_STORE,
    Q_IDEM_DELETE,
    Q_BEGIN,
    Q_BEGIN_READ,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_PAGES,
    Q_DATA_VERSION,
    Q_COUNT
};

/* The filters of a group list, as bits: each combination has its own statement (db_group.c). */
enum { DB_F_NAME = 1, DB_F_PREFIX = 2, DB_F_PERSISTENT = 4, DB_F_MEMBER = 8, DB_F_ALL = 16 };
/* Their statements: a page in id order, the count of its matches, and (for a prefix alone) a
 * page read through the name index. */
enum db_group_stmt { DB_GS_LIST, DB_GS_COUNT, DB_GS_LIST_BY_NAME, DB_GS_KINDS };

struct db {
    sqlite3 *conn;
    sqlite3_stmt *stmts[Q_COUNT];
    sqlite3_stmt *group_stmts[DB_GS_KINDS][DB_F_ALL]; /* by kind and filter bits */
    int in_txn;
    int nested_reads;   /* db_read_begin calls that joined a transaction already open */
    bool batch;         /* inside db_batch_begin: db_txn_run joins the batch's transaction */
    /* DB_OK, or why a change of the batch cannot be undone alone: the first failed statement's
     * error (db_map), or DB_ABORT (see run_in_batch). The batch is then spoiled. */
    int batch_fault;
    double batch_start;
    struct db_txn_stats stats;
    pthread_mutex_t stats_lock; /* /metrics reads the writer's stats from another thread */
    int64_t member_delta;       /* member rows written less deleted since the last tally */
    int64_t group_delta;        /* groups created since the last tally (deletes: a trigger) */
    int64_t persistent_delta;   /* of them, persistent ones */
    dev_t dev;                  /* the database file opened, to tell when its path no longer */
    ino_t ino;                  /* names it (db_ping) */
    struct db_path_slot *paths; /* DB_PATH_SLOTS, by id modulo; NULL without cache_paths */
    int busy_timeout_ms;        /* db_options.busy_timeout_ms */
    struct db_count_slot *counts; /* DB_COUNT_SLOTS; NULL without cache_counts */
    unsigned count_next;          /* the slot the next count not found replaces */
};

/* A count of a filtered list as db_group_count made it, and the state of the store it counted:
 * PRAGMA data_version (moved by other connections' commits) and sqlite3_total_changes64 (by
 * this connection's own changes, committed or not). The same filter on the same state has the
 * same count. A slot with bits 0 is empty: unfiltered counts are read from the tally. */
struct db_count_slot {
    unsigned bits;
    char *name, *prefix; /* owned in db->counts; borrowed in a count_key (db_group.c) */
    int persistent;
    int64_t member;
    int64_t data_version, changes;
    int64_t n;
};
#define DB_COUNT_SLOTS 8

/* An element's path as db_element_path found it (id 0: empty). Paths never change and ids are
 * never reused, so an entry stays true until its element is deleted (db_element_delete drops
 * it) or the transaction that found it does not commit (db_forget_paths). */
struct db_path_slot {
    int64_t id;
    char *path;
};
#define DB_PATH_SLOTS 1024

/* Empties the cache of element paths (after a rollback: it may hold an element never written). */
void db_forget_paths(struct db *db);

/* The VFS every gateway connection opens its database with: the default one, except that WAL
 * writes are gathered until the commit's sync (db_wal.c). */
#define DB_WAL_VFS "replgw-wal"

/* Registers DB_WAL_VFS (not as the default); once per process, before any db_open. Returns an
 * SQLite result code. */
int db_wal_register(void);

/* Notes delta member rows written (or, negative, deleted) by the statement just run: they
 * reach the member tally with the transaction's COMMIT, or at once outside a transaction;
 * a rollback forgets them. Returns DB_OK or the error of the tally's UPDATE. */
int db_members_changed(struct db *db, int64_t delta);
/* The same for groups created (groups, of which persistent are persistent): migration 9 took
 * the tally's insert trigger away. */
int db_groups_changed(struct db *db, int64_t groups, int64_t persistent);

/* Returns the cached statement for q, preparing it on first use; NULL (logged) on error. */
sqlite3_stmt *db_stmt(struct db *db, enum db_q q);

/* Maps a SQLite result code to enum db_rc, logging the connection's message for errors. */
int db_map(struct db *db, int sqlite_rc, const char *what);

/* Resets and clears st after use; returns the mapped reset code (an error of the last step). */
int db_release(struct db *db, sqlite3_stmt *st, const char *what);

/* Steps a statement that returns no rows, then releases it. */
int db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what);

/* Makes room for one more element in arr (len used of *cap, each size bytes), doubling it.
 * Returns the array to use from now on, or NULL when memory runs out (arr is then still the
 * caller's to free). */
void *db_grow(void *arr, size_t *cap, size_t len, size_t size);

/* Runs a one-row query q bound to ?1 = id; *value receives its first column (0 when none).
 * DB_NOTFOUND when there is no row. */
int db_lookup_id(struct db *db, enum db_q q, int64_t id, int64_t *value, const char *what);

/* Copies column col of the current row; NULL stays NULL. Returns -1 on OOM. */
int db_col_text(sqlite3_stmt *st, int col, char **out);

/* Binds text with SQLITE_TRANSIENT; NULL binds SQL NULL. Returns the SQLite code. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Runs a one-column integer query bound to up to one text parameter; *n receives the value. */
int db_query_int(struct db *db, enum db_q q, const char *text_arg, int64_t *n);

#endif
