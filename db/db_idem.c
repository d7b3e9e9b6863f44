/* Rows of the idempotency table: a POST's Idempotency-Key, a fingerprint of the request that
 * first used it, and that request's response, so a retry gets the same answer after a restart. */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

void db_idem_clear(struct db_idem *r)
{
    if (!r)
        return;
    free(r->fingerprint);
    free(r->body);
    free(r->content_type);
    free(r->location);
    free(r->etag);
    memset(r, 0, sizeof(*r));
}

int db_idem_purge(struct db *db, double cutoff)
{
    sqlite3_stmt *st = db_stmt(db, Q_IDEM_PURGE);

    if (!st)
        return DB_ERR;
    sqlite3_bind_double(st, 1, cutoff);
    return db_exec_stmt(db, st, "purge idempotency keys");
}

int db_idem_get(struct db *db, const char *key, struct db_idem *out)
{
    sqlite3_stmt *st = db_stmt(db, Q_IDEM_GET);
    int rc, step, rel;

    memset(out, 0, sizeof(*out));
    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, key);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->status = sqlite3_column_int(st, 1);
        out->created = sqlite3_column_double(st, 6);
        rc = db_col_text(st, 0, &out->fingerprint) || db_col_text(st, 2, &out->body) ||
                     db_col_text(st, 3, &out->content_type) ||
                     db_col_text(st, 4, &out->location) || db_col_text(st, 5, &out->etag)
                 ? DB_FAILED
                 : DB_OK;
    } else {
        rc = step == SQLITE_DONE ? DB_NOTFOUND : db_map(db, step, "read idempotency key");
    }
    rel = db_release(db, st, "read idempotency key");
    if (rc == DB_OK && rel != DB_OK)
        rc = rel;
    if (rc != DB_OK)
        db_idem_clear(out);
    return rc;
}

int db_idem_claim(struct db *db, const char *key, const char *fingerprint, double now)
{
    sqlite3_stmt *st = db_stmt(db, Q_IDEM_CLAIM);

    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, key);
    db_bind_text(st, 2, fingerprint);
    sqlite3_bind_double(st, 3, now);
    return db_exec_stmt(db, st, "claim idempotency key");
}

int db_idem_store(struct db *db, const char *key, const struct db_idem *r)
{
    sqlite3_stmt *st = db_stmt(db, Q_IDEM_STORE);

    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, key);
    sqlite3_bind_int(st, 2, r->status);
    db_bind_text(st, 3, r->body);
    db_bind_text(st, 4, r->content_type);
    db_bind_text(st, 5, r->location);
    db_bind_text(st, 6, r->etag);
    return db_exec_stmt(db, st, "store idempotent response");
}

int db_idem_delete(struct db *db, const char *key)
{
    sqlite3_stmt *st = db_stmt(db, Q_IDEM_DELETE);

    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, key);
    return db_exec_stmt(db, st, "forget idempotency key");
}
