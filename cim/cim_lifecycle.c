/* The group life cycle after CreateGroup (CIM-NOTES §5): DeleteGroup, AddMembers, RemoveMembers,
 * ModifyInstance of the writable properties, and the deletion of an element with its removal
 * from every group. Each is one transaction: any failure leaves everything as it was. A change
 * bumps the Generation (the ETag) of every group and element whose representation it alters. */
#include "cim/cim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"


/* The If-Match precondition on what, found at this Generation: CIM_RV_SUCCESS, or the 428 or
 * 412 recorded in err. */
static enum cim_rv check_cond(const struct cim_cond *cond, int64_t generation, const char *what,
                              struct cim_err *err)
{
    const char *header;

    if (!cond)
        return CIM_RV_SUCCESS;
    if (cond->missing)
        return cim_err_set(err, CIM_RV_PRECONDITION_REQUIRED, NULL,
                           "this server requires If-Match with the ETag you last read");
    header = cond->failed(cond, generation);
    if (header)
        return cim_err_set(err, CIM_RV_PRECONDITION, header,
                           "the request's %s does not hold for the %s's current version (its "
                           "generation is %lld); read it again",
                           header, what, (long long)generation);
    return CIM_RV_SUCCESS;
}

/* Loads group id for a change and checks the If-Match precondition. */
static enum cim_rv load_for_change(struct db *db, int64_t id, const struct cim_cond *if_match,
                                   struct db_group *row, struct cim_err *err)
{
    int rc = db_group_get(db, id, row);

    if (rc == DB_NOTFOUND)
        return cim_err_set(err, CIM_RV_NOT_FOUND, "ReplicationGroup",
                           "no replication group with id %lld", (long long)id);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, err, "read group");
    if (check_cond(if_match, row->generation, "group", err) != CIM_RV_SUCCESS) {
        db_group_clear(row);
        return err->rv;
    }
    return CIM_RV_SUCCESS;
}

/* Turns a db_txn_run outcome into the transaction's ReturnValue. */
static enum cim_rv txn_outcome(int rc, struct cim_err *err, const char *what)
{
    if (rc == DB_ABORT)
        return err->rv;
    return cim_rv_from_db(rc, err, what);
}

/* ==== DeleteGroup ==== */

struct delete_group_ctx {
    int64_t id;
    bool remove_elements;
    const struct cim_cond *if_match;
    struct cim_err *err;
};

static int delete_group_txn(struct db *db, void *cls)
{
    struct delete_group_ctx *c = cls;
    struct db_group row;
    int64_t members;
    enum cim_rv rv;
    int rc;

    if ((rv = load_for_change(db, c->id, c->if_match, &row, c->err)) != CIM_RV_SUCCESS)
        return rv;
    db_group_clear(&row);
    rc = db_member_count(db, c->id, &members);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, c->err, "count members");
    /* CIM DeleteGroup/RemoveElements: false requires an empty group (6 In Use). */
    if (members > 0 && !c->remove_elements)
        return cim_err_set(c->err, CIM_RV_IN_USE, "RemoveElements",
                           "the group has %lld member(s); pass RemoveElements=true to delete it "
                           "anyway (the elements themselves are kept)",
                           (long long)members);
    /* Members go with the group (ON DELETE CASCADE); the member elements stay, their lists of
     * groups shorter (db_group_delete). */
    rc = db_group_delete(db, c->id);
    return rc == DB_OK ? 0 : cim_rv_from_db(rc, c->err, "delete group");
}

enum cim_rv cim_group_delete(struct cim_service *svc, int64_t id, bool remove_elements,
                             const struct cim_cond *if_match, struct cim_err *err)
{
    struct delete_group_ctx c = {id, remove_elements, if_match, err};

    return txn_outcome(db_txn_run(svc->db, delete_group_txn, &c), err, "delete group");
}

/* ==== AddMembers / RemoveMembers ==== */

struct members_ctx {
    struct cim_service *svc;
    int64_t id;
    const struct cim_members_req *req;
    int64_t *ids;
    char **paths; /* AddMembers: the members' paths, to check who hosts them */
    bool deleted;
    struct cim_err *err;
};

/* Loads the group of an AddMembers or RemoveMembers for its change, then judges the access
 * point and the Members list: a group that does not exist (7) is told before the values. */
static enum cim_rv load_for_members(struct db *db, struct members_ctx *c, struct db_group *row)
{
    enum cim_rv rv = load_for_change(db, c->id, c->req->if_match, row, c->err);

    if (rv != CIM_RV_SUCCESS)
        return rv;
    rv = cim_check_access_point(c->svc, c->req->service_access_point, c->err);
    if (rv == CIM_RV_SUCCESS && c->req->n_members == 0)
        rv = cim_err_set(c->err, CIM_RV_INVALID_PARAMETER, "Members",
                         "Members must name at least one element");
    if (rv != CIM_RV_SUCCESS)
        db_group_clear(row);
    return rv;
}

