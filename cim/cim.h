/* cim: the replication-group model behind the API. It holds the service's capabilities, turns
 * references into stored logical elements, and carries out CreateGroup with every CIM rule and
 * ReturnValue (CIM-NOTES §1, §4, API.md "CreateGroup rules"). It reads and writes through db/
 * and knows nothing of JSON or HTTP.
 *
 * Errors: every function returns enum cim_rv and, on failure, fills the caller's struct cim_err
 * (which parameter, and why). Output structs are zeroed on failure; they own their strings and
 * are released with their *_clear function.
 */
#ifndef CIM_H
#define CIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim/cim_err.h"
#include "cim/cim_rsd.h"

struct db;

/* Outcome outside the CIM ReturnValue map: the addressed object does not exist. Vendor-specific
 * range (0x8000..); the api layer turns it into 404 without a ReturnValue. */
#define CIM_RV_NOT_FOUND ((enum cim_rv)0x8001)

/* The request's If-Match named another version of the object (412). */
#define CIM_RV_PRECONDITION ((enum cim_rv)0x8002)

/* The server requires an If-Match on changes and the request has none (428); judged once the
 * object is found, so a change to one that does not exist is still 404. */
#define CIM_RV_PRECONDITION_REQUIRED ((enum cim_rv)0x8003)

/* A precondition on a change (If-Match, If-None-Match), judged on the object's Generation as
 * the change's transaction reads it: the change goes ahead only when failed() is NULL, and
 * never when missing (an If-Match was required and not given). failed() names the header that
 * does not hold, the 412's Parameter. The api embeds it in a struct of its own that holds the
 * request's tags. A NULL precondition always holds. */
struct cim_cond {
    const char *(*failed)(const struct cim_cond *cond, int64_t generation);
    bool missing;
};

#define CIM_DEFAULT_NAMESPACE "root/cimv2/storage/iscsitarget"
#define CIM_SYSTEM_CLASS "CIM_ComputerSystem"
#define CIM_GROUP_CLASS "CIM_ReplicationGroup"
#define CIM_DEFAULT_ELEMENT_CLASS "MSISCSITARGET_StorageVolume"
#define CIM_INSTANCE_ORG "REPLGW"
#define CIM_MAX_NAME_BYTES 256 /* GroupName, ElementName and key values other than DeviceID */
#define CIM_MAX_DEVICE_ID_BYTES 64

/* GetDefaultGroupPersistency values. */
enum cim_persistency {
    CIM_PERSISTENCY_NONE = 0,
    CIM_PERSISTENCY_PERSISTENT = 2,
    CIM_PERSISTENCY_NOT_PERSISTENT = 3
};

/* What the service supports; set at start-up, read-only afterwards. Strings are borrowed and
 * must outlive the service. */
struct cim_caps {
    const char *system_name;
    const char *ns;
    bool nameable;            /* group feature 14 */
    bool empty_groups;        /* group feature 5 */
    bool temporary_groups;    /* group feature 13 */
    bool composite_groups;    /* group feature 7: members hosted by other systems */
    bool multiple_membership; /* group feature 23 */
    uint64_t max_members;     /* elements per group; 0 = unlimited */
    uint64_t max_groups;      /* groups in the store; 0 = unlimited */
    enum cim_persistency default_persistency;
    const char *const *access_points; /* Name keys of known remote service access points */
    size_t n_access_points;
    unsigned idempotency_ttl; /* seconds an Idempotency-Key and its response are kept */
};

struct cim_service {
    struct db *db;        /* borrowed */
    struct cim_caps caps; /* copied; its strings borrowed */
    int64_t system_id;
    char *system_path;    /* owned: the hosting CIM_ComputerSystem's object path */
    char *system_keys;    /* owned: its keys as they end a hosted element's path (cim_hosts) */
    double started;       /* Unix time the service started */
};

/* Checks caps for contradictions, records the hosting system in the database, and fills svc.
 * On failure writes a reason to why and leaves svc zeroed. */
int cim_service_init(struct cim_service *svc, struct db *db, const struct cim_caps *caps,
                     char *why, size_t why_len);
void cim_service_fini(struct cim_service *svc);

/* The object path of the access point named name on this system (caller frees), NULL on OOM. */
char *cim_service_access_point_path(const struct cim_service *svc, const char *name);

#define CIM_STATS_BUCKETS 8

