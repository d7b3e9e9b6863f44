/* db: SQLite storage of the CIM model. Opens and configures the database (WAL,
 * synchronous=FULL, foreign keys, busy timeout), migrates its schema on PRAGMA user_version,
 * caches prepared statements, runs transactions, and reads and writes rows. It knows tables and
 * rows, not CIM rules: those live in cim/.
 *
 * Threading: a struct db wraps one sqlite3 connection and must be used by one thread at a time.
 * The server opens two: one for the MHD thread's reads, one for the writer thread, which runs
 * every change (group commit). WAL lets the reads go on while the writer commits.
 *
 * Errors: functions return enum db_rc. SQLite codes never leave this module; the SQLite message
 * is logged once, where the error happens. Row structs own their strings; *_clear frees them and
 * zeroes the struct. Out-parameters are left zeroed on failure.
 */
#ifndef DB_H
#define DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum db_rc {
    DB_OK = 0,
    DB_NOTFOUND, /* no such row */
    DB_CONFLICT, /* a UNIQUE or PRIMARY KEY constraint */
    DB_BUSY,     /* locked by another connection past the busy timeout */
    DB_FULL,     /* disk full or the page-count limit reached */
    DB_FAILED,   /* the storage refused the write: I/O error, read-only, other constraint, OOM */
    DB_ERR,      /* anything else: an error the gateway cannot classify */
    DB_ABORT,    /* db_txn_run: the callback asked for a rollback */
};

struct db;

struct db_options {
    int busy_timeout_ms; /* how long a write waits for another connection's lock */
    long max_pages;      /* PRAGMA max_page_count; 0 keeps SQLite's default */
    /* Keep the paths db_element_path found in memory. Only for the one connection that writes:
     * another would not see an element deleted, and go on finding it. */
    bool cache_paths;
    /* Keep the counts of the last few filtered lists while the store is unchanged: a dashboard
     * walking the pages of a prefix that matches a million groups counts them once. */
    bool cache_counts;
};

/* Opens (creating if needed) the database at path and brings its schema up to date. On success
 * *out owns the connection (release with db_close). On failure *out is NULL and a message that
 * says what is wrong with the file has been written to why (why_len bytes). */
int db_open(const char *path, const struct db_options *opt, struct db **out, char *why,
            size_t why_len);

/* Reads every page of the file and checks its b-trees (PRAGMA quick_check): DB_OK, or DB_ERR
 * with a message naming the first damage found. A few seconds on a million groups. */
int db_check_integrity(struct db *db, char *why, size_t why_len);

/* Finalizes cached statements and closes the connection. NULL-safe. */
void db_close(struct db *db);

/* The callback of db_txn_run: returns 0 to commit, non-zero to roll back. */
typedef int (*db_txn_fn)(struct db *db, void *cls);

/* Runs fn inside BEGIN IMMEDIATE ... COMMIT. Returns DB_OK when committed, DB_ABORT when fn
 * returned non-zero (rolled back), or the error of BEGIN/COMMIT (rolled back). Nested calls are
 * a bug (asserted). */
int db_txn_run(struct db *db, db_txn_fn fn, void *cls);

/* Group commit. db_batch_begin opens one write transaction (BEGIN IMMEDIATE); until
 * db_batch_end, each db_txn_run runs inside it and db_batch_end commits them all with one fsync
 * (commit=true) or rolls them all back. A db_txn_run whose callback asks for a rollback after it
 * wrote something cannot be undone alone: it spoils the batch, and db_batch_end then rolls the
 * whole batch back and returns DB_ABORT, so the caller runs each change again on its own (a
 * callback that fails before writing, the common case of a refused request, spoils nothing).
 * So does any failed statement but a taken name or key (SQLite may have rolled the whole
 * transaction back, as after SQLITE_FULL): db_batch_end then returns that statement's error.
 * Both return DB_OK or the error of BEGIN/COMMIT. db_batch_begin waits for the lock what is
 * left of the busy timeout once waited_ms (how long the batch's oldest change has waited) is
 * taken off; when it gives DB_BUSY, the transactions that follow it do not wait for the lock
 * again until the next db_batch_begin. */
int db_batch_begin(struct db *db, unsigned waited_ms);

/* A read snapshot: the reads between db_read_begin and db_read_end see one committed state (a
 * list page and the groups on it agree). Inside a transaction (a change, a batch, another
 * snapshot) the pair joins it and does nothing more. db_read_end never fails. */
int db_read_begin(struct db *db);
void db_read_end(struct db *db);
int db_batch_end(struct db *db, bool commit);

