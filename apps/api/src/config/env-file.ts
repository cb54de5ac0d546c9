import { ConfigError } from './app-config.js'

/**
 * Local convenience: reads `.env` from the working directory into `process.env` before the config is
 * validated, so `npm start` picks up a developer's settings (see `.env.example`). A variable already
 * set in the real environment is never overridden, so an operator's or CI's environment always wins.
 * Returns whether a file was read. A missing file is not an error; one that cannot be read is a
 * ConfigError (exit code 78, one line naming the file).
 */
export function loadEnvFile(file = '.env'): boolean {
  try {
    process.loadEnvFile(file)
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return false
    throw new ConfigError(`Invalid configuration: ${file}: cannot be read (${code ?? String(e)})`)
  }
}
