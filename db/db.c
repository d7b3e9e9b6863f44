/* The connection: opening and configuring SQLite, schema migrations, the statement cache, the
 * transaction runner and the SQLite-code mapping. Row access lives in db_element.c and
 * db_group.c. */
#include "db/db_int.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "util/rg_util.h"

/* Each migration takes the schema from version i to i+1; never edit one that has shipped. */
static const char *const migrations[] = {
    /* 1: the CIM model of CreateGroup. */
    "CREATE TABLE system ("
    "  id INTEGER PRIMARY KEY,"
    "  creation_class TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  UNIQUE (creation_class, name));"
    "CREATE TABLE element ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  class_name TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  sys_class TEXT NOT NULL,"
    "  sys_name TEXT NOT NULL,"
    "  element_name TEXT,"
    "  path TEXT NOT NULL,"
    "  path_key TEXT NOT NULL UNIQUE,"
    "  generation INTEGER NOT NULL DEFAULT 1);"
    /* AUTOINCREMENT: a group id (and so its InstanceID) is never reused after a delete. */
    "CREATE TABLE rgroup ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  element_name TEXT UNIQUE,"
    "  description TEXT,"
    "  persistent INTEGER NOT NULL,"
    "  delete_on_empty INTEGER NOT NULL,"
    "  delete_on_unassoc INTEGER NOT NULL,"
    "  system_id INTEGER NOT NULL REFERENCES system(id),"
    "  generation INTEGER NOT NULL DEFAULT 1,"
    "  rsd_class TEXT);"
    "CREATE TABLE member ("
    "  group_id INTEGER NOT NULL REFERENCES rgroup(id) ON DELETE CASCADE,"
    "  element_id INTEGER NOT NULL REFERENCES element(id),"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (group_id, element_id),"
    "  UNIQUE (group_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX member_by_element ON member(element_id);"
    "CREATE TABLE setting_prop ("
    "  group_id INTEGER NOT NULL REFERENCES rgroup(id) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (group_id, pos)) WITHOUT ROWID;",
    /* 2: stored first responses of POSTs carrying an Idempotency-Key. */
    "CREATE TABLE idempotency ("
    "  key TEXT PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL,"
    "  status INTEGER NOT NULL," /* 0 while the first request runs */
    "  body TEXT,"
    "  content_type TEXT,"
    "  location TEXT,"
    "  etag TEXT,"
    "  created REAL NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX idempotency_by_created ON idempotency(created);",
    /* 3: the number of groups kept by triggers, so an unfiltered list's count does not scan a
     * store of a million groups on every page. */
    "CREATE TABLE tally (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO tally (name, n) SELECT 'rgroup', count(*) FROM rgroup;"
    "CREATE TRIGGER rgroup_tally_insert AFTER INSERT ON rgroup BEGIN"
    "  UPDATE tally SET n = n + 1 WHERE name = 'rgroup'; END;"
    "CREATE TRIGGER rgroup_tally_delete AFTER DELETE ON rgroup BEGIN"
    "  UPDATE tally SET n = n - 1 WHERE name = 'rgroup'; END;",
    /* 4: members keyed by (group_id, seq), the order they are read in, with member_by_element
     * as the unique (element_id, group_id) index: two b-trees per member instead of three
     * (version 1 had the key (group_id, element_id) and separate (group_id, seq) and
     * (element_id) indexes), which a create of 8 members writes 8 times. */
    "CREATE TABLE member_v4 ("
    "  group_id INTEGER NOT NULL REFERENCES rgroup(id) ON DELETE CASCADE,"
    "  element_id INTEGER NOT NULL REFERENCES element(id),"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (group_id, seq)) WITHOUT ROWID;"
    "INSERT INTO member_v4 (group_id, element_id, seq)"
    "  SELECT group_id, element_id, seq FROM member ORDER BY group_id, seq;"
    "DROP TABLE member;"
    "ALTER TABLE member_v4 RENAME TO member;"
    "CREATE UNIQUE INDEX member_by_element ON member(element_id, group_id);",
    /* 5: the number of member rows, so /metrics does not count 8 million rows on each scrape.
     * Not a trigger: a create writes 8 member rows, and a trigger's UPDATE per row costs more
     * than the rest of the member's write; the db module adds each transaction's net change
     * in one UPDATE before its COMMIT (db_members_changed). */
    "INSERT OR REPLACE INTO tally (name, n) SELECT 'member', count(*) FROM member;",
    /* 6: each element's number of groups, so checking an element's memberships and counting
     * a list filtered by Member read one row instead of the element's index entries (a
     * million with --multiple-membership). Moved by the same UPDATE that bumps the element's
     * Generation when a member row comes or goes (db_member_insert, db_member_delete,
     * db_group_delete). */
    "ALTER TABLE element ADD COLUMN n_groups INTEGER NOT NULL DEFAULT 0;"
    "UPDATE element SET n_groups = (SELECT count(*) FROM member WHERE element_id = element.id);",
    /* 7: lists filtered by Persistent. Their count is kept beside the number of groups, in a
     * column of the same tally row moved by the same trigger statements (a statement of its
     * own, or an IN list of two rows, cost a create 5,000 and 30,000 more instructions), and
     * their pages walk an index in (persistent, id) order, so a page of the few temporary
     * groups among a million persistent ones does not scan the table. IF EXISTS and IF NOT
     * EXISTS: a store whose user_version was set back (the older-schema tests) may have them. */
    "CREATE INDEX IF NOT EXISTS rgroup_by_persistent ON rgroup(persistent, id);"
    "ALTER TABLE tally ADD COLUMN persistent INTEGER NOT NULL DEFAULT 0;"
    "UPDATE tally SET persistent = (SELECT count(*) FROM rgroup WHERE persistent)"
    "  WHERE name = 'rgroup';"
    "DROP TRIGGER IF EXISTS rgroup_tally_insert;"
    "DROP TRIGGER IF EXISTS rgroup_tally_delete;"
    "DROP TRIGGER IF EXISTS rgroup_tally_persistent;"
    "CREATE TRIGGER rgroup_tally_insert AFTER INSERT ON rgroup BEGIN"
    "  UPDATE tally SET n = n + 1, persistent = persistent + (NEW.persistent <> 0)"
    "  WHERE name = 'rgroup'; END;"
    "CREATE TRIGGER rgroup_tally_delete AFTER DELETE ON rgroup BEGIN"
    "  UPDATE tally SET n = n - 1, persistent = persistent - (OLD.persistent <> 0)"
    "  WHERE name = 'rgroup'; END;"
    "CREATE TRIGGER rgroup_tally_persistent AFTER UPDATE OF persistent ON rgroup"
    "  WHEN (NEW.persistent <> 0) <> (OLD.persistent <> 0) BEGIN"
    "  UPDATE tally SET persistent = persistent + iif(NEW.persistent, 1, -1)"
    "  WHERE name = 'rgroup'; END;",
    /* 8: an element's Generation and group count in a narrow row of their own. A create of 8
     * members bumps both for each member, and rewriting the element's whole row (its class,
     * keys, path and path key, about 300 bytes) cost 7,200 instructions an element where the
     * narrow row costs 3,500: 29,000 of the 226,000 a create's SQL took (callgrind, 16 creates
     * a transaction). Triggers keep one state row per element; elements come and go rarely. */
    "CREATE TABLE element_state ("
    "  id INTEGER PRIMARY KEY,"
    "  generation INTEGER NOT NULL DEFAULT 1,"
    "  n_groups INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO element_state (id, generation, n_groups)"
    "  SELECT id, generation, n_groups FROM element;"
    "ALTER TABLE element DROP COLUMN n_groups;"
    "ALTER TABLE element DROP COLUMN generation;"
    "CREATE TRIGGER element_state_insert AFTER INSERT ON element BEGIN"
    "  INSERT INTO element_state (id) VALUES (NEW.id); END;"
    "CREATE TRIGGER element_state_delete AFTER DELETE ON element BEGIN"
    "  DELETE FROM element_state WHERE id = OLD.id; END;",
    /* 9: groups created are counted by the db module (db_groups_changed), once a transaction,
     * as member rows are since migration 5: the insert trigger's UPDATE of the tally cost
     * 28,000 instructions a create, as much as the rest of the group's row. The delete and
     * persistence triggers stay: those changes are rare. */
    "DROP TRIGGER IF EXISTS rgroup_tally_insert;",
    /* 10: member's key columns first. With element_id between group_id and seq, the SQLite
     * of Debian 12 (3.40.1) reports "NULL value in member.element_id" for every row from
     * PRAGMA integrity_check and quick_check, though none is NULL: a bug of its check of
     * WITHOUT ROWID tables whose primary key is not their leading columns. An operator
     * checking a healthy store would see thousands of errors. */
    "CREATE TABLE member_v10 ("
    "  group_id INTEGER NOT NULL REFERENCES rgroup(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL,"
    "  element_id INTEGER NOT NULL REFERENCES element(id),"
    "  PRIMARY KEY (group_id, seq)) WITHOUT ROWID;"
    "INSERT INTO member_v10 (group_id, seq, element_id)"
    "  SELECT group_id, seq, element_id FROM member ORDER BY group_id, seq;"
    "DROP TABLE member;"
    "ALTER TABLE member_v10 RENAME TO member;"
    "CREATE UNIQUE INDEX member_by_element ON member(element_id, group_id);"
    /* and the file marked as replgw's (check_owner): DB_APPLICATION_ID, "RGWL". */
    "PRAGMA application_id = 1380407116;",
};

