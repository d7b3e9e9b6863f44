/* The service: its capabilities, its hosting system, and the one place db outcomes become CIM
 * return values. */
#include "cim/cim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cim/cim_path.h"
#include "db/db.h"

enum cim_rv cim_rv_from_db(int db_rc, struct cim_err *err, const char *what)
{
    switch (db_rc) {
    case DB_OK:
        return CIM_RV_SUCCESS;
    case DB_BUSY:
        return cim_err_set(err, CIM_RV_TIMEOUT, NULL,
                           "%s: the database stayed locked past the busy timeout", what);
    case DB_FULL:
        return cim_err_set(err, CIM_RV_FAILED, NULL, "%s: the database is full", what);
    case DB_FAILED:
        return cim_err_set(err, CIM_RV_FAILED, NULL, "%s: the database refused the write", what);
    case DB_CONFLICT:
        return cim_err_set(err, CIM_RV_IN_USE, NULL, "%s: already exists", what);
    case DB_NOTFOUND:
        return cim_err_set(err, CIM_RV_NOT_FOUND, NULL, "%s: not found", what);
    default:
        return cim_err_set(err, CIM_RV_UNKNOWN, NULL, "%s: unexpected database error", what);
    }
}

char *cim_service_access_point_path(const struct cim_service *svc, const char *name)
{
    struct cim_keybinding keys[] = {
        {"CreationClassName", "CIM_RemoteServiceAccessPoint", CIM_KEY_STRING},
        {"Name", (char *)name, CIM_KEY_STRING},
        {"SystemCreationClassName", CIM_SYSTEM_CLASS, CIM_KEY_STRING},
        {"SystemName", (char *)svc->caps.system_name, CIM_KEY_STRING},
    };

    return cim_path_format(svc->caps.ns, "CIM_RemoteServiceAccessPoint", keys, RG_ARRAY_LEN(keys));
}

/* The elements a store holds are in the namespace of the service that registered them (their
 * paths are stored as answered). Served under another --namespace, a group's body would mix
 * the two and keep its ETag: refused, naming the namespace to start with. */
static int check_namespace(const struct cim_service *svc, char *why, size_t why_len)
{
    struct db_element *first = NULL;
    struct cim_path path;
    size_t n = 0;
    char parse_why[128];
    int rc = db_element_list(svc->db, 0, 1, &first, &n), bad = 0;

    if (rc != DB_OK) {
        snprintf(why, why_len, "cannot read the logical elements of the database");
        return -1;
    }
    if (n == 1) {
        /* Read as a member reference is: cim_path_parse, the namespace compared without case. */
        if (cim_path_parse(first[0].path, &path, parse_why, sizeof(parse_why)) != 0) {
            snprintf(why, why_len, "a logical element's stored path does not parse: %s",
                     parse_why);
            bad = 1;
        } else {
            if (path.ns && rg_strcasecmp(path.ns, svc->caps.ns) != 0) {
                snprintf(why, why_len,
                         "the database's logical elements are in namespace '%s', not '%s': "
                         "start with --namespace %s",
                         path.ns, svc->caps.ns, path.ns);
                bad = 1;
            }
            cim_path_free(&path);
        }
        db_element_clear(&first[0]);
    }
    free(first);
    return bad ? -1 : 0;
}

int cim_service_init(struct cim_service *svc, struct db *db, const struct cim_caps *caps,
                     char *why, size_t why_len)
{
    struct cim_keybinding keys[] = {
        {"CreationClassName", CIM_SYSTEM_CLASS, CIM_KEY_STRING},
        {"Name", (char *)caps->system_name, CIM_KEY_STRING},
    };
    int rc;

    memset(svc, 0, sizeof(*svc));
    /* As an element's SystemName must be (its default is this name). */
    if (!caps->system_name || !*caps->system_name ||
        strlen(caps->system_name) > CIM_MAX_NAME_BYTES ||
        !rg_utf8_is_clean_text(caps->system_name, strlen(caps->system_name))) {
        snprintf(why, why_len,
                 "the system name must be 1 to %d bytes of UTF-8 without control characters",
                 CIM_MAX_NAME_BYTES);
        return -1;
    }
    if (!caps->temporary_groups && caps->default_persistency == CIM_PERSISTENCY_NOT_PERSISTENT) {
        snprintf(why, why_len,
                 "default persistency 'not-persistent' needs temporary groups to be supported");
        return -1;
    }
    svc->db = db;
    svc->caps = *caps;
    svc->started = (double)time(NULL);
    svc->system_path = cim_path_format(caps->ns, CIM_SYSTEM_CLASS, keys, RG_ARRAY_LEN(keys));
    svc->system_keys = cim_system_keys(caps->ns, CIM_SYSTEM_CLASS, caps->system_name);
    if (!svc->system_path || !svc->system_keys) {
        snprintf(why, why_len, "out of memory");
        goto fail;
    }
    rc = db_system_ensure(db, CIM_SYSTEM_CLASS, caps->system_name, &svc->system_id);
    if (rc != DB_OK) {
        snprintf(why, why_len, "cannot record the hosting system in the database");
        goto fail;
    }
    if (check_namespace(svc, why, why_len) != 0)
        goto fail;
    return 0;
fail:
    cim_service_fini(svc);
    return -1;
}

void cim_service_fini(struct cim_service *svc)
{
    if (!svc)
        return;
    free(svc->system_path);
    free(svc->system_keys);
    memset(svc, 0, sizeof(*svc));
}

enum cim_rv cim_service_stats(struct cim_service *svc, struct cim_stats *out, struct cim_err *err)
{
    int rc;

    _Static_assert(CIM_STATS_BUCKETS == DB_TXN_BUCKETS, "bucket counts differ");
    memset(out, 0, sizeof(*out));
    rc = db_store_counts(svc->db, &out->groups, &out->members);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, err, "count the store");
    cim_service_txn_stats(svc, out);
    return CIM_RV_SUCCESS;
}

void cim_service_txn_stats(struct cim_service *svc, struct cim_stats *out)
{
    struct db_txn_stats t;

    db_txn_stats(svc->db, &t);
    out->txn_count = t.count;
    out->txn_seconds = t.seconds;
    out->txn_bounds = db_txn_bucket_bounds;
    memcpy(out->txn_buckets, t.buckets, sizeof(out->txn_buckets));
}

enum cim_rv cim_service_ping(struct cim_service *svc, struct cim_err *err)
{
    return cim_rv_from_db(db_ping(svc->db), err, "database check");
}

enum cim_rv cim_service_snapshot_begin(struct cim_service *svc, struct cim_err *err)
{
    return cim_rv_from_db(db_read_begin(svc->db), err, "read");
}

void cim_service_snapshot_end(struct cim_service *svc)
{
    db_read_end(svc->db);
}

enum cim_rv cim_service_batch_begin(struct cim_service *svc, unsigned waited_ms,
                                    struct cim_err *err)
{
    return cim_rv_from_db(db_batch_begin(svc->db, waited_ms), err, "begin");
}

enum cim_rv cim_service_batch_end(struct cim_service *svc, bool commit, struct cim_err *err)
{
    return cim_rv_from_db(db_batch_end(svc->db, commit), err, "commit");
}
