// Why a target is missed, from CPU profiles and A/B runs of this service on the test bed (see
// bench/README.md, "Findings"). Shown in RESULTS.md next to a missed row only; figures quoted here
// are from those investigations, the table's figures are from the run itself.
export const WHY = {
  '1a':
    'The bare server only serializes a prepared object; every service request also runs the Nest pipeline (global JWT guard via passport-jwt/jsonwebtoken, ValidationPipe with class-transformer/class-validator, request-id/metrics/helmet hooks), maps the 50 raw objects to views, and waits for the liveness probe (one small request to kube-apiserver shared by all requests in flight). A CPU profile under load (earlier run) showed JWT verification at ~20% of busy time (half of it jsonwebtoken converting the HS256 secret string on every request), view mapping ~10%, Fastify serialization and socket writes ~15%. Since then the secret is a KeyObject built once and views are memoised per cached object (0.13x -> 0.20x between runs). What remains: the Nest pipeline with passport, the per-read liveness probe (+37% throughput without it in an A/B run, but a frozen API server would then be served stale data), and serialization; 0.5x would need the serialized answer cached per cache generation and a lighter auth path than passport.',
  '1b':
    'The cached answer waits for one liveness probe (a one-item list, ~1.5 ms on an idle test bed, more under load); that is what keeps a frozen kube-apiserver answering 503 instead of cached data.',
  '3b':
    'Prometheus on the test bed answers this simple rate() over a small backfill in under 2 ms, so the service fixed cost per request (HTTP, JWT verification, validation, ~0.5 ms) is a large share; the JWT secret is now a KeyObject built once (cut the cached p50 by ~15% in an A/B run). Against a production Prometheus (real data volumes) the direct query is far slower and the ratio much lower, as the histogram query (3d) shows.',
  '3c':
    'As 3b: the direct query is very cheap on the small test-bed data set, and the service fixed per-request cost (~0.5 ms, mostly JWT verification and the Nest pipeline) dominates.',
  '6a':
    'Start-up is dominated by loading modules: importing @kubernetes/client-node alone takes ~0.5 s on this machine (its index loads all 200+ generated API classes), @nestjs/swagger ~0.5 s, @nestjs/core ~0.35 s.',
  '6b':
    'Most of the idle memory is library code and metadata: importing @kubernetes/client-node alone adds ~80 MB RSS (~25 MB heap), @nestjs/swagger ~60 MB, @nestjs/core ~50 MB (measured one at a time, so they overlap). The service own state at idle is small. The service runs with --max-semi-space-size=2 (as the image does), which took idle RSS from ~184-191 MB to ~152 MB; the rest would need lazy loading of the generated API classes of client-node.',
  '6c':
    'V8 grows its heap lazily on a host with plenty of memory (24 GB here): the live heap returns to the same size after load (see the live JS heap figures), so this is heap sizing, not a leak. With --max-old-space-size=160 the RSS plateaued at ~270 MB in a 45k-request run; the deployment (memory limit 384Mi) should set such a flag rather than rely on the host-sized default.',
};
