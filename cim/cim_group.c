/* CIM_ReplicationService.CreateGroup and reading groups back. Every CreateGroup rule of API.md
 * is checked here, in a fixed order, before or inside the one transaction that writes the group
 * (CIM_ReplicationGroup), its CIM_HostedCollection link, its CIM_OrderedMemberOfCollection rows
 * and its CIM_ReplicationSettingData. */
#include "cim/cim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cim/cim_path.h"
#include "db/db.h"


void cim_group_clear(struct cim_group *g)
{
    if (!g)
        return;
    free(g->instance_id);
    free(g->element_name);
    free(g->description);
    free(g->path);
    free(g->system_path);
    for (size_t i = 0; i < g->n_members; i++)
        free(g->members[i].path);
    free(g->members);
    if (g->rsd) {
        cim_rsd_free(g->rsd);
        free(g->rsd);
    }
    memset(g, 0, sizeof(*g));
}

char *cim_group_instance_id(int64_t id)
{
    return rg_asprintf("%s:%lld", CIM_INSTANCE_ORG, (long long)id);
}

char *cim_group_path(const struct cim_service *svc, int64_t id)
{
    struct cim_keybinding key = {"InstanceID", NULL, CIM_KEY_STRING};
    char *path;

    key.value = cim_group_instance_id(id);
    if (!key.value)
        return NULL;
    path = cim_path_format(svc->caps.ns, CIM_GROUP_CLASS, &key, 1);
    free(key.value);
    return path;
}

/* The object path of system row system_id into *out (a new string): the service's own system,
 * or the one a group made while the service ran under another --system-name is hosted by (its
 * CIM_HostedCollection is stored, and stays what it was at CreateGroup). */
static enum cim_rv hosting_path(struct cim_service *svc, int64_t system_id, char **out,
                                struct cim_err *err)
{
    struct cim_keybinding keys[] = {{"CreationClassName", NULL, CIM_KEY_STRING},
                                     {"Name", NULL, CIM_KEY_STRING}};
    struct db_system sys;
    int rc;

    if (system_id == svc->system_id) {
        *out = rg_strdup(svc->system_path);
    } else {
        rc = db_system_get(svc->db, system_id, &sys);
        if (rc != DB_OK)
            return cim_rv_from_db(rc, err, "read hosting system");
        keys[0].value = sys.creation_class;
        keys[1].value = sys.name;
        *out = cim_path_format(svc->caps.ns, sys.creation_class, keys, RG_ARRAY_LEN(keys));
        db_system_clear(&sys);
    }
    return *out ? CIM_RV_SUCCESS : cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
}

/* Gives group g (its id set) its InstanceID, its object path and the path of system row
 * system_id, which hosts it. */
static enum cim_rv name_group(struct cim_service *svc, struct cim_group *g, int64_t system_id,
                              struct cim_err *err)
{
    g->instance_id = cim_group_instance_id(g->id);
    g->path = cim_group_path(svc, g->id);
    if (!g->instance_id || !g->path)
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    return hosting_path(svc, system_id, &g->system_path, err);
}

/* ==== CreateGroup ==== */

struct create_ctx {
    struct cim_service *svc;
    const struct cim_create_req *req;
    struct cim_err *err;
    int64_t *element_ids; /* resolved Members, in request order */
    char **paths;         /* their paths, until they move into the answer's members */
    struct cim_group *out; /* the answer, filled from what is written (no read-back) */
};

/* CIM CreateGroup/GroupName: non-empty UTF-8 text without control characters, at most 256
 * bytes; any GroupName is 7 when the service is not nameable. */