/* add_members_txn once the members are resolved and their group's host is known. */
static int add_each(struct db *db, struct members_ctx *c, const char *host_keys)
{
    const struct cim_caps *caps = &c->svc->caps;
    int64_t seq, count;
    size_t added = 0;
    enum cim_rv rv;
    int rc;

    rc = db_member_max_seq(db, c->id, &seq);
    if (rc == DB_OK)
        rc = db_member_count(db, c->id, &count);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, c->err, "read members");
    for (size_t i = 0; i < c->req->n_members; i++) {
        char param[CIM_PARAM_LEN];
        int64_t groups;
        bool present;

        cim_member_param(param, i);
        rc = db_member_exists(db, c->id, c->ids[i], &present);
        if (rc == DB_OK)
            rc = db_member_group_count(db, c->ids[i], &groups);
        if (rc != DB_OK)
            return cim_rv_from_db(rc, c->err, "check membership");
        /* CIM AddMembers: an element already in the group is not an error (even one of
         * another system, added while the service offered Composite Groups). */
        if (present)
            continue;
        rv = cim_check_member_system(c->svc, host_keys, c->paths[i], i, c->err);
        if (rv != CIM_RV_SUCCESS)
            return rv;
        if (groups > 0 && !caps->multiple_membership)
            return cim_err_set(c->err, CIM_RV_IN_USE, param,
                               "%s already belongs to another replication group", param);
        if (caps->max_members && (uint64_t)(count + 1) > caps->max_members)
            return cim_err_set(c->err, CIM_RV_INVALID_PARAMETER, "Members",
                               "the group would hold more than %llu members",
                               (unsigned long long)caps->max_members);
        /* CIM AddMembers: appended after the last AssignedSequence, in the order given. */
        rc = db_member_insert(db, c->id, c->ids[i], ++seq);
        if (rc != DB_OK)
            return cim_rv_from_db(rc, c->err, "write member");
        count++;
        added++;
    }
    rc = added ? db_group_touch(db, c->id) : DB_OK;
    return rc == DB_OK ? 0 : cim_rv_from_db(rc, c->err, "update group");
}

static int add_members_txn(struct db *db, void *cls)
{
    struct members_ctx *c = cls;
    struct db_group row;
    int64_t system_id;
    const char *host_keys;
    char *owned_keys;
    enum cim_rv rv;
    int rc;

    if ((rv = load_for_members(db, c, &row)) != CIM_RV_SUCCESS)
        return rv;
    system_id = row.system_id;
    db_group_clear(&row);
    rv = cim_resolve_members(c->svc, c->req->members, c->req->n_members, c->ids, c->paths,
                             c->err);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    /* The group's host, looked up once for all the members. */
    if ((rv = cim_host_keys(c->svc, system_id, &host_keys, &owned_keys, c->err)) !=
        CIM_RV_SUCCESS)
        return rv;
    rc = add_each(db, c, host_keys);
    free(owned_keys);
    return rc;
}

static int remove_members_txn(struct db *db, void *cls)
{
    struct members_ctx *c = cls;
    struct db_group row;
    int64_t left;
    bool delete_on_empty;
    enum cim_rv rv;
    int rc;

    if ((rv = load_for_members(db, c, &row)) != CIM_RV_SUCCESS)
        return rv;
    /* CIM RemoveMembers/DeleteOnEmptyElement: the request's value overrides the group's. */
    delete_on_empty = c->req->delete_on_empty >= 0 ? c->req->delete_on_empty > 0
                                                   : row.delete_on_empty;
    db_group_clear(&row);
    rv = cim_resolve_members(c->svc, c->req->members, c->req->n_members, c->ids, NULL, c->err);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    for (size_t i = 0; i < c->req->n_members; i++) {
        char param[CIM_PARAM_LEN];

        cim_member_param(param, i);
        rc = db_member_delete(db, c->id, c->ids[i]);
        /* CIM RemoveMembers/ReturnValue=8: member not in group. */
        if (rc == DB_NOTFOUND)
            return cim_err_set(c->err, CIM_RV_NOT_MEMBER, param,
                               "%s is not a member of this group", param);
        if (rc != DB_OK)
            return cim_rv_from_db(rc, c->err, "remove member");
    }
    rc = db_member_count(db, c->id, &left);
    if (rc != DB_OK)
        return cim_rv_from_db(rc, c->err, "count members");
    /* An empty group goes when its effective flag says so, or when empty groups are not
     * supported at all ("deleting all members is deleting the group"). */
    if (left == 0 && (delete_on_empty || !c->svc->caps.empty_groups)) {
        c->deleted = true;
        rc = db_group_delete(db, c->id);
    } else {
        rc = db_group_touch(db, c->id);
    }
    return rc == DB_OK ? 0 : cim_rv_from_db(rc, c->err, "update group");
}

