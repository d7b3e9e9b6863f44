/* Command line and environment: one table of options, each with its flag, its REPLGW_*
 * variable, its type and its help line, so --help, the parser and the docs cannot drift apart. */
#include "server/srv.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cim/cim_path.h"

enum opt_type { O_STR, O_UINT, O_ULONG, O_BOOL, O_LIST, O_PERSISTENCY };

struct opt {
    const char *name; /* flag without the leading "--" */
    const char *env;
    enum opt_type type;
    size_t off; /* offset in struct srv_config */
    const char *arg;
    const char *help;
};

#define CFG(f) offsetof(struct srv_config, f)

static const struct opt opts[] = {
    {"listen", "REPLGW_LISTEN", O_STR, CFG(listen), "ADDR",
     "IPv4 or IPv6 address to listen on (default 127.0.0.1)"},
    {"port", "REPLGW_PORT", O_UINT, CFG(port), "N",
     "TCP port (default 8080; 0 = any free port, printed at start)"},
    {"db", "REPLGW_DB", O_STR, CFG(db_path), "PATH", "SQLite database file (default ./replgw.db)"},
    {"system-name", "REPLGW_SYSTEM_NAME", O_STR, CFG(caps.system_name), "NAME",
     "Name of the hosting CIM_ComputerSystem (default: the host name)"},
    {"namespace", "REPLGW_NAMESPACE", O_STR, CFG(caps.ns), "NS",
     "CIM namespace: segments of letters, digits and _ joined by / (default "
     "root/cimv2/storage/iscsitarget); a database holding elements must be served in theirs"},
    {"nameable", "REPLGW_NAMEABLE", O_BOOL, CFG(caps.nameable), "BOOL",
     "Groups are nameable (group feature 14; default true). false: any GroupName is 7"},
    {"empty-groups", "REPLGW_EMPTY_GROUPS", O_BOOL, CFG(caps.empty_groups), "BOOL",
     "Empty replication groups allowed (group feature 5; default true)"},
    {"temporary-groups", "REPLGW_TEMPORARY_GROUPS", O_BOOL, CFG(caps.temporary_groups), "BOOL",
     "Persistent=false allowed (group feature 13; default true)"},
    {"composite-groups", "REPLGW_COMPOSITE_GROUPS", O_BOOL, CFG(caps.composite_groups), "BOOL",
     "Members may be elements of other systems (group feature 7; default false)"},
    {"multiple-membership", "REPLGW_MULTIPLE_MEMBERSHIP", O_BOOL, CFG(caps.multiple_membership),
     "BOOL", "An element may be in several groups (group feature 23; default false)"},
    {"max-members", "REPLGW_MAX_MEMBERS", O_ULONG, CFG(caps.max_members), "N",
     "Most elements per group (default 0 = unlimited; at most 2^63-1)"},
    {"max-groups", "REPLGW_MAX_GROUPS", O_ULONG, CFG(caps.max_groups), "N",
     "Most groups in the store (default 0 = unlimited; at most 2^63-1)"},
    {"default-persistency", "REPLGW_DEFAULT_PERSISTENCY", O_PERSISTENCY,
     CFG(caps.default_persistency), "P",
     "Persistent when absent: persistent (default), not-persistent or none"},
    {"access-point", "REPLGW_ACCESS_POINTS", O_LIST, CFG(access_points), "NAME",
     "A known remote service access point (repeatable, or comma-separated)"},
    {"idempotency-ttl", "REPLGW_IDEMPOTENCY_TTL", O_UINT, CFG(caps.idempotency_ttl), "S",
     "How long an Idempotency-Key and its response are kept (default 86400)"},
    {"busy-timeout", "REPLGW_BUSY_TIMEOUT", O_UINT, CFG(busy_timeout_ms), "MS",
     "How long a write waits for a locked database before 503 (default 5000; at most "
     "2147483647)"},
    {"db-max-pages", "REPLGW_DB_MAX_PAGES", O_ULONG, CFG(db_max_pages), "N",
     "SQLite max_page_count, a cap on the file size (default 0 = SQLite's)"},
    {"db-check", "REPLGW_DB_CHECK", O_BOOL, CFG(db_check), "BOOL",
     "Read the whole database file at start and refuse to serve a damaged one (default true)"},
    {"max-body", "REPLGW_MAX_BODY", O_ULONG, CFG(max_body), "BYTES",
     "Largest request body before 413 (default 1048576; at least 1)"},
    {"max-json-depth", "REPLGW_MAX_JSON_DEPTH", O_UINT, CFG(limits.max_depth), "N",
     "Deepest nesting of a JSON body (default 16; at most 2048, jansson's own limit; 0 = that)"},
    {"max-string", "REPLGW_MAX_STRING", O_ULONG, CFG(limits.max_string), "BYTES",
     "Longest string in a JSON body (default 65536; 0 = no limit)"},
    {"max-members-per-request", "REPLGW_MAX_MEMBERS_PER_REQUEST", O_ULONG,
     CFG(limits.max_members), "N",
     "Most references in one Members list (default 4096; 0 = no limit)"},
    {"max-connections", "REPLGW_MAX_CONNECTIONS", O_UINT, CFG(max_connections), "N",
     "Most concurrent connections (default 1024; at least 1)"},
    {"threads", "REPLGW_THREADS", O_UINT, CFG(threads), "N",
     "Threads serving requests, each with its own read connection (default: one per CPU, at "
     "most 16)"},
    {"group-cache", "REPLGW_GROUP_CACHE", O_ULONG, CFG(group_cache), "N",
     "Serialized groups kept per request thread for GET and lists, with the counts of its last "
     "8 filtered lists (default 4096; 0 = neither)"},
    {"connection-timeout", "REPLGW_CONNECTION_TIMEOUT", O_UINT, CFG(connection_timeout), "S",
     "Idle connection timeout in seconds (default 30; 0 = none)"},
    {"body-timeout", "REPLGW_BODY_TIMEOUT", O_UINT, CFG(body_timeout), "S",
     "Longest a request body may take to arrive, counted from its headers, before the "
     "connection is closed (default 60; 0 = no limit)"},
    {"header-timeout", "REPLGW_HEADER_TIMEOUT", O_UINT, CFG(header_timeout), "S",
     "Longest a connection may wait for a complete request line and headers, counted from its "
     "opening or its previous answer, before it is closed (default 40; 0 = no limit)"},
    {"access-log", "REPLGW_ACCESS_LOG", O_BOOL, CFG(access_log), "BOOL",
     "One JSON line per request on standard error (default true)"},
    {"cors-origin", "REPLGW_CORS_ORIGINS", O_STR, CFG(cors_origins), "LIST",
     "Browser origins allowed by CORS, comma-separated, or * (default: none)"},
    {"require-if-match", "REPLGW_REQUIRE_IF_MATCH", O_BOOL, CFG(require_if_match), "BOOL",
     "Changes to a group or an element without If-Match are 428 (default false)"},
    {"shutdown-grace", "REPLGW_SHUTDOWN_GRACE", O_UINT, CFG(shutdown_grace), "S",
     "On SIGTERM, how long requests in flight may take to finish (default 10)"},
    {"tokens", "REPLGW_TOKENS", O_STR, CFG(tokens_path), "FILE",
     "Bearer tokens file (see 'replgw token add'); required to listen beyond loopback"},
    {"tls-cert", "REPLGW_TLS_CERT", O_STR, CFG(tls_cert), "PEM",
     "Serve HTTPS with this certificate (needs --tls-key)"},
    {"tls-key", "REPLGW_TLS_KEY", O_STR, CFG(tls_key), "PEM", "The certificate's private key"},
    {"max-connections-per-ip", "REPLGW_MAX_CONNECTIONS_PER_IP", O_UINT, CFG(max_per_ip), "N",
     "Most concurrent connections from one address (default 256; 0 = no limit)"},
    {"rate-limit", "REPLGW_RATE_LIMIT", O_UINT, CFG(rate_limit), "N",
     "Requests per second per client address before 429 (default 0 = no limit)"},
    {"rate-burst", "REPLGW_RATE_BURST", O_UINT, CFG(rate_burst), "N",
     "Most requests a client may send at once, the rate refilling them (default: the rate)"},
    {"verbose", "REPLGW_VERBOSE", O_BOOL, CFG(verbose), "BOOL",
     "Log debug lines: the settings served, each connection opened and closed, each batch of "
     "the writer with its time"},
};

