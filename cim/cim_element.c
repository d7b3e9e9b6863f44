/* Logical elements: the inventory of volumes that can become group members, and resolution of
 * a member reference in any of its three forms to one stored element (API.md "Names and
 * shapes"). Elements are CIM_LogicalDevice subclasses keyed by SystemCreationClassName,
 * SystemName, CreationClassName and DeviceID (CIM-NOTES §3). */
#include "cim/cim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cim/cim_path.h"
#include "db/db.h"

#define URL_PREFIX "/logical-elements/"

/* The four keys in canonical order (cim_path_format sorts case-insensitively; these are
 * already in that order). Values of the two class-name keys compare case-insensitively. */
enum { K_CCN, K_DEVICE, K_SCCN, K_SYSNAME, K_COUNT };
static const char *const key_names[K_COUNT] = {"CreationClassName", "DeviceID",
                                               "SystemCreationClassName", "SystemName"};

void cim_element_clear(struct cim_element *e)
{
    if (!e)
        return;
    free(e->class_name);
    free(e->device_id);
    free(e->sys_class);
    free(e->sys_name);
    free(e->element_name);
    free(e->path);
    for (size_t i = 0; i < e->n_groups; i++)
        free(e->groups[i].group_path);
    free(e->groups);
    memset(e, 0, sizeof(*e));
}

static char *lower_dup(const char *s)
{
    char *d = rg_strdup(s);

    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* SupportedStorageObjects 2 StorageVolume and 3 LogicalDisk: a class named
 * <Schema>_StorageVolume or <Schema>_LogicalDisk. */
/* A CIM class name (DSP0004): <Schema>_<Name>, letters, digits and '_', a letter first. */
static bool is_class_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > CIM_MAX_NAME_BYTES || !isalpha((unsigned char)name[0]) ||
        !strchr(name, '_'))
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static bool is_element_class(const char *name)
{
    static const char *const suffixes[] = {"_StorageVolume", "_LogicalDisk"};
    size_t len = strlen(name);

    if (!is_class_name(name))
        return false;
    for (size_t i = 0; i < RG_ARRAY_LEN(suffixes); i++) {
        size_t sl = strlen(suffixes[i]);
        if (len > sl && rg_strcasecmp(name + len - sl, suffixes[i]) == 0)
            return true;
    }
    return false;
}

/* Writes the element's display path and its case-folded lookup key. Both NULL on OOM. */
static int make_paths(const char *ns, const char *const values[K_COUNT], char **path, char **key)
{
    struct cim_keybinding keys[K_COUNT];
    char *folded[K_COUNT] = {NULL};
    int rc = -1;

    *path = NULL;
    *key = NULL;
    for (int i = 0; i < K_COUNT; i++) {
        keys[i].name = (char *)key_names[i];
        keys[i].value = (char *)values[i];
        keys[i].type = CIM_KEY_STRING;
    }
    *path = cim_path_format(ns, values[K_CCN], keys, K_COUNT);
    folded[K_CCN] = lower_dup(values[K_CCN]);
    folded[K_SCCN] = lower_dup(values[K_SCCN]);
    if (!*path || !folded[K_CCN] || !folded[K_SCCN])
        goto out;
    keys[K_CCN].value = folded[K_CCN];
    keys[K_SCCN].value = folded[K_SCCN];
    *key = cim_path_format(ns, values[K_CCN], keys, K_COUNT);
    if (!*key)
        goto out;
    rc = 0;
out:
    free(folded[K_CCN]);
    free(folded[K_SCCN]);
    if (rc != 0) {
        free(*path);
        *path = NULL;
    }
    return rc;
}

static enum cim_rv check_text(const char *value, const char *param, size_t max,
                              struct cim_err *err)
{
    size_t len = strlen(value);

    if (len == 0)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s must not be empty", param);
    if (len > max)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s is longer than %zu bytes",
                           param, max);
    if (!rg_utf8_is_clean_text(value, len))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s must be UTF-8 text without control characters", param);
    return CIM_RV_SUCCESS;
}