static enum cim_rv run_members(struct cim_service *svc, int64_t id,
                               const struct cim_members_req *req, db_txn_fn fn,
                               struct cim_group *out, bool *deleted, struct cim_err *err)
{
    struct members_ctx c = {.svc = svc, .id = id, .req = req, .err = err};
    enum cim_rv rv;

    memset(out, 0, sizeof(*out));
    if (deleted)
        *deleted = false;
    /* At least one of each, so that an empty list still reaches the transaction. */
    c.ids = calloc(req->n_members + 1, sizeof(*c.ids));
    c.paths = fn == add_members_txn ? calloc(req->n_members + 1, sizeof(*c.paths)) : NULL;
    if (!c.ids || (fn == add_members_txn && !c.paths)) {
        free(c.ids);
        free(c.paths);
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    }
    rv = txn_outcome(db_txn_run(svc->db, fn, &c), err, "change members");
    for (size_t i = 0; c.paths && i < req->n_members; i++)
        free(c.paths[i]);
    free(c.paths);
    free(c.ids);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (c.deleted) {
        *deleted = true;
        return CIM_RV_SUCCESS;
    }
    return cim_group_get(svc, id, out, err);
}

enum cim_rv cim_group_add_members(struct cim_service *svc, int64_t id,
                                  const struct cim_members_req *req, struct cim_group *out,
                                  struct cim_err *err)
{
    return run_members(svc, id, req, add_members_txn, out, NULL, err);
}

enum cim_rv cim_group_remove_members(struct cim_service *svc, int64_t id,
                                     const struct cim_members_req *req, struct cim_group *out,
                                     bool *deleted, struct cim_err *err)
{
    return run_members(svc, id, req, remove_members_txn, out, deleted, err);
}

/* ==== ModifyInstance ==== */

struct modify_ctx {
    struct cim_service *svc;
    int64_t id;
    const struct cim_modify_req *req;
    struct cim_err *err;
};

/* Renames row (whose own name is row->element_name) to the first of its generated names that
 * is its own already or no other group's, bumping its Generation unless it keeps its name. */
static int rename_to_default(struct db *db, struct db_group *row, bool *renamed)
{
    char *own = row->element_name;
    int rc = DB_CONFLICT;

    *renamed = false;
    for (int attempt = 1; rc == DB_CONFLICT && attempt <= CIM_GENERATED_NAME_ATTEMPTS;
         attempt++) {
        char name[CIM_GENERATED_NAME_MAX];

        /* Checked before a name is made: a random one never equals the group's own. */
        if (cim_is_generated_name(row->id, attempt, own))
            return DB_OK;
        cim_generated_name(row->id, attempt, name);
        row->element_name = name;
        rc = db_group_update(db, row);
        row->element_name = own;
    }
    *renamed = rc == DB_OK;
    return rc;
}

/* -1 keeps the current value, -2 the default, 0/1 set it. */
static bool apply_flag(int requested, bool current, bool dflt)
{
    return requested == -1 ? current : requested == -2 ? dflt : requested > 0;
}

