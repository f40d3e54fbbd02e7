#!/usr/bin/env node
// Writes openapi.json from the built app (npm run openapi). A unit test fails when the committed
// document drifts from the code, so regenerate and commit it with every API change.
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument, createApp } from '../dist/app.factory.js';
import { loadConfig } from '../dist/config/app-config.js';

const config = loadConfig({ JWT_SECRET: 'openapi-generation-only-secret-0123456789', LOG_LEVEL: 'fatal', API_DOCS_ENABLED: 'false' });
const app = await createApp(config);
const document = buildOpenApiDocument(app);
writeFileSync(new URL('../openapi.json', import.meta.url), `${JSON.stringify(document, null, 2)}\n`);
await app.close();
console.log(`openapi.json written (${Object.keys(document.paths).length} paths)`);