static enum cim_rv copy_element(const struct db_element *row, struct cim_element *out,
                                struct cim_err *err)
{
    memset(out, 0, sizeof(*out));
    out->id = row->id;
    out->generation = row->generation;
    out->class_name = rg_strdup(row->class_name);
    out->device_id = rg_strdup(row->device_id);
    out->sys_class = rg_strdup(row->sys_class);
    out->sys_name = rg_strdup(row->sys_name);
    out->element_name = rg_strdup(row->element_name);
    out->path = rg_strdup(row->path);
    if (!out->class_name || !out->device_id || !out->sys_class || !out->sys_name || !out->path ||
        (row->element_name && !out->element_name)) {
        cim_element_clear(out);
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    }
    return CIM_RV_SUCCESS;
}

struct insert_ctx {
    struct db_element *row;
    int rc; /* db_element_insert's */
};

static int insert_txn(struct db *db, void *cls)
{
    struct insert_ctx *c = cls;

    c->rc = db_element_insert(db, c->row);
    return c->rc != DB_OK;
}

enum cim_rv cim_element_create(struct cim_service *svc, const struct cim_element_req *req,
                               struct cim_element *out, struct cim_err *err)
{
    const char *values[K_COUNT] = {
        [K_CCN] = req->class_name ? req->class_name : CIM_DEFAULT_ELEMENT_CLASS,
        [K_DEVICE] = req->device_id,
        [K_SCCN] = req->sys_class ? req->sys_class : CIM_SYSTEM_CLASS,
        [K_SYSNAME] = req->sys_name ? req->sys_name : svc->caps.system_name,
    };
    struct db_element row = {0};
    struct insert_ctx insert = {&row, DB_OK};
    enum cim_rv rv;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!req->device_id)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, "DeviceID", "DeviceID is required");
    if ((rv = check_text(values[K_DEVICE], "DeviceID", CIM_MAX_DEVICE_ID_BYTES, err)) ||
        (rv = check_text(values[K_SYSNAME], "SystemName", CIM_MAX_NAME_BYTES, err)) ||
        (req->element_name &&
         (rv = check_text(req->element_name, "ElementName", CIM_MAX_NAME_BYTES, err))))
        return rv;
    if (!is_element_class(values[K_CCN]))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, "CreationClassName",
                           "CreationClassName must name a StorageVolume or LogicalDisk class "
                           "(<Schema>_StorageVolume or <Schema>_LogicalDisk)");
    if ((rv = check_text(values[K_SCCN], "SystemCreationClassName", CIM_MAX_NAME_BYTES, err)))
        return rv;
    if (!is_class_name(values[K_SCCN]))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, "SystemCreationClassName",
                           "SystemCreationClassName must be a CIM class name (<Schema>_<Name>: "
                           "letters, digits and '_'), such as CIM_ComputerSystem");

    row.class_name = (char *)values[K_CCN];
    row.device_id = (char *)values[K_DEVICE];
    row.sys_class = (char *)values[K_SCCN];
    row.sys_name = (char *)values[K_SYSNAME];
    row.element_name = (char *)req->element_name;
    if (make_paths(svc->caps.ns, values, &row.path, &row.path_key) != 0)
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    /* One statement, but in a transaction as every change is: it then shares the writer's
     * batch and its checks (a database file no longer at its path refuses it). */
    rc = db_txn_run(svc->db, insert_txn, &insert);
    if (rc == DB_ABORT)
        rc = insert.rc;
    if (rc == DB_CONFLICT) {
        /* Named by its stored path, which may spell its class otherwise than this request. */
        int64_t taken;
        char *stored = NULL;

        if (db_element_find_key(svc->db, row.path_key, &taken, &stored) == DB_OK && stored)
            rv = cim_err_set(err, CIM_RV_IN_USE, "DeviceID",
                             "an element with these keys is already registered: "
                             "/logical-elements/%lld, %s",
                             (long long)taken, stored);
        else
            rv = cim_err_set(err, CIM_RV_IN_USE, "DeviceID",
                             "an element with these keys is already registered: %s", row.path);
        free(stored);
    }
    else if (rc != DB_OK)
        rv = cim_rv_from_db(rc, err, "register element");
    else
        rv = cim_element_get(svc, row.id, out, err);
    free(row.path);
    free(row.path_key);
    return rv;
}