/* What the store holds and how its write transactions went, for /metrics. */
struct cim_stats {
    int64_t groups;
    int64_t members;
    uint64_t txn_count;
    double txn_seconds;
    const double *txn_bounds; /* CIM_STATS_BUCKETS upper bounds, seconds */
    uint64_t txn_buckets[CIM_STATS_BUCKETS]; /* cumulative counts */
};
enum cim_rv cim_service_stats(struct cim_service *svc, struct cim_stats *out, struct cim_err *err);
/* Replaces out's transaction figures with those of svc's connection (thread-safe). */
void cim_service_txn_stats(struct cim_service *svc, struct cim_stats *out);

/* Group commit (db_batch_begin/end): the changes made until cim_service_batch_end share one
 * transaction and one fsync. cim_service_batch_end(commit=false) undoes them all. waited_ms:
 * how long the oldest of the changes has waited already (db_batch_begin). */
enum cim_rv cim_service_batch_begin(struct cim_service *svc, unsigned waited_ms,
                                    struct cim_err *err);
enum cim_rv cim_service_batch_end(struct cim_service *svc, bool commit, struct cim_err *err);

/* Reads between begin and end see one committed state of the store (db_read_begin; inside a
 * transaction already open, they are part of it). */
enum cim_rv cim_service_snapshot_begin(struct cim_service *svc, struct cim_err *err);
void cim_service_snapshot_end(struct cim_service *svc);

/* CIM_RV_SUCCESS when the database answers; the db outcome otherwise (for /readyz). */
enum cim_rv cim_service_ping(struct cim_service *svc, struct cim_err *err);

/* Maps a db_rc to a ReturnValue in err: busy 3, full or refused 4, unclassified 2, conflict 6. */
enum cim_rv cim_rv_from_db(int db_rc, struct cim_err *err, const char *what);

/* ---- logical elements ---- */

/* How many of its groups an element's representation lists: with multiple membership an element
 * may be in millions, and the rest are a filtered group list away. */
#define CIM_ELEMENT_GROUPS 100

struct cim_membership {
    int64_t group_id;
    char *group_path;
    int64_t seq;
};

struct cim_element {
    int64_t id;
    char *class_name;
    char *device_id;
    char *sys_class;
    char *sys_name;
    char *element_name; /* NULL when not given */
    char *path;
    int64_t generation;
    struct cim_membership *groups; /* the first CIM_ELEMENT_GROUPS groups holding it, by id */
    size_t n_groups;
    bool more_groups; /* more groups hold it than groups lists */
};
void cim_element_clear(struct cim_element *e);

/* A new element's keys; NULL means the default (class MSISCSITARGET_StorageVolume, system class
 * CIM_ComputerSystem, the service's system name). Strings borrowed for the call. */
struct cim_element_req {
    const char *class_name;
    const char *device_id;
    const char *sys_class;
    const char *sys_name;
    const char *element_name;
};

/* Registers an element. 5 naming the bad field; 6 when an element with the same keys exists. */
enum cim_rv cim_element_create(struct cim_service *svc, const struct cim_element_req *req,
                               struct cim_element *out, struct cim_err *err);
/* CIM_RV_NOT_FOUND when absent. */
enum cim_rv cim_element_get(struct cim_service *svc, int64_t id, struct cim_element *out,
                            struct cim_err *err);
/* Up to limit elements after after_id; *out a new array of *n elements (clear each, free it);
 * *total the number of elements. */
enum cim_rv cim_element_list(struct cim_service *svc, int64_t after_id, int limit,
                             struct cim_element **out, size_t *n, int64_t *total,
                             struct cim_err *err);
/* Deletes an element: removes it from every group it belongs to, deleting each group that
 * becomes empty when its DeleteOnEmptyElement is set or empty groups are not allowed, all in one
 * transaction; each group it left that remains gets a new Generation. NOT_FOUND when absent,
 * PRECONDITION when if_match does not hold. */
enum cim_rv cim_element_delete(struct cim_service *svc, int64_t id,
                               const struct cim_cond *if_match, struct cim_err *err);

/* Resolves a reference in any accepted form (WBEM URI, WMI path, /logical-elements/{id} URL)
 * to a stored element id and, unless path is NULL, its canonical path (a new string, caller
 * frees). 5 naming param when it does not parse or resolve. Reads the database; callable inside
 * a transaction. */
enum cim_rv cim_element_resolve(struct cim_service *svc, const char *ref, const char *param,
                                int64_t *id, char **path, struct cim_err *err);

/* ---- replication groups ---- */

struct cim_member {
    int64_t element_id;
    int64_t seq; /* AssignedSequence */
    char *path;
};

