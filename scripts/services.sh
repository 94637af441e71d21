# Throwaway MariaDB and Redis on loopback, in a temporary directory. Sourced by scripts/test
# and bench/run; defines start_services / stop_services and exports their URLs.
# shellcheck shell=bash

ensure_service_packages() {
    if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null \
        && command -v redis-server >/dev/null && command -v nginx >/dev/null \
        && command -v chromium >/dev/null; then
        return
    fi
    # chromium: the floor screen's test drives the page in a headless browser
    echo "==> installing mariadb-server, redis-server, nginx and chromium (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq mariadb-server redis-server nginx chromium >/dev/null
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS COMMAND...
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS > deadline)); then echo "timed out waiting for: $*" >&2; return 1; fi
        sleep 0.2
    done
}

start_services() {
    ensure_service_packages
    SERVICES_DIR=$(mktemp -d -t prodhub-services.XXXXXX)
    local db_port redis_port
    db_port=$(free_port)
    redis_port=$(free_port)

    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$SERVICES_DIR/mysql" \
        --auth-root-authentication-method=socket --skip-test-db >"$SERVICES_DIR/install.log" 2>&1
    mariadbd --no-defaults --user="$(id -un)" --datadir="$SERVICES_DIR/mysql" \
        --socket="$SERVICES_DIR/mysql.sock" --pid-file="$SERVICES_DIR/mysql.pid" \
        --bind-address=127.0.0.1 --port="$db_port" --skip-name-resolve --skip-log-bin \
        --innodb-buffer-pool-size=512M --innodb-flush-log-at-trx-commit=2 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        --max-connections=300 >"$SERVICES_DIR/mysql.log" 2>&1 &
    wait_for 60 mariadb-admin --no-defaults --socket="$SERVICES_DIR/mysql.sock" -uroot ping
    # A throwaway account on a throwaway server that only listens on loopback.
    mariadb --no-defaults --socket="$SERVICES_DIR/mysql.sock" -uroot <<SQL
CREATE DATABASE prodhub_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE prodhub_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'prodhub'@'127.0.0.1' IDENTIFIED BY 'prodhub';
GRANT ALL ON prodhub_test.* TO 'prodhub'@'127.0.0.1';
GRANT ALL ON prodhub_bench.* TO 'prodhub'@'127.0.0.1';
SQL

    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$SERVICES_DIR" --save '' \
        --appendonly no --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" \
        --logfile "$SERVICES_DIR/redis.log"
    wait_for 30 redis-cli -h 127.0.0.1 -p "$redis_port" ping

    export PRODHUB_TEST_MYSQL_URL="mysql+aiomysql://prodhub:prodhub@127.0.0.1:$db_port/prodhub_test"
    export PRODHUB_BENCH_MYSQL_URL="mysql+aiomysql://prodhub:prodhub@127.0.0.1:$db_port/prodhub_bench"
    export PRODHUB_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
    echo "==> MariaDB on 127.0.0.1:$db_port, Redis on 127.0.0.1:$redis_port ($SERVICES_DIR)"
}

stop_services() {
    [ -n "${SERVICES_DIR:-}" ] && [ -d "$SERVICES_DIR" ] || return 0
    if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
    if [ -f "$SERVICES_DIR/mysql.pid" ]; then
        local pid; pid=$(cat "$SERVICES_DIR/mysql.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -rf "$SERVICES_DIR"
}
