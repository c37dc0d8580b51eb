// Processes a Node test starts (fleetgate serve, the mock upstream) and a scratch folder for their
// files, shared by the client-library tests (tests/openai_client, tests/ai_sdk_client). Node's
// standard library only, so it needs no npm package of its own.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const children = [];

// Starts `bin` and resolves with the first match of `pattern` in its stdout or stderr; rejects when
// it exits first or prints no match within 20 s.
export function startAndWaitFor(bin, args, pattern, env = {}) {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not print ${pattern} within 20 s`)), 20000);
    child.on('exit', (code) => reject(new Error(`${bin} exited with ${code} before it was ready`)));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        const m = line.match(pattern);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      });
    }
  });
}

// A scratch folder, removed by stopAll().
export function scratch(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}
const scratchDirs = [];

// Runs the fleetgate CLI with `config` and returns its trimmed stdout; throws on a non-zero exit.
export function fleetgateCli(fleetgate, config, ...args) {
  return execFileSync(fleetgate, ['-c', config, ...args], { encoding: 'utf8' }).trim();
}

// Starts `fleetgate serve` with `config` and resolves with its base URL for the OpenAI API
// (http://127.0.0.1:PORT/v1).
export async function startServe(fleetgate, config, env = {}) {
  const [, port] = await startAndWaitFor(fleetgate, ['-c', config, 'serve', '--port', '0'],
                                         /listening on http:\/\/[^:]+:(\d+)/, env);
  return `http://127.0.0.1:${port}/v1`;
}

// SIGTERMs every process started here, waits for them, then removes the scratch folders: a
// stopping server still writes to its store.
export async function stopAll() {
  await Promise.all(children.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  })));
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
}