/* Returns DB_OK when the database can take a write lock within the busy timeout. */
int db_ping(struct db *db);

/* Upper bounds (seconds) of the transaction-time histogram buckets. */
#define DB_TXN_BUCKETS 8
extern const double db_txn_bucket_bounds[DB_TXN_BUCKETS];

/* How long write transactions took, from BEGIN to the end of COMMIT (the fsync included). */
struct db_txn_stats {
    uint64_t count;
    double seconds;
    uint64_t buckets[DB_TXN_BUCKETS]; /* cumulative: transactions within each bound */
};
/* Thread-safe: another thread may read the stats of a connection in use. */
void db_txn_stats(struct db *db, struct db_txn_stats *out);

/* Number of groups and of member rows in the store. */
int db_store_counts(struct db *db, int64_t *groups, int64_t *members);

/* ---- hosting system (CIM_ComputerSystem) ---- */

/* Finds or creates the system row; *id receives its key. */
int db_system_ensure(struct db *db, const char *creation_class, const char *name, int64_t *id);

struct db_system {
    int64_t id;
    char *creation_class;
    char *name;
};
int db_system_get(struct db *db, int64_t id, struct db_system *out);
void db_system_clear(struct db_system *s);

/* ---- logical elements (the member inventory) ---- */

struct db_element {
    int64_t id;
    char *class_name; /* CreationClassName as registered */
    char *device_id;
    char *sys_class; /* SystemCreationClassName */
    char *sys_name;  /* SystemName */
    char *element_name; /* NULL when not given */
    char *path;      /* canonical object path */
    char *path_key;  /* case-folded lookup key, unique */
    int64_t generation;
};
void db_element_clear(struct db_element *e);

/* Inserts e (id ignored, generation 1) and sets e->id. DB_CONFLICT when path_key exists. */
int db_element_insert(struct db *db, struct db_element *e);
int db_element_get(struct db *db, int64_t id, struct db_element *out);
/* DB_OK when element id exists, DB_NOTFOUND when not. Unless path is NULL, *path is then its
 * canonical path (a new string, caller frees; NULL on any failure). */
int db_element_path(struct db *db, int64_t id, char **path);
/* Sets *id to the element whose path_key equals key; DB_NOTFOUND when none. Unless path is
 * NULL, *path is then its canonical path (a new string, caller frees; NULL on any failure). */
int db_element_find_key(struct db *db, const char *key, int64_t *id, char **path);
/* Up to limit elements with id > after_id, ascending. *out is a new array (caller frees each with
 * db_element_clear, then the array with free); *n its length (0 and NULL when empty). */
int db_element_list(struct db *db, int64_t after_id, int limit, struct db_element **out,
                    size_t *n);
int db_element_count(struct db *db, int64_t *n);
/* Deletes the element row; DB_NOTFOUND when absent. */
int db_element_delete(struct db *db, int64_t id);

/* ---- replication groups (CIM_ReplicationGroup + CIM_HostedCollection) ---- */

struct db_group {
    int64_t id;
    char *element_name; /* NULL only inside the creating transaction, before a name is given */
    char *description;
    bool persistent;
    bool delete_on_empty;
    bool delete_on_unassoc;
    int64_t system_id;
    int64_t generation;
    char *rsd_class; /* class of its ReplicationSettingData; NULL when it has none */
};
void db_group_clear(struct db_group *g);

/* Inserts g (generation 1) with the id g->id, or when that is 0 the next one (db_group_next_id),
 * and sets g->id. DB_CONFLICT when the name (or the id) is taken. */
int db_group_insert(struct db *db, struct db_group *g);
/* The id the next db_group_insert without one would give, so that a name can be made of it
 * before the row is written: the id of a group is never reused, even after a delete. */
int db_group_next_id(struct db *db, int64_t *id);
int db_group_get(struct db *db, int64_t id, struct db_group *out);
/* The group's generation alone (one primary-key lookup); DB_NOTFOUND when absent. */
int db_group_generation(struct db *db, int64_t id, int64_t *generation);
/* Sets *id to the group named name (exact match); DB_NOTFOUND when none. */
int db_group_find_name(struct db *db, const char *name, int64_t *id);
/* Which groups a list or count covers; every field left zero/NULL/-1 matches all. */
struct db_group_filter {
    const char *name;   /* ElementName equal to this */
    const char *prefix; /* ElementName starting with this */
    int persistent;     /* -1 any, 0, 1 */
    int64_t member;     /* 0 any, else groups holding this element */
};
/* A group in a list: which, and which version. */
struct db_group_ref {
    int64_t id;
    int64_t generation;
};
/* Up to limit groups with id > after_id that match f (NULL = all), ascending, and in *matches
 * the number of groups that match f (db_group_count), from which the page's plan is chosen.
 * *refs is a new array (caller frees; NULL when none match), *n its length. */