static enum cim_rv load_memberships(struct cim_service *svc, struct cim_element *e,
                                    struct cim_err *err)
{
    int64_t *groups = NULL, *seqs = NULL;
    size_t n = 0;
    enum cim_rv rv = CIM_RV_FAILED;
    int rc;

    /* One more than listed tells whether there are more. */
    rc = db_member_groups_of(svc->db, e->id, CIM_ELEMENT_GROUPS + 1, &groups, &seqs, &n);
    if (rc != DB_OK) {
        rv = cim_rv_from_db(rc, err, "read memberships");
        goto out;
    }
    e->more_groups = n > CIM_ELEMENT_GROUPS;
    if (e->more_groups)
        n = CIM_ELEMENT_GROUPS;
    if (n > 0) {
        e->groups = calloc(n, sizeof(*e->groups));
        if (!e->groups)
            goto oom;
    }
    for (size_t i = 0; i < n; i++) {
        e->groups[i].group_id = groups[i];
        e->groups[i].seq = seqs[i];
        e->n_groups = i + 1;
        e->groups[i].group_path = cim_group_path(svc, groups[i]);
        if (!e->groups[i].group_path)
            goto oom;
    }
    rv = CIM_RV_SUCCESS;
    goto out;
oom:
    rv = cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
out:
    free(groups);
    free(seqs);
    return rv;
}

/* cim_element_get's reads, which the caller makes in one snapshot. */
static enum cim_rv element_get(struct cim_service *svc, int64_t id, struct cim_element *out,
                               struct cim_err *err)
{
    struct db_element row;
    enum cim_rv rv;
    int rc;

    rc = db_element_get(svc->db, id, &row);
    if (rc == DB_NOTFOUND)
        return cim_err_set(err, CIM_RV_NOT_FOUND, NULL, "no logical element with id %lld",
                           (long long)id);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, err, "read element");
    rv = copy_element(&row, out, err);
    db_element_clear(&row);
    if (rv == CIM_RV_SUCCESS && (rv = load_memberships(svc, out, err)) != CIM_RV_SUCCESS)
        cim_element_clear(out);
    return rv;
}

enum cim_rv cim_element_get(struct cim_service *svc, int64_t id, struct cim_element *out,
                            struct cim_err *err)
{
    enum cim_rv rv;

    memset(out, 0, sizeof(*out));
    /* The row and the groups it is in: one version, the one its Generation names. */
    if ((rv = cim_service_snapshot_begin(svc, err)) != CIM_RV_SUCCESS)
        return rv;
    rv = element_get(svc, id, out, err);
    cim_service_snapshot_end(svc);
    return rv;
}

enum cim_rv cim_element_list(struct cim_service *svc, int64_t after_id, int limit,
                             struct cim_element **out, size_t *n, int64_t *total,
                             struct cim_err *err)
{
    struct db_element *rows = NULL;
    struct cim_element *items = NULL;
    size_t nrows = 0, done = 0;
    enum cim_rv rv = CIM_RV_SUCCESS;
    int rc;

    *out = NULL;
    *n = 0;
    *total = 0;
    rc = db_element_count(svc->db, total);
    if (rc == DB_OK)
        rc = db_element_list(svc->db, after_id, limit, &rows, &nrows);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, err, "list elements");
    items = calloc(nrows ? nrows : 1, sizeof(*items));
    if (!items) {
        rv = cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
        goto out;
    }
    for (; done < nrows; done++) {
        rv = copy_element(&rows[done], &items[done], err);
        if (rv == CIM_RV_SUCCESS)
            rv = load_memberships(svc, &items[done], err);
        if (rv != CIM_RV_SUCCESS) {
            cim_element_clear(&items[done]);
            goto out;
        }
    }
