// Child processes of the benchmark: the service (node dist/main.js, as deployed) and the bare
// Fastify baseline, each on a free loopback port, with start-up time and RSS read from outside.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const OUT = join(REPO, 'bench', 'out');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resident set size of a process in MB (from /proc). */
export function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * Spawns `node <script>` with `env` plus PORT/HOST; resolves once the port accepts connections.
 * `startupMs` is from spawn to the first accepted connection. Output goes to bench/out/<label>.log.
 */
/**
 * The V8 flags the service runs with wherever it is deployed (Dockerfile CMD, `npm start`): a 2 MB
 * young-generation semi-space keeps idle RSS ~40 MB lower, at ~12% of peak list throughput.
 * The bare-Fastify baseline gets the same flags, so the comparison stays like for like.
 */
const NODE_FLAGS = ['--max-semi-space-size=2'];
/** Likewise the environment the image sets for glibc (two malloc arenas: ~6 MB less idle RSS). */
const NODE_ENV_SETTINGS = { MALLOC_ARENA_MAX: '2' };

export async function startProcess(label, script, env, { timeoutMs = 20_000, nodeFlags = [] } = {}) {
  const port = await freePort();
  const log = openSync(join(OUT, `${label}.log`), 'w');
  const started = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, ...nodeFlags, script], {
    cwd: REPO,
    env: { ...env, ...NODE_ENV_SETTINGS, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log, log],
  });
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  while (!(await accepts(port))) {
    if (exited) throw new Error(`${label} exited (${JSON.stringify(exited)}) before listening; see bench/out/${label}.log`);
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not listen within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const startupMs = performance.now() - started;
  return {
    label,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    startupMs,
    rssMb: () => rssMb(child.pid),
    async stop() {
      if (exited) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}
