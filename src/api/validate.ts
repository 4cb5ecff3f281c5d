import type { Context } from 'hono'
import type { z } from 'zod'
import { SluiceError } from '../core/errors.js'
import { nestsDeeperThan, tooDeep } from '../core/nesting.js'
import { bodyText } from './body.js'

/**
 * Reads and validates a JSON body (at most `server.max_json_mb`, see body.ts); every problem is
 * named by its field path.
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await bodyText(c, 'json')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new SluiceError(
      'INVALID_INPUT',
      'the request body is not valid JSON; send a JSON object with content-type application/json',
    )
  }
  if (nestsDeeperThan(body)) throw new SluiceError('INVALID_INPUT', tooDeep('the request body'))
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const problems = result.error.issues.map(
    (i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`,
  )
  throw new SluiceError('INVALID_INPUT', `invalid request body: ${problems.join('; ')}`, {
    details: { issues: problems },
  })
}