static const char *const sql[Q_COUNT] = {
    [Q_SYSTEM_FIND] = "SELECT id FROM system WHERE creation_class = ?1 AND name = ?2",
    [Q_SYSTEM_INSERT] = "INSERT INTO system (creation_class, name) VALUES (?1, ?2)",
    [Q_SYSTEM_GET] = "SELECT creation_class, name FROM system WHERE id = ?1",
    [Q_ELEMENT_INSERT] = "INSERT INTO element (class_name, device_id, sys_class, sys_name,"
                         " element_name, path, path_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_ELEMENT_GET] = "SELECT e.id, e.class_name, e.device_id, e.sys_class, e.sys_name,"
                      " e.element_name, e.path, e.path_key, s.generation"
                      " FROM element e JOIN element_state s ON s.id = e.id WHERE e.id = ?1",
    [Q_ELEMENT_FIND_KEY] = "SELECT id, path FROM element WHERE path_key = ?1",
    [Q_ELEMENT_LIST] = "SELECT e.id, e.class_name, e.device_id, e.sys_class, e.sys_name,"
                       " e.element_name, e.path, e.path_key, s.generation"
                       " FROM element e JOIN element_state s ON s.id = e.id"
                       " WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
    [Q_ELEMENT_COUNT] = "SELECT count(*) FROM element",
    [Q_ELEMENT_DELETE] = "DELETE FROM element WHERE id = ?1",
    [Q_GROUP_INSERT] = "INSERT INTO rgroup (id, element_name, description, persistent,"
                       " delete_on_empty, delete_on_unassoc, system_id, rsd_class)"
                       " VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* The id AUTOINCREMENT gives the next group: one past the largest it ever gave, which it
     * keeps in sqlite_sequence (and which is never below the largest id present). */
    [Q_GROUP_NEXT_ID] = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'rgroup'),"
                        " 0) + 1",
    [Q_GROUP_GET] = "SELECT id, element_name, description, persistent, delete_on_empty,"
                    " delete_on_unassoc, system_id, generation, rsd_class"
                    " FROM rgroup WHERE id = ?1",
    [Q_GROUP_FIND_NAME] = "SELECT id FROM rgroup WHERE element_name = ?1",
    [Q_GROUP_TALLY] = "SELECT n FROM tally WHERE name = 'rgroup'",
    [Q_GROUP_TALLY_PERSISTENT] = "SELECT iif(?1, persistent, n - persistent) FROM tally"
                                 " WHERE name = 'rgroup'",
    [Q_MEMBER_INSERT] = "INSERT INTO member (group_id, element_id, seq) VALUES (?1, ?2, ?3)",
    [Q_MEMBER_LIST] = "SELECT m.element_id, m.seq, e.path FROM member m"
                      " JOIN element e ON e.id = m.element_id"
                      " WHERE m.group_id = ?1 ORDER BY m.seq",
    [Q_MEMBER_GROUP_COUNT] = "SELECT coalesce((SELECT n_groups FROM element_state WHERE id = ?1),"
                             " 0)",
    [Q_MEMBER_GROUPS_OF] = "SELECT group_id, seq FROM member WHERE element_id = ?1"
                           " ORDER BY group_id LIMIT ?2",
    [Q_SETTING_INSERT] = "INSERT INTO setting_prop (group_id, pos, name, value)"
                         " VALUES (?1, ?2, ?3, ?4)",
    [Q_SETTING_LIST] = "SELECT name, value FROM setting_prop WHERE group_id = ?1 ORDER BY pos",
    [Q_GROUP_DELETE] = "DELETE FROM rgroup WHERE id = ?1",
    [Q_GROUP_UPDATE] = "UPDATE rgroup SET element_name = ?2, persistent = ?3,"
                       " delete_on_empty = ?4, delete_on_unassoc = ?5,"
                       " generation = generation + 1 WHERE id = ?1",
    [Q_GROUP_TOUCH] = "UPDATE rgroup SET generation = generation + 1 WHERE id = ?1",
    [Q_MEMBER_DELETE] = "DELETE FROM member WHERE group_id = ?1 AND element_id = ?2",
    [Q_MEMBER_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM member WHERE group_id = ?1",
    [Q_MEMBER_COUNT] = "SELECT count(*) FROM member WHERE group_id = ?1",
    [Q_MEMBER_EXISTS] = "SELECT count(*) FROM member WHERE group_id = ?1 AND element_id = ?2",
    [Q_ELEMENT_JOINED] = "UPDATE element_state SET generation = generation + 1,"
                         " n_groups = n_groups + 1 WHERE id = ?1",
    [Q_ELEMENT_LEFT] = "UPDATE element_state SET generation = generation + 1,"
                       " n_groups = n_groups - 1 WHERE id = ?1",
    [Q_ELEMENT_LEFT_GROUP] = "UPDATE element_state SET generation = generation + 1,"
                             " n_groups = n_groups - 1"
                             " WHERE id IN (SELECT element_id FROM member WHERE group_id = ?1)",
    [Q_MEMBER_TOTAL] = "SELECT n FROM tally WHERE name = 'member'",
    [Q_MEMBER_TALLY_ADD] = "UPDATE tally SET n = n + ?1 WHERE name = 'member'",
    [Q_GROUP_TALLY_ADD] = "UPDATE tally SET n = n + ?1, persistent = persistent + ?2"
                          " WHERE name = 'rgroup'",
    [Q_GROUP_GENERATION] = "SELECT generation FROM rgroup WHERE id = ?1",
    [Q_ELEMENT_PATH] = "SELECT id, path FROM element WHERE id = ?1",
    [Q_IDEM_PURGE] = "DELETE FROM idempotency WHERE created < ?1",
    [Q_IDEM_GET] = "SELECT fingerprint, status, body, content_type, location, etag, created"
                   " FROM idempotency WHERE key = ?1",
    [Q_IDEM_CLAIM] = "INSERT OR REPLACE INTO idempotency (key, fingerprint, status, created)"
                     " VALUES (?1, ?2, 0, ?3)",
    [Q_IDEM_STORE] = "UPDATE idempotency SET status = ?2, body = ?3, content_type = ?4,"
                     " location = ?5, etag = ?6 WHERE key = ?1",
    [Q_IDEM_DELETE] = "DELETE FROM idempotency WHERE key = ?1",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_BEGIN_READ] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_PAGES] = "SELECT p.page_count, m.max_page_count, f.freelist_count"
                " FROM pragma_page_count() p, pragma_max_page_count() m, pragma_freelist_count() f",
    [Q_DATA_VERSION] = "PRAGMA data_version",
};

