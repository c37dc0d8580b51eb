#!/usr/bin/env python3
"""Runs every example of README.md as printed, in order, on a fresh demo, and names the README
line of the first one that fails.

    tests/readme/walk.py [--served] README.md FLEETGATE_BINARY

What counts as an example: the lines of every top-level indented code block (its first line is
indented by exactly four spaces and follows a blank line). A line ending in `\\` continues on the
next; a line that is only a `#` comment is output shown to the reader and is skipped. Fenced
blocks (```) are not examples: they hold `./dev` itself and sample output; blocks nested in lists
(six spaces) hold data such as telemetry frames.

How they run:
- in one bash (errexit, pipefail), so variables, `export`s and jobs carry from line to line, from
  a scratch copy of the repository root: config/ and docs/examples/ copied, tools/ linked, with
  the binary's folder first on PATH and no provider API key set;
- the demo first: tools/run-demo.sh (what `./dev run` starts) until it serves, then it is stopped
  with SIGINT (Ctrl-C), as the README says to before the examples (the CLI needs the data dir);
- `8080` stands for a free loopback port (also set in the config copy) and `/tmp/` for a scratch
  folder, so that concurrent runs share nothing;
- after a line that starts `fleetgate serve` in the background (`&`), the walk waits until the
  port accepts connections; the examples stop each server themselves (`kill %1; wait %1`);
- `curl` fails on an HTTP error status (`--fail-with-body`);
- each line has 150 s;
- with --served, a `fleetgate serve` on the copied config runs behind the examples the whole time
  (so every CLI command goes through its admin socket), except from a line that starts a server
  of the examples' own until the `kill %1; wait %1` that stops it.
It fails when a line fails, when a server is left running, or when an example wrote into the
repository root outside the git-ignored data/ or changed a copied file.
"""
import hashlib
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

LINE_SECONDS = 150
SERVE_IN_BACKGROUND = re.compile(r"^fleetgate\b.*\bserve\b.*&\s*(#.*)?$")
STOP_SERVE = re.compile(r"^kill %1; wait %1\s*(#.*)?$")

PRELUDE = r"""
set -eo pipefail
exec {__walk_in}<&"$WALK_CMD_FD" {__walk_out}>&"$WALK_STATUS_FD"
eval "exec $WALK_CMD_FD<&- $WALK_STATUS_FD>&-"
curl() { command curl --fail-with-body --silent --show-error --max-time 60 "$@"; }
__walk_ready() {
  local i
  for i in $(seq 600); do
    if (exec 5<>"/dev/tcp/127.0.0.1/$WALK_PORT") 2>/dev/null; then return 0; fi
    kill -0 "$1" 2>/dev/null || { echo "walk: fleetgate serve exited before it served" >&2; return 1; }
    sleep 0.05
  done
  echo "walk: fleetgate serve did not listen on port $WALK_PORT within 30 s" >&2
  return 1
}
while IFS= read -r -d '' __walk_line <&"$__walk_in"; do
  eval "$__walk_line" {__walk_in}<&- {__walk_out}>&-
  printf 'ok\n' >&"$__walk_out"
done
"""


def examples(readme):
    """(line number, command) for every example line of the README, in order."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    out = []
    in_fence = in_block = False
    pending, pending_line = "", 0
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        previous_blank = number == 1 or lines[number - 2].strip() == ""
        if not in_block and previous_blank and re.match(r"^    \S", line):
            in_block = True
        elif in_block and not line.startswith("    "):
            in_block = False
        if not in_block:
            continue
        text = line[4:]
        if not pending and text.lstrip().startswith("#"):
            continue
        if not pending:
            pending_line = number
        if text.rstrip().endswith("\\"):
            pending += text.rstrip()[:-1] + " "
            continue
        out.append((pending_line, pending + text))
        pending = ""
    return out


def free_port():
    """A free loopback port below Linux's ephemeral range (32768 up), so that the ports other tests
    bind as 0 do not take it while the examples stop and restart the server on it."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("walk: no free port between 20000 and 32000")


