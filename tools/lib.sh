# tools/lib.sh: helpers shared by tools/up, tools/down and tools/test (source it, don't run it).
# Defines the repo paths, the tools/up process table and mailsuite_build, which configures
# build/ once and then builds everything with Ninja.
# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts sourcing it

MAILSUITE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAILSUITE_BUILD_DIR=$MAILSUITE_REPO/build
MAILSUITE_BIN=$MAILSUITE_BUILD_DIR/bin
MAILSUITE_VAR=${MAILSUITE_HOME:-$MAILSUITE_REPO/var}
[[ $MAILSUITE_VAR == /* ]] || MAILSUITE_VAR=$PWD/$MAILSUITE_VAR
MAILSUITE_PG_BIN=/usr/lib/postgresql/15/bin

# Start order; tools/down stops in the reverse order.
MAILSUITE_PROCESSES=(mailbox-store dns-resolver outbound-relay smtp-ingress imap-access pop3-access)

die() {
  echo "tools/${0##*/}: $*" >&2
  exit 1
}

note() {
  echo "tools/${0##*/}: $*" >&2
}

# Configures build/ with CMake + Ninja unless it is configured already, then builds it all.
mailsuite_build() {
  if [[ ! -f $MAILSUITE_BUILD_DIR/CMakeCache.txt || ! -f $MAILSUITE_BUILD_DIR/build.ninja ]]; then
    cmake -S "$MAILSUITE_REPO" -B "$MAILSUITE_BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo || return 1
  fi
  cmake --build "$MAILSUITE_BUILD_DIR" -j"$(nproc)"
}

# Prints the pid of a process tools/up started if it is still running, else fails.
# Checks the command line too, so a stale pid file whose pid was reused is not mistaken for ours.
mailsuite_pid() {
  local name=$1 pid arg
  local pid_file=$MAILSUITE_VAR/run/$name.pid
  [[ -f $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  mailsuite_alive "$pid" || return 1
  local -a argv
  mapfile -d '' -n 2 argv <"/proc/$pid/cmdline" 2>/dev/null || return 1
  # argv[1] too, for a stand-in script run through its interpreter.
  for arg in "${argv[@]}"; do
    if [[ ${arg##*/} == "$name" ]]; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# True if the process exists and is not a zombie (kill -0 succeeds on zombies, and in a
# container nobody may reap them).
mailsuite_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Runs a PostgreSQL tool as the cluster owner: postgres when we are root (PostgreSQL refuses
# to run as root), else ourselves. cd / so the tool never trips over an unreadable cwd.
as_pg_owner() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# pg_ctl status: 0 running, 3 stopped, 4 no data directory.
mailsuite_pg_running() {
  [[ -x $MAILSUITE_PG_BIN/pg_ctl && -f $MAILSUITE_VAR/pg/data/PG_VERSION ]] || return 1
  as_pg_owner "$MAILSUITE_PG_BIN/pg_ctl" status -D "$MAILSUITE_VAR/pg/data" >/dev/null 2>&1
}