#define DB_PING_WAIT_MS 500 /* longest db_ping waits for the write lock */

/* Set once any statement of the process found the file damaged (SQLITE_CORRUPT): the store is
 * not ready again until an operator has looked (db_ping). One file per process. */
static atomic_bool damaged;

/* Marks the open batch spoiled, for why unless an earlier fault did already. */
static void spoil_batch(struct db *db, int why)
{
    if (db->batch_fault == DB_OK)
        db->batch_fault = why;
}

int db_map(struct db *db, int sqlite_rc, const char *what)
{
    int rc;

    if ((sqlite_rc & 0xFF) == SQLITE_CORRUPT)
        atomic_store(&damaged, true);
    switch (sqlite_rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return DB_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        rc = DB_BUSY;
        break;
    case SQLITE_FULL:
        rc = DB_FULL;
        break;
    case SQLITE_CONSTRAINT:
        rc = (sqlite_rc == SQLITE_CONSTRAINT_UNIQUE || sqlite_rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? DB_CONFLICT
                 : DB_FAILED;
        break;
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        rc = DB_FAILED;
        break;
    default:
        rc = DB_ERR;
        break;
    }
    /* In a batch, a statement that failed for any cause but a taken name or key (an outcome the
     * change answers, having written nothing) may have undone more than itself: SQLite rolls
     * the whole transaction back after some errors (SQLITE_FULL, an I/O error), after which
     * every later statement would commit on its own. The batch is spoiled: nothing of it is
     * kept, and each change runs again alone. */
    if (db && db->batch && (rc != DB_CONFLICT || sqlite3_get_autocommit(db->conn)))
        spoil_batch(db, rc);
    /* A taken name or key is an expected outcome the caller reports; everything else is news. */
    if (rc != DB_CONFLICT)
        rg_log(RG_LOG_ERROR, "db: %s: %s (sqlite code %d)", what,
               db && db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(sqlite_rc), sqlite_rc);
    return rc;
}

sqlite3_stmt *db_stmt(struct db *db, enum db_q q)
{
    int rc;

    if (db->stmts[q])
        return db->stmts[q];
    rc = sqlite3_prepare_v3(db->conn, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &db->stmts[q], NULL);
    if (rc != SQLITE_OK) {
        db_map(db, rc, "prepare");
        db->stmts[q] = NULL;
    }
    return db->stmts[q];
}

int db_release(struct db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_reset(st);

    sqlite3_clear_bindings(st);
    return rc == SQLITE_OK ? DB_OK : db_map(db, rc, what);
}

int db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what)
{
    int step = sqlite3_step(st);
    int rel = db_release(db, st, what);

    if (step != SQLITE_DONE)
        return rel != DB_OK ? rel : db_map(db, step, what);
    return rel;
}

