import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { REDACTED, createMasker, importHashKey, keepEnds, maskRecord, maskValue, newGrantHashKey } from '../../src/exchange/masking.js'
import type { MaskSpec } from '../../src/standards/annotations.js'

const citizenId: MaskSpec = { type: 'show-first-n', n: 6, last: 4 }
const mobile: MaskSpec = { type: 'show-first-n', n: 3, last: 4 }
const keyBytes = Uint8Array.from({ length: 32 }, (_, i) => i)
const otherKeyBytes = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)

const mask = (value: unknown, spec: MaskSpec) => maskValue(value, spec)

afterEach(() => vi.restoreAllMocks())

describe('show-first-n and show-last-n', () => {
  it('mask the DOMAIN.md examples', async () => {
    expect(await mask('11010519491231002X', citizenId)).toBe('110105********002X')
    expect(await mask('13812345678', mobile)).toBe('138****5678')
    expect(await mask('11010519491231002X', { type: 'show-last-n', n: 4 })).toBe('**************002X')
  })

  it('count code points, not UTF-16 units', async () => {
    expect(await mask('张三丰', { type: 'show-first-n', n: 1 })).toBe('张**')
    expect(await mask('𠀀𠀁𠀂', { type: 'show-first-n', n: 1 })).toBe('𠀀**')
    expect(await mask('欧阳𠀀𠀁', { type: 'show-last-n', n: 1 })).toBe('***𠀁')
  })

  it('always hide at least one character of a value too short for the mask', async () => {
    expect(await mask('张', { type: 'show-first-n', n: 1 })).toBe('*')
    expect(await mask('张三', { type: 'show-first-n', n: 6, last: 4 })).toBe('张*')
    expect(await mask('1234', { type: 'show-last-n', n: 4 })).toBe('*234')
    expect(keepEnds('', 3, 4)).toBe('')
    expect(keepEnds('abc', 0, 0)).toBe('***')
  })

  it('mask numbers and booleans as their text', async () => {
    expect(await mask(13812345678, mobile)).toBe('138****5678')
    expect(await mask(12345, { type: 'show-last-n', n: 2 })).toBe('***45')
    expect(await mask(true, { type: 'show-first-n', n: 1 })).toBe('t***')
  })
})

describe('the other masks', () => {
  it('redact to a fixed string that hides the length', async () => {
    expect(await mask('张三丰', { type: 'redact' })).toBe(REDACTED)
    expect(await mask('a much longer value', { type: 'redact' })).toBe('***')
    expect(await mask(42, { type: 'redact' })).toBe('***')
  })

  it('nullify', async () => {
    expect(await mask('13812345678', { type: 'nullify' })).toBeNull()
    expect(await mask(7, { type: 'nullify' })).toBeNull()
  })

  it('keep the year of a date or date-time, and nothing of anything else', async () => {
    expect(await mask('1990-03-07', { type: 'date-year' })).toBe('1990')
    expect(await mask('1990-03-07T08:30:00+08:00', { type: 'date-year' })).toBe('1990')
    expect(await mask('03/07/1990', { type: 'date-year' })).toBeNull()
    expect(await mask(19900307, { type: 'date-year' })).toBeNull()
  })

  it('generalise a region code to its prefecture or province, zero-filled', async () => {
    expect(await mask('330102', { type: 'region-prefix-n', n: 4 })).toBe('330100')
    expect(await mask('330102', { type: 'region-prefix-n', n: 2 })).toBe('330000')
    expect(await mask(110105, { type: 'region-prefix-n', n: 4 })).toBe('110100')
    expect(await mask('3301', { type: 'region-prefix-n', n: 4 })).toBeNull()
  })

  it('leave null as null and absent as absent under every mask', async () => {
    const specs: MaskSpec[] = [{ type: 'redact' }, citizenId, { type: 'show-last-n', n: 4 }, { type: 'nullify' }, { type: 'date-year' }, { type: 'region-prefix-n', n: 2 }]
    for (const spec of specs) {
      expect(await mask(null, spec)).toBeNull()
      expect(await mask(undefined, spec)).toBeUndefined()
    }
    expect(await maskValue(null, { type: 'hash' }, await importHashKey(keyBytes))).toBeNull()
  })

  it('turn a value no flat record holds (an object) into null rather than show it', async () => {
    expect(await mask({ id: '11010519491231002X' }, citizenId)).toBeNull()
    expect(await mask(['a'], { type: 'redact' })).toBeNull()
  })
})

describe('hash', () => {
  const expectedHash = (key: Uint8Array, text: string) => createHmac('sha256', key).update(text, 'utf8').digest().subarray(0, 16).toString('base64url')

  it('is HMAC-SHA-256 under the grant key, 128 bits in base64url', async () => {
    const key = await importHashKey(keyBytes)
    const hashed = await maskValue('11010519491231002X', { type: 'hash' }, key)
    expect(hashed).toBe(expectedHash(keyBytes, '11010519491231002X'))
    expect(hashed).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(await maskValue('张三丰', { type: 'hash' }, key)).toBe(expectedHash(keyBytes, '张三丰'))
  })

  it('is stable within a grant and unrelated across grants', async () => {
    const one = await createMasker({ id: { type: 'hash' } }, keyBytes)
    const again = await createMasker({ id: { type: 'hash' } }, keyBytes)
    const other = await createMasker({ id: { type: 'hash' } }, otherKeyBytes)
    const record = { id: '11010519491231002X' }
    expect((await one.mask(record)).id).toBe((await again.mask(record)).id)
    expect((await one.mask(record)).id).not.toBe((await other.mask(record)).id)
    expect((await one.mask({ id: '440524188001010014' })).id).not.toBe((await one.mask(record)).id)
  })

  it('needs a key of at least 16 bytes', async () => {
    await expect(createMasker({ id: { type: 'hash' } })).rejects.toThrow(/hash key/)
    await expect(maskValue('x', { type: 'hash' })).rejects.toThrow(/hash key/)
    await expect(importHashKey(new Uint8Array(8))).rejects.toThrow(/at least 16 bytes/)
    expect(newGrantHashKey()).toHaveLength(32)
    expect(newGrantHashKey()).not.toEqual(newGrantHashKey())
  })
})

