import { ServiceProcess } from './test-app.js'

// After each e2e file: no service process outlives the file that started it (see killLeftovers).
afterAll(() => {
  const n = ServiceProcess.killLeftovers()
  if (n > 0) process.stderr.write(`killed ${n} service process(es) a test left running\n`)
})