void *db_grow(void *arr, size_t *cap, size_t len, size_t size)
{
    size_t ncap;
    void *grown;

    if (len < *cap)
        return arr;
    ncap = *cap ? *cap * 2 : 8;
    grown = realloc(arr, ncap * size);
    if (grown)
        *cap = ncap;
    return grown;
}

int db_lookup_id(struct db *db, enum db_q q, int64_t id, int64_t *value, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, q);
    int step, rel;

    *value = 0;
    if (!st)
        return DB_ERR;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    rel = db_release(db, st, what);
    if (step == SQLITE_DONE)
        return DB_NOTFOUND;
    if (step != SQLITE_ROW)
        return db_map(db, step, what);
    return rel;
}

int db_col_text(sqlite3_stmt *st, int col, char **out)
{
    const unsigned char *s = sqlite3_column_text(st, col);

    *out = NULL;
    if (!s)
        return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : -1;
    *out = rg_strndup((const char *)s, (size_t)sqlite3_column_bytes(st, col));
    return *out ? 0 : -1;
}

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    return s ? sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
}

int db_query_int(struct db *db, enum db_q q, const char *text_arg, int64_t *n)
{
    sqlite3_stmt *st = db_stmt(db, q);
    int rc = DB_ERR;
    int step;

    *n = 0;
    if (!st)
        return DB_ERR;
    if (text_arg && db_bind_text(st, 1, text_arg) != SQLITE_OK)
        goto out;
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
        rc = DB_OK;
    } else {
        rc = step == SQLITE_DONE ? DB_NOTFOUND : DB_ERR;
    }
