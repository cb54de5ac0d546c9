import { assertValidDate, DomainError } from './errors.js'

describe('DomainError', () => {
  it('carries its code, message and name, and is an Error', () => {
    const error = new DomainError('invalid_duration', 'bad')
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('invalid_duration')
    expect(error.message).toBe('bad')
    expect(error.name).toBe('DomainError')
  })
})

describe('assertValidDate', () => {
  it('accepts a valid Date', () => {
    expect(() => assertValidDate(new Date(0), 'now')).not.toThrow()
  })

  it.each([
    ['an invalid Date', new Date(Number.NaN), 'now must be a valid Date, got Invalid Date'],
    ['a string', '2024-01-01' as unknown as Date, 'now must be a valid Date, got 2024-01-01'],
  ])('rejects %s with invalid_date', (_label, value, message) => {
    expect(() => assertValidDate(value, 'now')).toThrow(new DomainError('invalid_date', message))
    try {
      assertValidDate(value, 'now')
    } catch (error) {
      expect((error as DomainError).code).toBe('invalid_date')
    }
  })
})