enum cim_rv cim_check_group_name(const struct cim_service *svc, const char *name, size_t len,
                                 const char *param, struct cim_err *err)
{
    if (!name)
        return CIM_RV_SUCCESS;
    if (!svc->caps.nameable)
        return cim_err_set(err, CIM_RV_NOT_NAMEABLE, param,
                           "this service's groups are not nameable; omit %s", param);
    if (len == 0)
        len = strlen(name);
    if (len == 0)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param, "%s must not be empty", param);
    if (len > CIM_MAX_NAME_BYTES)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s is %zu bytes; at most %d are allowed", param, len,
                           CIM_MAX_NAME_BYTES);
    if (!rg_utf8_is_clean_text(name, len))
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                           "%s must be UTF-8 text without control characters", param);
    return CIM_RV_SUCCESS;
}

/* Why parsed path p names no configured access point (NULL when it names one): a class that
 * is not a *ServiceAccessPoint, another namespace, or keys other than the four that
 * /capabilities lists (CreationClassName equal to the class, Name, SystemCreationClassName
 * CIM_ComputerSystem, SystemName the service's), each string-valued. */
static const char *access_point_mismatch(const struct cim_service *svc, const struct cim_path *p)
{
    static const char *const key_names[] = {"CreationClassName", "Name",
                                            "SystemCreationClassName", "SystemName"};
    const size_t cl = strlen(p->class_name), sl = strlen("ServiceAccessPoint");
    const struct cim_keybinding *k[RG_ARRAY_LEN(key_names)];

    if (cl < sl || rg_strcasecmp(p->class_name + cl - sl, "ServiceAccessPoint") != 0)
        return "its class is not a ServiceAccessPoint class";
    if (p->ns && rg_strcasecmp(p->ns, svc->caps.ns) != 0)
        return "its namespace is not the service's";
    for (size_t i = 0; i < RG_ARRAY_LEN(key_names); i++) {
        k[i] = cim_path_key(p, key_names[i]);
        if (!k[i] || k[i]->type != CIM_KEY_STRING || p->n_keys != RG_ARRAY_LEN(key_names))
            return "an access point has exactly the keys CreationClassName, Name, "
                   "SystemCreationClassName and SystemName, each a quoted string";
    }
    if (rg_strcasecmp(k[0]->value, p->class_name) != 0)
        return "its CreationClassName does not match its class";
    if (rg_strcasecmp(k[2]->value, CIM_SYSTEM_CLASS) != 0 ||
        strcmp(k[3]->value, svc->caps.system_name) != 0)
        return "it is not on this service's system";
    for (size_t i = 0; i < svc->caps.n_access_points; i++)
        if (strcmp(k[1]->value, svc->caps.access_points[i]) == 0)
            return NULL;
    return "no configured access point has that Name";
}

/* CIM CreateGroup/ServiceAccessPoint (CIM-NOTES 7, Implications 8): non-NULL asks the service to
 * act on a remote system. With no access point configured that is 1 Not Supported, whatever it
 * names (SVSP answers 1 for any non-NULL SAP); with some, a reference that does not resolve to
 * one of them is 5, and a known one is 1 too: this gateway does not act on remote systems. */
enum cim_rv cim_check_access_point(const struct cim_service *svc, const char *ref,
                                   struct cim_err *err)
{
    struct cim_path path = {0};
    const char *mismatch;
    char why[160];
    enum cim_rv rv;

    if (!ref)
        return CIM_RV_SUCCESS;
    if (svc->caps.n_access_points == 0)
        return cim_err_set(err, CIM_RV_NOT_SUPPORTED, "ServiceAccessPoint",
                           "this service has no remote access points (--access-point): "
                           "ServiceAccessPoint must be null");
    if (cim_path_parse(ref, &path, why, sizeof(why)) != 0)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, "ServiceAccessPoint",
                           "ServiceAccessPoint is not an object path: %s", why);
    mismatch = access_point_mismatch(svc, &path);
    if (mismatch)
        rv = cim_err_set(err, CIM_RV_INVALID_PARAMETER, "ServiceAccessPoint",
                         "ServiceAccessPoint does not name a known access point: %s", mismatch);
    else
        rv = cim_err_set(err, CIM_RV_NOT_SUPPORTED, "ServiceAccessPoint",
                         "acting on a remote system through access point '%s' is not supported",
                         cim_path_key(&path, "Name")->value);
    cim_path_free(&path);
    return rv;
}