out:
    {
        int rel = db_release(db, st, "query");
        return rc == DB_ERR && rel != DB_OK ? rel : rc;
    }
}

static int exec_sql(struct db *db, const char *text, const char *what)
{
    int rc = sqlite3_exec(db->conn, text, NULL, NULL, NULL);

    return rc == SQLITE_OK ? DB_OK : db_map(db, rc, what);
}

/* Transaction control runs on every change: prepared once, like every other statement. */
static int exec_q(struct db *db, enum db_q q, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, q);

    return st ? db_exec_stmt(db, st, what) : DB_ERR;
}

/* PRAGMA application_id of a replgw store: "RGWL". */
#define DB_APPLICATION_ID 0x5247574C

/* The one number query (a pragma or a count, run once at open) gives, into *out. */
static int read_int(struct db *db, const char *query, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *out = 0;
    rc = sqlite3_prepare_v2(db->conn, query, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? DB_OK : db_map(db, rc, "open");
}

/* Refuses a file that holds another program's database (a mistyped --db, say), before anything
 * is written to it: replgw would add its tables and switch it to WAL. A file of replgw's has
 * its application_id (set by migration 10) or, before that, a schema version and an rgroup
 * table; an empty one is new. These are also the first reads of the file, so a file that is
 * not a database at all fails here. */
static int check_owner(struct db *db, const char *path, char *why, size_t why_len)
{
    int app, version, objects, groups, rc;

    if ((rc = read_int(db, "PRAGMA application_id", &app)) != DB_OK ||
        (rc = read_int(db, "PRAGMA user_version", &version)) != DB_OK ||
        (rc = read_int(db, "SELECT count(*) FROM sqlite_schema", &objects)) != DB_OK ||
        (rc = read_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'rgroup'",
                       &groups)) != DB_OK) {
        snprintf(why, why_len, "cannot use database %s: %s", path, sqlite3_errmsg(db->conn));
        return rc;
    }
    if (app == DB_APPLICATION_ID || (app == 0 && version > 0 && groups == 1) ||
        (app == 0 && version == 0 && objects == 0))
        return DB_OK;
    snprintf(why, why_len,
             "cannot use database %s: it holds another application's data (application_id %d, "
             "schema version %d, %d schema objects); give replgw a file of its own",
             path, app, version, objects);
    return DB_ERR;
}

/* Applies every migration past the file's user_version, each in its own transaction together
 * with the version bump, so a crash mid-migration leaves the previous version intact. */
