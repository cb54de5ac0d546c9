export { type DomainErrorCode, DomainError } from './errors.js'
export {
  type KycStatus,
  type KycSubStatus,
  type UnknownKycValue,
  type KycValueReading,
  KYC_STATUSES,
  KYC_SUB_STATUSES,
  isKycStatus,
  isKycSubStatus,
  readKycValues,
} from './kyc-status.js'
export {
  type ObservationSource,
  type KycState,
  type KycObservation,
  type KycHistoryEntry,
  type IgnoreReason,
  type ApplyDecision,
  type KycReplay,
  initialKycState,
  KYC_TRANSITIONS,
  canTransition,
  applyObservation,
  replayObservations,
} from './kyc-flow.js'
export { DURATION_FORMS, parseDuration } from './duration.js'
export {
  type LinkPolicy,
  type LinkSession,
  type RenewReason,
  type LinkDecision,
  type LinkPolicyProblem,
  DEFAULT_LINK_POLICY,
  LINK_POLICY_DEFAULTS,
  checkLinkPolicy,
  createLinkPolicy,
  decideLinkRenewal,
} from './link-policy.js'
export { type RailsRefresh, decideRailsRefresh } from './rails-refresh.js'
export {
  type RailStatus,
  type Capabilities,
  type VirtualAccountCurrency,
  type VirtualAccountSourceRails,
  type VirtualAccountRailRule,
  type VirtualAccountDecision,
  RAIL_APPROVED_STATUS,
  VIRTUAL_ACCOUNT_CURRENCIES,
  VIRTUAL_ACCOUNT_RAIL_RULES,
  evaluateCapabilities,
  canUseRail,
  decideVirtualAccount,
  kycBlockReason,
} from './capabilities.js'
