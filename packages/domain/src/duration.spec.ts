import fc from 'fast-check'
import { DURATION_FORMS, parseDuration } from './duration.js'
import { DomainError } from './errors.js'

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['0s', 0],
    ['1d', 86_400_000],
    ['  5m\n', 300_000],
    ['007s', 7_000],
  ])('parses %p as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each([
    '',
    '30',
    's',
    '30 s',
    '1.5h',
    '-5m',
    '+5m',
    '5M',
    '5min',
    '10w',
    'h24',
    '5m5s',
    'x30s',
    '30sx',
    '99999999999999999d',
  ])('rejects %p with invalid_duration quoting the input and the accepted forms', (text) => {
    const thrown = (() => {
      try {
        parseDuration(text)
      } catch (error) {
        return error
      }
      return undefined
    })()
    expect(thrown).toBeInstanceOf(DomainError)
    expect((thrown as DomainError).code).toBe('invalid_duration')
    expect((thrown as DomainError).message).toBe(`Invalid duration "${text}": expected ${DURATION_FORMS}`)
  })

  it('rejects a non-string without crashing on it', () => {
    expect(() => parseDuration(42 as unknown as string)).toThrow('Invalid duration "42"')
  })

  it('names the accepted forms', () => {
    expect(DURATION_FORMS).toBe('a whole number followed by ms, s, m, h or d (e.g. 500ms, 30s, 15m, 24h, 7d)')
  })

  it('round-trips every whole number of every unit', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])),
        (n, unit) => {
          expect(parseDuration(`${n}${unit}`)).toBe(n * units[unit])
        },
      ),
    )
  })
})