static int migrate(struct db *db, char *why, size_t why_len)
{
    int version, rc;

    rc = read_int(db, "PRAGMA user_version", &version);
    if (rc != DB_OK) {
        snprintf(why, why_len, "cannot read the schema version: %s", sqlite3_errmsg(db->conn));
        return rc;
    }
    if (version > (int)RG_ARRAY_LEN(migrations)) {
        snprintf(why, why_len, "schema version %d is newer than this replgw knows (%zu)", version,
                 RG_ARRAY_LEN(migrations));
        return DB_ERR;
    }
    for (int v = version; v < (int)RG_ARRAY_LEN(migrations); v++) {
        char bump[64];

        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
        rc = exec_sql(db, "BEGIN IMMEDIATE", "migrate");
        if (rc == DB_OK)
            rc = exec_sql(db, migrations[v], "migrate");
        if (rc == DB_OK)
            rc = exec_sql(db, bump, "migrate");
        if (rc == DB_OK)
            rc = exec_sql(db, "COMMIT", "migrate");
        if (rc != DB_OK) {
            snprintf(why, why_len, "cannot migrate the schema to version %d: %s", v + 1,
                     sqlite3_errmsg(db->conn));
            sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    return DB_OK;
}

int db_check_integrity(struct db *db, char *why, size_t why_len)
{
    const char *path = sqlite3_db_filename(db->conn, "main");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->conn, "PRAGMA quick_check(1)", -1, &st, NULL);
    const char *found;

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    found = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (found && strcmp(found, "ok") == 0) {
        sqlite3_finalize(st);
        return DB_OK;
    }
    snprintf(why, why_len,
             "the database %s is damaged (%s); restore it from a backup, or start with "
             "--db-check=false to serve it as it is",
             path ? path : "", found ? found : sqlite3_errmsg(db->conn));
    /* quick_check's report runs over lines: the message is one. */
    for (char *p = why; *p; p++)
        if (*p == '\n')
            *p = ' ';
    sqlite3_finalize(st);
    return DB_ERR;
}

/* Process-wide SQLite settings, made once before the library initialises. Memory statistics
 * take a global mutex on every allocation that no connection needs. If DB_WAL_VFS cannot be
 * registered, db_open fails naming it. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    db_wal_register();
}

int db_open(const char *path, const struct db_options *opt, struct db **out, char *why,
            size_t why_len)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    struct db *db = NULL;
    char pragma[96];
    int rc = DB_ERR;

    *out = NULL;
    why[0] = '\0';
    db = calloc(1, sizeof(*db));
    if (!db) {
        snprintf(why, why_len, "out of memory");
        goto out;
    }
    pthread_mutex_init(&db->stats_lock, NULL);
    pthread_once(&configured, configure_sqlite);
    /* NOMUTEX: a connection is only ever used by one thread at a time (see db.h), so SQLite's
     * per-call connection mutex is pure cost. */
    if (sqlite3_open_v2(path, &db->conn,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        DB_WAL_VFS) != SQLITE_OK) {
        snprintf(why, why_len, "cannot open database %s: %s", path,
                 db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(db->conn, 1);
    /* SQLite quietly opens a write-protected file read-only; every change would then fail. */
    if (sqlite3_db_readonly(db->conn, "main") == 1) {
        snprintf(why, why_len, "database %s is read-only; replgw needs to write it", path);
        goto out;
    }
    db->busy_timeout_ms = opt->busy_timeout_ms;
    sqlite3_busy_timeout(db->conn, opt->busy_timeout_ms);
    if (check_owner(db, path, why, why_len) != DB_OK)
        goto out;
    /* WAL + FULL: a commit is on disk (fsynced) before db_txn_run returns, so what the gateway
     * acknowledges survives a crash or power loss. DB_WAL_VFS relies on FULL: it writes out a
     * commit's WAL frames at that sync.
     * temp_store = MEMORY keeps statement journals in memory: on disk each costs a temp file
     * and a write per page, and needs no durability (the WAL commit makes a change durable). */
    if (exec_sql(db, "PRAGMA journal_mode = WAL", "open") != DB_OK ||
        exec_sql(db, "PRAGMA synchronous = FULL", "open") != DB_OK ||
        exec_sql(db, "PRAGMA temp_store = MEMORY", "open") != DB_OK ||
        exec_sql(db, "PRAGMA foreign_keys = ON", "open") != DB_OK) {
        snprintf(why, why_len, "cannot use database %s: %s", path, sqlite3_errmsg(db->conn));
        goto out;
    }
    if (opt->max_pages > 0) {
        snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %ld", opt->max_pages);
        if (exec_sql(db, pragma, "open") != DB_OK) {
            snprintf(why, why_len, "cannot set max_page_count: %s", sqlite3_errmsg(db->conn));
            goto out;
        }
    }
    rc = migrate(db, why, why_len);
    if (rc != DB_OK)
        goto out;
    if ((opt->cache_paths && !(db->paths = calloc(DB_PATH_SLOTS, sizeof(*db->paths)))) ||
        (opt->cache_counts && !(db->counts = calloc(DB_COUNT_SLOTS, sizeof(*db->counts))))) {
        snprintf(why, why_len, "out of memory");
        rc = DB_FAILED;
        goto out;
    }
    {
        struct stat st;

        if (stat(sqlite3_db_filename(db->conn, "main"), &st) == 0) {
            db->dev = st.st_dev;
            db->ino = st.st_ino;
        }
    }
    rc = DB_OK;
out:
    if (rc != DB_OK) {
        db_close(db);
        return rc;
    }
    *out = db;
    return DB_OK;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < RG_ARRAY_LEN(db->stmts); i++)
        sqlite3_finalize(db->stmts[i]);
    for (size_t i = 0; i < RG_ARRAY_LEN(db->group_stmts); i++)
        for (size_t j = 0; j < RG_ARRAY_LEN(db->group_stmts[i]); j++)
            sqlite3_finalize(db->group_stmts[i][j]);
    if (db->paths) {
        db_forget_paths(db);
        free(db->paths);
    }
    if (db->counts) {
        for (size_t i = 0; i < DB_COUNT_SLOTS; i++) {
            free(db->counts[i].name);
            free(db->counts[i].prefix);
        }
        free(db->counts);
    }
    sqlite3_close(db->conn);
    pthread_mutex_destroy(&db->stats_lock);
    free(db);
}

const double db_txn_bucket_bounds[DB_TXN_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025, 0.1,    1.0};

static void record_txn(struct db *db, double seconds)
{
    pthread_mutex_lock(&db->stats_lock);
    db->stats.count++;
    db->stats.seconds += seconds;
    for (int i = 0; i < DB_TXN_BUCKETS; i++)
        if (seconds <= db_txn_bucket_bounds[i])
            db->stats.buckets[i]++;
    pthread_mutex_unlock(&db->stats_lock);
}

void db_txn_stats(struct db *db, struct db_txn_stats *out)
{
    pthread_mutex_lock(&db->stats_lock);
    *out = db->stats;
    pthread_mutex_unlock(&db->stats_lock);
}

int db_store_counts(struct db *db, int64_t *groups, int64_t *members)
{
    int rc = db_group_count(db, NULL, groups);

    return rc == DB_OK ? db_query_int(db, Q_MEMBER_TOTAL, NULL, members) : rc;
}

/* DB_FAILED when the database file opened is no longer at its path (deleted, or replaced):
 * a write would go to an unlinked inode, acknowledged and then lost at the next start. One
 * stat per transaction, against an fsync per commit. */
static int check_file(struct db *db, const char *what)
{
    const char *file = sqlite3_db_filename(db->conn, "main");
    struct stat now;

    if (!file || !*file)
        return DB_OK;
    if (stat(file, &now) != 0 || now.st_dev != db->dev || now.st_ino != db->ino) {
        rg_log(RG_LOG_WARN, "db: %s: %s is no longer the database file opened", what, file);
        return DB_FAILED;
    }
    return DB_OK;
}

int db_batch_begin(struct db *db, unsigned waited_ms)
{
    int wait = waited_ms >= (unsigned)db->busy_timeout_ms ? 0
                                                          : db->busy_timeout_ms - (int)waited_ms;
    int rc;

    assert(!db->batch && !db->in_txn);
    if ((rc = check_file(db, "begin batch")) != DB_OK)
        return rc;
    db->batch_start = rg_monotonic_seconds();
    db->batch_fault = DB_OK;
    /* The busy timeout counts from when the oldest change arrived: one queued behind a batch
     * that waited for the lock has waited already. */
    sqlite3_busy_timeout(db->conn, wait);
    rc = exec_q(db, Q_BEGIN, "begin batch");
    db->batch = rc == DB_OK;
    /* A batch that waited out the timeout leaves its changes to run alone (the caller's
     * fallback), each without a wait of its own: one that still finds the lock taken answers
     * 3 Timeout at once, not after its place in the queue times the timeout. Otherwise the
     * timeout is the configured one again, for whatever runs outside a batch. */
    if (rc == DB_BUSY)
        sqlite3_busy_timeout(db->conn, 0);
    else if (wait != db->busy_timeout_ms)
        sqlite3_busy_timeout(db->conn, db->busy_timeout_ms);
    return rc;
}

/* Adds the member rows and the groups the open transaction (or, outside one, the last
 * statement) wrote less those it deleted to their tallies, and forgets them. */
static int add_tallies(struct db *db)
{
    int64_t members = db->member_delta, groups = db->group_delta;
    int64_t persistent = db->persistent_delta;
    sqlite3_stmt *st;
    int rc = DB_OK;

    db->member_delta = db->group_delta = db->persistent_delta = 0;
    if (members != 0) {
        if (!(st = db_stmt(db, Q_MEMBER_TALLY_ADD)))
            return DB_ERR;
        sqlite3_bind_int64(st, 1, members);
        rc = db_exec_stmt(db, st, "count members");
    }
    if (rc == DB_OK && (groups != 0 || persistent != 0)) {
        if (!(st = db_stmt(db, Q_GROUP_TALLY_ADD)))
            return DB_ERR;
        sqlite3_bind_int64(st, 1, groups);
        sqlite3_bind_int64(st, 2, persistent);
        rc = db_exec_stmt(db, st, "count groups");
    }
    return rc;
}

/* Outside a transaction of ours a change's statement committed on its own, and so does its
 * count. Inside one the count waits for its commit: never added in SQLite's autocommit mode,
 * which there means the transaction was rolled back under us (end_txn then fails it). */
static int count_changed(struct db *db)
{
    return db->batch || db->in_txn ? DB_OK : add_tallies(db);
}

int db_members_changed(struct db *db, int64_t delta)
{
    db->member_delta += delta;
    return count_changed(db);
}

int db_groups_changed(struct db *db, int64_t groups, int64_t persistent)
{
    db->group_delta += groups;
    db->persistent_delta += persistent;
    return count_changed(db);
}

/* Ends the open transaction with COMMIT (commit; its member rows reach the tally first) or
 * ROLLBACK. A failed COMMIT may leave the transaction open: it is rolled back, so nothing
 * half-written stays. Records the time since start. */
static int end_txn(struct db *db, bool commit, double start, const char *what)
{
    int rc = DB_OK;

    /* A transaction SQLite rolled back after an error (autocommit again) commits nothing: its
     * counts must not be added on their own. */
    if (commit && sqlite3_get_autocommit(db->conn)) {
        rg_log(RG_LOG_ERROR, "db: %s: the transaction was rolled back by an earlier error", what);
        rc = DB_FAILED;
    }
    if (commit && rc == DB_OK)
        rc = add_tallies(db);
    if (commit && rc == DB_OK)
        rc = exec_q(db, Q_COMMIT, what);
    db->member_delta = db->group_delta = db->persistent_delta = 0;

    if ((!commit || rc != DB_OK) && !sqlite3_get_autocommit(db->conn))
        exec_q(db, Q_ROLLBACK, "rollback");
    if (!commit || rc != DB_OK)
        db_forget_paths(db);
    record_txn(db, rg_monotonic_seconds() - start);
    return rc;
}

void db_forget_paths(struct db *db)
{
    for (size_t i = 0; db->paths && i < DB_PATH_SLOTS; i++) {
        free(db->paths[i].path);
        db->paths[i] = (struct db_path_slot){0};
    }
}

int db_batch_end(struct db *db, bool commit)
{
    int fault, rc;

    assert(db->batch);
    if (sqlite3_get_autocommit(db->conn)) /* rolled back under us */
        spoil_batch(db, DB_ABORT);
    fault = db->batch_fault;
    db->batch = false;
    db->batch_fault = DB_OK;
    rc = end_txn(db, commit && fault == DB_OK, db->batch_start, "commit batch");
    return fault != DB_OK ? fault : rc;
}

/* Inside a batch the callback runs in the batch's transaction without a savepoint of its own: a
 * savepoint journals every page it touches, which cost more than the rest of a create. A
 * callback that fails having written nothing needs no undo. One that fails after writing, or an
 * error after which SQLite rolled the whole transaction back (autocommit again), spoils the
 * batch: db_batch_end rolls it all back and the caller runs each change again alone. */
static int run_in_batch(struct db *db, db_txn_fn fn, void *cls)
{
    sqlite3_int64 before;
    int cb;

    if (db->batch_fault != DB_OK || sqlite3_get_autocommit(db->conn)) {
        spoil_batch(db, DB_ABORT);
        return DB_FAILED;
    }
    before = sqlite3_total_changes64(db->conn);
    db->in_txn = 1;
    cb = fn(db, cls);
    db->in_txn = 0;
    if (sqlite3_get_autocommit(db->conn) ||
        (cb != 0 && sqlite3_total_changes64(db->conn) != before))
        spoil_batch(db, DB_ABORT);
    return cb != 0 ? DB_ABORT : DB_OK;
}

int db_txn_run(struct db *db, db_txn_fn fn, void *cls)
{
    double start = rg_monotonic_seconds();
    int rc, cb;

    if (db->batch)
        return run_in_batch(db, fn, cls);
    assert(!db->in_txn);
    if ((rc = check_file(db, "begin")) != DB_OK)
        return rc;
    rc = exec_q(db, Q_BEGIN, "begin");
    if (rc != DB_OK)
        return rc;
    db->in_txn = 1;
    cb = fn(db, cls);
    db->in_txn = 0;
    if (cb != 0) {
        end_txn(db, false, start, "rollback");
        return DB_ABORT;
    }
    return end_txn(db, true, start, "commit");
}

int db_read_begin(struct db *db)
{
    int rc;

    if (db->batch || db->in_txn) {
        db->nested_reads++;
        return DB_OK;
    }
    rc = exec_q(db, Q_BEGIN_READ, "begin read");
    db->in_txn = rc == DB_OK;
    return rc;
}

void db_read_end(struct db *db)
{
    if (db->nested_reads) {
        db->nested_reads--;
        return;
    }
    db->in_txn = 0;
    if (!sqlite3_get_autocommit(db->conn))
        exec_q(db, Q_COMMIT, "end read");
}

/* Free bytes below which the disk is called full: a batch of 32 creates writes about 60 pages
 * of WAL, a checkpoint more. */
#define DB_MIN_FREE (4u << 20)
/* DB_FULL when, with no free page inside the file, the store's page limit leaves less than
 * 1/64 of itself (and at least 2 pages) to grow into. */
static int check_pages(struct db *db)
{
    sqlite3_stmt *st = db_stmt(db, Q_PAGES);
    int step, rc = DB_OK;

    if (!st)
        return DB_ERR;
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int64_t pages = sqlite3_column_int64(st, 0), limit = sqlite3_column_int64(st, 1);
        int64_t margin = limit / 64 > 2 ? limit / 64 : 2;

        if (sqlite3_column_int64(st, 2) == 0 && pages + margin > limit) {
            rg_log(RG_LOG_WARN, "db: not ready: the store has reached its page limit (%lld pages)",
                   (long long)limit);
            rc = DB_FULL;
        }
    } else {
        rc = db_map(db, step, "ping");
    }
    db_release(db, st, "ping");
    return rc;
}