int db_group_page(struct db *db, int64_t after_id, int limit, const struct db_group_filter *f,
                  struct db_group_ref **refs, size_t *n, int64_t *matches);
/* Number of groups that match f (NULL = all). All groups, and all of one persistence, is one
 * read of a tally the schema's triggers keep; the groups of one element are counted on its
 * row; any other filter counts the matching rows. */
int db_group_count(struct db *db, const struct db_group_filter *f, int64_t *n);

/* Deletes the group with its members and settings (cascade); DB_NOTFOUND when absent. Each
 * member element's Generation goes up and its group count down. */
int db_group_delete(struct db *db, int64_t id);
/* Writes g's ElementName and flags and bumps its generation; DB_CONFLICT when the name is taken. */
int db_group_update(struct db *db, const struct db_group *g);
/* Bumps the generation of group id (its members changed). */
int db_group_touch(struct db *db, int64_t id);

/* ---- ordered members (CIM_OrderedMemberOfCollection) ---- */

struct db_member {
    int64_t element_id;
    int64_t seq;  /* AssignedSequence */
    char *path;   /* the element's canonical path */
};
void db_member_clear(struct db_member *m);

/* Adds element_id to group_id at seq; the element's Generation and group count go up (its
 * list of groups changed). DB_CONFLICT when the element is already in the group or the
 * sequence is taken. */
int db_member_insert(struct db *db, int64_t group_id, int64_t element_id, int64_t seq);
/* The group's members ordered by seq. *out is a new array (caller frees each with
 * db_member_clear, then the array); *n its length. */
int db_member_list(struct db *db, int64_t group_id, struct db_member **out, size_t *n);
/* Removes element_id from group_id, the element's Generation up and group count down;
 * DB_NOTFOUND when it was not a member. */
int db_member_delete(struct db *db, int64_t group_id, int64_t element_id);
/* The highest AssignedSequence in the group (0 when empty), and the number of members. */
int db_member_max_seq(struct db *db, int64_t group_id, int64_t *seq);
int db_member_count(struct db *db, int64_t group_id, int64_t *n);
/* *yes = whether element_id is a member of group_id. */
int db_member_exists(struct db *db, int64_t group_id, int64_t element_id, bool *yes);
/* Number of groups element_id belongs to (0 for no such element): one row read. */
int db_member_group_count(struct db *db, int64_t element_id, int64_t *n);

/* The groups element_id belongs to: group ids and the element's sequence in each, by group id,
 * at most limit of them (limit < 0: all). *groups and *seqs are new arrays (caller frees); *n
 * their length. */
int db_member_groups_of(struct db *db, int64_t element_id, int64_t limit, int64_t **groups,
                        int64_t **seqs, size_t *n);

/* ---- the group's ReplicationSettingData properties ---- */

struct db_prop {
    char *name;
    char *value;
};
void db_prop_clear(struct db_prop *p);

int db_setting_insert(struct db *db, int64_t group_id, int pos, const char *name,
                      const char *value);
/* The group's setting properties in insertion order; same ownership as db_member_list. */
int db_setting_list(struct db *db, int64_t group_id, struct db_prop **out, size_t *n);

/* ---- stored responses for Idempotency-Key (db_idem.c) ---- */

struct db_idem {
    char *fingerprint;
    int status; /* 0: the first request has not finished */
    char *body; /* NULL when the response had none */
    char *content_type;
    char *location;
    char *etag;
    double created; /* Unix time */
};
void db_idem_clear(struct db_idem *r);

/* Deletes records created before cutoff (Unix time). */
int db_idem_purge(struct db *db, double cutoff);
/* Reads key's record; DB_NOTFOUND when there is none. */
int db_idem_get(struct db *db, const char *key, struct db_idem *out);
/* Claims key for a first request (status 0), replacing any record it had. */
int db_idem_claim(struct db *db, const char *key, const char *fingerprint, double now);
/* Stores the first request's response under key. */
int db_idem_store(struct db *db, const char *key, const struct db_idem *r);
/* Forgets key (its request failed in a way a retry should repeat). */
int db_idem_delete(struct db *db, const char *key);

#endif
