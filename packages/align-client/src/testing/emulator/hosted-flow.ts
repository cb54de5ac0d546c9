/** The hosted KYC flow at each `kyc_flow_link`: an HTML page with one form per allowed action. */
import type { Reply } from './http.js'
import type { RouteDefinition } from './router.js'
import {
  KYC_APPROVED,
  type AlignEmulatorKycState,
  type CustomerRecord,
  type EmulatorStore,
  type LinkRecord,
} from './store.js'

/** Hosted-flow actions: allowed source statuses and the resulting state. */
const FLOW_ACTIONS: Record<string, { from: readonly string[]; to: AlignEmulatorKycState; label: string }> = {
  start: {
    from: ['not_started', 'rejected'],
    to: { status: 'pending', sub_status: 'kyc_form_submission_started' },
    label: 'Start verification',
  },
  submit: {
    from: ['pending'],
    to: { status: 'pending', sub_status: 'kyc_form_submission_started' },
    label: 'Submit documents',
  },
  approve: { from: ['pending'], to: KYC_APPROVED, label: 'Approve (reviewer)' },
  resubmit: {
    from: ['pending'],
    to: { status: 'rejected', sub_status: 'kyc_form_resubmission_required' },
    label: 'Request resubmission (reviewer)',
  },
}

export type HostedFlowContext = {
  store: EmulatorStore
  /** Sets a customer's KYC state and announces it to every registered webhook. */
  changeKycState: (customerId: string, state: AlignEmulatorKycState) => void
}

export function hostedFlowRoutes(ctx: HostedFlowContext): RouteDefinition[] {
  return [
    { kind: 'flow', key: 'GET /flow/:token', handler: ({ params }) => flowPage(ctx, params['token'] ?? '') },
    {
      kind: 'flow',
      key: 'POST /flow/:token/:action',
      handler: ({ params }) => flowAction(ctx, params['token'] ?? '', params['action'] ?? ''),
    },
  ]
}

function linkState(
  ctx: HostedFlowContext,
  token: string,
): { link: LinkRecord; record: CustomerRecord } | Reply {
  const link = ctx.store.links.get(token)
  const record = link && ctx.store.customers.get(link.customerId)
  if (!link || !record)
    return { status: 404, html: page('Link not found', '<p>This verification link does not exist.</p>') }
  if (Date.now() >= link.expiresAt) {
    return {
      status: 410,
      html: page(
        'Link expired',
        '<p>This verification link has expired. Ask the service that sent you here for a new link.</p>',
      ),
    }
  }
  return { link, record }
}

function flowPage(ctx: HostedFlowContext, token: string): Reply {
  const state = linkState(ctx, token)
  if ('status' in state) return state
  const kycs = state.record.customer.kycs
  const status = kycs?.status ?? 'not_started'
  const buttons = Object.entries(FLOW_ACTIONS)
    .filter(([, action]) => action.from.includes(status))
    .map(
      ([name, action]) =>
        `<form method="post" action="/flow/${escapeHtml(token)}/${name}"><button type="submit" name="action" value="${name}">${escapeHtml(action.label)}</button></form>`,
    )
    .join('\n')
  return {
    status: 200,
    html: page(
      'Identity verification',
      `<p>Customer: ${escapeHtml(state.record.customer.email)}</p>
<p>Status: <strong id="status">${escapeHtml(status)}</strong> / <span id="sub-status">${escapeHtml(kycs?.sub_status ?? 'none')}</span></p>
<p>Link expires at ${new Date(state.link.expiresAt).toISOString()}</p>
${buttons || '<p>Nothing to do.</p>'}`,
    ),
  }
}

function flowAction(ctx: HostedFlowContext, token: string, actionName: string): Reply {
  const state = linkState(ctx, token)
  if ('status' in state) return state
  const action = FLOW_ACTIONS[actionName]
  if (!action)
    return { status: 404, html: page('Unknown action', `<p>Unknown action ${escapeHtml(actionName)}.</p>`) }
  const status = state.record.customer.kycs?.status ?? 'not_started'
  if (!action.from.includes(status)) {
    return {
      status: 409,
      html: page('Not allowed', `<p>Cannot ${escapeHtml(actionName)} while ${escapeHtml(status)}.</p>`),
    }
  }
  ctx.changeKycState(state.link.customerId, action.to)
  return { status: 303, headers: { location: `/flow/${token}` }, html: page('Saved', '<p>Saved.</p>') }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Align (emulator)</title></head>
<body><h1>${escapeHtml(title)}</h1>
${content}
</body></html>
`
}
