import { describe, expect, it } from 'vitest'
import { ServingMetrics } from './metrics.js'

describe('ServingMetrics', () => {
  it('shows the per-request series at every scrape, counted once however often it is read', async () => {
    const m = new ServingMetrics(() => 0)
    const a = m.forVersion('churn', 3)
    const b = m.forVersion('churn', 4)
    a.inFlight.inc()
    a.inFlight.inc()
    b.inFlight.inc()
    a.finished(200, null, 0.002)
    a.finished(200, null, 0.003)
    a.finished(504, 'timeout', 1.5)
    b.finished(200, null, 0.001)
    a.inFlight.dec()
    const first = await m.text()
    expect(first).toMatch(/sluice_inference_requests_total\{deployment="churn",version="3",code="200"\} 2\n/)
    expect(first).toMatch(/sluice_inference_requests_total\{deployment="churn",version="3",code="504"\} 1\n/)
    expect(first).toMatch(/sluice_inference_requests_total\{deployment="churn",version="4",code="200"\} 1\n/)
    expect(first).toMatch(/sluice_inference_in_flight\{deployment="churn"\} 2\n/)
    expect(first).toMatch(/sluice_inference_latency_seconds_count\{deployment="churn",version="3"\} 3\n/)
    a.finished(200, null, 0.002)
    a.inFlight.dec()
    b.inFlight.dec()
    await m.text() // a scrape between: the next one must not count the same requests again
    const third = await m.text()
    expect(third).toMatch(/sluice_inference_requests_total\{deployment="churn",version="3",code="200"\} 3\n/)
    expect(third).toMatch(/sluice_inference_in_flight\{deployment="churn"\} 0\n/)
  })
})
