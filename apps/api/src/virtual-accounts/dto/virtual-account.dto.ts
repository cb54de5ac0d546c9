import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import { VIRTUAL_ACCOUNT_CURRENCIES, type VirtualAccountCurrency } from '@align-kyc/domain'
import {
  VIRTUAL_ACCOUNT_NETWORKS,
  VIRTUAL_ACCOUNT_TOKENS,
  type DepositInstructions,
  type VirtualAccountNetwork,
  type VirtualAccountToken,
} from '../virtual-account.params.js'
import type { VirtualAccountRecord } from '../virtual-accounts.repository.js'
import { createVirtualAccountSchema, simulateVirtualAccountSchema } from './virtual-account.schema.js'

export class CreateVirtualAccountDto {
  static readonly schema = createVirtualAccountSchema

  @ApiProperty({ enum: VIRTUAL_ACCOUNT_CURRENCIES, description: 'The fiat currency deposited' })
  sourceCurrency!: VirtualAccountCurrency

  @ApiPropertyOptional({
    enum: ['swift'],
    description: 'usd only: a SWIFT account (needs the swift rail) instead of ACH/wire',
  })
  sourceRails?: 'swift'

  @ApiProperty({ enum: VIRTUAL_ACCOUNT_TOKENS, description: 'The stablecoin delivered' })
  destinationToken!: VirtualAccountToken

  @ApiProperty({ enum: VIRTUAL_ACCOUNT_NETWORKS })
  destinationNetwork!: VirtualAccountNetwork

  @ApiProperty({
    example: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    maxLength: 128,
    description:
      'The wallet, valid for the network: EVM hex (EIP-55 checksum when mixed case), Solana base58 (32 bytes), Tron base58check',
  })
  destinationAddress!: string
}

export class SimulateVirtualAccountDto {
  static readonly schema = simulateVirtualAccountSchema

  @ApiProperty({ enum: ['issue_pending_virtual_account'] })
  action!: 'issue_pending_virtual_account'
}

export class UsDepositDto {
  @ApiProperty() accountNumber!: string
  @ApiProperty() routingNumber!: string
}

export class IbanDepositDto {
  @ApiProperty({ nullable: true, type: String }) bic!: string | null
  @ApiProperty() ibanNumber!: string
}

export class InternationalWireDepositDto {
  @ApiProperty() accountNumber!: string
  @ApiProperty({ nullable: true, type: String }) routingNumber!: string | null
  @ApiProperty() bic!: string
}

export class DepositInstructionsDto {
  @ApiProperty({ example: 'usd' }) currency!: string
  @ApiProperty({ type: [String], example: ['ach', 'wire'] }) paymentRails!: string[]
  @ApiProperty({ nullable: true, type: String }) bankName!: string | null
  @ApiProperty({ nullable: true, type: String }) bankAddress!: string | null
  @ApiProperty({ nullable: true, type: String }) beneficiaryName!: string | null
  @ApiProperty({ nullable: true, type: String }) beneficiaryAddress!: string | null
  @ApiPropertyOptional({ type: UsDepositDto }) us?: UsDepositDto
  @ApiPropertyOptional({ type: IbanDepositDto }) iban?: IbanDepositDto
  @ApiPropertyOptional({ type: InternationalWireDepositDto }) internationalWire?: InternationalWireDepositDto
}

export class VirtualAccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string
  @ApiProperty({ description: "Align's id of the account" }) alignVirtualAccountId!: string
  @ApiProperty({ format: 'uuid' }) customerId!: string
  @ApiProperty({
    enum: ['pending', 'active'],
    description: 'active: deposit instructions are issued and deposits are converted',
  })
  status!: 'pending' | 'active'
  @ApiProperty({ enum: VIRTUAL_ACCOUNT_CURRENCIES }) sourceCurrency!: string
  @ApiProperty({ enum: ['swift'], nullable: true, type: String }) sourceRails!: string | null
  @ApiProperty({ enum: VIRTUAL_ACCOUNT_TOKENS }) destinationToken!: string
  @ApiProperty({ enum: VIRTUAL_ACCOUNT_NETWORKS }) destinationNetwork!: string
  @ApiProperty() destinationAddress!: string
  @ApiProperty({
    type: DepositInstructionsDto,
    nullable: true,
    description: 'null until Align issues them (pending accounts)',
  })
  depositInstructions!: DepositInstructionsDto | null
  @ApiProperty({ format: 'date-time' }) createdAt!: string
  @ApiProperty({ format: 'date-time' }) updatedAt!: string
}

export class VirtualAccountListDto {
  @ApiProperty({ type: [VirtualAccountDto], description: 'Newest first' }) items!: VirtualAccountDto[]
}

export function toVirtualAccountDto(a: VirtualAccountRecord): VirtualAccountDto {
  return {
    id: a.id,
    alignVirtualAccountId: a.alignVirtualAccountId,
    customerId: a.customerId,
    status: a.status,
    sourceCurrency: a.sourceCurrency,
    sourceRails: a.sourceRails,
    destinationToken: a.destinationToken,
    destinationNetwork: a.destinationNetwork,
    destinationAddress: a.destinationAddress,
    depositInstructions: a.depositInstructions as DepositInstructions | null,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  }
}
