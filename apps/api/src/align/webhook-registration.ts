import type { AlignWebhook } from '@align-kyc/align-client'

/**
 * The registration that already delivers to `url`, if any. Align documents a `status` on each
 * webhook (`active` | `inactive`) and no way to reactivate one, so an `inactive` registration does
 * not count: the caller registers the URL again. A webhook without a status counts as active.
 */
export function activeRegistration(items: readonly AlignWebhook[], url: string): AlignWebhook | undefined {
  return items.find((w) => w.url === url && w.status !== 'inactive')
}
