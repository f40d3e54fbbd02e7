import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Checks a response body against the schema the committed OpenAPI document declares for it, the
 * way a generated client trusts it: types, `required`, `nullable`, enums, patterns, bounds, and
 * (stricter than JSON Schema) every property the service sends must be documented, since a client
 * generated from the document cannot see the others. A small checker for the subset of OpenAPI 3.0
 * that @nestjs/swagger emits; anything it does not understand is reported, not skipped.
 */
type Schema = Record<string, any>;
type OpenApiDocument = { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };

export function loadOpenApiDocument(path = resolve(process.cwd(), 'openapi.json')): OpenApiDocument {
  return JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument;
}

/** The declared JSON schema of an operation's response (by operationId and status), or undefined when the document declares none. */
export function responseSchema(document: OpenApiDocument, operationId: string, status: number): Schema | undefined {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      if (operation?.operationId !== operationId) continue;
      const response = operation.responses?.[String(status)];
      if (!response) throw new Error(`operation ${operationId} documents no ${status} response`);
      return response.content?.['application/json']?.schema;
    }
  }
  throw new Error(`no operation ${operationId} in the OpenAPI document`);
}

/** Everything in `value` that contradicts `schema`, as `$.path: problem` lines (empty: conforms). */
export function schemaIssues(document: OpenApiDocument, schema: Schema | undefined, value: unknown, path = '$'): string[] {
  if (!schema) return [`${path}: no schema declared`];
  if (schema.$ref) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name ? document.components?.schemas?.[name] : undefined;
    return target ? schemaIssues(document, target, value, path) : [`${path}: unresolvable $ref ${schema.$ref}`];
  }
  if (value === null) return schema.nullable ? [] : [`${path}: null, but the schema is not nullable`];
  if (schema.allOf) {
    // NestJS wraps a described $ref in allOf: [$ref]; check every part, undocumented properties against their union.
    const issues = (schema.allOf as Schema[]).flatMap((part) => schemaIssues(document, part, value, path).filter((issue) => !issue.includes('undocumented property')));
    const known = new Set((schema.allOf as Schema[]).flatMap((part) => Object.keys(resolveRef(document, part).properties ?? {})));
    const open = (schema.allOf as Schema[]).some((part) => resolveRef(document, part).additionalProperties !== undefined);
    if (!open && isObject(value)) for (const key of Object.keys(value)) if (!known.has(key)) issues.push(`${path}.${key}: undocumented property`);
    return issues;
  }
  for (const keyword of ['oneOf', 'anyOf', 'not', 'discriminator']) if (schema[keyword]) return [`${path}: checker does not support ${keyword}`];

  const issues: string[] = [];
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) issues.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected string, got ${typeOf(value)}`];
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) issues.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) issues.push(`${path}: longer than ${schema.maxLength}`);
      if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) issues.push(`${path}: not a date-time`);
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: expected ${schema.type}, got ${typeOf(value)}`];
      if (schema.type === 'integer' && !Number.isInteger(value)) issues.push(`${path}: ${value} is not an integer`);
      if (schema.minimum !== undefined && value < schema.minimum) issues.push(`${path}: ${value} < minimum ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) issues.push(`${path}: ${value} > maximum ${schema.maximum}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return [`${path}: expected boolean, got ${typeOf(value)}`];
      break;
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected array, got ${typeOf(value)}`];
      value.forEach((item, index) => issues.push(...schemaIssues(document, schema.items, item, `${path}[${index}]`)));
      break;
    case 'object':
    case undefined: {
      if (schema.type === undefined && !schema.properties && schema.additionalProperties === undefined) return [`${path}: schema has no type`];
      if (!isObject(value)) return [`${path}: expected object, got ${typeOf(value)}`];
      const properties: Record<string, Schema> = schema.properties ?? {};
      for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) issues.push(`${path}.${key}: required, but missing`);
      for (const [key, item] of Object.entries(value)) {
        if (properties[key]) issues.push(...schemaIssues(document, properties[key], item, `${path}.${key}`));
        else if (isObject(schema.additionalProperties)) issues.push(...schemaIssues(document, schema.additionalProperties, item, `${path}.${key}`));
        else if (schema.additionalProperties !== true) issues.push(`${path}.${key}: undocumented property`);
      }
      break;
    }
    default:
      issues.push(`${path}: checker does not support type ${String(schema.type)}`);
  }
  return issues;
}

/** Issues of a response body against what the document declares for that operation and status. */
export function responseIssues(document: OpenApiDocument, operationId: string, status: number, body: unknown): string[] {
  return schemaIssues(document, responseSchema(document, operationId, status), body);
}

function resolveRef(document: OpenApiDocument, schema: Schema): Schema {
  const name = schema.$ref ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1] : undefined;
  return name ? (document.components?.schemas?.[name] ?? {}) : schema;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}
