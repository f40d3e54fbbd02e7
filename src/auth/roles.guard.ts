import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/api-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ADMIN_ROLE, REQUIRED_ROLES } from './auth.decorators.js';
import type { AuthUser } from './roles.js';

/** Runs after JwtAuthGuard; enforces @Roles(). The caller needs any one of the listed roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, [context.getHandler(), context.getClass()]);
    if (!required || required.length === 0) return true;
    const wanted = required.map((role) => (role === ADMIN_ROLE ? this.config.jwt.adminRole : role));
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user?.roles.some((role) => wanted.includes(role))) return true;
    throw new ApiError('FORBIDDEN', `This action requires the role: ${wanted.join(' or ')}`);
  }
}