int db_ping(struct db *db)
{
    const char *file = sqlite3_db_filename(db->conn, "main");
    struct statvfs fs;
    int rc;

    /* Ready means writable, and taking the write lock is not all of it: the file may be gone,
     * or the disk or the page limit full, where every change fails. */
    if ((rc = check_file(db, "not ready")) != DB_OK)
        return rc;
    if (atomic_load(&damaged)) {
        rg_log(RG_LOG_WARN, "db: not ready: a read found the database file damaged (check it "
                            "with PRAGMA integrity_check, restore it from a backup)");
        return DB_ERR;
    }
    if (file && *file) {
        if (statvfs(file, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < DB_MIN_FREE) {
            rg_log(RG_LOG_WARN, "db: not ready: less than %u MiB free beside %s",
                   DB_MIN_FREE >> 20, file);
            return DB_FULL;
        }
    }
    if ((rc = check_pages(db)) != DB_OK)
        return rc;
    /* Then take the write lock and let it go, waiting for it no longer than a probe waits for
     * its answer (Kubernetes gives one a second): a lock held longer is news either way. */
    if (db->busy_timeout_ms > DB_PING_WAIT_MS)
        sqlite3_busy_timeout(db->conn, DB_PING_WAIT_MS);
    rc = exec_q(db, Q_BEGIN, "ping");
    if (rc == DB_OK)
        rc = exec_q(db, Q_ROLLBACK, "ping");
    if (db->busy_timeout_ms > DB_PING_WAIT_MS)
        sqlite3_busy_timeout(db->conn, db->busy_timeout_ms);
    return rc;
}
