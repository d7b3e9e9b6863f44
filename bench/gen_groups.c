/* gen_groups: fills a replgw database with N replication groups of M members each, stored
 * exactly as the server stores a POST /replication-groups of
 *   {"Members":["/logical-elements/1",...,"/logical-elements/M"],
 *    "ReplicationSettingData":{"ElementName":"bench"}}
 * on a server started with --multiple-membership and default persistency (bench/create.lua).
 *
 * It goes through the project's own db module (db_open, so the schema and migrations are the
 * server's; the db_* row functions, so the SQL is the server's prepared statements with bound
 * parameters) and formats element paths with cim_path_format, the function the server uses.
 * Per group it writes what cim_group_create writes (cim/cim_group.c create_in_txn):
 *   - rgroup: ElementName NULL, Description NULL (the RSD has none), Persistent 1 (default
 *     persistency), DeleteOnEmptyElement 0, DeleteOnUnassociated 0, the hosting system,
 *     generation 1, rsd_class CIM_ReplicationSettingData, and the generated name "RG-{id}"
 *     ("RG-{id}-{n}" when taken) of the id it gets, as insert_generated does;
 *   - member: elements 1..M in order, AssignedSequence 1..M, each member element's
 *     generation and group count raised (db_member_insert does both);
 *   - setting_prop: (pos 0, ElementName, bench).
 * The InstanceID "REPLGW:{id}" is not stored: the server derives it from the id.
 *
 * First it finds or creates the hosting system row, as cim_service_init does (db_system_ensure
 * of CIM_ComputerSystem/-s NAME; bench/scale.sh starts the real server once on the file so the
 * row is the server's own), then the M logical elements vol1..volM as POST /logical-elements
 * {"DeviceID":"volI"} registers them (cim_element_create), reusing those already registered.
 * Groups are added to whatever the file holds, one transaction per -b groups (default 10,000).
 *
 *   gen_groups [-n N] [-m M] [-s SYSTEM] [-N NAMESPACE] [-b BATCH] FILE
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cim/cim_path.h"
#include "db/db.h"
#include "util/rg_util.h"

/* The server's constants (cim/cim.h, cim/cim_rsd.c): the hosting system's class, the class
 * given to elements registered without CreationClassName, and the class of a
 * ReplicationSettingData given without one. */
#define SYSTEM_CLASS "CIM_ComputerSystem"
#define ELEMENT_CLASS "MSISCSITARGET_StorageVolume"
#define RSD_CLASS "CIM_ReplicationSettingData"
#define DEFAULT_NS "root/cimv2/storage/iscsitarget"

