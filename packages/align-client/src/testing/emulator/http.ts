/** HTTP plumbing of the emulator: replies, Align's `{message, code}` errors, reading and sending bodies. */
import type http from 'node:http'
import { randomBytes } from 'node:crypto'
import type { z } from 'zod'
import { toIssues } from '../../core/schemas.js'

/** What a handler answers: JSON, HTML or (204) nothing. */
export type Reply = { status: number; json?: unknown; html?: string; headers?: Record<string, string> }

/** Align's error body. */
export function alignError(status: number, message: string, code: string): Reply {
  return { status, json: { message, code } }
}

export function notFound(what: string): Reply {
  return alignError(404, `${what} not found`, 'not_found')
}

/** A 400 naming every failing field, as Align's validation does. */
export function invalid(what: string, error: z.ZodError): Reply {
  const issues = toIssues(error)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ')
  return alignError(400, `Invalid ${what}: ${issues}`, 'validation_error')
}

export function requestId(): string {
  return `req_${randomBytes(8).toString('hex')}`
}

export function send(res: http.ServerResponse, reply: Reply): void {
  if (res.destroyed) return
  const headers: Record<string, string> = { 'x-request-id': requestId(), ...reply.headers }
  let payload = ''
  if (reply.html !== undefined) {
    headers['content-type'] = 'text/html; charset=utf-8'
    payload = reply.html
  } else if (reply.json !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(reply.json)
  }
  // A 204 carries neither a body nor a Content-Length (RFC 9110 §8.6).
  if (reply.status !== 204) headers['content-length'] = String(Buffer.byteLength(payload))
  res.writeHead(reply.status, headers)
  res.end(payload)
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', () => resolve(''))
  })
}
