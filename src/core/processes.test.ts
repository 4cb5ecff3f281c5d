import { spawn } from 'node:child_process'
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { groupMembers, processRuns, processStart, thisProcess } from './processes.js'

describe('telling whether a process still runs', () => {
  it('knows this process, and takes a pid with another start time for a process that has ended', () => {
    const me = thisProcess()
    expect(me.start).toMatch(/^\d+$/)
    expect(processRuns(me)).toBe(true)
    expect(processRuns({ ...me, start: String(Number(me.start) + 1) })).toBe(false)
    expect(processRuns({ ...me, host: `${os.hostname()}-elsewhere` })).toBeNull()
  })

  it('sees a process group while it lives and not after SIGKILL', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' })
    const pid = child.pid!
    const id = { pid, start: processStart(pid), host: os.hostname() }
    expect(processRuns(id)).toBe(true)
    for (let i = 0; i < 100 && groupMembers(pid).length < 2; i++) await new Promise((r) => setTimeout(r, 20))
    expect(groupMembers(pid).length).toBe(2) // sh and its sleep
    const ended = new Promise((r) => child.on('exit', r))
    process.kill(-pid, 'SIGKILL')
    await ended
    expect(processRuns(id)).toBe(false)
    for (let i = 0; i < 50 && groupMembers(pid).length; i++) await new Promise((r) => setTimeout(r, 20))
    expect(groupMembers(pid)).toEqual([])
  })
})