struct gen {
    const char *ns;
    const char *sys_name;
    int64_t system_id;
    int64_t *elements; /* ids of vol1..volM */
    long members;
    long batch;   /* groups to write in this transaction */
    long written; /* groups written so far */
    const char *failed;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *lower_dup(const char *s)
{
    char *d = rg_strdup(s);

    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* The element's display path and its case-folded lookup key, as cim_element.c make_paths
 * writes them: the four keys, then the same with both class-name values lower-cased. */
static int element_paths(const struct gen *g, const char *device_id, char **path, char **key)
{
    char *ccn = lower_dup(ELEMENT_CLASS), *sccn = lower_dup(SYSTEM_CLASS);
    struct cim_keybinding keys[] = {
        {"CreationClassName", ELEMENT_CLASS, CIM_KEY_STRING},
        {"DeviceID", (char *)device_id, CIM_KEY_STRING},
        {"SystemCreationClassName", SYSTEM_CLASS, CIM_KEY_STRING},
        {"SystemName", (char *)g->sys_name, CIM_KEY_STRING},
    };
    int rc = -1;

    *key = NULL;
    *path = cim_path_format(g->ns, ELEMENT_CLASS, keys, RG_ARRAY_LEN(keys));
    if (*path && ccn && sccn) {
        keys[0].value = ccn;
        keys[2].value = sccn;
        *key = cim_path_format(g->ns, ELEMENT_CLASS, keys, RG_ARRAY_LEN(keys));
        rc = *key ? 0 : -1;
    }
    free(ccn);
    free(sccn);
    return rc;
}

/* Transaction body: the hosting system and the elements vol1..volM. */
static int setup_txn(struct db *db, void *cls)
{
    struct gen *g = cls;

    if (db_system_ensure(db, SYSTEM_CLASS, g->sys_name, &g->system_id) != DB_OK) {
        g->failed = "system row";
        return 1;
    }
    for (long i = 0; i < g->members; i++) {
        struct db_element e = {0};
        char device_id[32];
        int rc;

        snprintf(device_id, sizeof(device_id), "vol%ld", i + 1);
        if (element_paths(g, device_id, &e.path, &e.path_key) != 0) {
            g->failed = "out of memory";
            return 1;
        }
        rc = db_element_find_key(db, e.path_key, &g->elements[i], NULL);
        if (rc == DB_NOTFOUND) {
            e.class_name = ELEMENT_CLASS;
            e.device_id = device_id;
            e.sys_class = SYSTEM_CLASS;
            e.sys_name = (char *)g->sys_name;
            e.element_name = NULL;
            rc = db_element_insert(db, &e);
            g->elements[i] = e.id;
        }
        free(e.path);
        free(e.path_key);
        if (rc != DB_OK) {
            g->failed = "element";
            return 1;
        }
    }
    return 0;
}

/* "RG-{id}", or "RG-{id}-{n}" when a client already took that name (cim_group.c). */
/* Inserts row named "RG-{id}" after the id it gets ("RG-{id}-{n}" when taken), as
 * insert_generated does. */
static int insert_named(struct db *db, struct db_group *row)
{
    int64_t id;
    int rc = db_group_next_id(db, &id);

    for (int attempt = 1; rc == DB_OK && attempt < 100; attempt++) {
        char name[64];

        if (attempt == 1)
            snprintf(name, sizeof(name), "RG-%" PRId64, id);
        else
            snprintf(name, sizeof(name), "RG-%" PRId64 "-%d", id, attempt);
        row->id = id;
        row->element_name = name;
        rc = db_group_insert(db, row);
        row->element_name = NULL;
        if (rc != DB_CONFLICT)
            return rc;
        rc = DB_OK;
    }
    return rc == DB_OK ? DB_CONFLICT : rc;
}

/* Transaction body: g->batch groups. */
static int groups_txn(struct db *db, void *cls)
{
    struct gen *g = cls;

    for (long n = 0; n < g->batch; n++) {
        struct db_group row = {
            .element_name = NULL,
            .description = NULL,
            .persistent = true,
            .delete_on_empty = false,
            .delete_on_unassoc = false,
            .system_id = g->system_id,
            .rsd_class = RSD_CLASS,
        };

        if (insert_named(db, &row) != DB_OK) {
            g->failed = "insert group";
            return 1;
        }
        for (long i = 0; i < g->members; i++)
            if (db_member_insert(db, row.id, g->elements[i], i + 1) != DB_OK) {
                g->failed = "insert member";
                return 1;
            }
        if (db_setting_insert(db, row.id, 0, "ElementName", "bench") != DB_OK) {
            g->failed = "insert setting";
            return 1;
        }
    }
    return 0;
}

static long parse_count(const char *s, const char *what, long min)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min) {
        fprintf(stderr, "gen_groups: %s must be a whole number >= %ld\n", what, min);
        exit(2);
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: gen_groups [-n GROUPS (1000000)] [-m MEMBERS (8)] [-s SYSTEM (bench)]\n"
                    "                  [-N NAMESPACE (" DEFAULT_NS ")] [-b BATCH (10000)] FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct gen g = {.ns = DEFAULT_NS, .sys_name = "bench", .members = 8};
    struct db_options opt = {.busy_timeout_ms = 5000, .max_pages = 0};
    struct db *db = NULL;
    long total = 1000000, per_txn = 10000, report = 100000, reported = 0;
    int64_t groups = 0, members = 0;
    char why[256];
    double start, last;
    int c, rc;

    while ((c = getopt(argc, argv, "n:m:s:N:b:h")) != -1) {
        switch (c) {
        case 'n': total = parse_count(optarg, "-n", 0); break;
        case 'm': g.members = parse_count(optarg, "-m", 1); break;
        case 's': g.sys_name = optarg; break;
        case 'N': g.ns = optarg; break;
        case 'b': per_txn = parse_count(optarg, "-b", 1); break;
        default: usage();
        }
    }
    if (optind != argc - 1)
        usage();
    rg_log_set_level(RG_LOG_ERROR);
    g.elements = calloc((size_t)g.members, sizeof(*g.elements));
    if (!g.elements)
        return 1;
    if (db_open(argv[optind], &opt, &db, why, sizeof(why)) != DB_OK) {
        fprintf(stderr, "gen_groups: %s\n", why);
        return 1;
    }
    start = last = now();
    if (db_txn_run(db, setup_txn, &g) != DB_OK) {
        fprintf(stderr, "gen_groups: cannot write the %s\n", g.failed ? g.failed : "setup");
        db_close(db);
        return 1;
    }
    printf("gen_groups: %s, system %" PRId64 " (%s), elements vol1..vol%ld = ids %" PRId64
           "..%" PRId64 "; adding %ld groups of %ld members\n",
           argv[optind], g.system_id, g.sys_name, g.members, g.elements[0],
           g.elements[g.members - 1], total, g.members);
    fflush(stdout);
    while (g.written < total) {
        g.batch = total - g.written < per_txn ? total - g.written : per_txn;
        rc = db_txn_run(db, groups_txn, &g);
        if (rc != DB_OK) {
            fprintf(stderr, "gen_groups: %s failed after %ld groups (db rc %d)\n",
                    g.failed ? g.failed : "commit", g.written, rc);
            db_close(db);
            return 1;
        }
        g.written += g.batch;
        if (g.written - reported >= report || g.written == total) {
            double t = now();

            printf("gen_groups: %ld/%ld groups, %.1f s, %.0f groups/s now\n", g.written, total,
                   t - start, (double)(g.written - reported) / (t - last));
            fflush(stdout);
            reported = g.written;
            last = t;
        }
    }
    if (db_store_counts(db, &groups, &members) != DB_OK) {
        db_close(db);
        return 1;
    }
    db_close(db);
    printf("gen_groups: done in %.1f s; the store holds %" PRId64 " groups, %" PRId64
           " member rows\n",
           now() - start, groups, members);
    free(g.elements);
    return 0;
}