struct cim_group {
    int64_t id;
    char *instance_id;
    char *element_name;
    char *description; /* NULL when none */
    bool persistent;
    bool delete_on_empty;
    bool delete_on_unassoc;
    int64_t generation;
    char *path;        /* the group's object path (the ReplicationGroup out-parameter) */
    char *system_path; /* the hosting system's (CIM_HostedCollection.Antecedent) */
    struct cim_member *members; /* ordered by seq */
    size_t n_members;
    struct cim_rsd *rsd; /* NULL when the group has no setting data */
};
void cim_group_clear(struct cim_group *g);

/* The InstanceID of group id ("REPLGW:{id}") and its object path; new strings (caller frees),
 * NULL on OOM. */
char *cim_group_instance_id(int64_t id);
char *cim_group_path(const struct cim_service *svc, int64_t id);

/* Shared by CreateGroup and the life-cycle methods (cim_group.c). name holds len bytes (0:
 * strlen(name)); a NUL among them is a control character like any other. */
enum cim_rv cim_check_group_name(const struct cim_service *svc, const char *name, size_t len,
                                 const char *param, struct cim_err *err);
/* The attempt-th name (from 1) a group id gets when no client names it: "RG-{id}", then, when
 * clients already took it, "RG-{id}-2" to "RG-{id}-4", then "RG-{id}-{16 random hex digits}"
 * (so that no client can take every name a group could get ahead of it). */
#define CIM_GENERATED_NAME_MAX 64
#define CIM_GENERATED_NAME_ATTEMPTS 100
void cim_generated_name(int64_t id, int attempt, char name[CIM_GENERATED_NAME_MAX]);
/* Whether name is the attempt-th generated name of group id: for a random one, any name of
 * that form (each is as good as the next). */
bool cim_is_generated_name(int64_t id, int attempt, const char *name);
/* Resolves refs in order into ids (n entries) and, unless paths is NULL, paths (n entries, each
 * a new string or NULL that the caller frees, on failure too); a second reference to one
 * element is 5 naming Members[i] of the later one, once every reference has resolved. */
enum cim_rv cim_resolve_members(struct cim_service *svc, const char *const *refs, size_t n,
                                int64_t *ids, char **paths, struct cim_err *err);
enum cim_rv cim_check_access_point(const struct cim_service *svc, const char *ref,
                                   struct cim_err *err);
/* The keys (cim_system_keys) of system row system_id, a group's host, into *keys: the
 * service's own, or for a group made under another --system-name a new string that *owned
 * also points to (the caller frees it; NULL otherwise). */
enum cim_rv cim_host_keys(struct cim_service *svc, int64_t system_id, const char **keys,
                          char **owned, struct cim_err *err);
/* Unless the service offers Composite Groups (CIM-NOTES Implications 3): Members[i], whose
 * element has path, must be hosted by the system whose keys (cim_host_keys) are host_keys;
 * else 5 naming it. */
enum cim_rv cim_check_member_system(const struct cim_service *svc, const char *host_keys,
                                    const char *path, size_t i, struct cim_err *err);
/* The parameter name of the i-th member of a request, "Members[i]", into buf. */
#define CIM_PARAM_LEN 32
void cim_member_param(char buf[CIM_PARAM_LEN], size_t i);
/* The keys of a system (SystemCreationClassName, SystemName) as they end the path of an
 * element it hosts (cim_element.c formats element paths): a new string, NULL on OOM. */
char *cim_system_keys(const char *ns, const char *sys_class, const char *sys_name);

/* CreateGroup's inputs. -1 in a flag means absent (use the default). Strings borrowed. */
struct cim_create_req {
    const char *group_name;
    size_t group_name_len; /* its bytes when it holds a NUL (JSON "\u0000"), refused; 0: strlen */
    const char *const *members;
    size_t n_members;
    bool members_given;
    int persistent;
    int delete_on_empty;
    int delete_on_unassoc;
    const char *service_access_point;
    const struct cim_rsd *rsd;
};

/* CreateGroup: validates req against the rules and capabilities, then writes the group, its
 * hosting link, ordered members and setting data in one durable transaction. On success *out is
 * the stored group as GET would return it. Any failure leaves the database unchanged. */
enum cim_rv cim_group_create(struct cim_service *svc, const struct cim_create_req *req,
                             struct cim_group *out, struct cim_err *err);
/* ---- the group life cycle (cim_lifecycle.c), CIM-NOTES §5 ---- */

/* DeleteGroup: a non-empty group needs remove_elements (else 6 naming RemoveElements); member
 * elements are never deleted. NOT_FOUND when absent; PRECONDITION when if_match does not hold. */
enum cim_rv cim_group_delete(struct cim_service *svc, int64_t id, bool remove_elements,
                             const struct cim_cond *if_match, struct cim_err *err);

