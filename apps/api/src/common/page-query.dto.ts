import { ApiPropertyOptional } from '@nestjs/swagger'

/** `limit` and `cursor` of every cursor-paginated list (newest first, keyset on createdAt + id). */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  limit?: number

  @ApiPropertyOptional({ description: 'nextCursor of the previous page', maxLength: 200 })
  cursor?: string
}
