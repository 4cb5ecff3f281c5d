import { describe, expect, it } from 'vitest'
import { ColumnBuilder } from './builder.js'
import { inferColumnType } from './infer.js'

function column(cells: string[]) {
  const b = new ColumnBuilder('c')
  for (const c of cells) b.addText(c)
  return b.build()
}

describe("Evidently's column typing", () => {
  it('float → numerical', () => expect(inferColumnType(column(['1.5', '2', '2', '2']))).toBe('numerical'))
  it('integers with at most 5 distinct values → categorical', () => {
    expect(inferColumnType(column(['1', '2', '3', '4', '5', '5', '', '1']))).toBe('categorical')
  })
  it('integers with 6 distinct values → numerical', () => {
    expect(inferColumnType(column(['1', '2', '3', '4', '5', '6']))).toBe('numerical')
  })
  it('booleans → categorical', () =>
    expect(inferColumnType(column(['true', 'false', 'True']))).toBe('categorical'))
  it('strings → categorical when at most half the values are distinct', () => {
    expect(inferColumnType(column(['a', 'b', 'a', 'b']))).toBe('categorical')
  })
  it('strings → text when more than half the values are distinct', () => {
    expect(inferColumnType(column(['a', 'b', 'c', 'a']))).toBe('text')
  })
  it('ISO dates → datetime', () =>
    expect(inferColumnType(column(['2001-01-01', '2001-02-28 12:00']))).toBe('datetime'))
  it('an invalid calendar date is text, not a datetime', () => {
    expect(column(['2001-02-30']).kind).toBe('category')
  })
})
