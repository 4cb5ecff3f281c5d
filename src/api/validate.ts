import type { Context } from 'hono'
import type { z } from 'zod'
import { SluiceError } from '../core/errors.js'

/** Reads and validates a JSON body; every problem is named by its field path. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let body: unknown
  try {
    body = await c.req.json()
  } catch {
    throw new SluiceError(
      'INVALID_INPUT',
      'the request body is not valid JSON; send a JSON object with content-type application/json',
    )
  }
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const problems = result.error.issues.map(
    (i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`,
  )
  throw new SluiceError('INVALID_INPUT', `invalid request body: ${problems.join('; ')}`, {
    details: { issues: problems },
  })
}