static void set_defaults(struct srv_config *cfg)
{
    long cpus;

    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = "127.0.0.1";
    cfg->port = 8080;
    cfg->db_path = "replgw.db";
    cfg->busy_timeout_ms = 5000;
    cfg->max_body = 1024 * 1024;
    cfg->max_connections = 1024;
    /* One request thread per CPU: on 2 cores two threads served 16% more GETs and 40% more of
     * the 90/10 mix than one (bench/README.md). */
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = cpus < 1 ? 1 : cpus > SRV_MAX_THREADS ? SRV_MAX_THREADS : (unsigned)cpus;
    cfg->group_cache = API_CACHE_DEFAULT_SLOTS;
    cfg->connection_timeout = 30;
    cfg->body_timeout = 60;
    cfg->header_timeout = 40;
    cfg->db_check = true;
    cfg->access_log = true;
    cfg->shutdown_grace = 10;
    cfg->max_per_ip = 256;
    cfg->limits.max_depth = 16;
    cfg->limits.max_string = 65536;
    cfg->limits.max_members = 4096;
    if (gethostname(cfg->hostname, sizeof(cfg->hostname) - 1) != 0 || !cfg->hostname[0])
        strcpy(cfg->hostname, "localhost");
    cfg->caps.system_name = cfg->hostname;
    cfg->caps.ns = CIM_DEFAULT_NAMESPACE;
    cfg->caps.nameable = true;
    cfg->caps.empty_groups = true;
    cfg->caps.temporary_groups = true;
    cfg->caps.multiple_membership = false;
    cfg->caps.default_persistency = CIM_PERSISTENCY_PERSISTENT;
    cfg->caps.access_points = cfg->access_points;
    cfg->caps.idempotency_ttl = 86400;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Adds name to the known access points; a name given twice is one access point. */
static int add_access_point(struct srv_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->caps.n_access_points; i++)
        if (strcmp(cfg->access_points[i], name) == 0)
            return 0;
    if (!*name || cfg->caps.n_access_points >= SRV_MAX_ACCESS_POINTS)
        return -1;
    cfg->access_points[cfg->caps.n_access_points++] = name;
    return 0;
}

