import { readFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../../src/app.factory.js';
import { buildTestApp, testConfig } from '../support/test-app.js';

describe('OpenAPI document', () => {
  it('matches the committed openapi.json (run `npm run openapi` after API changes)', async () => {
    const app = await buildTestApp(testConfig({ API_DOCS_ENABLED: 'false' }));
    try {
      const generated = JSON.parse(JSON.stringify(buildOpenApiDocument(app)));
      const committed = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));
      expect(generated).toEqual(committed);
    } finally {
      await app.close();
    }
  });

  it('serves Swagger UI and the JSON document without a token', async () => {
    const app = await buildTestApp(testConfig());
    try {
      const ui = await app.inject({ method: 'GET', url: '/api/docs' });
      expect(ui.statusCode).toBe(200);
      expect(ui.body).toContain('swagger-ui');
      const json = await app.inject({ method: 'GET', url: '/api/docs-json' });
      expect(json.statusCode).toBe(200);
      const document = json.json();
      expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const patch = document.paths['/api/v1/istio/virtual-services/{namespace}/{name}/weights'].patch;
      expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '503']));
      expect(patch.security).toEqual([{ bearer: [] }]);
    } finally {
      await app.close();
    }
  });
});
