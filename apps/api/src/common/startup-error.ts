/**
 * A start-up failure caused by the environment rather than by a bug: a database that cannot be
 * reached, a data directory that cannot be written or that another process holds. main.ts prints
 * the message (one line: the cause, the path or host, what to do) and exits 78 (EX_CONFIG), like a
 * configuration error.
 */
export class StartupError extends Error {}