out:
    for (size_t i = 0; i < nrows; i++)
        db_element_clear(&rows[i]);
    free(rows);
    if (rv != CIM_RV_SUCCESS) {
        for (size_t i = 0; i < done; i++)
            cim_element_clear(&items[i]);
        free(items);
        *total = 0;
        return rv;
    }
    *out = items;
    *n = nrows;
    return CIM_RV_SUCCESS;
}

char *cim_system_keys(const char *ns, const char *sys_class, const char *sys_name)
{
    struct cim_keybinding keys[] = {{"SystemCreationClassName", (char *)sys_class, CIM_KEY_STRING},
                                    {"SystemName", (char *)sys_name, CIM_KEY_STRING}};
    char *path = cim_path_format(ns, "x", keys, RG_ARRAY_LEN(keys)), *tail;

    if (!path)
        return NULL;
    /* "/{ns}:x.{keys}": the keys sort after CreationClassName and DeviceID, so they end every
     * element path formatted by make_paths. */
    tail = rg_strdup(strstr(path, ":x.") + 3);
    free(path);
    return tail;
}

enum cim_rv cim_host_keys(struct cim_service *svc, int64_t system_id, const char **keys,
                          char **owned, struct cim_err *err)
{
    struct db_system sys;
    int rc;

    *keys = svc->system_keys;
    *owned = NULL;
    if (system_id == svc->system_id)
        return CIM_RV_SUCCESS;
    if ((rc = db_system_get(svc->db, system_id, &sys)) != DB_OK)
        return cim_rv_from_db(rc, err, "read hosting system");
    *keys = *owned = cim_system_keys(svc->caps.ns, sys.creation_class, sys.name);
    db_system_clear(&sys);
    return *owned ? CIM_RV_SUCCESS : cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
}