static int modify_txn(struct db *db, void *cls)
{
    struct modify_ctx *c = cls;
    const struct cim_caps *caps = &c->svc->caps;
    struct db_group row, before; /* before: the flags as read; its strings are row's */
    char *old_name = NULL;
    enum cim_rv rv;
    int rc;

    if ((rv = load_for_change(db, c->id, c->req->if_match, &row, c->err)) != CIM_RV_SUCCESS)
        return rv;
    before = row;
    row.persistent = apply_flag(c->req->persistent, row.persistent,
                                caps->default_persistency != CIM_PERSISTENCY_NOT_PERSISTENT);
    row.delete_on_empty = apply_flag(c->req->delete_on_empty, row.delete_on_empty, false);
    row.delete_on_unassoc = apply_flag(c->req->delete_on_unassoc, row.delete_on_unassoc, false);
    /* Only a patch that makes the group temporary is refused: one made temporary before the
     * service was started with --temporary-groups=false may stay so, and a patch that leaves
     * it as it is (re-applying a state) writes nothing, as any other. */
    if (!row.persistent && before.persistent && !caps->temporary_groups) {
        rv = cim_err_set(c->err, CIM_RV_INVALID_PARAMETER, "Persistent",
                         "this service does not support temporary groups (Persistent=false)");
        goto out;
    }
    if (c->req->element_name) {
        size_t len = c->req->element_name_len ? c->req->element_name_len
                                              : strlen(c->req->element_name);

        old_name = row.element_name;
        row.element_name = (char *)c->req->element_name;
        /* Not nameable: the name the group has already is the one ElementName may hold (a
         * client re-applying its whole state sends it back); any other is 7. */
        if (!caps->nameable && (strlen(old_name) != len || memcmp(old_name, row.element_name,
                                                                  len) != 0)) {
            rv = cim_check_group_name(c->svc, row.element_name, len, "ElementName", c->err);
            goto out;
        }
    }
    if (c->req->default_name) {
        bool renamed;

        rc = rename_to_default(db, &row, &renamed);
        rv = rc == DB_CONFLICT ? cim_err_set(c->err, CIM_RV_FAILED, "ElementName",
                                             "could not generate a unique name")
                               : cim_rv_from_db(rc, c->err, "update group");
        if (rc != DB_OK || renamed)
            goto out; /* renamed: the flags went with the name's UPDATE */
    }
    /* A PATCH that changes nothing writes nothing: the Generation, and so every client's
     * If-Match and cached copy, stays good (an automation tool re-applying its state). */
    if (row.persistent == before.persistent && row.delete_on_empty == before.delete_on_empty &&
        row.delete_on_unassoc == before.delete_on_unassoc &&
        (!old_name || strcmp(old_name, row.element_name) == 0))
        goto out;
    rc = db_group_update(db, &row);
    if (rc == DB_CONFLICT)
        rv = cim_err_set(c->err, CIM_RV_IN_USE, "ElementName",
                         "a replication group named '%s' already exists", row.element_name);
    else
        rv = cim_rv_from_db(rc, c->err, "update group");
out:
    if (old_name) {
        row.element_name = old_name;
    }
    db_group_clear(&row);
    return rv;
}

enum cim_rv cim_group_modify(struct cim_service *svc, int64_t id, const struct cim_modify_req *req,
                             struct cim_group *out, struct cim_err *err)
{
    struct modify_ctx c = {svc, id, req, err};
    enum cim_rv rv;

    memset(out, 0, sizeof(*out));
    /* ModifyInstance keeps CreateGroup's name rules (a name stays non-empty and unique); while
     * groups are not nameable, modify_txn compares the name with the group's own first. */
    if (svc->caps.nameable &&
        (rv = cim_check_group_name(svc, req->element_name, req->element_name_len,
                                   "ElementName", err)) != CIM_RV_SUCCESS)
        return rv;
    rv = txn_outcome(db_txn_run(svc->db, modify_txn, &c), err, "modify group");
    if (rv != CIM_RV_SUCCESS)
        return rv;
    return cim_group_get(svc, id, out, err);
}

/* ==== deleting an element ==== */

struct element_delete_ctx {
    struct cim_service *svc;
    int64_t id;
    const struct cim_cond *if_match;
    struct cim_err *err;
};

static int element_delete_txn(struct db *db, void *cls)
{
    struct element_delete_ctx *c = cls;
    int64_t *groups = NULL, *seqs = NULL;
    size_t n = 0;
    enum cim_rv rv = CIM_RV_SUCCESS;
    int rc;

    {
        struct db_element row;

        rc = db_element_get(db, c->id, &row);
        if (rc == DB_NOTFOUND)
            return cim_err_set(c->err, CIM_RV_NOT_FOUND, NULL, "no logical element with id %lld",
                               (long long)c->id);
        if (rc == DB_OK)
            rv = check_cond(c->if_match, row.generation, "element", c->err);
        db_element_clear(&row);
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
    if (rc == DB_OK)
        rc = db_member_groups_of(db, c->id, -1, &groups, &seqs, &n);
    for (size_t i = 0; rc == DB_OK && i < n; i++) {
        struct db_group row;
        int64_t left;

        rc = db_group_get(db, groups[i], &row);
        if (rc == DB_OK)
            rc = db_member_delete(db, groups[i], c->id);
        if (rc == DB_OK)
            rc = db_member_count(db, groups[i], &left);
        /* Each group's own DeleteOnEmptyElement applies (and the no-empty-groups rule). */
        if (rc == DB_OK && left == 0 && (row.delete_on_empty || !c->svc->caps.empty_groups))
            rc = db_group_delete(db, groups[i]);
        else if (rc == DB_OK)
            rc = db_group_touch(db, groups[i]);
        db_group_clear(&row);
    }
    if (rc == DB_OK)
        rc = db_element_delete(db, c->id);
    rv = cim_rv_from_db(rc, c->err, "delete element");
    free(groups);
    free(seqs);
    return rv;
}

enum cim_rv cim_element_delete(struct cim_service *svc, int64_t id,
                               const struct cim_cond *if_match, struct cim_err *err)
{
    struct element_delete_ctx c = {svc, id, if_match, err};

    return txn_outcome(db_txn_run(svc->db, element_delete_txn, &c), err, "delete element");
}
