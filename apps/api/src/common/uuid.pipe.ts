import { Injectable, type PipeTransform } from '@nestjs/common'
import { AppError } from './app-error.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A path id that is not a UUID is a 400 validation_failed naming the parameter. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) {
      throw new AppError('validation_failed', 'The id in the path is not a UUID.', {
        errors: [{ field: 'id', message: 'id must be a UUID' }],
      })
    }
    return value.toLowerCase()
  }
}
