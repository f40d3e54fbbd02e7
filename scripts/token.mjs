#!/usr/bin/env node
// Mints an HS256 dev token with JWT_SECRET (from the environment, else the local test bed's
// .testbed/env). Usage: npm run token -- --sub alice --role admin [--role viewer] [--ttl 1h]
//   [--iss https://idp] [--aud istio-api]. For local use only: production tokens come from the IdP.
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sub: { type: 'string', default: 'dev-user' },
    role: { type: 'string', multiple: true, default: [] },
    ttl: { type: 'string', default: '1h' },
    iss: { type: 'string' },
    aud: { type: 'string' },
    'roles-claim': { type: 'string', default: process.env.JWT_ROLES_CLAIM ?? 'roles' },
  },
});

function secret() {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  const envFile = new URL('../.testbed/env', import.meta.url);
  if (existsSync(envFile)) {
    const match = /JWT_SECRET=['"]?([^'"\n]+)/.exec(readFileSync(envFile, 'utf8'));
    if (match) return match[1];
  }
  console.error('JWT_SECRET is not set and .testbed/env does not exist (run npm run stack:up)');
  process.exit(2);
}

const ttl = /^(\d+)([smhd])$/.exec(values.ttl);
if (!ttl) {
  console.error('--ttl must look like 30m, 1h or 7d');
  process.exit(2);
}
const seconds = Number(ttl[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[ttl[2]];
const now = Math.floor(Date.now() / 1000);
const claims = { sub: values.sub, iat: now, exp: now + seconds };
// The roles claim may be a dotted path (realm_access.roles): build the nested object.
const path = values['roles-claim'].split('.');
path.reduce((node, key, index) => (node[key] = index === path.length - 1 ? values.role : (node[key] ?? {})), claims);
if (values.iss) claims.iss = values.iss;
if (values.aud) claims.aud = values.aud;

const encode = (object) => Buffer.from(JSON.stringify(object)).toString('base64url');
const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
process.stdout.write(`${input}.${createHmac('sha256', secret()).update(input).digest('base64url')}\n`);
