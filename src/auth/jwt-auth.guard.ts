import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiError } from '../common/api-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { IS_PUBLIC } from './auth.decorators.js';
import type { AuthUser } from './roles.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

/** Why a token was refused, in words safe to show the caller (from jsonwebtoken's error names). */
function refusalReason(info: unknown): string {
  const error = info as { name?: string; message?: string } | undefined;
  switch (error?.name) {
    case 'TokenExpiredError':
      return 'Bearer token has expired';
    case 'NotBeforeError':
      return 'Bearer token is not valid yet';
    case 'JsonWebTokenError':
      if (error.message?.startsWith('jwt issuer invalid')) return 'Bearer token has the wrong issuer';
      if (error.message?.startsWith('jwt audience invalid')) return 'Bearer token has the wrong audience';
      return 'Bearer token is invalid';
    default:
      return error?.message === 'No auth token' || !error ? 'Missing bearer token' : 'Bearer token is invalid';
  }
}

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AuthUser;
}

const authorizationOf = (request: HttpRequest): string | undefined => {
  const header = request.headers.authorization;
  return typeof header === 'string' ? header : undefined;
};

/**
 * Global guard: every route needs a valid JWT unless marked @Public(). Verification is passport-jwt
 * (JwtStrategy); a header verified moments ago is taken from the VerifiedTokenCache instead.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly verified: VerifiedTokenCache;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    this.verified = new VerifiedTokenCache({ ttlMs: config.jwt.cacheTtlMs, clockToleranceSeconds: config.jwt.clockToleranceSeconds });
  }

  canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const user = this.verified.get(authorizationOf(request));
    if (user) {
      request.user = user;
      return true;
    }
    return super.canActivate(context);
  }

  handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    if (error || !user) throw new ApiError('UNAUTHORIZED', user === false && !info ? 'Bearer token is invalid' : refusalReason(info ?? error));
    this.verified.remember(authorizationOf(context.switchToHttp().getRequest<HttpRequest>()), user as unknown as AuthUser);
    return user;
  }
}
