/* Rows of the element table (the inventory of logical elements that may become members) and
 * of the system table (the hosting CIM_ComputerSystem). */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/rg_util.h"

void db_element_clear(struct db_element *e)
{
    if (!e)
        return;
    free(e->class_name);
    free(e->device_id);
    free(e->sys_class);
    free(e->sys_name);
    free(e->element_name);
    free(e->path);
    free(e->path_key);
    memset(e, 0, sizeof(*e));
}

void db_system_clear(struct db_system *s)
{
    if (!s)
        return;
    free(s->creation_class);
    free(s->name);
    memset(s, 0, sizeof(*s));
}

int db_system_ensure(struct db *db, const char *creation_class, const char *name, int64_t *id)
{
    sqlite3_stmt *st = db_stmt(db, Q_SYSTEM_FIND);
    int rc, step;

    *id = 0;
    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, creation_class);
    db_bind_text(st, 2, name);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    rc = db_release(db, st, "find system");
    if (step == SQLITE_ROW || rc != DB_OK)
        return rc;
    if (step != SQLITE_DONE)
        return db_map(db, step, "find system");
    st = db_stmt(db, Q_SYSTEM_INSERT);
    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, creation_class);
    db_bind_text(st, 2, name);
    rc = db_exec_stmt(db, st, "insert system");
    if (rc == DB_OK)
        *id = sqlite3_last_insert_rowid(db->conn);
    return rc;
}

int db_system_get(struct db *db, int64_t id, struct db_system *out)
{
    sqlite3_stmt *st = db_stmt(db, Q_SYSTEM_GET);
    int rc = DB_ERR, step, rel;

    memset(out, 0, sizeof(*out));
    if (!st)
        return DB_ERR;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->id = id;
        rc = db_col_text(st, 0, &out->creation_class) || db_col_text(st, 1, &out->name)
                 ? DB_FAILED
                 : DB_OK;
    } else {
        rc = step == SQLITE_DONE ? DB_NOTFOUND : db_map(db, step, "get system");
    }
    rel = db_release(db, st, "get system");
    if (rc == DB_OK && rel != DB_OK)
        rc = rel;
    if (rc != DB_OK)
        db_system_clear(out);
    return rc;
}

int db_element_insert(struct db *db, struct db_element *e)
{
    sqlite3_stmt *st = db_stmt(db, Q_ELEMENT_INSERT);
    int rc;

    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, e->class_name);
    db_bind_text(st, 2, e->device_id);
    db_bind_text(st, 3, e->sys_class);
    db_bind_text(st, 4, e->sys_name);
    db_bind_text(st, 5, e->element_name);
    db_bind_text(st, 6, e->path);
    db_bind_text(st, 7, e->path_key);
    rc = db_exec_stmt(db, st, "insert element");
    if (rc == DB_OK) {
        e->id = sqlite3_last_insert_rowid(db->conn);
        e->generation = 1;
    }
    return rc;
}

/* Fills out from the current row of a statement selecting the Q_ELEMENT_GET columns. */
static int read_element(sqlite3_stmt *st, struct db_element *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->generation = sqlite3_column_int64(st, 8);
    if (db_col_text(st, 1, &out->class_name) || db_col_text(st, 2, &out->device_id) ||
        db_col_text(st, 3, &out->sys_class) || db_col_text(st, 4, &out->sys_name) ||
        db_col_text(st, 5, &out->element_name) || db_col_text(st, 6, &out->path) ||
        db_col_text(st, 7, &out->path_key)) {
        db_element_clear(out);
        return DB_FAILED;
    }
    return DB_OK;
}

int db_element_get(struct db *db, int64_t id, struct db_element *out)
{
    sqlite3_stmt *st = db_stmt(db, Q_ELEMENT_GET);
    int rc, step, rel;

    memset(out, 0, sizeof(*out));
    if (!st)
        return DB_ERR;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_element(st, out);
    else
        rc = step == SQLITE_DONE ? DB_NOTFOUND : db_map(db, step, "get element");
    rel = db_release(db, st, "get element");
    if (rc == DB_OK && rel != DB_OK) {
        db_element_clear(out);
        rc = rel;
    }
    return rc;
}

/* Steps st, bound to one element's id or path key, whose columns are the element's id and
 * path; fills *id and, unless path is NULL, *path (see db_element_find_key in db.h). */
