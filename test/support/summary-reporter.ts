import type { Reporter, TestModule } from 'vitest/node'

/**
 * Prints one plain line CI reads: `N passed, N failed` (skipped and todo tests count as failed:
 * nothing may be skipped in CI).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    let passed = 0
    let failed = unhandledErrors.length
    for (const m of modules) {
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++
      for (const t of m.children.allTests()) {
        if (t.result().state === 'passed') passed++
        else failed++
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`)
  }
}
