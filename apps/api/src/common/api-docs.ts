import { applyDecorators } from '@nestjs/common'
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger'
import { ERROR_TABLE, type ErrorCode } from './app-error.js'
import { OperatorOnly } from './auth.guard.js'

/** The OpenAPI security scheme of consumer tokens (API_KEYS); operator tokens pass it too. */
export const CONSUMER_SCHEME = 'bearer'
/** The OpenAPI security scheme of operator tokens (OPERATOR_KEYS): operator routes list only this one. */
export const OPERATOR_SCHEME = 'operator'

export class FieldErrorDto {
  @ApiProperty() field!: string
  @ApiProperty() message!: string
}

/** RFC 9457 problem details, as every error response of this API. */
export class ProblemDto {
  @ApiProperty({
    example: 'urn:align-kyc:problem:customer_not_found',
    description: 'Identifies the problem type; the same code as `code`, as a URI',
  })
  type!: string
  @ApiProperty() title!: string
  @ApiProperty() status!: number
  @ApiProperty() detail!: string
  @ApiProperty({ enum: Object.keys(ERROR_TABLE) }) code!: ErrorCode
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[]
  @ApiPropertyOptional() instance?: string
  @ApiPropertyOptional({
    description: "kyc_not_approved: the customer's KYC status",
    enum: ['not_started', 'pending', 'approved', 'rejected'],
  })
  kycStatus?: string
  @ApiPropertyOptional({ description: 'rail_not_approved: the source currency asked for' })
  currency?: string
  @ApiPropertyOptional({
    description: 'rail_not_approved: the rails of which one must be approved for the currency',
    type: [String],
  })
  requiredRails?: string[]
}

/** Documents the problem responses a route can give (grouped by status). */
export function ApiProblems(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes) {
    const s = ERROR_TABLE[code].status
    byStatus.set(s, [...(byStatus.get(s) ?? []), code])
  }
  return applyDecorators(
    ...[...byStatus].map(([status, cs]) =>
      ApiResponse({
        status,
        description: cs.join(' | '),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
      }),
    ),
  )
}

/**
 * Bearer-protected route: documents auth and the problems every such route can give (each one reads
 * the database, so each can answer 503 database_unavailable).
 */
export function ApiProtected(...codes: ErrorCode[]) {
  return applyDecorators(
    ApiBearerAuth(CONSUMER_SCHEME),
    ApiProblems('unauthorized', 'rate_limited', ...codes, 'database_unavailable'),
  )
}

/**
 * Operator route: enforced (OperatorOnly: operator tokens only, a consumer token gets
 * `403 insufficient_scope`) and documented (security scheme `operator` only, the 403 among its
 * problems) by this one decorator.
 */
export function ApiOperatorProtected(...codes: ErrorCode[]) {
  return applyDecorators(
    OperatorOnly(),
    ApiBearerAuth(OPERATOR_SCHEME),
    ApiProblems('unauthorized', 'insufficient_scope', 'rate_limited', ...codes, 'database_unavailable'),
  )
}
