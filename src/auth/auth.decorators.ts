import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiDefaultResponse, ApiForbiddenResponse, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import type { AuthUser } from './roles.js';

export const IS_PUBLIC = 'auth:isPublic';
export const REQUIRED_ROLES = 'auth:requiredRoles';
/** Stands for the configured JWT_ADMIN_ROLE, which decorators cannot read at import time. */
export const ADMIN_ROLE = '$admin';

/** Opts a route out of the global JWT guard (health and docs only). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Routes are JWT-protected by default; this documents it: the bearer security requirement, the 401,
 * the per-caller rate limit's 429, and the error shape of anything else (e.g. a 500).
 */
export const Authenticated = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or otherwise invalid bearer token', type: ErrorResponseDto }),
    ApiTooManyRequestsResponse({ description: 'Per-caller rate limit exceeded (RATE_LIMITED; see Retry-After)', type: ErrorResponseDto }),
    ApiDefaultResponse({ description: 'Any other error, in the same shape', type: ErrorResponseDto }),
  );

/** Requires one of the roles on top of the (class-level) token check; documents the 403. */
export const Roles = (...roles: string[]) =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLES, roles),
    ApiForbiddenResponse({ description: 'The token lacks the required role (FORBIDDEN), or Kubernetes RBAC denies the credentials in use (KUBERNETES_FORBIDDEN)', type: ErrorResponseDto }),
  );

export const AdminOnly = () => Roles(ADMIN_ROLE);

/** The verified caller (set by JwtStrategy). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => context.switchToHttp().getRequest<{ user: AuthUser }>().user,
);