describe('createMasker and maskRecord', () => {
  const person = {
    citizen_id: '11010519491231002X',
    name: '张三丰',
    mobile: '13812345678',
    birth_date: '1949-12-31',
    region_code: '110105',
    sex: '1',
    note: null,
  }
  const masks = {
    citizen_id: citizenId,
    name: { type: 'show-first-n', n: 1 },
    mobile,
    birth_date: { type: 'date-year' },
    region_code: { type: 'region-prefix-n', n: 4 },
    note: { type: 'redact' },
    absent_field: { type: 'nullify' },
  } satisfies Record<string, MaskSpec>

  it('masks the listed fields, passes the others, keeps absent fields absent and the field order', async () => {
    const masker = await createMasker(masks)
    const masked = await masker.mask(person)
    expect(masked).toEqual({
      citizen_id: '110105********002X',
      name: '张**',
      mobile: '138****5678',
      birth_date: '1949',
      region_code: '110100',
      sex: '1',
      note: null,
    })
    expect(Object.keys(masked)).toEqual(Object.keys(person))
    expect('absent_field' in masked).toBe(false)
    expect(person.citizen_id).toBe('11010519491231002X')
  })

  it('narrows a page to the named fields in their order, a record without some of them included', async () => {
    const masker = await createMasker(masks)
    const fields = ['mobile', 'citizen_id', 'note']
    const short = { citizen_id: person.citizen_id, note: undefined, extra: 'not asked for' }
    const [full, partial] = await masker.maskAll([person, short], fields)
    expect(JSON.stringify(full)).toBe('{"mobile":"138****5678","citizen_id":"110105********002X","note":null}')
    // Absent or undefined fields stay absent; what is there is masked and in the named order.
    expect(JSON.stringify(partial)).toBe('{"citizen_id":"110105********002X"}')
    expect('note' in partial!).toBe(false)
  })

  it('maskRecord is the same, one-off', async () => {
    expect(await maskRecord(person, masks)).toEqual(await (await createMasker(masks)).mask(person))
  })

  it('keeps a field named __proto__ a field', async () => {
    const record = JSON.parse('{"__proto__": "13812345678", "x": 1}') as Record<string, unknown>
    const masked = await maskRecord(record, { ['__proto__']: mobile })
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(masked, '__proto__')?.value).toBe('138****5678')
  })

  it('narrows to fields named like Object.prototype members only where the record has them', async () => {
    const masker = await createMasker({ constructor: mobile })
    const records = [{ x: 1 }, JSON.parse('{"toString": "a", "constructor": "13812345678"}') as Record<string, unknown>]
    const [absent, present] = await masker.maskAll(records, ['constructor', 'toString', 'x'])
    expect(Object.keys(absent!)).toEqual(['x'])
    expect(Object.keys(present!)).toEqual(['constructor', 'toString'])
    expect(Object.getOwnPropertyDescriptor(present, 'constructor')?.value).toBe('138****5678')
  })

  it('refuses a malformed mask rather than apply it', async () => {
    await expect(createMasker({ id: { type: 'show-first-n', n: -1 } as MaskSpec })).rejects.toThrow(/mask of id/)
    await expect(createMasker({ id: { type: 'scramble' } as unknown as MaskSpec })).rejects.toThrow(/mask of id/)
  })

  it('keeps the field order with hashed fields among the others', async () => {
    const masker = await createMasker({ id: { type: 'hash' }, mobile }, keyBytes)
    const record = { a: 1, id: '11010519491231002X', mobile: '13812345678', b: 2 }
    expect(Object.keys(await masker.mask(record))).toEqual(['a', 'id', 'mobile', 'b'])
    const [narrowed] = await masker.maskAll([record], ['b', 'id', 'a'])
    expect(JSON.stringify(narrowed)).toBe(`{"b":2,"id":"${(await masker.mask(record)).id}","a":1}`)
  })

  it('masks a page of 50 records with one HMAC per distinct value', async () => {
    const masker = await createMasker({ citizen_id: { type: 'hash' }, org: { type: 'hash' }, mobile }, keyBytes)
    const ids = ['11010519491231002X', '440524188001010014', '110105199003071239', '310115198511020046']
    const page = Array.from({ length: 50 }, (_, i) => ({ citizen_id: ids[i % ids.length], org: 'org_a', mobile: '13812345678', row: i }))
    const sign = vi.spyOn(crypto.subtle, 'sign')
    const masked = await masker.maskAll(page)
    expect(sign).toHaveBeenCalledTimes(ids.length + 1)
    expect(masked).toHaveLength(50)
    expect(masked[0]!.citizen_id).toBe(masked[4]!.citizen_id)
    expect(masked[0]!.citizen_id).not.toBe(masked[1]!.citizen_id)
    expect(masked[49]).toMatchObject({ mobile: '138****5678', row: 49 })
    expect(masked[7]).toEqual(await masker.mask(page[7]!))
  })
})
