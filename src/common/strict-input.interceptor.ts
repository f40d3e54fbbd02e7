import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ApiError } from './api-error.js';

/** Deepest JSON body accepted. The API's bodies are 3 levels deep ({weights: [{destination, weight}]}). */
export const MAX_BODY_DEPTH = 16;

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

/**
 * Refuses deeply nested JSON bodies with 400 before validation. JSON.parse accepts any depth, but
 * class-transformer (the ValidationPipe's transform) recurses per level: a 1 MB body of nested
 * arrays overflowed the stack and answered 500. Interceptors run before pipes, so the body never
 * reaches the transformer.
 */
@Injectable()
export class BodyDepthInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { body } = context.switchToHttp().getRequest<{ body?: unknown }>();
    if (nestedDeeperThan(body, MAX_BODY_DEPTH)) {
      throw new ApiError('VALIDATION_FAILED', `Request body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    }
    return next.handle();
  }
}
