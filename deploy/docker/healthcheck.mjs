// Container health check (Docker HEALTHCHECK; slim images have no curl or wget).
// GET http://127.0.0.1:$PORT/healthz (unauthenticated liveness endpoint); exit 0 on a 2xx answer
// within the timeout, 1 otherwise. Usage: node healthcheck.mjs [path]   (default /healthz)
const port = process.env.PORT || '3000';
const path = process.argv[2] || '/healthz';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 3000);

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  if (!response.ok) console.error(`healthcheck: ${path} answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: ${path} unreachable: ${error?.cause?.code ?? error?.name ?? error}`);
  process.exit(1);
}