/* Boolean words, true ones first, compared without case. */
static const char *const bool_words[] = {"true", "yes", "on", "1", "false", "no", "off", "0"};

static bool is_bool_word(const char *s)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(bool_words); i++)
        if (strcasecmp(s, bool_words[i]) == 0)
            return true;
    return false;
}

static bool bool_word_value(const char *s)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(bool_words) / 2; i++)
        if (strcasecmp(s, bool_words[i]) == 0)
            return true;
    return false;
}

/* jansson's JSON_PARSER_MAX_DEPTH, which its headers do not export: deeper nesting is its own
 * error whatever --max-json-depth says. */
#define JSON_MAX_DEPTH 2048

/* Where a value came from, weakest first. */
enum source { FROM_DEFAULT, FROM_FILE, FROM_ENV, FROM_FLAG };

/* Stores value, from source, into the option's field. Returns 0, or -1 when the value is
 * invalid. */
static int apply(struct srv_config *cfg, const struct opt *o, char *value, enum source source)
{
    char *field = (char *)cfg + o->off;
    unsigned long v;

    switch (o->type) {
    case O_STR:
        if (!*value)
            return -1;
        *(const char **)field = value;
        return 0;
    case O_UINT:
        /* Up to INT_MAX: SQLite takes the busy timeout as an int (a larger one turned negative
         * and waited not at all), and no other count or time here needs more. */
        if (parse_ulong(value, INT_MAX, &v) != 0 || (o->off == CFG(port) && v > 65535) ||
            (o->off == CFG(limits.max_depth) && v > JSON_MAX_DEPTH))
            return -1;
        *(unsigned *)field = (unsigned)v;
        return 0;
    case O_ULONG: {
        /* The service's limits are counts the database holds as int64 and /capabilities shows
         * as JSON integers, which jansson keeps signed. */
        bool cap = o->off == CFG(caps.max_members) || o->off == CFG(caps.max_groups);

        if (parse_ulong(value, cap ? (unsigned long)INT64_MAX : ~0ul, &v) != 0)
            return -1;
        if (cap)
            *(uint64_t *)field = v;
        else if (o->off == CFG(limits.max_string) || o->off == CFG(limits.max_members))
            *(size_t *)field = v;
        else
            *(unsigned long *)field = v;
        return 0;
    }
    case O_BOOL:
        if (!is_bool_word(value))
            return -1;
        *(bool *)field = bool_word_value(value);
        return 0;
    case O_LIST:
        /* A stronger source replaces the list of a weaker one, as any other option's value
         * (an empty flag value leaves none); repeated flags, or lines, add up. */
        if (cfg->access_points_from < (int)source) {
            cfg->caps.n_access_points = 0;
            cfg->access_points_from = (int)source;
        }
        /* Each source may give a comma-separated list; repeated flags or lines add up. */
        for (char *save = NULL, *tok = strtok_r(value, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            size_t n;

            tok += strspn(tok, " \t"); /* "peer1, peer2" names peer2, not " peer2" */
            for (n = strlen(tok); n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'); n--)
                tok[n - 1] = '\0';
            if (add_access_point(cfg, tok) != 0)
                return -1;
        }
        return 0;
    case O_PERSISTENCY:
        if (strcmp(value, "persistent") == 0)
            cfg->caps.default_persistency = CIM_PERSISTENCY_PERSISTENT;
        else if (strcmp(value, "not-persistent") == 0)
            cfg->caps.default_persistency = CIM_PERSISTENCY_NOT_PERSISTENT;
        else if (strcmp(value, "none") == 0)
            cfg->caps.default_persistency = CIM_PERSISTENCY_NONE;
        else
            return -1;
        return 0;
    }
    return -1;
}

static void print_help(FILE *out)
{
    fprintf(out, "Usage: replgw [OPTION]...\n"
                 "REST/JSON gateway for CIM replication groups (CIM_ReplicationService).\n\n"
                 "Every option can also be set by the environment variable shown, or in a\n"
                 "--config file; flags win over both, the environment over the file.\n"
                 "Boolean options take true/false (or yes/no, on/off, 1/0, in any case) as\n"
                 "--flag=BOOL or --flag BOOL (--flag alone means true, --no-flag false).\n\n");
    for (size_t i = 0; i < RG_ARRAY_LEN(opts); i++) {
        char left[64];

        snprintf(left, sizeof(left), "--%s %s", opts[i].name, opts[i].arg);
        fprintf(out, "  %-30s %s\n  %-30s [%s]\n", left, opts[i].help, "", opts[i].env);
    }
    fprintf(out, "  %-30s %s\n  %-30s %s\n  %-30s [REPLGW_CONFIG]\n", "--config FILE",
            "Options from FILE, one \"name = value\" a line (the names of the flags above;",
            "", "# starts a comment); the environment and flags win over it", "");
    fprintf(out, "  %-30s %s\n", "--help", "Show this help and exit");
    fprintf(out, "\nreplgw token add --tokens FILE --scope read|write\n"
                 "  Makes a bearer token, appends its SHA-256 hash to FILE and prints the "
                 "token\n  (FILE is $REPLGW_TOKENS without --tokens).\n");
    fprintf(out, "\nOn start it prints \"replgw: listening on http://ADDR:PORT\" on standard "
                 "output.\nSIGINT or SIGTERM stops it cleanly; SIGHUP reads the --tokens file "
                 "again\n(tokens added work, tokens removed stop working, without a restart).\n");
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < RG_ARRAY_LEN(opts); i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

/* The path of the --config file: the last --config flag, else REPLGW_CONFIG, else NULL. */
static const char *config_path(int argc, char **argv)
{
    const char *path = getenv("REPLGW_CONFIG");

    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
            path = argv[++a];
        else if (strncmp(argv[a], "--config=", 9) == 0)
            path = argv[a] + 9;
    }
    return path;
}

/* Whether argv sets option o (--name, --name=value or --no-name): then a value the environment
 * or the file gives it is not used, and so not judged. */
static bool flag_given(int argc, char **argv, const struct opt *o)
{
    size_t n = strlen(o->name);

    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];

        if (strncmp(arg, "--", 2) != 0)
            continue;
        arg += 2;
        if (o->type == O_BOOL && strncmp(arg, "no-", 3) == 0)
            arg += 3;
        if (strncmp(arg, o->name, n) == 0 && (arg[n] == '\0' || arg[n] == '='))
            return true;
    }
    return false;
}

