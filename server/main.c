/* replgw's entry point: configuration, database, CIM service, HTTP daemon, then wait for
 * SIGINT or SIGTERM (SIGHUP reads the tokens file again) and take everything down in reverse
 * order. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "server/srv.h"

/* The value of option name at argv[*a] ("--name value" or "--name=value"), moving *a past it;
 * NULL when argv[*a] is not that option. */
static const char *option_value(int argc, char **argv, int *a, const char *name)
{
    size_t len = strlen(name);

    if (strncmp(argv[*a], name, len) != 0)
        return NULL;
    if (argv[*a][len] == '=')
        return argv[*a] + len + 1;
    if (argv[*a][len] == '\0' && *a + 1 < argc)
        return argv[++*a];
    return NULL;
}

/* replgw token add --tokens FILE --scope read|write; --help says so on stdout. */
static int token_command(int argc, char **argv)
{
    static const char usage[] = "usage: replgw token add --tokens FILE --scope read|write\n"
                                "Adds a new token of the scope to FILE (created, mode 0600, when "
                                "missing) and prints it once.\nWithout --tokens, FILE is "
                                "$REPLGW_TOKENS, as for the server.\n";
    const char *file = NULL, *scope = NULL, *v;
    bool bad = argc < 3 || strcmp(argv[2], "add") != 0;
    char why[256];

    for (int a = 2; a < argc; a++)
        if (strcmp(argv[a], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    for (int a = 2; a < argc && !bad; a++) {
        if (strcmp(argv[a], "add") == 0 && a == 2)
            continue;
        if ((v = option_value(argc, argv, &a, "--tokens")) && !file)
            file = v;
        else if ((v = option_value(argc, argv, &a, "--scope")) && !scope)
            scope = v;
        else
            bad = true; /* unknown, without its value, or given twice */
    }
    /* The file the server reads, where a container's environment names it. */
    if (!file)
        file = getenv("REPLGW_TOKENS");
    if (bad || !file || !scope || !*file) {
        fputs(usage, stderr);
        return 2;
    }
    if (srv_token_add(file, scope, stdout, why, sizeof(why)) != 0) {
        fprintf(stderr, "replgw: %s\n", why);
        return 1;
    }
    return 0;
}

/* What one MHD thread reads through: its own connection, service and cache. */
struct reader {
    struct db *db;
    struct cim_service svc;
    struct api_ctx ctx;
};

static int reader_open(struct reader *r, const struct srv_config *cfg,
                       const struct db_options *dbopt, char *why, size_t why_len)
{
    if (db_open(cfg->db_path, dbopt, &r->db, why, why_len) != DB_OK ||
        cim_service_init(&r->svc, r->db, &cfg->caps, why, why_len) != 0)
        return -1;
    r->ctx.svc = &r->svc;
    r->ctx.limits = cfg->limits;
    r->ctx.openapi = (const char *)srv_openapi_yaml;
    r->ctx.openapi_len = srv_openapi_yaml_len;
    if (api_cache_init(&r->ctx, cfg->group_cache) != 0) {
        snprintf(why, why_len, "out of memory for --group-cache %lu (its slots for each of the "
                 "%u request threads); choose a smaller one", (unsigned long)cfg->group_cache,
                 cfg->threads);
        return -1;
    }
    return 0;
}

static void reader_close(struct reader *r)
{
    api_cache_free(&r->ctx);
    cim_service_fini(&r->svc);
    db_close(r->db);
}

int main(int argc, char **argv)
{
    struct srv_config cfg;
    struct db_options dbopt;
    struct reader readers[SRV_MAX_THREADS] = {0};
    struct api_ctx *reader_ctxs[SRV_MAX_THREADS];
    struct db *writer_db = NULL;
    struct cim_service writer_svc = {0};
    struct api_ctx writer_ctx = {0};
    struct srv *srv = NULL;
    char why[512];
    sigset_t stop_signals;
    int sig, rc, status = 1;

    if (argc > 1 && strcmp(argv[1], "token") == 0)
        return token_command(argc, argv);
    rc = srv_config_parse(&cfg, argc, argv, stdout, stderr);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (cfg.verbose)
        rg_log_set_level(RG_LOG_DEBUG);

    dbopt.busy_timeout_ms = (int)cfg.busy_timeout_ms;
    dbopt.max_pages = (long)cfg.db_max_pages;
    dbopt.cache_paths = false;
    dbopt.cache_counts = cfg.group_cache > 0;
    for (unsigned i = 0; i < cfg.threads; i++) {
        if (reader_open(&readers[i], &cfg, &dbopt, why, sizeof(why)) != 0) {
            fprintf(stderr, "replgw: %s\n", why);
            goto out;
        }
        reader_ctxs[i] = &readers[i].ctx;
    }
    /* The writer thread's own connection: changes, batched into one commit each. It alone sees
     * every element deleted, so it alone keeps the paths it found. */
    dbopt.cache_paths = true;
    dbopt.cache_counts = false;
    if (db_open(cfg.db_path, &dbopt, &writer_db, why, sizeof(why)) != DB_OK ||
        (cfg.db_check && db_check_integrity(writer_db, why, sizeof(why)) != DB_OK) ||
        cim_service_init(&writer_svc, writer_db, &cfg.caps, why, sizeof(why)) != 0) {
        fprintf(stderr, "replgw: %s\n", why);
        goto out;
    }
    writer_ctx.svc = &writer_svc;
    writer_ctx.limits = cfg.limits;

    /* Block the stop signals before MHD starts its thread, so only sigwait below sees them. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    srv = srv_start(&cfg, reader_ctxs, &writer_ctx, why, sizeof(why));
    if (!srv) {
        fprintf(stderr, "replgw: %s\n", why);
        goto out;
    }
    printf(strchr(cfg.listen, ':') ? "replgw: listening on %s://[%s]:%u\n"
                                    : "replgw: listening on %s://%s:%u\n",
           srv_is_tls(srv) ? "https" : "http", cfg.listen, srv_port(srv));
    fflush(stdout);
    rg_log(RG_LOG_DEBUG,
           "serving %s with %u request threads and one writer (batches of up to %d changes), "
           "a group cache of %lu per thread, a busy timeout of %u ms",
           cfg.db_path, cfg.threads, SRV_BATCH, cfg.group_cache, cfg.busy_timeout_ms);
    /* SIGHUP reads the tokens file again (revoking a token needs no restart); the others stop. */
    while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
        if (srv_reload_tokens(srv, why, sizeof(why)) == 0)
            rg_log(RG_LOG_INFO, "received SIGHUP, read the tokens file again");
        else
            rg_log(RG_LOG_WARN, "received SIGHUP: %s; the tokens in use are kept", why);
    }
    rg_log(RG_LOG_INFO, "received %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;
out:
    srv_stop(srv);
    cim_service_fini(&writer_svc);
    db_close(writer_db);
    for (unsigned i = 0; i < cfg.threads; i++)
        reader_close(&readers[i]);
    return status;
}