/* Checks that need no database: name, flags, access point, member count. */
static enum cim_rv check_request(const struct cim_service *svc, const struct cim_create_req *req,
                                 struct cim_err *err)
{
    enum cim_rv rv;

    if ((rv = cim_check_group_name(svc, req->group_name, req->group_name_len, "GroupName",
                                   err)) != CIM_RV_SUCCESS)
        return rv;
    /* CIM CreateGroup/Persistent: false needs group feature 13 "Group can be temporary". */
    if (req->persistent == 0 && !svc->caps.temporary_groups)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, "Persistent",
                           "this service does not support temporary groups (Persistent=false)");
    if ((rv = cim_check_access_point(svc, req->service_access_point, err)) != CIM_RV_SUCCESS)
        return rv;
    /* CIM CreateGroup/Members: empty only with group feature 5 "Empty replication groups
     * allowed"; at most the supported maximum of elements per group. */
    if (req->n_members == 0 && !svc->caps.empty_groups)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, "Members",
                           "this service does not allow empty groups; give at least one member");
    if (svc->caps.max_members && req->n_members > svc->caps.max_members)
        return cim_err_set(err, CIM_RV_INVALID_PARAMETER, "Members",
                           "%zu members given; a group holds at most %llu", req->n_members,
                           (unsigned long long)svc->caps.max_members);
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_resolve_members(struct cim_service *svc, const char *const *refs, size_t n,
                                int64_t *ids, char **paths, struct cim_err *err)
{
    char param[CIM_PARAM_LEN];
    enum cim_rv rv;

    /* Every reference must resolve before any two are compared: a list with a duplicate and
     * a reference that names nothing reports the latter, whatever their order. */
    for (size_t i = 0; i < n; i++) {
        cim_member_param(param, i);
        rv = cim_element_resolve(svc, refs[i], param, &ids[i], paths ? &paths[i] : NULL, err);
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (ids[j] == ids[i]) {
                cim_member_param(param, i);
                return cim_err_set(err, CIM_RV_INVALID_PARAMETER, param,
                                   "%s names the same element as Members[%zu]", param, j);
            }
    return CIM_RV_SUCCESS;
}

/* Resolves the members and, without multiple membership, rejects elements already in a group. */
static enum cim_rv resolve_members(struct create_ctx *c)
{
    const struct cim_create_req *req = c->req;
    enum cim_rv rv = cim_resolve_members(c->svc, req->members, req->n_members, c->element_ids,
                                         c->paths, c->err);

    for (size_t i = 0; rv == CIM_RV_SUCCESS && i < req->n_members; i++)
        rv = cim_check_member_system(c->svc, c->svc->system_keys, c->paths[i], i, c->err);
    for (size_t i = 0; rv == CIM_RV_SUCCESS && i < req->n_members &&
                       !c->svc->caps.multiple_membership;
         i++) {
        int64_t groups;
        int rc = db_member_group_count(c->svc->db, c->element_ids[i], &groups);

        if (rc != DB_OK)
            return cim_rv_from_db(rc, c->err, "check membership");
        /* CIM CreateGroup/ReturnValue=6: without group feature 23 "Element can be member of
         * multiple groups" an element in another group is In Use. */
        if (groups > 0) {
            char param[CIM_PARAM_LEN];

            cim_member_param(param, i);
            return cim_err_set(c->err, CIM_RV_IN_USE, param,
                               "%s already belongs to another replication group", param);
        }
    }
    return rv;
}

/* The suffix of a generated name after the sequential ones were taken: 64 random bits. */
static unsigned long long name_salt(int64_t id, int attempt)
{
    unsigned long long r;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
        return r;
    r = (unsigned long long)time(NULL) ^ ((unsigned long long)clock() << 20);
    return r ^ ((unsigned long long)id << 32) ^ (unsigned long long)attempt;
}

/* Generated names before the random ones: "RG-{id}", then "RG-{id}-2" up to this. */
#define SEQUENTIAL_NAMES 4

void cim_generated_name(int64_t id, int attempt, char name[CIM_GENERATED_NAME_MAX])
{
    if (attempt <= 1)
        snprintf(name, CIM_GENERATED_NAME_MAX, "RG-%lld", (long long)id);
    else if (attempt <= SEQUENTIAL_NAMES)
        snprintf(name, CIM_GENERATED_NAME_MAX, "RG-%lld-%d", (long long)id, attempt);
    else
        snprintf(name, CIM_GENERATED_NAME_MAX, "RG-%lld-%016llx", (long long)id,
                 name_salt(id, attempt));
}

bool cim_is_generated_name(int64_t id, int attempt, const char *name)
{
    char want[CIM_GENERATED_NAME_MAX];
    size_t len;

    if (attempt <= SEQUENTIAL_NAMES) {
        cim_generated_name(id, attempt, want);
        return strcmp(want, name) == 0;
    }
    len = (size_t)snprintf(want, sizeof(want), "RG-%lld-", (long long)id);
    return strncmp(name, want, len) == 0 && strlen(name + len) == 16 &&
           strspn(name + len, "0123456789abcdef") == 16;
}

/* Writes row, a group created without GroupName, under the first of its generated names no
 * other group has. The name goes in with the row: naming it after its INSERT rewrote the row
 * and its name index entry. */
static enum cim_rv insert_generated(struct create_ctx *c, struct db *db, struct db_group *row)
{
    int64_t id;
    int rc = db_group_next_id(db, &id);

    for (int attempt = 1; rc == DB_OK && attempt <= CIM_GENERATED_NAME_ATTEMPTS; attempt++) {
        char name[CIM_GENERATED_NAME_MAX];

        cim_generated_name(id, attempt, name);
        row->id = id;
        row->element_name = name;
        rc = db_group_insert(db, row);
        row->element_name = NULL;
        if (rc == DB_OK) {
            c->out->element_name = rg_strdup(name);
            return c->out->element_name
                       ? CIM_RV_SUCCESS
                       : cim_err_set(c->err, CIM_RV_FAILED, NULL, "out of memory");
        }
        if (rc == DB_CONFLICT)
            rc = DB_OK;
    }
    if (rc != DB_OK)
        return cim_rv_from_db(rc, c->err, "write group");
    return cim_err_set(c->err, CIM_RV_FAILED, "GroupName", "could not generate a unique name");
}

static const char *rsd_description(const struct cim_rsd *rsd)
{
    for (size_t i = 0; rsd && i < rsd->n_props; i++)
        if (strcmp(rsd->props[i].def->name, "Description") == 0)
            return rsd->props[i].s;
    return NULL;
}

/* A new, empty setting data instance of class_name for a group being answered; NULL (err set)
 * on failure. */
static struct cim_rsd *new_settings(const char *class_name, struct cim_err *err)
{
    struct cim_rsd *rsd = malloc(sizeof(*rsd));

    if (!rsd || cim_rsd_init(rsd) != 0) {
        free(rsd);
        cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
        return NULL;
    }
    if (cim_rsd_set_class(rsd, class_name, err) != CIM_RV_SUCCESS) {
        cim_rsd_free(rsd);
        free(rsd);
        return NULL;
    }
    return rsd;
}

/* Stores each property as text and gives the answer the same properties read back from that
 * text, as load_settings would. */
static enum cim_rv write_settings(struct create_ctx *c, struct db *db)
{
    const struct cim_rsd *rsd = c->req->rsd;

    if (!rsd)
        return CIM_RV_SUCCESS;
    c->out->rsd = new_settings(rsd->class_name, c->err);
    if (!c->out->rsd)
        return c->err->rv;
    for (size_t i = 0; i < rsd->n_props; i++) {
        const char *name = rsd->props[i].def->name;
        char *text = cim_prop_to_text(&rsd->props[i]);
        enum cim_rv rv;
        int rc;

        if (!text)
            return cim_err_set(c->err, CIM_RV_FAILED, NULL, "out of memory");
        rc = db_setting_insert(db, c->out->id, (int)i, name, text);
        rv = rc == DB_OK ? cim_rsd_add_text(c->out->rsd, name, text, c->err)
                         : cim_rv_from_db(rc, c->err, "write ReplicationSettingData");
        free(text);
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
    return CIM_RV_SUCCESS;
}

/* The transaction body: returns 0 to commit, the failing cim_rv (non-zero) to roll back. */
static int create_in_txn(struct db *db, void *cls)
{
    struct create_ctx *c = cls;
    const struct cim_create_req *req = c->req;
    const struct cim_caps *caps = &c->svc->caps;
    struct cim_group *out = c->out;
    struct db_group row = {0};
    enum cim_rv rv;
    int rc;

    if (caps->max_groups) {
        int64_t count;

        rc = db_group_count(db, NULL, &count);
        if (rc != DB_OK)
            return cim_rv_from_db(rc, c->err, "count groups");
        if ((uint64_t)count >= caps->max_groups)
            return cim_err_set(c->err, CIM_RV_INVALID_PARAMETER, NULL,
                               "the service already holds its maximum of %llu groups",
                               (unsigned long long)caps->max_groups);
    }
    if ((rv = resolve_members(c)) != CIM_RV_SUCCESS)
        return rv;

    row.element_name = (char *)req->group_name;
    row.description = (char *)rsd_description(req->rsd);
    /* CIM CreateGroup/Persistent: absent follows GetDefaultGroupPersistency (3 = not
     * persistent; 2 and 0 = the class default, true). The Delete* flags default to false. */
    row.persistent = req->persistent >= 0
                         ? req->persistent
                         : caps->default_persistency != CIM_PERSISTENCY_NOT_PERSISTENT;
    row.delete_on_empty = req->delete_on_empty > 0;
    row.delete_on_unassoc = req->delete_on_unassoc > 0;
    row.system_id = c->svc->system_id;
    row.rsd_class = req->rsd ? req->rsd->class_name : NULL;
    if (!req->group_name) {
        if ((rv = insert_generated(c, db, &row)) != CIM_RV_SUCCESS)
            return rv;
    } else if ((rc = db_group_insert(db, &row)) == DB_CONFLICT) {
        /* CIM CreateGroup/ReturnValue=6: group names are unique. */
        return cim_err_set(c->err, CIM_RV_IN_USE, "GroupName",
                           "a replication group named '%s' already exists", req->group_name);
    } else if (rc != DB_OK) {
        return cim_rv_from_db(rc, c->err, "write group");
    }
    out->id = row.id;
    out->generation = row.generation;
    out->persistent = row.persistent;
    out->delete_on_empty = row.delete_on_empty;
    out->delete_on_unassoc = row.delete_on_unassoc;
    if (row.description && !(out->description = rg_strdup(row.description)))
        return cim_err_set(c->err, CIM_RV_FAILED, NULL, "out of memory");
    if (req->group_name && !(out->element_name = rg_strdup(req->group_name)))
        return cim_err_set(c->err, CIM_RV_FAILED, NULL, "out of memory");
    if (req->n_members > 0 && !(out->members = calloc(req->n_members, sizeof(*out->members))))
        return cim_err_set(c->err, CIM_RV_FAILED, NULL, "out of memory");
    /* CIM CreateGroup/Members: the order given is kept as AssignedSequence 1, 2, ... Each
     * member's list of groups grows, and with it its Generation (db_member_insert). */
    for (size_t i = 0; i < req->n_members; i++) {
        struct cim_member *m = &out->members[i];

        m->element_id = c->element_ids[i];
        m->seq = (int64_t)i + 1;
        m->path = c->paths[i];
        c->paths[i] = NULL;
        out->n_members = i + 1;
        rc = db_member_insert(db, out->id, m->element_id, m->seq);
        if (rc != DB_OK) {
            char param[CIM_PARAM_LEN];

            cim_member_param(param, i);
            cim_rv_from_db(rc, c->err, "write member");
            snprintf(c->err->param, sizeof(c->err->param), "%s", param);
            return c->err->rv;
        }
    }
    return write_settings(c, db);
}

enum cim_rv cim_group_create(struct cim_service *svc, const struct cim_create_req *req,
                             struct cim_group *out, struct cim_err *err)
{
    struct create_ctx c = {.svc = svc, .req = req, .err = err, .out = out};
    enum cim_rv rv;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rv = check_request(svc, req, err)) != CIM_RV_SUCCESS)
        return rv;
    c.element_ids = calloc(req->n_members ? req->n_members : 1, sizeof(*c.element_ids));
    c.paths = calloc(req->n_members ? req->n_members : 1, sizeof(*c.paths));
    if (!c.element_ids || !c.paths) {
        free(c.element_ids);
        free(c.paths);
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    }
    rc = db_txn_run(svc->db, create_in_txn, &c);
    for (size_t i = 0; i < req->n_members; i++)
        free(c.paths[i]); /* those not moved into the answer */
    free(c.paths);
    free(c.element_ids);
    if (rc == DB_ABORT)
        rv = err->rv;
    else if (rc != DB_OK)
        rv = cim_rv_from_db(rc, err, "commit group");
    else
        rv = name_group(svc, out, svc->system_id, err);
    if (rv != CIM_RV_SUCCESS)
        cim_group_clear(out);
    return rv;
}

