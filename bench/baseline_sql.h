/* The tables of the baselines' create (baseline_storage.c, baseline_naive.c): a group, its
 * ordered members with two b-trees per member row (as replgw's schema 4), a setting row; WAL
 * with synchronous=FULL as replgw. */
#ifndef BASELINE_SQL_H
#define BASELINE_SQL_H

#define BASELINE_SCHEMA                                                                        \
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"                                        \
    "CREATE TABLE g (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, p INT, s INT);"   \
    "CREATE TABLE m (g INT, e INT, seq INT, PRIMARY KEY (g, e), UNIQUE (g, seq)) WITHOUT ROWID;" \
    "CREATE TABLE sp (g INT, pos INT, name TEXT, value TEXT, PRIMARY KEY (g, pos)) WITHOUT ROWID;"

#endif
