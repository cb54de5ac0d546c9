import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Logger } from '@nestjs/common'
import type { NestFastifyApplication } from '@nestjs/platform-fastify'
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from './common/app-error.js'
import { toProblem } from './common/problem.filter.js'
import type { AppConfig } from './config/app-config.js'

/** Where the operators' console is served: its index at /console, its assets below /console/. */
export const CONSOLE_PATH = '/console'

/** apps/console/dist, seen from apps/api/dist (or apps/api/src under tsx). */
const DEFAULT_CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/dist')

/**
 * The operators' console (apps/console, built by Vite) as static files at /console, same origin as
 * the API it calls, no CDN. Plain Fastify routes rather than a Nest controller: they are files, not API
 * routes, so they stay out of the OpenAPI document, and the bearer guard and rate limit (Nest's) do not
 * apply; the console sends the operator's token on its API calls. Any other path below /console that
 * is not a file is the client router's (a deep link such as /console/customers/<id>) and gets
 * index.html; a missing asset stays a 404. Without a build, /console answers 503 console_not_built
 * saying how to build it, and the API works as ever.
 */
export async function setupConsole(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const root = config.consoleDir ? path.resolve(config.consoleDir) : DEFAULT_CONSOLE_DIR
  const fastify = app.getHttpAdapter().getInstance()
  const logger = new Logger('Console')
  const indexFile = path.join(root, 'index.html')
  if (!existsSync(indexFile)) {
    logger.warn(`not built: ${indexFile} is missing, /console answers 503 (npm run build builds it)`)
    const notBuilt = (request: FastifyRequest, reply: FastifyReply) => {
      const problem = toProblem(
        new AppError(
          'console_not_built',
          `The console's files are not in ${root}: build them with \`npm run build\` (or ` +
            '`npx turbo run build --filter=@align-kyc/console`), then restart the service.',
        ),
        request.url.split('?')[0],
      )
      void reply
        .code(problem.status)
        .header('content-type', 'application/problem+json; charset=utf-8')
        .send(JSON.stringify(problem))
    }
    fastify.get(CONSOLE_PATH, notBuilt)
    fastify.get(`${CONSOLE_PATH}/*`, notBuilt)
    return
  }
  const index = await readFile(indexFile)
  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    // Vite's hashed bundles live under assets/: a name that is not there is a stale or mistyped
    // URL, not a page of the console.
    if (request.url.startsWith(`${CONSOLE_PATH}/assets/`)) {
      const problem = toProblem(new AppError('not_found', 'No such file of the console.'), request.url)
      void reply
        .code(404)
        .header('content-type', 'application/problem+json; charset=utf-8')
        .send(JSON.stringify(problem))
      return
    }
    void reply.header('content-type', 'text/html; charset=utf-8').send(index)
  }
  await app.register(fastifyStatic, {
    root,
    prefix: `${CONSOLE_PATH}/`,
    // Swagger UI registers the plugin too: one decoration of the reply is enough.
    decorateReply: false,
    // One route per file found now (the build is immutable while the service runs), so the SPA
    // fallback below can take every other path.
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders: (reply, filePath) => {
      // Hashed names never change content; everything else (index.html) is re-read on every visit.
      reply.header(
        'cache-control',
        filePath.includes(`${path.sep}assets${path.sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      )
    },
  })
  fastify.get(CONSOLE_PATH, sendIndex)
  fastify.get(`${CONSOLE_PATH}/`, sendIndex)
  fastify.get(`${CONSOLE_PATH}/*`, sendIndex)
  logger.log(`the operators' console is at ${CONSOLE_PATH} (files from ${root})`)
}