/* ==== Reading groups ==== */

static enum cim_rv load_members(struct cim_service *svc, struct cim_group *g, struct cim_err *err)
{
    struct db_member *rows = NULL;
    size_t n = 0;
    int rc = db_member_list(svc->db, g->id, &rows, &n);

    if (rc != DB_OK)
        return cim_rv_from_db(rc, err, "read members");
    if (n == 0)
        return CIM_RV_SUCCESS;
    g->members = calloc(n, sizeof(*g->members));
    if (!g->members) {
        for (size_t i = 0; i < n; i++)
            db_member_clear(&rows[i]);
        free(rows);
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    }
    /* The rows' path strings move into the group. */
    for (size_t i = 0; i < n; i++) {
        g->members[i].element_id = rows[i].element_id;
        g->members[i].seq = rows[i].seq;
        g->members[i].path = rows[i].path;
    }
    g->n_members = n;
    free(rows);
    return CIM_RV_SUCCESS;
}

static enum cim_rv load_settings(struct cim_service *svc, struct cim_group *g,
                                 const char *rsd_class, struct cim_err *err)
{
    struct db_prop *rows = NULL;
    size_t n = 0;
    enum cim_rv rv = CIM_RV_SUCCESS;
    int rc;

    if (!rsd_class)
        return CIM_RV_SUCCESS;
    rc = db_setting_list(svc->db, g->id, &rows, &n);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, err, "read ReplicationSettingData");
    /* Stored data that no longer validates is our fault, not the client's: Unknown. */
    g->rsd = new_settings(rsd_class, err);
    if (!g->rsd && err->rv == CIM_RV_FAILED) {
        rv = CIM_RV_FAILED; /* out of memory */
        goto out;
    }
    if (!g->rsd)
        goto corrupt;
    for (size_t i = 0; i < n; i++)
        if (cim_rsd_add_text(g->rsd, rows[i].name, rows[i].value, err) != CIM_RV_SUCCESS)
            goto corrupt;
    goto out;
