import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { StartupError } from '../common/startup-error.js'
import { entryName, lockDataDir } from './data-dir-lock.js'

describe('lockDataDir', () => {
  let dataDir: string
  const lockDir = () => path.join(dataDir, 'align-kyc.lock')
  const leave = (name: string) => writeFile(path.join(lockDir(), name), '')

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-lock-unit-'))
    await mkdir(lockDir())
  })
  afterEach(() => rm(dataDir, { recursive: true, force: true }))

  it('refuses while another live process holds the directory, naming the directory and its pid', async () => {
    await leave(entryName(process.ppid)) // the test runner's parent: alive, with its own start time
    const refusal = lockDataDir(dataDir)
    await expect(refusal).rejects.toThrow(StartupError)
    await expect(refusal).rejects.toThrow(`${dataDir} is in use by another process (pid ${process.ppid})`)
    expect(await readdir(lockDir())).toEqual([entryName(process.ppid)]) // ours was removed again
  })

  it.each([
    ['a dead pid', () => '999999999'],
    ['a live pid with another start time (the pid was reused)', () => `${process.ppid}.1`],
    ['a previous process with our own pid (pid 1 in a restarted container)', () => `${process.pid}.1`],
  ])('takes over an entry left by %s, and release() removes ours', async (_, stale) => {
    await leave(stale())
    const lock = await lockDataDir(dataDir)
    expect(await readdir(lockDir())).toEqual([entryName(process.pid)])
    lock.release()
    lock.release()
    expect(await readdir(lockDir())).toEqual([])
  })
})
