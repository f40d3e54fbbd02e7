import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ApiError } from './api-error.js';

/** Deepest JSON body accepted. The API's bodies are 3 levels deep ({weights: [{destination, weight}]}). */
export const MAX_BODY_DEPTH = 16;

/**
 * Field names the ValidationPipe cannot see: class-transformer skips `__proto__` and `constructor`
 * and every name the target instance already has as a function (all of Object.prototype's members),
 * so `?toString=1` or `{"valueOf": 1}` were silently dropped instead of refused as unknown.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

/**
 * Whether a parsed JSON value nests objects/arrays deeper than `limit` (the top level is depth 1).
 * Iterative, so the check itself cannot overflow the stack on the inputs it exists to refuse.
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The first reserved field name anywhere in a parsed value (call after the depth check). */
export function reservedKeyIn(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    for (const key of Object.keys(current)) {
      if (RESERVED_KEYS.has(key)) return key;
      stack.push((current as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}

/**
 * Checks the raw query and body before the ValidationPipe. A guard rather than an interceptor:
 * guards run before pipes too, after the authentication guards (registered globally after them),
 * and without an interceptor Nest does not build an RxJS pipeline per request (~6% of the list
 * path's CPU). It never refuses for lack of permission, only for input the pipe cannot judge:
 * - bodies nested deeper than MAX_BODY_DEPTH answer 400: JSON.parse accepts any depth, but
 *   class-transformer recurses per level, and a body of nested arrays overflowed the stack (500);
 * - query parameters and body fields with reserved names answer 400 like any unknown field.
 */
@Injectable()
export class StrictInputGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { body, query } = context.switchToHttp().getRequest<{ body?: unknown; query?: unknown }>();
    if (nestedDeeperThan(body, MAX_BODY_DEPTH)) {
      throw new ApiError('VALIDATION_FAILED', `Request body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    }
    const inQuery = query && typeof query === 'object' ? Object.keys(query).find((key) => RESERVED_KEYS.has(key)) : undefined;
    if (inQuery !== undefined) throw new ApiError('VALIDATION_FAILED', `property ${inQuery} should not exist`);
    const inBody = reservedKeyIn(body);
    if (inBody !== undefined) throw new ApiError('VALIDATION_FAILED', `property ${inBody} should not exist`);
    return true;
  }
}