/* AddMembers / RemoveMembers inputs. Strings borrowed. */
struct cim_members_req {
    const char *const *members;
    size_t n_members;
    const char *service_access_point;
    int delete_on_empty; /* RemoveMembers: -1 absent (the group's own flag applies) */
    const struct cim_cond *if_match; /* NULL: none */
};

/* AddMembers: appends the members after the last AssignedSequence, in order. An element already
 * in this group is skipped; one in another group is 6 unless multiple membership; the maximum
 * per group holds (5). NOT_FOUND when the group is absent (the api's ReturnValue 7). On success
 * *out is the group as stored. */
enum cim_rv cim_group_add_members(struct cim_service *svc, int64_t id,
                                  const struct cim_members_req *req, struct cim_group *out,
                                  struct cim_err *err);

/* RemoveMembers: a reference that resolves to an element not in the group is CIM_RV_NOT_MEMBER.
 * When the group ends empty and the effective DeleteOnEmptyElement (the request's, else the
 * group's) is true, or empty groups are not allowed, the group is deleted in the same
 * transaction and *deleted is set (out stays zeroed); otherwise *out is the group. */
enum cim_rv cim_group_remove_members(struct cim_service *svc, int64_t id,
                                     const struct cim_members_req *req, struct cim_group *out,
                                     bool *deleted, struct cim_err *err);

/* ModifyInstance of the writable properties. A flag of -1 stays as it is; -2 returns to its
 * default. element_name NULL leaves the name. Name rules are CreateGroup's. Bumps Generation. */
struct cim_modify_req {
    const char *element_name;
    size_t element_name_len; /* as cim_create_req.group_name_len */
    bool default_name;       /* ElementName null: the name CreateGroup gives a group unnamed */
    int persistent;
    int delete_on_empty;
    int delete_on_unassoc;
    const struct cim_cond *if_match; /* NULL: none */
};
enum cim_rv cim_group_modify(struct cim_service *svc, int64_t id, const struct cim_modify_req *req,
                             struct cim_group *out, struct cim_err *err);

/* The group's current Generation (its version); NOT_FOUND when absent. */
enum cim_rv cim_group_generation(struct cim_service *svc, int64_t id, int64_t *generation,
                                 struct cim_err *err);

/* The group with members and setting data; NOT_FOUND when absent. */
enum cim_rv cim_group_get(struct cim_service *svc, int64_t id, struct cim_group *out,
                          struct cim_err *err);
/* Which groups a list covers; unset fields (NULL, -1) match all. Strings borrowed. */
struct cim_group_filter {
    const char *name;       /* ElementName equals */
    const char *prefix;     /* ElementName starts with */
    int persistent;         /* -1 any */
    const char *member_ref; /* holds this element (any reference form); 5 naming "Member" when
                             * it does not resolve */
};

/* A group on a list page: which, and which version (its Generation). */
struct cim_group_ref {
    int64_t id;
    int64_t generation;
};

/* Up to limit groups after after_id that match f, ascending: *out a new array of *n refs
 * (caller frees); *total counts all matching groups. The groups themselves are read with
 * cim_group_get, inside one snapshot (cim_service_snapshot_begin) so that page and groups
 * agree. */
enum cim_rv cim_group_page(struct cim_service *svc, int64_t after_id, int limit,
                           const struct cim_group_filter *f, struct cim_group_ref **out,
                           size_t *n, int64_t *total, struct cim_err *err);

/* ---- idempotent retries (cim_idem.c) ---- */

enum cim_idem_state {
    CIM_IDEM_NEW,      /* the key is claimed for this request: run it, then cim_idem_finish */
    CIM_IDEM_REPLAY,   /* the first request's response is in *stored */
    CIM_IDEM_MISMATCH, /* the key was used for a different request */
    CIM_IDEM_RUNNING,  /* the first request with this key has not finished */
};

/* A response as stored for replay. Owns its strings. */
struct cim_response {
    int status;
    char *body;
    char *content_type;
    char *location;
    char *etag;
};
void cim_response_clear(struct cim_response *r);

/* In one transaction: forgets expired keys, looks key up, and claims it when it is free (never
 * used, or left running by an earlier process that died). *stored is filled for a replay and
 * zeroed otherwise. */
enum cim_rv cim_idem_begin(struct cim_service *svc, const char *key, const char *fingerprint,
                           enum cim_idem_state *state, struct cim_response *stored,
                           struct cim_err *err);

/* Records the response of the request that claimed key, or forgets the key when resp is NULL
 * (so a retry runs the request again). */
enum cim_rv cim_idem_finish(struct cim_service *svc, const char *key,
                            const struct cim_response *resp, struct cim_err *err);

#endif