corrupt:
    err->rv = CIM_RV_UNKNOWN;
    err->param[0] = '\0';
    rv = CIM_RV_UNKNOWN;
out:
    for (size_t i = 0; i < n; i++)
        db_prop_clear(&rows[i]);
    free(rows);
    return rv;
}

enum cim_rv cim_group_generation(struct cim_service *svc, int64_t id, int64_t *generation,
                                 struct cim_err *err)
{
    int rc = db_group_generation(svc->db, id, generation);

    if (rc == DB_NOTFOUND)
        return cim_err_set(err, CIM_RV_NOT_FOUND, "ReplicationGroup",
                           "no replication group with id %lld", (long long)id);
    return cim_rv_from_db(rc, err, "read group");
}

/* cim_group_get's reads, which the caller makes in one snapshot. */
static enum cim_rv group_get(struct cim_service *svc, int64_t id, struct cim_group *out,
                             struct cim_err *err)
{
    struct db_group row;
    enum cim_rv rv;
    int rc;

    rc = db_group_get(svc->db, id, &row);
    if (rc == DB_NOTFOUND)
        return cim_err_set(err, CIM_RV_NOT_FOUND, "ReplicationGroup",
                           "no replication group with id %lld", (long long)id);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, err, "read group");
    out->id = row.id;
    out->persistent = row.persistent;
    out->delete_on_empty = row.delete_on_empty;
    out->delete_on_unassoc = row.delete_on_unassoc;
    out->generation = row.generation;
    out->element_name = row.element_name;
    out->description = row.description;
    row.element_name = row.description = NULL;
    if ((rv = name_group(svc, out, row.system_id, err)) != CIM_RV_SUCCESS)
        goto out;
    if ((rv = load_members(svc, out, err)) != CIM_RV_SUCCESS)
        goto out;
    rv = load_settings(svc, out, row.rsd_class, err);