void cim_member_param(char buf[CIM_PARAM_LEN], size_t i)
{
    /* By hand: a create names each member this way before it is resolved, and snprintf cost
     * 6,000 instructions a create of 8. */
    char digits[24];
    size_t n = 0, at = sizeof("Members[") - 1;

    memcpy(buf, "Members[", at);
    do {
        digits[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    while (n)
        buf[at++] = digits[--n];
    buf[at++] = ']';
    buf[at] = '\0';
}

enum cim_rv cim_check_member_system(const struct cim_service *svc, const char *host_keys,
                                    const char *path, size_t i, struct cim_err *err)
{
    size_t klen = strlen(host_keys), plen = strlen(path);
    /* SystemCreationClassName="{class name}",SystemName="...": the class name has no ','. */
    size_t cls = strcspn(host_keys, ",");
    const char *tail = path + plen - klen;
    char param[CIM_PARAM_LEN];

    /* The class name compares without case (DSP0004); the system's name exactly, as it does
     * where it tells elements apart: an element whose SystemName differs only in case is
     * another element, so it is on another system. */
    if (svc->caps.composite_groups ||
        (plen > klen && tail[-1] == ',' && rg_strncasecmp(tail, host_keys, cls) == 0 &&
         strcmp(tail + cls, host_keys + cls) == 0))
        return CIM_RV_SUCCESS;
    cim_member_param(param, i);
    return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                       "%s is hosted by another system than the group (%s): this service does "
                       "not offer Composite Groups (group feature 7)",
                       param, host_keys);
}

/* "/logical-elements/{id}" with an optional scheme://authority before it (the scheme in any
 * case, as RFC 3986 compares it). Returns the id, 0 when
 * text is not in this form, -1 when it is but the id is malformed: not a positive decimal
 * number without a leading zero, as the element's own URL (/logical-elements/03 is 404). */
static int64_t parse_element_url(const char *text)
{
    const char *p = text;
    size_t scheme = rg_http_scheme_len(p);
    char *end;
    long long id;

    if (scheme) {
        p = strchr(p + scheme, '/');
        if (!p)
            return 0;
        /* An http(s) URL names a host (RFC 9110 4.2.1), as a WBEM URI's "//" must. */
        if (p == text + scheme && strncmp(p, URL_PREFIX, strlen(URL_PREFIX)) == 0)
            return -1;
    }
    if (strncmp(p, URL_PREFIX, strlen(URL_PREFIX)) != 0)
        return 0;
    p += strlen(URL_PREFIX);
    if (!isdigit((unsigned char)*p) || *p == '0')
        return -1;
    errno = 0;
    id = strtoll(p, &end, 10);
    if (errno || id <= 0 || (*end && strcmp(end, "/") != 0))
        return -1;
    return id;
}

enum cim_rv cim_element_resolve(struct cim_service *svc, const char *ref, const char *param,
                                int64_t *id, char **path_out, struct cim_err *err)
{
    struct cim_path path = {0};
    const char *values[K_COUNT] = {NULL};
    char why[160];
    char *display = NULL, *key = NULL;
    enum cim_rv rv = CIM_RV_INVALID_PARAMETER;
    int64_t url_id;
    int rc;

    *id = 0;
    if (path_out)
        *path_out = NULL;
    url_id = parse_element_url(ref);
    if (url_id < 0)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s: malformed logical-element URL", param);
    if (url_id > 0) {
        rc = db_element_path(svc->db, url_id, path_out);
        if (rc == DB_NOTFOUND)
            return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                               "%s: no logical element %s", param, ref);
        if (rc != DB_OK)
            return cim_rv_from_db(rc, err, "resolve member");
        *id = url_id;
        return CIM_RV_SUCCESS;
    }
    if (cim_path_parse(ref, &path, why, sizeof(why)) != 0)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s is not an object path: %s",
                           param, why);
    if (path.ns && rg_strcasecmp(path.ns, svc->caps.ns) != 0) {
        cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                    "%s: namespace %s is not served here (use %s)", param, path.ns, svc->caps.ns);
        goto out;
    }
    if (!is_element_class(path.class_name)) {
        cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                    "%s: class %s is not a StorageVolume or LogicalDisk class", param,
                    path.class_name);
        goto out;
    }
    for (size_t i = 0; i < path.n_keys; i++) {
        int k;

        for (k = 0; k < K_COUNT && rg_strcasecmp(path.keys[i].name, key_names[k]) != 0; k++)
            ;
        if (k == K_COUNT) {
            cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                        "%s: %s is not a key of %s (keys: CreationClassName, DeviceID, "
                        "SystemCreationClassName, SystemName)",
                        param, path.keys[i].name, path.class_name);
            goto out;
        }
        if (path.keys[i].type != CIM_KEY_STRING) {
            cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                        "%s: the value of key %s must be a quoted string (%s=\"...\")", param,
                        key_names[k], key_names[k]);
            goto out;
        }
        values[k] = path.keys[i].value;
    }
    for (int k = 0; k < K_COUNT; k++) {
        if (!values[k]) {
            cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s: key %s is missing", param,
                        key_names[k]);
            goto out;
        }
    }
    if (rg_strcasecmp(values[K_CCN], path.class_name) != 0) {
        cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                    "%s: CreationClassName \"%s\" does not match the class %s", param,
                    values[K_CCN], path.class_name);
        goto out;
    }
    if (make_paths(svc->caps.ns, values, &display, &key) != 0) {
        rv = cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
        goto out;
    }
    rc = db_element_find_key(svc->db, key, id, path_out);
    if (rc == DB_NOTFOUND) {
        cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s: no logical element %s", param,
                    display);
        goto out;
    }
    if (rc != DB_OK) {
        rv = cim_rv_from_db(rc, err, "resolve member");
        goto out;
    }
    rv = CIM_RV_SUCCESS;
out:
    cim_path_free(&path);
    free(display);
    free(key);
    return rv;
}