/* Reads path into cfg->file_text and applies each "name = value" line (or "name value"; a
 * boolean name alone means true) as the flag --name would. Returns 0, or -1 after writing why
 * to err with the line's number. */
static int apply_file(struct srv_config *cfg, const char *path, int argc, char **argv,
                      FILE *err)
{
    FILE *f = fopen(path, "r");
    size_t len;
    char *line, *next;
    int lineno = 0;

    if (!f) {
        fprintf(err, "replgw: --config %s: %s\n", path, strerror(errno));
        return -1;
    }
    len = fread(cfg->file_text, 1, sizeof(cfg->file_text), f);
    if (ferror(f) || len == sizeof(cfg->file_text)) {
        fprintf(err, "replgw: --config %s: %s\n", path,
                ferror(f) ? "read error" : "larger than 16 KiB");
        fclose(f);
        return -1;
    }
    fclose(f);
    cfg->file_text[len] = '\0';
    if (strlen(cfg->file_text) != len) {
        fprintf(err, "replgw: --config %s: holds a NUL byte\n", path);
        return -1;
    }
    /* A byte-order mark some editors write is not part of the first name. */
    line = cfg->file_text;
    if (strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    for (; line; line = next) {
        const struct opt *o;
        char *name, *value, *end;
        size_t n;

        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        name = line + strspn(line, " \t\r");
        if (*name == '\0' || *name == '#')
            continue; /* blank, or a comment */
        n = strcspn(name, " \t\r=#");
        value = name + n;
        value += strspn(value, " \t\r");
        if (*value == '=')
            value += 1 + strspn(value + 1, " \t\r");
        /* "value" or 'value': the quotes a hand-written file puts around a value are not it,
         * and a '#' between them is not a comment. */
        if (*value == '"' || *value == '\'') {
            const char *after;

            end = strchr(value + 1, *value);
            after = end ? end + 1 + strspn(end + 1, " \t\r") : NULL;
            if (!after || (*after != '\0' && *after != '#')) {
                fprintf(err, "replgw: %s:%d: the value's opening %c is not closed at its end\n",
                        path, lineno, *value);
                return -1;
            }
            *end = '\0';
            value++;
        } else {
            value[strcspn(value, "#")] = '\0';
            for (end = value + strlen(value); end > value && strchr(" \t\r", end[-1]); end--)
                ;
            *end = '\0';
        }
        o = n ? find_opt(name, n) : NULL;
        if (!o) {
            fprintf(err, "replgw: %s:%d: unknown option '%.*s' (see --help)\n", path, lineno,
                    (int)n, name);
            return -1;
        }
        name[n] = '\0';
        if (flag_given(argc, argv, o) || getenv(o->env))
            continue; /* a stronger source sets it */
        if (!*value && o->type == O_BOOL)
            value = "true";
        if (apply(cfg, o, value, FROM_FILE) != 0) {
            fprintf(err, "replgw: %s:%d: invalid value '%s' for %s (%s)\n", path, lineno, value,
                    o->name, o->arg);
            return -1;
        }
    }
    return 0;
}

int srv_config_parse(struct srv_config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    const char *path;

    set_defaults(cfg);
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            print_help(out);
            return 1;
        }
    path = config_path(argc, argv);
    if (path && apply_file(cfg, path, argc, argv, err) != 0)
        return -1;
    for (size_t i = 0; i < RG_ARRAY_LEN(opts); i++) {
        char *value = flag_given(argc, argv, &opts[i]) ? NULL : getenv(opts[i].env);

        /* The environment's strings are not ours to cut into tokens. */
        if (value && opts[i].type == O_LIST) {
            snprintf(cfg->env_list, sizeof(cfg->env_list), "%s", value);
            value = cfg->env_list;
        }
        if (value && apply(cfg, &opts[i], value, FROM_ENV) != 0) {
            fprintf(err, "replgw: invalid value '%s' for %s (%s)\n", value, opts[i].env,
                    opts[i].arg);
            return -1;
        }
    }
    for (int a = 1; a < argc; a++) {
        char *arg = argv[a], *value = NULL;
        const struct opt *o;
        size_t len;

        if (strcmp(arg, "--config") == 0) {
            if (++a >= argc) { /* else read above, before the environment */
                fprintf(err, "replgw: --config needs a value (FILE)\n");
                return -1;
            }
            continue;
        }
        if (strncmp(arg, "--config=", 9) == 0)
            continue;
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(err, "replgw: unexpected argument '%s' (see --help)\n", arg);
            return -1;
        }
        arg += 2;
        len = strcspn(arg, "=");
        if (arg[len] == '=')
            value = arg + len + 1;
        o = find_opt(arg, len);
        if (!o && len > 3 && strncmp(arg, "no-", 3) == 0 && (o = find_opt(arg + 3, len - 3))) {
            if (o->type != O_BOOL) { /* --no-port */
                fprintf(err, "replgw: --%.*s: only a boolean option has a --no- form\n",
                        (int)len, arg);
                return -1;
            }
            if (value) { /* --no-nameable=true */
                fprintf(err, "replgw: --%.*s takes no value: give it alone, or --%s=BOOL\n",
                        (int)len, arg, o->name);
                return -1;
            }
            value = "false";
        }
        if (!o) {
            fprintf(err, "replgw: unknown option '--%.*s' (see --help)\n", (int)len, arg);
            return -1;
        }
        /* A boolean takes its value as the next argument too (--nameable false), as the
         * other options do, when there is one that is no option (the server takes no other
         * argument, so "--nameable maybe" is a bad value of --nameable); alone it means true. */
        if (!value && o->type == O_BOOL)
            value = a + 1 < argc && strncmp(argv[a + 1], "--", 2) != 0 ? argv[++a] : "true";
        if (!value) {
            if (a + 1 >= argc) {
                fprintf(err, "replgw: --%s needs a value (%s)\n", o->name, o->arg);
                return -1;
            }
            value = argv[++a];
        }
        if (apply(cfg, o, value, FROM_FLAG) != 0) {
            fprintf(err, "replgw: invalid value '%s' for --%s (%s)\n", value, o->name, o->arg);
            return -1;
        }
    }
    if (cfg->threads < 1 || cfg->threads > SRV_MAX_THREADS) {
        fprintf(err, "replgw: --threads (REPLGW_THREADS) must be 1 to %d\n", SRV_MAX_THREADS);
        return -1;
    }
    if (srv_origin_list_fault(cfg->cors_origins)) {
        fprintf(err, "replgw: %s\n", srv_origin_list_fault(cfg->cors_origins));
        return -1;
    }
    /* libmicrohttpd takes 0 literally: it would listen and accept no connection at all. */
    if (cfg->max_connections == 0) {
        fprintf(err, "replgw: --max-connections (REPLGW_MAX_CONNECTIONS) must be at least 1\n");
        return -1;
    }
    /* Allowed, but likely not what was meant. */
    if (cfg->rate_burst && !cfg->rate_limit)
        fprintf(err, "replgw: warn: --rate-burst does nothing without --rate-limit\n");
    if (cfg->header_timeout && cfg->connection_timeout &&
        cfg->header_timeout < cfg->connection_timeout)
        fprintf(err, "replgw: warn: --header-timeout %u is below --connection-timeout %u: an idle "
                     "keep-alive connection is closed after %u s\n",
                cfg->header_timeout, cfg->connection_timeout, cfg->header_timeout);
    /* Every change takes a body: 0 would refuse them all (0 means "no limit" elsewhere, which a
     * body held in memory must not have). */
    if (cfg->max_body == 0) {
        fprintf(err, "replgw: --max-body (REPLGW_MAX_BODY) must be at least 1\n");
        return -1;
    }
    /* Every path the service writes starts with it, and must parse back. */
    if (!cim_path_namespace_ok(cfg->caps.ns)) {
        fprintf(err,
                "replgw: --namespace (REPLGW_NAMESPACE) '%s' is not a CIM namespace: segments of "
                "letters, digits and '_' joined by '/', such as root/cimv2/storage/iscsitarget\n",
                cfg->caps.ns);
        return -1;
    }
    return 0;
}
