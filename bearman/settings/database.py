"""DATABASE_URL, or the embedded default: a SQLite file tuned for several processes."""

import dj_database_url

from .environment import env_str, var_dir

# WAL lets readers run beside the one writer; IMMEDIATE transactions take the write
# lock at BEGIN so two writers queue on the busy timeout instead of failing with
# "database is locked" when one upgrades a read lock.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_config() -> dict:
    url = env_str("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(var_dir() / "bearman.sqlite3"),
            # Keep connections: opening one (and running its PRAGMAs) on every request
            # costs more than answering a boot script.
            "CONN_MAX_AGE": 60,
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
        config["TEST"] = {"NAME": str(var_dir() / "test-bearman.sqlite3")}
    return config
