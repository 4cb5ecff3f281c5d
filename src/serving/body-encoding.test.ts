import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { bodyDecoder, type Decoded, decodeBody, encodingOf, unsupportedEncoding } from './body-encoding.js'

describe('request body encodings', () => {
  it('reads the Content-Encoding header: identity is none, gzip and deflate are decoded, others are not', () => {
    expect(['identity', ' Identity ', ''].map(encodingOf)).toEqual([null, null, null])
    expect(['gzip', 'GZIP', 'x-gzip', 'deflate'].map(encodingOf)).toEqual(['gzip', 'gzip', 'gzip', 'deflate'])
    expect(['br', 'zstd', 'gzip, br'].map(encodingOf)).toEqual(['unsupported', 'unsupported', 'unsupported'])
    expect(unsupportedEncoding('br')).toBe(
      'Content-Encoding "br" is not supported; send the body as it is, or compressed with gzip or deflate',
    )
  })

  it('decodes gzip and deflate (zlib) bodies', async () => {
    const text = Buffer.from('{"inputs": []}')
    expect(await decodeBody('gzip', gzipSync(text), 1024)).toEqual({ body: text })
    expect(await decodeBody('deflate', deflateSync(text), 1024)).toEqual({ body: text })
  })

  it('answers a body that is not what its encoding says with a 400', async () => {
    const notGzip = await decodeBody('gzip', Buffer.from('{"inputs": []}'), 1024)
    expect(notGzip).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^the gzip request body could not be decoded: /),
    })
    // Raw deflate without the zlib wrapper is not HTTP's deflate.
    const raw = await decodeBody('deflate', deflateRawSync(Buffer.from('{}')), 1024)
    expect(raw).toMatchObject({ status: 400 })
    const truncated = gzipSync(Buffer.from('x'.repeat(100)))
    expect(await decodeBody('gzip', truncated.subarray(0, truncated.length - 6), 1024)).toMatchObject({
      status: 400,
    })
  })

  it('refuses a body past the limit once decoded with a 413, decided while the body still arrives', async () => {
    // 64 MB of zeros is about 64 KB of gzip: a zip bomb for a 1 MB limit.
    const bomb = gzipSync(Buffer.alloc(64 << 20))
    const results: Decoded[] = []
    const decoder = bodyDecoder('gzip', 1 << 20, (d) => results.push(d))
    decoder.write(bomb.subarray(0, bomb.length >> 1))
    await new Promise<void>((resolve) => {
      const wait = () => (results.length ? resolve() : setImmediate(wait))
      wait()
    })
    // Half the compressed body was enough: the other half has not been sent.
    expect(results).toEqual([
      {
        status: 413,
        message: 'request body is larger than 1048576 bytes once decoded (Content-Encoding: gzip)',
      },
    ])
    decoder.write(bomb.subarray(bomb.length >> 1))
    decoder.end()
    await new Promise((r) => setImmediate(r))
    expect(results).toHaveLength(1)
  })
})
