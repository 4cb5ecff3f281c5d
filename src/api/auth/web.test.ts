import { describe, expect, it } from 'vitest'
import {
  contentTypeProblem,
  hasBody,
  hostName,
  hostProblem,
  originProblem,
  queryHasToken,
  type WebRules,
} from './web.js'

const rules = (allowedHosts: string[] = [], corsOrigins: string[] = []): WebRules => ({
  allowedHosts: new Set(allowedHosts),
  corsOrigins: new Set(corsOrigins),
})

describe('Host (DNS rebinding)', () => {
  it('reads the host name of a Host header: lower case, no port, no trailing dot', () => {
    expect(hostName('LocalHost:8321')).toBe('localhost')
    expect(hostName('[::1]:8321')).toBe('[::1]')
    expect(hostName('example.com.')).toBe('example.com')
    expect(hostName('127.0.0.1')).toBe('127.0.0.1')
  })

  it('takes loopback names, allowed names and no Host at all; refuses any other name', () => {
    for (const host of ['localhost:8321', '127.0.0.1:8321', '127.1.2.3', '[::1]:80', 'LOCALHOST', undefined])
      expect(hostProblem(host, rules()), String(host)).toBeNull()
    expect(hostProblem('sluice.internal:8321', rules(['sluice.internal']))).toBeNull()
    expect(hostProblem('anything.example', rules(['*']))).toBeNull()
    for (const host of ['evil.example:8321', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.5'])
      expect(hostProblem(host, rules(['sluice.internal'])), host).toMatch(/server\.allowed_hosts/)
  })
})

describe('Origin', () => {
  it('takes no Origin, the server’s own, and listed CORS origins', () => {
    expect(originProblem(undefined, '127.0.0.1:8321', rules())).toBeNull()
    expect(originProblem('http://127.0.0.1:8321', '127.0.0.1:8321', rules())).toBeNull()
    expect(originProblem('https://sluice.example', 'sluice.example', rules())).toBeNull()
    expect(
      originProblem('https://dash.example', '127.0.0.1:8321', rules([], ['https://dash.example'])),
    ).toBeNull()
  })

  it('refuses a foreign origin, a port that differs, and the opaque "null" origin', () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:9999', 'null', 'not a url'])
      expect(originProblem(origin, '127.0.0.1:8321', rules()), origin).toMatch(/api\.cors_origins/)
  })
})

describe('Content-Type of a mutating request', () => {
  it('takes JSON (with parameters) on JSON routes and octet-stream on uploads, and no type with no body', () => {
    expect(contentTypeProblem('application/json', true, false)).toBeNull()
    expect(contentTypeProblem('Application/JSON; charset=utf-8', true, false)).toBeNull()
    expect(contentTypeProblem('application/octet-stream', true, true)).toBeNull()
    expect(contentTypeProblem(undefined, false, false)).toBeNull()
    expect(contentTypeProblem(undefined, false, true)).toBeNull()
  })

  it('refuses what a web page can send without asking: text/plain, forms, a body without a type', () => {
    for (const type of [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ])
      expect(contentTypeProblem(type, true, false), type).toMatch(
        /takes a body of Content-Type application\/json/,
      )
    expect(contentTypeProblem(undefined, true, false)).toMatch(/not a body without Content-Type/)
    // A declared type counts even on an empty body: a text/plain POST with nothing in it is still a page's.
    expect(contentTypeProblem('text/plain', false, false)).not.toBeNull()
    expect(contentTypeProblem('application/json', true, true)).toMatch(/application\/octet-stream/)
  })

  it('tells a body from its headers', () => {
    expect(hasBody(undefined, undefined)).toBe(false)
    expect(hasBody('0', undefined)).toBe(false)
    expect(hasBody('12', undefined)).toBe(true)
    expect(hasBody(undefined, 'chunked')).toBe(true)
  })
})

describe('a token in the query string', () => {
  it('is found under access_token, token, or any value shaped like a sluice token', () => {
    const secret = `slc_${'a'.repeat(43)}`
    expect(queryHasToken(new URLSearchParams({ access_token: 'x' }))).toBe(true)
    expect(queryHasToken(new URLSearchParams({ token: 'x' }))).toBe(true)
    expect(queryHasToken(new URLSearchParams({ auth: secret }))).toBe(true)
    expect(queryHasToken(new URLSearchParams({ name: 'slc_model', limit: '5' }))).toBe(false)
  })
})
