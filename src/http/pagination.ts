import { z } from '@hono/zod-openapi'
import { ApiError } from './errors.js'

export const MAX_PAGE_SIZE = 200

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50).openapi({ description: `Page size (1–${MAX_PAGE_SIZE})`, example: 50 }),
  cursor: z.string().max(512).optional().openapi({ description: 'The next_cursor of the previous page' }),
}

/** Cursors are opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(key: Record<string, string | number>): string {
  return btoa(JSON.stringify(key)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, shape: T): z.infer<T> | undefined {
  if (cursor === undefined) return undefined
  try {
    const parsed = shape.safeParse(JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))))
    if (parsed.success) return parsed.data
  } catch {
    // fall through to the same answer as a well-formed but foreign cursor
  }
  throw new ApiError('validation_failed', 'cursor is not one this endpoint issued', {
    errors: [{ path: 'query.cursor', message: 'not a cursor issued by this endpoint', code: 'invalid_cursor' }],
  })
}

/** `{items, next_cursor}` from a page fetched with limit + 1 rows. */
export function page<T, R>(rows: T[], limit: number, render: (row: T) => R, keyOf: (row: T) => Record<string, string | number>) {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: items.map(render),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  }
}