static int lookup_element(struct db *db, sqlite3_stmt *st, int64_t *id, char **path)
{
    int rc, step, rel;

    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = !path || db_col_text(st, 1, path) == 0 ? DB_OK : DB_FAILED;
    } else {
        rc = step == SQLITE_DONE ? DB_NOTFOUND : db_map(db, step, "find element");
    }
    rel = db_release(db, st, "find element");
    if (rc == DB_OK && rel != DB_OK)
        rc = rel;
    if (rc != DB_OK && path) {
        free(*path);
        *path = NULL;
    }
    return rc;
}

/* Where element id's path is kept, or NULL when this connection keeps none. */
static struct db_path_slot *path_slot(struct db *db, int64_t id)
{
    return db->paths && id > 0 ? &db->paths[(uint64_t)id % DB_PATH_SLOTS] : NULL;
}

int db_element_path(struct db *db, int64_t id, char **path)
{
    struct db_path_slot *slot = path_slot(db, id);
    sqlite3_stmt *st;
    int64_t found;
    char *mine = NULL;
    int rc;

    if (path)
        *path = NULL;
    /* A create names each member element: 8 lookups a create, the same few elements. */
    if (slot && slot->id == id) {
        if (path && !(*path = rg_strdup(slot->path)))
            return DB_FAILED;
        return DB_OK;
    }
    if (!(st = db_stmt(db, Q_ELEMENT_PATH)))
        return DB_ERR;
    sqlite3_bind_int64(st, 1, id);
    rc = lookup_element(db, st, &found, slot ? &mine : path);
    if (rc != DB_OK || !slot)
        return rc;
    if (path && !(*path = rg_strdup(mine))) {
        free(mine);
        return DB_FAILED;
    }
    free(slot->path);
    slot->id = id;
    slot->path = mine;
    return DB_OK;
}

int db_element_find_key(struct db *db, const char *key, int64_t *id, char **path)
{
    sqlite3_stmt *st = db_stmt(db, Q_ELEMENT_FIND_KEY);

    *id = 0;
    if (path)
        *path = NULL;
    if (!st)
        return DB_ERR;
    db_bind_text(st, 1, key);
    return lookup_element(db, st, id, path);
}

int db_element_list(struct db *db, int64_t after_id, int limit, struct db_element **out,
                    size_t *n)
{
    sqlite3_stmt *st = db_stmt(db, Q_ELEMENT_LIST);
    struct db_element *arr = NULL;
    size_t len = 0;
    int rc = DB_ERR, step, rel;

    *out = NULL;
    *n = 0;
    if (!st)
        return DB_ERR;
    arr = calloc(limit > 0 ? (size_t)limit : 1, sizeof(*arr));
    if (!arr)
        return DB_FAILED;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    /* The statement's LIMIT ?2 keeps the rows within the array. */
    while ((step = sqlite3_step(st)) == SQLITE_ROW && len < (size_t)limit) {
        if (read_element(st, &arr[len]) != DB_OK)
            goto out;
        len++;
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        rc = db_map(db, step, "list elements");
        goto out;
    }
    rc = DB_OK;
out:
    rel = db_release(db, st, "list elements");
    if (rc == DB_OK && rel != DB_OK)
        rc = rel;
    if (rc != DB_OK) {
        for (size_t i = 0; i < len; i++)
            db_element_clear(&arr[i]);
        free(arr);
        return rc;
    }
    *out = arr;
    *n = len;
    return DB_OK;
}

int db_element_count(struct db *db, int64_t *n)
{
    return db_query_int(db, Q_ELEMENT_COUNT, NULL, n);
}

int db_element_delete(struct db *db, int64_t id)
{
    struct db_path_slot *slot = path_slot(db, id);
    sqlite3_stmt *st = db_stmt(db, Q_ELEMENT_DELETE);
    int rc;

    if (!st)
        return DB_ERR;
    sqlite3_bind_int64(st, 1, id);
    rc = db_exec_stmt(db, st, "delete element");
    if (rc == DB_OK && sqlite3_changes(db->conn) == 0)
        rc = DB_NOTFOUND;
    if (slot && slot->id == id) {
        free(slot->path);
        *slot = (struct db_path_slot){0};
    }
    return rc;
}