def snapshot(root):
    """path -> digest of every file under root outside data/ (symlinked tools/ not followed)."""
    files = {}
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        if rel == "." and "data" in dirs:
            dirs.remove("data")
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return files


def wait_ready(port, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def stop_group(process):
    """Ends every process left in `process`'s group; True when there were any."""
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    return True


class Walk:
    def __init__(self, readme, binary, scratch, served=False):
        self.readme = readme
        self.served = served
        self.server = None  # with --served: the `fleetgate serve` behind the examples
        self.name = os.path.basename(readme)
        self.binary = os.path.abspath(binary)
        self.source = os.path.dirname(os.path.abspath(readme))
        self.root = os.path.join(scratch, "root")
        self.tmp = os.path.join(scratch, "tmp")
        self.log_path = os.path.join(scratch, "walk.log")
        self.port = free_port()
        self.env = dict(os.environ)
        for key in ("DEEPSEEK_API_KEY", "XAI_API_KEY", "FLEETGATE_CONFIG"):
            self.env.pop(key, None)
        self.env["PATH"] = os.path.dirname(self.binary) + os.pathsep + self.env.get("PATH", "")
        self.env["WALK_PORT"] = str(self.port)

    def prepare_root(self):
        os.makedirs(self.tmp)
        shutil.copytree(os.path.join(self.source, "config"), os.path.join(self.root, "config"))
        shutil.copytree(os.path.join(self.source, "docs", "examples"), os.path.join(self.root, "docs", "examples"))
        os.symlink(os.path.join(self.source, "tools"), os.path.join(self.root, "tools"))
        config = os.path.join(self.root, "config", "fleetgate.toml")
        text = open(config, encoding="utf-8").read()
        text, n = re.subn(r"(?m)^port = \d+", f"port = {self.port}", text, count=1)
        if n != 1:
            raise SystemExit("walk: config/fleetgate.toml no longer sets `port = N` under [server]")
        open(config, "w", encoding="utf-8").write(text)

    def run_demo(self, log):
        """tools/run-demo.sh until it serves, then Ctrl-C, as the README says before the examples."""
        demo = subprocess.Popen([os.path.join(self.root, "tools", "run-demo.sh"), self.binary, "config/fleetgate.toml"],
                                cwd=self.root, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            if not wait_ready(self.port, demo):
                return "tools/run-demo.sh did not serve on port %d" % self.port
            demo.send_signal(signal.SIGINT)
            if demo.wait(timeout=30) != 0:
                return "the demo server exited %d on Ctrl-C (SIGINT)" % demo.returncode
            return None
        finally:
            stop_group(demo)

    def start_server(self, log):
        """With --served: `fleetgate serve` on the copied config, until it is ready; None or why not."""
        self.server = subprocess.Popen([self.binary, "serve"], cwd=self.root, env=self.env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if wait_ready(self.port, self.server):
            return None
        return "the walk's own `fleetgate serve` did not serve on port %d" % self.port

    def stop_server(self):
        """Stops the walk's own server (SIGTERM, as an operator would); None or why it failed."""
        server, self.server = self.server, None
        if server is None:
            return None
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        stop_group(server)
        return None if code == 0 else f"the walk's own `fleetgate serve` exited {code} on SIGTERM"

    def command_text(self, command):
        return command.replace("8080", str(self.port)).replace("/tmp/", self.tmp + "/")

    def run_examples(self, log):
        cmd_r, cmd_w = os.pipe()
        status_r, status_w = os.pipe()
        env = dict(self.env, WALK_CMD_FD=str(cmd_r), WALK_STATUS_FD=str(status_w))
        shell = subprocess.Popen(["bash", "--norc", "--noprofile", "-c", PRELUDE], cwd=self.root, env=env,
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 pass_fds=(cmd_r, status_w), start_new_session=True)
        os.close(cmd_r)
        os.close(status_w)
        failure = None
        try:
            if self.served:
                error = self.start_server(log)
                if error:
                    failure = (0, "(before the examples)", error, 0)
            for number, command in examples(self.readme) if failure is None else []:
                log.write(f"$ {self.name}:{number}: {command}\n".encode())
                log.flush()
                start = os.path.getsize(self.log_path)
                steps = [self.command_text(command)]
                starts_server = SERVE_IN_BACKGROUND.match(command.strip())
                if starts_server:
                    steps.append("__walk_ready $!")
                    error = self.stop_server()
                    if error:
                        failure = (number, command, error, start)
                        break
                for step in steps:
                    error = self.send(shell, cmd_w, status_r, step)
                    if error:
                        failure = (number, command, error, start)
                        break
                if failure:
                    break
                if self.served and STOP_SERVE.match(command.strip()):
                    error = self.start_server(log)
                    if error:
                        failure = (number, command, error, start)
                        break
            if failure is None and self.served:
                error = self.stop_server()
                if error:
                    failure = (0, "(end of the examples)", error, 0)
            os.close(cmd_w)
            cmd_w = -1
            if failure is None and shell.wait(timeout=30) != 0:
                failure = (0, "(end of the examples)", "the shell exited %d" % shell.returncode, 0)
        finally:
            if self.server is not None:
                self.stop_server()
            if cmd_w >= 0:
                os.close(cmd_w)
            os.close(status_r)
            try:
                shell.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            left_running = stop_group(shell)
        if failure is None and left_running:
            failure = (0, "(end of the examples)", "a process the examples started was still running", 0)
        return failure

    def send(self, shell, cmd_w, status_r, step):
        os.write(cmd_w, step.encode() + b"\0")
        ready, _, _ = select.select([status_r], [], [], LINE_SECONDS)
        if not ready:
            return f"no result within {LINE_SECONDS} s"
        if os.read(status_r, 16) == b"ok\n":
            return None
        try:
            code = shell.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        return f"exit status {code}"

    def output_from(self, offset, limit=6000):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")[-limit:]

    def check_root(self, before):
        after = snapshot(self.root)
        added = sorted(set(after) - set(before))
        changed = sorted(p for p in before if after.get(p) != before[p])
        problems = []
        if added:
            problems.append("wrote into the repository root outside data/: " + ", ".join(added))
        if changed:
            problems.append("changed or removed: " + ", ".join(changed))
        return problems


def main():
    args = sys.argv[1:]
    served = args[:1] == ["--served"]
    if served:
        args = args[1:]
    if len(args) != 2:
        raise SystemExit("usage: walk.py [--served] README.md FLEETGATE_BINARY")
    readme, binary = args
    if not examples(readme):
        raise SystemExit("walk: no examples found in " + readme)
    with tempfile.TemporaryDirectory(prefix="fleetgate-readme-") as scratch:
        walk = Walk(readme, binary, scratch, served)
        walk.prepare_root()
        before = snapshot(walk.root)
        with open(walk.log_path, "ab") as log:  # children append; the walk reads it back by offset
            problem = walk.run_demo(log)
            if problem:
                print(walk.output_from(0))
                raise SystemExit("walk: " + problem)
            failure = walk.run_examples(log)
        if failure:
            number, command, error, start = failure
            print("---- output of the failing line ----\n" + walk.output_from(start))
            where = f"{walk.name}:{number}" if number else walk.name
            raise SystemExit(f"{where}: example failed ({error}): {command}")
        problems = walk.check_root(before)
        if problems:
            raise SystemExit("walk: " + "; ".join(problems))
        print(walk.output_from(0, limit=200000))
    print(f"walk: every example of {readme} ran as printed" + (", with `fleetgate serve` running" if served else ""))


if __name__ == "__main__":
    main()
