import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiError } from '../common/api-error.js';
import { IS_PUBLIC } from './auth.decorators.js';

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

/** Global guard: every route needs a valid JWT unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error || !user) throw new ApiError('UNAUTHORIZED', user === false && !info ? 'Bearer token is invalid' : refusalReason(info ?? error));
    return user;
  }
}
