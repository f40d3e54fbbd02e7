import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode } from './api-error.js';

/** The one error shape of the API (documented in OpenAPI as ErrorResponse). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

const CODE_BY_STATUS: Record<number, ErrorCode | string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Errors thrown by Fastify itself (body parsing, size limits) carry a statusCode and a FST_ code. */
function isFastifyClientError(value: unknown): value is { statusCode: number; code?: string; message: string } {
  const candidate = value as { statusCode?: unknown; code?: unknown };
  return (
    typeof candidate?.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500 &&
    typeof candidate.code === 'string' &&
    candidate.code.startsWith('FST_')
  );
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof ApiError) {
    return {
      statusCode: exception.status,
      error: STATUS_CODES[exception.status] ?? 'Error',
      message: exception.message,
      code: exception.code,
      ...(exception.details ? { details: exception.details } : {}),
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return {
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      message: status >= 500 ? 'Internal server error' : messageOf(exception),
      code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'CLIENT_ERROR'),
    };
  }
  if (isFastifyClientError(exception)) {
    const status = exception.statusCode;
    const message =
      status === 413
        ? 'Request body is too large'
        : exception.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Unsupported Content-Type: send application/json'
          : status === 400
            ? 'Request body is not valid JSON'
            : (STATUS_CODES[status] ?? 'Bad request');
    return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, code: CODE_BY_STATUS[status] ?? 'CLIENT_ERROR' };
  }
  return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', code: 'INTERNAL' };
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const body = toErrorBody(exception);
    body.requestId = String(request.id);
    if (body.statusCode >= 500 && !(exception instanceof ApiError)) {
      // Unexpected: log the stack for operators; the caller only sees the generic message.
      this.logger.error({ msg: 'Unhandled error', requestId: request.id, err: String((exception as Error)?.stack ?? exception) });
    }
    if (exception instanceof ApiError && exception.code === 'RATE_LIMITED' && exception.details?.retryAfterSeconds) {
      void reply.header('retry-after', String(exception.details.retryAfterSeconds));
    }
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