out:
    db_group_clear(&row);
    if (rv != CIM_RV_SUCCESS)
        cim_group_clear(out);
    return rv;
}

enum cim_rv cim_group_get(struct cim_service *svc, int64_t id, struct cim_group *out,
                          struct cim_err *err)
{
    enum cim_rv rv;

    memset(out, 0, sizeof(*out));
    /* The row, the members and the settings are several reads: in one snapshot they are of
     * the one version whose Generation the answer (and its ETag) gives. */
    if ((rv = cim_service_snapshot_begin(svc, err)) != CIM_RV_SUCCESS)
        return rv;
    rv = group_get(svc, id, out, err);
    cim_service_snapshot_end(svc);
    return rv;
}

enum cim_rv cim_group_page(struct cim_service *svc, int64_t after_id, int limit,
                           const struct cim_group_filter *f, struct cim_group_ref **out,
                           size_t *n, int64_t *total, struct cim_err *err)
{
    struct db_group_filter df = {f->name, f->prefix, f->persistent, 0};
    struct db_group_ref *rows = NULL;
    size_t nrows = 0;
    enum cim_rv rv;
    int rc;

    *out = NULL;
    *n = 0;
    *total = 0;
    if (f->member_ref &&
        (rv = cim_element_resolve(svc, f->member_ref, "Member", &df.member, NULL, err)) !=
            CIM_RV_SUCCESS)
        return rv;
    rc = db_group_page(svc->db, after_id, limit, &df, &rows, &nrows, total);
    if (rc != DB_OK) {
        *total = 0;
        return cim_rv_from_db(rc, err, "list groups");
    }
    *out = calloc(nrows ? nrows : 1, sizeof(**out));
    if (!*out) {
        free(rows);
        *total = 0;
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    }
    for (size_t i = 0; i < nrows; i++)
        (*out)[i] = (struct cim_group_ref){rows[i].id, rows[i].generation};
    *n = nrows;
    free(rows);
    return CIM_RV_SUCCESS;
}
