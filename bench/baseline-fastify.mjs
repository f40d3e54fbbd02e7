// The framework's own limit: a bare Fastify server (same version as the service's) that answers
// every GET with the JSON the service returned for the same request (e.g. the list of a namespace),
// serialized per request like any handler's result, with no auth, validation or logic.
//   BENCH_PAYLOAD=<file.json> PORT=<port> node bench/baseline-fastify.mjs
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const payload = JSON.parse(readFileSync(process.env.BENCH_PAYLOAD, 'utf8'));
const app = Fastify({ logger: false });
app.get('/*', async () => payload);
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
