import { ProtocolError } from '../../src/serving/protocol/errors.js'

/** The ProtocolError `fn` throws; fails the test when it throws nothing or something else. */
export function protocolFailure(fn: () => unknown): ProtocolError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ProtocolError) return e
    throw e
  }
  throw new Error('expected a ProtocolError')
}
